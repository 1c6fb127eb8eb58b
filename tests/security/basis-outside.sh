#!/bin/sh
# Attack: learn about, or copy, a file outside the grant through a delta
# basis (issue 9, item 4). The receiver answers a basis hint with the
# basis's block map, and a crafted delta can copy its blocks: so the
# sender must be allowed to read the basis, the receiver opens it from
# the share root without following symlinks, and ferry's own partial
# files are never a basis.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
sec_setup
FX="$TMP/fx-ws"

# The vendor holds a copy of sh010's secret (say, an old delivery): with
# sh010/secret.mov as basis, a delta would cost almost nothing, and its
# block map would tell the vendor so.
cp "$S/show/sh010/secret.mov" "$F/show/sh020/new.mov"
run 1 "$FERRY" send --from "$V" --to hq --wait --state "$FX" \
    --basis "$F/show/sh020/new.mov=$F/show/sh010/secret.mov" \
    "$F/show/sh020/new.mov"
err_has "may not read storage:show/sh010/secret.mov (the basis)"
audit_has send.refused "show/sh010/secret.mov (the basis)"
checks=$((checks + 1))
[ ! -e "$S/show/sh020/new.mov" ] || fail "the job ran"

# A basis that is ferry's own partial file.
run 1 "$FERRY" send --from "$V" --to hq --wait --state "$FX" \
    --basis "$F/show/sh020/new.mov=$F/show/sh020/.plate.exr.ferry-part" \
    "$F/show/sh020/new.mov"
err_has "a ferry partial file or sidecar"
audit_has send.refused ".plate.exr.ferry-part"

# A basis inside the grant that is a symlink to sh010: the hub opens it
# without following it, so the file goes whole, and the hub says why.
rm -f "$S/show/sh020/new.mov"
ln -s ../sh010/secret.mov "$S/show/sh020/blink.mov"
logline=$(wc -l <"$HUB.log")
run 0 "$FERRY" send --from "$V" --to hq --state "$FX" \
    --basis "$F/show/sh020/new.mov=$F/show/sh020/blink.mov" \
    "$F/show/sh020/new.mov"
bid=$(tail -n1 "$TMP/out")
run 0 "$FERRY" job "$bid" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$F/show/sh020/new.mov" "$S/show/sh020/new.mov" ||
    fail "new.mov did not arrive"
sleep 0.3
wire=$(sed -n "$((logline + 1)),\$p" "$HUB.log" |
    sed -n 's/.* \([0-9]*\) on the wire.*/\1/p' | tail -n1)
checks=$((checks + 1))
[ "${wire:-0}" -gt 300000 ] ||
    fail "new.mov went as a delta against a symlinked basis ($wire bytes)"
audit_has transfer.suspect "show/sh020/blink.mov"

stop_and_check
finish
