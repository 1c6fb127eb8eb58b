#!/bin/sh
# Attack: enrolling with only a copy of hub.db. Whoever reads a backup of
# the hub's database finds what it stores for each open invite; with the
# code's key in hand the crafted agent enrols without the code. The hub
# must store nothing a copy of hub.db alone can enrol with: the secret
# that makes the stored value useful lives in hub.secret (0600), beside
# the database, not in it.
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3

make_hub
code=$("$FERRY" invite --site la --state "$HUB" | tail -n1)
cp "$HUB/hub.db" "$TMP/backup.db"
[ ! -e "$HUB/hub.db-wal" ] || cp "$HUB/hub.db-wal" "$TMP/backup.db-wal"
key=$(sqlite3 "$TMP/backup.db" "SELECT lower(hex(code_hash)) FROM invites
    WHERE used_at IS NULL" | head -n1)
checks=$((checks + 1))
[ ${#key} = 64 ] || fail "no invite in the copy: $key"
mkdir -p "$TMP/thief" && chmod 700 "$TMP/thief"
run 1 "$EVIL" enroll-key "$TMP/thief" "127.0.0.1:$port" "$key"
err_has "wrong or unknown enrolment code"
audit_has enroll.refused 127.0.0.1
checks=$((checks + 1))
[ -f "$HUB/hub.secret" ] && [ "$(stat -c %a "$HUB/hub.secret")" = 600 ] ||
    fail "hub.secret: $(ls -la "$HUB")"
# The code itself still works.
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/la" \
    --name la-server
stop_daemons
pids=""

# A hub from before hub.secret: its invites stored the code's SHA-256.
# It starts, seals them with a new secret, and its codes still work.
start_daemon "$HUB"
code=$("$FERRY" invite --site ny --state "$HUB" | tail -n1)
stop_daemons
pids=""
sqlite3 "$HUB/hub.db" "UPDATE invites SET code_hash = x'$(printf '%s' \
    "$code" | sha256sum | cut -c1-64)' WHERE used_at IS NULL;
    DELETE FROM meta WHERE key = 'secret_check';"
rm -f "$HUB/hub.secret"
start_daemon "$HUB"
HUBPID=$DPID
log_has "$HUB.log" "hub.secret.*made"
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/ny" \
    --name ny-server
key=$(sqlite3 "$HUB/hub.db" "SELECT lower(hex(code_hash)) FROM invites")
checks=$((checks + 1))
! echo "$key" | grep -q "$(printf '%s' "$code" | sha256sum | cut -c1-64)" ||
    fail "the old invite was not sealed"
finish
