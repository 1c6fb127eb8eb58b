#!/bin/sh
# Attack: lying about the platform. An agent says in its hello whether it
# runs on Linux, Windows or macOS, and the hub gives it that kind of root
# of its own site or person. A vendor's crafted agent claims each in turn:
# the worst it may get is its own entry's other root (C:\fx\studio
# instead of its POSIX one), never the studio's default roots (S:) or
# another vendor's, and never a file its ACL does not grant. A claim of
# another platform, or of one that is no string, is refused and audited.
# A publish of the studio's own drive path (S:\...) is under no share
# of the vendor, whatever it claims.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" F="$TMP/fx-storage" O="$TMP/other-storage"
mkdir -p "$S/show/sh030" "$S/show/sh040"
echo "granted" >"$S/show/sh030/a.exr"
echo "not granted" >"$S/show/sh040/b.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S", "windows": "S:",
  "unc": "\\\\\\\\fileserver\\\\storage",
  "sites": {
    "$V": { "linux": "$F", "windows": "C:\\\\fx\\\\studio" },
    "other@vendor.example": { "linux": "$O",
      "windows": "C:\\\\other\\\\studio" } } } } }
JSON
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"

# claim PLATFORM: the vendor's agent says it runs on PLATFORM while the
# hub sends it a.exr; prints the root its transfer.start names.
claim() {
	"$EVIL" talk "$TMP/fx-ws" --hold 5000 --first \
	    "{\"op\":\"hello\",\"name\":\"fx-ws\",\"platform\":\"$1\"}" \
	    >"$TMP/fx.out" 2>&1 &
	fx=$!
	wait_grep '"op":"welcome"' "$TMP/fx.out"
	"$FERRY" send --from hq --to "$V" --state "$HUB" \
	    "$S/show/sh030/a.exr" >"$TMP/send.out" 2>&1 || true
	wait "$fx" || true
	"$FERRY" cancel "$(tail -n1 "$TMP/send.out")" --state "$HUB" \
	    >/dev/null 2>&1 || true
	grep '"op":"transfer.start"' "$TMP/fx.out" | head -n1 | jq -r .root
}

# root_is PLATFORM WANT: the root given for that claim, and only a.exr.
root_is() {
	got=$(claim "$1")
	checks=$((checks + 1))
	[ "$got" = "$2" ] ||
	    fail "claiming $1, the vendor got root '$got', not '$2': $(cat "$TMP/fx.out")"
	checks=$((checks + 1))
	grep '"op":"transfer.start"' "$TMP/fx.out" | head -n1 |
	    jq -e '.expect == ["show/sh030/a.exr"]' >/dev/null ||
	    fail "claiming $1: not only the granted file: $(grep transfer.start "$TMP/fx.out")"
	checks=$((checks + 1))
	! grep -q 'S:\\\\\|fileserver\|other\|sh040' "$TMP/fx.out" ||
	    fail "claiming $1, the vendor heard of another's root: $(cat "$TMP/fx.out")"
}
root_is windows 'C:\fx\studio'
root_is linux "$F"
# No "mac" root in its entry: the POSIX one, not the defaults' /Volumes.
root_is macos "$F"

# Another platform, a path for one, a number: refused, audited.
for p in hurd '..\\\\..\\\\S:' ''; do
	run 1 "$EVIL" talk "$TMP/fx-ws" --hold 300 --first \
	    "{\"op\":\"hello\",\"name\":\"fx-ws\",\"platform\":\"$p\"}"
	checks=$((checks + 1))
	grep -q "unknown platform" "$TMP/out" "$TMP/err" ||
	    fail "platform '$p' was not refused: $(cat "$TMP/out" "$TMP/err")"
done
audit_has hello.refused fx-ws
run 1 "$EVIL" talk "$TMP/fx-ws" --hold 300 --first \
    '{"op":"hello","name":"fx-ws","platform":42}'
audit_has message.refused 127.0.0.1

# Claiming Windows does not make the studio's S: the vendor's: a publish
# of S:\show\sh030 is under no share of its own.
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 3000 --first \
    '{"op":"hello","name":"fx-ws","platform":"windows"}' --send \
    '{"op":"api","req":"0123456789abcdef0123456789abcdef","request":{"op":"publish","paths":["S:\\show\\sh030"]}}'
checks=$((checks + 1))
grep '"re":"0123456789abcdef' "$TMP/out" | grep -q "under no share" ||
    fail "a publish of S:\\show\\sh030: $(grep '"re"' "$TMP/out")"
checks=$((checks + 1))
"$FERRY" jobs --json --state "$HUB" | jq -e 'map(select(.meta.publish)) |
    length == 0' >/dev/null 2>&1 ||
    fail "a publish job was made: $("$FERRY" jobs --json --state "$HUB")"
finish
