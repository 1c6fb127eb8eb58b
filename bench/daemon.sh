# bench/daemon.sh: the daemon path, sourced by bench/run --daemon.
#
# A hub (site hq) and an enrolled agent (site la) run on loopback for the
# whole benchmark. S1, S2, S6, S7, S8 and S9 are also sent as real jobs with
# `ferry send --from hq --to la --wait`; D1 measures submit to first byte
# of a 4 KiB file, D2 the daemons' memory while they track a job of many
# tiny files. See bench/README.md ("The daemon path") for the method.

FERRYD_BIN=
FERRY_BIN=
HAVE_FERRYD=0
FERRYD_MISSING=
D_DIR="$W/ferryd"		# state directories and logs
D_ROOT="$W/run/ferryd"		# la's share root; hq's is $W itself
D_HUB="$D_DIR/hub"
D_AGENT=la-bench
HUB_PID=
AGENT_PID=
HUB_PORT=
SLEEP_FD=
if [ "$QUICK" = 1 ]; then
	D1_RUNS=5
	D2_FILES=10000
	D2_TMO=300
else
	D1_RUNS=11
	D2_FILES=100000
	D2_TMO=900
fi

# A sleep without a fork, for polls a few milliseconds apart: read from a
# FIFO this shell also holds open for writing, so that it never ends.
nap()
{
	read -r -t "$1" -u "$SLEEP_FD" 2>/dev/null
	return 0
}

# proc_kb PID FIELD: VmRSS, VmHWM... of a process in kB, without a fork.
proc_kb()
{
	local k v u

	while read -r k v u; do
		[ "$k" = "$2:" ] && { echo "$v"; return; }
	done <"/proc/$1/status" 2>/dev/null
}

