# Sourced by the daemon tests: a hub (site hq) on 127.0.0.1 at a free
# port, helpers to start daemons and to enrol agents.
. "${srcdir:-.}/tests/lib.sh"
: "${FERRYD:?FERRYD must name the ferryd binary (make check sets it)}"
need jq

# The hub's control port: below Linux's ephemeral range (32768-60999),
# where the kernel never picks a client's or a port-0 listener's port
# (another test's connection took 46000-47999 once), and free now.
port=$(( 21000 + $$ % 9000 ))
while ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do
	port=$((port + 1))
done
HUB="$TMP/hub"
# free_port N: a port for the test's N-th listener besides the hub (a
# status page, a tap): in 30000-32759, apart from the hubs' ports above
# and below the kernel's ephemeral range, and spread by pid, so that
# tests started together (make -j2) do not pick one port for two uses
# (one test's hub port was another's status page once); free when chosen.
free_port() {
	_p=$((30000 + ($$ * 53 + ${1:-1} * 7) % 2760))
	while ss -ltnH "sport = :$_p" 2>/dev/null | grep -q .; do
		_p=$((_p + 1))
	done
	echo "$_p"
}
pids=""
# ours PID: PID is a process this test started, a child of this shell's
# (or of one of its subshells): its parents, read from /proc, reach $$.
ours() {
	_o=$1
	_n=0
	while [ "$_o" -gt 1 ] 2>/dev/null && [ $_n -lt 8 ]; do
		# The parent: the field after ") STATE " (comm may hold both).
		_o=$(sed 's/.*) [A-Za-z] \([0-9]*\) .*/\1/' "/proc/$_o/stat" \
		    2>/dev/null) || return 1
		[ "$_o" != "$$" ] || return 0
		_n=$((_n + 1))
	done
	return 1
}
# stop_daemons: SIGTERM to each daemon in $pids that is still this
# test's. A pid that ended earlier (a hub killed with kill -9, one that
# stopped by itself) may be another test's process by now: pids wrap at
# pid_max (32768) in a minute or two of a full make check, and such a
# SIGTERM stopped another test's hub in the middle of it (tests/agent/
# stale-pid.sh).
stop_daemons() {
	for p in $pids; do
		ours "$p" || continue
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}
trap 'stop_daemons; rm -rf "$TMP"' EXIT

