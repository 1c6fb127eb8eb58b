#!/bin/sh
# Attack: the control link flooded. An enrolled vendor's agent may send
# the hub control messages as fast as it likes, and each is a JSON parse
# and a hold of the hub's lock: the crafted vendor answers the hub's
# list question once and then as fast as it can again (the answer to a
# question already answered, which the hub parses, looks up and drops),
# up to 2,000,000 times. While it does, la's small job and `ferry status`
# wait on the hub with it, and the hub burns a core on the vendor's
# words. The hub must cut a link past its message budget
# (max-agent-messages a second, a burst of 10 seconds' worth, more for
# the files of the transfers it gave the agent), say so in its log
# naming the agent and the limit, and audit it once a minute: a second
# flood within the minute is cut and logged, not audited again.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
N=2000000
sec_setup evil la
[ -r "/proc/$HUBPID/stat" ] || { echo "SKIP: no /proc/PID/stat"; exit 77; }
# The hub's CPU time so far, in clock ticks (user and system).
hub_cpu() { awk '{ print $14 + $15 }' "/proc/$HUBPID/stat"; }
hz=$(getconf CLK_TCK)
ms() { date +%s%3N; }
# la_job N: ms for a job of one new small file from hq to la, waited for,
# and for 10 `ferry status` after it, in $job_ms and $status_ms.
la_job() {
	head -c 10000 /dev/urandom >"$S/show/sh010/t$1.mov"
	t0=$(ms)
	run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
	    "$S/show/sh010/t$1.mov"
	t1=$(ms)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		"$FERRY" status --state "$HUB" >/dev/null ||
		    fail "ferry status failed"
	done
	job_ms=$((t1 - t0)) status_ms=$(($(ms) - t1))
}
la_job 0
base_job=$job_ms base_status=$status_ms

# flood K: the crafted vendor floods (evil_talk), asked for a list by a
# send from its machine; waits until it sends.
flood() {
	evil_talk 60000 "$F/show/sh020/a.mov" 1000 --repeat "$N" \
	    --repeat-on list
	run 0 "$FERRY" send --from "$V" --to hq --state "$HUB" \
	    "$F/show/sh020/a.mov"
	jids="${jids:-} $(tail -n1 "$TMP/out")"
	wait_grep '"op":"list"' "$TMP/evil.out" || fail "no list: $(cat "$TMP/evil.out")"
	cp "$TMP/evil.out" "$TMP/evil.out.$1"
}
flood 1
c0=$(hub_cpu) w0=$(ms)
la_job 1
# A window of 3 s at least while the vendor floods (or was cut).
sleep 3
c1=$(hub_cpu) w1=$(ms)
cpu=$(( (c1 - c0) * 1000 * 100 / hz / (w1 - w0) ))
echo "la's job: ${base_job} ms before, ${job_ms} ms during the flood;" \
    "10 ferry status: ${base_status} ms before, ${status_ms} ms during;" \
    "the hub's CPU during the flood: ${cpu}% of a core"
checks=$((checks + 1))
[ "$cpu" -lt 40 ] ||
    fail "the hub spent ${cpu}% of a core on one agent's words for $(( (w1 - w0) / 1000 )) s"
checks=$((checks + 1))
[ "$job_ms" -lt $((base_job * 3 + 2000)) ] ||
    fail "la's job took $job_ms ms while the vendor flooded, $base_job ms before"
checks=$((checks + 1))
[ "$status_ms" -lt $((base_status * 3 + 2000)) ] ||
    fail "10 ferry status took $status_ms ms while the vendor flooded, $base_status ms before"
log_has "$HUB.log" "cut evil's link.*max-agent-messages"
audit_has link.flood "max-agent-messages"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true

# Again within the minute: cut and logged again, audited once.
flood 2
i=0
until [ "$(grep -c "cut evil's link" "$HUB.log")" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt "$(slow 100)" ] || break; sleep 0.1
done
checks=$((checks + 1))
[ "$(grep -c "cut evil's link" "$HUB.log")" -eq 2 ] ||
    fail "the second flood was not cut: $(grep -c "cut evil's link" "$HUB.log") cuts logged"
"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit"
checks=$((checks + 1))
[ "$(jq '[.[] | select(.what == "link.flood")] | length' "$TMP/audit")" -eq 1 ] ||
    fail "link.flood not once a minute: $(jq -c '[.[] | select(.what == "link.flood")]' "$TMP/audit")"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
for j in $jids; do
	"$FERRY" cancel "$j" --state "$HUB" >/dev/null 2>&1 || true
done
stop_and_check
finish
