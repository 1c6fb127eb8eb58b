#!/bin/sh
# Striping one large file across the streams (docs/protocol.md 6.7):
# byte-identical results for a file of exactly N chunks, one with a short
# last chunk, and a file smaller than a chunk beside them (sent whole);
# then a sender killed with SIGKILL mid-file, and the resume re-sending
# no more than one chunk per stream of what the receiver had, which the
# chunk size keeps within half of 1 MiB + 0.1 % (stripe-int.h).
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"

STREAMS=4
MIB=1048576
head -c $((40 * MIB)) /dev/urandom >"$TMP/src/exact.bin"	# 640 chunks
head -c $((33 * MIB + 7)) /dev/urandom >"$TMP/src/short.bin"
head -c $((4 * MIB - 1)) /dev/urandom >"$TMP/src/small.bin"
transfer --stripe 4
same_tree
checks=$((checks + 1))
[ "$(stat_of striped)" = 2 ] && [ "$(stat_of whole)" = 3 ] ||
    fail "expected 2 of 3 files striped: $(cat "$TMP/sstats")"
checks=$((checks + 1))
[ "$(jq -r .striped "$TMP/rstats")" = 2 ] ||
    fail "the receiver counts other than 2 striped: $(cat "$TMP/rstats")"
# No hidden file is left behind.
checks=$((checks + 1))
[ -z "$(find "$TMP/dst" -name '.*ferry-*')" ] || fail "partial files left"

# A file the receiver has an older version of is a delta, on one stream.
printf 'changed' | dd of="$TMP/src/exact.bin" conv=notrunc bs=1 seek=4096 \
    2>/dev/null
transfer --stripe 4
same_tree
checks=$((checks + 1))
[ "$(stat_of striped)" = 0 ] && [ "$(stat_of delta)" = 1 ] ||
    fail "a file with a basis was not one delta: $(cat "$TMP/sstats")"

# Without --stripe on loopback (a round trip under 5 ms) nothing stripes.
rm -rf "$TMP/dst"; mkdir "$TMP/dst"
transfer
same_tree
checks=$((checks + 1))
[ "$(stat_of striped)" = 0 ] || fail "striped on loopback: $(cat "$TMP/sstats")"

# Resume: kill -9 the sender when the receiver holds about half the file.
rm -rf "$TMP/src" "$TMP/dst"; mkdir "$TMP/src" "$TMP/dst"
SIZE=$((160 * MIB))
# 1 MiB + 0.1 % is 1,216,348 bytes; half of it over 4 streams: 128 KiB.
CHUNK=$((128 * 1024))
NCHUNKS=$((SIZE / CHUNK))
head -c $SIZE /dev/urandom >"$TMP/src/big.bin"
start_recv
"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" --token-file "$TMP/token" \
    --connect "127.0.0.1:$PORT" --src "$TMP/src" --streams $STREAMS \
    --stripe 4 --bwlimit 40M --timeout 10000 2>"$TMP/serr" &
spid=$!
meta="$TMP/dst/.big.bin.ferry-meta"
i=0
# What the receiver wrote in all, read until it gives up on the cut
# streams (its wchar: the chunks' bytes, plus the sidecar's lines).
written=0
wchar() {
	w=$(awk '/^wchar/ {print $2}' "/proc/$RPID/io" 2>/dev/null || echo 0)
	[ "${w:-0}" -gt "$written" ] && written=$w
	return 0
}
# The sidecar: a header line, then one line per chunk received and checked.
while [ "$(($( (wc -l <"$meta") 2>/dev/null || echo 1) - 1))" -lt $((NCHUNKS * 45 / 100)) ]; do
	i=$((i + 1)); [ $i -lt 400 ] || break
	wchar
	sleep 0.05
done
wchar
kill -9 $spid
wait $spid 2>/dev/null || true
while kill -0 "$RPID" 2>/dev/null; do
	w=$(awk '/^wchar/ {print $2}' "/proc/$RPID/io" 2>/dev/null || echo 0)
	[ "${w:-0}" -gt "$written" ] && written=$w
	sleep 0.02
done
wait_recv && fail "the receiver finished a file whose sender was killed"
# Its last writes (what it gathered, written as it gives up) can come
# after the last read of wchar: the partial file's allocated bytes count
# them (it is sparse until written).
part="$TMP/dst/.big.bin.ferry-part"
alloc=$(($(stat -c '%b * %B' "$part")))
[ "$alloc" -le "$written" ] || written=$alloc
held=$(($(wc -l <"$meta") - 1))
checks=$((checks + 1))
[ "$held" -gt 0 ] && [ "$held" -lt $NCHUNKS ] ||
    fail "killed at $held of $NCHUNKS chunks"
lost=$((written - held * CHUNK))
echo "# killed with $held of $NCHUNKS chunks held; received $written bytes," \
    "lost $lost"
checks=$((checks + 1))
[ $lost -ge 0 ] && [ $lost -le $((STREAMS * CHUNK + 65536)) ] ||
    fail "lost $lost bytes received before the kill (> $STREAMS chunks)"
transfer --stripe 4
same_tree
wire=$(stat_of wire_bytes)
resent=$((wire - (SIZE - held * CHUNK)))
echo "# resumed: $(jq -r .resumed_bytes "$TMP/rstats") held," \
    "$wire on the wire, $resent beyond the missing chunks"
checks=$((checks + 1))
[ "$(jq -r .resumed_bytes "$TMP/rstats")" = $((held * CHUNK)) ] ||
    fail "resumed other than the $held chunks held: $(cat "$TMP/rstats")"
checks=$((checks + 1))
[ $resent -le $((SIZE / 1000)) ] ||
    fail "re-sent $resent bytes more than the chunks missing"
finish
