#!/bin/sh
# Attack: a receiver reporting out of turn. In an hq -> vendor job the
# hub listens and the vendor's crafted agent should connect and receive;
# instead it says at once that every file arrived, that the transfer is
# done, and that it listens on a data port, and never connects. Only the
# sender may settle files, only the agent told to listen may name a
# port: the job must not end done, and the port is refused and recorded.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" F="$TMP/fx-storage"
mkdir -p "$S/show/sh010"
echo "comp" >"$S/show/sh010/comp.mov"
share_map "$S" "$V=$F"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh010 read --state "$HUB"
done='{"op":"transfer.done","id":"@id","ok":true,"bytes":5,"wire_bytes":5}'
file='{"op":"transfer.file","id":"@id","index":0,"ok":true}'
port='{"op":"transfer.listening","id":"@id","port":45200}'
"$EVIL" talk "$TMP/fx-ws" --hold 5000 --on "transfer.start=$file" \
    --on "transfer.start=$done" --on "transfer.start=$port" \
    >"$TMP/fx.out" 2>&1 &
fx=$!
wait_grep '"op":"welcome"' "$TMP/fx.out"
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" \
    "$S/show/sh010/comp.mov"
wait_grep '"op":"transfer.start"' "$TMP/fx.out" || fail "no transfer.start"
wait "$fx" || true
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0].done_files' "$TMP/out")" = 0 ] ||
    fail "the receiver settled a file: $(cat "$TMP/out")"
audit_has port.refused fx-ws
finish
