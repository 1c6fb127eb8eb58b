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
need ss
need openssl
need nft
need ip
need nsenter
need unshare
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: network namespaces need root" >&2
	exit 77
fi
ROUNDS=${ROUNDS:-4}
# KEEP_TMP=1 keeps the scratch directory and its logs, to debug a failure.
[ -z "${KEEP_TMP:-}" ] || trap 'stop_daemons 2>/dev/null; pg_stop immediate; echo "kept $TMP" >&2' EXIT

ns_make a 88
ns_make b 89
# The agents' machines' addresses, reached from both hubs' (10.87.0.x):
# ny is reachable, so la sends to it directly, not through a hub's relay.
ip addr add 10.87.0.1/32 dev lo
ip addr add 10.87.0.2/32 dev lo

PG_LISTEN=10.88.0.1,10.89.0.1
pg_start
url_a="postgresql://ferry@10.88.0.1:$PG_PORT/ferry"
url_b="postgresql://ferry@10.89.0.1:$PG_PORT/ferry"
HUB_INIT="--store $url_a --store-password-file $PG_PASSFILE"
make_hub
A=$HUB
B="$TMP/hub-b"

two_sites "$A"
enrol_agent la la-server
LA=$APID
enrol_agent ny ny-server
NY=$APID
run 0 "$FERRY" site set ny --bwlimit 3M --state "$A"
kill "$HUBPID" "$LA" "$NY"
wait "$HUBPID" "$LA" "$NY" 2>/dev/null || true

# Each hub on its own machine; B a copy of A's state (docs/operations.md).
cp -a "$A" "$B"
sed -i "s/^listen .*/listen 10.88.0.2:$port/" "$A/ferryd.conf"
sed -i -e "s/^listen .*/listen 10.89.0.2:$port/" \
    -e "s|^store .*|store $url_b|" "$B/ferryd.conf"
grep -q "^store $url_b" "$B/ferryd.conf" || fail "hub B's store not set"
for a in la-server ny-server; do
	sed -i "s/^hub 127.0.0.1:/hub 10.88.0.2:/" "$TMP/$a/ferryd.conf"
	echo "hub-standby 10.89.0.2:$port" >>"$TMP/$a/ferryd.conf"
done
echo "source-address 10.87.0.1" >>"$TMP/la-server/ferryd.conf"
printf 'source-address 10.87.0.2\npublic-address 10.87.0.2\n' \
    >>"$TMP/ny-server/ferryd.conf"

# start_hub X: hub X (A or B) in its namespace; its pid in pid_X.
start_hub() {
	eval "dir=\$$1 ns=\$NS_$(echo "$1" | tr AB ab)"
	rm -f "$dir/ferryd.sock"
	nsenter -t "$ns" -n "$FERRYD" run $ROOT_OK --state "$dir" \
	    >>"$dir.log" 2>&1 &
	eval "pid_$1=$!"
	pids="$pids $!"
}
# nact DIR: how many times hub DIR has become active.
nact() {
	grep -c "active: this hub holds" "$1.log" || true
}
start_hub A
i=0
while [ ! -S "$A/ferryd.sock" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { fail "hub A did not start"; break; }
	sleep 0.05
done
start_hub B
i=0
until grep -q "standby: another hub is active" "$B.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || { fail "hub B is no standby"; break; }
	sleep 0.05
done
start_daemon "$TMP/la-server"
start_daemon "$TMP/ny-server"
HUB=$A
wait_linked la-server
wait_linked ny-server

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
# netcut NS MODE: drops the namespace's traffic (partial: with the database).
netcut() {
	if [ "$2" = partial ]; then
		in="tcp sport $PG_PORT drop"; out="tcp dport $PG_PORT drop"
	else
		in='iif "lo" accept; drop'; out='oif "lo" accept; drop'
	fi
	nsenter -t "$1" -n nft -f - <<NFT
table inet cut {
	chain in { type filter hook input priority 0; $in; }
	chain out { type filter hook output priority 0; $out; }
}
NFT
}
# ms_of LOGTIME: a log's 2026-12-03T07:10:08.123Z as ms since the epoch.
ms_of() {
	date -d "$1" +%s%3N
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
	# Fenced before the other took over.
	fl=$(grep -o "fenced since [0-9T:.-]*Z" "$od.log" | tail -n1 | cut -d' ' -f3)
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
	grep -q "another hub holds the store's lease now" "$od.log" ||
	    fail "round $r: hub $old did not say why it stopped"
	before=$(grep -c "standby: another hub is active" "$od.log" || true)
	start_hub $old
	i=0
	while [ "$(grep -c "standby: another hub is active" "$od.log" || true)" -le "$before" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { fail "round $r: $old no standby"; break; }
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
# What the daemons said, when something failed.
if [ "$failures" -gt 0 ]; then
	for l in "$TMP"/*.log; do
		echo "--- $l" >&2
		tail -n 15 "$l" >&2
	done
fi
finish
