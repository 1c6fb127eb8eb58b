#!/bin/sh
# Attack: forged figures from a transfer's own end. The hub counts what a
# transfer delivered and what crossed the wire (`ferry job`'s
# sent_bytes, wire_bytes, striped; /metrics' delivered and wire totals)
# from its ends' transfer.done, only from its ends since saved-forged.sh,
# but as they say. A crafted vendor publishing to hq, the sender of the
# transfer, reports it done at once with 2^63-1 bytes delivered, on the
# wire and striped, in two publishes of a 100,000-byte file: each job
# showed 9223372036854775807 bytes sent, and the hub's totals since its
# start overflowed (undefined in C; wrapped). A report is believed only
# up to what the transfer carries: its files' sizes (and the framing on
# the wire), the number of its files striped.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
need curl
webport=$(free_port 1)
HUB_CONF="web 127.0.0.1:$webport"
sec_setup evil
head -c 100000 /dev/urandom >"$F/show/sh020/a.mov"
M=9223372036854775807
done="{\"op\":\"transfer.done\",\"id\":\"@id\",\"ok\":true,\"bytes\":$M,\"wire_bytes\":$M,\"streams\":16,\"striped\":$M}"
evil_talk 60000 "$F/show/sh020/a.mov" 100000 --on "transfer.start=$done"
jids=
for k in 1 2; do
	run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/a.mov"
	jid=$(tail -n1 "$TMP/out")
	jids="$jids $jid"
	i=0
	until [ "$(grep -c '"op":"transfer.start"' "$TMP/evil.out")" -ge "$k" ]; do
		i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
	done
	sleep 1
	"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
done
for j in $jids; do
	run 0 "$FERRY" job "$j" --json --state "$HUB"
	checks=$((checks + 1))
	jq -e '(.sent_bytes // 0) <= 100000 and (.wire_bytes // 0) <= 2000000 and
	    (.striped // 0) <= 1' "$TMP/out" >/dev/null ||
	    fail "job $j: $(jq -c '{bytes, sent_bytes, wire_bytes, striped, streams}' "$TMP/out")"
done
curl -s "http://127.0.0.1:$webport/metrics" >"$TMP/metrics" || true
checks=$((checks + 1))
awk '$1 == "ferry_delivered_bytes_total" || $1 == "ferry_wire_bytes_total" {
    if ($2 < 0 || $2 > 4000000) bad = 1 } END { exit bad }' "$TMP/metrics" ||
    fail "/metrics: $(grep -E '^ferry_(delivered|wire)_bytes_total' "$TMP/metrics")"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
stop_and_check
finish
