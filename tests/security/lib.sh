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
