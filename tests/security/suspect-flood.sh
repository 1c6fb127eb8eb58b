#!/bin/sh
# Attack: the audit trail filled by a vendor's suspect reports. An agent
# reports what broke the rules in a transfer it takes part in
# (transfer.suspect {id, path, why}: a refused entry, a dropped setuid
# bit), and the hub keeps the first 32 of a transfer in its audit trail
# and its log. A crafted vendor publishing to hq sends 32 of them with
# 8,000-byte texts on each transfer.start, and ends the transfer at once
# (transfer.done, failed), for 6 publishes in a few seconds: 192 records
# of 16 KB, and as many more as it liked (a publish is a transfer), so
# its words filled the hub's disk at megabytes a second. What an agent
# reports is kept 32 a minute per agent at most, each text cut to
# 1,024 bytes.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
sec_setup evil
long=$(head -c 8000 /dev/zero | tr '\0' x)
head -c 1000 /dev/urandom >"$F/show/sh020/a.mov"
sus="{\"op\":\"transfer.suspect\",\"id\":\"@id\",\"path\":\"show/sh020/$long\",\"why\":\"$long\"}"
done='{"op":"transfer.done","id":"@id","ok":false,"error":"gone"}'
evil_talk 60000 "$F/show/sh020/a.mov" 1000 --on "transfer.start=$sus" --on "transfer.start=$done" --repeat 32 --repeat-on transfer.start
k=0
while [ $k -lt 6 ]; do
	run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/a.mov"
	jid=$(tail -n1 "$TMP/out")
	i=0
	until [ "$(grep -c '"op":"transfer.start"' "$TMP/evil.out")" -gt "$k" ]; do
		i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
	done
	"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
	k=$((k + 1))
done
starts=$(grep -c '"op":"transfer.start"' "$TMP/evil.out")
sleep 2
"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit"
n=$(jq '[.[] | select(.what == "transfer.suspect")] | length' "$TMP/audit")
bytes=$(jq '[.[] | select(.what == "transfer.suspect") | .detail | tostring | length] | add // 0' "$TMP/audit")
echo "transfer.suspect: $n records, $bytes bytes, for $starts transfers"
checks=$((checks + 1))
[ "$starts" -ge 2 ] || fail "only $starts transfers started"
checks=$((checks + 1))
[ "$n" -ge 1 ] || fail "no suspect recorded at all"
checks=$((checks + 1))
[ "$n" -le 32 ] || fail "$n suspect records from one agent in a few seconds"
checks=$((checks + 1))
[ "$bytes" -le $((32 * 2500)) ] || fail "$bytes bytes of suspect records"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
stop_and_check
finish
