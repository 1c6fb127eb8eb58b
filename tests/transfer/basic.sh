#!/bin/sh
# Transfers that should work: fresh trees, deltas, rewrites, no-ops, many
# small files, empty files, nested directories, UTF-8 names, symlinks that
# stay inside, several streams, and basis hints for new versions.
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl

# A fresh tree: nested directories, empty files, UTF-8 names, modes, an
# inside symlink, a larger file and 300 small ones.
mkdir -p "$TMP/src/show/sh010/plates" "$TMP/src/empty dir" "$TMP/src/ショット"
gen "$TMP/src/show/sh010/plates/big.exr" 12
: >"$TMP/src/show/empty.txt"
printf 'café\n' >"$TMP/src/ショット/naïve résumé.txt"
chmod 600 "$TMP/src/ショット/naïve résumé.txt"
chmod 750 "$TMP/src/show/sh010"
ln -s plates/big.exr "$TMP/src/show/sh010/latest.exr"
i=0
while [ $i -lt 300 ]; do
	printf 'frame %d\n' $i >"$TMP/src/show/sh010/plates/f.$(printf %04d $i).txt"
	i=$((i + 1))
done
STREAMS=3 transfer --progress --bwlimit 24M
same_tree
no_leftovers
# Progress: per file and overall, ending with everything done. (The
# bandwidth limit makes the big file take long enough to show a rate.)
entries=$(find "$TMP/src" -mindepth 1 | wc -l)
checks=$((checks + 1))
grep -q "^progress \([0-9.]* [KMG]iB\)/\1 $entries/$entries files" "$TMP/err" ||
    fail "no final progress line: $(tail -2 "$TMP/err")"
checks=$((checks + 1))
grep -q "progress [0-9.]* [KM]*i*B/[0-9.]* MiB .* [1-9][0-9.]* [KMG]iB/s ETA [0-9hms]* show/sh010/plates/big.exr" "$TMP/err" ||
    fail "no progress line with a rate and ETA for big.exr"
checks=$((checks + 1))
[ "$(stat_of failed)" = 0 ] && [ "$(stat_of whole)" -ge 303 ] ||
    fail "fresh: $(cat "$TMP/sstats")"
checks=$((checks + 1))
[ "$(stat -c %a "$TMP/dst/show/sh010")" = 750 ] || fail "directory mode not kept"
checks=$((checks + 1))
[ "$(readlink "$TMP/dst/show/sh010/latest.exr")" = plates/big.exr ] ||
    fail "symlink not kept as a symlink"

# Nothing changed: everything is skipped and little crosses the wire.
transfer
checks=$((checks + 1))
[ "$(stat_of skipped)" -ge 302 ] && [ "$(stat_of whole)" = 0 ] &&
    [ "$(stat_of wire_bytes)" -lt 200000 ] || fail "no-op: $(cat "$TMP/sstats")"

# A few bytes changed in place: a delta, far smaller than the file.
printf 'CHANGED' | dd of="$TMP/src/show/sh010/plates/big.exr" bs=1 \
    seek=5000000 conv=notrunc 2>/dev/null
transfer
same_tree
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] && [ "$(stat_of wire_bytes)" -lt 1000000 ] ||
    fail "delta: $(cat "$TMP/sstats")"

# Bytes inserted near the start shift everything after them: the block map
# finds nothing, so the file is offered again with a librsync signature,
# whose rolling search still finds the moved data.
gen "$TMP/src/scene.ma" 4 scene
transfer scene.ma
{ printf 'inserted line\n'; cat "$TMP/src/scene.ma"; } >"$TMP/scene.new"
mv "$TMP/scene.new" "$TMP/src/scene.ma"
transfer scene.ma
checks=$((checks + 1))
cmp -s "$TMP/src/scene.ma" "$TMP/dst/scene.ma" || fail "shifted file differs"
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] && [ "$(stat_of wire_bytes)" -lt 300000 ] ||
    fail "shifted: $(cat "$TMP/sstats")"

# Rewritten under the same name with unrelated content: the delta probe
# finds nothing in common and the file goes whole.
gen "$TMP/src/show/sh010/plates/big.exr" 12 other
transfer
same_tree
checks=$((checks + 1))
[ "$(stat_of whole)" = 1 ] && [ "$(stat_of delta)" = 0 ] ||
    fail "rewrite: $(cat "$TMP/sstats")"

