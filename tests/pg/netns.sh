# Sourced by tests/pg/partition.sh and tests/pg/carry-on-drop.sh, after
# tests/agent/lib.sh and tests/pg/lib.sh, in a network namespace of the
# test's own (each script re-executes itself under unshare -n first): two
# hubs A and B, each in a network namespace of its own (its "machine",
# 10.88.0.2 and 10.89.0.2), joined by a veth to this one (the studio's
# network: PostgreSQL over TCP, and the agents la at 10.87.0.1 and ny at
# 10.87.0.2, which can be reached). Hub A is active, B the standby, both
# agents linked to A. Then: start_hub X, nact DIR, netcut NS MODE,
# ms_of LOGTIME. Needs root; skips without.
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

# ns_make: tests/pg/lib.sh.
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
# A holds the lease before B starts: its "listening" line comes after it
# took the lease (its socket comes before: CI under load once started B
# in between, B took the lease and A became the standby).
before=$(grep -c "listening on" "$A.log" || true)
start_hub A
i=0
while [ "$(grep -c "listening on" "$A.log" || true)" -le "$before" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { fail "hub A did not start"; break; }
	sleep 0.05
done
start_hub B
i=0
until grep -q "standby: another hub is active" "$B.log"; do
	i=$((i + 1)); [ $i -lt 600 ] || { fail "hub B is no standby: $(tail -n 5 "$B.log")"; break; }
	sleep 0.05
done
start_daemon "$TMP/la-server"
start_daemon "$TMP/ny-server"
HUB=$A
wait_linked la-server
wait_linked ny-server

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

