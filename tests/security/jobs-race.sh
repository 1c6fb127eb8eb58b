#!/bin/sh
# Attack: max-agent-jobs passed by sending at once. The hub counted a
# person's unfinished jobs from their agents when a relayed send came in,
# and made the job only after listing its files on the vendor's machine:
# requests of one agent are answered 4 at once, so 4 sends made together
# at one job below the limit were all counted below it and all taken,
# the limit passed by 3 (jobs-flood.sh sends one at a time). Here the
# limit is 2, one job is held (la away), and the vendor sends 4 at once,
# each a folder of 3,000 files (the listing is the window), four rounds:
# the hub must never hold more than 2, and refuse the rest naming the
# limit.
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3

LIMIT=2 ROUNDS=4
V=fx@vendor.example
S="$TMP/hq" L="$TMP/la" F="$TMP/fx"
mkdir -p "$S/show" "$L/show" "$F/show/many"
python3 - "$F/show/many" <<'PY' || fail "making the files failed"
import os, sys
for i in range(3000):
    open(os.path.join(sys.argv[1], "f%05d.exr" % i), "w").write("x")
PY
echo one >"$F/show/one.exr"
share_map "$S" la="$L" "$V=$F"
HUB_CONF="max-agent-jobs $LIMIT" make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
enrol_agent la la-server
kill "$APID"
wait "$APID" 2>/dev/null || :
wait_unlinked la-server
enrol_vendor_ws "$V"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

held() {
	sqlite3 "$HUB/hub.db" "SELECT count(*) FROM jobs WHERE state IN
	    ('running', 'paused')"
}
most=0 taken=0 refused=0
k=1
while [ $k -le $ROUNDS ]; do
	# One below the limit: every job cancelled, then one sent.
	for j in $(sqlite3 "$HUB/hub.db" "SELECT id FROM jobs WHERE state IN
	    ('running', 'paused') ORDER BY id"); do
		"$FERRY" cancel "$j" --state "$HUB" >/dev/null 2>&1 || :
	done
	run 0 "$FERRY" send --from "$V" --to la --state "$TMP/fx-ws" \
	    "$F/show/one.exr"
	sp=
	for i in 1 2 3 4; do
		"$FERRY" send --from "$V" --to la --state "$TMP/fx-ws" \
		    "$F/show/many" >"$TMP/send.$i.out" 2>"$TMP/send.$i.err" &
		sp="$sp $!"
	done
	for p in $sp; do
		if wait "$p"; then
			taken=$((taken + 1))
		else
			refused=$((refused + 1))
		fi
	done
	for i in 1 2 3 4; do
		grep -q "max-agent-jobs" "$TMP/send.$i.err" &&
		    cp "$TMP/send.$i.err" "$TMP/refused.err"
	done
	h=$(held)
	[ "$h" -le "$most" ] || most=$h
	k=$((k + 1))
done
echo "$ROUNDS rounds of 4 sends at once, one job held, max-agent-jobs" \
    "$LIMIT: $taken taken, $refused refused; the hub held $most at most"
echo "a refusal: $(cat "$TMP/refused.err" 2>/dev/null)"
checks=$((checks + 1))
[ "$most" -le $LIMIT ] ||
    fail "the hub held $most of the vendor's jobs: at most $LIMIT (max-agent-jobs) expected"
checks=$((checks + 1))
[ "$taken" -eq $ROUNDS ] ||
    fail "$taken of the $((ROUNDS * 4)) sends taken: one a round expected"
checks=$((checks + 1))
grep -q "jobs from $V are not finished (max-agent-jobs $LIMIT)" \
    "$TMP/refused.err" 2>/dev/null ||
    fail "the refusal does not name the limit: $(cat "$TMP"/send.*.err)"
audit_has jobs.limit "$V"
finish