# A new version under a new name, with the old version as basis hint:
# only the change crosses the wire.
cp "$TMP/src/show/sh010/plates/big.exr" "$TMP/src/show/sh010/plates/big_v002.exr"
printf 'v002' | dd of="$TMP/src/show/sh010/plates/big_v002.exr" bs=1 \
    seek=100 conv=notrunc 2>/dev/null
transfer --basis show/sh010/plates/big_v002.exr=show/sh010/plates/big.exr
same_tree
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] && [ "$(stat_of wire_bytes)" -lt 1000000 ] ||
    fail "basis hint: $(cat "$TMP/sstats")"

# Only named paths are sent.
rm -rf "$TMP/dst"; mkdir "$TMP/dst"
transfer show/empty.txt "ショット"
checks=$((checks + 1))
[ -f "$TMP/dst/show/empty.txt" ] && [ -f "$TMP/dst/ショット/naïve résumé.txt" ] &&
    [ ! -e "$TMP/dst/show/sh010" ] || fail "named paths: $(find "$TMP/dst")"

# With --compare-hash, a file whose size and mtime match but whose content
# differs is sent again.
cp -p "$TMP/src/show/empty.txt" "$TMP/dst/show/empty.txt"
printf 'abc' >"$TMP/src/a.txt"; printf 'xyz' >"$TMP/dst/a.txt"
touch -r "$TMP/src/a.txt" "$TMP/dst/a.txt"
transfer a.txt
checks=$((checks + 1))
[ "$(cat "$TMP/dst/a.txt")" = xyz ] || fail "size+mtime match should skip"
transfer --compare-hash a.txt
checks=$((checks + 1))
[ "$(cat "$TMP/dst/a.txt")" = abc ] || fail "--compare-hash did not resend"

# The receiver's --umask (ferryd.conf's receive-umask) takes its bits from
# every mode it gives: small files (made by writer threads), a large
# file, a delta's result and directories; a value not octal is refused.
run 1 "$PEER" recv --state "$TMP/b" --peer-fp "$A_FP" --token-file \
    "$TMP/token" --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/dst" \
    --umask 8
err_has "--umask: an octal number"
run 1 "$PEER" recv --state "$TMP/b" --peer-fp "$A_FP" --token-file \
    "$TMP/token" --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/dst" \
    --umask 0700
err_has "--umask: an octal number from 0 to 077 (the owner's bits stay)"
rm -rf "$TMP/dst"; mkdir "$TMP/dst"
chmod 664 "$TMP/src/show/sh010/plates/f.0001.txt"
chmod 775 "$TMP/src/show/sh010/plates"
start_recv --umask 027
send_to 0 show
checks=$((checks + 1))
wait_recv || fail "--umask 027: receiver exited $rstatus: $(cat "$TMP/rerr")"
modes() {
	(cd "$TMP/dst/show/sh010" && stat -c '%n %a' plates plates/f.0000.txt \
	    plates/f.0001.txt plates/big.exr | tr '\n' ' ')
}
checks=$((checks + 1))
[ "$(modes)" = "plates 750 plates/f.0000.txt 640 plates/f.0001.txt 640 plates/big.exr 640 " ] ||
    fail "--umask 027: $(modes)"
printf 'v003' | dd of="$TMP/src/show/sh010/plates/big.exr" bs=1 seek=200 \
    conv=notrunc 2>/dev/null
chmod 666 "$TMP/src/show/sh010/plates/big.exr"
start_recv --umask 027
send_to 0 show/sh010/plates/big.exr
checks=$((checks + 1))
wait_recv || fail "--umask 027, a delta: receiver exited $rstatus"
checks=$((checks + 1))
[ "$(stat_of delta)" = 1 ] &&
    [ "$(stat -c %a "$TMP/dst/show/sh010/plates/big.exr")" = 640 ] ||
    fail "--umask 027, a delta: $(stat -c %a "$TMP/dst/show/sh010/plates/big.exr"), $(cat "$TMP/sstats")"
cmp -s "$TMP/src/show/sh010/plates/big.exr" "$TMP/dst/show/sh010/plates/big.exr" ||
    fail "--umask 027, a delta: big.exr differs"

finish
