#!/bin/sh
# Publishing back into ftrack (docs/ftrack.md "Publishing back"): the
# ftrack double, a hub (hq, 127.0.0.1), a vendor's agent
# (vendor@fxhouse.example, restricted, 127.0.0.3) and ferry-ftrack, the
# double answering de-duplicated as an older server does. A job
# from the vendor to hq whose meta says {"publish": {"task", "note"}}
# becomes one AssetVersion on that task, the next number on the asset
# (the fixture's sh010/plate has v001 and v002, so v003), with a
# SequenceComponent for plate.1001-1004.exr and a FileComponent for
# plate.mov, registered in hq at the paths hq received them at, the note
# as comment and Note. ferry-ftrack is killed with -9 after the version
# is made but before the spool records it, and again after it records
# it, and the hub with it; after the restarts there is still exactly one
# v003. A publish without a task makes nothing; a vendor cannot forge
# who published, nor publish on a task ftrack does not assign to them;
# the hub's "notify" (or its absence) is used or logged.
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/agent/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || {
	echo "FAIL: sqlite3 is not installed (contrib/install-deps.sh --test)" >&2
	exit 1
}
trap 'double_stop; stop_daemons; rm -rf "$TMP"' EXIT
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
FFTRACK=${FERRY_FTRACK:-${FERRYD%/agent/ferryd}/action/ferry-ftrack}
V=vendor@fxhouse.example
H="$TMP/hq" F="$TMP/vendor"
# Fixture ids (tests/ftrack-double/fixture.json).
SH010=d97710a6-470a-50d8-8e5d-ee722f39e0be
SH010COMP=2a845f1d-5673-54e6-bcbf-0c918fc6b03c	# assigned to ana
LIGHT=b3cd08ce-b294-5bfd-8006-f2fae062b26d	# sh010/lighting: the vendor
PLATE=c1af84b3-d367-53fa-a125-a375a9387390	# sh010/plate: v001, v002
HQID=78304116-eb3d-55ed-af40-bd42f28de2d2	# the hq location
VID=21b2030f-e7c3-5783-a202-20dd2eb2dd32	# the vendor's ftrack user

pj() { node "${srcdir:-.}/tests/ftrack/publish.js" "$@"; }
q() { pj query "$DOUBLE_URL" "$1"; }
is() {
	checks=$((checks + 1))
	jq -e "$1" "$TMP/out" >/dev/null 2>&1 || fail "$2: $(head -c 2000 "$TMP/out")"
}
# wait_log FILE COUNT REGEX: until FILE has COUNT lines matching, 30 s.
wait_log() {
	i=0
	while [ "$(grep -c -- "$3" "$1" 2>/dev/null || true)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "no \"$3\" in $1: $(tail -5 "$1")"; return 1; }
		sleep 0.1
	done
}
# wait_job ID: until the hub says the job is done.
wait_job() {
	i=0
	until pj api "$HUB/ferryd.sock" "{\"op\":\"job\",\"id\":$1,\"tasks\":false}" |
	    jq -e '.state == "done"' >/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "job $1 is not done"; return 1; }
		sleep 0.1
	done
}

# The vendor's work: a sequence and a movie of the same name, and a
# movie of another, each in its own folder.
P=demo/sq010/sh010/comp
for f in 1001 1002 1003 1004; do
	mkdir -p "$F/$P"
	head -c $((f * 10)) /dev/urandom >"$F/$P/plate.$f.exr"
done
head -c 5000 /dev/urandom >"$F/$P/plate.mov"
mkdir -p "$F/demo/sq010/sh010/notask" "$F/demo/sq010/sh010/fx" \
    "$F/demo/sq010/sh010/denied" "$H"
head -c 100 /dev/urandom >"$F/demo/sq010/sh010/denied/other.mov"
head -c 100 /dev/urandom >"$F/demo/sq010/sh010/notask/wip.mov"
head -c 300 /dev/urandom >"$F/demo/sq010/sh010/fx/smoke_v002.mov"
cat >"$TMP/map.json" <<JSON
{ "shares": { "projects": { "linux": "$H",
  "sites": { "$V": { "linux": "$F" } } } } }
JSON
echo '{"job_update_interval": 0.3}' >"$TMP/ff.json"

# As an older server: de-duplicated answers whatever the client asks.
DOUBLE_LOG="$TMP/double.log" double_start --ignore-api-options
make_hub
enrol_vendor_ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" projects:demo/sq010 write --state "$HUB"

export FTRACK_SERVER="$DOUBLE_URL" FTRACK_API_USER=ferry \
    FTRACK_API_KEY=ferry-double-api-key
