#!/bin/sh
# A planned send (more than 16,384 files, stored in batches) whose store
# fills up halfway, after its first batch has already run (its stored
# tasks run while the rest is stored: agent/hub-jobstore.c). The send
# must fail saying how many files were stored, that its files delivered
# stay, and why storing stopped; nothing of the job may be left to run
# or to show as done (its rows go, at once, or once space is back if
# the full store cannot even remove them); the files delivered stay
# at la; once space is back, the same send delivers the rest.

# A mount namespace of our own for the tmpfs, as store-full.sh.
if [ -z "${STORE_FULL_NS:-}" ]; then
	export STORE_FULL_NS=1
	unshare -m true 2>/dev/null ||
	    { echo "SKIP: no mount namespace (root needed)" >&2; exit 77; }
	exec unshare -m sh "$0" "$@"
fi
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3
need python3
mkdir -p "$HUB"
mount -t tmpfs -o size=64m,mode=0700 tmpfs "$HUB" ||
    { echo "SKIP: cannot mount a tmpfs" >&2; exit 77; }
trap 'stop_daemons; umount "$HUB" 2>/dev/null; rm -rf "$TMP"' EXIT

N=16500
S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/big" "$L"
tree_of "$S/big" "$N"
# The batches after the first wait while $HOLD exists (tests only): the
# first is delivered meanwhile, then the store fills, then the hold goes.
HOLD="$TMP/hold"
HUB_CONF="test-store-hold $HOLD"
hub_and_la "$S" "$L"

# Its 17 directories as 17 paths, so that it is planned: a send of one
# path is stored while it is listed (tests/agent/store-listing.sh).
dirs=$(for d in "$S"/big/d*; do printf '%s ' "$d"; done)
touch "$HOLD"
# shellcheck disable=SC2086
"$FERRY" send --from hq --to la --wait --state "$HUB" $dirs \
    >"$TMP/send.out" 2>&1 &
sp=$!
half=""
i=0
while [ -z "$half" ] && [ $i -lt "$(slow 600)" ] && kill -0 "$sp" 2>/dev/null; do
	"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" 2>/dev/null &&
	    half=$(jq -r --argjson n $N '.[0] // empty | select(.files < $n and
	    .done_files > 0 and .done_files == .files) | .id' "$TMP/poll")
	i=$((i + 1))
	sleep 0.05
done
checks=$((checks + 1))
[ -n "$half" ] || fail "no job half stored with its stored files delivered"
# No room left: the WAL at 0 bytes, then the rest of the tmpfs taken.
sqlite3 "$HUB/hub.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
dd if=/dev/zero of="$HUB/fill" bs=64k 2>/dev/null || true
rm -f "$HOLD"
st=0
wait "$sp" || st=$?
delivered=$(find "$L/big" -type f | wc -l)
echo "send: status $st: $(cat "$TMP/send.out")"
echo "files at la: $delivered"
checks=$((checks + 1))
[ "$st" != 0 ] || fail "the send succeeded on a full store"
checks=$((checks + 1))
grep -q "storing job $half stopped after 4096 of its files: .*full" \
    "$TMP/send.out" ||
    fail "the send does not say how far storing went and why: $(cat "$TMP/send.out")"
checks=$((checks + 1))
grep -q "4096 of its files had been delivered and stay" "$TMP/send.out" ||
    fail "the send does not say what was delivered: $(cat "$TMP/send.out")"
checks=$((checks + 1))
[ "$delivered" = 4096 ] || fail "$delivered files at la, not the 4096 delivered"
log_has "$HUB.log" "job $half: storing job $half stopped"

# Space again. If the full store could not remove the job, the hub
# does once it can (without a restart); until then it must not run or
# show as ended.
if grep -q "goes once the store takes writes again" "$TMP/send.out"; then
	run 0 "$FERRY" jobs --json --all --state "$HUB"
	checks=$((checks + 1))
	[ "$(jq -r '.[0].state' "$TMP/out")" != done ] ||
	    fail "the job half stored shows as done: $(cat "$TMP/out")"
	sleep 2
	checks=$((checks + 1))
	[ "$(find "$L/big" -type f | wc -l)" = 4096 ] ||
	    fail "the job half stored ran on while it was kept"
	rm -f "$HUB/fill"
	log_has "$HUB.log" "job $half: what was stored of it is removed now"
fi
rm -f "$HUB/fill"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq length "$TMP/out")" = 0 ] ||
    fail "the job half stored is left: $(head -c 400 "$TMP/out")"
checks=$((checks + 1))
[ "$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM tasks WHERE job_id = $half")" = 0 ] ||
    fail "tasks of job $half are left in the store"
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = 4096 ] ||
    fail "the files delivered before the store filled did not stay"
# The same send again: the rest arrives.
# shellcheck disable=SC2086
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" $dirs
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
    fail "the send again did not deliver all $N files: $(cat "$TMP/err")"
finish
