#!/bin/sh
# A file name of 255 bytes, the most a Linux file system holds: the
# receiver's partial file beside it must fit too (issue 9, the minor
# item). It used to fail with "File name too long" at every try.
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq

long=$(printf 'n%.0s' $(seq 1 251)).exr
mkdir -p "$TMP/src/sh010"
head -c 2000000 /dev/urandom >"$TMP/src/sh010/$long"
transfer sh010
checks=$((checks + 1))
cmp -s "$TMP/src/sh010/$long" "$TMP/dst/sh010/$long" ||
    fail "the 255-byte name did not arrive: $(cat "$TMP/rerr")"
# Again, as a delta against the copy there (a sidecar is written too).
head -c 1000 /dev/urandom >>"$TMP/src/sh010/$long"
transfer sh010
checks=$((checks + 1))
cmp -s "$TMP/src/sh010/$long" "$TMP/dst/sh010/$long" ||
    fail "the changed file did not arrive: $(cat "$TMP/rerr")"
checks=$((checks + 1))
[ "$(jq -r .delta "$TMP/sstats")" = 1 ] || fail "no delta: $(cat "$TMP/sstats")"
checks=$((checks + 1))
[ -z "$(find "$TMP/dst" -name '*.ferry-*')" ] ||
    fail "left over: $(find "$TMP/dst" -name '*.ferry-*')"

finish