# CPU ticks (user + system, every thread) of the hub and the agent.
ferryd_ticks()
{
	local p s sum=0

	for p in "$HUB_PID" "$AGENT_PID"; do
		read -r s <"/proc/$p/stat" || return
		# utime and stime are fields 14 and 15; after the command
		# name's closing parenthesis the fields start at the 3rd.
		set -- ${s##*) }
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}

hub_cli()
{
	"$FERRY_BIN" "$@" --state "$D_HUB"
}

# ferryd_start STATE LOG: runs ferryd until its API socket is up (10 s
# at most); D_PID is its pid, empty when it did not start.
ferryd_start()
{
	local i

	rm -f "$1/ferryd.sock"
	# ferryd refuses root unless told (docs/security.md).
	"$FERRYD_BIN" run $([ "$(id -u)" != 0 ] || echo --allow-root) \
	    --state "$1" 2>>"$2" &
	D_PID=$!
	for i in $(seq 200); do
		[ -S "$1/ferryd.sock" ] && return 0
		kill -0 "$D_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$D_PID" 2>/dev/null
	wait "$D_PID" 2>/dev/null
	D_PID=
	return 1
}

# The hub on a free port (a few tries), with retries after a second
# rather than the default 30.
ferryd_hub()
{
	local try

	for try in 1 2 3 4 5 6; do
		HUB_PORT=$((46000 + RANDOM % 4000))
		rm -rf "$D_HUB"
		"$FERRYD_BIN" init --hub --site hq --listen "127.0.0.1:$HUB_PORT" \
		    --state "$D_HUB" >/dev/null 2>>"$D_DIR/hub.log" || return 1
		echo "retry-base 1" >>"$D_HUB/ferryd.conf"
		ferryd_start "$D_HUB" "$D_DIR/hub.log" && {
			HUB_PID=$D_PID
			return 0
		}
	done
	return 1
}

ferryd_agent()
{
	local code i

	code=$(hub_cli invite --site la 2>>"$D_DIR/setup.err" | tail -n 1)
	"$FERRYD_BIN" enroll "127.0.0.1:$HUB_PORT" "$code" \
	    --state "$D_DIR/la" --name "$D_AGENT" >/dev/null \
	    2>>"$D_DIR/setup.err" || return 1
	ferryd_start "$D_DIR/la" "$D_DIR/la.log" || return 1
	AGENT_PID=$D_PID
	for i in $(seq 300); do
		hub_cli status --json 2>/dev/null |
		    jq -e ".agents[\"$D_AGENT\"]" >/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Starts both daemons, imports the share map and notes their idle memory.
# Leaves HAVE_FERRYD=0 and says why when it cannot.
ferryd_setup()
{
	local why=

	FERRYD_BIN="$BUILD/agent/ferryd"
	FERRY_BIN="$BUILD/ferry"
	rm -rf "$D_DIR"
	mkdir -p "$D_DIR"
	mkfifo "$D_DIR/nap" && exec {SLEEP_FD}<>"$D_DIR/nap"
	if [ ! -x "$FERRYD_BIN" ] || [ ! -x "$FERRY_BIN" ]; then
		why="ferryd or ferry not built (in $BUILD)"
	elif ! ferryd_hub; then
		why="the hub did not start: $(tail -n 1 "$D_DIR/hub.log")"
	elif ! ferryd_agent; then
		why="the agent did not enrol or link: $(tail -n 1 \
		    "$D_DIR/setup.err" "$D_DIR/la.log" 2>/dev/null | tr '\n' ' ')"
	else
		cat >"$D_DIR/map.json" <<-EOF
		{ "shares": { "bench": { "linux": "$W",
		  "sites": { "la": { "linux": "$D_ROOT" } } } } }
		EOF
		hub_cli share import "$D_DIR/map.json" >/dev/null \
		    2>>"$D_DIR/setup.err" ||
		    why="share import failed: $(tail -n 1 "$D_DIR/setup.err")"
	fi
	if [ -n "$why" ]; then
		FERRYD_MISSING=$why
		log "*** daemon path: $why; ferryd columns null"
		return
	fi
	mkdir -p "$D_ROOT"
	HAVE_FERRYD=1
	# Idle: linked, the map imported, nothing sent yet.
	sleep 1
	jq -nc --argjson hr "$(jnum "$(proc_kb "$HUB_PID" VmRSS)")" \
	    --argjson hh "$(jnum "$(proc_kb "$HUB_PID" VmHWM)")" \
	    --argjson ar "$(jnum "$(proc_kb "$AGENT_PID" VmRSS)")" \
	    --argjson ah "$(jnum "$(proc_kb "$AGENT_PID" VmHWM)")" \
	    '{hub_rss_kb: $hr, hub_hwm_kb: $hh, agent_rss_kb: $ar,
	      agent_hwm_kb: $ah}' >"$D_DIR/idle.json"
	log "load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"
	log "ferryd: hub 127.0.0.1:$HUB_PORT (pid $HUB_PID), agent $D_AGENT" \
	    "(pid $AGENT_PID); idle RSS $(jq -r \
	    '"hub \(.hub_rss_kb) KB, agent \(.agent_rss_kb) KB"' "$D_DIR/idle.json")"
}

ferryd_stop()
{
	[ -n "$HUB_PID$AGENT_PID" ] || return 0
	kill $AGENT_PID $HUB_PID 2>/dev/null
	wait $AGENT_PID $HUB_PID 2>/dev/null
	HUB_PID= AGENT_PID=
}

# job_poll ID: "STATE DONE_FILES" of job ID from the hub (the newest job
# only: one row, whatever the job's size).
job_poll()
{
	local o re='^\[\{"id":([0-9]+),"state":"([a-z]+)".*"done_files":([0-9]+)'

	o=$(hub_cli jobs --json --limit 1 2>/dev/null)
	if [[ $o =~ $re ]] && [ "${BASH_REMATCH[1]}" = "$1" ]; then
		echo "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
	else
		echo "unknown 0"
	fi
}

# job_submit TAG PATH [--wait]: starts `ferry send` in the background and
# waits for its job id (the second line of its output): J_PID, J_ID, and
# J_T0/J_TSUB in microseconds. Returns 1 when no id came.
job_submit()
{
	local t="$W/logs/ferryd.$1" i
	local -a lines

	J_ID= J_TSUB= lines=()
	: >"$t.out"
	J_T0=$(now_us)
	timeout -k 5 "$TMO" "$FERRY_BIN" send --from hq --to la --state "$D_HUB" \
	    ${3:-} "$2" >"$t.out" 2>"$t.err" &
	J_PID=$!
	for ((i = 0; i < TMO * 500; i++)); do
		mapfile -t lines <"$t.out"
		[ "${#lines[@]}" -ge 2 ] && break
		kill -0 "$J_PID" 2>/dev/null || { mapfile -t lines <"$t.out"; break; }
		nap 0.002
	done
	J_TSUB=$(now_us)
	J_ID=${lines[1]:-}
	case "$J_ID" in
	''|*[!0-9]*) J_ID=; return 1 ;;
	esac
	return 0
}

