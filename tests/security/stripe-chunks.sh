#!/bin/sh
# More forged chunks of a striped file (docs/protocol.md 6.7), beyond
# stripe-forged.sh: a chunk number of 2^32-1, a chunk of 0 bytes, the
# last chunk running past the file's size, chunk 0 again with other bytes,
# a chunk closed by another file's FILE_END, a CHUNK inside a whole file's
# DATA, a CHUNK when striping was not agreed (in the data phase and before
# any entry) or instead of the HELLO, a chunk cut short, and every chunk right but the file's
# hash of hashes wrong. The receiver must refuse each, naming the fault,
# with nothing under the final name and nothing past the file's size;
# "good" (every chunk and the file's hash right) shows the crafted sender
# can deliver, so that the refusals are the receiver's checks.
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"

# No multiple of any chunk size (docs/protocol.md 6.7): the last chunk
# is short.
SIZE=$((40 * 1024 * 1024 + 12345))
for mode in huge zero tail dupdiff nest mixed nostripe early prehello \
    short badfile good; do
	chunk_attack "$mode"
	checks=$((checks + 1))
	case $mode in
	nostripe) grep -q "^plan: 1 " "$TMP/evil.out" ||
	    fail "$mode: not planned whole: $(cat "$TMP/evil.out")" ;;
	early|prehello) ;;
	*) grep -q "^plan: 5 " "$TMP/evil.out" ||
	    fail "$mode: not planned striped: $(cat "$TMP/evil.out")" ;;
	esac
	checks=$((checks + 1))
	# The files the sender answered for: the cause is in the ACK.
	case $mode in
	short|badfile|good) wait_recv || true ;;
	*) if wait_recv; then fail "$mode: the receiver took it"; fi ;;
	esac
	checks=$((checks + 1))
	case $mode in
	huge) want="CHUNK 4294967295 of id 0, which has [0-9][0-9]*$" ;;
	zero) want="malformed CHUNK frame.*bad length" ;;
	tail) want="CHUNK [0-9][0-9]* of id 0 at 41943040+[0-9][0-9]*, not at 41943040+12345" ;;
	dupdiff) want="CHUNK 0 of id 0, which is held or was sent already" ;;
	nest) want="FILE_END for id 1 inside chunk 0 of id 0" ;;
	mixed) want="small.bin: expected DATA or FILE_END, got CHUNK" ;;
	nostripe) want="a CHUNK, and striping was not agreed" ;;
	early) want="expected FILE_ENTRY, got CHUNK" ;;
	prehello) want="expected a HELLO frame, got CHUNK" ;;
	short) want="^ack: 1 chunk 0: cut short" ;;
	badfile) want="^ack: 1 checksum mismatch" ;;
	good) want="^ack: 0 " ;;
	esac
	grep -q "$want" "$TMP/rerr" "$TMP/evil.out" ||
	    fail "$mode: the cause does not name the fault: $(cat "$TMP/rerr" \
	    "$TMP/evil.out")"
	checks=$((checks + 1))
	if [ "$mode" = good ]; then
		[ "$(wc -c <"$TMP/dst/shot.bin")" -eq "$SIZE" ] &&
		    [ "$(tr -d E <"$TMP/dst/shot.bin" | wc -c)" -eq 0 ] ||
		    fail "good: the file did not arrive as sent"
		continue
	fi
	[ ! -e "$TMP/dst/shot.bin" ] ||
	    fail "$mode: a file appeared under the final name"
	checks=$((checks + 1))
	big=$(find "$TMP/dst" -type f -size +$((SIZE / 1024 + 1))k | head -n1)
	[ -z "$big" ] || fail "$mode: $big grew past $SIZE bytes"
	# Chunk 0's second copy ('F') is refused before a byte is read
	# (W: the whole file's own DATA in "mixed").
	checks=$((checks + 1))
	for part in $(find "$TMP/dst" -name '*.ferry-part'); do
		[ "$(tr -d '\0EW' <"$part" | wc -c)" -eq 0 ] ||
		    fail "$mode: bytes other than the first chunk's in $part"
	done
	# A file that failed its hash leaves no partial file to resume; a
	# chunk cut short leaves the chunks that were checked (their bytes
	# are the sender's, checked above) for the next try to resume.
	case $mode in
	badfile) no_leftovers ;;
	esac
done
finish
