#!/bin/sh
# A transfer carried on under a hub started again (hub-adopt.c) keeps
# its files' reports within max-agent-messages (hub.c): the hub gives
# a link a message a file of each transfer it starts on it, and must do
# the same for one it takes over, or the ends' per-file reports after a
# restart are a flood and their links are cut. With max-agent-messages
# 1 (a burst of 10) and 100 files of 10 KB going from la to ny at
# 100 KB/s, the hub is killed (-9) 3 s in and started again: the
# transfer carries on, no link is cut, and every file arrives.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
HUB_CONF="max-agent-messages 1" la_ny_direct
run 0 "$FERRY" site set ny --bwlimit 100K --state "$HUB"
mkdir -p "$S/show/many"
i=0
while [ $i -lt 100 ]; do
	head -c 10000 /dev/urandom >"$S/show/many/f$i.exr"
	i=$((i + 1))
done
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/many"
id=$(tail -n1 "$TMP/out")
# A third of the way: the files are put in place as the transfer ends.
wait_grep "(job $id): " "$HUB.log" || fail "no transfer started"
sleep 3
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$HUB"
HUBPID=$DPID
run 0 "$FERRY" job "$id" --wait --state "$HUB"
log_has "$HUB.log" "carries on under this hub"
checks=$((checks + 1))
! grep -q "'s link from .*max-agent-messages" "$HUB.log" ||
    fail "a link was cut: $(grep "max-agent-messages" "$HUB.log")"
checks=$((checks + 1))
[ "$(ls "$N/show/many" | grep -c '^f')" -eq 100 ] ||
    fail "$(ls "$N/show/many" | grep -c '^f') of 100 files arrived"
finish
