# Sourced by the data-plane attack tests (docs/security.md, "Data plane"):
# a hub (hq, 127.0.0.1), a restricted vendor's agent (fx-ws, 127.0.0.3,
# reachable, or the crafted evil-data in its place) granted
# storage:show/sh020 write and sh030 read, and a site agent (la-server,
# 127.0.0.2) if asked for. Each test is one attack: it checks the refusal
# the attacker sees and the record the hub keeps of it.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip
need jq
need ss

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

V=vendor@fx.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/vendor-storage"

# wait_grep PATTERN FILE: until FILE has a line matching PATTERN (10 s).
wait_grep() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}

# evil_talk HOLD_MS FILE SIZE [ARGS...]: the crafted agent ($EVIL talk)
# as the vendor's, for HOLD_MS, answering the hub's list with FILE of SIZE
# bytes and the rest as ARGS say (--on OP=MSG, --repeat...), in the
# background (epid, in pids), until the hub's welcome.
evil_talk() {
	et_hold=$1
	et_list="{\"re\":\"@req\",\"files\":[{\"path\":\"$2\",\"size\":$3}]}"
	shift 3
	# Gone first: the background shell truncates it only when it runs,
	# and an earlier talk's welcome was taken for this one's (a send
	# then found no agent linked: control-flood.sh under load).
	rm -f "$TMP/evil.out"
	"$EVIL" talk "$TMP/evil" --hold "$et_hold" --on "list=$et_list" "$@" \
	    >"$TMP/evil.out" 2>&1 &
	epid=$!
	pids="$pids $epid"
	wait_grep '"op":"welcome"' "$TMP/evil.out" ||
	    fail "no welcome: $(cat "$TMP/evil.out")"
}

# evil_dripping: until evil-data (evil_data_start --drip) says it drips
# on its streams (30 s at most).
evil_dripping() {
	i=0
	until grep -q dripping "$TMP/evil.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "the vendor never connected: $(cat "$TMP/evil.out" "$TMP/evil.err")"; return 1; }
		sleep 0.1
	done
}

# enrol NAME ADDR INVITE-ARGS... (EXTRA: more enroll arguments;
# AGENT_CONF: more ferryd.conf lines).
enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" ${EXTRA:-} >/dev/null ||
	    fail "enrolling $name failed"
	[ -z "${AGENT_CONF:-}" ] ||
	    printf '%s\n' "$AGENT_CONF" >>"$TMP/$name/ferryd.conf"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

# sec_setup [evil] [la]: the storage trees, the share map, the hub and
# agents: fx-ws, or with evil the crafted vendor in its place; with la a
# site agent too (reachable at 127.0.0.2; LAPID).
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
	case " $* " in *" evil "*) evil=1 ;; *) evil= ;; esac
	case " $* " in *" la "*) la=1 ;; *) la= ;; esac
	if [ -z "$evil" ]; then
		EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 \
		    --user "$V" --clearance restricted
		FXPID=$DPID
	fi
	if [ -n "$evil" ]; then
		# A crafted vendor (tests/security/evil-data.c) in fx-ws's place.
		code=$("$FERRY" invite --user "$V" --clearance restricted \
		    --state "$HUB" | tail -n1)
		"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/evil" \
		    --name evil --source-address 127.0.0.3 >/dev/null ||
		    fail "enrolling evil failed"
	fi
	if [ -n "$la" ]; then
		EXTRA="--public-address 127.0.0.2" enrol la-server 127.0.0.2 \
		    --site la
		LAPID=$DPID
	fi
	run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
	run 0 "$FERRY" acl set "$V" storage:show/sh020 write --state "$HUB"
	run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"
}

# audit_has WHAT TEXT: the hub's audit trail (ferry audit) holds a WHAT
# record whose detail mentions TEXT, within 15 s (an agent's report comes
# over its own link, and may follow what the test saw first: CI under
# load once waited more than 5 s for la's).
audit_has() {
	checks=$((checks + 1))
	i=0
	while :; do
		"$FERRY" audit --json --limit 0 --state "$HUB" \
		    >"$TMP/audit" 2>&1 ||
		    { fail "ferry audit: $(cat "$TMP/audit")"; return 0; }
		jq -e --arg w "$1" --arg t "$2" 'any(.[]; .what == $w and
		    ((.detail // "") | tostring | contains($t)))' \
		    "$TMP/audit" >/dev/null && return 0
		i=$((i + 1))
		[ $i -lt "$(slow 150)" ] || break
		sleep 0.1
	done
	fail "no audit record $1 with \"$2\": $(cat "$TMP/audit")"
}

# vendor_asks FROM PATH REFUSAL [AUDIT]: the vendor, on its own machine,
# asks for PATH from FROM; the hub refuses with REFUSAL, and records a
# send.refused naming AUDIT when it is given.
vendor_asks() {
	run 1 "$FERRY" send --from "$1" --to "$V" --wait --state "$TMP/fx-ws" \
	    "$2"
	err_has "$3"
	[ -z "${4:-}" ] || audit_has send.refused "$4"
}

# job_fails ID TEXT: job ID fails, a task's error mentions TEXT, and the
# hub has a transfer.suspect record naming it.
job_fails() {
	run 1 "$FERRY" job "$1" --wait --state "$HUB"
	job_errors "$1"
	checks=$((checks + 1))
	grep -qF -- "$2" "$TMP/out" || fail "job $1: no \"$2\": $(cat "$TMP/out")"
	audit_has transfer.suspect "${2%%: *}"
}

# job_errors ID: the errors of job ID's tasks, one a line, in $TMP/out.
job_errors() {
	"$FERRY" job "$1" --json --state "$HUB" |
	    jq -r '.tasks[] | "\(.state) \(.error // "")"' >"$TMP/out"
}

# evil_data_start ARGS...: the crafted vendor (evil-data send ARGS) in the
# background, linked to the hub; its pid is $epid, what it says goes to
# $TMP/evil.out.
evil_data_start() {
	: "${EVIL_DATA:?EVIL_DATA must name evil-data (make check sets it)}"
	rm -f "$TMP/evil.out"
	"$EVIL_DATA" send "$TMP/evil" "$@" >"$TMP/evil.out" \
	    2>"$TMP/evil.err" &
	epid=$!
	pids="$pids $epid"
	i=0
	until grep -q linked "$TMP/evil.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { fail "evil-data: $(cat "$TMP/evil.err")"; break; }
		sleep 0.1
	done
}

# evil_publish PATH EVIL-DATA-ARGS...: the crafted vendor (sec_setup evil)
# publishes PATH to $TO (default hq), forging as EVIL-DATA-ARGS say; the
# hub's admin submits the job. Waits until the vendor is done and the
# tasks have their errors (a failed task would be retried: the job is
# cancelled); leaves what the vendor was told in $TMP/evil.out ("sent:
# ..."), the task errors in $TMP/out (a retry may have replaced them) and
# the job id in $jid.
evil_publish() {
	path=$1; shift
	evil_data_start "$@"
	run 0 "$FERRY" send --from "$V" --to "${TO:-hq}" --state "$HUB" "$path"
	jid=$(tail -n1 "$TMP/out")
	wait "$epid" 2>/dev/null || fail "evil-data: $(cat "$TMP/evil.err")"
	i=0
	until "$FERRY" job "$jid" --json --state "$HUB" | jq -e \
	    '(.tasks | length) as $n | [.tasks[] | select(.state == "done" or
	    .error != null)] | length == $n' >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
	done
	"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
	job_errors "$jid"
}
