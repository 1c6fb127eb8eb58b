#!/bin/sh
# Running transfers carry on across a failover (issue 17,
# docs/operations.md "What carries on across a failover"). Two hubs on
# one PostgreSQL, agents la and ny (ny reachable, so la sends to it
# directly, not through a hub's relay). ROUNDS times (2), a large file
# goes from la to ny, rate-limited so that it spans the failover, and
# with a quarter of it arrived the active hub is killed with kill -9.
# Then:
# - the other hub takes over, both agents link to it (timed), and it
#   says the transfer carries on under it (both ends reported it);
# - the transfer finishes without a restart: one transfer for the job
#   in the sender's log, and the bytes it put on the wire are about the
#   file's size (a restart would resume: a second transfer, fewer);
# - the job is done exactly once (one 'done' notice, its task done
#   with no failed attempt), the file is identical at ny, no partial file.
# The killed hub comes back as the standby for the next round.
# tests/pg/carry-on-drop.sh does the same with the hub's machine
# dropping off the network.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl
ROUNDS=${ROUNDS:-2}
SIZE=${SIZE:-24000000}
[ -z "${KEEP_TMP:-}" ] || trap 'stop_daemons 2>/dev/null; pg_stop immediate; echo "kept $TMP" >&2' EXIT

pg_two_hubs

two_sites "$A"
enrol_agent la la-server
LA=$APID
enrol_agent ny ny-server
NY=$APID
kill "$LA" "$NY"
wait "$LA" "$NY" 2>/dev/null || true
# ny can be reached (127.0.0.3): la's transfers go to it directly.
echo "hub-standby 127.0.0.2:$port" >>"$TMP/la-server/ferryd.conf"
echo "source-address 127.0.0.4" >>"$TMP/la-server/ferryd.conf"
printf 'hub-standby 127.0.0.2:%s\nsource-address 127.0.0.3\npublic-address 127.0.0.3\n' \
    "$port" >>"$TMP/ny-server/ferryd.conf"
start_daemon "$TMP/la-server"
start_daemon "$TMP/ny-server"
wait_linked la-server
wait_linked ny-server
run 0 "$FERRY" site set ny --bwlimit 3M --state "$A"

jobs=""
job=0
times=""
wires=""
active=A
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	if [ $active = A ]; then dead=$A; live=$B; pid=$pid_A; next=B
	else dead=$B; live=$A; pid=$pid_B; next=A; fi
	big_send "$dead"
	before=$(grep -c "carries on under this hub" "$live.log" || true)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	t0=$(date +%s%N)
	HUB=$live
	wait_linked la-server
	wait_linked ny-server
	t1=$(date +%s%N)
	took=$(( (t1 - t0) / 1000000 ))
	times="$times $took"
	checks=$((checks + 1))
	[ "$took" -lt 10000 ] || fail "round $r: agents linked to the new hub after $took ms"
	carried_on "$live" "$before"
	echo "round $r: hub killed with $((SIZE / 4))+ bytes of $SIZE at ny; agents linked to the new hub in $took ms; transfer $xid carried on, $wire bytes on the wire" >&2
	# The killed one comes back as the standby.
	rm -f "$dead/ferryd.sock"
	"$FERRYD" run $ROOT_OK --state "$dead" >>"$dead.log" 2>&1 &
	if [ $next = B ]; then pid_A=$!; else pid_B=$!; fi
	pids="$pids $!"
	i=0
	until grep -q "standby: another hub is active" "$dead.log"; do
		i=$((i + 1)); [ $i -lt 600 ] || { fail "round $r: no standby"; break; }
		sleep 0.05
	done
	active=$next
done

for id in $jobs; do
	run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
	out_is "1"
done
checks=$((checks + 1))
[ -z "$(find "$N" -name '.*ferry-*')" ] || fail "partial files left at ny"
run 0 pg_psql "SELECT count(*) FROM claims"
out_is "0"
echo "carry-on over $ROUNDS kill -9 rounds: agents linked in$times ms; wire bytes$wires for $SIZE each" >&2

stop_and_check
# What the daemons said, when something failed (finish).
LOG_TAIL=25 finish
