#!/bin/sh
# Transfer windows (docs/agent.md): a site's cap by day and time in its
# zone. A hub (hq) and a site agent (la) on loopback; the hub's windows
# read a test clock (test-clock-file) so that a window's edge comes in
# seconds. Checked: the rate of a running job, by the bytes of its
# partial file over time, before and after an edge (the hub sending)
# and before and after an admin's change (the agent sending, told by
# transfer.rate); that the job is not restarted (one attempt); the
# grammar's errors with their rule, column and token; zones checked;
# `ferry sites` and its JSON; the audit trail.
. "${srcdir:-.}/tests/agent/lib.sh"
need openssl
need awk

V=vendor@fx.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/vendor-storage"
mkdir -p "$S/show/a" "$S/show/c" "$L/show/b" "$F"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "$V": { "linux": "$F" } } } } }
JSON
CLOCK="$TMP/clock"
echo 0 >"$CLOCK"

"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$HUB" >/dev/null || fail "ferryd init failed"
printf 'retry-base 1\ntest-clock-file %s\n' "$CLOCK" >>"$HUB/ferryd.conf"
start_daemon "$HUB"
enrol_agent la la-server
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" \
    --name fx-ws >/dev/null || fail "enrolling fx-ws failed"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/c read --state "$HUB"

# Errors name the rule, the column and the token; nothing is stored.
run 1 "$FERRY" site set la --window "Mon-Fri 09:00-19:00 50M; Sat 9:00-12:00 1M" --state "$HUB"
err_has 'rule 2, column 30: "9:00-12:00": not a time range'
run 1 "$FERRY" site set la --window "Mon-Fry 09:00-19:00 50M" --state "$HUB"
err_has 'rule 1, column 1: "Mon-Fry": not days'
run 1 "$FERRY" site set la --window "* 150%" --state "$HUB"
err_has '"150%": a percentage is 1% to 100%'
run 1 "$FERRY" site set la --tz Europe/Lodnon --state "$HUB"
err_has 'Europe/Lodnon: no such time zone'
run 1 "$FERRY" site set la --timezone ../../etc/passwd --state "$HUB"
err_has 'no such time zone'
run 1 "$FERRY" site set paris --window "* 1M" --state "$HUB"
run 0 "$FERRY" sites la --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.window) \(.tz)"' "$TMP/out")" = "null null" ] ||
    fail "a refused window was stored: $(cat "$TMP/out")"

# The issue's example, as written; 100% of a 200M cap.
run 0 "$FERRY" site set la --bwlimit 200M --window "Mon-Fri 09:00-19:00 50M; * 100%" \
    --tz Europe/London --state "$HUB"
out_has 'window "Mon-Fri 09:00-19:00 50M; \* 100%", time zone Europe/London' \
    "site set shows the window"
run 0 "$FERRY" sites --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.sites[] | select(.name == "la") | "\(.bwlimit) \(.tz) \(.window)"' \
    "$TMP/out")" = "209715200 Europe/London Mon-Fri 09:00-19:00 50M; * 100%" ] ||
    fail "sites --json: $(cat "$TMP/out")"
run 0 "$FERRY" site set la --tz Asia/Tokyo --state "$HUB"
out_has 'time zone Asia/Tokyo' "a new zone"
run 0 "$FERRY" audit --state "$HUB"
out_has 'site.window.*{"site":"la","tz":"Europe/London","window":"Mon-Fri 09:00-19:00 50M; \* 100%"}' \
    "the window's audit row"
out_has 'site.tz.*{"site":"la","tz":"Asia/Tokyo"}' "the zone's audit row"
run 0 "$FERRY" site set la --bwlimit 0 --window none --tz hub --state "$HUB"
run 0 "$FERRY" sites la --state "$HUB"
out_has '^la: cap none, window none, time zone .*(the hub.s); now none (no window)' \
    "a cleared window"

