#!/bin/sh
# Attack: pull ferry's own partial files (issue 9, item 4). A crafted
# delta can copy a basis the vendor may not read into a .ferry-part file
# inside its grant, cut the connection, and ask for the partial file.
# Partial files and their sidecars are never sources: the hub refuses
# them by name, a directory's expansion leaves them out, and a site's
# agent refuses them too.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
sec_setup la
FX="$TMP/fx-ws"

# What the crafted delta would have left behind.
cp "$S/show/sh010/secret.mov" "$S/show/sh020/.plate.exr.ferry-part"
printf 'ferry-part 1 300000 0.000000000\n' \
    >"$S/show/sh020/.plate.exr.ferry-meta"
cp "$L/show/sh010/secret.mov" "$L/show/sh030/.anim.mov.ferry-part"

vendor_asks hq "$S/show/sh020/.plate.exr.ferry-part" \
    ".plate.exr.ferry-part: a ferry partial file or sidecar" \
    show/sh020/.plate.exr.ferry-part
vendor_asks hq "$S/show/sh020/.plate.exr.ferry-meta" \
    ".plate.exr.ferry-meta: a ferry partial file or sidecar"
# From a site's agent.
vendor_asks la "$L/show/sh030/.anim.mov.ferry-part" \
    ".anim.mov.ferry-part: a ferry partial file or sidecar" \
    show/sh030/.anim.mov.ferry-part

# The whole directory: its files go, its partial files do not.
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$FX" "$S/show/sh020"
run 0 "$FERRY" send --from la --to "$V" --wait --state "$FX" "$L/show/sh030"
checks=$((checks + 1))
cmp -s "$S/show/sh020/plate.exr" "$F/show/sh020/plate.exr" &&
    cmp -s "$L/show/sh030/anim.mov" "$F/show/sh030/anim.mov" ||
    fail "the granted files did not arrive"
checks=$((checks + 1))
[ -z "$(find "$F" -name '*.ferry-*')" ] ||
    fail "partial files were sent: $(find "$F" -name '*.ferry-*')"

stop_and_check
finish