# job_wire FROM_LINE: bytes on the wire of the job's transfers: the sum of
# what the hub logged for each transfer.done of the agent from line
# FROM_LINE on (the benchmark runs one job at a time).
job_wire()
{
	tail -n "+$1" "$D_DIR/hub.log" | sed -n "s/.* $D_AGENT: transfer [0-9]*"\
' [a-z]*, [0-9]* bytes delivered, \([0-9]*\) on the wire.*/\1/p' |
	    awk '{ s += $1; n++ }
	    END { if (n) printf "%.0f\n", s; else print "null" }'
}

# run_ferryd TAG PATH POLL_S: one job, submit to done. Sets D_OK D_WALL
# D_WAIT D_SUB D_CPU D_WIRE D_ERR. D_WALL is until the hub says the job is
# done (polled every POLL_S s); D_WAIT until `ferry send --wait` returned.
run_ferryd()
{
	local tag=$1 path=$2 poll=$3 t c0 c1 from st n t1 t2 rc

	t="$W/logs/ferryd.$tag"
	rm -f "$t".*
	D_OK=false D_WALL= D_WAIT= D_SUB= D_CPU= D_WIRE=null D_ERR=
	settle
	from=$(($(wc -l <"$D_DIR/hub.log") + 1))
	c0=$(ferryd_ticks)
	if ! job_submit "$tag" "$path" --wait; then
		wait "$J_PID" 2>/dev/null
		D_ERR="ferry send gave no job id: $(head -n 1 "$t.err")"
		return
	fi
	D_SUB=$(us_to_s $((J_TSUB - J_T0)))
	st=unknown
	while [ $((($(now_us) - J_T0) / 1000000)) -lt "$TMO" ]; do
		read -r st n < <(job_poll "$J_ID")
		case "$st" in
		done|failed|cancelled|paused) break ;;
		esac
		kill -0 "$J_PID" 2>/dev/null || [ "$st" = running ] || break
		sleep "$poll"
	done
	t1=$(now_us)
	wait "$J_PID"
	rc=$?
	t2=$(now_us)
	c1=$(ferryd_ticks)
	D_WALL=$(us_to_s $((t1 - J_T0)))
	D_WAIT=$(us_to_s $((t2 - J_T0)))
	[ -n "$c0" ] && [ -n "$c1" ] &&
	    D_CPU=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", c / hz }')
	if [ "$st" = "done" ] && [ "$rc" = 0 ]; then
		D_OK=true
	else
		D_ERR="job $J_ID $st, ferry send --wait exit $rc: $(head -n 1 "$t.err")"
	fi
	# transfer.done reaches the hub through the agent's link, which is
	# flushed every 250 ms: give it time before reading the log.
	sleep 0.6
	D_WIRE=$(job_wire "$from")
}

# Like verify_tree, but directories are not compared: a job sends files,
# and the receiver makes the directories they need when it needs them.
verify_files()
{
	local src=$1 dst=$2 d

	d=$(diff -rq "$src" "$dst" 2>&1 | grep -v "^Only in $dst")
	if [ -n "$d" ]; then
		echo "content differs: $(echo "$d" | head -n 1)"
		return
	fi
	if [ -n "$(comm -23 <(cd "$src" && find . -type f \
	    -printf "%p %m %T@\n" | sort) <(cd "$dst" && find . -type f \
	    -printf "%p %m %T@\n" | sort))" ]; then
		echo "metadata differs (mode or mtime)"
		return
	fi
	echo ok
}

