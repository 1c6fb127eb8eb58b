#!/bin/sh
# A forged sender against feature PIPELINE (docs/protocol.md 6.1): a
# batch's ACKs come only after the next batch's data, or when an empty
# FILE_BEGIN asks for them. evil-chunk sends one striped file with
# PIPELINE agreed:
# - pipeflush: the data's end is answered with no ACK (the batch is held),
#   the empty FILE_BEGIN brings its ACK, and the session ends cleanly;
# - pipeend: the session is ended while the batch's ACKs are held: the
#   receiver says so (the file it committed stays: it is whole and right).
# A sender offering batches without reading its ACKs gains nothing: the
# receiver reads no entry of a next batch before it has answered the one
# it holds (at most two batches a stream).
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"

SIZE=$((40 * 1024 * 1024 + 12345))
for mode in pipeflush pipeend; do
	chunk_attack "$mode"
	checks=$((checks + 1))
	# No ACK before "held": the data's end answered the batch before.
	sed -n '/^held$/q;p' "$TMP/evil.out" | grep -q '^ack:' &&
	    fail "$mode: an ACK before the next batch: $(cat "$TMP/evil.out")"
	checks=$((checks + 1))
	case $mode in
	pipeflush)
		wait_recv || fail "pipeflush: receiver: $(cat "$TMP/rerr")"
		sed -n '/^held$/,$p' "$TMP/evil.out" | grep -q '^ack: 0 ' ||
		    fail "pipeflush: no ACK when asked: $(cat "$TMP/evil.out")"
		;;
	pipeend)
		if wait_recv; then fail "pipeend: the receiver took it"; fi
		grep -q "the session ended before the last batch's ACKs were asked for" \
		    "$TMP/rerr" "$TMP/evil.out" ||
		    fail "pipeend: the cause does not name the fault: $(cat \
		    "$TMP/rerr" "$TMP/evil.out")"
		;;
	esac
	checks=$((checks + 1))
	[ "$(wc -c <"$TMP/dst/shot.bin")" -eq "$SIZE" ] &&
	    [ "$(tr -d E <"$TMP/dst/shot.bin" | wc -c)" -eq 0 ] ||
	    fail "$mode: the file did not arrive as sent"
	no_leftovers
done
finish
