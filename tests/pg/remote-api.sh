#!/bin/sh
# The local API and ferry-ftrack on either hub's machine (issue 17,
# docs/operations.md "The local API on either hub", docs/ftrack.md
# "Beside two hubs"). Hub A and hub B (joined, a key of its own) each run
# in a network namespace of their own, as tests/pg/partition.sh's
# machines, each used only through its own state directory and socket;
# PostgreSQL and the agent la are on the test's own network.
# - With A active, `ferry status/send/jobs/job` through B's socket: the
#   standby passes them on to A, status says which hub answered and
#   through which, the job is A's and names who sent it and through
#   which hub; `status --local` is B's own.
# - A ferry-ftrack beside each hub (--hub-state A, --hub-state B): the
#   double sees one Send subscription, a discover gets one reply, a
#   launch one reply and one job.
# - A stopped (SIGSTOP) past the hubs' 10 s: B's refusal says there is
#   no active hub, and each hub's state ("... unreachable since ...,
#   ... standby (this hub)").
# - kill -9 of A: B active; the same requests through B's socket, now
#   answered by B itself; the ferry-ftrack beside B answers ftrack within
#   seconds, alone: one reply, one job per launch. A, started again, is
#   the standby, and the idle ferry-ftrack beside it follows the Job of
#   the delivery it started before (in flight at the kill) to its end.
# Needs root (namespaces, veth); skipped without.
if [ -z "${FERRY_OWN_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	FERRY_OWN_NETNS=1 exec unshare -n sh -c \
	    'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
fi
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl
need ip
need nsenter
need unshare
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: network namespaces need root" >&2
	exit 77
fi
trap 'double_stop; stop_daemons 2>/dev/null || true; pg_stop immediate; rm -rf "$TMP"' EXIT
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
FFTRACK=${FERRY_FTRACK:-${FERRYD%/agent/ferryd}/action/ferry-ftrack}
KEY=ferry-double-api-key
V2=3af2c6c7-cf8c-5aab-ae53-09c764ba7db2		# sh010/plate v002
SH020V1=1030ff88-64bd-57ae-b662-e2c5c3d888e4	# sh020/plate v001
H="$TMP/hq" L="$TMP/la"
ui() { node "${srcdir:-.}/tests/ftrack/listener.js" "$DOUBLE_URL" "$@"; }
is() {
	checks=$((checks + 1))
	jq -e "$1" "$TMP/out" >/dev/null 2>&1 || fail "$2: $(head -c 2000 "$TMP/out")"
}
rand() {
	mkdir -p "$(dirname "$1")"
	openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-$1}" -pbkdf2 -iter 1 \
	    </dev/zero 2>/dev/null | head -c "$2" >"$1"
}
# until_grep PATTERN FILE [TENTHS]: until FILE has PATTERN (20 s).
until_grep() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt "${3:-200}" ] || { fail "no '$1' in $2: $(tail -5 "$2")"; return 1; }
		sleep 0.1
	done
}

P=demo/sq010/sh010/plate
for f in $(seq 1001 1024); do rand "$H/$P/v002/plate.$f.exr" 100000; done
rand "$H/$P/v002/reference.mov" 200000
for f in $(seq 1001 1010); do
	rand "$H/demo/sq010/sh020/plate/v001/plate.$f.exr" 20000
done
mkdir -p "$L"
cat >"$TMP/map.json" <<JSON
{ "shares": { "projects": { "linux": "$H",
  "sites": { "la": { "linux": "$L" } } } } }
JSON
cat >"$TMP/ff.json" <<JSON
{ "allowed_roles": ["Administrator", "Project Manager", "Artist"],
  "job_update_interval": 0.4 }
JSON
DOUBLE_LOG="$TMP/double.log" double_start --ignore-api-options
run 0 ui reroot /mnt/projects "$H" /mnt/la/projects "$L"

