#!/bin/sh
# Attack: a vendor's word on its files' sizes. A crafted vendor
# publishing to hq answers the hub's listing with a size of 2^63-1 bytes
# for its 100,000-byte file, then sends the file as it is, in two
# publishes. The size a listing gives is a claim: each job showed
# bytes 2^63-1 and done_bytes -2^63 (its counter wrapped), and the
# hub summed the sizes in C (undefined past 2^63). A size no file may
# have is refused, naming the file; a job taken counts no more than
# arrived, and /metrics (the jobs' done bytes summed per destination)
# still answers.
. "${srcdir:-.}/tests/security/data-lib.sh"
need curl
webport=$(free_port 1)
HUB_CONF="web 127.0.0.1:$webport"
sec_setup evil
curl -sf "http://127.0.0.1:$webport/metrics" >"$TMP/metrics" ||
    fail "/metrics before the attack: $(cat "$TMP/metrics")"
head -c 100000 /dev/urandom >"$F/show/sh020/a.mov"
# Each publish: refused naming the file and the bound, or taken and then
# counting no more than arrived (checked below).
jids=
for k in 1 2; do
	evil_data_start --list-size 9223372036854775807
	if "$FERRY" send --from "$V" --to hq --state "$HUB" \
	    "$F/show/sh020/a.mov" >"$TMP/out" 2>"$TMP/err"; then
		jid=$(tail -n1 "$TMP/out")
		jids="$jids $jid"
		wait "$epid" 2>/dev/null || true
		i=0
		until "$FERRY" job "$jid" --json --state "$HUB" | jq -e \
		    '.tasks[0].state == "done" or .tasks[0].error != null' \
		    >/dev/null 2>&1; do
			i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
		done
		"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
	else
		checks=$((checks + 1))
		grep -q "a.mov: a size of 9223372036854775807 bytes, more than a file may have" \
		    "$TMP/err" || fail "publish $k refused, but not for the size: $(cat "$TMP/err")"
		kill "$epid" 2>/dev/null || true
		wait "$epid" 2>/dev/null || true
	fi
done
for j in $jids; do
	run 0 "$FERRY" job "$j" --json --state "$HUB"
	cp "$TMP/out" "$TMP/job$j"
	checks=$((checks + 1))
	jq -e '.done_bytes >= 0 and .done_bytes <= 100000 and
	    all(.tasks[]; .done_bytes <= 100000)' "$TMP/job$j" >/dev/null ||
	    fail "job $j counts more bytes done than arrived: $(jq -c '{bytes, done_bytes, tasks: [.tasks[] | {state, size, done_bytes, error}]}' "$TMP/job$j")"
done
checks=$((checks + 1))
curl -s -o "$TMP/metrics" -w '%{http_code}' \
    "http://127.0.0.1:$webport/metrics" >"$TMP/code" || true
[ "$(cat "$TMP/code")" = 200 ] ||
    fail "/metrics after the forged sizes: $(cat "$TMP/code") $(head -c 400 "$TMP/metrics")"
stop_and_check
finish
