#!/bin/sh
# Attack: forging another job's figures. The hub counts what each
# transfer delivered and what crossed the wire (saved.c: `ferry job`'s
# sent_bytes, wire_bytes, streams, and /metrics' totals) from the first
# transfer.done an agent sends for the transfer's id. Ids are not
# secret: every welcome carries the hub's run, and a run's transfers are
# numbered run+1, run+2... A vendor's crafted agent, no end of an hq ->
# la transfer, sends transfer.done for the next ids claiming 1 TB
# delivered with nothing on the wire over 16 streams, while the real
# transfer runs. The hub must count only the transfer's own ends: the
# job shows the bytes la delivered, and the forged report changes
# nothing.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" L="$TMP/la-storage"
SIZE=3000000
mkdir -p "$S/show" "$L"
head -c "$SIZE" /dev/urandom >"$S/show/plate.exr"
share_map "$S" la="$L"
make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
enrol_agent la la
enrol_evil fx-ws "$V"
# Slow enough for the forgery to come while the transfer runs.
run 0 "$FERRY" site set la --bwlimit 1M --state "$HUB"

# The run, from the welcome any agent gets.
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 100
hubrun=$(head -n1 "$TMP/out" | jq -r '.run')
[ -n "$hubrun" ] && [ "$hubrun" != null ] || fail "no run in the welcome"

run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/plate.exr"
id=$(tail -n1 "$TMP/out")
wait_file "$L/show/.plate.exr.ferry-part"
set --
k=1
while [ $k -le 8 ]; do
	set -- "$@" --send "{\"op\":\"transfer.done\",\"id\":$((hubrun + k)),\"ok\":true,\"bytes\":1000000000000,\"wire_bytes\":0,\"streams\":16,\"striped\":1000}"
	k=$((k + 1))
done
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 200 "$@"
run 0 "$FERRY" job "$id" --wait --state "$HUB"
cmp -s "$S/show/plate.exr" "$L/show/plate.exr" || fail "plate.exr differs at la"
run 0 "$FERRY" job "$id" --json --state "$HUB"
checks=$((checks + 1))
sent=$(jq -r '.sent_bytes' "$TMP/out")
[ "$sent" = "$SIZE" ] ||
    fail "job $id shows sent_bytes $sent for $SIZE delivered: $(jq -c 'del(.tasks)' "$TMP/out")"
checks=$((checks + 1))
[ "$(jq -r '.streams // 0' "$TMP/out")" -lt 16 ] ||
    fail "job $id shows the forged streams: $(jq -c 'del(.tasks)' "$TMP/out")"
finish
