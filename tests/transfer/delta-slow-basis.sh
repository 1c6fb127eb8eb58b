#!/bin/sh
# A delta's receiver hashes its basis (a block map, or a librsync
# signature) while the sender waits for it on a stream with an idle
# timeout (ferryd's: 60 s). A basis that takes longer than that to hash
# (6 GB on a 100 MB/s NAS) must not cut the transfer: the signature goes
# out as it is made. slow-read.so (LD_PRELOAD) makes the hashing take
# about twice the idle timeout given to both ends here (3 s): in place
# changes (a block map), and bytes inserted at the start (the block map
# finds nothing; a librsync signature follows, from a second read).
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${SLOW_READ_SHIM:?SLOW_READ_SHIM must name slow-read.so (make check sets it)}"

IDLE=3000
# slow_transfer CALLS [SEND ARGS...]: a transfer whose receiver's first
# CALLS reads of dst/big.bin take 400 ms each.
slow_transfer() {
	calls=$1; shift
	# ASan wants to come first; the shim only wraps read and pread.
	SLOW_READ_PATH="$TMP/dst/big.bin" SLOW_READ_MS=400 \
	SLOW_READ_CALLS=$calls LD_PRELOAD="$SLOW_READ_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    start_recv --timeout $IDLE
	send_to 0 --timeout $IDLE "$@"
	checks=$((checks + 1))
	wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
	# The hashing was slow indeed: longer than the idle timeout.
	checks=$((checks + 1))
	slowed=$(grep -c '^slow-read: ' "$TMP/rerr" || true)
	[ "$((slowed * 400))" -gt "$((IDLE * 2))" ] ||
	    fail "only $slowed reads slowed: $(cat "$TMP/rerr")"
}

gen "$TMP/src/big.bin" 4 big
cp -p "$TMP/src/big.bin" "$TMP/dst/big.bin"

# In place: the block map (4 MiB, 16 reads of 256 KiB: 6.4 s).
printf 'CHANGED' | dd of="$TMP/src/big.bin" bs=1 seek=2000000 \
    conv=notrunc 2>/dev/null
slow_transfer 16
same_tree
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] && [ "$(stat_of wire_bytes)" -lt 1000000 ] ||
    fail "in place: not a small delta: $(cat "$TMP/sstats")"

# Shifted: the block map's 16 reads, then the librsync signature's 16,
# each pass alone slower than the idle timeout.
{ printf 'inserted line\n'; cat "$TMP/src/big.bin"; } >"$TMP/big.new"
mv "$TMP/big.new" "$TMP/src/big.bin"
slow_transfer 32
same_tree
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] && [ "$(stat_of wire_bytes)" -lt 1000000 ] ||
    fail "shifted: not a small delta: $(cat "$TMP/sstats")"
finish
