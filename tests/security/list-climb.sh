#!/bin/sh
# Attack: a vendor's agent listing, for the hub's `list`, names that are
# below the path asked by their text only. The hub takes a listed file
# only below what it asked (list-endless.sh, publish-outside.sh), but
# compared the text: "$F/up/../up2/h" starts with "$F/up/", and the
# share map's translation then applies the "..", so up2/h, never asked
# for, became a task of a send of up (and show/other/b of a publish of
# show/shot); "up/.." in a sequence's folder too. An honest agent lists
# the names it found: no ".", "..", or empty component. The hub must
# refuse such names, for a send and for a publish.
. "${srcdir:-.}/tests/security/lib.sh"

R=0123456789abcdef0123456789abcdef
V=fx@vendor.example
S="$TMP/hq" F="$TMP/fx"
mkdir -p "$S" "$F/up" "$F/up2" "$F/show/shot" "$F/show/other"
share_map "$S" "$V=$F"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:up write --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:up2 write --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

# attack NAME REQUEST FILE: sends REQUEST (a send or a publish) from
# the vendor, its agent listing FILE; the answer must be a refusal.
attack() {
	jq -cn --arg p "$3" '{re: "@req", files: [{path: $p, size: 1}]}' \
	    >"$TMP/$1.json"
	req=$(jq -cn --arg r "$R" --argjson q "$2" '{op: "api", req: $r,
	    request: $q}')
	"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 6000)" --send "$req" \
	    --on "list=@$TMP/$1.json" >"$TMP/$1.out" 2>&1 &
	ev=$!
	wait_grep "\"re\":\"$R\"" "$TMP/$1.out" || :
	kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || :
	reply=$(grep "\"re\":\"$R\"" "$TMP/$1.out" | head -n1)
	echo "$1 ($3): $(printf '%s\n' "$reply" | cut -c1-240)"
	checks=$((checks + 1))
	printf '%s\n' "$reply" | jq -e '.reply.error != null' >/dev/null ||
	    fail "$1: $3 taken: $reply"
}

send=$(jq -cn --arg v "$V" --arg p "$F/up" '{op: "send", from: $v,
    to: "hq", paths: [$p]}')
seq=$(jq -cn --arg v "$V" --arg p "$F/up/f.%04d.exr" '{op: "send",
    from: $v, to: "hq", paths: [$p]}')
pub=$(jq -cn --arg p "$F/show/shot" '{op: "publish", paths: [$p]}')
attack send-dotdot "$send" "$F/up/../up2/h"
attack send-dot "$send" "$F/up/./../up2/h"
attack send-seq "$seq" "$F/up/.."
attack publish-dotdot "$pub" "$F/show/shot/../other/b"
attack publish-empty "$pub" "$F/show/shot//../other/b"

run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out" 2>/dev/null || echo x)" = 0 ] ||
    fail "jobs were made: $(cut -c1-600 "$TMP/out")"
finish
