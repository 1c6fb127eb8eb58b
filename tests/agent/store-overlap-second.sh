#!/bin/sh
# A second send while a planned one (more than 16,384 files) is still
# being stored (agent/hub-jobstore.c; docs/agent.md): job B, part of A's
# files to the same site, is sent once A's first batch is in and runs
# beside A's stored tasks. B must end done (its --wait returns while A is
# still stored), A must not end before its last batch nor lose a file to
# B's, and la must end with every file whole, once; no partial left.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

# The hub holds A's batches after its first while $HOLD exists (tests only).
held_hub 16500

touch "$HOLD"
"$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    >"$TMP/send.out" 2>&1 &
sp=$!
# A's first batch in: its row shows, with fewer files than N.
a=""
i=0
while [ -z "$a" ] && [ $i -lt "$(slow 600)" ] && kill -0 "$sp" 2>/dev/null; do
	"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" 2>/dev/null &&
	    a=$(jq -r --argjson n $N '.[0] // empty | select(.files > 0 and
	    .files < $n) | .id' "$TMP/poll")
	i=$((i + 1))
	sleep 0.05
done
checks=$((checks + 1))
[ -n "$a" ] || fail "never saw job A half stored"
# B: the first two directories, the same files as A's first ones.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big/d000" \
    "$S/big/d001"
b=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
kill -0 "$sp" 2>/dev/null || fail "A's send ended before its hold was taken away"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r --argjson a "$a" '.[] | select(.id == $a) | .state' "$TMP/out")" = \
    running ] || fail "job A, half stored, after B: $(head -c 300 "$TMP/out")"
rm -f "$HOLD"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r --argjson b "$b" '.[] | select(.id == $b) | "\(.state) \(.files) \(.done_files)"' "$TMP/out")" = \
    "done 2000 2000" ] || fail "job B: $(jq -c --argjson b "$b" '.[] | select(.id == $b)' "$TMP/out")"
wait "$sp" || fail "A's ferry send --wait failed: $(cat "$TMP/send.out")"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r --argjson a "$a" '.[] | select(.id == $a) | "\(.state) \(.files) \(.done_files)"' "$TMP/out")" = \
    "done $N $N" ] || fail "job A: $(jq -c --argjson a "$a" '.[] | select(.id == $a)' "$TMP/out")"
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
    fail "$(find "$L/big" -type f | wc -l) files at la, not $N"
checks=$((checks + 1))
diff -r "$S/big" "$L/big" >/dev/null || fail "la's files differ from hq's"
stop_and_check
finish
