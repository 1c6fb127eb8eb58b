#!/bin/sh
# A hub.db that is missing, empty, truncated, not a database, or another
# hub's is refused by `ferryd run` with a clear message, and no blank hub
# starts in its place; hub.secret missing or foreign is refused too. Only
# `ferryd init` makes a database. Also: an invite's lifetime is bounded
# (2^63-1 seconds overflowed to an expiry in the past).
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
enrol_agent la la-server
run 2 "$FERRY" invite --site x --expires 2562047788015215 --state "$HUB"
err_has "at most"
# The hub bounds it too, whatever a client sends.
checks=$((checks + 1))
"$EVIL" api "$HUB/ferryd.sock" \
    '{"op":"invite","site":"x","ttl":9223372036854775807}' 2>&1 |
    grep -q "at most 8784 hours" || fail "the hub took a 2^63-1 s invite"
stop_daemons
pids=""
cp "$HUB/hub.db" "$TMP/good.db"

# refused WHAT TEXT: ferryd run fails at once, saying TEXT.
refused() {
	run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$HUB"
	err_has "$2"
	checks=$((checks + 1))
	[ ! -S "$HUB/ferryd.sock" ] || fail "$1: a hub started"
}

rm -f "$HUB/hub.db" "$HUB/hub.db-wal" "$HUB/hub.db-shm"
refused missing "hub.db is missing"
checks=$((checks + 1))
[ ! -e "$HUB/hub.db" ] || fail "ferryd run made a new hub.db"
: >"$HUB/hub.db"
refused empty "is empty"
head -c 2048 "$TMP/good.db" >"$HUB/hub.db"
refused truncated "is damaged"
echo "not a database" >"$HUB/hub.db"
refused foreign-file "is damaged"
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$TMP/other" >/dev/null
cp "$TMP/other/hub.db" "$HUB/hub.db"
refused foreign "another hub"

# The right database, but hub.secret gone or another hub's.
cp "$TMP/good.db" "$HUB/hub.db"
mv "$HUB/hub.secret" "$TMP/hub.secret"
refused no-secret "hub.secret is missing"
cp "$TMP/other/hub.secret" "$HUB/hub.secret"
refused other-secret "hub.secret does not belong"
cp "$TMP/hub.secret" "$HUB/hub.secret"

# Restored as docs/security.md says: the hub carries on where it was.
start_daemon "$HUB"
HUBPID=$DPID
run 0 "$FERRY" status --json --state "$HUB"
start_daemon "$TMP/la-server"
wait_linked la-server
finish