starts=0
start_ff() {
	starts=$((starts + 1))
	"$FFTRACK" --state "$TMP/ff" --hub-state "$HUB" --config "$TMP/ff.json" \
	    >>"$TMP/ff.log" 2>&1 &
	FFPID=$!
	pids="$pids $FFPID"
	wait_log "$TMP/ff.log" "$starts" 'ferry-ftrack: listening to'
}
versions() {
	q "select version from AssetVersion where asset_id is \"$PLATE\" order by version" |
	    jq -c '[.[].version]'
}

run 0 versions
is '. == [1, 2]' "sh010/plate has v001 and v002 before"

# What an agent may say in meta: publish.task and .note, from itself.
fx() { pj api "$TMP/fx-ws/ferryd.sock" "$1"; }
send2="\"op\":\"send\",\"from\":\"$V\",\"to\":\"hq\",\"paths\":["
send="$send2\"$F/$P\"]"
run 0 fx "{$send,\"meta\":{\"publish\":{\"task\":\"$SH010COMP\",\"by\":\"ana@studio.example\"}}}"
is '.error | test("only \"task\" and \"note\" \\(the hub writes \"by\"\\)")' \
    "an agent cannot say who published"
run 0 fx "{$send,\"meta\":{\"publish\":{\"task\":\"$SH010COMP\"},\"x\":1}}"
is '.error | test("only meta.publish, not meta.x")' "an agent gives only meta.publish"
run 0 fx "{\"op\":\"send\",\"from\":\"hq\",\"to\":\"$V\",\"paths\":[\"$H\"],\"meta\":{\"publish\":{\"task\":\"$SH010COMP\"}}}"
is '.error | test("must be sent from '"$V"'")' "an agent publishes only its own work"
run 0 "$FERRY" audit --json --state "$HUB"
is '[.[] | select(.what == "send.refused") | .detail.why] |
    (map(select(test("the hub writes|not meta.x|must be sent from"))) | length) == 3' \
    "the three refusals are in the audit trail"

# The publish, through the vendor's agent as `ferry publish` sends it,
# with ferry-ftrack stalled once ftrack has the version and before the
# spool does.
FERRY_FTRACK_TEST_STALL=publish-made start_ff
run 0 fx "{$send,\"meta\":{\"publish\":{\"task\":\"$LIGHT\",\"note\":\"Comp, grain matched\"}}}"
is '.id > 0 and .files == 5' "the publish is a job of 5 files"
job=$(jq -r .id "$TMP/out")
wait_job "$job"
run 0 pj api "$HUB/ferryd.sock" "{\"op\":\"job\",\"id\":$job,\"tasks\":false}"
is ".meta == {\"publish\": {\"task\": \"$LIGHT\", \"note\": \"Comp, grain matched\", \"by\": \"$V\"}}" \
    "the hub wrote who published"
wait_log "$TMP/ff.log" 1 'stalled after "publish-made"'
kill -9 "$FFPID"; wait "$FFPID" 2>/dev/null || true
run 0 versions
is '. == [1, 2, 3]' "v003 made before the kill"
run 0 sqlite3 "$TMP/ff/spool.db" "select state from publishes where ferry_job = $job"
out_is planned

# Restarted, it finds its version by id and makes none; killed again
# once the spool says created, with the hub.
FERRY_FTRACK_TEST_STALL=publish-created start_ff
wait_log "$TMP/ff.log" 1 'stalled after "publish-created"'
kill -9 "$FFPID"; wait "$FFPID" 2>/dev/null || true
kill -9 "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
run 0 versions
is '. == [1, 2, 3]' "one v003 after a restart in the window"
run 0 q "select id from ComponentLocation where component.version.asset_id is \"$PLATE\" and location_id is \"$HQID\" and component.version.version is 3"
is 'length == 0' "nothing registered yet"
start_daemon "$HUB"
HUBPID=$DPID
wait_linked fx-ws
start_ff
wait_log "$TMP/ff.log" 1 "ferry job $job: published as plate v003"

