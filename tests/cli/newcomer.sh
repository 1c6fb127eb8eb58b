#!/bin/sh
# What trips a newcomer before any daemon runs (issue 11): help for every
# command, errors that say "ferry: COMMAND:", typos refused with the known
# names, ferry-peer as a test driver, ferryd's fingerprint, commands that
# fail leaving nothing behind, the doctor, and log times.
. "${srcdir:-.}/tests/lib.sh"
: "${FERRYD:?FERRYD must name the ferryd binary}"
: "${PEER:?PEER must name ferry-peer}"
MAP="$srcdir/contrib/examples/share-map.json"

# Every command answers --help with its usage, on stdout, exit 0.
for c in acl cancel doctor invite job jobs map pause resume retry send \
    share site status; do
	run 0 "$FERRY" "$c" --help
	checks=$((checks + 1))
	head -n1 "$TMP/out" | grep -q "^usage: ferry $c " ||
	    fail "ferry $c --help: $(cat "$TMP/out")"
done
run 0 "$FERRY" help
checks=$((checks + 1))
grep -q "doctor" "$TMP/out" && grep -q "FERRY_STATE" "$TMP/out" ||
    fail "ferry help: $(cat "$TMP/out")"
run 2 "$FERRY" nosuch
err_has 'ferry: unknown command "nosuch" (known: acl, audit, cancel, doctor'

# Errors start with "ferry: COMMAND:", getopt's too.
run 2 "$FERRY" jobs --bogus
err_has "ferry: jobs: unrecognized option '--bogus'"
err_has "ferry: jobs: usage: ferry jobs"
run 2 "$FERRY" send --from hq
err_has "ferry: send: --to SITE is required"
run 1 "$FERRY" jobs --state "$TMP/none"
err_has "ferry: jobs: is ferryd running?"

# Bad numbers and unknown names are errors that name the known ones.
run 2 "$FERRY" jobs --limit x --state "$TMP/none"
err_has "ferry: jobs: --limit: x is not a number of jobs"
run 2 "$FERRY" jobs --limit 0 --state "$TMP/none"
run 2 "$FERRY" send --from hq --to la --priority 5000 /x
err_has "--priority: 5000 is not a number from 0 to 1000"
run 2 "$FERRY" site set la --bwlimit 200X --state "$TMP/none"
err_has "ferry: site: --bwlimit: 200X is not a rate"
run 2 "$FERRY" map --map "$MAP" --to paris /storage/a
err_has "ferry: map: --to paris: the map names no such site (known: hq, la, vendor@example.com)"
checks=$((checks + 1))
[ ! -s "$TMP/out" ] || fail "map --to paris printed: $(cat "$TMP/out")"
run 2 "$FERRY" map --map "$MAP" --to la:widnows /storage/a
err_has "ferry: map: --to la:widnows: widnows is not a platform (known: linux, mac, windows, unc)"
run 2 "$FERRY" map --map "$MAP" --from tokyo --to la /storage/a
err_has "--from tokyo: the map names no such site"
run 0 "$FERRY" map --map "$MAP" --to hq:unc /storage/a
out_is '\\fileserver\storage\a'

# ferry-peer: --help without --state; keygen again and "fingerprint"
# print the same fingerprint; recv makes --dest; progress in IEC units.
run 0 "$PEER" --help
checks=$((checks + 1))
grep -q "^usage: ferry-peer keygen" "$TMP/out" || fail "peer --help: $(cat "$TMP/out")"
A=$("$PEER" keygen --state "$TMP/a")
B=$("$PEER" keygen --state "$TMP/b")
run 0 "$PEER" keygen --state "$TMP/a"
out_is "$A"
err_has "holds a key already; its fingerprint:"
run 0 "$PEER" fingerprint --state "$TMP/b"
out_is "$B"
run 1 "$PEER" fingerprint --state "$TMP/nokey"
checks=$((checks + 1))
[ ! -e "$TMP/nokey" ] || fail "peer fingerprint made $TMP/nokey"
mkdir -p "$TMP/src/show"
head -c 300000 /dev/urandom >"$TMP/src/show/a.exr"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token"
"$PEER" recv --state "$TMP/b" --peer-fp "$A" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/newdst" \
    >"$TMP/port" 2>"$TMP/recv.err" &
i=0
until grep -q listening "$TMP/port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
run 0 "$PEER" send --state "$TMP/a" --peer-fp "$B" --token-file "$TMP/token" \
    --connect "127.0.0.1:$(cut -d' ' -f2 "$TMP/port")" --src "$TMP/src" \
    --progress --bwlimit 800Mbit
