#!/bin/sh
# Attack: a vendor's agent answering the hub's listing for a publish with
# names it was not asked about. `ferry publish PATH` makes the hub ask
# the person's agent for the files below PATH (hub-publish.c); a send
# checks that each listed file is below the paths asked (list-endless.sh),
# a publish did not: the crafted agent, asked for show/shot, listed
# show/shot/a and also show/other/b, and both became the publish's
# tasks, the second never named by the person. The hub must take only
# names below the path it asked for, and refuse the publish otherwise.
. "${srcdir:-.}/tests/security/lib.sh"

R=0123456789abcdef0123456789abcdef
V=fx@vendor.example
S="$TMP/hq" F="$TMP/fx"
mkdir -p "$S" "$F/show/shot" "$F/show/other"
share_map "$S" "$V=$F"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

# attack NAME FILE...: publishes $F/show/shot, its agent listing FILEs.
attack() {
	_name=$1; shift
	jq -cn --args '{re: "@req", files: [$ARGS.positional[] |
	    {path: ., size: 1}]}' "$@" >"$TMP/$_name.json"
	pub=$(jq -cn --arg p "$F/show/shot" --arg r "$R" '{op: "api",
	    req: $r, request: {op: "publish", paths: [$p]}}')
	"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 6000)" --send "$pub" \
	    --on "list=@$TMP/$_name.json" >"$TMP/$_name.out" 2>&1 &
	ev=$!
	wait_grep "\"re\":\"$R\"" "$TMP/$_name.out" || :
	sleep 1
	kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || :
	reply=$(grep "\"re\":\"$R\"" "$TMP/$_name.out" | head -n1)
	checks=$((checks + 1))
	[ -n "$reply" ] || { fail "$_name: no answer to the publish: $(cut -c1-300 "$TMP/$_name.out")"; return; }
	echo "$_name: $(printf '%s\n' "$reply" | cut -c1-300)"
}

# A name outside the path asked, beside a good one.
attack outside "$F/show/shot/a" "$F/show/other/b"
checks=$((checks + 1))
printf '%s\n' "$reply" | jq -e '.reply.error // "" |
    contains("not below")' >/dev/null ||
    fail "a publish took a name outside the path asked: $reply"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out" 2>/dev/null || echo x)" = 0 ] ||
    fail "a job was made: $(cat "$TMP/out")"

# A sibling whose name starts with the asked path's (shot2 is not shot).
attack prefix "$F/show/shot2/c"
checks=$((checks + 1))
printf '%s\n' "$reply" | jq -e '.reply.error // "" |
    contains("not below")' >/dev/null ||
    fail "a publish took a sibling named like the path: $reply"

# The honest listing still publishes (the check refuses no good name).
attack good "$F/show/shot/a" "$F/show/shot/sub/b"
checks=$((checks + 1))
printf '%s\n' "$reply" | jq -e '.reply.id != null' >/dev/null ||
    fail "an honest listing was refused: $reply"
audit_has list.limit "$V"
finish
