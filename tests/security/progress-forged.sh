#!/bin/sh
# Attack: a vendor's progress beyond its file. A crafted vendor
# publishing to the hub's own site is the sender of the transfer, and its
# word about its own progress (transfer.progress {id, index, bytes}) went
# into the task and the job as it came: bytes were only checked to be a
# whole number >= 0, never against the file's size. The vendor says
# 2^63-1 bytes of its 100,000-byte file are done, in two publishes, and
# never connects: `ferry job` showed 9223372036854775807 done bytes of
# 100,000 (kept after the job was cancelled: a failed or cancelled task
# keeps its bytes), and the hub's /metrics summed the jobs' done bytes
# per destination in SQL, where two such jobs overflow: the whole page
# failed for every scrape after. A report beyond the file's size is
# refused (the hub knows each file's size from the plan it sent).
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
need curl
webport=$(free_port 1)
HUB_CONF="web 127.0.0.1:$webport"
sec_setup evil
curl -sf "http://127.0.0.1:$webport/metrics" >"$TMP/metrics" ||
    fail "/metrics before the attack: $(cat "$TMP/metrics")"
head -c 100000 /dev/urandom >"$F/show/sh020/a.mov"
prog='{"op":"transfer.progress","id":"@id","index":0,"bytes":9223372036854775807}'
evil_talk 40000 "$F/show/sh020/a.mov" 100000 --on "transfer.start=$prog"
jids=
for k in 1 2; do
	run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" "$F/show/sh020/a.mov"
	jids="$jids $(tail -n1 "$TMP/out")"
done
# Both transfers started, the progress sent (the hub waits for the
# vendor's data connection meanwhile): give the reports time to land.
i=0
until [ "$(grep -c '"op":"transfer.start"' "$TMP/evil.out")" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "no two transfer.start: $(cat "$TMP/evil.out")"
	[ $i -lt 200 ] || break
	sleep 0.1
done
sleep 2
for j in $jids; do
	run 0 "$FERRY" job "$j" --json --state "$HUB"
	checks=$((checks + 1))
	jq -e '.done_bytes <= .bytes and all(.tasks[]; .done_bytes <= .size)' \
	    "$TMP/out" >/dev/null ||
	    fail "job $j: more bytes done than its file has: $(jq -c '{bytes, done_bytes, tasks: [.tasks[] | {size, done_bytes}]}' "$TMP/out")"
done
checks=$((checks + 1))
curl -s -o "$TMP/metrics" -w '%{http_code}' \
    "http://127.0.0.1:$webport/metrics" >"$TMP/code" || true
[ "$(cat "$TMP/code")" = 200 ] &&
    grep -q '^ferry_moved_bytes_total{.*hq' "$TMP/metrics" ||
    fail "/metrics after the forged progress: $(cat "$TMP/code") $(head -c 400 "$TMP/metrics")"
for j in $jids; do
	"$FERRY" cancel "$j" --state "$HUB" >/dev/null 2>&1 || true
done
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
stop_and_check
finish
