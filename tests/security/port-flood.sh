#!/bin/sh
# Attack: the audit trail written for each word of a vendor. A crafted
# vendor publishing to hq is an end of the transfer but not the one told
# to listen (the hub listens), and announces a data port anyway
# (transfer.listening), 5,000 times at once. Each announcement from the
# wrong agent was refused (held: transfer-reorder.sh) with an
# audit record `port.refused` and a log line of its own: 5,000 rows in
# the hub's store (a disk flush each, under the dispatcher's lock) and
# as many more as the vendor liked, for the life of the store. As other
# refusals an agent can repeat, it must be recorded once a minute per
# agent.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
N=5000
sec_setup evil
# refused: the port.refused records in the hub's audit trail.
refused() {
	"$FERRY" audit --json --limit 0 --state "$HUB" |
	    jq '[.[] | select(.what == "port.refused")] | length'
}
head -c 100000 /dev/urandom >"$F/show/sh020/a.mov"
port='{"op":"transfer.listening","id":"@id","port":45191}'
evil_talk 60000 "$F/show/sh020/a.mov" 100000 --on "transfer.start=$port" --repeat "$N" --repeat-on transfer.start
run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/a.mov"
jid=$(tail -n1 "$TMP/out")
wait_grep '"op":"transfer.start"' "$TMP/evil.out" || fail "no transfer.start"
# Until the count settles (1 s without a new record), 30 s at most.
prev=-1 t0=$(date +%s)
while :; do
	sleep 1
	n=$(refused)
	[ "$n" != "$prev" ] || break
	prev=$n
	[ $(($(date +%s) - t0)) -lt 30 ] || break
done
echo "port.refused records for $N announcements: $n"
checks=$((checks + 1))
[ "$n" -ge 1 ] || fail "no port.refused record at all"
checks=$((checks + 1))
[ "$n" -le 2 ] || fail "$n port.refused records for $N announcements in $(($(date +%s) - t0)) s"
checks=$((checks + 1))
lines=$(grep -c 'port\.refused' "$HUB.log" 2>/dev/null || true)
[ "$lines" -le 10 ] || fail "$lines log lines of port.refused"
"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
stop_and_check
finish
