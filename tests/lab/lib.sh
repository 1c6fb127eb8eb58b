# Sourced by the lab (tests/lab/*.sh): four sites as network namespaces,
# hq, la, employee and vendor, each on its own LAN behind a router
# namespace whose nftables rules play the part of the sites' NAT boxes:
#
#   site      LAN address    public address   reachable from outside
#   hq        192.168.1.2    203.0.113.1      45190-45210 forwarded
#   la        192.168.2.2    203.0.113.2      45190-45210 forwarded
#   employee  192.168.3.2    203.0.113.3      no
#   vendor    192.168.4.2    203.0.113.4      no
#
# Every connection between sites leaves with its site's public address
# (SNAT); a new connection is forwarded only when it was DNATed to hq's or
# la's forwarded ports, so the LAN addresses are never reachable. The
# namespaces carry this run's pid in their names, so that runs side by
# side do not clash, and lab_teardown (an EXIT, INT and TERM trap) removes
# them, kills the daemons and unmounts what the run mounted.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip
need nft
need ss

[ "$(id -u)" = 0 ] || {
	[ "${CI:-}" = true ] && { echo "FAIL: the lab needs root" >&2; exit 1; }
	echo "SKIP: the lab needs root (network namespaces)" >&2; exit 77
}

LAB="fl$$"
R="$LAB-router"
SITES="hq la employee vendor"
CTL=45190
mounts=""
LAB_WRAP=${LAB_WRAP:-}

lab_ns() { echo "$LAB-$1"; }
lab_lan() { case $1 in hq) echo 1;; la) echo 2;; employee) echo 3;; vendor) echo 4;; esac; }
lab_pub() { echo "203.0.113.$(lab_lan "$1")"; }
lab_addr() { echo "192.168.$(lab_lan "$1").2"; }
# at SITE CMD...: runs CMD inside SITE's namespace.
at() { s=$1; shift; ip netns exec "$(lab_ns "$s")" "$@"; }

lab_teardown() {
	set +e
	[ -z "${WDPID:-}" ] || kill "$WDPID" 2>/dev/null
	stop_daemons
	for m in $mounts; do umount -l "$m" 2>/dev/null; done
	for s in $SITES router; do ip netns del "$LAB-$s" 2>/dev/null; done
	[ -n "${LAB_KEEP:-}" ] && echo "lab: kept $TMP" >&2 || rm -rf "$TMP"
}
trap 'lab_teardown' EXIT
trap 'exit 130' INT TERM

# lab_watchdog SECONDS: ends the run (as a failure, torn down) if it is
# not over by then, so that a stuck lab cannot hold make check or CI.
# Not a child of the test's shell: stop_daemons' wait would wait for it.
WDPID=
lab_watchdog() {
	( (
		trap 'kill $sp 2>/dev/null; exit 0' TERM
		sleep "$1" &
		sp=$!
		wait $sp || exit 0
		echo "FAIL: the lab was not over after $1 s: stopped" >&2
		kill -TERM $$
	) & echo $! >"$TMP/watchdog.pid" )
	WDPID=$(cat "$TMP/watchdog.pid")
}

lab_up() {
	ip netns add "$R" || {
		[ "${CI:-}" = true ] && { echo "FAIL: cannot make namespaces" >&2; exit 1; }
		echo "SKIP: cannot make network namespaces here" >&2; exit 77
	}
	ip -n "$R" link set lo up
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
	for s in $SITES; do
		n=$(lab_lan "$s")
		ip netns add "$(lab_ns "$s")"
		ip -n "$(lab_ns "$s")" link set lo up
		ip -n "$R" link add "lan-$s" type veth peer name eth0 \
		    netns "$(lab_ns "$s")"
		ip -n "$R" addr add "192.168.$n.1/24" dev "lan-$s"
		ip -n "$R" link set "lan-$s" up
		ip -n "$(lab_ns "$s")" addr add "192.168.$n.2/24" dev eth0
		ip -n "$(lab_ns "$s")" link set eth0 up
		ip -n "$(lab_ns "$s")" route add default via "192.168.$n.1"
	done
	ip netns exec "$R" nft -f - <<NFT
table ip lab {
	counter hqla { }
	counter laemp { }
	chain natin {
		type nat hook prerouting priority dstnat;
		ip daddr 203.0.113.1 tcp dport 45190-45210 dnat to 192.168.1.2
		ip daddr 203.0.113.2 tcp dport 45190-45210 dnat to 192.168.2.2
	}
	chain natout {
		type nat hook postrouting priority srcnat;
		ip saddr 192.168.1.0/24 snat to 203.0.113.1
		ip saddr 192.168.2.0/24 snat to 203.0.113.2
		ip saddr 192.168.3.0/24 snat to 203.0.113.3
		ip saddr 192.168.4.0/24 snat to 203.0.113.4
	}
	chain through {
		type filter hook forward priority filter; policy drop;
		ip saddr . ip daddr { 192.168.1.2 . 192.168.2.2, 192.168.2.2 . 192.168.1.2 } counter name hqla
		ip saddr . ip daddr { 192.168.2.2 . 192.168.3.2, 192.168.3.2 . 192.168.2.2 } counter name laemp
		ct state established,related accept
		ct status dnat accept
	}
}
NFT
}

