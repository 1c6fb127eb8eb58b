#!/bin/sh
# A forged receiver's keep-alives against a sender (docs/protocol.md 6.3,
# feature KEEPALIVE): a receiver that hashes a partial file or its copy
# before a PLAN says so once a second, with the bytes hashed so far, and
# the sender takes each as life on a stream that would otherwise time out.
# A keep-alive must not hold the sender's stream for ever: evil-recv
# sends them without progress (always 1 byte) and with a byte more each
# time, for ever, every 200 ms (under the sender's 10 s idle timeout); it
# claims more bytes than the file has, names an entry already answered or
# one not owed next, sends one where the ACKs are asked for, and one
# without the feature agreed. Each is cut with an ERROR naming it, the
# sender fails and reports no file delivered; the endless ones within
# their bound (10 s, and a second per MiB to hash: 11 s for the 1 MiB
# file), not held for the 40 s the test waits. "kagood" is the
# control: three keep-alives that make progress, then the plans, are
# believed.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_RECV:?EVIL_RECV must name evil-recv (make check sets it)}"

gen "$TMP/src/big.bin" 1 big
head -c 100000 /dev/urandom >"$TMP/src/two.bin"
tok=$(cat "$TMP/token")

for m in kagood kastall kaforever kaover kaafter kaother kaack kanofeat; do
	start_evil $m
	rm -f "$TMP/sstats"
	t0=$(date +%s)
	set +e
	timeout 40 "$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
	    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
	    --src "$TMP/src" --stats "$TMP/sstats" --timeout 10000 \
	    --streams 1 >"$TMP/out" 2>"$TMP/err"
	got=$?
	set -e
	took=$(($(date +%s) - t0))
	wait_recv || fail "$m: evil-recv: $(cat "$TMP/rerr")"
	checks=$((checks + 1))
	if [ $m = kagood ]; then
		[ $got = 0 ] || fail "kagood: the sender exited $got:" \
		    "$(cat "$TMP/err")"
		checks=$((checks + 1))
		[ "$(jq -r .whole "$TMP/sstats")" = 2 ] ||
		    fail "kagood: not both files sent: $(cat "$TMP/sstats")"
		continue
	fi
	case $got in
	1)	;;
	124)	fail "$m: the sender's stream was held for the ${took} s" \
		    "the test waits" ;;
	*)	fail "$m: the sender exited $got, expected 1" ;;
	esac
	case $m in
	kastall) err_has "reports 1 bytes hashed, no more than before (1): no progress" ;;
	kaforever) err_has "longer than they may take (11 s: 10 s and a second per 1024 KiB)" ;;
	kaover)	err_has "bytes hashed, more than the" ;;
	kaafter) err_has "which was answered already" ;;
	kaother) err_has "while the answer owed is for id" ;;
	kaack)	err_has "expected a ACK frame, got KEEPALIVE" ;;
	kanofeat) err_has "expected a PLAN frame, got KEEPALIVE" ;;
	esac
	# The endless ones: cut at their bound, not before.
	if [ $m = kaforever ]; then
		checks=$((checks + 1))
		[ $took -ge 10 ] && [ $took -le 22 ] ||
		    fail "kaforever: cut after $took s, not at its 11 s bound"
	fi
	# The sender said why to the receiver.
	checks=$((checks + 1))
	grep -q '^end: ERROR' "$TMP/rport" ||
	    fail "$m: no ERROR to the receiver: $(cat "$TMP/rport")"
	# No file reported delivered (nor skipped as identical) on a word
	# the protocol does not give; kaack's files had their plans.
	[ $m = kaack ] && continue
	checks=$((checks + 1))
	if [ -f "$TMP/sstats" ] &&
	    [ "$(jq -r '.whole + .delta + .skipped' "$TMP/sstats")" != 0 ]; then
		fail "$m: the sender counted files delivered: $(cat "$TMP/sstats")"
	fi
done
finish
