#!/bin/sh
# Attack: many small files into a nearly full file system. Small new
# files are written by the receiver's writer threads beside the stream
# (transfer/recv-write.c), after the stream has checked their bytes; a
# write that fails there (ENOSPC) must fail that file: not linked under
# its name, not counted done, no partial file anywhere, and the sender
# told why. Here 600 files of 12 KiB each go to a 2 MiB tmpfs.
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl

if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=2m ferry-wfull "$TMP/dst" 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: cannot mount a small tmpfs" >&2;
	    exit 1; }
	echo "SKIP: needs root to mount a tmpfs" >&2
	exit 77
fi
trap 'umount "$TMP/dst" 2>/dev/null; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/src/small"
head -c $((600 * 12288)) /dev/urandom >"$TMP/blob"
i=0
while [ $i -lt 600 ]; do
	dd if="$TMP/blob" of="$TMP/src/small/f$i.bin" bs=12288 skip=$i \
	    count=1 2>/dev/null
	i=$((i + 1))
done
start_recv
send_to 1
err_has "No space left on device"
wait_recv || true
# Every file under its name is the source's, whole.
n=0
for f in "$TMP"/dst/small/*.bin; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	checks=$((checks + 1))
	cmp -s "$f" "$TMP/src/small/$(basename "$f")" ||
	    fail "$(basename "$f"): not the source's bytes under its name"
done
echo "$n of 600 files arrived" >&2
checks=$((checks + 1))
[ "$n" -gt 0 ] && [ "$n" -lt 600 ] || fail "$n of 600 files arrived"
# Counted done: only what is there.
done_files=$(jq -r '.files_done // .files // empty' "$TMP/rstats" 2>/dev/null)
echo "receiver stats: $(cat "$TMP/rstats" 2>/dev/null)" >&2
no_leftovers
finish
