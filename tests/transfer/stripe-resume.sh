#!/bin/sh
# Resume across the two shapes of a partial file (docs/protocol.md 6.7):
# whether a large file is striped is the sender's choice, from the round
# trip it measures when the transfer starts, so a try that striped may be
# followed by one that does not, and the other way round (a hub restarted
# under load did both: tests/lab/hub-restart.sh saw the file cross twice).
# Each time the sender is killed -9 mid-file and the next try must send
# only what the receiver lacks: what it wrote before the kill comes back
# at most 1 MiB + 0.1 % of the file (the lab's budget, docs/lab.md), as
# also for a striped try followed by a striped one.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"

STREAMS=4
MIB=1048576
SIZE=$((96 * MIB))
BUDGET=$((MIB + SIZE / 1000))

# try FIRST SECOND: a send with --stripe FIRST killed when the receiver
# has written about a third of the file, then one with --stripe SECOND.
try() {
	rm -rf "$TMP/dst"; mkdir "$TMP/dst"
	start_recv
	"$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --streams $STREAMS --stripe "$1" --bwlimit 30M \
	    --timeout 10000 2>"$TMP/serr" &
	spid=$!
	# The receiver's wchar: what it wrote (file data and sidecar lines).
	written=0 i=0
	while [ "$written" -lt $((SIZE / 3)) ] && [ $i -lt 600 ]; do
		w=$(awk '/^wchar/ {print $2}' "/proc/$RPID/io" 2>/dev/null ||
		    echo 0)
		[ "${w:-0}" -gt "$written" ] && written=$w
		i=$((i + 1))
		sleep 0.02
	done
	kill -9 $spid
	wait $spid 2>/dev/null || true
	while kill -0 "$RPID" 2>/dev/null; do
		w=$(awk '/^wchar/ {print $2}' "/proc/$RPID/io" 2>/dev/null ||
		    echo 0)
		[ "${w:-0}" -gt "$written" ] && written=$w
		sleep 0.02
	done
	wait_recv && fail "the receiver finished a file whose sender was killed"
	# Its last writes can come after the last read of wchar: the
	# partial file's allocated bytes count them (sparse until written).
	alloc=$(($(stat -c '%b * %B' "$TMP/dst/.big.bin.ferry-part" \
	    2>/dev/null || echo 0)))
	[ "$alloc" -le "$written" ] || written=$alloc
	checks=$((checks + 1))
	[ "$written" -gt $((SIZE / 4)) ] && [ "$written" -lt "$SIZE" ] ||
	    fail "stripe $1: killed with $written of $SIZE bytes written"
	transfer --stripe "$2"
	same_tree
	wire=$(stat_of wire_bytes)
	again=$((wire - (SIZE - written)))
	echo "# stripe $1 then $2: $written written before the kill," \
	    "$(jq -r .resumed_bytes "$TMP/rstats") resumed, $wire on the" \
	    "wire: $again sent again (budget $BUDGET)"
	checks=$((checks + 1))
	[ $again -le $BUDGET ] ||
	    fail "stripe $1 then $2: $again bytes sent again (> $BUDGET)"
	checks=$((checks + 1))
	[ -z "$(find "$TMP/dst" -name '.*ferry-*')" ] || fail "partial files left"
}

head -c $SIZE /dev/urandom >"$TMP/src/big.bin"
try 4 1		# striped, then whole on one stream
try 1 4		# whole, then striped
try 4 4		# striped both times
# Two streams: chunks of two pieces, gathered for one write; a sender
# killed mid-chunk leaves the chunk's whole pieces written and recorded,
# and the next try (in chunks fitted to them) sends only the rest.
STREAMS=2
try 2 2
# Eight streams over 256 MiB: chunks of a piece (64 KiB), received into a
# window and written in runs of four (stripe-recv.c); what it held at
# the kill was written and recorded as the receiver gave up.
STREAMS=8
SIZE=$((256 * MIB))
BUDGET=$((MIB + SIZE / 1000))
head -c $SIZE /dev/urandom >"$TMP/src/big.bin"
try 8 8
finish
