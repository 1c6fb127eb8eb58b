# bench/ext4.sh: S7's destinations on a fresh ext4 with a journal, and
# D2's (bench/daemon.sh), sourced by bench/run.
#
# The scratch directory's file system here is an ext4 without a journal
# (docs/benchmarks.md, issue 14's second and fourth passes): there, each
# fsync writes its inode on its own, and every tool created its 20,000
# files right after the previous tool's 20,000 were deleted, so ext4's
# allocator skipped recently freed inodes (`recently_deleted`) and each
# tool paid for the one before. The S7 is "to ext4": a studio's
# volume has a journal. So each tool's S7 destination, in every run, is a
# new ext4 image made by mkfs.ext4 with its defaults (a journal, 4 KiB
# blocks) and mounted with `mount -o loop` on the destination directory;
# the previous tool's image is flushed, unmounted and removed first, so
# no tool pays for another's writes or deletes. The inode tables and the
# journal are written at mkfs time (lazy_itable_init=0,
# lazy_journal_init=0: same format, but no ext4lazyinit thread writing
# during the run). Without root, mkfs.ext4 or loop devices it says why
# and S7 uses the scratch directory as before (`s7_fs` in the results
# says which). See bench/README.md ("S7 on a fresh ext4").

EXT4_OK=0
EXT4_WHY=
EXT4_N=0
EXT4_MNTS=()
EXT4_IMGS=()

# Whether S7 can have its own ext4; sets EXT4_OK or EXT4_WHY.
ext4_setup()
{
	local t="$W/ext4/probe"

	if [ "$(id -u)" != 0 ]; then
		EXT4_WHY="not root"
	elif ! command -v mkfs.ext4 >/dev/null 2>&1; then
		EXT4_WHY="mkfs.ext4 missing (Debian package e2fsprogs)"
	else
		mkdir -p "$W/ext4"
		ext4_fresh "$t" 2>"$W/ext4/probe.err" && EXT4_OK=1 ||
		    EXT4_WHY="cannot mount an ext4 image: $(head -n 1 \
		    "$W/ext4/probe.err")"
		ext4_settle
		rmdir "$t" 2>/dev/null
	fi
	if [ "$EXT4_OK" = 1 ]; then
		log "S7 (each tool, each run) and D2: destinations are fresh loop-mounted ext4 images (journal)"
	else
		log "S7 and D2: destinations on the scratch file system ($EXT4_WHY)"
	fi
}

# Flushes, unmounts and removes every image made so far.
ext4_settle()
{
	local i m

	for ((i = 0; i < ${#EXT4_MNTS[@]}; i++)); do
		m=${EXT4_MNTS[i]}
		if mountpoint -q "$m"; then
			sync -f "$m" 2>/dev/null
			# A process that has just exited may hold it a moment.
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				umount "$m" 2>/dev/null && break
				sleep 0.2
			done
			mountpoint -q "$m" && umount -l "$m"
		fi
		rm -f "${EXT4_IMGS[i]}"
	done
	EXT4_MNTS=() EXT4_IMGS=()
	return 0
}

# ext4_fresh DIR [INODES]: a new ext4 image mounted on DIR (emptied
# first), with mke2fs's count of inodes for 1 GiB (65,536) or INODES.
ext4_fresh()
{
	local img

	ext4_settle
	rm -rf "$1"
	mkdir -p "$1" || return 1
	EXT4_N=$((EXT4_N + 1))
	img="$W/ext4/$EXT4_N.img"
	rm -f "$img"
	# 1 GiB: mke2fs's "default" type (4 KiB blocks, an inode per 16 KiB:
	# 65,536 inodes), not "small"; sparse, about 50 MB written.
	truncate -s 1G "$img" &&
	    mkfs.ext4 -q -F ${2:+-N "$2"} \
	    -E lazy_itable_init=0,lazy_journal_init=0 "$img" &&
	    mount -o loop "$img" "$1" || {
		rm -f "$img"
		return 1
	}
	EXT4_MNTS+=("$1")
	EXT4_IMGS+=("$img")
	# Not in the source tree: the comparison would see it.
	rmdir "$1/lost+found"
}

# S7's PREPARE for each_tool: a fresh ext4 where possible.
fresh_s7()
{
	if [ "$EXT4_OK" = 1 ]; then
		ext4_fresh "$1" || die "S7: cannot mount an ext4 image on $1"
	else
		fresh_dir "$1"
	fi
}

# The file system S7 was measured on, for the results.
ext4_s7_fs()
{
	if [ "$EXT4_OK" = 1 ]; then
		echo "fresh loop-mounted ext4 per tool and run"
	else
		echo "scratch directory ($EXT4_WHY)"
	fi
}
