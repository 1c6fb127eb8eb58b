#!/bin/sh
# Repeated failover (docs/operations.md, "Active and standby hubs"): two
# hubs on one PostgreSQL, agents la and ny, jobs in flight between them;
# ROUNDS times (5; bench/pg.sh asks 10), at a random moment, kill -9 of
# whichever hub is active, time until the other has taken over and both
# agents are linked to it again (each must be under 10 s), then the
# killed one restarted as the new standby; a new job every other round.
# In the end every job is done, every file whole at ny, each job done
# once (one 'done' notice per job, every task done), no partial files.
# The hubs listen on two addresses (127.0.0.1 and 127.0.0.2), and the
# agents know both (hub-standby): each round they must find the other.
# Prints the takeover times, their median and worst.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl
ROUNDS=${ROUNDS:-5}

pg_two_hubs
active=A

two_sites "$A"
enrol_agent la la-server
LA=$APID
enrol_agent ny ny-server
NY=$APID
# Each agent learns the second hub's address (the same key).
for a in la-server ny-server; do
	echo "hub-standby 127.0.0.2:$port" >>"$TMP/$a/ferryd.conf"
done
kill "$LA" "$NY"
wait "$LA" "$NY" 2>/dev/null || true
start_daemon "$TMP/la-server"
start_daemon "$TMP/ny-server"
wait_linked la-server
wait_linked ny-server
run 0 "$FERRY" site set ny --bwlimit 3M --state "$A"

jobs=""
job=0
# new_job: 4 files of 1.5 MB from la to ny, in one job.
new_job() {
	job=$((job + 1))
	for f in 1 2 3 4; do
		openssl enc -aes-128-ctr -nosalt -pass "pass:$job.$f" -pbkdf2 \
		    -iter 1 </dev/zero 2>/dev/null | head -c 1500000 \
		    >"$S/show/j$job.f$f.mov"
	done
	run 0 "$FERRY" send --from la --to ny --state "$1" \
	    "$S/show/j$job.f1.mov" "$S/show/j$job.f2.mov" \
	    "$S/show/j$job.f3.mov" "$S/show/j$job.f4.mov"
	jobs="$jobs $(tail -n1 "$TMP/out")"
}
new_job "$A"
new_job "$A"

times=""
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	# A random moment: 0.2 to 2.2 s into the round.
	ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 2000 + 200 ))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if [ $active = A ]; then dead=$A; live=$B; pid=$pid_A; next=B
	else dead=$B; live=$A; pid=$pid_B; next=A; fi
	before=$(grep -c "active: this hub holds" "$live.log" || true)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	t0=$(date +%s%N)
	i=0
	while [ "$(grep -c "active: this hub holds" "$live.log" || true)" -le "$before" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
	done
	HUB=$live
	wait_linked la-server
	wait_linked ny-server
	t1=$(date +%s%N)
	took=$(( (t1 - t0) / 1000000 ))
	times="$times $took"
	echo "round $r: killed hub $([ $next = B ] && echo A || echo B) at +${ms} ms; taken over, agents linked in $took ms" >&2
	checks=$((checks + 1))
	[ "$took" -lt 10000 ] || fail "round $r: takeover took $took ms"
	# The killed one comes back as the standby.
	rm -f "$dead/ferryd.sock"
	start_daemon "$dead"
	if [ $next = B ]; then pid_A=$DPID; else pid_B=$DPID; fi
	active=$next
	[ $((r % 2)) -eq 1 ] || new_job "$live"
done

# Everything ends, once.
all_done_once
# The agents found each hub at its own address.
for a in la-server ny-server; do
	checks=$((checks + 1))
	grep -q "connected to the hub at 127.0.0.2:$port" "$TMP/$a.log" &&
	    grep -q "connected to the hub at 127.0.0.1:$port" "$TMP/$a.log" ||
	    fail "$a did not use both hubs' addresses: $(grep 'connected to the hub' "$TMP/$a.log")"
done
sorted=$(echo $times | tr ' ' '\n' | sort -n)
n=$(echo "$sorted" | wc -l)
median=$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")
worst=$(echo "$sorted" | tail -n1)
echo "failover over $n rounds: median $median ms, worst $worst ms; $job jobs, $((job * 4)) files, each done once" >&2

stop_and_check
finish
