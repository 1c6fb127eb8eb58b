# Sourced after tests/lib.sh by the tests that run the hub's store on a
# real PostgreSQL (Debian's postgresql package): pg_start makes a cluster
# in $TMP/pg with initdb, as an unprivileged user (postgres refuses root:
# as root, the tests use nobody), listening only on a unix socket in that
# directory, with password (SCRAM) authentication for every connection,
# so that the password file path is the one exercised. pg_stop stops it;
# the EXIT trap does too. Without PostgreSQL the test is skipped (exit
# 77), except in CI, which installs it (contrib/install-deps.sh --test).
#
# After pg_start: PG_DIR (socket directory and port), PG_PORT, PG_PASSFILE
# (a 0600 libpq password file for user ferry), PG_URL (a URL without the
# password: postgresql://ferry@/ferry?host=...&port=...).
# PG_LISTEN (before pg_start): comma-separated addresses the server also
# listens on over TCP, for the whole of 10.0.0.0/8 (tests/pg/partition.sh);
# password authentication there too. PG_OPTS: more of the server's
# options (tests/pg/tls.sh: ssl=on and its files).

pg_bindir() {
	for d in ${PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}
PG_BIN=$(pg_bindir || true)
if [ -z "$PG_BIN" ]; then
	if [ "${CI:-}" = true ]; then
		echo "FAIL: PostgreSQL is not installed (CI must install it)" >&2
		exit 1
	fi
	echo "SKIP: PostgreSQL (initdb) is not installed" >&2
	exit 77
fi

# as_pg CMD...: runs CMD as the cluster's owner.
PG_USER=$(id -un)
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

PG_DIR="$TMP/pg"
PG_PORT=5432
PG_PASSWORD="ferry-test-$$-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
PG_PASSFILE="$TMP/pgpass"

pg_ctl_() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" "$@"
}

