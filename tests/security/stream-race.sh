#!/bin/sh
# The race of pipeline-race.sh across two streams of one transfer: a
# forged sender (evil-pipe streams) sends "a" on stream 0, whose commit
# then runs (its rename held 300 ms after its checks, swap-shim.so), and
# "a" again on stream 1 meanwhile. Stream 1's FILE_BEGIN replaces the
# partial name, and stream 0's rename puts stream 1's file, being written
# and not yet flushed, under the final name, ACKed DONE as stream 0's.
# Not PIPELINE's: without it a stream's commit runs beside the other
# streams' data all the same. The name must hold one whole version, the
# one a DONE ACK stands for: a name is now taken for the transfer from
# its PLAN until its batch is answered (transfer/recv-claim.c), and the
# second offer is refused.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_PIPE:?EVIL_PIPE must name evil-pipe (make check sets it)}"
: "${SWAP_SHIM:?SWAP_SHIM must name swap-shim.so (make check sets it)}"

tok=$(cat "$TMP/token")
size=$((2 * 1048576 + 4097))
# all_of FILE CHAR: FILE is size bytes, every one CHAR.
all_of() {
	[ "$(wc -c <"$1")" -eq "$size" ] && [ "$(tr -d "$2" <"$1" | wc -c)" -eq 0 ]
}
for round in 1 2 3 4 5 6; do
	rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
	SLOW_RENAME_MS=300 LD_PRELOAD="$SWAP_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    STREAMS=2 start_recv --flush fs
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$EVIL_PIPE" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" streams "$size" \
	    >"$TMP/evil.out" 2>"$TMP/evil.err" ||
	    fail "evil-pipe: $(cat "$TMP/evil.err")"
	wait_recv || true
	echo "#$round: $(tr '\n' ' ' <"$TMP/evil.out")" >&2
	s0=$(sed -n '/^stream 0:$/,/^stream 1:$/p' "$TMP/evil.out" |
	    grep '^ack: 0 ' | cut -d' ' -f3)
	s1=$(sed -n '/^stream 1:$/,$p' "$TMP/evil.out" |
	    grep '^ack: 0 ' | cut -d' ' -f3)
	checks=$((checks + 1))
	if [ "$s0" = 0 ] && [ "$s1" = 0 ]; then
		all_of "$TMP/dst/a" A || all_of "$TMP/dst/a" B ||
		    fail "#$round: both DONE, a is no whole version"
	elif [ "$s0" = 0 ]; then
		all_of "$TMP/dst/a" A ||
		    fail "#$round: stream 0 DONE, stream 1 not, a is not stream 0's bytes"
	elif [ "$s1" = 0 ]; then
		all_of "$TMP/dst/a" B ||
		    fail "#$round: stream 1 DONE, stream 0 not, a is not stream 1's bytes"
	fi
	no_leftovers
done
finish
