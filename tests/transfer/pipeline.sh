#!/bin/sh
# Feature PIPELINE (docs/protocol.md 6.1): a batch's ACKs come after the
# next batch's data, and the receiver commits a batch (syncfs, links,
# syncfs) in a thread while the next one arrives. Into an ext4 image's
# mount point, so that batches take that path:
# - 6,000 small files arrive whole, with PIPELINE and with either side
#   speaking as a peer from before it (--no-pipeline), written by the
#   stream's writer threads (recv-write.c) either way;
# - the modes of the writers' files as in the source, under umask 022,
#   umask 077, and a default ACL on the destination, made with them (no
#   fchmod) but below the ACL;
# - a receiver killed with batches in flight (one committing, the next
#   arriving) leaves under a final name only files whole and right, and
#   the next try re-sends none of them.
# The order of every link and rename against the syncfs calls is checked
# by durable-order.sh; forged peers by tests/security/pipeline-forged.sh.
. "${srcdir:-.}/tests/lab/xfs.sh"
LOOP_FS=ext4
export LOOP_FS
xfs_own_mounts sh "$0" "$@"
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl
xfs_test_dst 256M

for d in 0 1 2 3 4 5; do
	mkdir -p "$TMP/src/d$d"
	head -c $((1000 * 4096)) /dev/urandom |
	    split -b 4096 -a 3 -d - "$TMP/src/d$d/f$d"
