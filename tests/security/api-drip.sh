#!/bin/sh
# Attack: stalling the local API. Local clients (the same uid) send a
# request one byte every 400 ms, never finishing it. `ferry status` must
# still answer at once, and each dripping client is dropped when its
# whole request has not come within 5 s, with an audit record.
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
for n in 1 2 3; do
	"$EVIL" drip "$HUB/ferryd.sock" --every 400 --hold 20 \
	    >"$TMP/drip$n.out" 2>&1 &
	pids="$pids $!"
done
for n in 1 2 3; do
	wait_grep dripping "$TMP/drip$n.out"
done
sleep 1
i=0
while [ $i -lt 3 ]; do
	run 0 timeout 2 "$FERRY" status --state "$HUB"
	sleep 1
	i=$((i + 1))
done
# Dropped within the deadline, long before they are done dripping.
for n in 1 2 3; do
	wait_grep "^cut" "$TMP/drip$n.out" ||
	    fail "dripping client $n was not dropped: $(cat "$TMP/drip$n.out")"
done
audit_has api.dropped uid
finish
