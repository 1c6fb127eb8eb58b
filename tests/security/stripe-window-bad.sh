#!/bin/sh
# A hostile sender against the striped receiver's write-behind window
# (transfer/stripe-recv.c): checked chunks wait in its slots and are
# written, then recorded in the sidecar, in runs or at the end. badslot:
# chunks 0 and 2 right (they wait: 1 is missing), chunk 1 with a wrong
# hash ('F' bytes, received into its slot), chunk 6 right (past the
# window, written at once). cutslot: chunks 0 and 2 right, then half of
# chunk 1 and the connection closed. dup2: chunk 0 begun on one stream
# (into its slot), the whole of chunk 0 ('F') on the other meanwhile: the
# second copy is refused before a byte of it is read. Each time the partial file must hold
# no 'F' byte, the sidecar must record neither chunk 1 nor any chunk whose
# bytes are not on disk (a resume trusts what it records), and it must
# record the chunks that were checked (they were written at the end).
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"
need python3

# 3 GB declared (the file is sparse) over two streams: 512 KiB chunks, a
# window of five (one stream never has a window: a 40 MiB file over two
# has none either). The sender's second stream ends its session at once.
SIZE=3000000000
for mode in badslot cutslot dup2; do
	chunk_attack "$mode" 2
	wait_recv || true
	# The receiver may fail the transfer, never its own checks (ASan).
	checks=$((checks + 1))
	! grep -q "Sanitizer\|runtime error" "$TMP/rerr" ||
	    fail "the receiver broke: $(head -20 "$TMP/rerr")"
	checks=$((checks + 1))
	cs=$(sed -n 's/^plan: 5 //p' "$TMP/evil.out")
	[ "$cs" = 524288 ] ||
	    { fail "$mode: not striped in 512 KiB chunks: $(cat "$TMP/evil.out")"; continue; }
	checks=$((checks + 1))
	case $mode in
	badslot) grep -q "^ack: 1 chunk 1: checksum mismatch" "$TMP/evil.out" ||
	    fail "$mode: the bad chunk not named: $(cat "$TMP/evil.out")" ;;
	dup2) grep -q "CHUNK 0 of id 0, which is held or was sent already" \
	    "$TMP/evil.out" "$TMP/rerr" ||
	    fail "$mode: the second copy not refused: $(cat "$TMP/evil.out" \
	    "$TMP/rerr")" ;;
	esac
	checks=$((checks + 1))
	[ ! -e "$TMP/dst/shot.bin" ] ||
	    fail "$mode: a file appeared under the final name"
	part=$(find "$TMP/dst" -name '*.ferry-part' | head -n1)
	meta=$(find "$TMP/dst" -name '*.ferry-meta' | head -n1)
	checks=$((checks + 1))
	[ -n "$part" ] && [ -n "$meta" ] ||
	    { fail "$mode: no partial file and sidecar kept: $(ls -a "$TMP/dst")"; continue; }
	checks=$((checks + 1))
	only_bytes "$part" E holes ||
	    fail "$mode: the bad chunk's bytes were written"
	recs=$(sed -n '2,$p' "$meta" | cut -c1-8 | sort | tr '\n' ' ')
	echo "$mode: the sidecar records chunks: $recs"
	checks=$((checks + 1))
	case " $recs" in
	*" 00000001 "*) fail "$mode: chunk 1 recorded" ;;
	esac
	for rec in $recs; do
		i=$((0x$rec))
		checks=$((checks + 1))
		[ "$(dd if="$part" bs="$cs" skip="$i" count=1 2>/dev/null |
		    tr -d E | wc -c)" -eq 0 ] ||
		    fail "$mode: chunk $i recorded but its bytes are not on disk"
	done
	checks=$((checks + 1))
	case $mode in
	badslot) want="00000000 00000002 00000006 " ;;
	cutslot) want="00000000 00000002 " ;;
	dup2) want="00000000 " ;;
	esac
	[ "$recs" = "$want" ] ||
	    fail "$mode: recorded '$recs', the checked chunks are '$want'"
done
finish
