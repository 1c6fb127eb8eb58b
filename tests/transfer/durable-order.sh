#!/bin/sh
# The order behind "nothing under its final name before its bytes are
# durable", from the receiver's own system calls (strace -f): every
# rename of a partial file onto its final name must come after either an
# fsync of that file that succeeded, or a syncfs that started after the
# file was closed and succeeded. durable.sh and durable-ext4.sh cut the
# power at a few moments; this checks every rename of a transfer of 2,400
# small files, the window between a batch's renames and its last flush
# included, which a cut rarely hits. Both ways are checked: a syncfs per
# batch (the destination is an ext4 image's mount point) and an fsync per
# file (--flush files). A small new file may also be written without a
# name (O_TMPFILE) and linked under its final name after the batch's
# syncfs: every such link must come after a successful syncfs that began
# after the file's last write, mode or time change (made by a writer
# thread, not the stream's: recv-write.c). A third transfer
# sends changed files over the first ones, where a link finds its final
# name taken (linked under the partial name, then renamed).
. "${srcdir:-.}/tests/lab/xfs.sh"
LOOP_FS=ext4
export LOOP_FS
xfs_own_mounts sh "$0" "$@"
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl
need strace
xfs_test_dst 256M

# Names unique across the directories (d1/f1000): the checker knows a
# file by its name alone, and with batches committed while the next one
# arrives (PIPELINE), d0/f498 and d1/f498 would be in flight at once.
for d in 0 1 2; do
	mkdir -p "$TMP/src/d$d"
	head -c $((800 * 4096)) /dev/urandom |
	    split -b 4096 -a 3 -d - "$TMP/src/d$d/f$d"
done
gen "$TMP/src/d1/big.bin" 3 big

