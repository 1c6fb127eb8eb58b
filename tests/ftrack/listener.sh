#!/bin/sh
# ferry-ftrack end to end: the ftrack double (its fixture studio), a hub
# (hq, 127.0.0.1), a site agent (la, 127.0.0.2) and a vendor's agent
# (vendor@fxhouse.example, restricted, 127.0.0.3), and the listener.
# tests/ftrack/listener.js plays ftrack's web UI through the double's
# hooks and reads ftrack's data with @ftrack/api.
#
# The fixture's files are made here, small, under $TMP: the identifiers of
# its ComponentLocations in hq (/mnt/projects/...) and la
# (/mnt/la/projects/...) are moved into $TMP/hq and $TMP/la through the
# REST API first. The vendor's location holds identifiers relative to
# $TMP/vendor (location_prefixes in the configuration).
#
# It runs twice, as the real server may behave (LISTENER_MODE):
#   dedupe  (this file) the double de-duplicates answers across each batch
#           and ignores ftrack-api-options, as an older server does;
#   tls     (listener-tls.sh) the double sits behind TLS offering h2 and
#           http/1.1 by ALPN, as nginx and cloud load balancers do, with
#           a CA made here; it honours the option.
LISTENER_MODE=${LISTENER_MODE:-dedupe}
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/agent/lib.sh"
# Only a missing node or its modules skip this test (double_need).
command -v sqlite3 >/dev/null 2>&1 || {
	echo "FAIL: sqlite3 is not installed (contrib/install-deps.sh --test)" >&2
	exit 1
}
# The double first: stop_daemons waits for every child.
trap 'double_stop; stop_daemons; rm -rf "$TMP"' EXIT
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
FFTRACK=${FERRY_FTRACK:-${FERRYD%/agent/ferryd}/action/ferry-ftrack}
KEY=ferry-double-api-key
V=vendor@fxhouse.example
VID=21b2030f-e7c3-5783-a202-20dd2eb2dd32
H="$TMP/hq" L="$TMP/la" F="$TMP/vendor"
# Fixture ids (tests/ftrack-double/fixture.json).
V1=a10820ff-d1c6-5207-aea0-901dd2364424		# sh010/plate v001
V2=3af2c6c7-cf8c-5aab-ae53-09c764ba7db2		# sh010/plate v002
SH020V1=1030ff88-64bd-57ae-b662-e2c5c3d888e4	# sh020/plate v001
MODEL=0004a410-6244-5210-a564-7a4f330bfc66	# hero_prop/model v001
SH010=d97710a6-470a-50d8-8e5d-ee722f39e0be
SH020COMP=66e117e1-836c-5aea-b1dd-11419550b5d5
SH030COMP=4fb1f867-b4dd-5da0-87cb-f87f316d6a34
MODELING=468d0d0a-20aa-5bee-8ec1-3852abb03fae
REF2=0f8058fb-18f0-5016-9eef-50fcf4d97643	# sh010 v002 reference.mov
SH010COMP=2a845f1d-5673-54e6-bcbf-0c918fc6b03c
SH020=9376a967-aa32-534f-a7c0-94bf20b62f12
ASSETS=14452f9f-1439-5655-9254-bbcfbb2440b7	# a Folder
EP101=5c34dc81-b437-5295-abbb-17925bbf7a18	# an Episode
FOREST=33e2eb96-61cb-5a30-82f0-ca17d6a1647b	# an Environment (own type)
LAYOUT=fc78f1ee-eca2-578a-8fb0-b2527ad44c8b	# forest/layout v001: frames only
LAYOUTSEQ=84f25404-e095-5b3a-9912-1d56c2b6050c
FRAMES=9b2414d5-86c8-5f3e-840d-57f3f42e7967,52747eb3-085e-5454-8893-d30c9134ec62,4eae0966-e8c1-53e7-8575-cc8de5082005
EDIT=6690885e-a79c-5079-a4b2-e640ed03d7ab	# ep101/edit v001 edit.mov
LAID=2a370b92-8d4c-5cbb-ba6d-2168d5a5719b	# the la location

ui() { node "${srcdir:-.}/tests/ftrack/listener.js" "$DOUBLE_URL" "$@"; }