# lab_counter NAME: bytes forwarded so far (IP packets) between hq and la
# (hqla) or la and the employee (laemp).
lab_counter() {
	ip netns exec "$R" nft list counter ip lab "$1" |
	    sed -n 's/.*bytes \([0-9]*\).*/\1/p'
}

# lab_start SITE STATE [ARGS]: ferryd inside SITE's namespace, until its
# socket is up; DPID is its pid (ip netns exec execs ferryd itself).
lab_start() {
	site=$1 st=$2; shift 2
	rm -f "$st/ferryd.sock"
	# Not through at(): a function in the background is a subshell, and
	# $! must be ferryd's own pid for the kill -9 scenarios.
	ip netns exec "$(lab_ns "$site")" $LAB_WRAP "$FERRYD" run $ROOT_OK \
	    --state "$st" "$@" >>"$st.log" 2>&1 &
	DPID=$!
	pids="$pids $DPID"
	i=0
	while [ ! -S "$st/ferryd.sock" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "ferryd on $st did not start: $(tail -5 "$st.log")"; return 1; }
		sleep 0.05
	done
	# The socket's file is there from bind(), before listen(): on a
	# loaded machine a command in between found nothing listening.
	i=0
	until "$FERRY" status --state "$st" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { fail "ferryd on $st does not answer: $(tail -5 "$st.log")"; return 1; }
		sleep 0.05
	done
}

# lab_hub: hq's ferryd is the hub, on its LAN address, known to the others
# by its public one.
lab_hub() {
	HUB="$TMP/hq"
	"$FERRYD" init --hub --site hq --listen "$(lab_addr hq):$CTL" \
	    --state "$HUB" >/dev/null || fail "ferryd init failed"
	printf 'retry-base 1\npublic-address %s\n' "$(lab_pub hq)" \
	    >>"$HUB/ferryd.conf"
	lab_start hq "$HUB"
	HUBPID=$DPID
}

# lab_enrol SITE NAME INVITE-ARGS... [-- ENROLL-ARGS...]: enrols NAME from
# inside SITE through the NAT, starts it, waits for its link. APID.
lab_enrol() {
	site=$1 name=$2; shift 2
	ia="" ea=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do ia="$ia $1"; shift; done
	[ $# -gt 0 ] && shift
	ea="$*"
	# shellcheck disable=SC2086
	code=$("$FERRY" invite $ia --state "$HUB" | tail -n1)
	# shellcheck disable=SC2086
	at "$site" "$FERRYD" enroll "$(lab_pub hq):$CTL" "$code" \
	    --state "$TMP/$name" --name "$name" $ea >/dev/null ||
	    fail "enrolling $name from $site failed"
	lab_start "$site" "$TMP/$name"
	APID=$DPID
	wait_linked "$name"
}

# lab_open SITE ADDR PORT: 0 when a TCP connection from SITE to ADDR:PORT
# is accepted within a second.
lab_open() {
	at "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# lab_scan SITE ADDR: the ports of 45190-45210 open on ADDR seen from SITE.
lab_scan() {
	open=""
	for p in $(seq 45190 45210); do
		lab_open "$1" "$2" "$p" && open="$open $p"
	done
	echo "${open# }"
}

# lab_mount_tmpfs DIR SIZE: a small tmpfs, unmounted by the teardown.
lab_mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" lab-tmpfs "$1" || return 1
	mounts="$1 $mounts"
}

# lab_job_wait ID SECONDS: polls the hub until job ID is done or failed
# (a --wait would end with a killed hub); JOBSTATE is its state.
lab_job_wait() {
	i=0 JOBSTATE=
	while [ $i -lt $(($2 * 5)) ]; do
		JOBSTATE=$("$FERRY" job "$1" --json --state "$HUB" 2>/dev/null |
		    jq -r .state 2>/dev/null) || JOBSTATE=
		case $JOBSTATE in done|failed|cancelled) return 0;; esac
		i=$((i + 1))
		sleep 0.2
	done
	return 1
}

# lab_data_port SITE: the data port SITE listens on now (45191-45210).
lab_data_port() {
	at "$1" ss -ltnH "sport >= :45191 and sport <= :45210" |
	    awk '{ n = split($4, a, ":"); print a[n]; exit }'
}

# lab_rate SITE RATE|off: the router sends to SITE at most RATE (tc's
# units, 200mbit): a WAN link's speed, so that faults land mid-job.
lab_rate() {
	ip netns exec "$R" tc qdisc del dev "lan-$1" root 2>/dev/null || :
	[ "$2" = off ] || ip netns exec "$R" tc qdisc add dev "lan-$1" root \
	    tbf rate "$2" burst 256kb latency 200ms
}

# lab_block SITE PORTS / lab_unblock: new connections from SITE to PORTS
# are dropped at the router until lab_unblock (they retry their SYNs).
lab_block() {
	ip netns exec "$R" nft insert rule ip lab through ip saddr \
	    "$(lab_addr "$1")" tcp dport "$2" ct state new drop comment '"lab-block"'
}
lab_unblock() {
	ip netns exec "$R" nft -a list chain ip lab through |
	    sed -n 's/.*lab-block.*# handle \([0-9]*\)$/\1/p' | while read -r h; do
		ip netns exec "$R" nft delete rule ip lab through handle "$h"
	done
}
