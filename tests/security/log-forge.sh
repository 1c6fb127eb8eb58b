#!/bin/sh
# An agent's name is the enrolling party's choice (a vendor with an invite
# code), and the hub logs it: with a newline in it, the vendor wrote whole
# lines of its own into the hub's log ("ferryd: ..." as the hub would),
# with an escape sequence, commands to the admin's terminal. The logger
# writes control characters as \xNN, so that one message is one line.
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
code=$("$FERRY" invite --user v@vendor.example --clearance restricted \
    --state "$HUB" | tail -n1)
name=$(printf 'ws\n2026-01-01T00:00:00.000Z ferryd: FORGED\033[2J')
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/v" \
    --name "$name" >/dev/null || fail "enrolling failed"
wait_grep "enrolled ws" "$HUB.log" || fail "no enrolment in the log"
checks=$((checks + 1))
! grep -q "^2026-01-01T00:00:00.000Z ferryd: FORGED" "$HUB.log" ||
    fail "the agent's name wrote a line of the hub's log: $(grep -n FORGED "$HUB.log")"
checks=$((checks + 1))
! grep -q "$(printf '\033')" "$HUB.log" || fail "an escape sequence reached the log"
checks=$((checks + 1))
grep -qF 'enrolled ws\x0a2026-01-01T00:00:00.000Z ferryd: FORGED\x1b[2J' "$HUB.log" ||
    fail "the name is not in the log, escaped: $(grep -A1 enrolled "$HUB.log")"
finish
