#!/bin/sh
# The hub holds a "job" request with "wait_ms" (docs/api.md) until the job
# leaves queued or running, or that long (1000 ms at most), and `ferry
# send --wait` asks so: it returns as the job ends, with a few looks, not
# one every 20 ms. No wall-clock limit: the hub says how long it held
# each answer ("waited_ms") and how many it answered (status "api"), and
# those show the mechanism. A held client blocks neither the loop nor
# another client; one that goes away while held is let go (ASan: no leak).
. "${srcdir:-.}/tests/agent/lib.sh"
need openssl
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S" "$L/show" "$S/show"
openssl enc -aes-128-ctr -nosalt -pass pass:slow -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 3000000 >"$L/show/slow.bin"
openssl enc -aes-128-ctr -nosalt -pass pass:slow2 -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 3000000 >"$L/show/slow2.bin"
echo small >"$L/show/small.txt"
echo queued >"$S/show/queued.txt"
hub_and_la "$S" "$L"

# ask REQUEST [CLOSE]: sends one request on the hub's socket, prints the
# answer, then the client's own wall times (sent, answered; ms). CLOSE:
# close the connection that many seconds after sending, without reading.
cat >"$TMP/ask.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
sent = time.time()
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
    s.close()
    sys.exit(0)
buf = b""
while not buf.endswith(b"\n"):
    b = s.recv(65536)
    if not b:
        break
    buf += b
print(buf.decode().strip())
print("%d %d" % (sent * 1000, time.time() * 1000))
PY
ask() { python3 "$TMP/ask.py" "$HUB/ferryd.sock" "$@"; }
# looks / held: the hub's count of "job" answers, and of held ones.
looks() { "$FERRY" status --json --state "$HUB" | jq -r ".api.$1"; }

# A job that runs some seconds: 3 MB at 1 MB/s into hq.
run 0 "$FERRY" site set hq --bwlimit 1M --state "$HUB"
run 0 "$FERRY" send --from la --to hq --state "$HUB" "$L/show/slow.bin"
slow=$(tail -n1 "$TMP/out")
# Each look while it runs is held; the last is answered on its end.
: >"$TMP/looks"
i=0
while [ $i -lt 60 ]; do
	i=$((i + 1))
	ask "{\"op\":\"job\",\"id\":$slow,\"tasks\":false,\"wait_ms\":1000}" \
	    | head -n1 >>"$TMP/looks"
	st=$(tail -n1 "$TMP/looks" | jq -r .state)
	[ "$st" = queued ] || [ "$st" = running ] || break
done
checks=$((checks + 1))
[ "$st" = "done" ] || fail "the slow job: $(tail -n1 "$TMP/looks")"
# Every look of a job still going was held (a hub answering at once
# says no "waited_ms"), and none much longer than the bound (below).
checks=$((checks + 1))
n=$(jq -s '[.[] | select(.state == "queued" or .state == "running")
    | select(.waited_ms == null or .waited_ms > 5000)] | length' \
    "$TMP/looks")
[ "$n" -eq 0 ] || fail "looks not held, or held too long: $(cat "$TMP/looks")"
# The end answered a held look before its second was over (the
# dispatcher woke it), unless the job had ended before that look came.
checks=$((checks + 1))
tail -n1 "$TMP/looks" | jq -e '.waited_ms == null or .waited_ms < 1000' \
    >/dev/null || fail "the end was not answered on the job's end: $(tail -n1 "$TMP/looks")"

# ferry send --wait: few looks (an old CLI looked every 20 ms for 2 s,
# some 100), and the last one held until the job ended.
l0=$(looks job_looks)
h0=$(looks job_held)
run 0 "$FERRY" send --from la --to hq --state "$HUB" --wait \
    "$L/show/slow2.bin" "$L/show/small.txt"
end_cli=$(date -u +%T.%N | cut -c1-12)
err_has "done: 2/2 files"
l1=$(looks job_looks)
h1=$(looks job_held)
checks=$((checks + 1))
# status's own look is not a "job" one; 3 s of job: 3 to 6 looks.
[ $((l1 - l0)) -le 10 ] && [ $((h1 - h0)) -ge 1 ] ||
    fail "send --wait looked $((l1 - l0)) times, $((h1 - h0)) held"
echo "send --wait: $((l1 - l0)) looks, $((h1 - h0)) held; CLI returned" \
    "$end_cli; the hub's last lines: $(tail -n2 "$HUB.log")" >&2

# A job that stays queued: its receiver's agent is away.
kill "$APID"
wait_unlinked la-server
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/queued.txt"
q=$(tail -n1 "$TMP/out")
# The bound: a minute asked, a second given (up to 5 s allowed for a
# loaded machine's late wake-up: far from the minute either way).
ask "{\"op\":\"job\",\"id\":$q,\"tasks\":false,\"wait_ms\":60000}" \
    >"$TMP/bound"
checks=$((checks + 1))
head -n1 "$TMP/bound" | jq -e '.state == "queued" and .waited_ms >= 900
    and .waited_ms <= 5000' >/dev/null ||
    fail "wait_ms 60000: $(cat "$TMP/bound")"
for bad in '"abc"' -1 1.5; do
	ask "{\"op\":\"job\",\"id\":$q,\"wait_ms\":$bad}" >"$TMP/out"
	out_has '"wait_ms\\" must be a whole number' "wait_ms $bad refused"
done

# Held clients block nobody: four hold a second each while `ferry jobs`
# and `ferry job` answer.
held=""
for k in 1 2 3 4; do
	ask "{\"op\":\"job\",\"id\":$q,\"tasks\":false,\"wait_ms\":1000}" \
	    >"$TMP/held.$k" &
	held="$held $!"
done
sleep 0.2
run 0 "$FERRY" jobs --state "$HUB"
run 0 "$FERRY" job "$q" --json --state "$HUB"
others=$(python3 -c 'import time; print(int(time.time() * 1000))')
# shellcheck disable=SC2086
wait $held
checks=$((checks + 1))
for k in 1 2 3 4; do
	got=$(tail -n1 "$TMP/held.$k" | cut -d' ' -f2)
	w=$(head -n1 "$TMP/held.$k" | jq -r .waited_ms)
	[ "$got" -gt "$others" ] && [ "$w" -ge 900 ] ||
	    fail "held client $k (answered $got, waited $w) vs others $others"
done

# Clients that go while held are let go: the hub answers the next at
# once, and (ASan) frees what they held. More than the loop's 32 slots.
gone=""
for k in $(seq 40); do
	ask "{\"op\":\"job\",\"id\":$q,\"tasks\":false,\"wait_ms\":1000}" \
	    0.05 &
	gone="$gone $!"
done
# shellcheck disable=SC2086
wait $gone
run 0 "$FERRY" jobs --state "$HUB"
run 0 "$FERRY" status --state "$HUB"

stop_and_check
finish