done
gen "$TMP/src/d2/big.bin" 2 big
# Modes of all kinds among the writers' files: a writer thread has a
# umask of its own, 0, and creates each with its mode, whatever the
# receiver's umask (022, and 077 in the run with a receiver
# --no-pipeline); below a default ACL each gets its mode afterwards
# (recv-write.c). same_tree compares every mode (0666 is not among
# them: a receiver drops the world write bit).
set -- 0600 0640 0644 0664 0660 0700 0755 0444 0400 0604
for f in "$TMP"/src/d0/f0*[0-9]; do
	[ $# -gt 0 ] || set -- 0600 0640 0644 0664 0660 0700 0755 0444 \
	    0400 0604
	chmod "$1" "$f"
	shift
done
total=$(find "$TMP/src" -type f | wc -l)

# finals: the files under a final name in the destination.
finals() {
	find "$TMP/dst" -type f ! -name '.*ferry-*' ! -path '*/lost+found/*'
}

# Whether a thread may have a umask of its own here (unshare CLONE_FS).
own_umask=$(python3 -c 'import ctypes
print("yes" if ctypes.CDLL(None).unshare(0x200) == 0 else "no")' 2>/dev/null ||
    echo no)
[ "$own_umask" = yes ] ||
    echo "unshare(CLONE_FS) refused here: the fchmod count is not checked" >&2
for how in "" "send" "recv"; do
	rm -rf "${TMP:?}/dst/"*
	if [ "$how" = recv ]; then
		old_umask=$(umask)
		umask 077
		start_recv --no-pipeline
		umask "$old_umask"
	else
		start_recv
	fi
	if [ "$how" = send ]; then
		send_to 0 --no-pipeline
	else
		send_to 0
	fi
	checks=$((checks + 1))
	wait_recv || fail "${how:-both} pipelined: receiver exited $rstatus: $(cat "$TMP/rerr")"
	rm -rf "$TMP/dst/lost+found"
	same_tree
	no_leftovers
	checks=$((checks + 1))
	[ "$(stat_of whole)" -eq "$total" ] ||
	    fail "${how:-pipelined}: $(stat_of whole) files sent whole, want $total"
	checks=$((checks + 1))
	[ "$(jq -r .fs_syncs "$TMP/rstats")" -gt 0 ] ||
	    fail "${how:-pipelined}: no syncfs: not the batched path"
	# The small files made by the writer threads, beside the stream
	# (recv-write.c), with or without PIPELINE.
	checks=$((checks + 1))
	[ "$(jq -r .tmp_aside "$TMP/rstats")" -ge 5000 ] ||
	    fail "${how:-pipelined}: $(jq -r .tmp_aside "$TMP/rstats") files written by writer threads, want 5,000 or more"
	# Each made with its mode, whatever the receiver's umask: the
	# writers have a umask of their own, 0 (recv-write.c), so none
	# needed an fchmod (umask 077 would take bits from all but 3 modes).
	# Where a seccomp filter forbids unshare (containers), they fall
	# back to the fchmod, and the modes are still checked above.
	if [ "$own_umask" = yes ]; then
		checks=$((checks + 1))
		[ "$(jq -r .tmp_chmods "$TMP/rstats")" = 0 ] ||
		    fail "${how:-pipelined}: $(jq -r .tmp_chmods "$TMP/rstats") files given their mode after their creation, want none"
	fi
done

# A default ACL on the destination replaces the umask for what is
# created below it: here it takes the group's and others' bits from every
# new file, so a writer that trusted the umask (022) alone would leave
# 0644 as 0600. Each directory's ACL is looked for (recv-write.c), and
# the files get their modes as in the source. Written with python3's
# setxattr (no setfacl here): version 2, user::rwx, group::---, other::---.
acl() {
	python3 -c 'import os, struct, sys
e = lambda tag, perm: struct.pack("<HHI", tag, perm, 0xffffffff)
if sys.argv[2] == "set":
    os.setxattr(sys.argv[1], "system.posix_acl_default",
        struct.pack("<I", 2) + e(1, 7) + e(4, 0) + e(0x20, 0))
else:
    os.removexattr(sys.argv[1], "system.posix_acl_default")' "$@"
}
rm -rf "${TMP:?}/dst/"*
if command -v python3 >/dev/null && acl "$TMP/dst" set; then
	old_umask=$(umask)
	umask 022
	start_recv
	umask "$old_umask"
	send_to 0
	checks=$((checks + 1))
	wait_recv || fail "default ACL: receiver exited $rstatus: $(cat "$TMP/rerr")"
	acl "$TMP/dst" unset
	rm -rf "$TMP/dst/lost+found"
	same_tree
	checks=$((checks + 1))
	[ "$(jq -r .tmp_aside "$TMP/rstats")" -ge 5000 ] ||
	    fail "default ACL: $(jq -r .tmp_aside "$TMP/rstats") files written by writer threads, want 5,000 or more"
	# Every one given its mode after, the ACL having decided its first.
	checks=$((checks + 1))
	[ "$(jq -r .tmp_chmods "$TMP/rstats")" -ge 5000 ] ||
	    fail "default ACL: $(jq -r .tmp_chmods "$TMP/rstats") files given their mode after their creation, want 5,000 or more"
else
	fail "cannot set a default ACL on the ext4 mount point"
fi

# The kill: the sender throttled, so that batches are in flight when
# half of the files are in place.
rm -rf "${TMP:?}/dst/"*
STREAMS=1 start_recv
"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" --token-file "$TMP/token" \
    --connect "127.0.0.1:$PORT" --src "$TMP/src" --streams 1 \
    --bwlimit 6M >/dev/null 2>&1 &
SPID=$!
i=0
while [ "$(finals | wc -l)" -lt 2000 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { fail "no 2,000 files in place after 30 s"; break; }
	sleep 0.05
done
kill -9 "$RPID"
wait "$SPID" 2>/dev/null || true
wait_recv || true
kept=$(finals | wc -l)
checks=$((checks + 1))
[ "$kept" -gt 0 ] && [ "$kept" -lt "$total" ] ||
    fail "the kill did not fall mid-transfer: $kept of $total in place"
bad=0
for f in $(finals); do
	cmp -s "$f" "$TMP/src/${f#"$TMP/dst/"}" || { bad=$((bad + 1))
		echo "not whole or not right: $f" >&2; }
done
checks=$((checks + 1))
[ "$bad" -eq 0 ] || fail "$bad files under a final name differ from the source"
rm -rf "$TMP/dst/lost+found"
STREAMS=1 transfer
same_tree
no_leftovers
echo "killed with $kept of $total files in place; the next try skipped $(stat_of skipped), sent $(stat_of whole) whole" >&2
# Committed before the kill (the commit thread finishes what it began):
# planned SKIP, not sent again. The kill may fall between a batch's links
# and the receiver's word of them, so "kept" is all that was in place.
checks=$((checks + 1))
[ "$(stat_of skipped)" -ge "$kept" ] &&
    [ "$(stat_of whole)" -le $((total - kept)) ] ||
    fail "after the kill $kept files were in place; the next try skipped $(stat_of skipped) and sent $(stat_of whole)"
finish