# is FILTER WHAT: the last output satisfies the jq filter.
is() {
	checks=$((checks + 1))
	jq -e "$1" "$TMP/out" >/dev/null 2>&1 || fail "$2: $(head -c 2000 "$TMP/out")"
}

# rand FILE SIZE [SEED]: SIZE bytes of noise (the same for the same seed).
rand() {
	mkdir -p "$(dirname "$1")"
	openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-$1}" -pbkdf2 -iter 1 \
	    </dev/zero 2>/dev/null | head -c "$2" >"$1"
}

# The studio's files. sh010 v002 keeps frames 1001-1012 of v001 and
# changes 1013-1024: with v001 at la as a basis, little crosses the wire.
P=demo/sq010/sh010/plate
mkdir -p "$H/$P/v002"
for f in $(seq 1001 1024); do
	rand "$H/$P/v001/plate.$f.exr" 100000 "v1-$f"
	if [ "$f" -le 1012 ]; then
		cp "$H/$P/v001/plate.$f.exr" "$H/$P/v002/"
	else
		rand "$H/$P/v002/plate.$f.exr" 100000 "v2-$f"
	fi
done
rand "$H/$P/v001/reference.mov" 200000
rand "$H/$P/v002/reference.mov" 200000
mkdir -p "$L/$P"
cp -r "$H/$P/v001" "$L/$P/v001"
for f in $(seq 1001 1010); do
	rand "$H/demo/sq010/sh020/plate/v001/plate.$f.exr" 50000
done
M=demo/assets/hero_prop/model/v001
rand "$H/$M/model.abc" 70000
for t in diffuse normal roughness; do rand "$H/$M/textures/$t.tif" 30000; done
rand "$H/demo/sq010/sh010/notes.txt" 1000
rand "$H/demo/ep101/edit/v001/edit.mov" 2000
for f in 1001 1002 1003; do
	rand "$H/demo/assets/forest/layout/v001/layout.$f.exr" 1000
done
rand "$H/demo/sq010/sh020/brief.txt" 1000
mkdir -p "$F"
cat >"$TMP/map.json" <<JSON
{ "shares": { "projects": { "linux": "$H",
  "sites": { "la": { "linux": "$L" }, "$V": { "linux": "$F" } } } } }
JSON
cat >"$TMP/ff.json" <<JSON
{ "allowed_roles": ["Administrator", "Project Manager", "Artist"],
  "location_prefixes": { "$V": "$F" },
  "job_update_interval": 0.4,
  "automations": {
    "send_assigned_tasks": { "from": "hq" },
    "statuses_on_delivery": { "version": "Ready" } } }
JSON

if [ "$LISTENER_MODE" = tls ]; then
	# A CA of the test's own and a certificate for 127.0.0.1: node and
	# ferry-ftrack trust that CA alone for the double.
	cat >"$TMP/ext.cnf" <<EXT
subjectAltName=IP:127.0.0.1
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
EXT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=ferry-test-ca -keyout "$TMP/ca.key" \
	    -out "$TMP/ca.pem" -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -subj /CN=127.0.0.1 -keyout "$TMP/srv.key" -out "$TMP/srv.csr" \
	    2>/dev/null &&
	openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" \
	    -CAkey "$TMP/ca.key" -CAcreateserial -days 2 -out "$TMP/srv.pem" \
	    -extfile "$TMP/ext.cnf" 2>/dev/null || fail "cannot make the test CA"
	export NODE_EXTRA_CA_CERTS="$TMP/ca.pem" FERRY_FTRACK_CA_FILE="$TMP/ca.pem"
	DOUBLE_LOG="$TMP/double.log" double_start --tls-cert "$TMP/srv.pem" \
	    --tls-key "$TMP/srv.key"
	case $DOUBLE_URL in https://*) ;; *) fail "the double is not on TLS";; esac
else
	DOUBLE_LOG="$TMP/double.log" double_start --ignore-api-options
fi
run 0 ui reroot /mnt/projects "$H" /mnt/la/projects "$L"
is '. == 99' "the fixture's identifiers moved"

