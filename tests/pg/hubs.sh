#!/bin/sh
# Hubs with keys of their own (issue 17, docs/operations.md "Active and
# standby hubs"): hub A on PostgreSQL, agents la and ny enrolled with A
# alone; hub B joins the store (ferryd init --join) with its own key and
# waits as the standby. The agents learn B (key and address) over their
# control links, without re-enrolment, and keep it in hubs.json. ferry
# status on either hub shows both. Hub C, a stranger on its own store
# with another key, is on la's address list: la must refuse it. kill -9
# of A with a job in flight: the agents go to B (not C), the job is done
# once. Then A is removed (ferry hub remove on B): the agents forget A's
# key on B's word.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl

pg_start
HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
make_hub
A=$HUB
PID_A=$HUBPID

two_sites "$A"
enrol_agent la la-server
LA=$APID
enrol_agent ny ny-server

# B joins: its own key, the store's hub.secret. A bad secret is refused.
B="$TMP/hub-b"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/wrong.secret"
echo >>"$TMP/wrong.secret"
chmod 600 "$TMP/wrong.secret"
run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.2:$port" \
    --state "$TMP/hub-x" $HUB_INIT --join --hub-secret "$TMP/wrong.secret"
err_has "is not this store's hub.secret" "a wrong hub.secret is refused"
run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.2:$port" \
    --state "$TMP/hub-y" $HUB_INIT
err_has "a second hub of it is made with --join" "a second init without --join is refused"
run 0 "$FERRYD" init --hub --site hq --listen "127.0.0.2:$port" \
    --state "$B" $HUB_INIT --join --hub-secret "$A/hub.secret"
echo "retry-base 1" >>"$B/ferryd.conf"
start_daemon "$B"
PID_B=$DPID
FP_A=$("$FERRYD" fingerprint --state "$A" | tail -n1)
FP_B=$("$FERRYD" fingerprint --state "$B" | tail -n1)
checks=$((checks + 1))
[ -n "$FP_A" ] && [ "$FP_A" != "$FP_B" ] ||
    fail "the hubs' keys are not their own: A $FP_A, B $FP_B"

# The agents learn B from A, within a few seconds.
for a in la-server ny-server; do
	i=0
	until jq -e --arg fp "$FP_B" '.hubs | map(.fingerprint) | index($fp)' \
	    "$TMP/$a/hubs.json" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || { fail "$a never learned hub B: $(cat "$TMP/$a/hubs.json" 2>&1)"; break; }
		sleep 0.1
	done
	checks=$((checks + 1))
	[ "$(stat -c %a "$TMP/$a/hubs.json")" = 600 ] || fail "$a/hubs.json is not 0600"
done

