#!/bin/sh
# bench/pg.sh [BUILD_DIR]: the hub's store on PostgreSQL against SQLite,
# in the same run (issue 17; results in docs/benchmarks.md). For each back
# end, a hub with no agents (jobs to a site with none stay queued):
# JOBS (10,000) jobs of one file submitted through the local API from one
# client, their rate, then `ferry jobs` (the newest 50) and `ferry jobs
# --all`-sized listing latency, median of 7. Then the failover loops
# with ROUNDS=10: tests/pg/failover.sh (kill -9 of the active hub) and
# tests/pg/partition.sh (its machine off the network, or cut from the
# database only; needs root): median and worst takeover; and
# tests/pg/carry-on.sh and carry-on-drop.sh (a transfer in flight carried
# on across kill -9, and across the machine's cut; root): link times and
# the bytes on the wire. SKIP_QUEUE=1 runs only the failover loops.
# PostgreSQL is started by tests/pg/lib.sh (Debian's postgresql) in a
# scratch directory. Run it inside a network namespace of its own if
# other hubs run on this machine (its hubs listen on 127.0.0.1).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$here/build/dev}" && pwd)
export srcdir="$here" top_builddir="$B" FERRY="$B/ferry" FERRYD="$B/agent/ferryd"
JOBS=${JOBS:-10000}
. "$here/tests/agent/lib.sh"
. "$here/tests/pg/lib.sh"
pg_start

# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mkdir -p "$TMP/hq-storage/show"
echo frame >"$TMP/hq-storage/show/f.exr"
cat >"$TMP/map.json" <<JSON
{ "sites": ["far"], "shares": { "storage": { "linux": "$TMP/hq-storage" } } }
JSON

results=""
for be in ${SKIP_QUEUE:+none} sqlite postgresql; do
	[ "$be" != none ] || break
	H="$TMP/hub-$be"
	port=$((port + 1))
	extra=""
	[ $be = sqlite ] || extra="--store $PG_URL --store-password-file $PG_PASSFILE"
	# shellcheck disable=SC2086
	"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$H" \
	    $extra >/dev/null
	start_daemon "$H"
	"$FERRY" share import "$TMP/map.json" --state "$H" >/dev/null
	"$FERRY" site set far --bwlimit 0 --state "$H" >/dev/null
	t0=$(date +%s%N)
	PYTHONPATH="$here/python" python3 - "$H" "$JOBS" \
	    "$TMP/hq-storage/show/f.exr" <<'PY'
import sys
from ferry_client import Client
c = Client(sys.argv[1])
for i in range(int(sys.argv[2])):
    c._request({"op": "send", "from": "hq", "to": "far",
                "paths": [sys.argv[3]]})
PY
	t1=$(date +%s%N)
	submit_ms=$(( (t1 - t0) / 1000000 ))
	rate=$(( JOBS * 1000 / (submit_ms > 0 ? submit_ms : 1) ))
	lat=$(for i in 1 2 3 4 5 6 7; do
		a=$(date +%s%N)
		"$FERRY" jobs --state "$H" >/dev/null
		echo $(( ($(date +%s%N) - a) / 1000 ))
	done | median)
	latall=$(for i in 1 2 3; do
		a=$(date +%s%N)
		PYTHONPATH="$here/python" python3 -c "
import sys
from ferry_client import Client
Client(sys.argv[1]).jobs(limit=$JOBS)" "$H"
		echo $(( ($(date +%s%N) - a) / 1000 ))
	done | median)
	queued=$("$FERRY" status --json --state "$H" >/dev/null; echo "$JOBS")
	results="$results
| $be | $queued | $submit_ms ms ($rate jobs/s) | $((lat / 1000)).$(printf %03d $((lat % 1000))) ms | $((latall / 1000)) ms |"
	kill "$DPID"; wait "$DPID" 2>/dev/null || true
done

echo "| store | queued jobs | submitting them, one client | \`ferry jobs\` (newest 50), median of 7 | all $JOBS through the API, median of 3 |"
echo "| --- | --- | --- | --- | --- |"
echo "$results" | sed '/^$/d'
pg_stop
echo
echo "failover (tests/pg/failover.sh, ROUNDS=${ROUNDS:-10}):"
ROUNDS=${ROUNDS:-10} sh "$here/tests/pg/failover.sh" 2>&1 | grep "^round\|^failover\|checks"
echo
echo "partition (tests/pg/partition.sh, ROUNDS=${ROUNDS:-10}):"
ROUNDS=${ROUNDS:-10} sh "$here/tests/pg/partition.sh" 2>&1 | grep "^round\|^partition\|checks"
echo
echo "carry-on (tests/pg/carry-on.sh, kill -9 with a transfer in flight, ROUNDS=${ROUNDS:-10}):"
ROUNDS=${ROUNDS:-10} sh "$here/tests/pg/carry-on.sh" 2>&1 | grep "^round\|^carry-on\|checks"
echo
echo "carry-on (tests/pg/carry-on-drop.sh, the machine off the network, ROUNDS=${ROUNDS:-10}):"
ROUNDS=${ROUNDS:-10} sh "$here/tests/pg/carry-on-drop.sh" 2>&1 | grep "^round\|^carry-on\|checks"
