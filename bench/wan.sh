# bench/wan.sh: a long fat network between the two ends, sourced by
# bench/run --wan RTT_MS[,RATE].
#
# The receiving side (the ferry receiver and the benchmark's sshd) runs in
# a network namespace of its own; bench/wanrelay (built here with cc)
# joins it to this one through two tun devices, delaying every packet by
# half the round trip each way and, with RATE, passing it through a
# bottleneck of RATE bit/s with a drop-tail queue of one bandwidth-delay
# product. Both TCP stacks see the real round trip. S1 is run three ways:
# ferry as it is, ferry with one stream (--streams 1) and rsync over ssh,
# all through the same relay. See bench/README.md ("Across a WAN").

[ "$(id -u)" = 0 ] || die "--wan needs root (network namespace, tun devices)"
[ "$DAEMON" = 1 ] && die "--wan and --daemon cannot be combined"

# RTT in ms, RATE as bits/s with an optional k, m or g (1000s).
WAN_RTT=${WAN%%,*}
WAN_RATE=
[ "$WAN_RTT" != "$WAN" ] && WAN_RATE=${WAN#*,}
case "$WAN_RTT" in
''|*[!0-9.]*) die "--wan: the round trip is in ms, e.g. --wan 150,1g" ;;
esac
case "$WAN_RATE" in
'') WAN_BPS=0 ;;
*[kK]) WAN_BPS=$((${WAN_RATE%?} * 1000)) ;;
*[mM]) WAN_BPS=$((${WAN_RATE%?} * 1000000)) ;;
*[gG]) WAN_BPS=$((${WAN_RATE%?} * 1000000000)) ;;
*[!0-9]*) die "--wan: RATE is bits/s, e.g. 1g or 500m" ;;
*) WAN_BPS=$WAN_RATE ;;
esac

WAN_NS=ferry-wan-$$
WAN_HERE=fwa$$
WAN_THERE=fwb$$
WAN_RELAY_PID=
LHOST=10.231.0.1
RHOST=10.231.0.2
RWRAP="ip netns exec $WAN_NS"
# Only S1 by default: what a long path does to one big file. The others
# (S7, S9: many round trips) can be asked for with --only.
ALL_SCENARIOS="S1 S7 S9"
[ -z "$ONLY" ] && ONLY=S1
# The whole S1 file crosses the relay 3 times a run at 10-100 MB/s.
# --wan-size MIB for others (docs/benchmarks.md, sixth pass: how large a
# file must be before the start of the streams' windows stops deciding).
if [ -n "$WAN_SIZE" ]; then
	case "$WAN_SIZE" in
	''|*[!0-9]*|0) die "--wan-size: a size in MiB, e.g. 2048" ;;
	esac
	BIG=$((WAN_SIZE * MIB))
elif [ "$QUICK" = 1 ]; then
	BIG=$((128 * MIB))
else
	BIG=$((512 * MIB))
fi
# --wan-tcp-mem BYTES: the hosts tuned for a long fat network, as
# docs/operations.md ("Long fat networks") tells a studio to: the largest
# TCP send and receive buffers (net.ipv4.tcp_wmem, tcp_rmem) raised to
# BYTES on both ends. Those settings belong to a network namespace, and
# the sending end's must not be the machine's, whichever namespace the
# bench was started in (whether it is the machine's cannot always be
# told: /proc/1/ns may be unreadable), so the bench re-runs itself in a
# new one (with its own loopback) before it changes anything.
case "$WAN_TCP_MEM" in
'') ;;
*[!0-9]*) die "--wan-tcp-mem: bytes, e.g. 33554432" ;;
*)
	if [ -z "${WAN_OWN_NS:-}" ]; then
		command -v unshare >/dev/null 2>&1 ||
		    die "--wan-tcp-mem needs unshare (util-linux)"
		WAN_OWN_NS=1 exec unshare -n sh -c \
		    'ip link set lo up && exec bash "$@"' sh "$0" \
		    "${BENCH_ARGS[@]}"
	fi
	;;
esac
[ "$WORKDIR_SET" = 1 ] || W="${TMPDIR:-/tmp}/ferry-bench-wan"

wan_setup()
{
	local relay="$W/wanrelay" i

	if [ ! -x "$relay" ] || [ "$BENCH_DIR/wanrelay.c" -nt "$relay" ]; then
		${CC:-cc} -O2 -std=c11 -Wall -o "$relay" "$BENCH_DIR/wanrelay.c" ||
		    die "cannot build bench/wanrelay.c"
	fi
	ip netns add "$WAN_NS" || die "ip netns add failed"
	"$relay" -a "$WAN_HERE" -b "$WAN_THERE" -n "/run/netns/$WAN_NS" \
	    -d "$WAN_RTT" -r "$WAN_BPS" >"$W/logs/wanrelay.out" \
	    2>"$W/logs/wanrelay.err" &
	WAN_RELAY_PID=$!
	for i in $(seq 100); do
		grep -q ready "$W/logs/wanrelay.out" && break
		kill -0 "$WAN_RELAY_PID" 2>/dev/null ||
		    die "wanrelay: $(cat "$W/logs/wanrelay.err")"
		sleep 0.05
	done
	ip addr add "$LHOST/30" dev "$WAN_HERE" &&
	    ip link set "$WAN_HERE" up &&
	    $RWRAP ip link set lo up &&
	    $RWRAP ip addr add "$RHOST/30" dev "$WAN_THERE" &&
	    $RWRAP ip link set "$WAN_THERE" up ||
	    die "cannot set up the relay's devices"
	if [ -n "$WAN_TCP_MEM" ]; then
		for i in "" "$RWRAP"; do
			$i sysctl -q -w "net.ipv4.tcp_wmem=4096 16384 $WAN_TCP_MEM" \
			    "net.ipv4.tcp_rmem=4096 131072 $WAN_TCP_MEM" ||
			    die "cannot set the TCP buffers"
		done
	fi
	log "wan: tcp_wmem $(cat /proc/sys/net/ipv4/tcp_wmem | tr '\t' ' '), tcp_rmem $(cat /proc/sys/net/ipv4/tcp_rmem | tr '\t' ' '), wmem_max $(cat /proc/sys/net/core/wmem_max) here; there: tcp_rmem $($RWRAP cat /proc/sys/net/ipv4/tcp_rmem | tr '\t' ' ')"
	log "wan: $LHOST -> relay (RTT $WAN_RTT ms, rate $([ "$WAN_BPS" = 0 ] && echo none || echo "$WAN_BPS bit/s")) -> $RHOST in netns $WAN_NS; congestion control $(cat /proc/sys/net/ipv4/tcp_congestion_control)"
}

