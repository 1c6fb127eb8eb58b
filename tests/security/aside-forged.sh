#!/bin/sh
# A forged sender against the receiver's writer threads (transfer/recv-
# write.c), which create and write a small new file only once its
# FILE_END has checked the bytes the stream kept in memory. One batch of
# 64 files of 4 KiB (evil-pipe bad): f5's data runs 4,096 bytes past the
# size its entry offered (its FILE_END agrees, with the hash of all it
# sent), f6's stops 100 bytes short, f7's hash is wrong. Those three
# must be answered RETRY with a reason that says what was wrong, and
# appear in the destination under no name at all; the 61 others are in
# place, whole, and DONE, written by the writer threads (all but the
# stream's first file). Under ASan: nothing written past a kept file's
# buffer.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_PIPE:?EVIL_PIPE must name evil-pipe (make check sets it)}"
need jq

tok=$(cat "$TMP/token")
# --flush fs: the batch's syncfs wherever it is (the path of the writer
# threads, which only take files that syncfs makes durable).
STREAMS=1 start_recv --flush fs
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
"$EVIL_PIPE" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" bad 4096 \
    >"$TMP/evil.out" 2>"$TMP/evil.err" ||
    fail "evil-pipe: $(cat "$TMP/evil.err")"
wait_recv || true
echo "receiver exit $rstatus; $(tr '\n' ' ' <"$TMP/evil.out")" >&2

# ack ID: "STATUS REASON" of the batch's ACK for ID.
ack() {
	sed -n '/^batch 1:$/,$p' "$TMP/evil.out" | sed -n "s/^ack: $1 //p"
}
checks=$((checks + 1))
case "$(ack 5)" in
"1 more data than the 4096 bytes offered") ;;
*) fail "f5 (4,096 bytes too many): ACK '$(ack 5)'" ;;
esac
checks=$((checks + 1))
case "$(ack 6)" in
"1 checksum mismatch"*) ;;
*) fail "f6 (100 bytes short): ACK '$(ack 6)'" ;;
esac
checks=$((checks + 1))
case "$(ack 7)" in
"1 checksum mismatch"*) ;;
*) fail "f7 (wrong hash): ACK '$(ack 7)'" ;;
esac
for f in f5 f6 f7; do
	checks=$((checks + 1))
	[ ! -e "$TMP/dst/$f" ] || fail "$f is in the destination"
done
done=$(sed -n '/^batch 1:$/,$p' "$TMP/evil.out" | grep -c '^ack: [0-9]* 0 ' || true)
checks=$((checks + 1))
[ "$done" -eq 61 ] || fail "$done files ACKed DONE, want 61"
n=0
for f in "$TMP"/dst/*; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	checks=$((checks + 1))
	[ "$(wc -c <"$f")" -eq 4096 ] && [ "$(tr -d A <"$f" | wc -c)" -eq 0 ] ||
	    fail "$f is not 4,096 bytes of A"
done
checks=$((checks + 1))
[ "$n" -eq 61 ] || fail "$n files in the destination, want 61"
no_leftovers
checks=$((checks + 1))
[ "$(jq -r .tmp_aside "$TMP/rstats")" -ge 60 ] ||
    fail "not the writer threads' path: $(cat "$TMP/rstats")"
finish
