#!/bin/sh
# Attack: exhausting the hub before authentication. Keys the hub never
# enrolled open hundreds of control connections from eight addresses,
# each sending half of a 1 MiB frame, or finishing the TLS handshake and
# saying nothing; then bare TCP connections that never say anything. The hub must keep threads and memory bounded (a
# cap on connections not yet authenticated, in all and per address, and
# no large buffer before the key is checked), close silent connections
# after a deadline, record the refusals, and keep serving its agents.
# The measurements are printed for docs/security.md.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

make_hub
enrol_agent la la-server
t0=$(hub_threads) r0=$(hub_rss_kb)
echo "idle hub: $t0 threads, $r0 KiB RSS"

# flood MODE: 8 addresses x 40 connections, held 6 s; prints the cost.
flood() {
	n=2
	while [ $n -le 9 ]; do
		[ -d "$TMP/rogue$n" ] || { rogue_key "rogue$n" la-server
		echo "source-address 127.0.0.$n" >>"$TMP/rogue$n/ferryd.conf"; }
		"$EVIL" flood "$TMP/rogue$n" --count 40 --mode "$1" --hold 6 \
		    >"$TMP/flood$n.out" 2>&1 &
		fpids="$fpids $!"
		n=$((n + 1))
	done
	n=2
	while [ $n -le 9 ]; do
		wait_grep '^ready' "$TMP/flood$n.out" ||
		    fail "flood from 127.0.0.$n: $(cat "$TMP/flood$n.out")"
		n=$((n + 1))
	done
	sleep 1
	t1=$(hub_threads) r1=$(hub_rss_kb)
	echo "320 connections ($1): $t1 threads, $r1 KiB RSS;" \
	    "$(cat "$TMP"/flood*.out | awk '/^ready/ { o += $2; f += $3 }
	    END { print o " made, " f " refused at once" }')"
	checks=$((checks + 1))
	[ $((t1 - t0)) -le 70 ] || fail "$1 flood cost $((t1 - t0)) threads"
	# ASan's quarantine keeps what was freed: memory is measured without.
	if [ -z "$asan" ]; then
		checks=$((checks + 1))
		[ $((r1 - r0)) -le 40000 ] || fail "$1 flood cost $((r1 - r0)) KiB"
	fi
}
asan=$(ldd "$FERRYD" 2>/dev/null | grep -o libasan || true)

# Half of a 1 MiB frame each: no buffer for it before the key is known.
fpids=
flood half
for p in $fpids; do wait "$p" || true; done
# A finished handshake, then silence: the cap on connections holds.
sleep 2
fpids=
flood tls
# 320 held connections pass the cap of 64 whatever the machine's load, so
# the refusal is recorded here. (The half frames are cut at their header,
# hold no slot, and meet only the per-address rate, which a loaded
# machine's slower flood may never reach: CI at 02d180c.)
audit_has conn.limit.total 127.0.0.
# The hub still serves its agents and its local API meanwhile.
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
jq -e '.agents["la-server"]' "$TMP/out" >/dev/null ||
    fail "la-server lost its link: $(cat "$TMP/out")"
for p in $fpids; do wait "$p" || true; done

# Silent TCP connections are closed after the deadline (10 s).
sleep 2
"$EVIL" flood "$TMP/rogue2" --count 10 --mode tcp --hold 12 \
    >"$TMP/silent.out" 2>&1
checks=$((checks + 1))
grep -q '^closed 10$' "$TMP/silent.out" ||
    fail "silent connections were not closed: $(cat "$TMP/silent.out")"
t2=$(hub_threads)
echo "after the floods: $t2 threads"
checks=$((checks + 1))
[ "$t2" -le $((t0 + 2)) ] || fail "threads left behind: $t2 (idle: $t0)"

# A new agent can enrol once the flood is over.
enrol_agent ny ny-server
finish