# The clocks change in the site's zone: London, 2026-03-29, 01:00 UTC is
# 00:59:59 GMT then 02:00:00 BST; the cap follows local time (30 s each
# side of it).
run 0 "$FERRY" site set la --tz Europe/London --window "Sun 02:00-03:00 2M; Sun 1M" \
    --state "$HUB"
t=$(date +%s)
echo $((1774745970 - t)) >"$CLOCK"
run 0 "$FERRY" sites la --state "$HUB"
out_has 'now 1.0 MiB/s (rule 2)' "00:59:30 GMT"
echo $((1774746030 - t)) >"$CLOCK"
run 0 "$FERRY" sites la --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.cap) \(.rule)"' "$TMP/out")" = "2097152 0" ] ||
    fail "02:00:30 BST: $(cat "$TMP/out")"
echo 0 >"$CLOCK"
run 0 "$FERRY" site set la --window none --tz hub --state "$HUB"

# size FILE: its bytes, 0 while it is not there.
# size FILE: the bytes written into FILE so far, as blocks it holds: a
# large file goes in chunks (docs/protocol.md 6.7), and its partial file
# has the file's whole size, sparse, from the start.
size() {
	stat -c '%b %B' "$1" 2>/dev/null | awk '{ print $1 * $2 }' | grep . ||
	    echo 0
}
now() { date +%s.%N; }
# rate FILE SECONDS: bytes per second FILE grows by over SECONDS.
rate() {
	a=$(size "$1"); ta=$(now)
	sleep "$2"
	b=$(size "$1"); tb=$(now)
	awk -v a="$a" -v b="$b" -v ta="$ta" -v tb="$tb" \
	    'BEGIN { printf "%d\n", (b - a) / (tb - ta) }'
}
# within RATE LO HI WHAT: LO <= RATE <= HI, in MiB/s.
within() {
	checks=$((checks + 1))
	awk -v r="$1" -v lo="$2" -v hi="$3" \
	    'BEGIN { exit !(r >= lo * 1048576 && r <= hi * 1048576) }' ||
	    fail "$4: $1 bytes/s, expected $2-$3 MiB/s"
	echo "$4: $(awk -v r="$1" 'BEGIN { printf "%.2f", r / 1048576 }') MiB/s" >&2
}
# one_attempt JOB LOGLINE: the job is done, its task never failed, and
# since line LOGLINE of the hub's log one transfer ran (la reports its
# end), the one whose cap the hub changed.
one_attempt() {
	run 0 "$FERRY" job "$1" --json --state "$HUB"
	checks=$((checks + 1))
	[ "$(jq -r '"\(.state) \([.tasks[].attempts] | join(","))"' "$TMP/out")" = "done 0" ] ||
	    fail "job $1 was restarted: $(cat "$TMP/out")"
	sed -n "$(($2 + 1)),\$p" "$HUB.log" >"$TMP/log"
	ids=$(sed -n 's/.*la-server: transfer \([0-9]*\) \(done\|failed\).*/\1/p' "$TMP/log")
	capped=$(sed -n 's/.*transfer \([0-9]*\) to site .*: cap .*/\1/p' "$TMP/log" | sort -u)
	checks=$((checks + 1))
	[ "$(echo "$ids" | wc -w)" = 1 ] && [ "$capped" = "$ids" ] ||
	    fail "job $1: transfers $ids ended, $capped capped: $(cat "$TMP/log")"
}

