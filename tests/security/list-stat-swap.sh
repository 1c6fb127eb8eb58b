#!/bin/sh
# Attack on the listing's stat (docs/agent.md, "The listing's stat"): a
# send's listing found regular files; before the job is planned (la is
# away, back within LISTSTAT_MS), one is swapped for a symlink to a file
# outside the share, one for a fifo, one for a directory. The plan may
# take the listing's stats, but the sender must refuse each as the
# dispatcher's own stat did: la gets none of them (never the secret),
# their tasks fail naming them, the fifo blocks nothing (the job
# settles), each refusal is audited as transfer.suspect, and the file
# left alone arrives.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/d" "$L"
printf 'SECRET outside the share\n' >"$TMP/secret.txt"
for f in lnk.txt fifo.txt dir.txt kept.txt; do
	printf 'hq %s\n' "$f" >"$S/d/$f"
done
hub_and_la "$S" "$L"
q() { hub_q "$1"; }

kill "$APID"; wait "$APID" 2>/dev/null || true
wait_unlinked la-server
t0=$(date +%s)
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/d"
id=$(tail -n1 "$TMP/out")
rm "$S/d/lnk.txt" "$S/d/fifo.txt" "$S/d/dir.txt"
ln -s "$TMP/secret.txt" "$S/d/lnk.txt"
mkfifo "$S/d/fifo.txt"
mkdir "$S/d/dir.txt"
start_daemon "$TMP/la-server"
APID=$DPID
wait_linked la-server
t1=$(date +%s)
until_settled "$id"

checks=$((checks + 1))
! grep -rq SECRET "$L" 2>/dev/null || fail "la got the secret: $(grep -rl SECRET "$L")"
for f in lnk.txt fifo.txt dir.txt; do
	checks=$((checks + 1))
	[ ! -e "$L/d/$f" ] || fail "la has $f"
	checks=$((checks + 1))
	got=$(q "SELECT state || ' ' || coalesce(error, '') FROM tasks
	    WHERE job_id = $id AND src_path LIKE '%/$f'")
	case $got in
	failed*"$f"*) ;;
	*) fail "$f's task: $got" ;;
	esac
done
checks=$((checks + 1))
cmp -s "$S/d/kept.txt" "$L/d/kept.txt" || fail "kept.txt did not arrive"
"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit" 2>&1 || true
for f in lnk.txt fifo.txt dir.txt; do
	checks=$((checks + 1))
	jq -e --arg p "d/$f" '[.[] | select(.what == "transfer.suspect") |
	    select(.detail | tostring | contains($p))] | length > 0' \
	    "$TMP/audit" >/dev/null ||
	    fail "no transfer.suspect for d/$f: $(jq -c '[.[] | select(.what == "transfer.suspect")]' "$TMP/audit")"
done
[ $((t1 - t0)) -lt 5 ] ||
    echo "note: la back $((t1 - t0)) s after the listing, past the bound"

stop_and_check
finish