# ferryd_each SCENARIO REP SRC PREPARE: the daemon run of each_tool, for
# S1, S2, S6, S7, S8 and S9 only. The library run just before sets the
# poll step: a fiftieth of its time, 10 to 100 ms (each poll costs about
# 1 ms).
ferryd_each()
{
	local sc=$1 rep=$2 src=$3 prep=$4 dst poll v

	case "$sc" in
	S1|S2|S6|S7|S8|S9) ;;
	*) return 0 ;;
	esac
	[ "$HAVE_FERRYD" = 1 ] || return 0
	dst="$D_ROOT/${src#"$W"/}"
	$prep "$dst"
	poll=$(awk -v s="${F_WALL:-1}" 'BEGIN { p = s / 50
	    if (p < 0.01) p = 0.01; if (p > 0.1) p = 0.1; printf "%.3f", p }')
	run_ferryd "$sc.$rep" "$src" "$poll"
	v=$(verify_files "$src" "$dst")
	[ "$D_OK" = true ] || v=failed
	jq -nc --arg sc "$sc" --argjson rep "$rep" --argjson ok "$D_OK" \
	    --argjson wall "$(jnum "$D_WALL")" --argjson wait "$(jnum "$D_WAIT")" \
	    --argjson sub "$(jnum "$D_SUB")" --argjson cpu "$(jnum "$D_CPU")" \
	    --argjson wire "$(jnum "$D_WIRE")" --argjson poll "$poll" \
	    --argjson lib "$(jnum "${F_WALL:-}")" --arg verify "$v" --arg err "$D_ERR" \
	    '{scenario: $sc, tool: "ferryd", rep: $rep, ok: $ok, wall: $wall,
	      wait: $wait, submit: $sub, cpu: $cpu, wire: $wire, poll: $poll,
	      lib_wall: $lib, verify: $verify, error: $err}' >>"$W/runs.jsonl"
	log "  $sc #$rep ferryd: ${D_WALL:-?} s to done (submit ${D_SUB:-?} s," \
	    "--wait returned at ${D_WAIT:-?} s), wire $(hbytes "$D_WIRE")," \
	    "daemons' cpu ${D_CPU:-?} s, $v${D_ERR:+, ERROR: $D_ERR}"
	# With its marker: S8's next run must find a synced copy again.
	rm -rf "$dst" "$dst.synced" 2>/dev/null
}

# first_byte PART FINAL OUT: polls every millisecond until FINAL exists;
# sets FB_SUB (OUT has the job id), FB_FIRST (PART has data or FINAL
# exists) and FB_DONE (FINAL exists), in microseconds, 0 if never (10 s).
first_byte()
{
	local i now

	FB_SUB=0 FB_FIRST=0 FB_DONE=0
	for ((i = 0; i < 10000; i++)); do
		now=${EPOCHREALTIME/./}
		[ "$FB_SUB" = 0 ] && [ -n "$3" ] && [ -s "$3" ] && FB_SUB=$now
		if [ "$FB_FIRST" = 0 ] && { [ -s "$1" ] || [ -e "$2" ]; }; then
			FB_FIRST=$now
		fi
		if [ -e "$2" ]; then
			FB_DONE=$now
			[ -z "$3" ] || [ "$FB_SUB" != 0 ] && return
		fi
		nap 0.001
	done
}

