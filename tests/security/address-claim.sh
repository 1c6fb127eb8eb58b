#!/bin/sh
# Attack: steering other agents' connections. A vendor's crafted agent,
# connected from 127.0.0.3, claims to be reachable at 127.0.0.9, then at
# its own address but on port 22, then on a data port where nothing
# listens; la (127.0.0.2) is told to connect there, and la's error text
# (host, port, refused or not) comes back to the vendor in `ferry job`.
# The hub must use the address it sees or one an admin set, data ports
# only from the range, and keep connection details for its own log.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

V=fx@vendor.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/fx-storage"
N="$TMP/ny-storage"
mkdir -p "$L/show/sh030" "$N/show/sh040"
echo "la's anim" >"$L/show/sh030/anim.mov"
echo "ny's plate" >"$N/show/sh040/plate.exr"
share_map "$S" la="$L" ny="$N" "$V=$F"
make_hub
code=$("$FERRY" invite --site la --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/la" --name la \
    --source-address 127.0.0.2 >/dev/null || fail "enrolling la failed"
start_daemon "$TMP/la"
wait_linked la
enrol_evil fx-ws "$V"
echo "source-address 127.0.0.3" >>"$TMP/fx-ws/ferryd.conf"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"

# steer CLAIM PORT: the vendor claims CLAIM and answers a transfer.start
# with PORT while la sends it anim.mov; the job is left to fail.
steer() {
	"$EVIL" talk "$TMP/fx-ws" --address "$1" --hold 6000 --on \
	    "transfer.start={\"op\":\"transfer.listening\",\"id\":\"@id\",\"port\":$2}" \
	    >"$TMP/fx.out" 2>&1 &
	fx=$!
	wait_grep '"op":"welcome"' "$TMP/fx.out"
	"$FERRY" send --from la --to "$V" --state "$HUB" \
	    "$L/show/sh030/anim.mov" >/dev/null 2>&1 || true
	wait "$fx" || true
}

# A claimed address that is not where the agent is.
steer 127.0.0.9 45209
checks=$((checks + 1))
! grep -q "127.0.0.9" "$TMP/la.log" "$TMP/fx.out" ||
    fail "la was sent to the claimed address: $(grep 127.0.0.9 "$TMP/la.log")"
audit_has address.ignored fx-ws

# Its own address, and a port outside the data ports.
steer 127.0.0.3 22
checks=$((checks + 1))
! grep -q "127.0.0.3:22\b" "$TMP/la.log" ||
    fail "la was sent to port 22: $(grep ':22' "$TMP/la.log")"
audit_has port.refused fx-ws

# A data port where nothing listens: la fails to connect; the vendor
# asks how its job went and hears no address or port.
steer 127.0.0.3 45209
checks=$((checks + 1))
grep -q "127.0.0.3:45209" "$TMP/la.log" "$HUB.log" ||
    fail "la never tried 127.0.0.3:45209: $(tail "$TMP/la.log")"
id=$("$FERRY" jobs --json --state "$HUB" | jq '.[0].id')
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 2000 --send \
    "{\"op\":\"api\",\"req\":\"0123456789abcdef0123456789abcdef\",\"request\":{\"op\":\"job\",\"id\":$id}}"
checks=$((checks + 1))
grep -q '"re":"0123456789abcdef0123456789abcdef"' "$TMP/out" || fail "no answer to the vendor: $(cat "$TMP/out")"
checks=$((checks + 1))
! grep '"re":"0123456789abcdef' "$TMP/out" | grep -q "127\.0\.0\.\|45209" ||
    fail "the vendor sees connection details: $(grep '"re"' "$TMP/out")"

# An address an admin set is used: ny sends to la, which claims none.
code=$("$FERRY" invite --site ny --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/ny" --name ny \
    --source-address 127.0.0.4 >/dev/null || fail "enrolling ny failed"
start_daemon "$TMP/ny"
wait_linked ny
run 0 "$FERRY" site set la --address 127.0.0.2 --state "$HUB"
run 0 "$FERRY" send --from ny --to la --wait --state "$HUB" \
    "$N/show/sh040/plate.exr"
checks=$((checks + 1))
cmp -s "$N/show/sh040/plate.exr" "$L/show/sh040/plate.exr" ||
    fail "ny -> la through the admin's address failed"
finish
