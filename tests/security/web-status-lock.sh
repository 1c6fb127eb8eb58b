#!/bin/sh
# What the status page polls, /api/status.json, asks for the newest 500
# jobs, and for each running or failed one the hub walked its tasks to the
# first error: a running job of two million files without one took 1.1 s
# under the hub's lock, every poll of every open page, and without a token
# anyone on the hub's machine may poll. The first error is found through
# an index of the tasks that have one.
. "${srcdir:-.}/tests/security/web-lock-lib.sh"
flood /api/status.json
# The page still says what it said.
curl -sf "$W/api/status.json" >"$TMP/status" || fail "/api/status.json"
checks=$((checks + 1))
jq -e '.jobs[0].id == 1 and .jobs[0].done_files == 0' "$TMP/status" >/dev/null ||
    fail "status: $(head -c 300 "$TMP/status")"
finish
