#!/bin/sh
# Attack: slow-sender.sh against the hub itself. A crafted vendor
# publishes a file to the hub's own site (hq): the hub is the receiver.
# On its data streams it sends the header of a frame and then one byte
# of it a second, each in its own TLS record, and tells the hub "still
# at work" every second: the streams' 60 s idle timeout sees life, and
# the hub's stall-timeout (300 s) believes the sender's progress, so the
# transfer is the vendor's for as long as it likes (the frame alone
# lasts 4096 s), holding a thread, descriptors and the task. A site
# agent receiving from a person's machine cuts it (recv-min-rate); the
# hub receiving from one must too: fewer than recv-min-rate file bytes a
# second over a window (recv-rate-window 10 here; a minute by default),
# and the streams are shut, the reason logged and the task failed (to
# be retried), no file of the vendor's under its name. Before the fix the task was still running 110 s later, its
# done_bytes the vendor's word (1).
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL_DATA:?EVIL_DATA must name evil-data (make check sets it)}"
HUB_CONF="retry-base 3600
recv-rate-window 10" sec_setup evil
head -c 200000 /dev/urandom >"$F/show/sh020/new.mov"

evil_data_start --drip 150000
run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/new.mov"
jid=$(tail -n1 "$TMP/out")
evil_dripping

# Cut a window (10 s) after the transfer began (plus the watch's second), not
# when the vendor stops dripping 150 s later.
t0=$(date +%s)
cut="from the sender in the last 10 s, less than recv-min-rate 1024 bytes/s: cut"
until grep -q "$cut" "$HUB.log" 2>/dev/null; do
	[ $(($(date +%s) - t0)) -lt "$(slow 110)" ] || break
	sleep 1
done
checks=$((checks + 1))
grep -q "$cut" "$HUB.log" ||
    fail "the hub still takes the vendor's drip $(($(date +%s) - t0)) s after it began ($(tail -n1 "$TMP/evil.out")): the transfer is the vendor's"
grep -q "$cut" "$HUB.log" && echo "cut $(($(date +%s) - t0)) s after the drip began"
# The task carries the reason (retry-base keeps it from being retried).
i=0
until "$FERRY" job "$jid" --json --state "$HUB" |
    jq -e '.tasks[0].error // "" | contains("recv-min-rate")' >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 "$FERRY" job "$jid" --json --state "$HUB"
checks=$((checks + 1))
jq -e '.tasks[0].error // "" | contains("recv-min-rate")' "$TMP/out" >/dev/null ||
    fail "the task's error does not say why: $(jq -c '.tasks' "$TMP/out")"
checks=$((checks + 1))
[ "$(jq -r '.tasks[0].state' "$TMP/out")" != done ] ||
    fail "the task is done: $(jq -c '.tasks' "$TMP/out")"
"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
checks=$((checks + 1))
[ ! -e "$S/show/sh020/new.mov" ] || fail "new.mov is at hq under its name"
kill "$epid" 2>/dev/null || true
stop_and_check
finish