# 1. The hub sends to la, whose window reads the clock in UTC: 1M until
# 10:00, 4M after. The test clock says 09:59:48 now: the edge comes in
# 12 s, while the job runs.
openssl enc -aes-128-ctr -nosalt -pass pass:w1 -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 48000000 >"$S/show/a/big.mov"
run 0 "$FERRY" site set la --tz UTC --window "* 09:00-10:00 1M; * 4M" --state "$HUB"
t=$(date +%s)
echo $(( t - t % 86400 + 36000 - 12 - t )) >"$CLOCK"
run 0 "$FERRY" sites la --state "$HUB"
out_has 'now 1.0 MiB/s (rule 1)' "the cap before the edge"
logline=$(wc -l <"$HUB.log")
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/a/big.mov"
j1=$(tail -n1 "$TMP/out")
wait_file "$L/show/a/.big.mov.ferry-part"
sleep 1.5
within "$(rate "$L/show/a/.big.mov.ferry-part" 6)" 0.6 1.4 "hub -> la before 10:00"
i=0
until "$FERRY" sites la --state "$HUB" | grep -q 'now 4.0 MiB/s (rule 2)'; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
sleep 2
within "$(rate "$L/show/a/.big.mov.ferry-part" 5)" 2.6 5.6 "hub -> la after 10:00"
checks=$((checks + 1))
grep -q "to site la: cap 1.0 MiB/s -> 4.0 MiB/s" "$HUB.log" ||
    fail "the hub did not log the edge"
run 0 "$FERRY" site set la --window none --state "$HUB"
run 0 "$FERRY" job "$j1" --wait --state "$HUB"
one_attempt "$j1" "$logline"
checks=$((checks + 1))
cmp -s "$S/show/a/big.mov" "$L/show/a/big.mov" || fail "big.mov differs at la"

# 2. la sends to hq (the sending agent is told): hq's window holds 1M,
# then an admin changes it mid-job to 4M.
openssl enc -aes-128-ctr -nosalt -pass pass:w2 -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 40000000 >"$L/show/b/up.mov"
run 0 "$FERRY" site set hq --window "Mon-Sun 1M" --tz America/Los_Angeles --state "$HUB"
logline=$(wc -l <"$HUB.log")
run 0 "$FERRY" send --from la --to hq --state "$HUB" "$L/show/b/up.mov"
j2=$(tail -n1 "$TMP/out")
wait_file "$S/show/b/.up.mov.ferry-part"
sleep 1.5
within "$(rate "$S/show/b/.up.mov.ferry-part" 5)" 0.6 1.4 "la -> hq at 1M"
run 0 "$FERRY" site set hq --window "* 4M" --state "$HUB"
out_has 'now 4.0 MiB/s (rule 1)' "the new cap"
sleep 2
within "$(rate "$S/show/b/.up.mov.ferry-part" 5)" 2.6 5.6 "la -> hq after the change"
run 0 "$FERRY" site set hq --window none --state "$HUB"
run 0 "$FERRY" job "$j2" --wait --state "$HUB"
one_attempt "$j2" "$logline"
checks=$((checks + 1))
cmp -s "$L/show/b/up.mov" "$S/show/b/up.mov" || fail "up.mov differs at hq"
checks=$((checks + 1))
! grep -q "the hub's message dropped" "$TMP/la-server.log" ||
    fail "la dropped a message: $(grep dropped "$TMP/la-server.log")"

# 3. A person's destination (a vendor) takes a window as a site does.
openssl enc -aes-128-ctr -nosalt -pass pass:w3 -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 12000000 >"$S/show/c/plate.exr"
run 0 "$FERRY" site set "$V" --window "* 1M" --tz Asia/Tokyo --state "$HUB"
out_has "^$V: cap none, window \"\* 1M\", time zone Asia/Tokyo; now 1.0 MiB/s (rule 1)" \
    "the vendor's window"
logline=$(wc -l <"$HUB.log")
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" "$S/show/c/plate.exr"
j3=$(tail -n1 "$TMP/out")
wait_file "$F/show/c/.plate.exr.ferry-part"
sleep 1.5
within "$(rate "$F/show/c/.plate.exr.ferry-part" 4)" 0.6 1.4 "hub -> vendor at 1M"
run 0 "$FERRY" site set "$V" --window none --state "$HUB"
run 0 "$FERRY" job "$j3" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$S/show/c/plate.exr" "$F/show/c/plate.exr" || fail "plate.exr differs"
checks=$((checks + 1))
grep -q "to site $V: cap 1.0 MiB/s -> none" "$HUB.log" ||
    fail "the vendor's window was not lifted mid-job"

stop_and_check
finish
