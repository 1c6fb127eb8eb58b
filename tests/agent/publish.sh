#!/bin/sh
# ferry publish (issue 13): a hub (hq, 127.0.0.1), a vendor's agent
# (127.0.0.3, restricted, storage root at $TMP/fx-work) and an employee's
# agent (127.0.0.2, no root: its home base). Work goes to the matching
# on-prem path when the person may write there, otherwise into their home
# folder with one line saying so; the job is durable, listed, resumable
# after kill -9, and its meta says what ferry-ftrack needs.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip
need openssl

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.1/8 on lo"; exit 77; }

V=vendor@fx.example E=emp@studio.example
S="$TMP/hq-storage" W="$TMP/fx-work"
mkdir -p "$S/show" "$W/show/sh030/fx_v001" "$W/show/sh040/fx_v001"
head -c 100000 /dev/urandom >"$W/show/sh030/fx_v001/fx.1001.exr"
head -c 100000 /dev/urandom >"$W/show/sh030/fx_v001/fx.1002.exr"
head -c 150000 /dev/urandom >"$W/show/sh040/fx_v001/smoke.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S" } } }
JSON

audit_has() {
	"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit" 2>&1 || true
	checks=$((checks + 1))
	jq -r --arg w "$1" '.[] | select(.what == $w) | (.detail | tostring)' \
	    "$TMP/audit" 2>/dev/null | grep -qF -- "$2" ||
	    fail "no audit record $1 with \"$2\": $(tail -c 1500 "$TMP/audit")"
}

enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" $EXTRA >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
EXTRA="--storage-root storage=$W" enrol fx-ws 127.0.0.3 --user "$V" \
    --clearance restricted
FXPID=$DPID
EXTRA= enrol emp-ws 127.0.0.2 --user "$E" --clearance employee
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"

# Allowed: into the matching on-prem path, with the task and the note.
run 0 "$FERRY" publish --task 5f0a1c2e-task --note "first pass" --wait \
    --state "$TMP/fx-ws" "$W/show/sh030/fx_v001"
out_is "2 files published to hq, job:
1"
checks=$((checks + 1))
diff -r "$W/show/sh030/fx_v001" "$S/show/sh030/fx_v001" >/dev/null ||
    fail "publish: the files are not at the on-prem path"
run 0 "$FERRY" job 1 --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -c '.meta.publish | {task, note, by}' "$TMP/out")" = \
    "{\"task\":\"5f0a1c2e-task\",\"note\":\"first pass\",\"by\":\"$V\"}" ] ||
    fail "publish meta: $(cat "$TMP/out")"
checks=$((checks + 1))
[ "$(jq -r '.meta.publish.paths[0] | "\(.dst) \(.share):\(.relative) \(.home)"' \
    "$TMP/out")" = "$S/show/sh030/fx_v001 storage:show/sh030/fx_v001 false" ] ||
    fail "publish destinations: $(cat "$TMP/out")"
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.from) \(.to) \(.done_files)/\(.files)"' "$TMP/out")" = \
    "done $V hq 2/2" ] || fail "publish job: $(cat "$TMP/out")"

# Listed like any job, on the vendor's machine and on the hub.
run 0 "$FERRY" jobs --json --state "$TMP/fx-ws"
checks=$((checks + 1))
[ "$(jq -r '.[] | select(.id == 1) | .meta.publish.task' "$TMP/out")" = \
    5f0a1c2e-task ] || fail "ferry jobs on the vendor: $(cat "$TMP/out")"
run 0 "$FERRY" jobs --state "$HUB"
out_has "$V" "ferry jobs on the hub lists the publish"

# Not allowed there: into the home folder, mirrored, in one clear line.
run 0 "$FERRY" publish --wait --state "$TMP/fx-ws" "$W/show/sh040/fx_v001"
out_is "$W/show/sh040/fx_v001: you may not write storage:show/sh040/fx_v001, so it goes to your home folder storage:vendors/$V/show/sh040/fx_v001 instead
1 file published to hq, job:
2"
checks=$((checks + 1))
cmp -s "$W/show/sh040/fx_v001/smoke.exr" \
    "$S/vendors/$V/show/sh040/fx_v001/smoke.exr" ||
    fail "redirected publish: not in the home folder"
checks=$((checks + 1))
[ ! -e "$S/show/sh040" ] || fail "redirected publish wrote on-prem"
audit_has publish.redirected "storage:show/sh040/fx_v001/smoke.exr"
run 0 "$FERRY" job 2 --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.meta.publish | "\(has("task")) \(.note) \(.paths[0].home) \(.paths[0].dst)"' \
    "$TMP/out")" = "false null true $S/vendors/$V/show/sh040/fx_v001" ] ||
    fail "redirected publish meta: $(cat "$TMP/out")"