# D1: submit to first byte of a 4 KiB file, D1_RUNS times, through the
# daemons and, for comparison, through ferry-peer (sender start to first
# byte, the receiver already listening).
d1()
{
	local src dst rep t0 sub=() fb=() fin=() lfb=() lfin=() t
	local -a sargs

	[ "$HAVE_FERRYD" = 1 ] || { log "  D1: $FERRYD_MISSING"; return; }
	if ! data_ready S9 4096; then
		gen_file S9 4096 "$W/data/S9" "$MTIME_OLD"
		data_done S9 4096
	fi
	src=$(src_dir D1 one.bin=S9)
	dst="$D_ROOT/src/D1"
	for ((rep = 1; rep <= D1_RUNS; rep++)); do
		t="$W/logs/ferryd.D1.$rep"
		fresh_dir "$dst"
		: >"$t.out"
		settle
		# The hub idle, and at a random point of its 250 ms loops.
		sleep "0.$((300 + RANDOM % 250))"
		J_T0=$(now_us)
		"$FERRY_BIN" send --from hq --to la --state "$D_HUB" "$src/one.bin" \
		    >"$t.out" 2>"$t.err" &
		first_byte "$dst/.one.bin.ferry-part" "$dst/one.bin" "$t.out"
		wait $!
		sub+=($((FB_SUB - J_T0))) fb+=($((FB_FIRST - J_T0)))
		fin+=($((FB_DONE - J_T0)))
		log "  D1 #$rep ferryd: submitted $(us_to_s $((FB_SUB - J_T0))) s," \
		    "first byte $(us_to_s $((FB_FIRST - J_T0))) s," \
		    "file complete $(us_to_s $((FB_DONE - J_T0))) s"
	done
	for ((rep = 1; rep <= D1_RUNS && HAVE_FERRY == 1; rep++)); do
		fresh_dir "$W/run/D1/ferry"
		settle
		ferry_recv_start "D1.$rep" "$W/run/D1/ferry" || continue
		mapfile -t sargs < <(ferry_send_args "D1.$rep" "$src")
		t0=$(now_us)
		"$PEER" "${sargs[@]}" >/dev/null 2>&1 &
		first_byte "$W/run/D1/ferry/.one.bin.ferry-part" \
		    "$W/run/D1/ferry/one.bin" ""
		wait $! "$RECV_PID"
		lfb+=($((FB_FIRST - t0))) lfin+=($((FB_DONE - t0)))
	done
	jq -nc --argjson n "$D1_RUNS" \
	    --argjson sub "$(printf '%s\n' "${sub[@]}" | jq -sc .)" \
	    --argjson fb "$(printf '%s\n' "${fb[@]}" | jq -sc .)" \
	    --argjson fin "$(printf '%s\n' "${fin[@]}" | jq -sc .)" \
	    --argjson lfb "$(printf '%s\n' "${lfb[@]}" | jq -sc .)" \
	    --argjson lfin "$(printf '%s\n' "${lfin[@]}" | jq -sc .)" '
	    def median: map(select(. > 0)) | sort | if length == 0 then null
	        else .[length / 2 | floor] end;
	    def ms: if . == null then null else (. / 100 | round) / 10 end;
	    {scenario: "D1", runs: $n,
	     desc: "one 4 KiB file, fresh: ferry send to its first byte at la",
	     submit_ms: ($sub | median | ms), first_byte_ms: ($fb | median | ms),
	     complete_ms: ($fin | median | ms),
	     first_byte_ms_all: ($fb | map(ms)),
	     lib_first_byte_ms: ($lfb | median | ms),
	     lib_complete_ms: ($lfin | median | ms),
	     target: "<= 50 ms from submit to the first byte (median)"}
	    | .met = (if .first_byte_ms == null then null
	              else .first_byte_ms <= 50 end)' >>"$W/daemon.jsonl"
	rm -rf "$dst" "$W/run/D1"
}

