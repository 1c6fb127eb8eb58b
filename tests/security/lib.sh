# Sourced by the attack tests: a hub (site hq), the crafted agent
# ($EVIL, tests/security/evil-agent.c) enrolled as a restricted vendor,
# and checks of the hub's audit trail.
. "${srcdir:-.}/tests/agent/lib.sh"
: "${EVIL:?EVIL must name the evil-agent binary (make check sets it)}"

# enrol_evil NAME [EMAIL]: enrols state $TMP/NAME as a restricted
# vendor's agent (EMAIL, default NAME@vendor.example) with a real
# `ferryd enroll`, without starting ferryd on it: evil-agent speaks for it.
enrol_evil() {
	code=$("$FERRY" invite --user "${2:-$1@vendor.example}" \
	    --clearance restricted --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$1" \
	    --name "$1" >/dev/null || fail "enrolling $1 failed"
}

# rogue_key NAME FROM: a state dir $TMP/NAME with FROM's configuration
# (the hub's address and key) but a key the hub never enrolled.
rogue_key() {
	mkdir -p "$TMP/$1" && chmod 700 "$TMP/$1"
	cp "$TMP/$2/ferryd.conf" "$TMP/$1/"
	"$PEER" keygen --state "$TMP/$1" >/dev/null
}

# hub_threads / hub_rss_kb: what the hub process holds now.
hub_threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$HUBPID/status"
}
hub_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$HUBPID/status"
}

# finish: stops the daemons, reports, exits with the test's status.
finish() {
	stop_and_check
	echo "$checks checks, $failures failures"
	[ "$failures" -eq 0 ]
}

# audit_has WHAT WHO: the hub's audit trail has a record WHAT (a prefix
# such as "answer.") caused by WHO (a substring).
# The record may follow the refusal a test saw by a moment: 10 s.
audit_has() {
	checks=$((checks + 1))
	_i=0
	while :; do
		"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit" \
		    2>&1 || { fail "ferry audit: $(cat "$TMP/audit")"; return 0; }
		jq -e --arg w "$1" --arg who "$2" 'any(.[]; (.what |
		    startswith($w)) and (.who | contains($who)))' \
		    "$TMP/audit" >/dev/null && return 0
		_i=$((_i + 1))
		[ $_i -lt "$(slow 50)" ] || break
		sleep 0.2
	done
	fail "no audit record $1 by $2: $(cat "$TMP/audit")"
}

# hub_storage: a hub with one share, "storage", at $S ($TMP/hq-storage),
# nothing else: the roots tests' start.
hub_storage() {
	S="$TMP/hq-storage"
	mkdir -p "$S/show"
	cat >"$TMP/map.json" <<-JSON
	{ "shares": { "storage": { "linux": "$S" } } }
	JSON
	make_hub
	run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
}

# wait_grep PATTERN FILE: until FILE has a line matching PATTERN (10 s).
wait_grep() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}

# la_ny_direct: a hub with one share, "storage", at $S (la's, la-storage)
# and $N (ny's, ny-storage) under $TMP; agents la-server and ny-server,
# ny at an address of its own (127.0.0.3) which la reaches directly: a
# transfer between them goes agent to agent, not through the hub's relay
# (and so may carry on across a hub's restart, hub-adopt.c).
la_ny_direct() {
	S="$TMP/la-storage" N="$TMP/ny-storage"
	mkdir -p "$S/show" "$N"
	share_map "$TMP/hq-storage" la="$S" ny="$N"
	make_hub
	run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
	enrol_agent la la-server
	code=$("$FERRY" invite --site ny --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/ny-server" \
	    --name ny-server --source-address 127.0.0.3 \
	    --public-address 127.0.0.3 >/dev/null || fail "enrolling ny failed"
	start_daemon "$TMP/ny-server"
	wait_linked ny-server
}

# share_map HQ_ROOT [ENDPOINT=ROOT]...: writes $TMP/map.json, one share
# "storage" rooted at HQ_ROOT on the hub and at each ROOT for ENDPOINT
# (a site or a user's e-mail).
share_map() {
	hq=$1; shift
	sites=
	for s in "$@"; do
		sites="$sites${sites:+, }\"${s%%=*}\": { \"linux\": \"${s#*=}\" }"
	done
	printf '{ "shares": { "storage": { "linux": "%s",\n  "sites": { %s } } } }\n' \
	    "$hq" "$sites" >"$TMP/map.json"
}
