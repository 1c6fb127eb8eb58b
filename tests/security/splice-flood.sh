#!/bin/sh
# Attack: the hub's relay for transfers (agent/hub-splice.c; not the
# API relay of relay-flood.sh) from strangers. From eight
# addresses, 40 connections each open with half a relay hello and say
# nothing more; then 200 whole relay hellos with guessed tickets. The hub
# must keep its threads bounded (the control port's gate counts relay
# connections like any other until their hello is read), cut the silent
# ones at the gate's deadline, answer no guessed ticket with a single
# byte, record the refusals without one record per connection, and keep
# serving its agents meanwhile.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
need python3
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

make_hub
enrol_agent la la-server
t0=$(hub_threads)

# strangers MODE COUNT HOLD: COUNT connections from each of 127.0.0.2-9;
# MODE half sends 20 bytes of a hello, guess a whole hello with a random
# ticket. Prints "ready N" once all are open, then how many got any
# byte back and how many were closed by the hub within HOLD seconds.
strangers() {
	python3 - "$1" "$2" "$3" "$port" <<'PY'
import os, socket, sys, time, select
mode, count, hold, port = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
socks = []
for a in range(2, 10):
    for i in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port),
                                         source_address=("127.0.0.%d" % a, 0))
        except OSError:
            continue
        hello = b"FERRYRL1" + os.urandom(32)
        try:
            s.sendall(hello[:20] if mode == "half" else hello)
        except OSError:
            pass
        socks.append(s)
print("ready", len(socks), flush=True)
answered = closed = 0
open_ = list(socks)
until = time.time() + hold
while open_ and time.time() < until:
    r, _, _ = select.select(open_, [], [], 0.5)
    for s in r:
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if d:
            answered += 1
        else:
            closed += 1
        open_.remove(s)
print("answered", answered, "closed", closed, "open", len(open_), flush=True)
PY
}

# Half a hello each, held: no more threads than the gate admits, all cut
# at its deadline (10 s).
strangers half 40 14 >"$TMP/half.out" 2>&1 &
spid=$!
wait_grep '^ready' "$TMP/half.out" || fail "the strangers: $(cat "$TMP/half.out")"
sleep 1
t1=$(hub_threads)
echo "320 half relay hellos: $t1 threads (idle: $t0)"
checks=$((checks + 1))
[ $((t1 - t0)) -le 70 ] || fail "half hellos cost $((t1 - t0)) threads"
# The hub still serves its agents and its local API meanwhile.
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
jq -e '.agents["la-server"]' "$TMP/out" >/dev/null ||
    fail "la-server lost its link: $(cat "$TMP/out")"
wait "$spid" || true
cat "$TMP/half.out"
checks=$((checks + 1))
grep -q '^answered 0 closed [0-9]* open 0$' "$TMP/half.out" ||
    fail "half hellos were answered or left open: $(cat "$TMP/half.out")"

# Guessed tickets: each closed without a byte.
sleep 1
strangers guess 25 10 >"$TMP/guess.out" 2>&1
cat "$TMP/guess.out"
checks=$((checks + 1))
grep -q '^answered 0 closed [0-9]* open 0$' "$TMP/guess.out" ||
    fail "guessed tickets got an answer: $(cat "$TMP/guess.out")"
audit_has relay.refused 127.0.0.
"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit"
n=$(jq '[.[] | select(.what == "relay.refused")] | length' "$TMP/audit")
echo "relay.refused records: $n"
checks=$((checks + 1))
[ "$n" -le 16 ] || fail "$n relay.refused records: one per connection"
sleep 1
t2=$(hub_threads)
echo "after: $t2 threads"
checks=$((checks + 1))
[ "$t2" -le $((t0 + 2)) ] || fail "threads left behind: $t2 (idle: $t0)"

stop_and_check
finish
