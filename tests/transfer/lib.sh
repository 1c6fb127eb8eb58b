# Sourced by the transfer tests: two ferry-peer identities, a token, and
# helpers that run a receiver in the background and a sender against it,
# over real TCP and TLS on loopback.
. "${srcdir:-.}/tests/lib.sh"

: "${PEER:?PEER must name the ferry-peer binary (make check sets it)}"
A_FP=$("$PEER" keygen --state "$TMP/a")
B_FP=$("$PEER" keygen --state "$TMP/b")
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/token"
printf '%064d' 7 > "$TMP/badtoken"
mkdir -p "$TMP/src" "$TMP/dst"

# Both ends must agree on the number of streams: set STREAMS to change it.
# start_recv [ARGS...]: a receiver (identity b, expecting a) into
# $TMP/dst; sets RPID and PORT.
start_recv() {
	rm -f "$TMP/rport" "$TMP/rstats"
	"$PEER" recv --state "$TMP/b" --peer-fp "$A_FP" \
	    --token-file "$TMP/token" --listen 127.0.0.1 \
	    --peer-addr 127.0.0.1 --dest "$TMP/dst" --stats "$TMP/rstats" \
	    --timeout 10000 --streams "${STREAMS:-2}" "$@" \
	    >"$TMP/rport" 2>"$TMP/rerr" &
	RPID=$!
	i=0
	while ! grep -q '^listening' "$TMP/rport" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$RPID" 2>/dev/null; then
			echo "receiver did not start:" >&2
			cat "$TMP/rerr" >&2
			return 1
		fi
		sleep 0.05
	done
	PORT=$(awk '{print $2; exit}' "$TMP/rport")
}

# wait_recv: the receiver's exit status.
wait_recv() {
	set +e
	wait "$RPID"
	rstatus=$?
	set -e
	return $rstatus
}

# send_to STATUS [ARGS...]: runs the sender (identity a) from $TMP/src to
# the receiver on $PORT and checks its exit status (see run in lib.sh).
send_to() {
	want=$1; shift
	run "$want" "$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --stats "$TMP/sstats" --timeout 10000 \
	    --streams "${STREAMS:-2}" "$@"
}

# transfer [SEND ARGS...]: a whole good transfer; both sides must succeed.
transfer() {
	start_recv
	send_to 0 "$@"
	checks=$((checks + 1))
	wait_recv || fail "receiver exited $rstatus: $(cat "$TMP/rerr")"
}

# stat_of FIELD: a number from the sender's --stats JSON.
stat_of() {
	jq -r ".$1" "$TMP/sstats"
}

# same_tree: the destination holds exactly the source (content, modes,
# symlinks and file mtimes).
same_tree() {
	checks=$((checks + 1))
	diff -r --no-dereference "$TMP/src" "$TMP/dst" >"$TMP/diff" 2>&1 ||
	    { fail "trees differ:"; head -20 "$TMP/diff" >&2; return 0; }
	(cd "$TMP/src" && find . -type f -printf '%p %m %T@\n' | sort) >"$TMP/m1"
	(cd "$TMP/dst" && find . -type f ! -name '.*ferry-*' \
	    -printf '%p %m %T@\n' | sort) >"$TMP/m2"
	cmp -s "$TMP/m1" "$TMP/m2" ||
	    { fail "modes or mtimes differ:"; diff "$TMP/m1" "$TMP/m2" | head >&2; }
}

# no_leftovers: no partial file or sidecar anywhere in the destination.
no_leftovers() {
	checks=$((checks + 1))
	left=$(find "$TMP/dst" -name '.*.ferry-*')
	[ -z "$left" ] || fail "leftover files: $left"
}

# gen FILE MB [SEED]: deterministic pseudo-random content.
gen() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-ferry}" \
	    -pbkdf2 -iter 1 </dev/zero 2>/dev/null | head -c "$(($2 * 1048576))" >"$1"
}

# start_evil MODE: the crafted receiver evil-recv ($EVIL_RECV) in MODE,
# listening for the sender with the token in $tok; PORT is its port,
# RPID its pid (answers-forged.sh, keepalive-forged.sh).
start_evil() {
	rm -f "$TMP/rport"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$EVIL_RECV" "$TMP/b" "$A_FP" "$tok" 127.0.0.1 "$1" \
	    >"$TMP/rport" 2>"$TMP/rerr" &
	RPID=$!
	i=0
	while ! grep -q '^listening' "$TMP/rport" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$RPID" 2>/dev/null; then
			fail "$1: evil-recv did not start: $(cat "$TMP/rerr")"
			return 1
		fi
		sleep 0.05
	done
	PORT=$(awk '{print $2; exit}' "$TMP/rport")
}