make_hub
enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" $EXTRA >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}
EXTRA= enrol la-server 127.0.0.2 --site la
EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 --user "$V" \
    --clearance restricted
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" projects:demo/sq010 read --state "$HUB"
run 0 "$FERRY" acl set "$V" projects:demo/assets read --state "$HUB"

export FTRACK_SERVER="$DOUBLE_URL" FTRACK_API_USER=ferry
printf '%s\n' "not-the-key" >"$TMP/wrong-key"
chmod 600 "$TMP/wrong-key"

# A wrong API key is a clear error at start-up, is never shown, and is
# not stored.
run 1 "$FFTRACK" --state "$TMP/ff" --hub-state "$HUB" \
    --ftrack-api-key-file "$TMP/wrong-key" --store-credentials
err_has "InvalidCredentialsError"
checks=$((checks + 1))
! grep -q "not-the-key" "$TMP/err" || fail "the wrong key was shown"
checks=$((checks + 1))
[ ! -e "$TMP/ff/ftrack-credentials" ] || fail "a refused key was stored"
# So is a bad configuration.
echo '{"allowed_role": []}' >"$TMP/bad.json"
FTRACK_API_KEY=$KEY run 1 "$FFTRACK" --state "$TMP/ff" --hub-state "$HUB" \
    --config "$TMP/bad.json"
err_has 'unknown key "allowed_role"'

export FTRACK_API_KEY=$KEY
starts=0
# start_ff: runs ferry-ftrack (FFPID) until it listens and has subscribed.
start_ff() {
	starts=$((starts + 1))
	"$FFTRACK" --state "$TMP/ff" --hub-state "$HUB" --config "$TMP/ff.json" \
	    --debug "$@" >>"$TMP/ff.log" 2>&1 &
	FFPID=$!
	pids="$pids $FFPID"
	i=0
	while [ "$(grep -c 'ferry-ftrack: listening to' "$TMP/ff.log")" -lt "$starts" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "ferry-ftrack did not start: $(tail -5 "$TMP/ff.log")"; return 1; }
		sleep 0.05
	done
	ui subscribed >/dev/null || fail "ferry-ftrack did not subscribe"
}
# The first run stores the credentials; later ones use them alone.
start_ff --store-credentials
checks=$((checks + 1))
[ "$(stat -c %a "$TMP/ff/ftrack-credentials")" = 600 ] ||
    fail "the stored credentials are not 0600"
unset FTRACK_SERVER FTRACK_API_USER FTRACK_API_KEY

# A second one on the same state refuses, naming the first.
run 1 "$FFTRACK" --state "$TMP/ff" --hub-state "$HUB"
err_has "another ferry-ftrack (pid $FFPID) is running on $TMP/ff"

# Discover: offered for what can be sent, to allowed roles only.
# Every TypedContext can hold versions: a Folder, an Episode and a
# studio's own object type as much as a shot; two of a kind in one
# selection (their object types come as references the second time).
for sel in assetversion:$V2 task:$SH020COMP task:$SH010 \
    task:ee310ac7-876c-54bf-8811-ac4828acedd4 \
    task:4513cf23-5dce-5ed0-8f20-146a71e975d0 \
    show:87b94289-7862-5d0c-9baf-5b944e423c7c Component:$REF2 \
    "assetversion:$V1,task:$SH010" "task:$SH010COMP,task:$SH020COMP" \
    "task:$SH010,task:$SH020" task:$EP101 task:$FOREST task:$ASSETS; do
	run 0 ui discover jdoe@studio.example "$sel"
	is '.items == [{"label": "ferry Send", "actionIdentifier": "ferry.send",
	    "description": .items[0].description}]' "discover $sel"
done
for sel in task:00000000-0000-4000-8000-000000000000 \
    user:a3ff9209-f4ef-5f63-8a2e-c964a0a2e9eb "" "assetversion:$V2,list:x"; do
	run 0 ui discover jdoe@studio.example "$sel" 700
	is '.replies == 0' "discover $sel (nothing to send there)"
done
run 0 ui discover "$V" "assetversion:$V2" 700
is '.replies == 0' "discover by a vendor (no allowed role)"

# The form: the places that are ferry's, latest versions for tasks.
run 0 ui launch jdoe@studio.example assetversion:$V2
is '.type == "form" and ([.items[] | select(.name == "source") | .data[].value]
    | sort == ["hq", "la", "vendor@fxhouse.example"])' "form places"