ns_make a 88
ns_make b 89
ip addr add 10.87.0.1/32 dev lo		# la's machine
# The hubs' machines reach each other through this one, as a router (the
# test's own namespace: nothing outside it changes).
echo 1 >/proc/sys/net/ipv4/ip_forward || fail "no IP forwarding"
PG_LISTEN=10.88.0.1,10.89.0.1
pg_start
A="$TMP/hub-a" B="$TMP/hub-b"
run 0 "$FERRYD" init --hub --site hq --listen "10.88.0.2:$port" --state "$A" \
    --store "postgresql://ferry@10.88.0.1:$PG_PORT/ferry" \
    --store-password-file "$PG_PASSFILE"
run 0 "$FERRYD" init --hub --site hq --listen "10.89.0.2:$port" --state "$B" \
    --store "postgresql://ferry@10.89.0.1:$PG_PORT/ferry" \
    --store-password-file "$PG_PASSFILE" --join --hub-secret "$A/hub.secret"
echo "retry-base 1" >>"$A/ferryd.conf"
echo "retry-base 1" >>"$B/ferryd.conf"
# start_hub X: hub X (A or B) in its namespace; its pid in pid_X.
start_hub() {
	eval "dir=\$$1 ns=\$NS_$(echo "$1" | tr AB ab)"
	rm -f "$dir/ferryd.sock"
	nsenter -t "$ns" -n "$FERRYD" run $ROOT_OK --state "$dir" \
	    >>"$dir.log" 2>&1 &
	eval "pid_$1=$!"
	pids="$pids $!"
	i=0
	while [ ! -S "$dir/ferryd.sock" ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { fail "hub $1 did not start"; break; }
		sleep 0.05
	done
}
start_hub A
run 0 "$FERRY" share import "$TMP/map.json" --state "$A"
code=$("$FERRY" invite --site la --state "$A" | tail -n1)
run 0 "$FERRYD" enroll "10.88.0.2:$port" "$code" --state "$TMP/la-server" \
    --name la-server
echo "source-address 10.87.0.1" >>"$TMP/la-server/ferryd.conf"
start_daemon "$TMP/la-server"
start_hub B
until_grep "standby: another hub is active" "$B.log"
HUB=$A
wait_linked la-server
FP_A=$("$FERRYD" fingerprint --state "$A" | tail -n1)
FP_B=$("$FERRYD" fingerprint --state "$B" | tail -n1)
# la learns B over its link: it follows B after A's death.
i=0
until jq -e --arg fp "$FP_B" '.hubs | map(.fingerprint) | index($fp)' \
    "$TMP/la-server/hubs.json" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 150 ] || { fail "la never learned B"; break; }
	sleep 0.1
done
sleep 2		# B has read A's row (each second)

