#!/bin/sh
# A big send is stored in batches (agent/hub-jobstore.c), the hub's lock
# let go between them (issue 15, "Scale"): a million files held it for
# 22 s in one transaction, and `ferry jobs` waited the whole time. Here
# 60,000 files (15 batches of 4,096) go to a site with no agent while
# `ferry jobs` is asked again and again: some answer must come while the
# job is half stored (one transaction never showed it so), no answer may
# fail, the job ends up whole and queued, and the audit trail has one
# job.create of 60,000 tasks. Then the hub is killed with a second such
# job half stored: started again, it has removed that job.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage"
F="$TMP/far-storage"
mkdir -p "$S/big" "$F"
tree_of "$S/big" 60000 empty
cat >"$TMP/map.json" <<JSON
{ "sites": ["far"], "shares": { "storage": { "linux": "$S",
  "sites": { "far": { "linux": "$F" } } } } }
JSON

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" site set far --bwlimit 0 --state "$HUB"
"$FERRY" send --from hq --to far --state "$HUB" "$S/big" >"$TMP/send.out" 2>&1 &
sp=$!
: >"$TMP/polls"
fails=0
while kill -0 "$sp" 2>/dev/null; do
	if "$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" 2>&1; then
		jq -r '.[0].files // 0' "$TMP/poll" >>"$TMP/polls"
	else
		fails=$((fails + 1))
		cat "$TMP/poll" >&2
	fi
done
wait "$sp" || fail "ferry send failed: $(cat "$TMP/send.out")"
job=$(tail -n1 "$TMP/send.out")
echo "polls: $(wc -l <"$TMP/polls"), files seen: $(sort -n -u "$TMP/polls" | tr '\n' ' ')"
checks=$((checks + 1))
[ "$fails" = 0 ] || fail "$fails ferry jobs failed while the job was stored"
checks=$((checks + 1))
awk '$1 > 0 && $1 < 60000 { mid = 1 } END { exit !mid }' "$TMP/polls" ||
    fail "no answer while the job was half stored: $(sort -n -u "$TMP/polls" | tr '\n' ' ')"

run 0 "$FERRY" jobs --json --limit 1 --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0] | "\(.id) \(.state) \(.files)"' "$TMP/out")" = "$job queued 60000" ] ||
    fail "the job after its send: $(cat "$TMP/out")"
run 0 "$FERRY" audit --json --limit 0 --state "$HUB"
checks=$((checks + 1))
[ "$(jq '[.[] | select(.what == "job.create" and
    (.detail | tostring | contains("\"tasks\":60000")))] | length' \
    "$TMP/out")" = 1 ] || fail "no job.create of 60,000: $(head -c 600 "$TMP/out")"

# Killed halfway: a hub kill -9'd while a job is half stored removes what
# it had stored of it when it starts again (hub-jobstore.c), rather than
# run half a job.
"$FERRY" send --from hq --to far --state "$HUB" "$S/big" >"$TMP/send2.out" 2>&1 &
sp=$!
half=""
i=0
while [ -z "$half" ] && [ $i -lt 3000 ] && kill -0 "$sp" 2>/dev/null; do
	"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" 2>/dev/null &&
	    half=$(jq -r --argjson j "$job" '.[0] | select(.id > $j and
	    .files > 0 and .files < 60000) | .id' "$TMP/poll")
	i=$((i + 1))
done
kill -9 "$HUBPID"
wait "$sp" 2>/dev/null || :
if [ -z "$half" ] || grep -q "job $half: 60000 files from" "$HUB.log"; then
	echo "the kill came too late (the job was whole): not checked"
else
	echo "killed with job $half half stored"
	start_daemon "$HUB"
	HUBPID=$DPID
	run 0 "$FERRY" jobs --json --all --state "$HUB"
	checks=$((checks + 1))
	[ "$(jq -r '[.[].id] | join(" ")' "$TMP/out")" = "$job" ] ||
	    fail "after the restart, not only job $job: $(head -c 400 "$TMP/out")"
	checks=$((checks + 1))
	grep -q "job $half was being stored when the hub stopped" "$HUB.log" ||
	    fail "the hub did not say it removed job $half"
fi
stop_and_check
finish
