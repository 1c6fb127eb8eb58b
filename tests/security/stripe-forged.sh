#!/bin/sh
# A hostile sender forges the chunks of a striped file (docs/protocol.md
# 6.7): an offset outside the file, a length past the chunk, DATA past the
# length it announced, a chunk number past the last, the same chunk twice,
# a chunk of a file that was never planned striped. The receiver must cut
# the connection with a cause naming the fault, leave nothing under the
# final name, and write nothing past the file's size.
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"

SIZE=$((40 * 1024 * 1024))
for mode in far long over index twice stray; do
	chunk_attack "$mode"
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
