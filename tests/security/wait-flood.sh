#!/bin/sh
# Attack on the long poll (docs/api.md, "Waiting"): a local client fills
# the hub's API loop with held "job" waits, more than the 16 it holds
# (API_HELD_MAX of 32 slots), each re-asked as soon as it is answered.
# Meanwhile `ferry jobs` and a `ferry send` must get in and be answered
# well before the waits end; the waits past 16 are answered at once
# (no "waited_ms"); a wait for a job that does not exist is refused at
# once, not held.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/show" "$L"
echo queued >"$S/show/queued.txt"
echo more >"$S/show/more.txt"
hub_and_la "$S" "$L"
kill "$APID"
wait_unlinked la-server
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/queued.txt"
q=$(tail -n1 "$TMP/out")

# flood.py SOCK ID N SECONDS: N clients, each asking a 1 s wait again as
# soon as answered, for SECONDS; prints "held N, at-once N".
cat >"$TMP/flood.py" <<'PY'
import json, socket, sys, threading, time
sock, jid, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
end = time.time() + secs
counts = {"held": 0, "once": 0}
lock = threading.Lock()
def one():
    while time.time() < end:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall(json.dumps({"op": "job", "id": jid, "tasks": False,
            "wait_ms": 1000}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            b = s.recv(65536)
            if not b:
                break
            buf += b
        s.close()
        rep = json.loads(buf)
        with lock:
            counts["held" if "waited_ms" in rep else "once"] += 1
        if "waited_ms" not in rep:
            time.sleep(0.05)
t = [threading.Thread(target=one) for _ in range(n)]
for x in t:
    x.start()
for x in t:
    x.join()
print("held %d, at-once %d" % (counts["held"], counts["once"]))
PY
python3 "$TMP/flood.py" "$HUB/ferryd.sock" "$q" 24 4 >"$TMP/flood.out" &
fp=$!
sleep 1.5
ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
t0=$(ms)
run 0 "$FERRY" jobs --state "$HUB"
t1=$(ms)
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/more.txt"
t2=$(ms)
"$FERRY" job 999999 --state "$HUB" >/dev/null 2>&1 || :
t3=$(ms)
wait "$fp"
echo "flood: $(cat "$TMP/flood.out"); jobs $((t1 - t0)) ms, send" \
    "$((t2 - t1)) ms, job 999999 $((t3 - t2)) ms"
checks=$((checks + 1))
[ $((t1 - t0)) -lt 900 ] && [ $((t2 - t1)) -lt 900 ] ||
    fail "jobs took $((t1 - t0)) ms, send $((t2 - t1)) ms under the flood"
checks=$((checks + 1))
grep -q 'held [1-9][0-9]*, at-once [1-9]' "$TMP/flood.out" ||
    fail "not both held and at-once answers: $(cat "$TMP/flood.out")"
# A wait for a job that is not there: refused at once, not held.
cat >"$TMP/ask.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
t = time.time()
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    b = s.recv(65536)
    if not b:
        break
    buf += b
print(buf.decode().strip())
print(int((time.time() - t) * 1000))
PY
python3 "$TMP/ask.py" "$HUB/ferryd.sock" \
    '{"op":"job","id":999999,"tasks":false,"wait_ms":1000}' >"$TMP/none"
checks=$((checks + 1))
head -n1 "$TMP/none" | jq -e '.error and (has("waited_ms") | not)' >/dev/null &&
    [ "$(tail -n1 "$TMP/none")" -lt 500 ] ||
    fail "a wait for no job: $(cat "$TMP/none")"

stop_and_check
finish
