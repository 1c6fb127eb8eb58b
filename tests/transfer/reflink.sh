#!/bin/sh
# Deltas on a file system with reflinks (a loop-mounted XFS image, see
# tests/lab/xfs.sh): the receiver clones the old version into the new file
# and writes only what changed. The result must be exact, and the bytes
# the image's device took must be a small multiple of the change, not the
# file's size. A change that moves data (an insertion: librsync's delta,
# with copies from other offsets) must come out exact too.
. "${srcdir:-.}/tests/lab/xfs.sh"
xfs_own_mounts sh "$0" "$@"
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl
xfs_test_dst 512M

# 1 % of the 4 KiB blocks of a 64 MiB file, rewritten in place.
gen "$TMP/src/shot.bin" 64
cp "$TMP/src/shot.bin" "$TMP/dst/shot.bin"
touch -d @1700000000 "$TMP/dst/shot.bin"
i=0
while [ $i -lt 164 ]; do
	gen "$TMP/blk" 1 "blk$i"
	dd if="$TMP/blk" of="$TMP/src/shot.bin" bs=4096 count=1 \
	    seek=$((i * 100 + 7)) conv=notrunc status=none
	i=$((i + 1))
done
changed=$((164 * 4096))
w0=$(xfs_written)
transfer
w1=$(xfs_written)
same_tree
no_leftovers
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] || fail "not sent as a delta: $(cat "$TMP/sstats")"
# The changed blocks, and room for the log and the file system's metadata.
written=$((w1 - w0))
echo "1 % of 64 MiB: $written bytes written for $changed changed" >&2
checks=$((checks + 1))
[ "$written" -le $((3 * changed + 1048576)) ] ||
    fail "wrote $written bytes for $changed changed bytes"

# An insertion near the start of a 4 MiB file: data moves, librsync's delta
# copies from other offsets.
gen "$TMP/src/edit.bin" 4 edit
cp "$TMP/src/edit.bin" "$TMP/dst/edit.bin"
touch -d @1700000000 "$TMP/dst/edit.bin"
{ head -c 5000 "$TMP/dst/edit.bin"; echo "inserted"
  tail -c +5001 "$TMP/dst/edit.bin"; } >"$TMP/src/edit.bin"
transfer
same_tree
no_leftovers

# A shorter new version: the clone is cut to size.
head -c 1000000 "$TMP/dst/edit.bin" >"$TMP/src/edit.bin"
transfer
same_tree
no_leftovers
finish
