#!/bin/sh
# At most 16 striped files open at once in a transfer (STRIPE_OPEN_MAX in
# transfer/stripe-recv.c: each holds three descriptors and a window of up
# to 4 MiB), even when a hostile sender's eight streams each offer a
# batch of 16 striped files at the same moment, so that the receiver's
# streams plan them together: the count must be checked and taken in one
# step, or every stream passes the check before any counts its file. A
# race: a run may stay under the bound by luck, so it tries a few times.
set -eu
. "${srcdir:-.}/tests/security/chunk-lib.sh"

# 7 GB over 8 streams: each file would get a 4 MiB window.
SIZE=7000000000
for try in 1 2 3 4 5; do
	FILE=r.bin chunk_attack race 8
	# The sender leaves mid-transfer: the receiver fails, as it should.
	wait_recv || true
	# The receiver may fail the transfer, never its own checks (ASan).
	checks=$((checks + 1))
	! grep -q "Sanitizer\|runtime error" "$TMP/rerr" ||
	    fail "the receiver broke: $(head -20 "$TMP/rerr")"
	checks=$((checks + 1))
	n=$(sed -n 's/^striped: //p' "$TMP/evil.out")
	[ -n "$n" ] || { fail "try $try: no count: $(cat "$TMP/evil.out")"; break; }
	echo "try $try: $n of 128 planned striped"
	[ "$n" -le 16 ] || { fail "try $try: $n striped files open at once, past 16"; break; }
	checks=$((checks + 1))
	# The bound is a limit, not a refusal: some were striped.
	[ "$n" -ge 1 ] || fail "try $try: no file planned striped"
done
finish