wan_stop()
{
	if [ -n "$WAN_RELAY_PID" ]; then
		kill "$WAN_RELAY_PID" 2>/dev/null
		wait "$WAN_RELAY_PID" 2>/dev/null
		WAN_RELAY_PID=
		cat "$W/logs/wanrelay.err" >&2
	fi
	ip netns del "$WAN_NS" 2>/dev/null
	return 0
}

# wan_each SCENARIO REP SRC DST_PREFIX PREPARE [args...]: the single-stream
# ferry run of each_tool, recorded as tool "ferry1".
wan_each()
{
	local sc=$1 rep=$2 src=$3 dp=$4 prep=$5 v save=$STREAMS
	shift 5

	[ "$HAVE_FERRY" = 1 ] || return 0
	$prep "$dp/ferry1"
	STREAMS=1
	run_ferry "$sc.$rep.1" "$src" "$dp/ferry1" "$@"
	STREAMS=$save
	v=$(verify_tree "$src" "$dp/ferry1")
	[ "$F_OK" = true ] || v="failed"
	record "$sc" ferry1 "$rep" "$v"
	rm -rf "$dp/ferry1"
}

# The issue's targets: at 100 ms and more, >= 3 x rsync's and >= 3 x one
# ferry stream's throughput; below, >= 2 x rsync's.
wan_meta_s1()
{
	local r=0.5 rs=null

	if awk -v t="$WAN_RTT" 'BEGIN { exit !(t >= 100) }'; then
		r=0.3333
		rs=0.3333
	fi
	meta S1 "one $(hbytes "$BIG") file, fresh, across $WAN_RTT ms$([ "$WAN_BPS" != 0 ] && echo ", $WAN_RATE bit/s")" \
	    "$BIG" "$BIG" \
	    ">= $(awk -v r="$r" 'BEGIN { printf "%.0f", 1 / r }') x rsync's throughput$([ "$rs" != null ] && echo " and >= 3 x one ferry stream's")" \
	    "{\"max_ratio\": $r, \"max_single_ratio\": $rs}"
}

# Adds the single-stream figures and the path to each scenario.
wan_results()
{
	jq --slurpfile runs "$W/runs.jsonl" --slurpfile meta "$W/meta.jsonl" \
	    --arg wan "$WAN" --argjson rtt "$WAN_RTT" --argjson bps "$WAN_BPS" \
	    --argjson tcpmem "${WAN_TCP_MEM:-null}" \
	    "$JQ_MEDIAN"'
	def r4: if . == null then null else (. * 10000 | round) / 10000 end;
	def spread: map(select(. != null)) | if length == 0 then null
	    else [min, max] end;
	map(. as $o
	  | [$runs[] | select(.scenario == $o.scenario)] as $all
	  | ($all | map(select(.tool == "ferry1" and .ok))) as $g
	  | ($g | map(.wall) | median) as $w
	  | ([$meta[] | select(.scenario == $o.scenario) | .check.max_single_ratio]
	     | first) as $msr
	  | . + {wan: $wan, rtt_ms: $rtt, rate_bit_s: $bps, tcp_mem: $tcpmem,
	         ferry1_s: ($w | r4),
	         single_ratio: (if $w != null and $o.ferry_s != null and $w > 0
	                        then $o.ferry_s / $w | r4 else null end),
	         ferry_spread_s: ($all | map(select(.tool == "ferry" and .ok)
	                          | .wall) | spread),
	         ferry1_spread_s: ($g | map(.wall) | spread),
	         rsync_spread_s: ($all | map(select(.tool == "rsync" and .ok)
	                          | .wall) | spread),
	         mb_s: (if $o.ferry_s then $o.data_bytes / $o.ferry_s / 1e6
	                | r4 else null end),
	         ferry1_mb_s: (if $w then $o.data_bytes / $w / 1e6 | r4
	                       else null end),
	         rsync_mb_s: (if $o.rsync_s then $o.data_bytes / $o.rsync_s / 1e6
	                      | r4 else null end)}
	  | if $msr == null then . else
	      .met = (if .met == false then false
	              elif .single_ratio == null or .met == null then null
	              else .single_ratio <= $msr end)
	    end)'
}

wan_table()
{
	printf '\nAcross the relay (%s): MB/s (median, [min, max] s)\n' "$WAN"
	jq -r '.[] | select(has("ferry1_s")) |
	    "\(.scenario): ferry \(.mb_s) \(.ferry_spread_s), one stream " +
	    "\(.ferry1_mb_s) \(.ferry1_spread_s), rsync \(.rsync_mb_s) " +
	    "\(.rsync_spread_s); ferry/one stream \(.single_ratio), " +
	    "ferry/rsync \(.ratio); met: \(.met)"' "$1"
}