run 0 versions
is '. == [1, 2, 3]' "still exactly one v003"
run 0 q "select id, task_id, user_id, comment, notes.content from AssetVersion where asset_id is \"$PLATE\" and version is 3"
is "length == 1 and .[0].task_id == \"$LIGHT\" and .[0].user_id == \"$VID\"
    and .[0].comment == \"Comp, grain matched\"
    and [.[0].notes[].content] == [\"Comp, grain matched\"]" \
    "v003: on the task, by the vendor, the note as comment and Note"
run 0 q "select name, file_type, padding, members.name, size from Component where version.asset_id is \"$PLATE\" and version.version is 3 order by name"
is '[.[] | [.name, .file_type]] == [["plate.exr", ".exr"], ["plate.mov", ".mov"]]
    and .[0].padding == 4 and ([.[0].members[].name] | sort) == ["1001", "1002", "1003", "1004"]
    and .[0].size == 40100 and .[1].size == 5000' \
    "a sequence component and a file component"
run 0 q "select component.name, resource_identifier from ComponentLocation where location_id is \"$HQID\" and (component.version.asset_id is \"$PLATE\" or component.container.version.asset_id is \"$PLATE\") and (component.version.version is 3 or component.container.version.version is 3)"
jq -c '[.[] | .resource_identifier] | sort' "$TMP/out" >"$TMP/ris"
cp "$TMP/ris" "$TMP/out"
is ". == [\"$H/$P/plate.%04d.exr\", \"$H/$P/plate.1001.exr\",
    \"$H/$P/plate.1002.exr\", \"$H/$P/plate.1003.exr\",
    \"$H/$P/plate.1004.exr\", \"$H/$P/plate.mov\"]" \
    "six registrations in hq, at hq's paths"
checks=$((checks + 1))
cmp -s "$F/$P/plate.1004.exr" "$H/$P/plate.1004.exr" || fail "hq's file differs"
run 0 sqlite3 "$TMP/ff/spool.db" "select state from publishes where ferry_job = $job"
out_is done
# The assignee told through the hub's notify; a hub without it (another
# branch adds it): said once, and whom it would have told.
if pj api "$HUB/ferryd.sock" '{"op":"notify"}' |
    jq -e '.error == "unknown request"' >/dev/null; then
	wait_log "$TMP/ff.log" 1 "ferry job $job: publish not notified to \[\"$V\"\]"
	checks=$((checks + 1))
	[ "$(grep -c 'the hub has no "notify" request' "$TMP/ff.log")" -eq 1 ] ||
	    fail "the missing notify was not said exactly once"
else
	wait_log "$TMP/ff.log" 1 "ferry job $job: the hub notifies \[\"$V\"\] of the publish"
fi

# A new asset, named after the file less its version, of the configured
# type; a vendor's publish on a task not assigned to them, refused; and a
# publish without a task, which makes nothing.
run 0 pj create "$DOUBLE_URL" AssetType '{"name": "Upload", "short": "upload"}'
run 0 fx "{$send2\"$F/demo/sq010/sh010/fx\"],\"meta\":{\"publish\":{\"task\":\"$LIGHT\"}}}"
fxjob=$(jq -r .id "$TMP/out")
run 0 fx "{$send2\"$F/demo/sq010/sh010/denied\"],\"meta\":{\"publish\":{\"task\":\"$SH010COMP\"}}}"
denied=$(jq -r .id "$TMP/out")
run 0 pj api "$HUB/ferryd.sock" "{$send2\"$F/demo/sq010/sh010/notask\"],\"meta\":{\"publish\":{\"note\":\"no task\",\"by\":\"$V\"}}}"
notask=$(jq -r .id "$TMP/out")
wait_job "$notask"
wait_log "$TMP/ff.log" 1 "ferry job $fxjob: published as smoke v001"
run 0 q "select asset.name, asset.type.name, asset.context_id, version, components.name from AssetVersion where asset.name is \"smoke\""
is "length == 1 and .[0].asset.type.name == \"Upload\" and .[0].version == 1
    and .[0].asset.context_id == \"$SH010\"
    and [.[0].components[].name] == [\"smoke_v002.mov\"]" \
    "a new asset smoke, v001, under the task's shot"
wait_log "$TMP/ff.log" 1 "ferry job $denied: publish to ftrack task $SH010COMP failed: $V is a restricted user and ftrack does not assign task $SH010COMP to them"
run 0 sqlite3 "$TMP/ff/spool.db" "select state from publishes where ferry_job = $denied"
out_is failed
run 0 q "select id from Asset where name is \"other\""
is 'length == 0' "no version on a task not the vendor's"
sleep 1
run 0 sqlite3 "$TMP/ff/spool.db" "select count(*) from publishes where ferry_job = $notask"
out_is 0
run 0 q "select id from AssetVersion where comment is \"no task\""
is 'length == 0' "a publish without a task makes no version"
checks=$((checks + 1))
[ "$(grep -c "ERROR\|failed" "$TMP/ff.log")" -eq 1 ] ||
    fail "errors in the log: $(grep 'ERROR\|failed' "$TMP/ff.log" | head -3)"

double_stop
stop_and_check
finish