wait
checks=$((checks + 1))
cmp -s "$TMP/src/show/a.exr" "$TMP/newdst/show/a.exr" || fail "recv did not fill a new --dest"
err_has "progress 293 KiB/293 KiB 2/2 files"
checks=$((checks + 1))
! grep -q -- "-1.0\|eta -" "$TMP/err" || fail "an ETA of -1: $(cat "$TMP/err")"
run 1 "$PEER" recv --state "$TMP/b" --peer-fp "$A" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/no/such/dst"
err_has "cannot create the destination"

# ferryd: the fingerprint without the daemon; run before init and a
# failed enroll leave nothing behind.
run 0 "$FERRYD" fingerprint --state "$TMP/a"
out_is "$A"
run 1 "$FERRYD" fingerprint --state "$TMP/nothing"
err_has "ferryd init or ferryd enroll makes the key"
# As root (CI), --allow-root: the root refusal would come first.
run 1 "$FERRYD" run --state "$TMP/fresh" $([ "$(id -u)" != 0 ] ||
    echo --allow-root)
err_has "does not exist: run 'ferryd init'"
checks=$((checks + 1))
[ ! -e "$TMP/fresh" ] || fail "ferryd run made $TMP/fresh"
run 1 "$FERRYD" enroll 127.0.0.1:9 abcdefgh --state "$TMP/enrol"
checks=$((checks + 1))
[ ! -e "$TMP/enrol" ] || fail "a failed enroll left $(ls -A "$TMP/enrol")"
mkdir -m 700 "$TMP/enrol2"
run 1 "$FERRYD" enroll 127.0.0.1:9 abcdefgh --state "$TMP/enrol2"
checks=$((checks + 1))
[ -z "$(ls -A "$TMP/enrol2")" ] || fail "a failed enroll left $(ls -A "$TMP/enrol2")"

# A log on stderr starts with the time in ISO 8601 UTC; not in the journal.
run 1 "$FERRYD" run --state "$TMP/fresh" $([ "$(id -u)" != 0 ] ||
    echo --allow-root)
checks=$((checks + 1))
grep -Eq '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z ferryd: ' "$TMP/err" ||
    fail "no ISO 8601 time: $(cat "$TMP/err")"
run 1 env JOURNAL_STREAM=8:1234 "$FERRYD" run --state "$TMP/fresh"
checks=$((checks + 1))
grep -q '^ferryd: ' "$TMP/err" || fail "a time in the journal: $(cat "$TMP/err")"

# The doctor with nothing set up: one line per check, a fix, exit 1.
run 1 "$FERRY" doctor --state "$TMP/none" --ftrack-state "$TMP/none"
checks=$((checks + 1))
grep -q "^FAIL  state .*none: No such file or directory" "$TMP/out" &&
    grep -q "fix: ferryd init --hub" "$TMP/out" &&
    grep -q "^ok    ports .* data ports 45191-45210 free" "$TMP/out" &&
    grep -q "^skip  ftrack" "$TMP/out" ||
    fail "doctor: $(cat "$TMP/out")"
if command -v jq >/dev/null 2>&1; then
	run 1 "$FERRY" doctor --json --state "$TMP/none" --ftrack-state "$TMP/none"
	checks=$((checks + 1))
	[ "$(jq -r '.ok, .checks[0].status, (.checks[0].fix != null)' "$TMP/out" | tr '\n' ' ')" = "false fail true " ] ||
	    fail "doctor --json: $(cat "$TMP/out")"
fi
# ferry-ftrack's stored credentials: refused open to others, then checked.
mkdir -p "$TMP/ff"
printf '{"server_url":"http://127.0.0.1:9","api_user":"u","api_key":"k"}\n' \
    >"$TMP/ff/ftrack-credentials"
chmod 644 "$TMP/ff/ftrack-credentials"
run 1 "$FERRY" doctor --state "$TMP/none" --ftrack-state "$TMP/ff"
checks=$((checks + 1))
grep -q "^FAIL  ftrack .*mode 644" "$TMP/out" || fail "doctor ftrack mode: $(cat "$TMP/out")"
chmod 600 "$TMP/ff/ftrack-credentials"
run 1 "$FERRY" doctor --state "$TMP/none" --ftrack-state "$TMP/ff"
checks=$((checks + 1))
grep -q "^FAIL  ftrack .*http://127.0.0.1:9 cannot be reached" "$TMP/out" ||
    fail "doctor ftrack server: $(cat "$TMP/out")"

finish
