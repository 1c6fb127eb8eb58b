#!/bin/sh
# Running transfers carry on when the active hub's machine drops off the
# network (issue 17; tests/pg/carry-on.sh is the same with kill -9). The
# hubs in network namespaces of their own, as tests/pg/partition.sh
# (tests/pg/netns.sh). ROUNDS times (2), with a large file from la to ny
# a quarter through, nftables cuts everything of the active hub's
# machine; then:
# - the other hub is active, and both agents are linked to it, within
#   10 s of the cut (timed: the cut to the last agent linked);
# - it took the transfer over, which finishes without a restart (one
#   transfer in the sender's log, about the file's size on the wire);
# - the job is done once, with no failed attempt; the file is identical;
# - healed, the old hub finds the lease taken and stops; it is started
#   again as the standby for the next round.
# Needs root (namespaces, veth, nftables); skipped without.
if [ -z "${FERRY_OWN_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	FERRY_OWN_NETNS=1 exec unshare -n sh -c \
	    'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
fi
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
ROUNDS=${ROUNDS:-2}
SIZE=${SIZE:-24000000}
[ -z "${KEEP_TMP:-}" ] || trap 'stop_daemons 2>/dev/null; pg_stop immediate; echo "kept $TMP" >&2' EXIT
. "${srcdir:-.}/tests/pg/netns.sh"

jobs=""
job=0
links=""
acts=""
wires=""
active=A
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	if [ $active = A ]; then old=A; new=B; else old=B; new=A; fi
	eval "od=\$$old nd=\$$new opid=\$pid_$old ons=\$NS_$(echo $old | tr AB ab)"
	big_send "$od"
	before=$(nact "$nd")
	took_over=$(grep -c "carries on under this hub" "$nd.log" || true)
	netcut "$ons" full || fail "round $r: nft failed"
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
	act=$(( (t1 - t0) / 1000000 ))
	linked=$(( (t2 - t0) / 1000000 ))
	acts="$acts $act"
	links="$links $linked"
	checks=$((checks + 1))
	[ "$linked" -lt 10000 ] || fail "round $r: agents linked $linked ms after the cut"
	carried_on "$nd" "$took_over"
	echo "round $r (machine of hub $old cut): hub $new active in $act ms, agents linked to it in $linked ms; transfer $xid carried on, $wire bytes on the wire" >&2
	# Healed: the old hub sees the lease taken, and stops.
	nsenter -t "$ons" -n nft delete table inet cut
	i=0
	while kill -0 "$opid" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.05
	done
	if kill -0 "$opid" 2>/dev/null; then
		fail "round $r: hub $old still runs 20 s after the heal"
		kill -9 "$opid"
	fi
	wait "$opid" 2>/dev/null || true
	before=$(grep -c "standby: another hub is active" "$od.log" || true)
	start_hub $old
	i=0
	while [ "$(grep -c "standby: another hub is active" "$od.log" || true)" -le "$before" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { fail "round $r: $old no standby"; break; }
		sleep 0.05
	done
	active=$new
done

for id in $jobs; do
	run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
	out_is "1"
done
checks=$((checks + 1))
[ -z "$(find "$N" -name '.*ferry-*')" ] || fail "partial files left at ny"
echo "carry-on over $ROUNDS machine drops: hub active in$acts ms; agents linked in$links ms; wire bytes$wires for $SIZE each" >&2

stop_and_check
# What the daemons said, when something failed (finish).
LOG_TAIL=25 finish
