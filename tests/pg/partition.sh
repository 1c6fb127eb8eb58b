#!/bin/sh
# A hub's machine dropping off the network, and a hub cut from its
# database only (docs/operations.md, "Fencing"). Each hub runs in a network
# namespace of its own (its "machine"), joined by a veth to this one (the
# studio's network: PostgreSQL, over TCP, and the agents la and ny). Jobs
# run from la to ny. ROUNDS times (4), with a job's transfers in flight,
# nftables in the active hub's namespace cuts, in turn:
#   partial: only its traffic with the database (agents still reach it);
#   full:    everything (the machine is gone);
# and then:
# - the other hub takes over within 10 s (timed: the cut to its
#   "active" line, and to both agents linked to it);
# - the cut hub fenced itself (its log says since when) before the other
#   took over, so that two hubs never acted at once, and its local API
#   refuses new work, saying it is not active;
# - once the cut is healed, the old hub finds the lease taken and stops;
#   it is started again, as the standby, for the next round.
# In the end every job is done, once (one 'done' notice per job, every
# task done), every file is whole at ny, no partial files are left.
# Needs root (namespaces, veth, nftables); skipped without.
# The veths and the agents' addresses on lo are made in a network
# namespace of the test's own, so that nothing is left behind in the
# machine's when it is killed (a CI rehearsal killed mid-run left
# 10.87.0.1 on lo, and the next run failed "Address already assigned").
if [ -z "${FERRY_OWN_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	FERRY_OWN_NETNS=1 exec unshare -n sh -c \
	    'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
fi
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
ROUNDS=${ROUNDS:-4}
# KEEP_TMP=1 keeps the scratch directory and its logs, to debug a failure.
[ -z "${KEEP_TMP:-}" ] || trap 'stop_daemons 2>/dev/null; pg_stop immediate; echo "kept $TMP" >&2' EXIT
. "${srcdir:-.}/tests/pg/netns.sh"

jobs=""
job=0
# new_job HUBDIR: 4 files of 3 MB from la to ny (4 s at 3 MB/s), one job.
new_job() {
	job=$((job + 1))
	for f in 1 2 3 4; do
		openssl enc -aes-128-ctr -nosalt -pass "pass:$job.$f" -pbkdf2 \
		    -iter 1 </dev/zero 2>/dev/null | head -c 3000000 \
		    >"$S/show/j$job.f$f.mov"
	done
	run 0 "$FERRY" send --from la --to ny --state "$1" \
	    "$S/show/j$job.f1.mov" "$S/show/j$job.f2.mov" \
	    "$S/show/j$job.f3.mov" "$S/show/j$job.f4.mov"
	jobs="$jobs $(tail -n1 "$TMP/out")"
}
times=""
links=""
active=A
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	if [ $((r % 2)) -eq 1 ]; then mode=partial; else mode=full; fi
	if [ $active = A ]; then old=A; new=B; else old=B; new=A; fi
	eval "od=\$$old nd=\$$new opid=\$pid_$old ons=\$NS_$(echo $old | tr AB ab)"
	new_job "$od"
	# Transfers under way: the job's first partial file at ny.
	i=0
	until [ -n "$(find "$N" -name '.*ferry-*' 2>/dev/null)" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
	done
	sleep 0.5
	before=$(nact "$nd")
	fences=$(grep -c "fenced since" "$od.log" || true)
	# Each round's own line, not an earlier round's (the same log).
	stops=$(grep -c "another hub holds the store's lease now" "$od.log" || true)
	netcut "$ons" $mode || fail "round $r: nft failed"
	t0=$(date +%s%N)
	i=0
	while [ "$(nact "$nd")" -le "$before" ]; do
		i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
	done
	t1=$(date +%s%N)
	HUB=$nd
	wait_linked la-server
	wait_linked ny-server
	t2=$(date +%s%N)
	took=$(( (t1 - t0) / 1000000 ))
	linked=$(( (t2 - t0) / 1000000 ))
	times="$times $took"
	links="$links $linked"
	echo "round $r ($mode cut of hub $old): hub $new active in $took ms, agents linked to it in $linked ms" >&2
	checks=$((checks + 1))
	[ "$took" -lt 10000 ] || fail "round $r: takeover took $took ms"
	checks=$((checks + 1))
	[ "$linked" -lt 15000 ] || fail "round $r: agents linked after $linked ms"
	# Fenced before the other took over. The cut hub's lease thread may
	# still be waiting on the database when the other takes over, and
	# logs the fence (with the moment it really began) once it is back:
	# a CI rehearsal looked 6.2 s after the cut, before that line.
	i=0
	while [ "$(grep -c "fenced since" "$od.log" || true)" -le "$fences" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
	done
	fl=$(grep -o "fenced since [0-9T:.-]*Z" "$od.log" | sed -n "$((fences + 1))p" |
	    cut -d' ' -f3)
	al=$(grep "active: this hub holds" "$nd.log" | tail -n1 | cut -d' ' -f1)
	checks=$((checks + 1))
	if [ -z "$fl" ] || [ -z "$al" ]; then
		fail "round $r: no fence ($fl) or takeover ($al) in the logs"
	elif [ "$(ms_of "$fl")" -ge "$(ms_of "$al")" ]; then
		fail "round $r: hub $old fenced at $fl, after hub $new took over at $al"
	else
		echo "round $r: hub $old fenced $(( $(ms_of "$al") - $(ms_of "$fl") )) ms before hub $new took over" >&2
	fi
	# The cut hub refuses work, and says why.
	run 1 "$FERRY" send --from la --to ny --state "$od" "$S/show/j1.f1.mov"
	checks=$((checks + 1))
	grep -q "this hub is not active" "$TMP/err" ||
	    fail "round $r: the fenced hub's refusal: $(cat "$TMP/err")"
	# ... and its status says it is fenced, not active.
	run 0 "$FERRY" status --json --state "$od"
	checks=$((checks + 1))
	[ "$(jq -r .hub_state "$TMP/out")" = fenced ] ||
	    fail "round $r: the fenced hub's status: $(jq -c '{hub_state}' "$TMP/out")"
	# Healed: the old hub sees the lease taken, and stops.
	nsenter -t "$ons" -n nft delete table inet cut
	i=0
	while kill -0 "$opid" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
	done
	checks=$((checks + 1))
	if kill -0 "$opid" 2>/dev/null; then
		fail "round $r: hub $old still runs 20 s after the heal"
		kill -9 "$opid"
	fi
	wait "$opid" 2>/dev/null || true
	[ "$(grep -c "another hub holds the store's lease now" "$od.log" ||
	    true)" -gt "$stops" ] ||
	    fail "round $r: hub $old did not say why it stopped"
	before=$(grep -c "standby: another hub is active" "$od.log" || true)
	start_hub $old
	i=0
	while [ "$(grep -c "standby: another hub is active" "$od.log" || true)" -le "$before" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { fail "round $r: $old no standby: $(tail -n 5 "$od.log")"; break; }
		sleep 0.05
	done
	active=$new
done

# Everything ends, once.
all_done_once
med() {
	sorted=$(echo $1 | tr ' ' '\n' | sort -n)
	n=$(echo "$sorted" | wc -l)
	echo "median $(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p") ms, worst $(echo "$sorted" | tail -n1) ms"
}
echo "partition: takeover over $ROUNDS rounds: $(med "$times"); agents linked: $(med "$links"); $job jobs, each done once" >&2

stop_and_check
# What the daemons said, when something failed (finish).
LOG_TAIL=15 finish
