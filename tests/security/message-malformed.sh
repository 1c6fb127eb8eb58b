#!/bin/sh
# Attack: malformed control messages. The crafted agent sends messages of
# unknown ops, fields of the wrong type, negative and huge numbers,
# strings too long, "op" and "re" together, and a first message that is
# neither hello nor enroll. The hub must drop each before acting on it,
# record it, and keep the link (a ping still gets its pong).
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
enrol_evil vendor
long=$(head -c 9000 /dev/zero | tr '\0' a)
set --
for m in '{"op":"transfer.file","id":"1","index":0,"ok":true}' \
    '{"op":"transfer.file","id":1,"index":-1,"ok":true}' \
    '{"op":"transfer.done","id":1,"ok":"yes"}' \
    '{"op":"transfer.listening","id":1,"port":45195.5}' \
    '{"op":"transfer.progress","id":1,"index":0,"bytes":-5}' \
    '{"op":"api","req":7,"request":{"op":"jobs"}}' \
    '{"op":"api","req":"0123456789abcdef0123456789abcdef","request":[]}' \
    '{"op":"ping","re":"0123456789abcdef0123456789abcdef"}' \
    '{"op":"list","req":"0123456789abcdef0123456789abcdef","paths":[]}' \
    '{"op":["ping"]}' '{"op":"shutdown"}' '{"nothing":1}' \
    "{\"op\":\"transfer.done\",\"id\":1,\"ok\":false,\"error\":\"$long\"}"; do
	set -- "$@" --send "$m"
done
run 0 "$EVIL" talk "$TMP/vendor" --hold 1000 "$@" --send '{"op":"ping"}'
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "the link did not survive: $(cat "$TMP/out" "$TMP/err")"
audit_has message.refused vendor
checks=$((checks + 1))
[ "$(grep -c "message.refused" "$HUB.log")" -ge 1 ] ||
    fail "nothing logged: $(cat "$HUB.log")"

# A first message that is neither hello nor enroll, or a hello whose
# address is not a string.
run 1 "$EVIL" talk "$TMP/vendor" --hold 300 --first '{"op":"ping"}'
err_has "refused"
run 1 "$EVIL" talk "$TMP/vendor" --hold 300 \
    --first '{"op":"hello","name":"vendor","address":["127.0.0.1"]}'
err_has "refused"
audit_has message.refused 127.0.0.1
run 0 "$FERRY" status --state "$HUB"
finish
