#!/bin/sh
# Home folders and storage roots (issue 13): a hub (hq, 127.0.0.1), a
# vendor's agent (127.0.0.3, a restricted user, its storage root given at
# enrolment) and an employee's agent (127.0.0.2, no root at first). The
# share map names neither person: their machines' roots come from the
# agents themselves (--storage-root, ferry root set, FERRY_STORAGE_PATH),
# or else the home folder under the agent's state directory.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

V=vendor@fx.example E=emp@studio.example
S="$TMP/hq-storage"
mkdir -p "$S/show/sh010" "$S/show/sh020/plates" "$S/projects/p1"
head -c 300000 /dev/urandom >"$S/show/sh010/comp.mov"
head -c 200000 /dev/urandom >"$S/show/sh020/plates/p.1001.exr"
head -c 200000 /dev/urandom >"$S/show/sh020/plates/p.1002.exr"
head -c 100000 /dev/urandom >"$S/projects/p1/brief.pdf"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S" },
              "projects": { "linux": "$S/projects" } } }
JSON

# audit_has WHAT TEXT: the hub's audit trail has a WHAT record with TEXT.
audit_has() {
	"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit" 2>&1 || true
	checks=$((checks + 1))
	jq -r --arg w "$1" '.[] | select(.what == $w) | (.detail | tostring)' \
	    "$TMP/audit" 2>/dev/null | grep -qF -- "$2" ||
	    fail "no audit record $1 with \"$2\": $(tail -c 1500 "$TMP/audit")"
}

# enrol NAME ADDR INVITE-ARGS... ; EXTRA: more ferryd enroll arguments.
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

# A bad --storage-root is refused before anything is made.
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
run 2 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/bad" \
    --storage-root "storage=$TMP/a/../b"
err_has '".."'
run 2 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/bad" \
    --storage-root "$TMP/work"
err_has "expected SHARE=PATH"

# The vendor, with its storage root at enrolment.
EXTRA="--storage-root storage=$TMP/fx-work" enrol fx-ws 127.0.0.3 \
    --user "$V" --clearance restricted
FXPID=$DPID

# Its home folder: made on the hub's site at enrolment, granted, audited.
checks=$((checks + 1))
[ -d "$S/vendors/$V" ] || fail "no home folder $S/vendors/$V"
run 0 "$FERRY" acl list "$V" --state "$HUB"
out_is "$V write storage:vendors/$V (home folder)"
audit_has home.created "storage:vendors/$V"

# The vendor's machine sees the storage share at its own root.
run 0 "$FERRY" root --state "$TMP/fx-ws"
out_has "^storage *$TMP/fx-work  (set with 'ferry root set')" "vendor's root"
# A share nested in storage follows its root, as on-prem.
out_has "^projects *$TMP/fx-work/projects  (inside another share's root, as on-prem)" \
    "vendor's nested share"
run 0 "$FERRY" status --state "$TMP/fx-ws"
checks=$((checks + 1))
! grep -q "home folder" "$TMP/out" || fail "status: $(cat "$TMP/out")"

# A delivery lands below that root, mirroring the studio's folders.
run 0 "$FERRY" acl set "$V" storage:show/sh020 read --state "$HUB"
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/show/sh020/plates"
checks=$((checks + 1))
diff -r "$S/show/sh020/plates" "$TMP/fx-work/show/sh020/plates" ||
    fail "hq -> vendor did not mirror into the vendor's root"
run 0 "$FERRY" acl set "$V" projects:p1 read --state "$HUB"
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/projects/p1/brief.pdf"
checks=$((checks + 1))
cmp -s "$S/projects/p1/brief.pdf" "$TMP/fx-work/projects/p1/brief.pdf" ||
    fail "a nested share did not land below the enclosing root"

