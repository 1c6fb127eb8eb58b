#!/bin/sh
# A receiver reads each directory's names once (recv-parent.c) and takes a
# name that was not among them for a new file, without looking it up:
# - into a fresh tree, 3,000 files cost no failed lookup each (strace of
#   the receiver: at most a few fstatat calls on the files' names);
# - sent again, every file is found and skipped, as before;
# - a file someone else puts under a name of the transfer after it was
#   planned as new is replaced by the sent one, whole and right, and a
#   directory put there instead fails that one file, left as it was,
#   nothing else;
# - names read more than 2 s ago are read again before a file is taken
#   for new: a copy and a directory put there meanwhile are found.
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need strace

for d in 0 1 2; do
	mkdir -p "$TMP/src/d$d"
	head -c $((1000 * 4096)) /dev/urandom |
	    split -b 4096 -a 3 -d - "$TMP/src/d$d/f$d"
done
total=$(find "$TMP/src" -type f | wc -l)

# throttled SRC DIR: into an empty destination, SRC sent on one stream at
# 2 MB/s in the background (SPID, its stats in $TMP/sstats); returns once
# the receiver holds a file of DIR (unnamed, or under its partial name).
throttled() {
	rm -rf "${TMP:?}/dst/"*
	STREAMS=1 start_recv
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" --src "$1" \
	    --streams 1 --bwlimit 2M --stats "$TMP/sstats" >"$TMP/sout" 2>&1 &
	SPID=$!
	i=0
	until ls -l "/proc/$RPID/fd" 2>/dev/null | grep -q "$2/" ||
	    ls -a "$2" 2>/dev/null | grep -q 'ferry-part'; do
		i=$((i + 1))
		[ $i -lt 1500 ] || { fail "no file under way after 30 s"; break; }
		sleep 0.02
	done
}

# The receiver under strace, its lookups of names in $TMP/trace
# (LeakSanitizer does not work under ptrace).
PEER_REAL=$PEER
cat >"$TMP/traced" <<EOF
#!/bin/sh
ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
exec strace -f -qq -o "$TMP/trace" -e trace=newfstatat,fstatat64,statx \
    "$PEER_REAL" "\$@"
EOF
chmod +x "$TMP/traced"
# looked_up: the receiver's lookups of the files' own names (fNNNN).
looked_up() {
	grep -cE '(fstatat|statx)\([^,]*, "f[0-9]{4}"' "$TMP/trace" || true
}

PEER=$TMP/traced start_recv
send_to 0
checks=$((checks + 1))
wait_recv || fail "fresh tree: receiver exited $rstatus: $(cat "$TMP/rerr")"
same_tree
no_leftovers
checks=$((checks + 1))
[ "$(stat_of whole)" -eq "$total" ] ||
    fail "fresh tree: $(stat_of whole) files sent whole, want $total"
n=$(looked_up)
echo "fresh tree: $n lookups of $total new files' names" >&2
checks=$((checks + 1))
[ "$n" -le 30 ] || fail "fresh tree: $n lookups of new files' names, want 30 at most"

# Again: every name is found, looked up and skipped.
PEER=$TMP/traced start_recv
send_to 0
checks=$((checks + 1))
wait_recv || fail "again: receiver exited $rstatus: $(cat "$TMP/rerr")"
checks=$((checks + 1))
[ "$(stat_of skipped)" -eq "$total" ] ||
    fail "again: $(stat_of skipped) files skipped, want $total"
n=$(looked_up)
checks=$((checks + 1))
[ "$n" -ge "$total" ] || fail "again: $n lookups, want one a file at least"

# Names taken after their batch was planned: d2 alone, its 1,000 files
# one batch, one stream, throttled. Once the receiver holds a file of it
# (unnamed, or under its partial name), the batch has been planned with
# f2998 and f2999 taken for new; then f2998 appears with other content
# and f2999 as a directory, before the batch's commit.
throttled "$TMP/src/d2" "$TMP/dst"
checks=$((checks + 1))
[ ! -e "$TMP/dst/f2998" ] || fail "f2998 arrived too soon for the test"
echo "someone else's" >"$TMP/dst/f2998"
mkdir "$TMP/dst/f2999"
echo "kept" >"$TMP/dst/f2999/inside"
set +e
wait "$SPID"
sstatus=$?
set -e
# The sender counts and names the file that failed (the receiver counts
# only what it refused at the plan).
wait_recv || true
checks=$((checks + 1))
[ "$sstatus" -ne 0 ] || fail "planted: the sender succeeded with a directory in a file's way"
checks=$((checks + 1))
cmp -s "$TMP/src/d2/f2998" "$TMP/dst/f2998" ||
    fail "planted: f2998 is not the sent file"
checks=$((checks + 1))
[ "$(cat "$TMP/dst/f2999/inside" 2>/dev/null)" = kept ] ||
    fail "planted: the directory in f2999's way was touched"
checks=$((checks + 1))
grep "f2999" "$TMP/sout" >&2 ||
    fail "planted: the sender did not name f2999: $(cat "$TMP/sout")"
checks=$((checks + 1))
[ "$(jq -r .failed "$TMP/sstats")" = 1 ] ||
    fail "planted: $(jq -r .failed "$TMP/sstats") files failed, want 1 (f2999)"
rm -rf "$TMP/dst/f2999"
checks=$((checks + 1))
[ "$(find "$TMP/dst" -type f ! -name '.*' | wc -l)" -eq 999 ] ||
    fail "planted: $(find "$TMP/dst" -type f ! -name '.*' | wc -l) files in place, want 999"
no_leftovers

# Names read a while ago are read again: 1,100 files of 16 KiB in one
# directory, one stream at 2 MB/s, so that the first batch (1,024 files)
# takes 8 s. Three seconds into its data, well after the directory was
# read, someone puts an identical copy of f1098 and a directory at f1099;
# the second batch's plan reads the names again and finds both: f1098 is
# skipped (the copy left as it is), f1099 refused at the plan, its data
# never sent (it was: sent whole, and failed at the commit).
mkdir -p "$TMP/src2/D"
head -c $((1100 * 16384)) /dev/urandom |
    split -b 16384 -a 4 -d - "$TMP/src2/D/f"
throttled "$TMP/src2" "$TMP/dst/D"
sleep 3
cp -p "$TMP/src2/D/f1098" "$TMP/dst/D/f1098"
ino=$(stat -c %i "$TMP/dst/D/f1098")
mkdir "$TMP/dst/D/f1099"
set +e
wait "$SPID"
set -e
wait_recv || true
checks=$((checks + 1))
[ "$(jq -r .skipped "$TMP/sstats")" = 1 ] && [ "$(stat -c %i "$TMP/dst/D/f1098")" = "$ino" ] ||
    fail "read again: the copy of f1098 was not skipped ($(jq -r .skipped "$TMP/sstats") skipped)"
checks=$((checks + 1))
grep -q "f1099: a directory is in the way" "$TMP/sout" ||
    fail "read again: f1099 was not refused at its plan: $(cat "$TMP/sout")"
checks=$((checks + 1))
[ "$(jq -r .whole "$TMP/sstats")" = 1098 ] ||
    fail "read again: $(jq -r .whole "$TMP/sstats") files sent whole, want 1,098"

finish
