#!/bin/sh
# Two jobs of the same files to the same site, both queued while la is
# away, so that one dispatcher walk finds both jobs' tasks for each
# destination file (the walk's "not being written" test looks at running
# rows only). Whatever runs first, la must end with hq's files whole,
# and neither job may fail or be left unsettled.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/d" "$L"
i=0
while [ $i -lt 8 ]; do
	head -c 1500000 /dev/urandom >"$S/d/f$i"
	i=$((i + 1))
done
hub_and_la "$S" "$L"
q() { hub_q "$1"; }

kill "$APID"; wait "$APID" 2>/dev/null || true
wait_unlinked la-server
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/d"
ida=$(tail -n1 "$TMP/out")
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/d"
idb=$(tail -n1 "$TMP/out")
start_daemon "$TMP/la-server"
APID=$DPID
wait_linked la-server
until_settled "$ida"
until_settled "$idb"

i=0
while [ $i -lt 8 ]; do
	checks=$((checks + 1))
	cmp -s "$S/d/f$i" "$L/d/f$i" || fail "la's f$i is not hq's"
	i=$((i + 1))
done
for id in "$ida" "$idb"; do
	checks=$((checks + 1))
	got=$(q "SELECT state, count(*) FROM tasks WHERE job_id = $id
	    GROUP BY state" | tr '\n' ' ')
	[ "$got" = "done|8 " ] || fail "job $id's tasks: $got"
done
checks=$((checks + 1))
left=$(find "$L/d" -mindepth 1 ! -name 'f[0-7]')
[ -z "$left" ] || fail "la has more than the files: $left"

stop_and_check
finish