# The employee: no root, so deliveries go to the home folder on its
# machine (STATE/home/SHARE), and ferry status says so in one line.
EXTRA= enrol emp-ws 127.0.0.2 --user "$E" --clearance employee
EMPPID=$DPID
checks=$((checks + 1))
[ -d "$S/people/$E" ] || fail "no home folder for the employee"
run 0 "$FERRY" status --state "$TMP/emp-ws"
checks=$((checks + 1))
[ "$(grep -c "^no root set for storage, projects: deliveries go to the home folder $TMP/emp-ws/home ('ferry root set SHARE PATH' sets one)$" "$TMP/out")" = 1 ] ||
    fail "status does not say where deliveries go: $(cat "$TMP/out")"
run 0 "$FERRY" send --from hq --to "$E" --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$TMP/emp-ws/home/storage/show/sh010/comp.mov" ||
    fail "no root: the delivery is not in the home folder"

# ferry root set, later: the next delivery lands below it.
mkdir -p "$TMP/emp"
(cd "$TMP/emp" && "$FERRY" root set storage work --state "$TMP/emp-ws") \
    >"$TMP/out" 2>"$TMP/err" || fail "root set: $(cat "$TMP/err")"
out_is "storage lies at $TMP/emp/work on this machine"
checks=$((checks + 1))
[ -d "$TMP/emp/work" ] || fail "root set did not make the folder"
run 0 "$FERRY" status --state "$TMP/emp-ws"
checks=$((checks + 1))
! grep -q "home folder" "$TMP/out" || fail "status after root set: $(cat "$TMP/out")"
run 0 "$FERRY" root --state "$TMP/emp-ws"
out_has "^projects *$TMP/emp/work/projects  (inside" "employee's nested share"
run 0 "$FERRY" send --from hq --to "$E" --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$TMP/emp/work/show/sh010/comp.mov" ||
    fail "after root set: the delivery is not below the root"
# The root survives a restart (roots.json), and the hub has it at hello.
checks=$((checks + 1))
jq -e --arg p "$TMP/emp/work" '.storage == $p' "$TMP/emp-ws/roots.json" \
    >/dev/null || fail "roots.json: $(cat "$TMP/emp-ws/roots.json")"

# Refusals: an unknown share (the hub's), a path with "..", a relative
# path made absolute from here.
run 1 "$FERRY" root set nosuch "$TMP/x" --state "$TMP/emp-ws"
err_has "no share nosuch in the share map (shares: "
audit_has roots.refused "no share nosuch"
run 1 "$FERRY" root set storage "$TMP/emp/../x" --state "$TMP/emp-ws"
err_has '".."'
run 1 "$FERRY" root set storage "$TMP/x" --state "$HUB"
err_has "on the hub, roots are the share map's"

# FERRY_STORAGE_PATH in ferryd's environment wins over the set root.
kill "$EMPPID"; wait "$EMPPID" 2>/dev/null || true
mkdir -p "$TMP/emp-env"
FERRY_STORAGE_PATH="$TMP/emp-env" start_daemon "$TMP/emp-ws"
EMPPID=$DPID
sleep 0.2
wait_linked emp-ws
run 0 "$FERRY" root --state "$TMP/emp-ws"
out_has "^storage *$TMP/emp-env  (from FERRY_STORAGE_PATH in ferryd's environment)" "env root"
run 1 "$FERRY" root set storage "$TMP/emp/work2" --state "$TMP/emp-ws"
err_has "FERRY_STORAGE_PATH is set in ferryd's environment"
run 0 "$FERRY" send --from hq --to "$E" --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$TMP/emp-env/show/sh010/comp.mov" ||
    fail "FERRY_STORAGE_PATH: the delivery is not below it"

# On the hub, an admin sees any agent's roots.
run 0 "$FERRY" root list "$E" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.roots.storage.from' "$TMP/out")" = env ] ||
    fail "hub's view of the employee's roots: $(cat "$TMP/out")"

# A home folder withdrawn by an admin stays withdrawn across hellos.
run 0 "$FERRY" acl delete "$V" "storage:vendors/$V" --state "$HUB"
kill "$FXPID"; wait "$FXPID" 2>/dev/null || true
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" acl list "$V" --state "$HUB"
out_is "$V read projects:p1
$V read storage:show/sh020"

stop_and_check
finish
