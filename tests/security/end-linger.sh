#!/bin/sh
# Attack: a vendor holding a site's transfer slots. The hub runs at most
# `transfers-per-agent` transfers with an agent at once (1 here; 2 by
# default, which takes two publishes), and a transfer between two agents
# ends when both have reported its end. The crafted vendor publishes a
# file to la, sends it whole (la commits it and reports its end), then
# never reports its own end: it reports "still at work" every second,
# which the hub takes as a sender's word, for 80 s. While it lingers, la
# takes part in no other transfer: an admin's job hq -> la waits in the
# queue, as would every job to or from la, for as long as the vendor
# likes. Once one end has reported the end, the other must report its
# own within a bound; the admin's job is done well before the vendor
# stops lingering, and the vendor's file stays delivered.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL_DATA:?EVIL_DATA must name evil-data (make check sets it)}"
HUB_CONF="transfers-per-agent 1" sec_setup evil la
head -c 200000 /dev/urandom >"$F/show/sh020/new.mov"
head -c 200000 /dev/urandom >"$S/show/sh010/edit.mov"

evil_data_start --linger 80000
run 0 "$FERRY" send --from "$V" --to la --state "$HUB" "$F/show/sh020/new.mov"
jid=$(tail -n1 "$TMP/out")
i=0
until grep -q lingering "$TMP/evil.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || { fail "the vendor never sent: $(cat "$TMP/evil.out" "$TMP/evil.err")"; break; }
	sleep 0.1
done
checks=$((checks + 1))
grep -q "sent: ok" "$TMP/evil.out" || fail "evil-data: $(cat "$TMP/evil.out")"

# The admin's job to la, while the vendor lingers.
t0=$(date +%s)
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/edit.mov"
id=$(tail -n1 "$TMP/out")
state=
while :; do
	state=$("$FERRY" job "$id" --json --state "$HUB" | jq -r .state)
	[ "$state" = done ] && break
	[ $(($(date +%s) - t0)) -lt 55 ] || break
	sleep 0.5
done
checks=$((checks + 1))
[ "$state" = done ] ||
    fail "job $id (hq -> la) is $state after 55 s: la's transfer slot is the lingering vendor's"
[ "$state" != done ] || echo "job $id done $(($(date +%s) - t0)) s after it was sent"
checks=$((checks + 1))
cmp -s "$S/show/sh010/edit.mov" "$L/show/sh010/edit.mov" ||
    fail "edit.mov differs at la"
run 0 "$FERRY" job "$jid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .state "$TMP/out")" = done ] ||
    fail "the vendor's delivered file is not done: $(jq -c '.tasks' "$TMP/out")"
checks=$((checks + 1))
cmp -s "$F/show/sh020/new.mov" "$L/show/sh020/new.mov" ||
    fail "new.mov differs at la"
kill "$epid" 2>/dev/null || true
finish
