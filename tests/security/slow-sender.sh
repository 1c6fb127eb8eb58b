#!/bin/sh
# Attack: a vendor holding a site's transfer slot by sending at a byte a
# second. The hub runs at most `transfers-per-agent` transfers with an
# agent at once (1 here; 2 by default, which takes two publishes). The
# crafted vendor publishes a file to la and, on its data streams, sends
# the header of a frame and then one byte of it a second, each in its
# own TLS record, saying "still at work" to the hub every second: the
# wire is never idle for the streams' 60 s, the hub hears the sender,
# and la's slot is the vendor's for as long as it likes (the frame
# alone lasts 4096 s), so an admin's job hq -> la waits. A receiver must
# judge a sender that is not trusted (a person's machine) by the file
# bytes it gets: la cuts the transfer when fewer than recv-min-rate
# (1 KiB/s) came over a window (a minute by default; recv-rate-window 10
# here, to be quicker), logs why, and the admin's job runs.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL_DATA:?EVIL_DATA must name evil-data (make check sets it)}"
HUB_CONF="transfers-per-agent 1" AGENT_CONF="recv-rate-window 10" \
    sec_setup evil la
head -c 200000 /dev/urandom >"$F/show/sh020/new.mov"
head -c 200000 /dev/urandom >"$S/show/sh010/edit.mov"

evil_data_start --drip 150000
run 0 "$FERRY" send --from "$V" --to la --state "$HUB" "$F/show/sh020/new.mov"
evil_dripping

# The admin's job to la, while the vendor drips.
t0=$(date +%s)
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/edit.mov"
id=$(tail -n1 "$TMP/out")
state=
while :; do
	state=$("$FERRY" job "$id" --json --state "$HUB" | jq -r .state)
	[ "$state" = done ] && break
	[ $(($(date +%s) - t0)) -lt "$(slow 110)" ] || break
	sleep 1
done
checks=$((checks + 1))
[ "$state" = done ] ||
    fail "job $id (hq -> la) is $state after $(($(date +%s) - t0)) s: la's transfer slot is the dripping vendor's ($(tail -n1 "$TMP/evil.out"))"
[ "$state" != done ] || echo "job $id done $(($(date +%s) - t0)) s after it was sent"
checks=$((checks + 1))
cmp -s "$S/show/sh010/edit.mov" "$L/show/sh010/edit.mov" ||
    fail "edit.mov differs at la"
log_has "$TMP/la-server.log" "from the sender in the last 10 s, less than recv-min-rate 1024 bytes/s: cut"
checks=$((checks + 1))
[ ! -e "$L/show/sh020/new.mov" ] || fail "new.mov is at la under its name"
kill "$epid" 2>/dev/null || true
stop_and_check
finish
