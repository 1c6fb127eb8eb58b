#!/bin/sh
# The striped receiver's write-behind windows (transfer/stripe-recv.c)
# against a hostile sender with eight streams: 48 striped files of 7 GB
# declared (each gets a 4 MiB window), in batches of 16, each sent the
# chunks that fill its window and then given up. At most 16 striped files
# are open at once, so the windows must be at most 16 x 4 MiB whatever
# the number of files: a window kept past its file's end (until the
# transfer's) grows the receiver by 4 MiB a file, 192 MiB here. The
# receiver's VmRSS is read before the first file and after the last.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_CHUNK:?EVIL_CHUNK must name evil-chunk (make check sets it)}"

# 7 GB over 8 streams: 256 KiB chunks, a 4 MiB window (16 slots).
SIZE=7000000000
FILES=48
tok=$(cat "$TMP/token")
rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
# ASan keeps freed blocks in a quarantine (256 MiB by default): a small
# one, so that a window freed is memory given back, as without ASan.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
    STREAMS=8 start_recv
EVIL_STREAMS=8 EVIL_FILES=$FILES EVIL_WATCH_PID=$RPID \
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
"$EVIL_CHUNK" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" w.bin \
    "$SIZE" windows >"$TMP/evil.out" 2>"$TMP/evil.err" ||
    fail "evil-chunk: $(cat "$TMP/evil.err")"
checks=$((checks + 1))
# Every file striped (16 at once), so that each had a window.
[ "$(grep -c '^striped: 16 of 16$' "$TMP/evil.out")" -eq 3 ] ||
    fail "not every file was planned striped: $(cat "$TMP/evil.out")"
checks=$((checks + 1))
wait_recv || true
# The receiver may fail the transfer, never its own checks (ASan).
checks=$((checks + 1))
! grep -q "Sanitizer\|runtime error" "$TMP/rerr" ||
    fail "the receiver broke: $(head -20 "$TMP/rerr")"
# Every file answered (a source that changed is not counted failed).
[ "$(jq -r .files "$TMP/rstats" 2>/dev/null)" = "$FILES" ] ||
    fail "the receiver did not take up the $FILES files: $(cat \
    "$TMP/rstats" "$TMP/rerr")"
checks=$((checks + 1))
before=$(sed -n 's/^rss: //p' "$TMP/evil.out" | sed -n 1p)
after=$(sed -n 's/^rss: //p' "$TMP/evil.out" | sed -n 2p)
[ -n "$before" ] && [ -n "$after" ] && [ "$before" -gt 0 ] ||
    fail "no VmRSS read: $(cat "$TMP/evil.out")"
# 16 windows of 4 MiB, and room for the streams' buffers: 80 MiB.
grew=$(( (after - before) / 1024 ))
echo "receiver grew by $grew MiB over $FILES striped files"
[ "$grew" -le 80 ] ||
    fail "the receiver grew by $grew MiB over $FILES files: windows are kept past their files"
checks=$((checks + 1))
[ -z "$(find "$TMP/dst" -name 'w*.bin' ! -name '*ferry*')" ] ||
    fail "a given-up file appeared under its final name"
finish
