# tests/lab/xfs.sh: a loop-mounted XFS image with reflinks, sourced by the
# transfer tests and by bench/run --xfs. Needs root, mkfs.xfs (Debian's
# xfsprogs) and loop devices; xfs_mount says why when one is missing.
#
# xfs_mount IMAGE MOUNTPOINT SIZE: makes a sparse image of SIZE (as for
# truncate -s), mkfs.xfs with reflink=1 (or, with LOOP_FS=ext4, mkfs.ext4
# with its defaults: a journal) and mounts it through a loop device. Sets XFS_MNT and XFS_DEV (loopN). Returns 1, with the reason on
# stderr, when it cannot. xfs_umount undoes it and removes the image; it
# is safe to call more than once and from an EXIT trap.
# xfs_written: bytes written to the device so far (its stat counter).
# xfs_own_mounts CMD...: re-runs the calling script (CMD) in a mount
# namespace of its own, once, before it mounts anything.

XFS_IMG=
XFS_MNT=
XFS_DEV=

xfs_mount()
{
	local src

	local mkfs="mkfs.xfs -q -f -m reflink=1" pkg=xfsprogs

	[ "${LOOP_FS:-xfs}" = ext4 ] && mkfs="mkfs.ext4 -q -F" pkg=e2fsprogs
	[ "$(id -u)" = 0 ] || { echo "xfs: needs root" >&2; return 1; }
	command -v "${mkfs%% *}" >/dev/null 2>&1 ||
	    { echo "xfs: ${mkfs%% *} missing (Debian package $pkg)" >&2; return 1; }
	XFS_IMG=$1
	XFS_MNT=$2
	rm -f "$XFS_IMG"
	truncate -s "$3" "$XFS_IMG" &&
	    $mkfs "$XFS_IMG" &&
	    mkdir -p "$XFS_MNT" &&
	    mount -o loop "$XFS_IMG" "$XFS_MNT" || {
		echo "xfs: cannot make or mount $XFS_IMG on $XFS_MNT" >&2
		rm -f "$XFS_IMG"
		XFS_IMG= XFS_MNT=
		return 1
	}
	# Not the source's: a comparison of the trees would see it.
	[ "${LOOP_FS:-xfs}" != ext4 ] || rmdir "$XFS_MNT/lost+found"
	src=$(findmnt -n -o SOURCE --target "$XFS_MNT")
	XFS_DEV=${src##*/}
	[ -r "/sys/block/$XFS_DEV/stat" ] || {
		echo "xfs: no /sys/block/$XFS_DEV/stat" >&2
		xfs_umount
		return 1
	}
}

xfs_umount()
{
	local i

	if [ -n "$XFS_MNT" ] && mountpoint -q "$XFS_MNT"; then
		# A process that has just exited may still hold it for a moment.
		for i in 1 2 3 4 5 6 7 8 9 10; do
			umount "$XFS_MNT" 2>/dev/null && break
			sleep 0.2
		done
		mountpoint -q "$XFS_MNT" && umount -l "$XFS_MNT"
	fi
	[ -n "$XFS_MNT" ] && rmdir "$XFS_MNT" 2>/dev/null
	[ -n "$XFS_IMG" ] && rm -f "$XFS_IMG"
	XFS_IMG= XFS_MNT= XFS_DEV=
	return 0
}

# A mount made in the machine's namespace is copied into every mount
# namespace created while it exists (ip netns exec, unshare -m: the lab and
# the WAN bench make them). Such a copy keeps the file system's superblock
# alive after our umount, and mounting the image again then reuses the loop
# device and that superblock: a file system shut down by a test comes back
# shut down (EIO). In a namespace of its own nobody else copies the mount,
# and it goes away with the test even when the test is killed.
xfs_own_mounts()
{
	[ -z "${XFS_OWN_NS:-}" ] || return 0
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 || return 0
	XFS_OWN_NS=1 exec unshare -m --propagation private "$@"
}

xfs_written()
{
	sync -f "$XFS_MNT"
	awk '{ printf "%.0f\n", $7 * 512 }' "/sys/block/$XFS_DEV/stat"
}

# xfs_test_dst SIZE: for a test sourcing tests/transfer/lib.sh, an image
# mounted on $TMP/dst, or a skip (77) that says why; the EXIT trap
# unmounts it before removing $TMP.
xfs_test_dst()
{
	if ! xfs_mount "$TMP/xfs.img" "$TMP/dst" "$1" 2>"$TMP/xfserr"; then
		echo "SKIP: $(cat "$TMP/xfserr")" >&2
		exit 77
	fi
	trap 'xfs_umount; rm -rf "$TMP"' EXIT
}
