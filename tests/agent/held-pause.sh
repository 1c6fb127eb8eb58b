#!/bin/sh
# Pause, resume and cancel of a transfer into the hub (la sends, hq
# receives), whose start the hub holds (agent/hub-dispatch.h, "held"):
# jobs.sh stops transfers the hub sends; here the hub receives. A pause
# must stop the data (the partial at hq stops growing, nothing under the
# final name), and a resume must not start a second transfer of the
# file while the first one still writes it; at the end the file is
# whole, the job done, no attempt counted. A cancel stops it too.
. "${srcdir:-.}/tests/agent/lib.sh"
need openssl

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S" "$L/show"
openssl enc -aes-128-ctr -nosalt -pass pass:pause -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 12000000 >"$L/show/stopme.bin"
openssl enc -aes-128-ctr -nosalt -pass pass:cancel -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 12000000 >"$L/show/cancelme.bin"
hub_and_la "$S" "$L"
# 12 MB at 1 MB/s: the transfer runs for seconds.
run 0 "$FERRY" site set hq --bwlimit 1M --state "$HUB"

# size F: the bytes of hq's partial of F (0 if none).
size() { stat -c %s "$S/show/.$1.ferry-part" 2>/dev/null || echo 0; }

run 0 "$FERRY" send --from la --to hq --state "$HUB" "$L/show/stopme.bin"
sid=$(tail -n1 "$TMP/out")
wait_file "$S/show/.stopme.bin.ferry-part"
sleep 0.3
run 0 "$FERRY" pause "$sid" --state "$HUB"
sleep 1
size1=$(size stopme.bin)
sleep 1.5
size2=$(size stopme.bin)
checks=$((checks + 1))
[ "$size1" -eq "$size2" ] && [ ! -e "$S/show/stopme.bin" ] ||
    fail "pause did not stop the transfer into the hub ($size1 -> $size2 bytes)"
run 0 "$FERRY" resume "$sid" --state "$HUB"
run 0 "$FERRY" job "$sid" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$L/show/stopme.bin" "$S/show/stopme.bin" ||
    fail "stopme.bin differs after resume"
run 0 "$FERRY" job "$sid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.done_files)/\(.files) \(.tasks[0].attempts)"' \
    "$TMP/out")" = "done 1/1 0" ] || fail "after resume: $(cat "$TMP/out")"
# One transfer of the file at a time: each of the job's transfers ended
# (la's word "transfer N done|failed", or the hub's "transfer N (job J,
# ...): why") before the next one began ("transfer N (job J): ...
# streams"). The stopped one used to carry on, and the resumed job's
# second transfer wrote the same partial file beside it.
checks=$((checks + 1))
open=$(awk -v j="$sid" '
	$3 == "transfer" && $5 == "(job" && $6 == j "):" {
		for (t in live) { print "transfer " $4 " began while " t \
		    " ran"; bad = 1 }
		live[$4] = 1
	}
	$3 == "transfer" && $5 == "(job" && $6 == j "," { delete live[$4] }
	$3 == "la-server:" && $4 == "transfer" { delete live[$5] }
	END { if (!bad) for (t in live) print t " never ended" }' "$HUB.log")
[ -z "$open" ] || fail "job $sid's transfers overlapped: $open:
$(grep 'transfer' "$HUB.log")"

run 0 "$FERRY" send --from la --to hq --state "$HUB" "$L/show/cancelme.bin"
cid=$(tail -n1 "$TMP/out")
wait_file "$S/show/.cancelme.bin.ferry-part"
run 0 "$FERRY" cancel "$cid" --state "$HUB"
sleep 1
size1=$(size cancelme.bin)
sleep 1.5
size2=$(size cancelme.bin)
checks=$((checks + 1))
# (Its partial may go meanwhile: a cancel discards it.)
[ "$size2" -le "$size1" ] && [ ! -e "$S/show/cancelme.bin" ] ||
    fail "cancel did not stop the transfer into the hub ($size1 -> $size2 bytes)"
run 0 "$FERRY" job "$cid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .state "$TMP/out")" = cancelled ] ||
    fail "cancelled: $(cat "$TMP/out")"

stop_and_check
finish
