#!/bin/sh
# Attack: a vendor making the hub hold any number of jobs. A restricted
# vendor may relay sends from its own machine to a site it may write
# (docs/security.md, the api message), one after another (4 at once),
# for as long as it likes; a job whose site is away waits in the hub's
# store and in every dispatch round until the site comes back. Here la
# is away and the vendor relays 130 sends of one file each: every one
# was taken. The hub must bound a place's unfinished jobs from its
# agents (max-agent-jobs, default 100), refuse the rest naming the
# limit, record jobs.limit, take the admin's jobs as before, and take
# the vendor's again once some have ended. A studio site's agent (ny)
# is not counted: 101 sends from it are all taken.
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3

N=130 LIMIT=100
V=fx@vendor.example
S="$TMP/hq" L="$TMP/la" F="$TMP/fx"
mkdir -p "$S/show" "$L/show" "$F/show"
i=1
while [ $i -le $N ]; do
	echo "fx $i" >"$F/show/f$i.exr"
	i=$((i + 1))
done
echo admin >"$S/show/a.exr"
share_map "$S" la="$L" ny="$TMP/ny" "$V=$F"
make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
enrol_agent la la-server
kill "$APID"
wait "$APID" 2>/dev/null || :
wait_unlinked la-server
enrol_vendor_ws "$V"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

# The flood: one send a file, each relayed by the vendor's own agent.
taken=0 refused=0
i=1
while [ $i -le $N ]; do
	if "$FERRY" send --from "$V" --to la --state "$TMP/fx-ws" \
	    "$F/show/f$i.exr" >"$TMP/send.out" 2>"$TMP/send.err"; then
		taken=$((taken + 1))
	else
		refused=$((refused + 1))
		cp "$TMP/send.err" "$TMP/refused.err"
	fi
	i=$((i + 1))
done
held=$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM jobs WHERE state IN
    ('running', 'paused')")
echo "$N sends relayed by the vendor: $taken taken, $refused refused;" \
    "the hub holds $held unfinished jobs"
checks=$((checks + 1))
[ "$taken" -le $LIMIT ] || fail "$taken of the vendor's jobs held at once" \
    "(la away): at most $LIMIT (max-agent-jobs) expected"
checks=$((checks + 1))
[ "$taken" -eq $LIMIT ] || fail "$taken sends taken, $LIMIT expected (the limit, no fewer)"
checks=$((checks + 1))
grep -q "$LIMIT jobs from $V are not finished (max-agent-jobs $LIMIT)" \
    "$TMP/refused.err" 2>/dev/null ||
    fail "the refusal does not name the limit: $(cat "$TMP/refused.err" 2>/dev/null)"
audit_has jobs.limit "$V"

# A studio site's agent is trusted: its jobs are not counted, and a busy
# site may have more than the limit waiting for a place that is away.
mkdir -p "$TMP/ny/show"
i=0
while [ $i -le $LIMIT ]; do
	echo "ny $i" >"$TMP/ny/show/n$i.exr"
	i=$((i + 1))
done
enrol_agent ny ny-server
ny_refused=0
i=0
while [ $i -le $LIMIT ]; do
	"$FERRY" send --from ny --to la --state "$TMP/ny-server" \
	    "$TMP/ny/show/n$i.exr" >"$TMP/send.out" 2>"$TMP/send.err" || {
		ny_refused=$((ny_refused + 1))
		cp "$TMP/send.err" "$TMP/ny-refused.err"
	}
	i=$((i + 1))
done
checks=$((checks + 1))
[ "$ny_refused" -eq 0 ] || fail "$ny_refused of site ny's $((LIMIT + 1))" \
    "sends refused: $(cat "$TMP/ny-refused.err")"

# The admin's jobs are not the vendor's.
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/a.exr"
# Jobs that end make room again.
first=$(sqlite3 "$HUB/hub.db" "SELECT min(id) FROM jobs")
run 0 "$FERRY" cancel "$first" --state "$HUB"
run 0 "$FERRY" send --from "$V" --to la --state "$TMP/fx-ws" "$F/show/f1.exr"
finish
