#!/bin/sh
# The Python client (python/ferry_client) with unittest against a real hub
# (hq) and agent (la), and the example publish hook run as a hook would be.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/show/plate" "$S/back" "$L/back"
head -c 3000000 /dev/urandom >"$S/show/big.mov"
for f in 1001 1002 1003; do head -c 50000 /dev/urandom >"$S/show/plate/p.$f.exr"; done
echo "la publishes back" >"$L/back/from-la.txt"
cat >"$TMP/map.json" <<JSON
{ "sites": ["ny"], "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" } } } } }
JSON
make_hub
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
# ny: a site the hub knows, with no agent: its jobs wait.
run 0 "$FERRY" site set ny --bwlimit 0 --state "$HUB"

checks=$((checks + 1))
FERRY_TEST_HUB=$HUB FERRY_TEST_AGENT=$TMP/la-server FERRY_TEST_SRC=$S \
    FERRY_TEST_DST=$L python3 \
    "$srcdir/python/tests/test_client.py" -v >"$TMP/unittest.out" 2>&1 ||
    fail "unittest: $(cat "$TMP/unittest.out")"
# Every test ran (none skipped for want of the daemons).
checks=$((checks + 1))
grep -q "^Ran 6 tests" "$TMP/unittest.out" && ! grep -q skipped "$TMP/unittest.out" ||
    fail "not every test ran: $(tail -n 5 "$TMP/unittest.out")"

# The example hook, as a pipeline calls it after a publish.
mkdir -p "$S/show/v003"
head -c 100000 /dev/urandom >"$S/show/v003/comp.mov"
run 0 env FERRY_STATE="$HUB" PYTHONPATH="$srcdir/python" python3 \
    "$srcdir/python/examples/publish_hook.py" --to la "$S/show/v003"
out_has "sent to la" "the hook did not say where it sent"
checks=$((checks + 1))
cmp -s "$S/show/v003/comp.mov" "$L/show/v003/comp.mov" ||
    fail "the hook's files did not arrive"
run 1 env FERRY_STATE="$HUB" PYTHONPATH="$srcdir/python" python3 \
    "$srcdir/python/examples/publish_hook.py" --to atlantis "$S/show/v003"
err_has "atlantis"

stop_and_check
finish
