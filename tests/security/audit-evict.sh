#!/bin/sh
# Attack: the audit trail's per-minute budgets evicted. What an attacker
# can repeat at will is recorded once a minute per cause and address or
# agent (audit_note_limited), counted in 64 slots; a key not among them
# took the slot begun longest ago, whatever its minute. So a flooder
# whose every bad hello is budgeted once a minute had its budget reset by
# 70 other addresses' bad hellos (each a slot), and was recorded again,
# as often as it liked to pay 64 connections for it. Here 127.0.0.5 says
# a bad hello, 70 other addresses (127.0.1.1-70) say one each, and
# 127.0.0.5 three more: it must have one record of the minute, and every
# other address its own.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
need jq
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
OTHERS=70

make_hub
enrol_evil vendor
# from NAME ADDR: a state as the vendor's, dialling from ADDR.
from() {
	cp -r "$TMP/vendor" "$TMP/$1"
	echo "source-address $2" >>"$TMP/$1/ferryd.conf"
}
# bad NAME: a hello whose address is no string (message.refused).
bad() {
	"$EVIL" talk "$TMP/$1" --hold 200 \
	    --first '{"op":"hello","name":"vendor","address":["x"]}' \
	    >/dev/null 2>&1 || :
}
from flooder 127.0.0.5
bad flooder
i=1
while [ $i -le $OTHERS ]; do
	from "o$i" "127.0.1.$i"
	bad "o$i"
	i=$((i + 1))
done
bad flooder
bad flooder
bad flooder
"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit"
n=$(jq '[.[] | select(.what == "message.refused" and .who == "127.0.0.5")] | length' "$TMP/audit")
o=$(jq '[.[] | select(.what == "message.refused" and (.who | startswith("127.0.1.")))] | map(.who) | unique | length' "$TMP/audit")
echo "127.0.0.5's 4 bad hellos among $OTHERS other addresses' in a minute:" \
    "$n records of it; $o of the $OTHERS others recorded"
checks=$((checks + 1))
[ "$n" -ge 1 ] || fail "the flooder was not recorded at all"
checks=$((checks + 1))
[ "$n" -le 1 ] ||
    fail "the flooder was recorded $n times in a minute: its budget was evicted"
checks=$((checks + 1))
[ "$o" -eq $OTHERS ] || fail "only $o of the $OTHERS other addresses were recorded"
finish
