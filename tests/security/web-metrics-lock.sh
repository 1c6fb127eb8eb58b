#!/bin/sh
# /metrics reads the whole tasks table (failures by reason, retries) while
# holding the hub's lock: 0.3 s a scrape with 2 million tasks, 1.8 s when
# they failed. Without a token anyone on the hub's machine may ask, so a
# loop of scrapes held the lock nearly all the time and the whole hub
# (links, dispatch, the local API) waited. The hub reads the store for
# its metrics at most once every few seconds, whoever asks.
. "${srcdir:-.}/tests/security/web-lock-lib.sh"
flood /metrics
# The figures are still right.
curl -sf "$W/metrics" >"$TMP/metrics" || fail "/metrics"
checks=$((checks + 1))
grep -qx 'ferry_retries_total 1000000' "$TMP/metrics" ||
    fail "retries: $(grep '^ferry_retries_total' "$TMP/metrics")"
finish
