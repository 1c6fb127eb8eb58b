#!/bin/sh
# Resolution and registration against the ftrack double:
# tests/ftrack/resolve-client (versions, tasks, shots, sequences, projects
# and components; latest only; bases; errors; request counts;
# registration), then ftrack/tools/ftrack-resolve, the tool bench/ftrack uses,
# on sh010's plate v002, against a double that de-duplicates its answers
# across each batch and ignores ftrack-api-options. Nothing printed shows
# the API key.
. "${srcdir:-.}/tests/lib.sh"
. "${srcdir:-.}/tests/ftrack-double/lib.sh"

CLIENT=${FTRACK_RESOLVE_CLIENT:-tests/ftrack/resolve-client}
RESOLVE=${FTRACK_RESOLVE:-ftrack/tools/ftrack-resolve}
KEY=ferry-double-api-key
V002=3af2c6c7-cf8c-5aab-ae53-09c764ba7db2

double_need
trap 'double_stop; rm -rf "$TMP"' EXIT
# Loopback must not go through a proxy the caller may have set.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
no_proxy=127.0.0.1,localhost
export no_proxy
unset FTRACK_APIKEY FERRY_STATE

# As an older server: de-duplicated answers, ftrack-api-options ignored
# (the client must merge; rest.sh sees whole answers).
double_start --ignore-api-options
FTRACK_SERVER=$DOUBLE_URL
FTRACK_API_USER=ferry
FTRACK_API_KEY=$KEY
export FTRACK_SERVER FTRACK_API_USER FTRACK_API_KEY

run 0 "$CLIENT"
cat "$TMP/err" >>"$TMP/all-err"

# The tool, on a fresh double: 25 files of v002, each with v001's as basis.
double_stop
double_start
FTRACK_SERVER=$DOUBLE_URL
run 0 "$RESOLVE" --state "$TMP" --from hq --to la "assetversion:$V002"
cat "$TMP/err" >>"$TMP/all-err"
checks=$((checks + 1))
[ "$(wc -l <"$TMP/out")" -eq 25 ] ||
    fail "expected 25 files, got: $(cat "$TMP/out")"
out_has() {
	checks=$((checks + 1))
	grep -qF "$1" "$TMP/out" || fail "no \"$1\" in: $(head -3 "$TMP/out")"
}
out_has '"path": "/mnt/projects/demo/sq010/sh010/plate/v002/plate.1013.exr", "basis": "/mnt/projects/demo/sq010/sh010/plate/v001/plate.1013.exr"'
out_has '"path": "/mnt/projects/demo/sq010/sh010/plate/v002/reference.mov", "basis": "/mnt/projects/demo/sq010/sh010/plate/v001/reference.mov"'
run 0 "$RESOLVE" --state "$TMP" --from hq --to la --repeat 2 \
    "assetversion:$V002"
out_has '"files": 25, "bases": 25, "requests": 3}'
run 1 "$RESOLVE" --state "$TMP" --from la "task:$V002"
err_has "nothing to send"
cat "$TMP/err" >>"$TMP/all-err"
run 2 "$RESOLVE" --state "$TMP" --from hq "assetversion"
err_has "\"assetversion\" is not TYPE:ID"

# No sanitizer report (the ASan build runs this too).
checks=$((checks + 1))
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" \
    "$TMP/all-err"; then
	fail "a sanitizer reported:"
	grep -A12 "ERROR: \|runtime error" "$TMP/all-err" | head -40 >&2
fi
checks=$((checks + 1))
if grep -F -e "$KEY" "$TMP/all-err" "$TMP/out" >/dev/null; then
	fail "the API key was printed"
fi
finish