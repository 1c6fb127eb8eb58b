#!/bin/sh
# The event-hub client over real sockets, against the ftrack double:
# tests/ftrack/hub-client publishes, subscribes and replies between two C
# clients and the double's web UI, runs with heartbeats shortened to
# 200 ms and then stopped, survives the double dropping every socket
# (three ways), and meets a wrong key and an unreachable server. No API
# key may appear in anything it prints.
. "${srcdir:-.}/tests/cli/lib.sh"
. "${srcdir:-.}/tests/ftrack-double/lib.sh"

CLIENT=${FTRACK_HUB_CLIENT:-tests/ftrack/hub-client}
KEY=ferry-double-api-key

double_need
trap 'double_stop; rm -rf "$TMP"' EXIT
# Loopback must not go through a proxy the caller may have set.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
no_proxy=127.0.0.1,localhost
export no_proxy

double_start
FTRACK_SERVER=$DOUBLE_URL
FTRACK_API_USER=ferry
FTRACK_API_KEY=$KEY
export FTRACK_SERVER FTRACK_API_USER FTRACK_API_KEY

run 0 "$CLIENT"
cat "$TMP/err" >"$TMP/all-err"
# The client's own count, for the log.
tail -n 1 "$TMP/err" >&2

checks=$((checks + 1))
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" \
    "$TMP/all-err"; then
	fail "a sanitizer reported:"
	grep -A12 "ERROR: \|runtime error" "$TMP/all-err" | head -40 >&2
fi
checks=$((checks + 1))
if grep -F -e "$KEY" -e wrong-key-1234 "$TMP/all-err" >/dev/null; then
	fail "an API key was printed:"
	grep -F -e "$KEY" -e wrong-key-1234 "$TMP/all-err" | sed 's/^/  | /' >&2
fi
finish
