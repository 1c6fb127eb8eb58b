#!/bin/sh
# Files planted where the receiver keeps a file in flight (its partial
# file and sidecar, .NAME.ferry-part and .NAME.ferry-meta), by someone
# who can write in the destination but is not the receiver:
#   owned     a partial file of another user (nobody, 0666): the
#             receiver must not write the data into it, nor put it
#             under the final name (it would stay that user's)
#   hardlink  partial file and sidecar hard links to files outside the
#             destination: those keep their bytes
#   symlink   partial file and sidecar symlinks to files outside: those
#             keep their bytes, and the file still arrives
#   claims    a sidecar ("ferry-part 2") listing a chunk the partial file
#             does not hold: resume takes only what hashes as recorded
#   foreign   a partial file and sidecar of other bytes, recorded right
#             (another sender's): the file fails its hash once, and the
#             next try delivers it; never the planted bytes
# for a striped file (40 MiB, two streams) and, where it applies, a
# whole one (8 MiB).
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_CHUNK:?EVIL_CHUNK must name evil-chunk (make check sets it)}"

me=$(id -u)
part="$TMP/dst/.shot.bin.ferry-part"
meta="$TMP/dst/.shot.bin.ferry-meta"

# deliver KIND: one send of $TMP/src; the receiver's status in $rstatus.
deliver() {
	start_recv
	set +e
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --stats "$TMP/sstats" --timeout 10000 \
	    --streams 2 --stripe 2 >"$TMP/out" 2>"$TMP/err"
	set -e
	wait_recv || true
}

# arrived KIND: the final file is the one sent, and the receiver's own.
arrived() {
	checks=$((checks + 1))
	if ! cmp -s "$TMP/src/shot.bin" "$TMP/dst/shot.bin"; then
		fail "$1: the file did not arrive: $(cat "$TMP/err" "$TMP/rerr")"
		return 0
	fi
	checks=$((checks + 1))
	[ "$(stat -c %u "$TMP/dst/shot.bin")" = "$me" ] ||
	    fail "$1: the final file is owned by uid $(stat -c %u \
	    "$TMP/dst/shot.bin"), not the receiver's $me"
}

fresh() {
	rm -rf "$TMP/src" "$TMP/dst" "$TMP/outside"
	mkdir -p "$TMP/src" "$TMP/dst" "$TMP/outside"
	gen "$TMP/src/shot.bin" "$1"
}

for mb in 40 8; do
	kind="owned $mb MiB"
	fresh $mb
	# With a sidecar for this version, so that it is not just removed
	# when the file is planned: a byte to resume for a whole file (the
	# sender finds it wrong and starts at 0), the full size for a
	# striped one.
	size=$(stat -c %s "$TMP/src/shot.bin")
	mt=$(stat -c %Y "$TMP/src/shot.bin")
	if [ "$mb" -eq 40 ]; then
		printf 'ferry-part 2 %s %s.000000000 4194304\n' "$size" "$mt" \
		    >"$meta"
		truncate -s "$size" "$part"
	else
		printf 'ferry-part 1 %s %s.%09d\n' "$size" "$mt" \
		    "$(stat -c %y "$TMP/src/shot.bin" | sed 's/.*\.\([0-9]*\).*/\1/' |
		    sed 's/^0*//;s/^$/0/')" >"$meta"
		printf x >"$part"
	fi
	chown nobody "$part" "$meta"
	chmod 0666 "$part" "$meta"
	deliver
	arrived "$kind"
	if [ "$mb" -eq 40 ]; then
		checks=$((checks + 1))
		[ "$(stat_of striped)" -eq 1 ] ||
		    fail "$kind: the file was not striped"
	fi
	checks=$((checks + 1))
	[ "$(stat -c %U "$part" 2>/dev/null)" != nobody ] &&
	    [ "$(find "$TMP/dst" -user nobody | wc -l)" -eq 0 ] ||
	    fail "$kind: nobody's planted file still takes the data"

	kind="hardlink $mb MiB"
	fresh $mb
	printf 'keep me\n' >"$TMP/outside/v1"
	printf 'keep me too\n' >"$TMP/outside/v2"
	ln "$TMP/outside/v1" "$part"
	ln "$TMP/outside/v2" "$meta"
	deliver
	arrived "$kind"
	checks=$((checks + 1))
	[ "$(cat "$TMP/outside/v1")" = "keep me" ] &&
	    [ "$(cat "$TMP/outside/v2")" = "keep me too" ] ||
	    fail "$kind: a file outside the destination was written"

	kind="symlink $mb MiB"
	fresh $mb
	printf 'keep me\n' >"$TMP/outside/v1"
	printf 'keep me too\n' >"$TMP/outside/v2"
	ln -s "$TMP/outside/v1" "$part"
	ln -s "$TMP/outside/v2" "$meta"
	deliver
	arrived "$kind"
	checks=$((checks + 1))
	[ "$(cat "$TMP/outside/v1")" = "keep me" ] &&
	    [ "$(cat "$TMP/outside/v2")" = "keep me too" ] ||
	    fail "$kind: a file outside the destination was written"
done

# A real partial file and sidecar, left by a sender that stopped after
# chunk 0 (evil-chunk "dupdiff": chunk 0 of 'E', then cut off); its
# entry's mtime is 0, so a source of that size and mtime resumes it.
SIZE=$((40 * 1024 * 1024))
plant() {
	rm -rf "$TMP/dst"; mkdir -p "$TMP/dst"
	STREAMS=1 start_recv
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$EVIL_CHUNK" "$TMP/a" "$B_FP" "$(cat "$TMP/token")" \
	    "127.0.0.1:$PORT" shot.bin "$SIZE" dupdiff >/dev/null 2>&1 || true
	wait_recv || true
	# The chunk size is the receiver's choice (docs/protocol.md 6.7).
	cs=$(sed -n 1p "$meta" | cut -d' ' -f5)
	checks=$((checks + 1))
	[ "$(sed -n 1p "$meta")" = "ferry-part 2 $SIZE 0.000000000 $cs" ] &&
	    [ "${cs:-0}" -gt 0 ] && [ "$(wc -l <"$meta")" -eq 2 ] ||
	    fail "no sidecar of one chunk to plant: $(cat "$meta")"
}

kind=claims
rm -rf "$TMP/src"; mkdir -p "$TMP/src"
head -c "$SIZE" /dev/zero | tr '\0' E >"$TMP/src/shot.bin"
touch -d @0 "$TMP/src/shot.bin"
plant
# Chunk 1 claimed with chunk 0's hash: its bytes are zeros.
sed -n 2p "$meta" | sed 's/^00000000/00000001/' >>"$meta"
deliver
arrived "$kind"
checks=$((checks + 1))
got=$(jq -r .resumed_bytes "$TMP/rstats")
[ "$got" -eq "$cs" ] || fail "$kind: resumed $got bytes, not chunk 0's $cs"

kind=foreign
rm -rf "$TMP/src"; mkdir -p "$TMP/src"
gen "$TMP/src/shot.bin" 40
touch -d @0 "$TMP/src/shot.bin"
plant
deliver
checks=$((checks + 1))
[ ! -e "$TMP/dst/shot.bin" ] || cmp -s "$TMP/src/shot.bin" "$TMP/dst/shot.bin" ||
    fail "$kind: the planted bytes reached the final name"
[ -e "$TMP/dst/shot.bin" ] || deliver
arrived "$kind"
no_leftovers
finish
