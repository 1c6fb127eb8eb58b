#!/bin/bash
# bench/relay.sh: a job's throughput through the hub's relay against the
# same job sent directly, in the same run, on loopback. A hub (127.0.0.1)
# and two site agents, la (127.0.0.2) and ny (127.0.0.4); ny is made
# reachable (`ferry site set ny --address 127.0.0.4`: la connects to ny's
# data port) or not (`--address none`: both connect out to the hub, which
# splices), run after run, alternating, so that both see the same load.
# A benchmark, not a test: it prints a Markdown table and never fails on
# a number (docs/benchmarks.md, "The relay through the hub").
#
#   bench/relay.sh [--build DIR] [--size MIB] [--repeat N] [--workdir DIR]
#
# Run it in a network namespace of its own where ports are shared:
#   unshare -n sh -c 'ip link set lo up && bench/relay.sh'
set -eu
export LC_ALL=C

BUILD=build/dev
SIZE=256
REPEAT=3
W=${TMPDIR:-/tmp}/ferry-bench-relay
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--workdir) W=$2; shift 2 ;;
	*) echo "usage: bench/relay.sh [--build DIR] [--size MIB]" \
	    "[--repeat N] [--workdir DIR]" >&2; exit 2 ;;
	esac
done
FERRYD=$BUILD/agent/ferryd
FERRY=$BUILD/ferry
for x in "$FERRYD" "$FERRY" jq; do
	command -v "$x" >/dev/null ||
	    { echo "bench/relay.sh: $x is missing (build first)" >&2; exit 1; }
done
ROOT_OK=
[ "$(id -u)" != 0 ] || ROOT_OK=--allow-root

rm -rf "$W"
mkdir -p -m 0700 "$W"
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait; }
trap cleanup EXIT
PORT=$((21000 + RANDOM % 9000))
HUB=$W/hub

start() {
	"$FERRYD" run $ROOT_OK --state "$1" >>"$1.log" 2>&1 &
	PIDS="$PIDS $!"
	until [ -S "$1/ferryd.sock" ]; do sleep 0.05; done
}
linked() {
	until "$FERRY" status --json --state "$HUB" |
	    jq -e ".agents[\"$1\"]" >/dev/null; do sleep 0.1; done
}
enrol() {
	code=$("$FERRY" invite --site "$2" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$PORT" "$code" --state "$W/$1" --name "$1" \
	    --source-address "$3" >/dev/null
	start "$W/$1"
	linked "$1"
}

"$FERRYD" init --hub --site hq --listen "127.0.0.1:$PORT" --state "$HUB" \
    >/dev/null
start "$HUB"
HUBPID=${PIDS##* }
mkdir -p "$W/la/show" "$W/ny" "$W/hq"
enrol la-server la 127.0.0.2
enrol ny-server ny 127.0.0.4
cat >"$W/map.json" <<JSON
{ "shares": { "storage": { "linux": "$W/hq",
  "sites": { "la": { "linux": "$W/la" }, "ny": { "linux": "$W/ny" } } } } }
JSON
"$FERRY" share import "$W/map.json" --state "$HUB" >/dev/null
head -c $((SIZE * 1048576)) /dev/urandom >"$W/la/show/f.bin"

# The hub's CPU time so far, in clock ticks (utime + stime, all threads).
hub_ticks() {
	local s
	read -r s <"/proc/$HUBPID/stat"
	set -- ${s##*) }
	echo $(( ${12} + ${13} ))
}

# one MODE: sends f.bin from la to ny, fresh; prints the seconds it took
# and the hub's CPU seconds meanwhile.
one() {
	local t0 t1 c0 c1
	rm -rf "$W/ny/show"
	if [ "$1" = direct ]; then
		"$FERRY" site set ny --address 127.0.0.4 --state "$HUB" >/dev/null
	else
		"$FERRY" site set ny --address none --state "$HUB" >/dev/null
	fi
	sync
	c0=$(hub_ticks)
	t0=$(date +%s.%N)
	"$FERRY" send --from la --to ny --wait --state "$HUB" \
	    "$W/la/show/f.bin" >/dev/null 2>&1
	t1=$(date +%s.%N)
	c1=$(hub_ticks)
	cmp -s "$W/la/show/f.bin" "$W/ny/show/f.bin" ||
	    { echo "bench/relay.sh: $1: the copy differs" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.2f/%.2f\n", b - a, c / hz }'
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 }
    END { print v[int((NR + 1) / 2)] }'; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
D= R= DC= RC=
for i in $(seq "$REPEAT"); do
	v=$(one direct); D="$D ${v%/*}"; DC="$DC ${v#*/}"
	v=$(one relay); R="$R ${v%/*}"; RC="$RC ${v#*/}"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
grep -q "through the hub's relay" "$HUB.log" ||
    { echo "bench/relay.sh: the hub never relayed" >&2; exit 1; }
md=$(echo "$D" | median)
mr=$(echo "$R" | median)
echo "$SIZE MiB from la to ny, $REPEAT runs each, alternating;" \
    "load average $load0 before, $load1 after ($(nproc) cores)"
echo
echo "| path | median (s) | MiB/s | runs (s) | the hub's CPU (s) |"
echo "| --- | --- | --- | --- | --- |"
for m in direct relay; do
	if [ $m = direct ]; then v=$md; runs=$D; c=$DC
	else v=$mr; runs=$R; c=$RC; fi
	printf '| %s | %s | %.0f | %s | %s |\n' "$m" "$v" \
	    "$(awk -v s="$SIZE" -v t="$v" 'BEGIN { print s / t }')" \
	    "$(echo $runs | sed 's/ /, /g')" "$(echo $c | sed 's/ /, /g')"
done
echo
awk -v d="$md" -v r="$mr" 'BEGIN { printf "relayed / direct: %.0f %%\n", 100 * d / r }'
