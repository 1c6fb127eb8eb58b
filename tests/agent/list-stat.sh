#!/bin/sh
# The send's listing lends each file's stat to the dispatcher for a few
# seconds (agent/hub-liststat.h; docs/agent.md, "The listing's stat").
# Here the files change after the listing and before the transfer is
# planned (la is away meanwhile, so the job waits): one grows, one goes,
# one is swapped for another of the same size, one is left alone. The
# plan may offer the listed size and mtime, but the sender checks the
# file it opens against them: la ends with each file's version of now,
# with its size and mtime; the one gone fails, naming it; nothing else
# fails. A re-send right after (the stat taken again within the bound)
# is a no-op that leaves everything as it is.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/d" "$L"
printf 'first version\n' >"$S/d/grow.txt"
printf 'gone soon\n' >"$S/d/gone.txt"
printf 'same size A\n' >"$S/d/swap.txt"
printf 'kept\n' >"$S/d/kept.txt"
i=0
while [ $i -lt 50 ]; do
	printf 'file %d\n' $i >"$S/d/f$i"
	i=$((i + 1))
done
hub_and_la "$S" "$L"
q() { hub_q "$1"; }

# la away: the job is listed now and planned once la is back.
kill "$APID"; wait "$APID" 2>/dev/null || true
wait_unlinked la-server
t0=$(date +%s)
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/d"
id=$(tail -n1 "$TMP/out")
printf 'second version, longer than the first\n' >"$S/d/grow.txt"
rm "$S/d/gone.txt"
# Another file of the same size, its mtime a second later.
sleep 1
printf 'same size B\n' >"$S/d/swap.txt.new"
mv "$S/d/swap.txt.new" "$S/d/swap.txt"
start_daemon "$TMP/la-server"
APID=$DPID
wait_linked la-server
t1=$(date +%s)
until_settled "$id"

for f in grow.txt swap.txt kept.txt f0 f49; do
	checks=$((checks + 1))
	cmp -s "$S/d/$f" "$L/d/$f" || fail "la's $f is not hq's: $(cat "$L/d/$f")"
	checks=$((checks + 1))
	[ "$(stat -c '%s %Y' "$S/d/$f")" = "$(stat -c '%s %Y' "$L/d/$f")" ] ||
	    fail "$f: la has $(stat -c '%s %Y' "$L/d/$f"), hq" \
	    "$(stat -c '%s %Y' "$S/d/$f")"
done
checks=$((checks + 1))
[ ! -e "$L/d/gone.txt" ] || fail "la has gone.txt: $(cat "$L/d/gone.txt")"
checks=$((checks + 1))
got=$(q "SELECT state, count(*) FROM tasks WHERE job_id = $id
    GROUP BY state ORDER BY state" | tr '\n' ' ')
[ "$got" = "done|53 failed|1 " ] || fail "job $id's tasks: $got"
checks=$((checks + 1))
got=$(q "SELECT error FROM tasks WHERE job_id = $id AND state = 'failed'")
case $got in
*gone.txt*) ;;
*) fail "the failed task says \"$got\", not gone.txt" ;;
esac
# What this test is about happened inside the bound (LISTSTAT_MS, 5 s):
# la was back, and the plan could take the listing's stats. (Beyond it,
# the hub stats each file as before, and the same checks hold.)
[ $((t1 - t0)) -lt 5 ] ||
    echo "note: la back $((t1 - t0)) s after the listing, past the bound"

# The re-send is a no-op: everything skipped, nothing changed at la.
before=$(cd "$L/d" && stat -c '%n %s %Y %i' -- * | sort)
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/d"
again=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
got=$(q "SELECT state, count(*) FROM tasks WHERE job_id = $again
    GROUP BY state")
[ "$got" = "done|53" ] || fail "the re-send's tasks: $got"
checks=$((checks + 1))
[ "$(cd "$L/d" && stat -c '%n %s %Y %i' -- * | sort)" = "$before" ] ||
    fail "the no-op re-send rewrote files at la"

stop_and_check
finish