# pg_start: a new cluster the first time, the same one again after pg_stop.
pg_start() {
	if [ ! -d "$PG_DIR/data" ]; then
		mkdir -p "$PG_DIR"
		chmod 755 "$TMP"
		printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pw"
		[ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$PG_DIR"
		as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U ferry \
		    --pwfile="$PG_DIR/pw" --auth=scram-sha-256 -E UTF8 \
		    --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
		    { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; exit 1; }
		rm -f "$PG_DIR/pw"
		[ -z "${PG_LISTEN:-}" ] || echo "host all all 10.0.0.0/8 scram-sha-256" \
		    >>"$PG_DIR/data/pg_hba.conf"
		printf '*:*:*:ferry:%s\n' "$PG_PASSWORD" >"$PG_PASSFILE"
		chmod 600 "$PG_PASSFILE"
	fi
	# No TCP (listen_addresses ''): the socket in $PG_DIR only.
	pg_ctl_ -w -t 30 -o "-k $PG_DIR -c listen_addresses=${PG_LISTEN:-} -p $PG_PORT \
	    -c fsync=off -c max_connections=50 ${PG_OPTS:-}" start >/dev/null ||
	    { cat "$PG_DIR/log" >&2; fail "pg_ctl start failed"; exit 1; }
	PG_RUNNING=1
	[ -f "$PG_DIR/created" ] && return 0
	pg_createdb ferry || { fail "CREATE DATABASE failed"; exit 1; }
	: >"$PG_DIR/created"
}

pg_stop() {
	[ -z "${PG_RUNNING:-}" ] || pg_ctl_ -w -t 30 -m "${1:-fast}" stop \
	    >/dev/null 2>&1 || true
	PG_RUNNING=
}

# pg_psql SQL: runs SQL on database ferry as ferry.
pg_psql() {
	PGPASSFILE="$PG_PASSFILE" "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 \
	    -h "$PG_DIR" -p "$PG_PORT" -U ferry -d "${PG_DB:-ferry}" -c "$1"
}

# pg_createdb NAME: a new empty database.
pg_createdb() {
	PG_DB=postgres pg_psql "CREATE DATABASE \"$1\""
}

pg_url() {
	echo "postgresql://ferry@/${1:-ferry}?host=$PG_DIR&port=$PG_PORT"
}

PG_URL=$(pg_url)
trap 'stop_daemons 2>/dev/null || true; pg_stop immediate; rm -rf "$TMP"' EXIT

# two_sites HUBDIR: storage for sites la ($S, with show/) and ny ($N), and
# the share map naming them, imported by the hub in HUBDIR.
two_sites() {
	S="$TMP/la-storage"
	N="$TMP/ny-storage"
	mkdir -p "$S/show" "$N"
	cat >"$TMP/map.json" <<JSON
{ "sites": ["la", "ny"], "shares": { "storage": { "linux": "$TMP/hq-storage",
  "sites": { "la": { "linux": "$S" }, "ny": { "linux": "$N" } } } } }
JSON
	run 0 "$FERRY" share import "$TMP/map.json" --state "$1"
}

# all_done_once: every job in $jobs done once (4 tasks, one done notice),
# files j1..j$job .f1-4.mov identical at ny ($N), no partial file, no task
# left undone (failover.sh, partition.sh).
all_done_once() {
	for id in $jobs; do
		run 0 "$FERRY" job "$id" --wait --state "$HUB"
		run 0 pg_psql "SELECT state || ' ' || n_tasks || ' ' || n_done FROM jobs WHERE id = $id"
		out_is "done 4 4"
		run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
		out_is "1"
	done
	k=0
	while [ $k -lt $job ]; do
		k=$((k + 1))
		for f in 1 2 3 4; do
			checks=$((checks + 1))
			cmp -s "$S/show/j$k.f$f.mov" "$N/show/j$k.f$f.mov" ||
			    fail "j$k.f$f.mov differs at ny"
		done
	done
	checks=$((checks + 1))
	[ -z "$(find "$N" -name '.*ferry-*')" ] || fail "partial files left at ny"
	run 0 pg_psql "SELECT count(*) FROM tasks WHERE state <> 'done'"
	out_is "0"
}

# ns_make NAME NET: a namespace (pid in NS_NAME), a hub's "machine"
# (partition.sh, remote-api.sh), with 10.NET.0.2 on a veth whose other
# end here is 10.NET.0.1. Needs root.
ns_make() {
	unshare -n sleep 100000 &
	nspid=$!
	pids="$pids $nspid"
	i=0
	while [ "$(readlink /proc/$nspid/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { fail "no namespace"; exit 1; }
		sleep 0.05
	done
	ip link add "v$1" type veth peer name eth0 netns "$nspid" &&
	ip addr add "10.$2.0.1/24" dev "v$1" && ip link set "v$1" up &&
	nsenter -t "$nspid" -n sh -c "ip link set lo up &&
	    ip addr add 10.$2.0.2/24 dev eth0 && ip link set eth0 up &&
	    ip route add default via 10.$2.0.1" ||
	    { fail "cannot make namespace $1"; exit 1; }
	eval "NS_$1=$nspid"
}

# big_send HUBDIR: carry-on*.sh's round: a new file big$job.mov of $SIZE
# bytes sent from la ($S) to ny ($N) through hub HUBDIR (its job id in
# $id, added to $jobs, the file in $f), once a quarter of it is at ny.
big_send() {
	job=$((job + 1))
	f="$S/show/big$job.mov"
	openssl enc -aes-128-ctr -nosalt -pass "pass:big$job" -pbkdf2 \
	    -iter 1 </dev/zero 2>/dev/null | head -c "$SIZE" >"$f"
	run 0 "$FERRY" send --from la --to ny --state "$1" "$f"
	id=$(tail -n1 "$TMP/out")
	jobs="$jobs $id"
	i=0
	while :; do
		p=$(find "$N" -name ".big$job.mov.ferry-part" 2>/dev/null || true)
		[ -n "$p" ] && [ "$(stat -c %s "$p")" -ge $((SIZE / 4)) ] && break
		i=$((i + 1)); [ $i -lt 400 ] || { fail "round $r: no transfer under way"; break; }
		sleep 0.05
	done
}

# carried_on HUBDIR TAKEN: after the failover, job $id ends through hub
# HUBDIR, which took its transfer over (more "carries on" lines in its
# log than TAKEN), done once with no failed attempt, $f identical at ny,
# and carried on, not resumed: about $SIZE bytes on the wire (in $wire,
# added to $wires; the transfer's id in $xid), la's r-th transfer.
carried_on() {
	run 0 "$FERRY" job "$id" --wait --state "$1"
	checks=$((checks + 1))
	[ "$(grep -c "carries on under this hub" "$1.log" || true)" -gt "$2" ] ||
	    fail "round $r: the new hub did not take the transfer over: $(grep -i "transfer" "$1.log" | tail -n 5)"
	checks=$((checks + 1))
	cmp -s "$f" "$N/show/big$job.mov" || fail "round $r: big$job.mov differs at ny"
	run 0 pg_psql "SELECT state || ' ' || attempts FROM tasks WHERE job_id = $id"
	out_is "done 0"
	# What la put on the wire for it, as the new hub heard it.
	xid=$(grep "carries on under this hub" "$1.log" | tail -n1 |
	    sed 's/.*transfer \([0-9]*\) (job.*/\1/')
	wire=$(grep "la-server: transfer $xid done" "$1.log" | tail -n1 |
	    sed 's/.* delivered, \([0-9]*\) on the wire.*/\1/')
	checks=$((checks + 1))
	case "$wire" in
	''|*[!0-9]*) fail "round $r: no word of transfer $xid's end from la: $(grep "transfer $xid" "$1.log")"; wire=0 ;;
	esac
	wires="$wires $wire"
	[ "$wire" -ge $((SIZE * 95 / 100)) ] && [ "$wire" -le $((SIZE * 110 / 100)) ] ||
	    fail "round $r: la sent $wire bytes on the wire for $SIZE"
	n=$(grep -c "transfer [0-9]*: [0-9]* streams" "$TMP/la-server.log" || true)
	checks=$((checks + 1))
	[ "$n" -eq "$r" ] || fail "round $r: la ran $n transfers for $r files: $(grep 'transfer [0-9]*:' "$TMP/la-server.log")"
}

# pg_two_hubs: PostgreSQL started, hub A made (HUB, pid_A) and hub B a
# copy of its state listening on 127.0.0.2 (B, pid_B), the standby.
pg_two_hubs() {
	pg_start
	HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
	make_hub
	A=$HUB
	B="$TMP/hub-b"
	cp -a "$A" "$B"
	rm -f "$B/ferryd.sock"
	sed -i "s/^listen .*/listen 127.0.0.2:$port/" "$B/ferryd.conf"
	start_daemon "$B"
	pid_A=$HUBPID
	pid_B=$DPID
}
