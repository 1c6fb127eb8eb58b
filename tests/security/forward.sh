#!/bin/sh
# A standby hub passes its local API's requests on to the active hub over
# the control port (docs/operations.md, "The local API on either hub"):
# a "forward" whose key is none of the store's hubs is refused before the
# request is read, whatever it asks. Tried with an enrolled agent's key
# (the crafted vendor's) and with a key the hub never saw: each is told
# why, nothing it asked runs (no job, no invite), and the audit trail
# has forward.refused. A client of the local API cannot set "_caller"
# (the name the active hub gives a forwarded request) either.
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
enrol_evil vendor
rogue_key rogue vendor
for who in vendor rogue; do
	run 1 "$EVIL" talk "$TMP/$who" --hold 500 \
	    --first '{"op": "forward", "uid": 0, "user": "root"}' \
	    --send '{"op": "invite", "site": "evil"}' \
	    --send '{"op": "send", "from": "hq", "to": "vendor@vendor.example", "paths": ["/"]}'
	checks=$((checks + 1))
	grep -q "is none of the store's hubs: only a hub forwards requests" \
	    "$TMP/out" "$TMP/err" || fail "$who's forward: $(cat "$TMP/out" "$TMP/err")"
	checks=$((checks + 1))
	! grep -q '"forward.ok"\|"forward.part"' "$TMP/out" ||
	    fail "$who's forward was taken: $(cat "$TMP/out")"
done
audit_has forward.refused 127.0.0.1
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out")" = 0 ] || fail "a job was made: $(cat "$TMP/out")"
run 0 "$FERRY" audit --json --limit 0 --state "$HUB"
checks=$((checks + 1))
! jq -e 'any(.[]; .what == "invite" or (.detail.site? == "evil"))' "$TMP/out" \
    >/dev/null || fail "an invite was made: $(cat "$TMP/out")"
grep -q "forwarded request from .* refused: key" "$HUB.log" ||
    fail "the hub's log does not say it refused the forward"
checks=$((checks + 1))

# "_caller" is the active hub's to set, never a client's.
run 0 "$EVIL" api "$HUB/ferryd.sock" '{"op": "jobs", "_caller": "admin on hub X"}'
checks=$((checks + 1))
grep -q '"_caller\\" are not for clients' "$TMP/out" "$TMP/err" ||
    fail "_caller from a client: $(cat "$TMP/out" "$TMP/err")"
finish
