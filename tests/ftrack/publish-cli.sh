#!/bin/sh
# `ferry publish --task` end to end (issue 13): the ftrack double, a hub
# (hq, 127.0.0.1), a vendor's agent (restricted, 127.0.0.3, its projects
# root set at enrolment) and ferry-ftrack. What the vendor publishes with
# the real command on its own machine becomes a version on the task, its
# files registered in hq where they landed: on-prem where the vendor may
# write, and in its home folder where it may not (the publish's meta and
# the tasks' destinations are what ferry-ftrack reads).
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/agent/lib.sh"
trap 'double_stop; stop_daemons; rm -rf "$TMP"' EXIT
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
FFTRACK=${FERRY_FTRACK:-${FERRYD%/agent/ferryd}/action/ferry-ftrack}
V=vendor@fxhouse.example
H="$TMP/hq" F="$TMP/vendor"
LIGHT=b3cd08ce-b294-5bfd-8006-f2fae062b26d	# sh010/lighting: the vendor
HQID=78304116-eb3d-55ed-af40-bd42f28de2d2	# the hq location

pj() { node "${srcdir:-.}/tests/ftrack/publish.js" "$@"; }
q() { pj query "$DOUBLE_URL" "$1"; }
is() {
	checks=$((checks + 1))
	jq -e "$1" "$TMP/out" >/dev/null 2>&1 || fail "$2: $(head -c 2000 "$TMP/out")"
}
wait_log() {
	i=0
	# A log not there yet counts none.
	while n=$(grep -c -- "$3" "$1" 2>/dev/null || :); [ "${n:-0}" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "no \"$3\" in $1: $(tail -5 "$1")"; return 1; }
		sleep 0.1
	done
}

mkdir -p "$F/demo/sq010/sh010/fx" "$F/demo/sq020/sh050/fx" "$H"
head -c 300 /dev/urandom >"$F/demo/sq010/sh010/fx/smoke_v002.mov"
head -c 400 /dev/urandom >"$F/demo/sq020/sh050/fx/dust_v001.mov"
cat >"$TMP/map.json" <<JSON
{ "shares": { "projects": { "linux": "$H" } } }
JSON
echo '{"job_update_interval": 0.3}' >"$TMP/ff.json"

DOUBLE_LOG="$TMP/double.log" double_start
# New assets are of type Upload, which the fixture lacks.
run 0 pj create "$DOUBLE_URL" AssetType '{"name": "Upload", "short": "upload"}'
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"
printf 'retry-base 1\nhome-folder projects:vendors/{email}\n' \
    >>"$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" \
    --name fx-ws --source-address 127.0.0.3 \
    --storage-root "projects=$F" >/dev/null || fail "enrolling fx-ws failed"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" acl set "$V" projects:demo/sq010 write --state "$HUB"

export FTRACK_SERVER="$DOUBLE_URL" FTRACK_API_USER=ferry \
    FTRACK_API_KEY=ferry-double-api-key
"$FFTRACK" --state "$TMP/ff" --hub-state "$HUB" --config "$TMP/ff.json" \
    >>"$TMP/ff.log" 2>&1 &
pids="$pids $!"
wait_log "$TMP/ff.log" 1 'ferry-ftrack: listening to'

# On-prem: a new asset "smoke", v001, registered at hq's path.
run 0 "$FERRY" publish --task "$LIGHT" --note "smoke, first pass" --wait \
    --state "$TMP/fx-ws" "$F/demo/sq010/sh010/fx"
job=$(tail -n1 "$TMP/out")
wait_log "$TMP/ff.log" 1 "ferry job $job: published as smoke v001"
run 0 q "select comment, task_id from AssetVersion where asset.name is \"smoke\" and version is 1"
is ".[0].comment == \"smoke, first pass\" and .[0].task_id == \"$LIGHT\"" \
    "smoke v001 on the task with the note"
run 0 q "select resource_identifier from ComponentLocation where location_id is \"$HQID\" and component.version.asset.name is \"smoke\""
is ". | map(.resource_identifier) == [\"$H/demo/sq010/sh010/fx/smoke_v002.mov\"]" \
    "registered where hq received it"

# Not allowed there: into the home folder, and registered there.
run 0 "$FERRY" publish --task "$LIGHT" --wait --state "$TMP/fx-ws" \
    "$F/demo/sq020/sh050/fx"
out_has "so it goes to your home folder projects:vendors/$V/demo/sq020/sh050/fx instead" \
    "the redirect's line"
job=$(tail -n1 "$TMP/out")
wait_log "$TMP/ff.log" 1 "ferry job $job: published as dust v001"
run 0 q "select resource_identifier from ComponentLocation where location_id is \"$HQID\" and component.version.asset.name is \"dust\""
is ". | map(.resource_identifier) == [\"$H/vendors/$V/demo/sq020/sh050/fx/dust_v001.mov\"]" \
    "registered in the home folder, where hq received it"

double_stop
stop_and_check
finish
