#!/bin/sh
# Attack: a store write on the hub for each word of a vendor. A crafted
# vendor publishing to hq is the sender of its transfer, and each of its
# transfer.progress messages was a transaction in the hub's store (the
# task's and the job's bytes; SQLite with synchronous=FULL: a flush of
# the disk each), made under the dispatcher's lock, as fast as the
# vendor could send them; a real ferryd reports once a second. It sends
# 5,000 at once (well-formed: 1, 2, ... 5,000 bytes of its 100,000).
# The hub must take at most one a second a transfer: its write system
# calls (/proc/PID/io syscw) while the flood is handled stay near what
# the send itself costs, not four for each report (20,103 on main).
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
N=5000
sec_setup evil
[ -r "/proc/$HUBPID/io" ] || { echo "SKIP: no /proc/PID/io"; exit 77; }
syscw() { awk '$1 == "syscw:" { print $2 }' "/proc/$HUBPID/io"; }
head -c 100000 /dev/urandom >"$F/show/sh020/a.mov"
prog='{"op":"transfer.progress","id":"@id","index":0,"bytes":"@n"}'
evil_talk 60000 "$F/show/sh020/a.mov" 100000 --on "transfer.start=$prog" --repeat "$N" --repeat-on transfer.start
# What the send itself costs (the job, its plan, the transfer's start)
# counts too: a few dozen calls.
w0=$(syscw)
t0=$(date +%s)
run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/a.mov"
jid=$(tail -n1 "$TMP/out")
wait_grep '"op":"transfer.start"' "$TMP/evil.out" || fail "no transfer.start"
# Until the hub's writes settle: 1 s without one more than 20.
prev=$w0
while :; do
	sleep 1
	now=$(syscw)
	[ $((now - prev)) -gt 20 ] || break
	prev=$now
	[ $(($(date +%s) - t0)) -lt 50 ] || break
done
w1=$(syscw)
echo "write calls while $N progress reports were handled: $((w1 - w0)) in $(($(date +%s) - t0)) s"
run 0 "$FERRY" job "$jid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.tasks[0].done_bytes' "$TMP/out")" -gt 0 ] ||
    fail "the vendor's progress was not taken at all: $(jq -c '.tasks' "$TMP/out")"
checks=$((checks + 1))
[ $((w1 - w0)) -lt 500 ] ||
    fail "the hub made $((w1 - w0)) write calls for $N progress reports of one transfer"
"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
stop_and_check
finish
