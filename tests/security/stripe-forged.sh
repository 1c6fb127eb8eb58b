#!/bin/sh
# A hostile sender forges the chunks of a striped file (docs/protocol.md
# 6.7): an offset outside the file, a length past the chunk, DATA past the
# length it announced, a chunk number past the last, the same chunk twice,
# a chunk of a file that was never planned striped. The receiver must cut
# the connection with a cause naming the fault, leave nothing under the
# final name, and write nothing past the file's size.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_CHUNK:?EVIL_CHUNK must name evil-chunk (make check sets it)}"

SIZE=$((40 * 1024 * 1024))
tok=$(cat "$TMP/token")
for mode in far long over index twice stray; do
	rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
	STREAMS=1 start_recv
	# The crafted sender stops mid-conversation and exits without
	# freeing what it held: under ASan its leaks are not the receiver's,
	# which is what this test checks (and which runs with leak checks).
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$EVIL_CHUNK" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" shot.bin \
	    "$SIZE" "$mode" >"$TMP/evil.out" 2>"$TMP/evil.err" ||
	    fail "$mode: evil-chunk: $(cat "$TMP/evil.err")"
	checks=$((checks + 1))
	grep -q "^plan: 5 " "$TMP/evil.out" ||
	    fail "$mode: the file was not planned striped: $(cat "$TMP/evil.out")"
	checks=$((checks + 1))
	if wait_recv; then
		fail "$mode: the receiver took a forged chunk"
	fi
	checks=$((checks + 1))
	case $mode in
	far|long|index) want="CHUNK [0-9]* of id 0[ ,]" ;;
	over) want="runs past its" ;;
	twice) want="held or was sent already" ;;
	stray) want="CHUNK for id 7, which was not planned striped" ;;
	esac
	grep -q "$want" "$TMP/rerr" ||
	    fail "$mode: the cause does not name the fault: $(cat "$TMP/rerr")"
	checks=$((checks + 1))
	[ ! -e "$TMP/dst/shot.bin" ] ||
	    fail "$mode: a file appeared under the final name"
	# The partial file stays for a resume, never past the announced size.
	checks=$((checks + 1))
	big=$(find "$TMP/dst" -type f -size +$((SIZE / 1024))k | head -n1)
	[ -z "$big" ] || fail "$mode: $big grew past $SIZE bytes"
	# No byte of the forged chunk lands anywhere but in its own place:
	# "twice" sends a good first chunk and "over" part of one, in place.
	checks=$((checks + 1))
	part=$(find "$TMP/dst" -name '*.ferry-part' | head -n1)
	if [ -n "$part" ] && [ "$mode" != twice ] && [ "$mode" != over ] &&
	    [ "$(tr -d '\0' <"$part" | wc -c)" -ne 0 ]; then
		fail "$mode: forged bytes were written into $part"
	fi
done
finish
