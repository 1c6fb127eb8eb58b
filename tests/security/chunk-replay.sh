#!/bin/sh
# Attack: a crafted sender replays a striped file's chunk after the file
# ended (docs/protocol.md 6.7). Once a striped file's FILE_END is in, a
# CHUNK of it still in flight on another stream is read and dropped (its
# bytes unused); evil-chunk sends every chunk right, the file's FILE_END,
# then chunk 0 again, whole and right, twice as many times as the file
# has chunks, on one stream. Each was read, dropped and counted as
# progress (beyond the file's size: what recv-min-rate watches), and each
# restarts the bound of the sender's keep-alives (6.4): a vendor could
# hold a receiver's stream for ever. No more chunks may be dropped for a
# file than it has; the receiver must refuse the replay naming it, and
# the file itself (delivered before) stays as it is.
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"

# 81 chunks of 512 KiB (the receiver's plan), the last short: 162 replays.
SIZE=$((40 * 1024 * 1024 + 12345))
chunk_attack replay
checks=$((checks + 1))
grep -q "^plan: 5 " "$TMP/evil.out" ||
    fail "replay: not planned striped: $(cat "$TMP/evil.out")"
# Acknowledged: the receiver read every replayed chunk and went on.
checks=$((checks + 1))
! grep -q "^ack:" "$TMP/evil.out" ||
    fail "replay: the receiver took every replayed chunk:" \
    "$(cat "$TMP/evil.out")"
wait_recv || true
checks=$((checks + 1))
grep -q "CHUNK 0 of id 0, which ended: .* chunks dropped" \
    "$TMP/rerr" "$TMP/evil.out" ||
    fail "replay: the cause does not name the fault: $(cat "$TMP/rerr" \
    "$TMP/evil.out")"
checks=$((checks + 1))
[ ! -e "$TMP/dst/shot.bin" ] || [ "$(wc -c <"$TMP/dst/shot.bin")" -eq "$SIZE" ] ||
    fail "replay: shot.bin is not of its $SIZE bytes"
finish
