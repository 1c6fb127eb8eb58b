#!/bin/sh
# A forged receiver against a sender (docs/protocol.md 6.1 and 6.3):
# evil-recv plans and answers as it likes, with PIPELINE agreed. The
# sender must not take a file for delivered on anything but the PLAN or
# ACK the protocol asks for: an entry left without a PLAN (taken until
# now as "identical already": the zeroed plan is SKIP), a second PLAN for
# one entry, an ACK for an id never offered, a second ACK for a file, a
# held batch answered without its files' ACKs, a batch ACKed before it is
# held. Each is refused with an ERROR naming it; the sender fails and
# reports no file delivered. "good" is the control: the same tool,
# answering as it should, is believed.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_RECV:?EVIL_RECV must name evil-recv (make check sets it)}"

echo one >"$TMP/src/one.txt"
echo two >"$TMP/src/two.txt"
tok=$(cat "$TMP/token")

for m in good noplan dupplan stray dupack noack early; do
	case $m in
	good)	want=0 ;;
	*)	want=1 ;;
	esac
	start_evil $m
	rm -f "$TMP/sstats"
	STREAMS=1 send_to $want
	wait_recv || fail "$m: evil-recv: $(cat "$TMP/rerr")"
	case $m in
	noplan)	err_has "no PLAN for id" ;;
	dupplan) err_has "a second PLAN for id" ;;
	stray)	err_has "which is not in the batch answered" ;;
	dupack)	err_has "which was answered already" ;;
	noack)	err_has "no ACK for id" ;;
	early)	err_has "which is not in the batch answered" ;;
	esac
	if [ $m = good ]; then
		checks=$((checks + 1))
		[ "$(jq -r .whole "$TMP/sstats")" = 2 ] ||
		    fail "good: not both files sent: $(cat "$TMP/sstats")"
		continue
	fi
	# The sender said why to the receiver.
	checks=$((checks + 1))
	grep -q '^end: ERROR' "$TMP/rport" ||
	    fail "$m: no ERROR to the receiver: $(cat "$TMP/rport")"
	# No file reported delivered (nor skipped as identical) on a word
	# the protocol does not give; stray and dupack ACK the files truly
	# (ACKs are taken in order) before their forgery.
	case $m in stray|dupack) continue ;; esac
	checks=$((checks + 1))
	if [ -f "$TMP/sstats" ] &&
	    [ "$(jq -r '.whole + .delta + .skipped' "$TMP/sstats")" != 0 ]; then
		fail "$m: the sender counted files delivered: $(cat "$TMP/sstats")"
	fi
done
finish