# ordered TRACE: prints each rename that came before its file's flush.
ordered() {
	awk '
	{ raw = $0 }
	# strace -f splits a call another thread interrupted in two lines.
	/<unfinished \.\.\.>/ {
		sub(/ *<unfinished \.\.\.>.*/, "")
		pend[$1] = $0
		start[$1] = ++clock
		next
	}
	/<\.\.\. [a-z0-9_]+ resumed>/ {
		line = pend[$1]
		sub(/.*resumed>/, "")
		$0 = line $0
		t0 = start[$1]
		delete pend[$1]
	}
	# (Not a resumed call: it started at its first line.)
	raw !~ /<\.\.\./ { t0 = ++clock }
	{ ret = $NF; t1 = ++clock }
	# An unnamed file, known by its descriptor until it is linked.
	/ openat\(.*O_TMPFILE/ && ret ~ /^[0-9]+$/ {
		tfd[ret] = "tmp" (++ntmp)
		tdone[tfd[ret]] = t1
		topen[ret] = t1
		next
	}
	/ (pwrite64|write|fchmod|utimensat|ftruncate)\([0-9]+,/ {
		match($0, /\([0-9]+/)
		n = substr($0, RSTART + 1, RLENGTH - 1)
		if (n in tfd)
			tdone[tfd[n]] = t1
		next
	}
	/ linkat\(/ && ret == "0" {
		if (match($0, /linkat\([0-9]+, ""/))
			n = substr($0, RSTART + 7, RLENGTH - 11)
		else if (match($0, /"\/proc\/self\/fd\/[0-9]+"/))
			n = substr($0, RSTART + 15, RLENGTH - 16)
		else
			n = -1
		match($0, /, "[^"]*", [A-Z_]+\)/)
		p = substr($0, RSTART + 3)
		sub(/".*/, "", p)
		ok = (n in tfd) && tdone[tfd[n]] < synced
		# Its close comes next, from this thread (the commit of a batch).
		if (n in tfd)
			lnk[$1 SUBSEP n] = tfd[n]
		if (p ~ /ferry-part$/) {
			# Renamed onto the final name next: checked there.
			flushed[p] = ok
			next
		}
		links++
		if (!ok)
			print "linked before its flush: " p
		next
	}
	/ openat\(.*ferry-part", .*O_CREAT/ && ret ~ /^[0-9]+$/ {
		match($0, /"[^"]*ferry-part"/)
		fd[ret] = substr($0, RSTART + 1, RLENGTH - 2)
		flushed[fd[ret]] = 0
		nopen[ret] = t1
		next
	}
	/ fsync\(/ && ret == "0" {
		match($0, /fsync\([0-9]+/)
		n = substr($0, RSTART + 6, RLENGTH - 6)
		if (n in fd) {
			flushed[fd[n]] = 1
			fsyncd[$1 SUBSEP n] = fd[n]
		}
		next
	}
	/ close\(/ && ret == "0" {
		match($0, /close\([0-9]+/)
		n = substr($0, RSTART + 6, RLENGTH - 6)
		# A file opened after this close began is not the one it
		# closed: the kernel frees the number as a close begins, and
		# strace may print the end of the close after an open in
		# another thread got that number (the stream closing a named
		# partial file while a writer thread creates an unnamed one).
		newt = (n in tfd) && topen[n] > t0
		newf = (n in fd) && nopen[n] > t0
		# A flusher thread closes what it has just fsynced. strace may
		# print that close after an open in another thread that already
		# reused the number: then it closes the fsynced file.
		k = $1 SUBSEP n
		if ((k in fsyncd) && fsyncd[k] != fd[n]) {
			delete fsyncd[k]
			next
		}
		delete fsyncd[k]
		# The same for an unnamed file a commit thread has just
		# linked: the stream thread may already have a new unnamed
		# file under that number (PIPELINE), which stays known.
		if ((k in lnk) && (!(n in tfd) || lnk[k] != tfd[n])) {
			delete lnk[k]
			next
		}
		delete lnk[k]
		if (!newt)
			delete tfd[n]
		if ((n in fd) && !newf) {
			closed[fd[n]] = ++clock
			delete fd[n]
		}
		next
	}
	# The latest start of a syncfs that returned: syncfs calls overlap
	# (a batch commits in a thread while the next batch kicks an early
	# one), and one that began earlier may return after a later one.
	/ syncfs\(/ && ret == "0" { if (t0 > synced) synced = t0; next }
	/ renameat\(.*ferry-part"/ && ret == "0" {
		renames++
		match($0, /"[^"]*ferry-part"/)
		p = substr($0, RSTART + 1, RLENGTH - 2)
		if (!flushed[p] && !(p in closed && closed[p] < synced))
			print "renamed before its flush: " p
	}
	END { print "renames " renames + 0; print "links " links + 0 }
	' "$1"
}

# check WHAT TRACE: the renames and links of a transfer were all ordered.
check() {
	checks=$((checks + 1))
	ordered "$2" >"$TMP/order"
	bad=$(grep -c '^renamed\|^linked' "$TMP/order" || true)
	n=$(awk '/^renames/ { print $2 }' "$TMP/order")
	l=$(awk '/^links/ { print $2 }' "$TMP/order")
	echo "$1: $n renames, $l links, $bad before their flush" >&2
	if [ "$bad" != 0 ]; then
		fail "$1: $(head -n 3 "$TMP/order")"
		# The first such file's lines in the trace, to see why.
		p=$(grep -m1 '^renamed\|^linked' "$TMP/order" | sed 's/.*: //')
		awk -v p="$p" 'index($0, p) { print NR ": " $0
			if ($0 ~ /openat/ && match($0, /= [0-9]+$/))
				fd = substr($0, RSTART + 2) }
		    fd != "" && $0 ~ ("\\(" fd "[,)]") { print NR ": " $0 }' \
		    "$2" | head -n 30 >&2
		return
	fi
	[ $((n + l)) -ge 2401 ] || fail "$1: only $n renames and $l links seen"
}

# traced FLUSH [TAG [keep]]: a whole transfer into the emptied image (with
# keep, over what it holds), the receiver under strace, its trace in
# trace.FLUSH.TAG; NOFILE, if set, is the receiver's ulimit -n.
traced() {
	[ "${3:-}" = keep ] || rm -rf "${TMP:?}/dst/"*
	cat >"$TMP/traced" <<-EOF
	#!/bin/sh
	# LeakSanitizer cannot run under ptrace (in the ASan build it ends
	# the receiver with a fatal error): its leaks are checked untraced.
	ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
	${NOFILE:+ulimit -n $NOFILE}
	exec strace -f -qq -o "$TMP/trace.$1${2:-}" \\
	    -e trace=openat,fsync,close,syncfs,renameat,linkat,pwrite64,write,fchmod,utimensat,ftruncate \\
	    "$PEER" "\$@"
	EOF
	chmod +x "$TMP/traced"
	real=$PEER
	PEER=$TMP/traced
	start_recv --flush "$1"
	PEER=$real
	send_to 0
	checks=$((checks + 1))
	wait_recv || fail "--flush $1: receiver exited $rstatus: $(cat "$TMP/rerr")"
	same_tree
	no_leftovers
}

traced auto
checks=$((checks + 1))
[ "$(jq -r .fs_syncs "$TMP/rstats")" -gt 0 ] ||
    fail "--flush auto at the mount point made no syncfs"
check "--flush auto (syncfs)" "$TMP/trace.auto"
checks=$((checks + 1))
[ "$(jq -r .tmp_links "$TMP/rstats")" -ge 2400 ] ||
    fail "--flush auto: $(jq -r .tmp_links "$TMP/rstats") small files linked, want 2400"
# Those were created and written by the stream's writer threads (recv-
# write.c; each stream's first one by the stream itself), so the order
# checked above is theirs: their writes before the batch's syncfs.
checks=$((checks + 1))
[ "$(jq -r .tmp_aside "$TMP/rstats")" -ge 2300 ] ||
    fail "--flush auto: $(jq -r .tmp_aside "$TMP/rstats") small files written by writer threads, want 2300 or more"
# Emptied, the destination's files are sent whole again; every unnamed
# file finds its final name taken.
find "$TMP/dst" -type f -exec truncate -s 0 {} +
traced auto .update keep
check "--flush auto over existing files" "$TMP/trace.auto.update"
# With 1,100 descriptors a receiver holds at most 275 unnamed files: the
# rest of each batch gets partial names, in the same commit.
NOFILE=1100
traced auto .nofile
NOFILE=
check "--flush auto, 1,100 descriptors" "$TMP/trace.auto.nofile"
checks=$((checks + 1))
l=$(jq -r .tmp_links "$TMP/rstats")
[ "$l" -gt 0 ] && [ "$l" -lt 2400 ] ||
    fail "--flush auto, 1,100 descriptors: $l files linked, want some, not all"
traced files
check "--flush files (fsync)" "$TMP/trace.files"
finish