is '[.items[] | select(.name == "source")][0].value == "hq" and
    [.items[] | select(.name == "destination")][0].value == "la"' "form defaults"
is '[.items[].name] == [null, "source", "destination", "additional_files",
    "priority", "note"]' "form for a version"
run 0 ui launch jdoe@studio.example task:$SH020COMP
is '[.items[] | select(.name == "latest_only") | .type] == ["boolean"]' \
    "form for a task has latest versions only"

hubjobs() { "$FERRY" jobs --json --state "$HUB" | jq length; }
wire() { sed -n "$1,\$p" "$HUB.log" | sed -n \
    's/.* \([0-9]*\) bytes delivered, \([0-9]*\) on the wire.*/\1 \2/p' |
    awk '{ b += $1; w += $2 } END { print b + 0, w + 0 }'; }

# A version to la: v002, with v001 at la as the basis, slowly enough to
# see its progress in the ftrack Job.
run 0 "$FERRY" site set la --bwlimit 500K --state "$HUB"
logline=$(wc -l <"$HUB.log")
run 0 ui launch jdoe@studio.example assetversion:$V2 \
    '{"source": "hq", "destination": "la", "priority": 700, "note": "for LA",
      "additional_files": ""}'
is '.success == true and (.message | test("^ferry job [0-9]+: 25 files from hq to la"))' \
    "launch v002 to la"
run 0 ui wait-jobs jdoe@studio.example 1 60
is '.[0].status == "done" and (.[0].description | test("delivered 25 files"))
    and (.[0].description | test("26 components registered in la"))' \
    "the Job of v002 to la"
job=$(jq -r '.[0].id' "$TMP/out")
checks=$((checks + 1))
diff -r "$H/$P/v002" "$L/$P/v002" >/dev/null || fail "v002 at la differs"
run 0 ui history "$job"
is '.[0].action == "add" and .[0].status == "running" and .[-1].status == "done"' \
    "the Job ran, then was done"
is '[.[] | select(.description != null and (.description | test("files, .* \\([0-9]+%\\)")))]
    | length >= 2' "the Job said files, bytes and percent as it ran"
is '[.[] | select(.description != null and (.description | test("[0-9.]+ [kM]?B/s")))]
    | length >= 1' "the Job said the rate"
set -- $(wire "$logline")
checks=$((checks + 1))
[ "$1" -ge 2600000 ] && [ "$2" -lt $(($1 * 7 / 10)) ] ||
    fail "v002 to la moved $2 bytes on the wire for $1: no delta from v001"
# Each of v002's frames went with v001's as its basis, however the
# server shaped its answers.
sqlite3 "$TMP/ff/spool.db" "SELECT files FROM deliveries ORDER BY ferry_job
    LIMIT 1" >"$TMP/out"
frames='[.[] | select(.basis != null and (.path | test("plate\\.[0-9]{4}\\.exr$")))]'
is "$frames | length == 24" "a delta basis for each of v002's 24 frames"
echo "$LISTENER_MODE: delta bases found for v002's frames: $(jq "$frames | length" "$TMP/out") of 24"
run 0 ui locations la $V2
is 'length == 26 and index("'"$L/$P"'/v002/plate.1013.exr") != null and
    index("'"$L/$P"'/v002/plate.%04d.exr") != null and
    index("'"$L/$P"'/v002/reference.mov") != null' \
    "v002 registered in la with la's paths"
run 0 ui locations la $V1
is 'length == 26' "v001's registrations in la were kept"
run 0 ui status $V2
is '. == "Ready"' "v002 set Ready after its delivery"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"
run 0 "$FERRY" jobs --json --state "$HUB"
is '.[0].by == "jdoe@studio.example (via uid '"$(id -u)"')" and .[0].priority == 700' \
    "the hub's job is jdoe's"

# A task with a sequence to the vendor, with an additional file: the
# vendor's location holds paths relative to its prefix.
run 0 ui launch ana@studio.example task:$SH020COMP \
    '{"source": "hq", "destination": "'"$V"'", "latest_only": true,
      "additional_files": "  '"$H"'/demo/sq010/sh020/brief.txt\n\n"}'
