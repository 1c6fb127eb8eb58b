#!/bin/sh
# ferryd: a hub on 127.0.0.1 and agents enrolling over loopback with
# one-time codes: a good code, a reused one, a wrong one, an expired one, an
# agent whose key the hub never enrolled, and a second daemon on the same
# state directory.
. "${srcdir:-.}/tests/agent/lib.sh"

run 0 "$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB"
checks=$((checks + 1))
[ "$(stat -c %a "$HUB")" = 700 ] && [ "$(stat -c %a "$HUB/key.pem")" = 600 ] &&
    [ "$(stat -c %a "$HUB/hub.db")" = 600 ] || fail "state modes: $(ls -la "$HUB")"
start_daemon "$HUB"

# A second daemon on the same state is refused, and says which pid holds it.
run 1 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "another ferryd (pid"

# A good code: the last line of `ferry invite` is the code alone.
run 0 "$FERRY" invite --site la --state "$HUB"
code=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
[ ${#code} -ge 26 ] || fail "no code on the last line: $(cat "$TMP/out")"
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/la" --name la-server
checks=$((checks + 1))
grep -q "^hub-fingerprint " "$TMP/la/ferryd.conf" && grep -q "^site la$" "$TMP/la/ferryd.conf" ||
    fail "la's configuration: $(cat "$TMP/la/ferryd.conf")"
# The code is never logged.
checks=$((checks + 1))
! grep -q "$code" "$HUB.log" || fail "the hub logged the code"

# The same code again, from another machine: refused.
run 1 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/other"
err_has "already used"

# A wrong code.
run 1 "$FERRYD" enroll "127.0.0.1:$port" "0000000000000000000000000000" --state "$TMP/other"
err_has "wrong or unknown enrolment code"

# An expired code (valid for 1 second).
run 0 "$FERRY" invite --site la --expires 0.0003 --state "$HUB"
late=$(tail -n1 "$TMP/out")
sleep 2
run 1 "$FERRYD" enroll "127.0.0.1:$port" "$late" --state "$TMP/other"
err_has "expired at"

# The enrolled agent runs, links to the hub, and both say so.
start_daemon "$TMP/la"
i=0
until "$FERRY" status --json --state "$TMP/la" | jq -e '.connected' >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 "$FERRY" status --json --state "$TMP/la"
checks=$((checks + 1))
[ "$(jq -r '.connected' "$TMP/out")" = true ] || fail "la not connected: $(cat "$TMP/out")"
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.agents["la-server"].site' "$TMP/out")" = la ] ||
    fail "hub does not list la: $(cat "$TMP/out")"

# An agent with a key the hub never enrolled (its configuration copied
# from la, its key its own) is refused.
mkdir -p "$TMP/rogue" && chmod 700 "$TMP/rogue"
cp "$TMP/la/ferryd.conf" "$TMP/rogue/"
"$PEER" keygen --state "$TMP/rogue" >/dev/null
start_daemon "$TMP/rogue"
i=0
until "$FERRY" status --json --state "$TMP/rogue" | jq -e '.link_error' >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 "$FERRY" status --json --state "$TMP/rogue"
checks=$((checks + 1))
jq -r '.link_error' "$TMP/out" | grep -q "not enrolled" ||
    fail "rogue agent: $(cat "$TMP/out")"

# Bad input to the CLI: clear errors, non-zero exits.
run 2 "$FERRY" invite --state "$HUB"
err_has "give --site SITE, or --user EMAIL"
run 1 "$FERRY" invite --site la --state "$TMP/nowhere"
err_has "is ferryd running?"
run 1 "$FERRY" invite --site la --state "$TMP/la"
err_has "not the hub"

stop_and_check
finish
