#!/bin/sh
# A forged sender against the receiver's pipelined commit (PIPELINE,
# docs/protocol.md 6.1), where a held batch is committed in a thread
# while the next one arrives (evil-pipe):
# - twice: batch 2 offers the name batch 1 is committing, small (an
#   unnamed O_TMPFILE file, linked at the commit) and large (a named
#   partial file), with batch 1's rename made to wait 300 ms after its
#   checks (swap-shim.so). Batch 2's FILE_BEGIN replaced the partial
#   name meanwhile, and batch 1's rename put batch 2's file, still being
#   written and never flushed, under the final name, ACKed DONE as
#   batch 1's. Whatever the race, the name must hold one whole version,
#   the one the last DONE ACK stands for, and no partial file is left;
#   batch 2's offer is refused now (transfer/recv-claim.c);
# - cut: the connection dropped right after a 64-file batch's data, while
#   its commit runs: the receiver fails, each file is in place whole or
#   not at all, nothing is left behind.
# Run it under the ASan or TSan build too: the commit thread and the
# stream's share the stream's state.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_PIPE:?EVIL_PIPE must name evil-pipe (make check sets it)}"
: "${SWAP_SHIM:?SWAP_SHIM must name swap-shim.so (make check sets it)}"

tok=$(cat "$TMP/token")
evil() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$EVIL_PIPE" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" "$@" \
	    >"$TMP/evil.out" 2>"$TMP/evil.err" ||
	    fail "$1: evil-pipe: $(cat "$TMP/evil.err")"
}

# all_of FILE SIZE CHAR: FILE is SIZE bytes, every one CHAR.
all_of() {
	[ "$(wc -c <"$1")" -eq "$2" ] && [ "$(tr -d "$3" <"$1" | wc -c)" -eq 0 ]
}

for size in 65536 $((2 * 1048576 + 4097)); do
	for round in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
		# The large file's rename waits 300 ms after the commit's
		# checks (swap-shim): the race that a loaded disk may give.
		SLOW_RENAME_MS=300 LD_PRELOAD="$SWAP_SHIM" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		    STREAMS=1 start_recv --flush fs
		evil twice "$size"
		# The second offer is refused while the first is under way.
		checks=$((checks + 1))
		if ! wait_recv; then
			grep -q "offered again while another copy of it is under way" \
			    "$TMP/rerr" ||
			    fail "twice $size: receiver: $(cat "$TMP/rerr")"
		fi
		# Batch 2's ACK for "a" (offered with another mtime: no SKIP).
		last=$(sed -n '/^batch 2:$/,$p' "$TMP/evil.out" |
		    grep '^ack: 0 ' | cut -d' ' -f3)
		# What happened, for the log: plans (id action offset), ACKs.
		echo "twice $size #$round: $(tr '\n' ' ' <"$TMP/evil.out")" >&2
		checks=$((checks + 1))
		if [ "$last" = 0 ]; then
			all_of "$TMP/dst/a" "$size" B ||
			    fail "twice $size #$round: batch 2 ACKed DONE, a is not its bytes"
		else
			all_of "$TMP/dst/a" "$size" A ||
			    fail "twice $size #$round: batch 2 not done, and a is not batch 1's bytes (A): $(tr -d '\n' <"$TMP/dst/a" | fold -w1 | sort | uniq -c | tr -s ' \n' ' ')"
		fi
		no_leftovers
		# The batches were committed by syncfs (the path committed in
		# a thread), the small one linked from O_TMPFILE.
		checks=$((checks + 1))
		[ "$(jq -r .fs_syncs "$TMP/rstats")" -gt 0 ] ||
		    fail "twice $size: no syncfs commit: $(cat "$TMP/rstats")"
		checks=$((checks + 1))
		[ "$size" -gt 65536 ] || [ "$(jq -r .tmp_links "$TMP/rstats")" -gt 0 ] ||
		    fail "twice $size: no O_TMPFILE link: $(cat "$TMP/rstats")"
	done
done

rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
STREAMS=1 start_recv --flush fs
evil cut 65536
checks=$((checks + 1))
if wait_recv; then fail "cut: the receiver took a dropped session"; fi
checks=$((checks + 1))
for f in "$TMP"/dst/*; do
	[ -e "$f" ] || continue
	all_of "$f" 65536 A || fail "cut: $f is not whole"
done
no_leftovers
finish