is '.success == true and (.message | test("11 files from hq to '"$V"'"))' \
    "launch sh020/compositing to the vendor"
run 0 ui wait-jobs ana@studio.example 1 60
is '.[0].status == "done"' "the Job of sh020/compositing"
checks=$((checks + 1))
diff -r "$H/demo/sq010/sh020" "$F/demo/sq010/sh020" >/dev/null ||
    fail "sh020 at the vendor differs"
run 0 ui locations "$V" $SH020V1
is 'length == 11 and index("demo/sq010/sh020/plate/v001/plate.1010.exr") != null
    and index("demo/sq010/sh020/plate/v001/plate.%04d.exr") != null' \
    "sh020 registered at the vendor, relative to its prefix"

# A shot to the vendor, latest versions only: v002, not v001.
run 0 ui launch jdoe@studio.example task:$SH010 \
    '{"source": "hq", "destination": "'"$V"'", "latest_only": true,
      "additional_files": "'"$H"'/demo/sq010/sh010/notes.txt"}'
is '.success == true and (.message | test("26 files from hq"))' "launch sh010"
run 0 ui wait-jobs jdoe@studio.example 2 60
is '.[1].status == "done"' "the Job of sh010"
checks=$((checks + 1))
diff -r "$H/$P/v002" "$F/$P/v002" >/dev/null && [ ! -e "$F/$P/v001" ] &&
    cmp -s "$H/demo/sq010/sh010/notes.txt" "$F/demo/sq010/sh010/notes.txt" ||
    fail "sh010 at the vendor: not v002 alone, or no notes.txt"

# Refusals, each with its reason.
refuse() {	# USER SELECTION VALUES TEXT
	run 0 ui launch "$1" "$2" "$3"
	checks=$((checks + 1))
	jq -e --arg t "$4" '.success == false and (.message | contains($t))' \
	    "$TMP/out" >/dev/null || fail "refused: $4: $(cat "$TMP/out")"
}
refuse "$V" assetversion:$V2 '{"source": "hq", "destination": "la"}' \
    "$V is not allowed to send with ferry"
refuse jdoe@studio.example task:$SH030COMP \
    '{"source": "hq", "destination": "la"}' "nothing to send"
refuse jdoe@studio.example assetversion:$SH020V1 \
    '{"source": "la", "destination": "hq"}' 'not in the source location "la"'
refuse jdoe@studio.example assetversion:$V1 \
    '{"source": "hq", "destination": "la", "additional_files": "/etc/hostname"}' \
    "under no share"
refuse jdoe@studio.example assetversion:$V1 \
    '{"source": "hq", "destination": "hq"}' "the same place"
refuse jdoe@studio.example assetversion:$V1 \
    '{"source": "hq", "destination": "nowhere"}' "nowhere is not a ferry place"
refuse jdoe@studio.example assetversion:$V1 \
    '{"source": "hq", "destination": "la", "priority": 5000}' "priority"
refuse jdoe@studio.example folder:x '{"source": "hq"}' "selection holds"
run 0 ui publish jdoe@studio.example \
    '{"topic": "ftrack.action.launch", "data": {"actionIdentifier": "ferry.send", "selection": "x"}}'
is '.success == false and (.message | test("bad event: data.selection is not a list"))' \
    "a bad event"
run 0 ui publish jdoe@studio.example \
    '{"topic": "ftrack.action.launch", "data": {"actionIdentifier": "ferry.send",
      "selection": [{"entityType": "assetversion"}]}}'
is '.success == false and (.message | test("selection\\[0\\] needs an entityId"))' \
    "an event without an entity id"
checks=$((checks + 1))
[ "$(hubjobs)" -eq 3 ] || fail "a refused launch made a job: $(hubjobs) jobs"

# The double drops the WebSocket: ferry-ftrack reconnects, subscribes
# again, and serves launches.
run 0 ui drop
is '. >= 1' "sockets dropped"
sleep 0.5
run 0 ui subscribed
run 0 ui launch jdoe@studio.example assetversion:$V2
is '.type == "form"' "a launch after the drop"
checks=$((checks + 1))
grep -q "event hub: disconnected" "$TMP/ff.log" || fail "no disconnection seen"