# D2: a job of D2_FILES files of one byte: how long it takes to submit and
# to finish, and the daemons' memory meanwhile (VmRSS sampled every 0.2 s,
# and VmHWM, the kernel's peak, reset before the job where allowed).
d2()
{
	local src="$W/data/D2" dst t i st=unknown n=0 hr=0 ar=0 v r ok=false
	local hwm_reset=true t1= tl hl al

	[ "$HAVE_FERRYD" = 1 ] || { log "  D2: $FERRYD_MISSING"; return; }
	data_tree D2 "$D2_FILES" 1 1000
	dst="$D_ROOT/data/D2"
	# Into a fresh ext4 mounted there, as S7 (bench/ext4.sh): on a
	# folder of the scratch file system each file would get a flush of
	# its own (receive-flush auto), and D2 would time that disk's fsync
	# (13 s to 39 s for the same run: docs/benchmarks.md, fourteenth
	# pass) more than the daemons.
	if [ "$EXT4_OK" = 1 ]; then
		ext4_fresh "$dst" $((D2_FILES + 32768)) ||
		    die "D2: cannot mount an ext4 image on $dst"
	else
		rm -rf "$dst"
	fi
	for i in "$HUB_PID" "$AGENT_PID"; do
		echo 5 2>/dev/null >"/proc/$i/clear_refs" || hwm_reset=false
	done
	settle
	if ! job_submit D2 "$src"; then
		wait "$J_PID" 2>/dev/null
		log "  D2: no job id: $(head -n 1 "$W/logs/ferryd.D2.err")"
		return
	fi
	wait "$J_PID"
	log "  D2: job $J_ID of $D2_FILES files submitted in $(us_to_s $((J_TSUB - J_T0))) s"
	tl=$(now_us)
	while :; do
		r=$(proc_kb "$HUB_PID" VmRSS) && [ "${r:-0}" -gt "$hr" ] && hr=$r
		r=$(proc_kb "$AGENT_PID" VmRSS) && [ "${r:-0}" -gt "$ar" ] && ar=$r
		if [ $((($(now_us) - tl) / 1000000)) -ge 1 ]; then
			tl=$(now_us)
			read -r st n < <(job_poll "$J_ID")
			case "$st" in
			done|failed|cancelled|paused) t1=$tl; break ;;
			esac
			[ $(((tl - J_T0) / 1000000)) -lt "$D2_TMO" ] || break
		fi
		nap 0.2
	done
	hl=$(proc_kb "$HUB_PID" VmHWM) al=$(proc_kb "$AGENT_PID" VmHWM)
	if [ -z "$t1" ]; then
		log "  D2: not done after $D2_TMO s ($n files done): cancelled"
		hub_cli cancel "$J_ID" >/dev/null 2>&1
		v="not finished in $D2_TMO s: $n of $D2_FILES files done"
	else
		v=$(verify_files "$src" "$dst")
		[ "$st" = "done" ] && ok=true
	fi
	# What one full listing of the job (`ferry job ID`, as `ferry send
	# --wait` asks twice a second) costs the hub.
	echo 5 2>/dev/null >"/proc/$HUB_PID/clear_refs"
	hub_cli job "$J_ID" --json >/dev/null 2>&1
	r=$(proc_kb "$HUB_PID" VmHWM)
	if [ "$EXT4_OK" = 1 ]; then
		ext4_settle
		rmdir "$dst" 2>/dev/null
	else
		rm -rf "$dst"
	fi
	log "  D2: $st, $n files done in $([ -n "$t1" ] &&
	    us_to_s $((t1 - J_T0)) || echo ">$D2_TMO") s; peak RSS hub $hr KB" \
	    "(HWM $hl), agent $ar KB (HWM $al); $v"
	jq -nc --argjson files "$D2_FILES" --argjson ok "$ok" --arg st "$st" \
	    --argjson n "$n" --arg verify "$v" \
	    --argjson sub "$(us_to_s $((J_TSUB - J_T0)))" \
	    --argjson fin "$(jnum "$([ -n "$t1" ] && us_to_s $((t1 - J_T0)))")" \
	    --argjson hr "$hr" --argjson ar "$ar" --argjson hl "$(jnum "$hl")" \
	    --argjson al "$(jnum "$al")" --argjson hj "$(jnum "$r")" \
	    --argjson reset "$hwm_reset" --slurpfile idle "$D_DIR/idle.json" \
	    --arg fs "$([ "$EXT4_OK" = 1 ] && echo "a fresh loop-mounted ext4" ||
	    echo "the scratch directory")" '
	    {scenario: "D2", files: $files, ok: $ok, state: $st, done_files: $n,
	     desc: "a job of \($files) files of 1 byte into \($fs): submit, done, daemon memory",
	     submit_s: $sub, done_s: $fin, verify: $verify,
	     idle: $idle[0],
	     hub_peak_rss_kb: $hr, agent_peak_rss_kb: $ar,
	     hub_hwm_kb: $hl, agent_hwm_kb: $al, hwm_reset: $reset,
	     hub_hwm_job_listing_kb: $hj,
	     target: ("hub RSS idle <= 16 MB (16384 KB); while tracking" +
	         " a 100,000-file job <= 64 MB (65536 KB)")}
	    | .met = ((.idle.hub_rss_kb // 1e9) <= 16384 and
	              ([.hub_peak_rss_kb, (if .hwm_reset then .hub_hwm_kb
	                else 0 end)] | max) <= 65536)' \
	    >>"$W/daemon.jsonl"
}

