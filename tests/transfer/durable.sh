#!/bin/sh
# Durability of what the receiver puts under a final name, when the
# machine dies at any moment: the destination is a loop-mounted XFS image
# (tests/lab/xfs.sh) that is shut down mid-transfer without flushing its
# log (xfs_io's "shutdown", as xfstests simulates a power cut), the two
# processes are killed with SIGKILL, and the image is mounted again, which
# replays its log. Every file then under its final name must hold all its
# bytes; a transfer after that must complete the tree. A plain kill -9 of
# the receiver, without the shutdown, is tried too. Both ways of making a
# batch durable are cut: one syncfs per batch (the destination is the
# image's mount point: --flush auto chooses it) and an fsync per file
# (--flush files). tests/transfer/durable-ext4.sh runs the same on ext4
# with its journal.
. "${srcdir:-.}/tests/lab/xfs.sh"
xfs_own_mounts sh "$0" "$@"
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl
need xfs_io
xfs_test_dst 512M

# Many small files in a few directories, and a few larger ones.
for d in 0 1 2 3; do
	mkdir -p "$TMP/src/d$d"
	head -c $((600 * 4096)) /dev/urandom |
	    split -b 4096 -a 3 -d - "$TMP/src/d$d/f"
done
gen "$TMP/src/d0/big1.bin" 3 one
gen "$TMP/src/d2/big2.bin" 5 two

# intact: every regular file under a final name equals the source's; the
# count of them is in $present.
intact() {
	present=0
	checks=$((checks + 1))
	for f in $(cd "$TMP/dst" && find . -type f ! -name '.*ferry-*'); do
		present=$((present + 1))
		cmp -s "$TMP/src/$f" "$TMP/dst/$f" || {
			fail "$1: $f is under its final name but differs" \
			    "($(stat -c %s "$TMP/dst/$f") bytes)"
			return 0
		}
	done
}

# crash DELAY FLUSH: a transfer cut by a shutdown of the file system after
# DELAY seconds, then both processes killed and the image mounted again.
crash() {
	start_recv --flush "$2"
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --streams 2 --bwlimit 4M >/dev/null 2>&1 &
	SPID=$!
	sleep "$1"
	xfs_io -x -c shutdown "$TMP/dst"
	kill -9 "$SPID" "$RPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
	wait "$RPID" 2>/dev/null || true
	umount "$TMP/dst" && mount -o loop "$XFS_IMG" "$TMP/dst" ||
	    { fail "cannot mount the image again"; finish; exit 1; }
	intact "shutdown after $1 s ($2)"
	echo "shutdown after $1 s, --flush $2: $present files intact" >&2
}

# recv_syncs: the syncfs calls the last receiver made instead of fsyncs.
recv_syncs() {
	jq -r .fs_syncs "$TMP/rstats"
}

total=$(find "$TMP/src" -type f | wc -l)
for mode in auto files; do
	# Durable, or the shutdown would bring the removed files back.
	rm -rf "${TMP:?}/dst/"*
	sync -f "$TMP/dst"
	seen_some=0
	for delay in 0.3 1 2 4; do
		crash "$delay" "$mode"
		[ "$present" -gt 0 ] && [ "$present" -lt "$total" ] &&
		    seen_some=1
	done
	# The cuts fell in the middle of a transfer at least once: otherwise
	# this test showed nothing about the window it is about.
	checks=$((checks + 1))
	[ "$seen_some" = 1 ] ||
	    fail "--flush $mode: no shutdown fell inside a transfer"
done

# Which way each mode went: per file below the mount point (the file
# system is not the transfer's own), syncfs at it.
rm -rf "${TMP:?}/dst/"*
start_recv --dest "$TMP/dst/sub"
send_to 0
checks=$((checks + 1))
wait_recv || fail "receiver into a subdirectory exited $rstatus"
[ "$(recv_syncs)" = 0 ] ||
    fail "a destination below the mount point was synced whole: $(recv_syncs)"
rm -rf "${TMP:?}/dst/"*
start_recv --flush files
send_to 0
checks=$((checks + 1))
wait_recv || fail "receiver with --flush files exited $rstatus"
[ "$(recv_syncs)" = 0 ] || fail "--flush files made $(recv_syncs) syncfs calls"

# kill -9 of the receiver alone, mid-transfer: the same rule. At 4 MB/s,
# as the crashes above: unbounded, an idle CI machine had the whole tree
# across in 0.3 s, and the last transfer below then had nothing to sync.
rm -rf "${TMP:?}/dst/"*
mkdir -p "$TMP/dst"
start_recv
"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" --token-file "$TMP/token" \
    --connect "127.0.0.1:$PORT" --src "$TMP/src" --streams 2 --bwlimit 4M \
    >/dev/null 2>&1 &
SPID=$!
sleep 0.3
kill -9 "$RPID"
wait "$SPID" 2>/dev/null || true
wait "$RPID" 2>/dev/null || true
intact "receiver killed"

# After all that, a transfer completes the tree and leaves nothing behind,
# with a syncfs per batch at the mount point.
transfer
same_tree
no_leftovers
checks=$((checks + 1))
[ "$(recv_syncs)" -gt 0 ] || fail "the mount point's receiver made no syncfs"
finish
