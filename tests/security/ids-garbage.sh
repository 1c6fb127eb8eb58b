#!/bin/sh
# The store's "ids-below" (agent/hub-ids.c): the bound below which a
# hub's runs may have handed out transfer ids. No agent writes it (runs
# and ids come from the hub's clock and store alone; an agent's reports
# never move them), but the store can be damaged or edited by hand. A
# value that is no number, or negative, already stopped the hub with a
# cause naming the key. A number near 2^63 was taken: the block above it
# (a million ids) overflowed a signed 64-bit integer (undefined; in
# practice a negative bound written back), and the hub ran with a run
# number at the very top, whose transfers then failed "no transfer ids
# for now". Each is refused at start now, naming the key; a sane bound
# (above the clock) is taken and moved up by a block.
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3

make_hub
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true

set_below() {
	sqlite3 "$HUB/hub.db" "DELETE FROM meta WHERE key = 'ids-below';
	    INSERT INTO meta (key, value) VALUES ('ids-below', '$1');"
}

# hub_once SECONDS: runs the hub in the foreground for at most SECONDS;
# got is its exit status (124: still running then).
hub_once() {
	rm -f "$HUB/ferryd.sock"
	set +e
	# shellcheck disable=SC2086
	timeout "$1" "$FERRYD" run $ROOT_OK --state "$HUB" >"$TMP/hub.out" 2>&1
	got=$?
	set -e
}

for v in 12abc -5 9223372036854775807 9223372036854775808 \
    9223372036854000000; do
	set_below "$v"
	hub_once 10
	checks=$((checks + 1))
	if [ "$got" -eq 0 ] || [ "$got" -eq 124 ]; then
		fail "ids-below $v: the hub ran (exit $got): $(tail -n 3 "$TMP/hub.out")"
		continue
	fi
	checks=$((checks + 1))
	grep -q "ids-below" "$TMP/hub.out" ||
	    fail "ids-below $v: the cause does not name it: $(tail -n 3 "$TMP/hub.out")"
	# Nothing written over it: the damage stays for an operator to see.
	checks=$((checks + 1))
	[ "$(sqlite3 "$HUB/hub.db" "SELECT value FROM meta WHERE key = 'ids-below'")" = "$v" ] ||
	    fail "ids-below $v: rewritten as $(sqlite3 "$HUB/hub.db" \
	    "SELECT value FROM meta WHERE key = 'ids-below'")"
done

# The control: a bound ahead of the clock is taken, and moved up a block.
b=$(( $(date +%s) * 1000 + 5000000000 ))
set_below "$b"
hub_once 3
checks=$((checks + 1))
[ "$got" -eq 124 ] || fail "ids-below $b: the hub stopped (exit $got): $(tail -n 3 "$TMP/hub.out")"
checks=$((checks + 1))
[ "$(sqlite3 "$HUB/hub.db" "SELECT value FROM meta WHERE key = 'ids-below'")" = $((b + 1000000)) ] ||
    fail "ids-below $b: now $(sqlite3 "$HUB/hub.db" \
    "SELECT value FROM meta WHERE key = 'ids-below'")"
finish