# The scenarios' results with the daemon path added: ferryd_* fields in
# S1, S2, S6, S7, S8 and S9 (medians of the runs that succeeded; the ratio is to
# ferry_s, the library path in the same run; the paired ratio is the
# median of each run's ratio to the library run just before it), then D1
# and D2.
daemon_results()
{
	jq --slurpfile runs "$W/runs.jsonl" --slurpfile d "$W/daemon.jsonl" '
	def median: map(select(. != null)) | sort |
	    if length == 0 then null
	    elif length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r4: if . == null then null else (. * 10000 | round) / 10000 end;
	map(. as $o
	  | [$runs[] | select(.scenario == $o.scenario and .tool == "ferryd")] as $all
	  | if ($all | length) == 0 then . else
	    ($all | map(select(.ok))) as $g
	    | ($g | map(.wall) | median) as $w
	    | . + {ferryd_s: ($w | r4),
	           ferryd_wait_s: ($g | map(.wait) | median | r4),
	           ferryd_submit_s: ($g | map(.submit) | median | r4),
	           ferryd_ratio: (if $w != null and $o.ferry_s != null
	                          then $w / $o.ferry_s | r4 else null end),
	           ferryd_ratio_paired: ($g | map(select(.lib_wall != null
	                                and .lib_wall > 0) | .wall / .lib_wall)
	                                | median | r4),
	           ferryd_wire_bytes: ($g | map(.wire) | median),
	           ferryd_cpu_s: ($g | map(.cpu) | median),
	           ferryd_poll_s: ($g | map(.poll) | max),
	           ferryd_runs: {runs: ($all | length), ok: ($g | length)},
	           ferryd_verify: (($all | map(select(.verify != "ok")
	                            | .verify) | first) // "ok"),
	           ferryd_error: (($all | map(select(.error != "") | .error) | first) // null),
	           ferryd_target: "<= 1.10 x ferry_s (the library path, same run)"}
	    | .ferryd_met = (if .ferryd_verify != "ok" then false
	                     elif .ferryd_ratio == null then null
	                     else .ferryd_ratio <= 1.10 end)
	    end) + $d'
}

daemon_table()
{
	local f=$1

	jq -e 'any(.[]; has("ferryd_s"))' "$f" >/dev/null && {
		printf '\nDaemon path (ferry send between ferryd hub and agent):\n'
		printf '%-4s %8s %8s %8s %7s %7s %10s %8s %6s  %s\n' scen \
		    ferry_s ferryd_s wait_s ratio paired wire submit_s cpu_s met
		jq -r '.[] | select(has("ferryd_s")) | [.scenario, .ferry_s,
		    .ferryd_s, .ferryd_wait_s, .ferryd_ratio,
		    .ferryd_ratio_paired, .ferryd_wire_bytes, .ferryd_submit_s,
		    .ferryd_cpu_s, .ferryd_met]
		    | map(if . == null then "-" else tostring end) | @tsv' "$f" |
		while IFS=$'\t' read -r sc fs ds ws ra rp w su c met; do
			printf '%-4s %8s %8s %8s %7s %7s %10s %8s %6s  %s\n' \
			    "$sc" "$fs" "$ds" "$ws" "$ra" "$rp" "$(hbytes "$w")" \
			    "$su" "$c" "$met"
		done
	}
	jq -r '.[] | select(.scenario == "D1") |
	    "D1: submit to first byte \(.first_byte_ms) ms (median of " +
	    "\(.runs); submitted at \(.submit_ms) ms, complete at " +
	    "\(.complete_ms) ms; ferry-peer: first byte " +
	    "\(.lib_first_byte_ms) ms); target <= 50 ms: \(.met)"' "$f"
	jq -r '.[] | select(.scenario == "D2") |
	    "D2: \(.files) files: submitted in \(.submit_s) s, \(.state) " +
	    "(\(.done_files) done) at \(.done_s) s; hub RSS idle " +
	    "\(.idle.hub_rss_kb) KB, peak \(.hub_peak_rss_kb) KB (HWM " +
	    "\(.hub_hwm_kb)); agent idle \(.idle.agent_rss_kb) KB, peak " +
	    "\(.agent_peak_rss_kb) KB; one full job listing: hub HWM " +
	    "\(.hub_hwm_job_listing_kb) KB; \(.verify); targets met: " +
	    "\(.met)"' "$f"
	printf 'load average now: %s\n' "$(cut -d ' ' -f 1-3 /proc/loadavg)"
	[ -n "$FERRYD_MISSING" ] && printf 'NOTE: daemon path: %s\n' "$FERRYD_MISSING"
	return 0
}
