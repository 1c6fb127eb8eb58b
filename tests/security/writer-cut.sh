#!/bin/sh
# Attack: the stream cut while the receiver's writer threads hold small
# files (transfer/recv-write.c): the sender killed (-9) in the middle of
# a batch of many small files, at three points. Files the writers had
# created but whose batch was never committed must not appear under
# their names, partial or whole; the next transfer must bring the rest
# and leave nothing behind. The receiver syncs by file system (--flush
# fs), which the writers go with: a cut batch's files are unnamed, so
# not even a partial name is left. (With --flush files the stream writes
# every file itself, under a hidden partial name that a cut leaves until
# the next transfer or the partial-max-age sweep, as before.)
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl
need python3

mkdir -p "$TMP/src/small"
head -c $((4000 * 6000)) /dev/urandom >"$TMP/blob"
python3 - "$TMP/blob" "$TMP/src/small" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
for i in range(4000):
    open("%s/f%04d.bin" % (sys.argv[2], i), "wb").write(b[i * 6000:(i + 1) * 6000])
PY
# --flush fs: the batch's syncfs, which the writer threads go with (on
# a file system of its own, "auto" chooses it too).
for cut in 0.3 0.6 1.0; do
	start_recv --flush fs
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --streams 2 --bwlimit 8M >/dev/null 2>&1 &
	SPID=$!
	sleep $cut
	kill -9 $SPID 2>/dev/null || true
	wait $SPID 2>/dev/null || true
	wait_recv || true
	n=0
	for f in "$TMP"/dst/small/*.bin; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		checks=$((checks + 1))
		cmp -s "$f" "$TMP/src/small/$(basename "$f")" ||
		    fail "cut at $cut s: $(basename "$f") is not the source's"
	done
	echo "cut at $cut s: $n of 4000 files under their names," \
	    "$(find "$TMP/dst" -name '.*.ferry-part' | wc -l) partial" >&2
	# Unnamed (O_TMPFILE) until linked: nothing of a cut batch remains.
	no_leftovers
done
start_recv --flush fs
send_to 0
checks=$((checks + 1))
wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
same_tree
no_leftovers
# The writers did take files (else this tested the stream alone).
checks=$((checks + 1))
[ "$(jq -r '.tmp_aside // 0' "$TMP/rstats")" -gt 0 ] ||
    fail "no file went to the writer threads: $(cat "$TMP/rstats")"
finish
