#!/bin/sh
# A big send's plan spills under the hub's TMPDIR (hub-jobplan.c). When
# that file system is full, the send is refused with an error that names
# the directory and the cause (not only "write"), and no job of it is
# stored; once there is room again, the same send goes through.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3
need sqlite3

if [ "$(id -u)" -ne 0 ]; then
	[ "${CI:-}" = true ] && { echo "FAIL: needs root for a tmpfs" >&2;
	    exit 1; }
	echo "SKIP: needs root to mount a tmpfs" >&2
	exit 77
fi
T="$TMP/plan-tmp"
mkdir -p "$T"
mount -t tmpfs -o size=64k ferry-plantmp "$T" ||
    { echo "SKIP: cannot mount a tmpfs" >&2; exit 77; }
trap 'stop_daemons; umount "$T" 2>/dev/null; rm -rf "$TMP"' EXIT

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/big" "$L"
tree_of "$S/big" 17000 empty
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" } } } } }
JSON

# Only the hub plans under the small TMPDIR.
old_tmpdir=${TMPDIR-}
export TMPDIR="$T"
make_hub
if [ -n "$old_tmpdir" ]; then export TMPDIR="$old_tmpdir"; else unset TMPDIR; fi
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
# Its 17 directories as 17 paths: a send of one path is stored while it
# is listed, with no plan (hub-jobstream.c); several are planned.
dirs=$(for d in "$S"/big/d*; do printf '%s ' "$d"; done)
# Full: a file fills the tmpfs but for a few bytes.
dd if=/dev/zero of="$T/fill" bs=1k count=60 2>/dev/null || true
# shellcheck disable=SC2086
run 1 "$FERRY" send --from hq --to la --state "$HUB" $dirs
err_has "$T"
err_has "No space left on device"
checks=$((checks + 1))
[ "$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM jobs")" = 0 ] ||
    fail "a job was stored: $(sqlite3 "$HUB/hub.db" "SELECT id, state, files FROM jobs")"
rm -f "$T/fill"
umount "$T"
mount -t tmpfs -o size=16m ferry-plantmp "$T" || fail "remount"
# shellcheck disable=SC2086
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" $dirs
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = 17000 ] ||
    fail "la has $(find "$L/big" -type f | wc -l) of the 17,000 files"
stop_and_check
finish
