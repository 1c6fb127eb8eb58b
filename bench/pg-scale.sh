#!/bin/sh
# bench/pg-scale.sh [BUILD_DIR]: bench/scale.py's "jobs" (JOBS, 10,000,
# queued: `ferry jobs` latency, submit to first byte, before and after)
# and "fleet" (AGENTS, 500, real agents connected: the hub's RSS, CPU,
# open files; then FLEET_JOBS, 500, small jobs across them), each on
# SQLite and then on PostgreSQL, in one run (issue 17; docs/
# benchmarks.md, "The hub's store on PostgreSQL"). PostgreSQL is started
# by tests/pg/lib.sh (Debian's, in a scratch directory, on a unix socket,
# fsync off), one fresh database per scenario. Each result is a line of
# JSON appended to OUT (bench/results-scale.jsonl), with "store" and the
# load average before and after (BACKENDS: one of them only). Run it in
# a network namespace of its own (the agents use 127.1.x.y):
#   unshare -n sh -c 'ip link set lo up && bench/pg-scale.sh'
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$here/build/dev}" && pwd)
export srcdir="$here" top_builddir="$B" FERRY="$B/ferry" FERRYD="$B/agent/ferryd"
JOBS=${JOBS:-10000}
AGENTS=${AGENTS:-500}
FLEET_JOBS=${FLEET_JOBS:-500}
OUT=${OUT:-$here/bench/results-scale.jsonl}
. "$here/tests/agent/lib.sh"
. "$here/tests/pg/lib.sh"
pg_start

for what in ${WHAT:-jobs fleet}; do
	for be in ${BACKENDS:-sqlite postgresql}; do
		set -- "$what" --build "$B" --workdir "$TMP/w" \
		    --datadir "/dev/shm/ferry-pg-scale-$$" --json "$OUT"
		if [ $what = jobs ]; then set -- "$@" --jobs "$JOBS"
		else set -- "$@" --agents "$AGENTS" --jobs "$FLEET_JOBS"; fi
		if [ $be = postgresql ]; then
			pg_createdb "bench_$what"
			set -- "$@" --store "$(pg_url "bench_$what")" \
			    --store-password-file "$PG_PASSFILE"
		fi
		echo "== $what on $be" >&2
		python3 "$here/bench/scale.py" "$@" >"$TMP/$what-$be.json"
		jq -c '{store, scenario, load_before, load_after}' \
		    "$TMP/$what-$be.json" >&2
		[ $be = sqlite ] || pg_psql "SELECT pg_size_pretty(\
pg_database_size('bench_$what'))" | sed 's/^/database size: /' >&2
	done
done
pg_stop
