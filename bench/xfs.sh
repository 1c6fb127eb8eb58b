# bench/xfs.sh: deltas on a file system with reflinks, sourced by
# bench/run --xfs.
#
# Adds S2X: S2 (the big file with 1 % of its 4 KiB blocks rewritten,
# the old version at the receiver) with the destination on a loop-mounted
# XFS image made with reflink=1 (tests/lab/xfs.sh; made at the start,
# removed at the end however the bench ends). Besides the time, each run
# records the bytes the receiving side wrote to the image's loop device
# (/sys/block/loopN/stat, after `sync -f`, so that rsync's unflushed
# writes count too), from after the old version was copied in until the
# run ended. See bench/README.md ("Deltas on XFS").

. "$REPO/tests/lab/xfs.sh"

ALL_SCENARIOS="$ALL_SCENARIOS S2X"
XFS_W0=

xfs_setup()
{
	# Two old versions, the new one and rsync's temporary file, room to
	# spare; the image is sparse.
	xfs_mount "$W/xfs.img" "$W/xfs" $((4 * BIG + 512 * MIB)) ||
	    die "--xfs: cannot mount an XFS image"
	log "xfs: $W/xfs.img on $XFS_MNT ($XFS_DEV)"
}

pre_run()
{
	[ "$1" = S2X ] || return 0
	XFS_W0=$(xfs_written)
}

post_run()
{
	[ "$1" = S2X ] || return 0
	jq -nc --arg tool "$2" --argjson rep "$3" \
	    --argjson w $(($(xfs_written) - XFS_W0)) \
	    '{scenario: "S2X", tool: $tool, rep: $rep, written: $w}' \
	    >>"$W/written.jsonl"
}

s2x()
{
	local src rep ch

	data_big
	src=$(src_dir S2X big.bin=A2)
	for ((rep = 1; rep <= REPEAT; rep++)); do
		each_tool S2X "$rep" "$src" "$XFS_MNT/S2X" prep_old_big
	done
	rm -rf "${XFS_MNT:?}/S2X"
	ch=$(cat "$W/data/A2.changed")
	meta S2X "S2 with the destination on XFS (reflink=1)" "$BIG" "$ch" \
	    "<= 0.15 x rsync's time, and bytes written at the destination <= 3 x changed" \
	    "{\"max_ratio\": 0.15, \"max_written\": $((3 * ch))}"
}

xfs_results()
{
	jq --slurpfile w "$W/written.jsonl" --slurpfile meta "$W/meta.jsonl" \
	    "$JQ_MEDIAN"'
	map(. as $o
	  | if $o.scenario != "S2X" then . else
	    ([$w[] | select(.tool == "ferry") | .written] | median) as $fw
	    | ([$meta[] | select(.scenario == "S2X") | .check.max_written]
	       | first) as $mw
	    | . + {written_bytes: $fw,
	           rsync_written_bytes: ([$w[] | select(.tool == "rsync")
	                                  | .written] | median)}
	    | .met = (if .met == false then false
	              elif $fw == null or .met == null then null
	              else $fw <= $mw end)
	    end)'
}

xfs_table()
{
	jq -r '.[] | select(.scenario == "S2X") |
	    "\nS2X on XFS: written at the destination: ferry " +
	    "\(.written_bytes) B, rsync \(.rsync_written_bytes) B, changed " +
	    "\(.changed_bytes) B; ferry/rsync time \(.ratio); met: \(.met)"' "$1"
}
