#!/bin/sh
# Attack: name a basis the hub never approved (issue 9, item 4). The hub
# checks a send's basis hints against the sender's grant, but the hint
# that counts is the one in the FILE_ENTRY, which a crafted vendor writes
# itself: sh010/secret.mov, outside its grant. The receiver would answer
# with its block map (telling the vendor which blocks it holds) and patch
# a crafted delta against it (copying its blocks into a partial file in
# the grant). A receiver takes only the basis the hub listed for a name.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
sec_setup evil la

# The vendor holds a copy of sh010's secret (say, an old delivery): a
# delta against sh010/secret.mov would be nearly free.
cp "$S/show/sh010/secret.mov" "$F/show/sh020/new.mov"
evil_publish "$F/show/sh020/new.mov" \
    --basis show/sh020/new.mov=show/sh010/secret.mov
checks=$((checks + 1))
grep -q "new.mov: basis show/sh010/secret.mov was not asked for" \
    "$TMP/evil.out" || fail "the forged basis: $(cat "$TMP/evil.out")"
checks=$((checks + 1))
grep -q "delta=0" "$TMP/evil.out" ||
    fail "a delta was sent against sh010/secret.mov: $(cat "$TMP/evil.out")"
audit_has transfer.suspect "show/sh010/secret.mov"

# The same at a site's agent.
cp "$L/show/sh010/secret.mov" "$F/show/sh020/new2.mov"
TO=la evil_publish "$F/show/sh020/new2.mov" \
    --basis show/sh020/new2.mov=show/sh010/secret.mov
checks=$((checks + 1))
grep -q "delta=0" "$TMP/evil.out" && grep -q "was not asked for" \
    "$TMP/evil.out" || fail "la and the forged basis: $(cat "$TMP/evil.out")"
audit_has transfer.suspect "show/sh010/secret.mov"

# A basis the hub did approve still works: the vendor's earlier delivery.
cp "$F/show/sh020/fx_v001.exr" "$S/show/sh020/fx_v001.exr"
head -c 100000 "$F/show/sh020/fx_v001.exr" >"$F/show/sh020/fx_v002.exr"
printf 'v2\n' >>"$F/show/sh020/fx_v002.exr"
run 0 "$FERRY" acl set "$V" storage:show/sh020 write --state "$HUB"
rm -f "$TMP/evil.out"
"$EVIL_DATA" send "$TMP/evil" >"$TMP/evil.out" 2>"$TMP/evil.err" &
epid=$!
until grep -q linked "$TMP/evil.out" 2>/dev/null; do sleep 0.1; done
run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" \
    --basis "$F/show/sh020/fx_v002.exr=$F/show/sh020/fx_v001.exr" \
    "$F/show/sh020/fx_v002.exr"
wait "$epid" || fail "evil-data: $(cat "$TMP/evil.err")"
checks=$((checks + 1))
grep -q "sent: ok" "$TMP/evil.out" && grep -q "delta=1" "$TMP/evil.out" ||
    fail "the approved basis: $(cat "$TMP/evil.out")"

stop_and_check
finish
