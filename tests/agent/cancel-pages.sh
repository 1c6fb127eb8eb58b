#!/bin/sh
# Cancelling a big job removes its partial files at the destination in
# pages (agent/hub-discard.c): every cancelled path used to go in one
# "discard" message, hundreds of MB for a million files on the hub and
# the agent alike (issue 15, "Scale"). Here a job of 3,000 files waits,
# paused; partial files are planted at la for some of them, in every
# page; the job is cancelled. Every planted partial must go, in
# at least 3 messages of at most 1,024 paths each, and the hub says so.
. "${srcdir:-.}/tests/agent/lib.sh"

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/job" "$L"
for d in 0 1 2; do
	mkdir -p "$S/job/d$d" "$L/job/d$d"
	(cd "$S/job/d$d" && seq -f 'f%04g' 0 999 | xargs touch)
done
cat >"$TMP/map.json" <<JSON
{ "sites": ["la"], "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" } } } } }
JSON

make_hub
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
# While la's agent is away the job waits, queued; paused, it stays so
# when la is back.
kill "$APID"
wait "$APID" 2>/dev/null || :
wait_unlinked la-server
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/job"
j2=$(tail -n1 "$TMP/out")
run 0 "$FERRY" pause "$j2" --state "$HUB"
start_daemon "$TMP/la-server"
wait_linked la-server
run 0 "$FERRY" job "$j2" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .state "$TMP/out")" = paused ] &&
    [ "$(jq '.tasks | length' "$TMP/out")" = 3000 ] ||
    fail "the 3,000-file job is not waiting: $(head -c 300 "$TMP/out")"

# Partials of 12 of its files, 4 in each page of 1,024.
planted=""
for d in 0 1 2; do
	for f in 0100 0350 0600 0850; do
		p="$L/job/d$d/.f$f.ferry-part"
		echo partial >"$p"
		planted="$planted $p"
	done
done
run 0 "$FERRY" cancel "$j2" --state "$HUB"

i=0
left=1
while [ $i -lt 300 ] && [ -n "$left" ]; do
	left=""
	for p in $planted; do
		[ ! -e "$p" ] || left="$left $p"
	done
	[ -z "$left" ] || sleep 0.1
	i=$((i + 1))
done
checks=$((checks + 1))
[ -z "$left" ] || fail "partial files left after the cancel:$left"

# la took the 3,000 paths in pages of at most 1,024.
grep 'of a cancelled job (a page of' "$TMP/la-server.log" >"$TMP/pages"
checks=$((checks + 1))
[ "$(awk '{ n += $0 ~ /removed 4 partial/ } END { print n + 0 }' \
    "$TMP/pages")" -ge 3 ] ||
    fail "not 3 pages of 4 partials each: $(cat "$TMP/pages" "$TMP/la-server.log" | tail -20)"
checks=$((checks + 1))
awk '{ sub(/.*a page of /, ""); if ($1 + 0 > 1024 || $1 + 0 < 1) bad = 1 }
    END { exit bad }' "$TMP/pages" || fail "a page over 1,024 paths: $(cat "$TMP/pages")"
checks=$((checks + 1))
grep -q "job $j2: 3000 cancelled file(s) discarded at la, in 3 page(s)" \
    "$HUB.log" || fail "the hub did not page the discard: $(grep discard "$HUB.log")"

# The hub still answers, and the jobs stay cancelled.
run 0 "$FERRY" job "$j2" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .state "$TMP/out")" = cancelled ] || fail "job $j2: $(head -c 300 "$TMP/out")"
stop_and_check
finish
