#!/bin/sh
# ferry-ftrack with two hubs of one PostgreSQL store (issue 17, docs/
# operations.md "Hubs with keys of their own"): hub A and hub B (joined,
# its own key) on this machine, ferry-ftrack given both state
# directories (--hub-state A,B). A Send from ftrack (the double) runs
# from hq to la, slowly; kill -9 of A while it is in flight: B takes
# over, ferry-ftrack carries on against B by itself, the ftrack Job ends
# done with every file delivered once, and a second Send after the
# failover goes to B.
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need openssl
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

pg_start
HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
make_hub
A=$HUB
PID_A=$HUBPID
run 0 "$FERRY" share import "$TMP/map.json" --state "$A"
enrol_agent la la-server
B="$TMP/hub-b"
run 0 "$FERRYD" init --hub --site hq --listen "127.0.0.2:$port" \
    --state "$B" $HUB_INIT --join --hub-secret "$A/hub.secret"
echo "retry-base 1" >>"$B/ferryd.conf"
start_daemon "$B"

export FTRACK_SERVER="$DOUBLE_URL" FTRACK_API_USER=ferry FTRACK_API_KEY=$KEY
"$FFTRACK" --state "$TMP/ff" --hub-state "$A,$B" --config "$TMP/ff.json" \
    --debug >>"$TMP/ff.log" 2>&1 &
pids="$pids $!"
i=0
until grep -q "ferry-ftrack: listening to" "$TMP/ff.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || { fail "ferry-ftrack did not start: $(tail -5 "$TMP/ff.log")"; break; }
	sleep 0.05
done
ui subscribed >/dev/null || fail "ferry-ftrack did not subscribe"

run 0 "$FERRY" site set la --bwlimit 300K --state "$A"
run 0 ui launch jdoe@studio.example assetversion:$V2 \
    '{"source": "hq", "destination": "la", "priority": 500, "note": "",
      "additional_files": ""}'
is '.success == true and (.message | test("^ferry job [0-9]+: 25 files from hq to la"))' \
    "launch v002 to la"
sleep 2
kill -9 "$PID_A"
wait "$PID_A" 2>/dev/null || true
t0=$(date +%s)
HUB=$B
wait_linked la-server
run 0 "$FERRY" site set la --bwlimit 0 --state "$B"
run 0 ui wait-jobs jdoe@studio.example 1 120
is '.[0].status == "done" and (.[0].description | test("delivered 25 files"))' \
    "the ftrack Job of v002 ended done through hub B"
echo "the Job ended $(( $(date +%s) - t0 )) s after A was killed" >&2
checks=$((checks + 1))
diff -r "$H/$P/v002" "$L/$P/v002" >/dev/null || fail "v002 at la differs"
run 0 pg_psql "SELECT count(*) || ' ' || min(state) FROM jobs"
out_is "1 done"
run 0 pg_psql "SELECT count(*) FROM tasks WHERE state <> 'done'"
out_is "0"

# A second Send, after the failover: to B, found by ferry-ftrack itself.
run 0 ui launch jdoe@studio.example assetversion:$SH020V1 \
    '{"source": "hq", "destination": "la", "priority": 500, "note": "",
      "additional_files": ""}'
is '.success == true and (.message | test("^ferry job [0-9]+: 10 files from hq to la"))' \
    "launch after the failover"
run 0 ui wait-jobs jdoe@studio.example 2 60
is '[.[] | .status] == ["done", "done"]' "both Jobs done"
checks=$((checks + 1))
diff -r "$H/demo/sq010/sh020/plate/v001" "$L/demo/sq010/sh020/plate/v001" \
    >/dev/null || fail "sh020 v001 at la differs"
double_stop
stop_and_check
finish
