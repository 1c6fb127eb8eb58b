#!/bin/sh
# The receiver opens a partial file, then opens it again with O_DIRECT
# for aligned writes (the twin). Opened by name twice, the two could be
# two files: a local user who can write in the destination renames a
# file of their choosing onto the partial's name in between, and the
# twin writes the sender's bytes into it; the rename into place, by name
# as well, then puts that file under the final name. swap-shim
# (LD_PRELOAD) makes that swap at the first O_DIRECT open, every time.
# The victim must keep its bytes, and the final name must hold the file
# sent or nothing; both for a striped file and for a whole one.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${SWAP_SHIM:?SWAP_SHIM must name swap-shim.so (make check sets it)}"

for kind in striped whole; do
	rm -rf "$TMP/src" "$TMP/dst"; mkdir -p "$TMP/src" "$TMP/dst"
	case $kind in
	striped) gen "$TMP/src/shot.bin" 40 ;;
	whole) gen "$TMP/src/shot.bin" 8 ;;
	esac
	# The victim: same file system, a name the attacker can move.
	head -c 8388608 /dev/zero | tr '\0' 'V' >"$TMP/dst/victim"
	# A second name outside keeps the victim's inode alive: a freed
	# inode number may come back as the next partial file's.
	rm -f "$TMP/victim-kept"
	ln "$TMP/dst/victim" "$TMP/victim-kept"
	ino=$(stat -c %i "$TMP/victim-kept")
	# ASan wants to come first; the shim only wraps open.
	SWAP_VICTIM="$TMP/dst/victim" \
	SWAP_TARGET="$TMP/dst/.shot.bin.ferry-part" \
	LD_PRELOAD="$SWAP_SHIM" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    start_recv
	set +e
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --timeout 10000 --streams 2 --stats \
	    "$TMP/sstats" $([ "$kind" = striped ] && echo --stripe 2) \
	    >"$TMP/out" 2>"$TMP/err"
	set -e
	wait_recv || true
	checks=$((checks + 1))
	if [ "$kind" = striped ]; then
		checks=$((checks + 1))
		# Counted only when delivered so: a striped try that the
		# receiver refused is resent whole (twice the bytes).
		jq -e '.striped == 1 or .wire_bytes >= 2 * .bytes' \
		    "$TMP/sstats" >/dev/null 2>&1 ||
		    fail "striped: the file did not go striped: $(cat \
		    "$TMP/sstats")"
	fi
	grep -q "swap-shim: .* is now" "$TMP/rerr" ||
	    fail "$kind: no O_DIRECT open, so no swap: $(cat "$TMP/rerr")"
	# The victim's bytes, whatever its names are now.
	checks=$((checks + 1))
	[ "$(tr -d V <"$TMP/victim-kept" | wc -c)" -eq 0 ] ||
	    fail "$kind: the receiver wrote into the swapped-in file"
	checks=$((checks + 1))
	if [ -e "$TMP/dst/shot.bin" ]; then
		[ "$(stat -c %i "$TMP/dst/shot.bin")" != "$ino" ] ||
		    fail "$kind: the swapped-in file was put under the final name"
		cmp -s "$TMP/src/shot.bin" "$TMP/dst/shot.bin" ||
		    fail "$kind: the final name holds other bytes than sent"
	else
		grep -q "replaced" "$TMP/rerr" "$TMP/err" ||
		    fail "$kind: no file, and no cause naming the swap: $(cat \
		    "$TMP/rerr" "$TMP/err")"
	fi
done
finish