# An agent enrolled now learns both hubs at enrolment, before it runs.
code=$("$FERRY" invite --site la --state "$A" | tail -n1)
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/la-2" --name la-2
checks=$((checks + 1))
[ "$(jq -r '[.hubs[].fingerprint] | sort | join(" ")' "$TMP/la-2/hubs.json")" = \
    "$(printf '%s\n%s\n' "$FP_A" "$FP_B" | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
    fail "la-2 did not learn both hubs at enrolment: $(cat "$TMP/la-2/hubs.json" 2>&1)"

# ferry status: on A, A active and B waiting; on the standby B, the same.
sleep 3
run 0 "$FERRY" status --json --state "$A"
checks=$((checks + 1))
[ "$(jq -r --arg a "$FP_A" --arg b "$FP_B" '[.hub_state,
    (.hubs[] | select(.fingerprint == $a) | .state),
    (.hubs[] | select(.fingerprint == $b) | .state)] | join(" ")' "$TMP/out")" = \
    "active active standby" ] || fail "status on A: $(cat "$TMP/out")"
run 0 "$FERRY" status --state "$A"
out_has "127.0.0.2:$port standby (waiting for the lease), last seen" "A's status shows B waiting"
run 0 "$FERRY" status --json --local --state "$B"
checks=$((checks + 1))
[ "$(jq -r --arg a "$FP_A" --arg b "$FP_B" '[.hub_state,
    (.hubs[] | select(.fingerprint == $a) | .state),
    (.hubs[] | select(.fingerprint == $b) | .state)] | join(" ")' "$TMP/out")" = \
    "standby active standby" ] || fail "status on the standby B: $(cat "$TMP/out")"
# The standby passes requests on to the active hub (tests/pg/remote-api.sh).
run 0 "$FERRY" jobs --state "$B"
# Given both hubs' state directories, ferry finds the active one itself.
run 0 "$FERRY" jobs --json --state "$B,$A"
run 0 "$FERRY" status --json --state "$B,$A"
checks=$((checks + 1))
[ "$(jq -r '[.hub_state, .fingerprint, .via.hub_state, .via.fingerprint] | join(" ")' "$TMP/out")" = \
    "active $FP_A standby $FP_B" ] || fail "status through the standby: $(cat "$TMP/out")"
run 0 "$FERRY" status --json --state "$TMP/la-server"
checks=$((checks + 1))
[ "$(jq -r '.hubs | length' "$TMP/out") $(jq -r .hub_fingerprint "$TMP/out")" = "2 $FP_A" ] ||
    fail "la's status: $(cat "$TMP/out")"

# C: a stranger hub with its own key and store, on la's address list
# before B (hub-standby is tried before the learned addresses).
C="$TMP/hub-c"
run 0 "$FERRYD" init --hub --site hq --listen "127.0.0.3:$port" --state "$C"
start_daemon "$C"
kill "$LA"
wait "$LA" 2>/dev/null || true
echo "hub-standby 127.0.0.3:$port" >>"$TMP/la-server/ferryd.conf"
start_daemon "$TMP/la-server"
wait_linked la-server

openssl enc -aes-128-ctr -nosalt -pass pass:hb -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 8000000 >"$S/show/big.mov"
run 0 "$FERRY" site set ny --bwlimit 3M --state "$A"
run 0 "$FERRY" send --from la --to ny --state "$A" "$S/show/big.mov"
id=$(tail -n1 "$TMP/out")
wait_file "$N/show/.big.mov.ferry-part"
sleep 0.5
kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null || true
t0=$(date +%s%N)
HUB=$B
wait_linked la-server
wait_linked ny-server
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "B took over and both agents linked to it (past the stranger C) in $ms ms" >&2
checks=$((checks + 1))
[ "$ms" -lt 10000 ] || fail "takeover took $ms ms (more than 10 s)"
checks=$((checks + 1))
grep -q "127.0.0.3:$port has key .* which is none of the hub keys pinned here" \
    "$TMP/la-server.log" || fail "la did not refuse the stranger C: $(tail -20 "$TMP/la-server.log")"
run 0 "$FERRY" status --json --state "$C"
checks=$((checks + 1))
[ "$(jq -r '.agents | length' "$TMP/out")" = 0 ] || fail "an agent linked to the stranger C"
run 0 "$FERRY" job "$id" --wait --state "$A,$B"
checks=$((checks + 1))
cmp -s "$S/show/big.mov" "$N/show/big.mov" || fail "big.mov differs at ny"
run 0 pg_psql "SELECT state || ' ' || n_tasks || ' ' || n_done FROM jobs WHERE id = $id"
out_is "done 1 1"
run 0 "$FERRY" status --json --state "$B"
checks=$((checks + 1))
[ "$(jq -r --arg a "$FP_A" '[.hub_state, (.hubs[] | select(.fingerprint == $a) | .state)] | join(" ")' "$TMP/out")" = \
    "active unreachable" ] || sleep 9
run 0 "$FERRY" status --json --state "$B"
[ "$(jq -r --arg a "$FP_A" '[.hub_state, (.hubs[] | select(.fingerprint == $a) | .state)] | join(" ")' "$TMP/out")" = \
    "active unreachable" ] || fail "B's status after A's death: $(cat "$TMP/out")"
run 0 "$FERRY" status --json --state "$TMP/ny-server"
checks=$((checks + 1))
[ "$(jq -r .hub_fingerprint "$TMP/out")" = "$FP_B" ] || fail "ny is not on B: $(cat "$TMP/out")"

# A leaves the store: on the active hub's word, the agents forget its key.
run 1 "$FERRY" hub remove "$FP_B" --state "$B"
err_has "that is this hub, the active one" "the active hub cannot remove itself"
run 1 "$FERRY" hub remove "not-a-key" --state "$B"
run 0 "$FERRY" hub remove "$FP_A" --state "$B"
run 0 pg_psql "SELECT count(*) FROM hubs WHERE fingerprint = '$FP_A'"
out_is "0"
for a in la-server ny-server; do
	i=0
	while jq -e --arg fp "$FP_A" '.hubs | map(.fingerprint) | index($fp)' \
	    "$TMP/$a/hubs.json" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || { fail "$a never forgot hub A"; break; }
		sleep 0.1
	done
done

stop_and_check
finish
