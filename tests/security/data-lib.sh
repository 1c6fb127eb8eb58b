# Sourced by the data-plane attack tests (docs/security.md, "Data plane"):
# a hub (hq, 127.0.0.1), a restricted vendor's agent (fx-ws, 127.0.0.3,
# reachable) granted storage:show/sh020 write, and with `sec_setup la` a
# site agent (la-server, 127.0.0.2). Each test is one attack: it checks
# the refusal the attacker sees and the record the hub keeps of it.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip
need jq

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

V=vendor@fx.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/vendor-storage"

# enrol NAME ADDR INVITE-ARGS... (EXTRA: more enroll arguments).
enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" ${EXTRA:-} >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

# sec_setup [la]: the storage trees, the share map, the hub and agents.
sec_setup() {
	mkdir -p "$S/show/sh010" "$S/show/sh020" "$L/show/sh010" \
	    "$L/show/sh030" "$F/show/sh020"
	head -c 300000 /dev/urandom >"$S/show/sh010/secret.mov"
	head -c 300000 /dev/urandom >"$L/show/sh010/secret.mov"
	head -c 200000 /dev/urandom >"$S/show/sh020/plate.exr"
	head -c 200000 /dev/urandom >"$L/show/sh030/anim.mov"
	head -c 100000 /dev/urandom >"$F/show/sh020/fx_v001.exr"
	cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "$V": { "linux": "$F" } } } } }
JSON
	make_hub
	EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 \
	    --user "$V" --clearance restricted
	FXPID=$DPID
	if [ "${1:-}" = la ]; then
		EXTRA= enrol la-server 127.0.0.2 --site la
		LAPID=$DPID
	fi
	run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
	run 0 "$FERRY" acl set "$V" storage:show/sh020 write --state "$HUB"
	run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"
}

# audit_has WHAT TEXT: the hub's audit trail (ferry audit) holds a WHAT
# record whose detail mentions TEXT.
audit_has() {
	checks=$((checks + 1))
	"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit" 2>&1 ||
	    { fail "ferry audit: $(cat "$TMP/audit")"; return 0; }
	jq -e --arg w "$1" --arg t "$2" 'any(.[]; .what == $w and
	    ((.detail // "") | tostring | contains($t)))' "$TMP/audit" \
	    >/dev/null || fail "no audit record $1 with \"$2\": $(cat "$TMP/audit")"
}

# job_errors ID: the errors of job ID's tasks, one a line, in $TMP/out.
job_errors() {
	"$FERRY" job "$1" --json --state "$HUB" |
	    jq -r '.tasks[] | "\(.state) \(.error // "")"' >"$TMP/out"
}