# kill -9 between the spool and done, at three points; after a restart
# the launch is handled once: one job, one ftrack Job.
n=2
for step in spooled sent submitted; do
	kill "$FFPID"; wait "$FFPID" 2>/dev/null || true
	FERRY_FTRACK_TEST_STALL=$step start_ff
	before=$(hubjobs)
	run 0 ui launch jdoe@studio.example assetversion:$V1 \
	    '{"source": "hq", "destination": "'"$V"'"}' 300
	i=0
	until grep -q "stalled after \"$step\"" "$TMP/ff.log"; do
		i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
	done
	kill -9 "$FFPID"; wait "$FFPID" 2>/dev/null || true
	start_ff
	n=$((n + 1))
	run 0 ui wait-jobs jdoe@studio.example $n 60
	is "length == $n and .[-1].status == \"done\"" "kill -9 after $step: one Job, done"
	checks=$((checks + 1))
	[ "$(hubjobs)" -eq $((before + 1)) ] ||
	    fail "kill -9 after $step: $(hubjobs) hub jobs, expected $((before + 1))"
done
checks=$((checks + 1))
grep -q "taking over ferry job" "$TMP/ff.log" || fail "the job sent before the crash was not taken over"
checks=$((checks + 1))
diff -r "$H/$P/v001" "$F/$P/v001" >/dev/null || fail "v001 at the vendor differs"

# Restarts reconcile Jobs: one whose ferry job was cancelled while
# ferry-ftrack was down fails; one the hub no longer has fails too.
run 0 "$FERRY" site set la --bwlimit 20K --state "$HUB"
run 0 ui launch jdoe@studio.example assetversion:$MODEL \
    '{"source": "hq", "destination": "la"}'
is '.success == true' "launch the model"
mid=$("$FERRY" jobs --json --state "$HUB" | jq '.[0].id')
kill "$FFPID"; wait "$FFPID" 2>/dev/null || true
run 0 "$FERRY" cancel "$mid" --state "$HUB"
sqlite3 "$TMP/ff/spool.db" "INSERT INTO events (id, topic, body, received, done)
    VALUES ('gone-1', 'ftrack.action.launch', '{}', 0, 0);
    INSERT INTO deliveries (ferry_job, event_id, ftrack_job, user_id, username,
    source, dest, dest_location_id, files, created, updated) VALUES (9999,
    'gone-1', '0b9a3d53-57f3-4bd9-9a4b-8a8c6d3b2a11',
    'a3ff9209-f4ef-5f63-8a2e-c964a0a2e9eb', 'jdoe@studio.example', 'hq', 'la',
    '2a370b92-8d4c-5cbb-ba6d-2168d5a5719b', '[]', 0, 0);"
start_ff
run 0 ui wait-jobs jdoe@studio.example $((n + 2)) 30
is '[.[] | select(.description | test("cancelled"))] | length == 1' \
    "the cancelled job's Job failed"
is '[.[] | select(.status == "failed" and (.description |
    test("ferry job 9999, hq to la failed: the hub no longer has it")))] | length == 1' \
    "a Job whose ferry job is gone failed"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"
n=$((n + 2))

# Assigning a task to the vendor sends it to them.
run 0 ui assign "$VID" "$MODELING"
run 0 ui wait-jobs "$V" 1 60
is '.[0].status == "done" and (.[0].description | test("delivered 4 files"))' \
    "the Job of the assignment"
checks=$((checks + 1))
diff -r "$H/$M" "$F/$M" >/dev/null || fail "the model at the vendor differs"
run 0 ui locations "$V" $MODEL
is 'length == 5 and index("demo/assets/hero_prop/model/v001/textures/") != null' \
    "the model and its textures registered at the vendor"

# Other integrations hear of deliveries: an @ftrack/api subscriber to
# ftrack.location.component-added, listening from here on.
ui added "$TMP/added" >"$TMP/added.out" 2>&1 &
ADDPID=$!
pids="$pids $ADDPID"
i=0
until grep -q subscribed "$TMP/added.out"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the component-added subscriber did not start: $(cat "$TMP/added.out")"
	sleep 0.1
done

