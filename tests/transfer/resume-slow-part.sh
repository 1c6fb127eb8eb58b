#!/bin/sh
# A resume's receiver hashes the partial file of the earlier try before
# it answers the entry's PLAN (the hash of the bytes it holds goes in the
# PLAN), and its sender hashes its own first bytes as far (to check them)
# before the FILE_BEGIN. Until feature KEEPALIVE both sent nothing
# meanwhile: a file slower to hash than the peer's idle timeout (ferryd's:
# 60 s) failed every try, as a delta's signature did (delta-slow-basis.sh).
# slow-read.so makes the hashing of a 4 MiB prefix take 6.4 s against an
# idle timeout of 3 s, at the receiver, then at the sender. With
# KEEPALIVE agreed, the end that hashes sends a keep-alive at least every
# second, and the resume goes through; with either end leaving the
# feature out (a peer from before it), the try still times out, as it
# did, and the partial file stays for the next.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${SLOW_READ_SHIM:?SLOW_READ_SHIM must name slow-read.so (make check sets it)}"

IDLE=3000
gen "$TMP/src/big.bin" 8 big
# An earlier try's partial file and sidecar, for this version of the file.
partial() {
	rm -f "$TMP/dst/big.bin"
	head -c 4194304 "$TMP/src/big.bin" >"$TMP/dst/.big.bin.ferry-part"
	printf 'ferry-part 1 %s %s\n' "$(stat -c %s "$TMP/src/big.bin")" \
	    "$(stat -c %.9Y "$TMP/src/big.bin")" \
	    >"$TMP/dst/.big.bin.ferry-meta"
	chmod 600 "$TMP/dst/.big.bin.ferry-part" \
	    "$TMP/dst/.big.bin.ferry-meta"
}
partial

# slow_recv [RECV ARGS...]: a receiver whose first 16 reads of the partial
# file take 400 ms each.
slow_recv() {
	# ASan wants to come first; the shim only wraps read and pread.
	SLOW_READ_PATH="$TMP/dst/.big.bin.ferry-part" SLOW_READ_MS=400 \
	SLOW_READ_CALLS=16 LD_PRELOAD="$SLOW_READ_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    start_recv --timeout $IDLE "$@"
}

# A peer from before KEEPALIVE, at either end: silence, and the timeout.
for side in recv send; do
	if [ $side = recv ]; then
		slow_recv --no-keepalive
		send_to 1 --timeout $IDLE
	else
		slow_recv
		send_to 1 --timeout $IDLE --no-keepalive
	fi
	err_has "timed out after $IDLE ms"
	wait_recv || true
	checks=$((checks + 1))
	[ "$(stat -c %s "$TMP/dst/.big.bin.ferry-part" 2>/dev/null)" = \
	    4194304 ] || fail "$side: the partial file did not stay"
done

slow_recv
send_to 0 --timeout $IDLE
checks=$((checks + 1))
wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
same_tree
checks=$((checks + 1))
[ "$(stat_of resumed_bytes)" = 4194304 ] ||
    fail "not resumed: $(cat "$TMP/sstats")"
# The hashing was slow indeed: longer than the idle timeout.
checks=$((checks + 1))
slowed=$(grep -c '^slow-read: ' "$TMP/rerr" || true)
[ "$((slowed * 400))" -gt "$((IDLE * 2))" ] ||
    fail "only $slowed reads slowed: $(cat "$TMP/rerr")"

# The sender's side: its first 16 reads of big.bin (the prefix it hashes
# to check the receiver's) take 400 ms each; the receiver waits for the
# FILE_BEGIN with its idle timeout of 3 s.
slow_send() {
	SLOW_READ_PATH="$TMP/src/big.bin" SLOW_READ_MS=400 \
	SLOW_READ_CALLS=16 LD_PRELOAD="$SLOW_READ_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    send_to "$@"
}
for side in recv send; do
	partial
	if [ $side = recv ]; then
		start_recv --timeout $IDLE --no-keepalive
		slow_send 1 --timeout $IDLE
	else
		start_recv --timeout $IDLE
		slow_send 1 --timeout $IDLE --no-keepalive
	fi
	checks=$((checks + 1))
	if wait_recv; then
		fail "sender $side: the receiver did not time out"
	fi
	checks=$((checks + 1))
	# (A listening receiver's idle timeout is what its accept deadline
	# had left, link.c: "timed out after 2949 ms".)
	grep -q "TLS read: timed out after" "$TMP/rerr" ||
	    fail "sender $side: not a timeout: $(cat "$TMP/rerr")"
	checks=$((checks + 1))
	[ "$(stat -c %s "$TMP/dst/.big.bin.ferry-part" 2>/dev/null)" = \
	    4194304 ] || fail "sender $side: the partial file did not stay"
done
start_recv --timeout $IDLE
slow_send 0 --timeout $IDLE
checks=$((checks + 1))
wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
same_tree
checks=$((checks + 1))
[ "$(stat_of resumed_bytes)" = 4194304 ] ||
    fail "sender: not resumed: $(cat "$TMP/sstats")"
checks=$((checks + 1))
slowed=$(grep -c '^slow-read: ' "$TMP/err" || true)
[ "$((slowed * 400))" -gt "$((IDLE * 2))" ] ||
    fail "sender: only $slowed reads slowed: $(cat "$TMP/err")"
finish