# 1. Through the standby's socket, A active.
run 0 "$FERRY" status --json --state "$B"
is ".hub_state == \"active\" and .fingerprint == \"$FP_A\" and
    .via.fingerprint == \"$FP_B\" and .via.hub_state == \"standby\" and
    (.agents | has(\"la-server\"))" "status through the standby B"
run 0 "$FERRY" status --state "$B"
out_has "answered by the active hub at 10.88.0.2:$port, through the standby hub at 10.89.0.2:$port" \
    "status says which hub answered, and through which"
run 0 "$FERRY" status --json --local --state "$B"
is ".hub_state == \"standby\" and .fingerprint == \"$FP_B\" and (.via == null)" \
    "status --local is the standby's own"
rand "$H/cli/one.mov" 300000
run 0 "$FERRY" send --from hq --to la --state "$B" "$H/cli/one.mov"
id1=$(tail -n1 "$TMP/out")
run 0 "$FERRY" job "$id1" --wait --state "$B"
checks=$((checks + 1))
cmp -s "$H/cli/one.mov" "$L/cli/one.mov" || fail "one.mov differs at la"
run 0 "$FERRY" jobs --json --state "$B"
is "any(.[]; .id == $id1 and .state == \"done\" and
    (.by | test(\"on hub 10.89.0.2:$port\")))" \
    "the job through B is A's, by someone on hub B"
checks=$((checks + 1))
grep -q "request send from .* on hub 10.89.0.2:$port, forwarded by hub" "$A.log" ||
    fail "A's log does not say it took B's forward"
# What passing on costs (printed, not asserted: docs/benchmarks.md).
for d in "$A" "$B"; do
	t=$(date +%s%N)
	for k in 1 2 3 4 5 6 7 8 9 10; do
		"$FERRY" jobs --json --state "$d" >/dev/null || fail "jobs on $d"
	done
	echo "ferry jobs on $(basename "$d"): $(( ($(date +%s%N) - t) / 10000000 )) ms each (10 in a row)" >&2
done
# "_caller" is never a client's, through a standby either.
run 0 "$EVIL" api "$B/ferryd.sock" '{"op": "jobs", "_caller": "x"}'
out_has '_caller\\" are not for clients' "_caller from a client, at the standby"

# 2. A ferry-ftrack beside each hub: only A's answers.
export FTRACK_SERVER="$DOUBLE_URL" FTRACK_API_USER=ferry FTRACK_API_KEY=$KEY
for x in a b; do
	dir=$A; [ $x = a ] || dir=$B
	"$FFTRACK" --state "$TMP/ff$x" --hub-state "$dir" --config "$TMP/ff.json" \
	    --debug >>"$TMP/ff$x.log" 2>&1 &
	pids="$pids $!"
	eval "ff_$x=$!"
done
until_grep "ferry-ftrack: listening to" "$TMP/ffa.log"
until_grep "idle: the hub at $B is standby" "$TMP/ffb.log"
run 0 ui subscribed
sleep 1
run 0 ui sends
out_is 1
run 0 ui discover-all jdoe@studio.example assetversion:$V2
is 'length == 1 and (.[0].items | length) == 1 and
    .[0].items[0].actionIdentifier == "ferry.send"' "one Send action, with A active"
# Slowly (set through the standby), so that it is in flight at the end.
run 0 "$FERRY" site set la --bwlimit 150K --state "$B"
jobs0=$(pg_psql "SELECT count(*) FROM jobs")
run 0 ui launch-all jdoe@studio.example assetversion:$V2 \
    '{"source": "hq", "destination": "la", "priority": 500, "note": "",
      "additional_files": ""}' 3000
is 'length == 1 and .[0].success == true and
    (.[0].message | test("^ferry job [0-9]+: 25 files from hq to la"))' \
    "one launch reply, with A active"
run 0 pg_psql "SELECT count(*) FROM jobs"
out_is $((jobs0 + 1))
checks=$((checks + 1))
! grep -q "launch" "$TMP/ffb.log" || fail "the idle ferry-ftrack saw a launch"

# 3. No active hub: A stopped past the hubs' 10 s, B says so.
kill -STOP "$pid_A"
sleep 12
run 1 "$FERRY" jobs --state "$B"
err_has "ferry: jobs: no active hub: " "no active hub"
err_has "10.88.0.2:$port unreachable since 20" "... A unreachable since when"
err_has "10.89.0.2:$port standby (this hub)" "... and B the standby"
run 0 "$FERRY" status --json --state "$B"
is ".hub_state == \"standby\" and (.forward_error | test(\"^no active hub: \"))" \
    "status without an active hub: the standby's own, and why"

# 4. kill -9 of A: B takes over; the same through B's socket, and the
# ferry-ftrack beside B answers ftrack.
run 0 ui jobs jdoe@studio.example
is '.[0].status == "running"' "the Job of v002 is in flight at the kill"
kill -9 "$pid_A"
kill -CONT "$pid_A" 2>/dev/null || true
wait "$pid_A" 2>/dev/null || true
t0=$(date +%s%N)
until_grep "active: this hub holds" "$B.log" 150
until_grep "ferry-ftrack: listening to" "$TMP/ffb.log" 200
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "the ferry-ftrack beside B answered ftrack $ms ms after A was killed" >&2
checks=$((checks + 1))
[ "$ms" -lt 15000 ] || fail "ferry-ftrack took over after $ms ms"
HUB=$B
wait_linked la-server
run 0 "$FERRY" site set la --bwlimit 0 --state "$B"
# A back, as the standby: the ferry-ftrack beside it, idle, follows the
# Job of the delivery it started (through A, which asks B).
start_hub A
until_grep "standby: another hub is active" "$A.log"
run 0 ui wait-jobs jdoe@studio.example 1 90
is '.[0].status == "done" and (.[0].description | test("delivered 25 files"))' \
    "the ftrack Job of v002, started beside A, ended done"
checks=$((checks + 1))
grep -q "delivered 25 files" "$TMP/ffa.log" ||
    fail "the idle ferry-ftrack beside A did not follow its Job: $(tail -5 "$TMP/ffa.log")"
checks=$((checks + 1))
diff -r "$H/$P/v002" "$L/$P/v002" >/dev/null || fail "v002 at la differs"
run 0 "$FERRY" status --json --state "$B"
is ".hub_state == \"active\" and .fingerprint == \"$FP_B\" and (.via == null)" \
    "status on B, active"
rand "$H/cli/two.mov" 300000
run 0 "$FERRY" send --from hq --to la --state "$B" "$H/cli/two.mov"
id2=$(tail -n1 "$TMP/out")
run 0 "$FERRY" job "$id2" --wait --state "$B"
checks=$((checks + 1))
cmp -s "$H/cli/two.mov" "$L/cli/two.mov" || fail "two.mov differs at la"
run 0 "$FERRY" jobs --json --state "$B"
is "any(.[]; .id == $id2 and .state == \"done\") and any(.[]; .id == $id1)" \
    "B's jobs, the one sent through it before among them"
i=0
until [ "$(ui sends)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { fail "not one Send subscription: $(ui sends)"; break; }
	sleep 0.1
done
run 0 ui discover-all jdoe@studio.example assetversion:$SH020V1
is 'length == 1 and .[0].items[0].actionIdentifier == "ferry.send"' \
    "one Send action, with B active"
jobs0=$(pg_psql "SELECT count(*) FROM jobs")
run 0 ui launch-all jdoe@studio.example assetversion:$SH020V1 \
    '{"source": "hq", "destination": "la", "priority": 500, "note": "",
      "additional_files": ""}'
is 'length == 1 and .[0].success == true and
    (.[0].message | test("^ferry job [0-9]+: 10 files from hq to la"))' \
    "one launch reply, with B active"
run 0 ui wait-jobs jdoe@studio.example 2 90
is '[.[] | .status] == ["done", "done"]' "both Jobs done"
checks=$((checks + 1))
diff -r "$H/demo/sq010/sh020/plate/v001" "$L/demo/sq010/sh020/plate/v001" \
    >/dev/null || fail "sh020 v001 at la differs"
run 0 pg_psql "SELECT count(*) FROM jobs"
out_is $((jobs0 + 1))
checks=$((checks + 1))
grep -q "not the active one now\|idle: " "$TMP/ffa.log" ||
    fail "the ferry-ftrack beside A did not stop answering: $(tail -5 "$TMP/ffa.log")"
# Both listeners lived through it all (an idle one once died finishing).
for x in a b; do
	checks=$((checks + 1))
	eval "kill -0 \$ff_$x" 2>/dev/null ||
	    fail "the ferry-ftrack beside hub $x died: $(tail -3 "$TMP/ff$x.log")"
done
checks=$((checks + 1))
grep -q "component-added events not published: this ferry-ftrack is idle" \
    "$TMP/ffa.log" || fail "the idle ferry-ftrack did not say what it left out"
double_stop
stop_and_check
# What the daemons said, when something failed (finish).
LOG_TAIL=15 finish
