#!/bin/sh
# Attack: a vendor's publish listing more files than the hub takes in one
# job. A send counts every file its source lists against max-job-files
# (list-endless.sh), before anything is kept; a publish did not count at
# all, and keeps every listed file in memory until the job is stored (no
# plan on disk as a send's). The crafted agent's person names one folder
# 3 times, and the agent answers each listing with 600 files: 1,800
# tasks held by a hub whose max-job-files is 1,000 (named 1,000 times,
# with 256 KiB answers of ~3,000 files each, that is 3 million). The hub
# must count a publish's files as a send's, however listed.
. "${srcdir:-.}/tests/security/lib.sh"

R=0123456789abcdef0123456789abcdef
V=fx@vendor.example
S="$TMP/hq" F="$TMP/fx"
mkdir -p "$S" "$F/show/shot"
share_map "$S" "$V=$F"
HUB_CONF="max-job-files 1000"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

jq -cn --arg p "$F/show/shot" '{re: "@req", files: [range(600) |
    {path: "\($p)/f\(.)", size: 1}]}' >"$TMP/page.json"
pub=$(jq -cn --arg p "$F/show/shot" --arg r "$R" '{op: "api", req: $r,
    request: {op: "publish", paths: [$p, $p, $p]}}')
"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 8000)" --send "$pub" \
    --on "list=@$TMP/page.json" >"$TMP/fx.out" 2>&1 &
ev=$!
wait_grep "\"re\":\"$R\"" "$TMP/fx.out" || :
kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || :
reply=$(grep "\"re\":\"$R\"" "$TMP/fx.out" | head -n1)
echo "publish of 3 x 600 files: $(printf '%s\n' "$reply" | cut -c1-300)"
checks=$((checks + 1))
printf '%s\n' "$reply" | jq -e '.reply.error // "" |
    contains("max-job-files")' >/dev/null ||
    fail "1,800 listed files taken past max-job-files 1000: $reply"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out" 2>/dev/null || echo x)" = 0 ] ||
    fail "a job was made: $(cut -c1-300 "$TMP/out")"
audit_has list.limit "$V"
finish
