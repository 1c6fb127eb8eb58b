#!/bin/sh
# The skip check's content hash (ferry-peer send --compare-hash, entry
# flag 0x02): the receiver hashes its own copy of a file of the same size
# before it answers the entry's PLAN. slow-read.so makes that take 6.4 s
# (4 MiB) against an idle timeout of 3 s: with feature KEEPALIVE the
# receiver sends keep-alives meanwhile and the file is found identical
# (skipped, nothing sent); with the feature left out (a peer from before
# it) the sender times out, as every try did.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${SLOW_READ_SHIM:?SLOW_READ_SHIM must name slow-read.so (make check sets it)}"

IDLE=3000
gen "$TMP/src/big.bin" 4 big
cp "$TMP/src/big.bin" "$TMP/dst/big.bin"
# Another mtime: only the content hash can tell them identical.
touch -d '2020-01-01 00:00:00' "$TMP/dst/big.bin"

slow_recv() {
	# ASan wants to come first; the shim only wraps read and pread.
	SLOW_READ_PATH="$TMP/dst/big.bin" SLOW_READ_MS=400 \
	SLOW_READ_CALLS=16 LD_PRELOAD="$SLOW_READ_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    start_recv --timeout $IDLE "$@"
}

slow_recv --no-keepalive
send_to 1 --timeout $IDLE --compare-hash
err_has "timed out after $IDLE ms"
wait_recv || true

slow_recv
send_to 0 --timeout $IDLE --compare-hash
checks=$((checks + 1))
wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
checks=$((checks + 1))
[ "$(stat_of skipped)" = 1 ] && [ "$(stat_of whole)" = 0 ] &&
    [ "$(stat_of delta)" = 0 ] ||
    fail "not skipped as identical: $(cat "$TMP/sstats")"
checks=$((checks + 1))
cmp -s "$TMP/src/big.bin" "$TMP/dst/big.bin" || fail "big.bin changed"
# The hashing was slow indeed: longer than the idle timeout.
checks=$((checks + 1))
slowed=$(grep -c '^slow-read: ' "$TMP/rerr" || true)
[ "$((slowed * 400))" -gt "$((IDLE * 2))" ] ||
    fail "only $slowed reads slowed: $(cat "$TMP/rerr")"
finish