# stop_and_check: stops the daemons as systemd would (SIGTERM) and fails
# the test if a sanitizer reported anything in their logs (the ASan build
# of the test suite runs the daemons too).
stop_and_check() {
	stop_daemons
	pids=""
	checks=$((checks + 1))
	if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" \
	    "$TMP"/*.log >/dev/null 2>&1; then
		fail "a sanitizer reported in a daemon's log:"
		grep -h -A12 "ERROR: \|runtime error" "$TMP"/*.log | head -40 >&2
	fi
}

# ferryd refuses root without --allow-root; the tests (and CI) run as
# root, tests/security/root.sh checks the refusal.
ROOT_OK=
[ "$(id -u)" != 0 ] || ROOT_OK=--allow-root

# start_daemon STATE: runs ferryd in the background until its socket is
# up; DPID is its pid.
start_daemon() {
	rm -f "$1/ferryd.sock"
	"$FERRYD" run $ROOT_OK --state "$1" >>"$1.log" 2>&1 &
	DPID=$!
	pids="$pids $DPID"
	i=0
	while [ ! -S "$1/ferryd.sock" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || { fail "ferryd on $1 did not start: $(cat "$1.log")"; return 1; }
		sleep 0.05
	done
}

# make_hub: initialises and starts the hub (HUB_CONF: more ferryd.conf;
# HUB_INIT: more options for ferryd init, e.g. --store).
make_hub() {
	# shellcheck disable=SC2086
	"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
	    --state "$HUB" ${HUB_INIT:-} >/dev/null || fail "ferryd init failed"
	# Tests cannot wait the default 30 s before a retry.
	echo "retry-base 1" >>"$HUB/ferryd.conf"
	# More of the hub's ferryd.conf, from the test.
	[ -z "${HUB_CONF:-}" ] || printf '%s\n' "$HUB_CONF" >>"$HUB/ferryd.conf"
	_n=$(grep -c "listening on" "$HUB.log" 2>/dev/null || true)
	start_daemon "$HUB"
	HUBPID=$DPID
	# Its local socket comes first; its "listening" line once it holds
	# the store (on PostgreSQL: the lease, before a second hub starts).
	_i=0
	while [ "$(grep -c "listening on" "$HUB.log" || true)" -le "${_n:-0}" ]; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || { fail "the hub did not listen: $(tail -n 5 "$HUB.log")"; return 1; }
		kill -0 "$HUBPID" 2>/dev/null || return 0
		sleep 0.05
	done
}

# enrol_agent SITE NAME: enrols and starts an agent (APID is its pid);
# waits for its link.
enrol_agent() {
	code=$("$FERRY" invite --site "$1" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$2" \
	    --name "$2" >/dev/null || fail "enrolling $2 failed"
	start_daemon "$TMP/$2"
	APID=$DPID
	wait_linked "$2"
}

# hub_and_la SRC DST: the hub (hq) and la's agent (la-server), with one
# share, storage, at SRC on hq and DST at la.
hub_and_la() {
	cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$1",
  "sites": { "la": { "linux": "$2" } } } } }
JSON
	make_hub
	enrol_agent la la-server
	run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
}

# held_hub N: the hub, whose test-store-hold is $HOLD (not made yet),
# and la's agent, with N files in $S/big (S: hq's storage, L: la's).
held_hub() {
	N=$1
	S="$TMP/hq-storage"
	L="$TMP/la-storage"
	mkdir -p "$S/big" "$L"
	tree_of "$S/big" "$N"
	HOLD="$TMP/hold"
	HUB_CONF="test-store-hold $HOLD"
	hub_and_la "$S" "$L"
}

# enrol_vendor_ws USER: enrols and starts fx-ws, a restricted person's
# agent for USER on 127.0.0.3 (reachable there); waits for its link.
enrol_vendor_ws() {
	code=$("$FERRY" invite --user "$1" --clearance restricted \
	    --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" \
	    --name fx-ws --source-address 127.0.0.3 \
	    --public-address 127.0.0.3 >/dev/null ||
	    fail "enrolling fx-ws failed"
	start_daemon "$TMP/fx-ws"
	wait_linked fx-ws
}

# hub_q SQL: the hub's SQLite store asked SQL (sqlite3 must be there).
hub_q() { sqlite3 "$HUB/hub.db" "$1"; }

# until_settled ID: until no task of job ID is queued or running (30 s,
# longer under the sanitizers); fails the test if it never settles.
until_settled() {
	_s=0
	while [ "$(hub_q "SELECT count(*) FROM tasks WHERE job_id = $1 AND
	    state IN ('queued', 'running')")" != 0 ]; do
		_s=$((_s + 1))
		[ $_s -lt "$(slow 300)" ] || { fail "job $1 did not settle"; break; }
		sleep 0.1
	done
}

# wait_file PATH: until PATH exists (a partial file appearing), 10 s at most.
wait_file() {
	i=0
	while [ ! -f "$1" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
	done
}

# wait_unlinked NAME: until the hub no longer lists agent NAME (10 s);
# fails the test if it stays.
wait_unlinked() {
	_u=0
	while "$FERRY" status --json --state "$HUB" 2>/dev/null |
	    jq -e ".agents[\"$1\"]" >/dev/null; do
		_u=$((_u + 1))
		[ $_u -lt 100 ] || { fail "$1 stayed linked"; return 1; }
		sleep 0.1
	done
}

# wait_linked NAME: until the hub lists agent NAME as connected.
wait_linked() {
	i=0
	until "$FERRY" status --json --state "$HUB" 2>/dev/null |
	    jq -e ".agents[\"$1\"]" >/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "$1 never linked to the hub"; return 1; }
		sleep 0.1
	done
}

# poll_held FILE N: `ferry jobs` of the newest job, "id files done_files
# state", appended to FILE while the send (pid $sp) runs. $HOLD (the
# hub's test-store-hold) goes once a job of N files being stored has all
# it stored so far delivered, seen so a few times (or after 60 s).
poll_held() {
	: >"$1"
	_seen=0 _i=0
	while kill -0 "$sp" 2>/dev/null; do
		"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" \
		    2>/dev/null && jq -r '.[0] // empty |
		    "\(.id) \(.files) \(.done_files) \(.state)"' \
		    "$TMP/poll" >>"$1"
		tail -n 1 "$1" | awk -v n="$2" '$2 > 0 && $2 < n && $3 == $2 {
		    ok = 1 } END { exit !ok }' && _seen=$((_seen + 1))
		_i=$((_i + 1))
		[ $_seen -lt 5 ] && [ $_i -lt "$(slow 600)" ] || rm -f "$HOLD"
		sleep 0.1
	done
}

# held_send PATH N: `ferry send --wait` of PATH (N files) from hq to la
# with $HOLD there, polled into $TMP/polls (poll_held); job is its id.
# Checks that a transfer of it started before it was all stored, and
# that it did not end while it was being stored.
held_send() {
	touch "$HOLD"
	"$FERRY" send --from hq --to la --wait --state "$HUB" "$1" \
	    >"$TMP/send.out" 2>&1 &
	sp=$!
	poll_held "$TMP/polls" "$2"
	wait "$sp" || fail "ferry send --wait failed: $(cat "$TMP/send.out")"
	job=$(awk 'NR == 1 { print $1 }' "$TMP/polls")
	echo "polls: $(wc -l <"$TMP/polls"); half stored: $(awk -v n="$2" \
	    '$2 < n' "$TMP/polls" | sort -u | tr '\n' ';')"
	checks=$((checks + 1))
	awk -v j="$job" -v n="$2" '
	    $0 ~ "transfer [0-9]+ \\(job " j "\\)" && !end { started = 1 }
	    $0 ~ "job " j ": " n " files from" { end = 1 }
	    END { exit !(started && end) }' "$HUB.log" ||
	    fail "the hub's log has no transfer of job $job before it was stored"
	checks=$((checks + 1))
	awk -v n="$2" '$2 < n && ($4 == "done" || $4 == "failed") { bad = 1 }
	    END { exit bad }' "$TMP/polls" ||
	    fail "job $job ended while it was stored: $(awk -v n="$2" \
	    '$2 < n && ($4 == "done" || $4 == "failed")' "$TMP/polls" |
	    head -n 3)"
}
