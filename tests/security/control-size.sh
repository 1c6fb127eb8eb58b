#!/bin/sh
# Attack: an enrolled vendor's control messages, once its hello is taken,
# as big as a CONTROL frame may be (1 MiB) and made of empty objects,
# "{},{},...", which jansson turns into ~70 bytes of heap per byte read:
# four links of the one key (the most the hub keeps), each sending such
# messages. The hub must refuse an oversize message from its header,
# before it reads or parses it, and drop that link; its peak memory must
# not grow by the parse trees (docs/security.md, "Control messages").
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
enrol_evil vendor
# 1 MiB less a little: a frame the frame layer itself would take.
python3 -c '
import sys
n = (1 << 20) - 64
body = "{},"  * ((n - 30) // 3)
sys.stdout.write("{\"op\":\"ping\",\"pad\":[" + body[:-1] + "]}")
' >"$TMP/big.json"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$HUBPID/status"; }
before=$(hwm)
evils=
for i in 1 2 3 4; do
	"$EVIL" talk "$TMP/vendor" --hold 3000 --send-file "$TMP/big.json" \
	    --send-file "$TMP/big.json" --send-file "$TMP/big.json" \
	    >"$TMP/out.$i" 2>"$TMP/err.$i" &
	evils="$evils $!"
done
for p in $evils; do wait "$p" || :; done
after=$(hwm)
grow=$(( (after - before) / 1024 ))
echo "hub peak RSS $((before / 1024)) MB -> $((after / 1024)) MB"
checks=$((checks + 1))
[ "$grow" -lt 16 ] || fail "the hub's peak memory grew by $grow MB"
# Refused, not answered: no link got a pong for a 1 MiB ping.
checks=$((checks + 1))
! grep -q '"op":"pong"' "$TMP"/out.? || fail "an oversize ping was answered"
# The hub still serves the agent's ordinary messages.
run 0 "$EVIL" talk "$TMP/vendor" --hold 300 --send '{"op":"ping"}'
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "no pong after: $(cat "$TMP/out")"
finish
