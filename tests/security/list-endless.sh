#!/bin/sh
# Attack: a restricted vendor starts a send from itself, so the hub asks
# its agent (the crafted one) to list the files, in pages of at most
# 4096. The agent answers with (1) page after page of "more": true,
# enough to fill the hub's disk with the job's plan, (2) one page with
# more files than asked, (3) a file outside the root the hub asked
# about. Each send must be refused, promptly, with an error naming the
# agent and the limit, with no job made and the hub still answering
# (docs/security.md, "Listings").
. "${srcdir:-.}/tests/security/lib.sh"

R=0123456789abcdef0123456789abcdef
V=fx@vendor.example
S="$TMP/hq" F="$TMP/fx"
mkdir -p "$S" "$F/up" "$F/up2"
share_map "$S" "$V=$F"
# LIST_ENDLESS_CONF= runs it against a hub without the keyword.
HUB_CONF="${LIST_ENDLESS_CONF-max-job-files 1000}"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:up write --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:up2 write --state "$HUB"

# page N MORE PATH: a "list" answer of N files PATH0, PATH1, ...
page() {
	jq -cn --argjson n "$1" --argjson more "$2" --arg p "$3" \
	    '{re: "@req", more: $more, files: [range($n) |
	    {path: "\($p)\(.)", size: 1}]}'
}

# attack NAME REPEAT LIMIT: sends from the vendor with the answer in
# $TMP/NAME.json (REPEAT times); the hub's reply must come within 20 s,
# be an error naming the vendor and LIMIT.
attack() {
	send=$(jq -cn --arg v "$V" --arg p "$F/up" --arg r "$R" '{op: "api", req: $r,
	    request: {op: "send", from: $v, to: "hq", paths: [$p]}}')
	t0=$(date +%s)
	"$EVIL" talk "$TMP/fx-ws" --hold 60000 --send "$send" \
	    --on "list=@$TMP/$1.json" --repeat "$2" >"$TMP/$1.out" 2>&1 &
	ev=$!
	i=0
	until grep -q "\"re\":\"$R\"" "$TMP/$1.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.1
	done
	t1=$(date +%s)
	kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || :
	echo "$1: answered in $((t1 - t0)) s"
	reply=$(grep "\"re\":\"$R\"" "$TMP/$1.out" | head -n1)
	checks=$((checks + 1))
	[ -n "$reply" ] || { fail "$1: no answer to the send in 20 s: $(cut -c1-300 "$TMP/$1.out")"; return; }
	err=$(printf '%s\n' "$reply" | jq -r '.reply.error // empty')
	checks=$((checks + 1))
	case "$err" in
	*"$V"*"$3"*) ;;
	*) fail "$1: not refused naming $V and $3: $reply" ;;
	esac
}

# (1) 100 files a page, "more": true, 50 times: 5,000 > max-job-files.
page 100 true "$F/up/f" >"$TMP/endless.json"
attack endless 50 "max-job-files"
audit_has list.limit "$V"
# (2) one page of 4,200 files, more than the 4,096 asked.
page 4200 false "$F/up/g" >"$TMP/big.json"
attack big 1 "more than the 4096 asked"
# (3) a file below storage:up2, which the hub did not ask about.
page 1 false "$F/up2/h" >"$TMP/outside.json"
attack outside 1 "not below $F/up"

# No job was made, and the hub still answers.
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq length "$TMP/out")" = 0 ] || fail "a job was made: $(cat "$TMP/out")"
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 500 --send '{"op":"ping"}'
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "no pong after: $(cat "$TMP/out")"
finish
