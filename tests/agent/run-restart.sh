#!/bin/sh
# A hub's runs and transfer ids stay unique across its lives, whatever
# its clock does. Each start of the hub is a new run: the welcome tells
# agents its number, an agent whose hub comes back with another run
# stops what the last one had it run, reports what may carry on
# (hub-adopt.c), and the new run's transfer ids must never be an old
# run's. The run used to be the wall clock's second times 1000, so a hub
# killed and started again within one second was "the same run": agents
# kept running its transfers without reporting them, the new hub never
# took them over and queued them again after 30 s (adopt-flood.sh saw it
# one run in five), and an hour's step back of the clock gave the new run
# ids that the last one had handed out. The hub's clock is held still here
# by libfaketime (Debian's faketime), so that both starts fall in one
# second, then set an hour back.
. "${srcdir:-.}/tests/security/lib.sh"
need openssl
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
FAKELIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1)
if [ -z "$FAKELIB" ]; then
	[ "${CI:-}" != true ] || { fail "libfaketime is not installed"; finish; }
	echo "SKIP: no libfaketime (apt-get install faketime)"
	exit 77
fi
SIZE=12000000
la_ny_direct
run 0 "$FERRY" site set ny --bwlimit 2M --state "$HUB"

# hub_at TIME: kill -9 of the hub, then the hub again with its wall
# clock held at TIME (the monotonic clock runs: timers still work).
# An ASan build wants its runtime first; libfaketime comes first here.
hub_at() {
	kill -9 "$HUBPID"
	wait "$HUBPID" 2>/dev/null || true
	_n=$(grep -c "listening on" "$HUB.log")
	rm -f "$HUB/ferryd.sock"
	env LD_PRELOAD="$FAKELIB" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$FERRYD" run $ROOT_OK --state "$HUB" >>"$HUB.log" 2>&1 &
	HUBPID=$!
	pids="$pids $HUBPID"
	_i=0
	while [ "$(grep -c "listening on" "$HUB.log")" -le "$_n" ]; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || { fail "the hub did not start again"; return 1; }
		sleep 0.05
	done
}
# ids JOB: the transfer ids the hub's log gives job JOB, one a line.
ids() {
	sed -n "s/.*ferryd: transfer \([0-9]*\) (job $1).*/\1/p" "$HUB.log" |
	    sort -un
}

frozen=$(date -u -d "-5 seconds" "+%Y-%m-%d %H:%M:%S")
hub_at "$frozen"
wait_linked la-server
wait_linked ny-server
f="$S/show/big.mov"
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c "$SIZE" >"$f"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$f"
id=$(tail -n1 "$TMP/out")
# A quarter through (the partial file is allocated whole at once: its
# blocks, not its size, say how much arrived).
p="$N/show/.big.mov.ferry-part" i=0
until [ -f "$p" ] && [ "$(($(stat -c %b "$p") * 512))" -ge $((SIZE / 4)) ]; do
	i=$((i + 1)); [ $i -lt 400 ] || { fail "no transfer under way"; break; }
	sleep 0.05
done

# Started again within the same (held) second: a new run all the same.
hub_at "$frozen"
checks=$((checks + 1))
wait_grep "carries on under this hub" "$HUB.log" ||
    fail "the hub started again in the same second did not take over the running transfer: $(grep "transfer" "$HUB.log" | tail -n 3)"
run 0 timeout 60 "$FERRY" job "$id" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$f" "$N/show/big.mov" || fail "big.mov differs at ny"
checks=$((checks + 1))
n=$(ids "$id" | wc -l)
[ "$n" -eq 1 ] || fail "job $id ran as $n transfers, not 1 carried on: $(ids "$id" | tr '\n' ' ')"
last=$(ids "$id" | tail -n1)

# Again in that second, and then an hour before it: each run's first
# transfer id is above every id handed out before.
for when in "$frozen" "$(date -u -d "$frozen UTC -1 hour" "+%Y-%m-%d %H:%M:%S")"; do
	hub_at "$when"
	wait_linked la-server
	wait_linked ny-server
	head -c 1000 /dev/urandom >"$S/show/small.$last"
	run 0 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/small.$last"
	job=$(tail -n1 "$TMP/out")
	run 0 timeout 60 "$FERRY" job "$job" --wait --state "$HUB"
	checks=$((checks + 1))
	next=$(ids "$job" | head -n1)
	[ -n "$next" ] && [ "$next" -gt "$last" ] ||
	    fail "with the hub's clock at $when, job $job's transfer is ${next:-none}, not above the last run's $last"
	last=${next:-$last}
done
checks=$((checks + 1))
[ ! -e "$p" ] || fail "a partial file is left at ny"
stop_and_check
finish
