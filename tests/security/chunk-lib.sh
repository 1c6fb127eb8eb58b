# Sourced by the crafted sender's tests (evil-chunk, tests/security/
# evil-chunk.c): tests/transfer/lib.sh's two keys and token, and
# chunk_attack.
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_CHUNK:?EVIL_CHUNK must name evil-chunk (make check sets it)}"
tok=$(cat "$TMP/token")

# chunk_attack MODE [STREAMS]: into an emptied destination, a receiver of
# STREAMS streams (1; evil-chunk opens as many), and evil-chunk sending
# ${FILE:-shot.bin} of $SIZE bytes in MODE; what it saw in $TMP/evil.out.
# The crafted sender stops mid-conversation and exits without freeing
# what it held: under ASan its leaks are not the receiver's, which is
# what these tests check (and which runs with leak checks).
chunk_attack() {
	rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
	STREAMS=${2:-1} start_recv
	env ${2:+EVIL_STREAMS=$2} \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    "$EVIL_CHUNK" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" \
	    "${FILE:-shot.bin}" "$SIZE" "$1" >"$TMP/evil.out" \
	    2>"$TMP/evil.err" ||
	    fail "$1: evil-chunk: $(cat "$TMP/evil.err")"
}
