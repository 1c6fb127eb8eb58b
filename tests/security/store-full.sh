#!/bin/sh
# The hub's database on a full disk. The dispatcher records every task's
# start (one transaction) before the transfer runs; it used not to look
# at whether that commit worked, so on a full disk a transfer ran while
# the store still said "queued" (and the next round could start it
# again). With the hub's state on a small tmpfs whose WAL was truncated
# and whose space was then taken, a job whose agent comes back must not
# move a byte; the hub's log must name the store and the error, the job
# must stay queued, and once space is back it must complete.

# A mount namespace of our own for the tmpfs (the test runs as root in
# its own network namespace already), entered before lib.sh makes $TMP.
if [ -z "${STORE_FULL_NS:-}" ]; then
	export STORE_FULL_NS=1
	unshare -m true 2>/dev/null ||
	    { echo "SKIP: no mount namespace (root needed)" >&2; exit 77; }
	exec unshare -m sh "$0" "$@"
fi
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3
mkdir -p "$HUB"
mount -t tmpfs -o size=16m,mode=0700 tmpfs "$HUB" ||
    { echo "SKIP: cannot mount a tmpfs" >&2; exit 77; }
# The EXIT trap removes $TMP: the mount must go first.
trap 'stop_daemons; umount "$HUB" 2>/dev/null; rm -rf "$TMP"' EXIT

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010" "$L"
head -c 3000000 /dev/urandom >"$S/show/sh010/comp.mov"
share_map "$S" la="$L"
make_hub
enrol_agent la la-server
LAPID=$APID
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
# la goes away; the job waits for it.
kill "$LAPID"; wait "$LAPID" 2>/dev/null || true
wait_unlinked la-server
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/comp.mov"
# No room left: the WAL at 0 bytes, then the rest of the tmpfs taken.
sqlite3 "$HUB/hub.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
dd if=/dev/zero of="$HUB/fill" bs=64k 2>/dev/null || true
start_daemon "$TMP/la-server"
sleep 8
checks=$((checks + 1))
[ ! -e "$L/show/sh010/comp.mov" ] ||
    fail "the file was sent while the hub could not record it"
checks=$((checks + 1))
grep -q "hub.db) cannot record that its tasks start: .*full" "$HUB.log" ||
    fail "the hub's log does not name the full store: $(tail -n 5 "$HUB.log")"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0].state' "$TMP/out")" = queued ] ||
    fail "the job is not kept queued: $(cat "$TMP/out")"
# Space again: the job goes through, recorded.
rm -f "$HUB/fill"
i=0
until cmp -s "$S/show/sh010/comp.mov" "$L/show/sh010/comp.mov"; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$L/show/sh010/comp.mov" ||
    fail "the job did not complete once space was back"
i=0
until "$FERRY" jobs --json --state "$HUB" | jq -e '.[0].state == "done"' \
    >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0].state' "$TMP/out")" = done ] ||
    fail "the job is not recorded done: $(cat "$TMP/out")"
stop_and_check
finish
