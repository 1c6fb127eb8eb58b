#!/bin/sh
# A forged sender's keep-alives against a receiver (docs/protocol.md 6.3,
# feature KEEPALIVE): a sender hashing its prefix of a resumed file says
# so once a second, with the bytes hashed so far, before its FILE_BEGIN,
# and the receiver takes each as life on a stream that would otherwise
# time out. evil-pipe offers "a" (2 MiB; a 1 MiB partial file of it is
# planted, so the PLAN offers a resume at 1 MiB) and f1 (no partial),
# and sends keep-alives without progress (always 1 byte) and with a byte
# more each time, for ever, every 200 ms (under the receiver's 10 s idle
# timeout); more bytes than the offset; for f1 while "a" is due; for f1,
# which was offered no resume; in the middle of "a"'s data; and without
# the feature agreed. Each is cut with an ERROR naming it, the receiver
# fails, nothing arrives under a final name and the partial file stays
# for the next try; the endless ones within their bound (10 s, and a
# second per MiB of the offset: 11 s), not held for the 40 s the test
# waits. "kagood" is the control: three keep-alives that make progress,
# then the data: "a" and f1 arrive whole, "a" resumed.
set -eu
. "${srcdir:-.}/tests/transfer/lib.sh"
: "${EVIL_PIPE:?EVIL_PIPE must name evil-pipe (make check sets it)}"

SIZE=2097152
OFF=1048576
tok=$(cat "$TMP/token")

for m in kagood kastall kaforever kaover kaother kanores kadata kanofeat; do
	rm -rf "$TMP/dst"
	mkdir -p "$TMP/dst"
	head -c $OFF /dev/zero | tr '\0' A >"$TMP/dst/.a.ferry-part"
	printf 'ferry-part 1 %s 1700000000.000000000\n' $SIZE \
	    >"$TMP/dst/.a.ferry-meta"
	chmod 600 "$TMP/dst/.a.ferry-part" "$TMP/dst/.a.ferry-meta"
	STREAMS=1 start_recv
	t0=$(date +%s)
	set +e
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	timeout 40 "$EVIL_PIPE" "$TMP/a" "$B_FP" "$tok" "127.0.0.1:$PORT" \
	    $m $SIZE >"$TMP/evil.out" 2>"$TMP/evil.err"
	got=$?
	set -e
	took=$(($(date +%s) - t0))
	[ $got = 124 ] && kill "$RPID" 2>/dev/null
	wait_recv && rs=0 || rs=$rstatus
	checks=$((checks + 1))
	if [ $m = kagood ]; then
		[ $got = 0 ] && [ $rs = 0 ] ||
		    fail "kagood: evil-pipe $got, receiver $rs:" \
		    "$(cat "$TMP/evil.err" "$TMP/rerr")"
		checks=$((checks + 1))
		[ "$(wc -c <"$TMP/dst/a")" = $SIZE ] &&
		    [ "$(tr -d A <"$TMP/dst/a" | wc -c)" = 0 ] &&
		    [ "$(wc -c <"$TMP/dst/f1")" = $SIZE ] ||
		    fail "kagood: not both files whole"
		checks=$((checks + 1))
		grep -q "^plan: 0 1 $OFF\$" "$TMP/evil.out" ||
		    fail "kagood: \"a\" not resumed: $(cat "$TMP/evil.out")"
		continue
	fi
	case $got in
	0)	;;
	124)	fail "$m: the receiver's stream was held for the ${took} s" \
		    "the test waits" ;;
	*)	fail "$m: evil-pipe exited $got: $(cat "$TMP/evil.err")" ;;
	esac
	checks=$((checks + 1))
	[ $rs = 1 ] || fail "$m: the receiver exited $rs, expected 1"
	case $m in
	kastall) want="KEEPALIVE for id 0 reports 1 bytes hashed, no more than before (1): no progress" ;;
	kaforever) want="longer than they may take (11 s: 10 s and a second per 1024 KiB)" ;;
	kaover)	want="KEEPALIVE for id 0 reports 1048577 bytes hashed, more than the 1048576 there are" ;;
	kaother) want="KEEPALIVE for id 1, which is not the next file whose data is due" ;;
	kanores) want="KEEPALIVE for id 1, which was offered no resume: nothing to hash" ;;
	kadata)	want="a: expected DATA or FILE_END, got KEEPALIVE" ;;
	kanofeat) want="expected FILE_BEGIN, got KEEPALIVE" ;;
	esac
	checks=$((checks + 1))
	grep -qF -- "$want" "$TMP/rerr" ||
	    fail "$m: the receiver's error lacks \"$want\": $(cat "$TMP/rerr")"
	# The receiver said why to the sender.
	checks=$((checks + 1))
	grep -qF -- "end: ERROR" "$TMP/evil.out" ||
	    fail "$m: no ERROR to the sender: $(cat "$TMP/evil.out")"
	if [ $m = kaforever ]; then
		checks=$((checks + 1))
		[ $took -ge 10 ] && [ $took -le 22 ] ||
		    fail "kaforever: cut after $took s, not at its 11 s bound"
	fi
	# Nothing under the final name "a"; the partial file stays (kanores:
	# "a" arrived whole before the forgery, and is not committed).
	checks=$((checks + 1))
	[ ! -e "$TMP/dst/a" ] || fail "$m: \"a\" is in the destination"
	if [ $m != kanores ] && [ $m != kadata ]; then
		checks=$((checks + 1))
		[ "$(wc -c <"$TMP/dst/.a.ferry-part" 2>/dev/null)" = $OFF ] ||
		    fail "$m: the partial file did not stay"
	fi
done
finish