# A folder and a file inside it, named together: each file once.
run 0 "$FERRY" publish --state "$TMP/fx-ws" --wait "$W/show/sh030/fx_v001" \
    "$W/show/sh030/fx_v001/fx.1001.exr"
out_has "^2 files published to hq" "a file named twice, published once"

# Relative paths are this shell's: made absolute before ferryd sees them.
(cd "$W/show/sh030" && "$FERRY" publish --state "$TMP/fx-ws" --wait \
    fx_v001/fx.1001.exr) >"$TMP/out" 2>"$TMP/err" ||
    fail "relative publish: $(cat "$TMP/err")"
out_has "^1 file published to hq" "relative path publish"

# Another person's home folder is not a way in: it lands in one's own.
mkdir -p "$W/vendors/other@fx.example"
echo planted >"$W/vendors/other@fx.example/x.txt"
run 0 "$FERRY" publish --wait --state "$TMP/fx-ws" \
    "$W/vendors/other@fx.example"
out_has "so it goes to your home folder storage:vendors/$V/vendors/other@fx.example instead" \
    "another's home folder"
checks=$((checks + 1))
[ ! -e "$S/vendors/other@fx.example" ] || fail "wrote another's home folder"

# Refusals, each with its message (and audit record where it is one).
run 1 "$FERRY" publish --state "$TMP/fx-ws" /etc/hostname
err_has "('ferry root set SHARE PATH' says where a share lies on this machine)"
run 1 "$FERRY" publish --state "$HUB" "$S/show"
err_has "ferry publish runs on a vendor's or an employee's machine"
run 1 "$FERRY" publish --task 'a b;c' --state "$TMP/fx-ws" "$W/show/sh030"
err_has "--task takes an ftrack id"
ln -s /etc "$W/show/sh030/etc-link"
run 1 "$FERRY" publish --state "$TMP/fx-ws" "$W/show/sh030/etc-link"
err_has "symlink"
rm "$W/show/sh030/etc-link"
# Without the home folder's grant, a refused path has nowhere to go.
run 0 "$FERRY" acl delete "$V" "storage:vendors/$V" --state "$HUB"
run 1 "$FERRY" publish --state "$TMP/fx-ws" "$W/show/sh040/fx_v001"
err_has "may write neither storage:show/sh040/fx_v001 nor its home folder"
audit_has publish.refused "may write neither"
run 0 "$FERRY" acl set "$V" "storage:vendors/$V" write --state "$HUB"

# An employee may write anywhere: from its home base, straight on-prem.
H="$TMP/emp-ws/home/storage"
mkdir -p "$H/show/sh050/anim_v002"
head -c 120000 /dev/urandom >"$H/show/sh050/anim_v002/anim.mov"
run 0 "$FERRY" publish --task t-50 --state "$TMP/emp-ws" --wait \
    "$H/show/sh050/anim_v002"
checks=$((checks + 1))
cmp -s "$H/show/sh050/anim_v002/anim.mov" "$S/show/sh050/anim_v002/anim.mov" ||
    fail "employee publish: not on-prem"

# kill -9 mid-publish, of the vendor's ferryd and then of the hub: the
# job is retried and resumes, and the file arrives whole, once.
run 0 "$FERRY" site set hq --bwlimit 4M --state "$HUB"
openssl enc -aes-128-ctr -nosalt -pass pass:publish -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 16000000 >"$W/show/sh030/fx_v001/big.mov"
run 0 "$FERRY" publish --state "$TMP/fx-ws" "$W/show/sh030/fx_v001/big.mov"
bid=$(tail -n1 "$TMP/out")
wait_file "$S/show/sh030/fx_v001/.big.mov.ferry-part"
checks=$((checks + 1))
[ -f "$S/show/sh030/fx_v001/.big.mov.ferry-part" ] ||
    fail "the publish never started: no partial file"
sleep 0.5
kill -9 "$FXPID"
wait "$FXPID" 2>/dev/null || true
start_daemon "$TMP/fx-ws"
FXPID=$DPID
wait_linked fx-ws
sleep 1
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$HUB"
HUBPID=$DPID
run 0 "$FERRY" job "$bid" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$W/show/sh030/fx_v001/big.mov" "$S/show/sh030/fx_v001/big.mov" ||
    fail "publish after kill -9: big.mov differs"
run 0 "$FERRY" job "$bid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.done_files)/\(.files) \(.meta.publish.by)"' "$TMP/out")" = \
    "done 1/1 $V" ] || fail "publish job after the kills: $(cat "$TMP/out")"
run 0 "$FERRY" site set hq --bwlimit 0 --state "$HUB"

stop_and_check
finish
