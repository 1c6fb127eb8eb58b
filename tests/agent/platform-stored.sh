#!/bin/sh
# The hub keeps the platform each agent said in its last hello (store
# migration 14, docs/windows.md): a job planned while none of an end's
# agents is linked, across a restart of the hub too, writes that end's
# paths for the machine it last heard from (a Windows workstation's C:\
# root, not its site's POSIX one); a later hello that says another
# platform replaces it. The agent is tests/security/evil-agent speaking
# for a real enrolment, so the test chooses what its hello says.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" F="$TMP/fx-storage"
mkdir -p "$S/show/sh030"
echo "granted" >"$S/show/sh030/a.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "$V": { "linux": "$F", "windows": "C:\\\\fx\\\\studio" } } } } }
JSON
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"

# hello PLATFORM: the vendor's agent links, says PLATFORM, and goes; the
# hub no longer lists it when this returns.
hello() {
	run 0 "$EVIL" talk "$TMP/fx-ws" --hold 300 --first \
	    "{\"op\":\"hello\",\"name\":\"fx-ws\",\"platform\":\"$1\"}"
	checks=$((checks + 1))
	grep -q '"op":"welcome"' "$TMP/out" ||
	    fail "no welcome for a hello saying $1: $(cat "$TMP/out" "$TMP/err")"
	wait_unlinked fx-ws || :
}

# planned WANT WHY: a.exr sent to the vendor while it is not linked; the
# job's paths name WANT (grep -F on its JSON, where \ is \\).
planned() {
	checks=$((checks + 1))
	"$FERRY" send --from hq --to "$V" --state "$HUB" \
	    "$S/show/sh030/a.exr" >"$TMP/send.out" 2>&1 ||
	    { fail "ferry send ($2): $(cat "$TMP/send.out")"; return 0; }
	id=$(tail -n1 "$TMP/send.out")
	"$FERRY" job "$id" --json --state "$HUB" >"$TMP/job.json" 2>&1
	grep -qF "$1" "$TMP/job.json" ||
	    fail "$2: the job names no $1: $(cat "$TMP/job.json")"
	"$FERRY" cancel "$id" --state "$HUB" >/dev/null 2>&1 || true
}

# Never heard from: any root, POSIX first (what the hub did before).
planned "$F/show/sh030/a.exr" "an agent that never said its platform"
hello windows
planned 'C:\\fx\\studio\\show\\sh030\\a.exr' "after a hello saying windows"

# Kept in the store, not only in the hub's memory.
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
_n=$(grep -c "listening on" "$HUB.log" || true)
start_daemon "$HUB"
HUBPID=$DPID
_i=0
while [ "$(grep -c "listening on" "$HUB.log" || true)" -le "$_n" ]; do
	_i=$((_i + 1))
	[ $_i -lt 600 ] || { fail "the hub did not come back"; break; }
	sleep 0.05
done
planned 'C:\\fx\\studio\\show\\sh030\\a.exr' "after the hub's restart"

# A later hello replaces it.
hello linux
planned "$F/show/sh030/a.exr" "after a hello saying linux"
finish
