#!/bin/sh
# `ferry cancel` of a job still being stored (issue 14). A send of one
# path of more than 4,096 files is stored while the hub lists it, and a
# send of more than 16,384 files in batches (agent/hub-jobstream.c,
# agent/hub-jobstore.c); both run their stored files meanwhile. A
# mistaken `ferry send /project` was then a job nobody could stop until
# its whole listing was in: the cancel was refused ("still being
# stored"). Now the cancel answers at once ("cancelling"), the job's
# transfers stop, the listing stops at its next batch, and the job ends
# cancelled with what was stored of it: its send answers that it was
# cancelled, the files delivered stay, the rest is never stored. The
# hub's test-store-hold (tests only) holds each batch after the first
# for up to 60 s while $HOLD exists; it stays throughout, so a send that
# answers within 25 s was stopped by the cancel, not by the hold.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

N=16500
S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/big" "$L"
tree_of "$S/big" "$N"
HOLD="$TMP/hold"
HUB_CONF="test-store-hold $HOLD"
hub_and_la "$S" "$L"
touch "$HOLD"

# cancel_stored WHAT PATH...: sends PATH... to la, cancels its job once
# its first batch is delivered, and checks how it ended.
cancel_stored() {
	what=$1
	shift
	"$FERRY" send --from hq --to la --wait --state "$HUB" "$@" \
	    >"$TMP/send.out" 2>&1 &
	sp=$!
	job=""
	i=0
	while [ -z "$job" ] && [ $i -lt "$(slow 600)" ] &&
	    kill -0 "$sp" 2>/dev/null; do
		"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" \
		    2>/dev/null && job=$(jq -r --argjson n $N '.[0] // empty |
		    select(.state == "running" and .files < $n and
		    .done_files > 0 and .done_files == .files) | .id' \
		    "$TMP/poll")
		i=$((i + 1))
		sleep 0.05
	done
	checks=$((checks + 1))
	if [ -z "$job" ]; then
		fail "$what: no job half stored and delivered to cancel: " \
		    "$(cat "$TMP/send.out" "$TMP/poll" | head -c 300)"
		rm -f "$HOLD"
		wait "$sp" || :
		touch "$HOLD"
		return 0
	fi
	stored=$(jq -r '.[0].files' "$TMP/poll")
	run 0 "$FERRY" cancel "$job" --state "$HUB"
	out_has "^job $job: cancelling" "$what: cancel's answer"
	# The send answers, though $HOLD is still there.
	i=0
	while kill -0 "$sp" 2>/dev/null && [ $i -lt 250 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	checks=$((checks + 1))
	if kill -0 "$sp" 2>/dev/null; then
		fail "$what: the send of job $job went on 25 s after its cancel"
		rm -f "$HOLD"
		wait "$sp" || :
		touch "$HOLD"
		return 0
	fi
	checks=$((checks + 1))
	if wait "$sp"; then
		fail "$what: the cancelled send succeeded: $(cat "$TMP/send.out")"
	fi
	checks=$((checks + 1))
	grep -q "job $job was cancelled by .* while it was being stored" \
	    "$TMP/send.out" || fail "$what: the send's answer: " \
	    "$(cat "$TMP/send.out")"
	run 0 "$FERRY" job "$job" --json --state "$HUB"
	# Ended cancelled with what was stored when the cancel came (the
	# batch then being stored may be in too), nothing more.
	checks=$((checks + 1))
	jq -e --argjson s "$stored" --argjson n $N '.state == "cancelled" and
	    .files >= $s and .files < $n and .done_files > 0' "$TMP/out" \
	    >/dev/null || fail "$what: job $job after its cancel: " \
	    "$(jq -c '{state, files, done_files}' "$TMP/out")"
	done_files=$(jq -r '.done_files' "$TMP/out")
	checks=$((checks + 1))
	[ "$(jq '[.tasks[] | select(.state == "cancelled")] | length' \
	    "$TMP/out")" -gt 0 ] ||
	    fail "$what: job $job has no cancelled file"
	# What was delivered stays, whole; nothing else arrived.
	checks=$((checks + 1))
	[ "$(find "$L/big" -type f | wc -l)" = "$done_files" ] ||
	    fail "$what: $(find "$L/big" -type f | wc -l) files at la, job" \
	    "$job says $done_files were delivered"
	# Each whole (the listing's order is the directories' own).
	checks=$((checks + 1))
	(cd "$L/big" && find . -type f) | while read -r f; do
		cmp -s "$S/big/$f" "$L/big/$f" || echo "$f"
	done >"$TMP/bad"
	[ ! -s "$TMP/bad" ] || fail "$what: not whole at la: $(head -n 3 \
	    "$TMP/bad")"
	grep "job $job: .*cancel" "$HUB.log"
	log_has "$HUB.log" "job $job: .*cancelled by"
	# Nothing of the job runs again: its files stay as they are.
	sleep 1
	checks=$((checks + 1))
	[ "$(find "$L/big" -type f | wc -l)" = "$done_files" ] ||
	    fail "$what: files arrived at la after job $job's cancel"
}

# One path: stored while it is listed.
cancel_stored "one path" "$S/big"
# Seventeen paths, 16,500 files: listed whole first, stored in batches.
rm -rf "$L/big"
set --
for d in "$S"/big/d*; do
	set -- "$@" "$d"
done
cancel_stored "17 paths" "$@"

# The hub goes on as before: the same send again delivers everything.
rm -f "$HOLD"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big"
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
    fail "the send after the cancels did not deliver all $N files"
stop_and_check
finish
