#!/bin/sh
# Attack: a store transaction for each roots.report of a vendor. Its
# agent relays `roots.report` (what `ferry root set` sends) with good
# roots, alternating two paths, 200 times 20 ms apart over one link: each
# replaced the person's roots in the hub's store (a delete and an insert
# a root, a disk flush) under the hub's lock, as fast as the agent could
# ask, for as long as it liked. A person sets roots by hand: the hub
# takes 30 reports a minute per person, and refuses the rest naming the
# limit; the link is kept.
. "${srcdir:-.}/tests/security/lib.sh"

hub_storage
enrol_evil vendor
N=200
set --
k=0
while [ $k -lt $N ]; do
	req=$(printf '%032x' "$k")
	set -- "$@" --send "{\"op\":\"api\",\"req\":\"$req\",\"request\":{\"op\":\"roots.report\",\"roots\":{\"set\":{\"storage\":\"/vendor/r$((k % 2))\"}}}}"
	k=$((k + 1))
done
syscw() { awk '$1 == "syscw:" { print $2 }' "/proc/$HUBPID/io"; }
w0=$(syscw)
run 0 "$EVIL" talk "$TMP/vendor" --hold 3000 --send-pace 20 "$@" --send '{"op":"ping"}'
w1=$(syscw)
taken=$(grep -c '"endpoint":"vendor@vendor.example"' "$TMP/out" || true)
refused=$(grep -c 'roots were set 30 times in the last minute' "$TMP/out" || true)
echo "roots.report: $taken taken, $refused refused of $N; $((w1 - w0)) write calls by the hub"
checks=$((checks + 1))
[ "$taken" -ge 1 ] || fail "no report taken: $(head -c 600 "$TMP/out")"
checks=$((checks + 1))
[ "$taken" -le 30 ] || fail "$taken of $N roots.report taken in about $((N / 50)) s"
checks=$((checks + 1))
[ "$((taken + refused))" -eq "$N" ] ||
    fail "$taken taken and $refused refused naming the limit, of $N: $(grep error "$TMP/out" | head -n 2)"
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "the link was not kept"
finish