# Two tasks, two shots, an Episode and a studio's own object type, each
# to la (what la has already is skipped). forest/layout v001 holds only a
# sequence: its members have no version of their own, yet it is set Ready.
jobs=1
for sel in "task:$SH010COMP,task:$SH020COMP" "task:$SH010,task:$SH020" \
    task:$EP101 task:$FOREST; do
	run 0 ui launch ana@studio.example "$sel" \
	    '{"source": "hq", "destination": "la", "latest_only": true}'
	is '.success == true and (.message | test("files? from hq to la"))' \
	    "launch $sel to la"
	jobs=$((jobs + 1))
	run 0 ui wait-jobs ana@studio.example $jobs 60
	is ".[$((jobs - 1))].status == \"done\"" "the Job of $sel"
done
checks=$((checks + 1))
cmp -s "$H/demo/ep101/edit/v001/edit.mov" "$L/demo/ep101/edit/v001/edit.mov" &&
    diff -r "$H/demo/assets/forest" "$L/demo/assets/forest" >/dev/null &&
    diff -r "$H/demo/sq010/sh020/plate" "$L/demo/sq010/sh020/plate" >/dev/null ||
    fail "the episode, the forest or sh020 at la differ"
run 0 ui locations la $LAYOUT
is 'length == 4 and index("'"$L"'/demo/assets/forest/layout/v001/layout.%04d.exr") != null' \
    "forest/layout registered in la"
run 0 ui status $LAYOUT
is '. == "Ready"' "a version holding only a sequence set Ready after its delivery"
i=0
until [ "$(grep -c "\"$LAYOUTSEQ\"" "$TMP/added" 2>/dev/null)" -ge 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
kill "$ADDPID" 2>/dev/null
jq -s . "$TMP/added" >"$TMP/out"
is '(map(.component_id)) as $ids | ($ids | index("'"$LAYOUTSEQ"'")) as $seq |
    (map(select(.location_id == "'"$LAID"'")) | length) == length and
    ($ids | index("'"$EDIT"'")) != null and $seq != null and
    ([$ids | index("'"$FRAMES"'" | split(",")[])] | all(. != null and . < $seq)) and
    all(.[]; keys == ["component_id", "location_id"])' \
    "component-added heard for each component registered, members first"

# What the server was asked, and how.
if [ "$LISTENER_MODE" = tls ]; then
	run 0 ui get traffic
	is '.["/api HTTP/2.0"] > 0 and .["upgrade HTTP/1.1"] > 0 and
	    .["/socket.io/1 HTTP/2.0"] == null' \
	    "REST over h2, the event hub over HTTP/1.1"
else
	run 0 ui get api-options
	is '.ignore and .asked_whole > 0 and .sent_whole == 0 and
	    .deduplicated >= .asked_whole' \
	    "ferry-ftrack asked for whole answers and got de-duplicated ones"
fi

# Of the ftrack.update events (its own Job updates among them) only the
# one that assigned the task was spooled; the key is in no log.
checks=$((checks + 1))
[ "$(sqlite3 "$TMP/ff/spool.db" "SELECT count(*) FROM events WHERE
    topic = 'ftrack.update'")" = 1 ] ||
    fail "ftrack.update events spooled: $(sqlite3 "$TMP/ff/spool.db" \
    "SELECT id, outcome FROM events WHERE topic = 'ftrack.update'")"
# It derived one event for its one assignment, spooled under its id,
# handled once (not set aside), with the job it made; both are done.
checks=$((checks + 1))
derived=$(sqlite3 -separator ' ' "$TMP/ff/spool.db" "SELECT d.attempts,
    d.ferry_job IS NOT NULL, d.done IS NOT NULL, u.outcome FROM events d
    JOIN events u ON d.id LIKE u.id || '/%' WHERE u.topic = 'ftrack.update'
    AND d.topic = 'ferry.automation.assigned' AND u.done IS NOT NULL")
[ "$derived" = "1 1 1 1 assignment" ] ||
    fail "the assignment's derived event: \"$derived\""
checks=$((checks + 1))
! grep -q "$KEY" "$TMP/ff.log" || fail "the API key is in ferry-ftrack's log"

double_stop
stop_and_check
finish
