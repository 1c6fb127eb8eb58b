#!/bin/sh
# Attack: files marked delivered that never came. A vendor's publish to
# the hub's own site: the hub itself is the receiver, and knows what it
# committed; yet each file's fate was the sending agent's word (its
# transfer.file). The crafted vendor answers the hub's listing, and on
# transfer.start says at once that the file arrived and the transfer
# ended well, and never connects. The task must not be done: the hub
# received nothing, and ferry-ftrack would register a component the
# studio does not have. What the hub committed (or found identical
# already) is what is done; the claim is refused. Then the same file,
# really sent, is done, and sent again is found identical and done.
# publish-unsent-site.sh runs the same against la (UNSENT_TO=la).
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
# UNSENT_TO: the receiver, hq (the hub itself) or la (a site's agent);
# AT: where its copy lands.
UNSENT_TO=${UNSENT_TO:-hq}
if [ "$UNSENT_TO" = hq ]; then sec_setup evil; else sec_setup evil la; fi
AT=$S; [ "$UNSENT_TO" = hq ] || AT=$L
head -c 100000 /dev/urandom >"$F/show/sh020/unsent.mov"
file='{"op":"transfer.file","id":"@id","index":0,"ok":true}'
done='{"op":"transfer.done","id":"@id","ok":true,"bytes":100000,"wire_bytes":100000}'
evil_talk 40000 "$F/show/sh020/unsent.mov" 100000 --on "transfer.start=$file" --on "transfer.start=$done"
run 0 "$FERRY" send --from "$V" --to "$UNSENT_TO" --state "$HUB" "$F/show/sh020/unsent.mov"
jid=$(tail -n1 "$TMP/out")
wait_grep '"op":"transfer.start"' "$TMP/evil.out" || fail "no transfer.start"
# The receiver waits for the vendor's data connection, then gives up.
i=0
until "$FERRY" job "$jid" --json --state "$HUB" | jq -e \
    '.tasks[0] | .state == "done" or .error != null' >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.1
done
"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
run 0 "$FERRY" job "$jid" --json --state "$HUB"
checks=$((checks + 1))
[ ! -e "$AT/show/sh020/unsent.mov" ] || fail "unsent.mov is at $UNSENT_TO"
checks=$((checks + 1))
[ "$(jq -r '.tasks[0].state' "$TMP/out")" != done ] ||
    fail "the task is done, with nothing at $UNSENT_TO: $(jq -c '.tasks' "$TMP/out")"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true

# What the receiver does receive is done: sent whole, then found
# identical.
for k in 1 2; do
	TO=$UNSENT_TO evil_publish "$F/show/sh020/unsent.mov"
	checks=$((checks + 1))
	[ "$(cat "$TMP/out")" = "done " ] ||
	    fail "publish $k: $(cat "$TMP/out" "$TMP/evil.out")"
done
checks=$((checks + 1))
grep -q "whole=0 delta=0" "$TMP/evil.out" ||
    fail "the second publish was not found identical: $(cat "$TMP/evil.out")"
cmp -s "$F/show/sh020/unsent.mov" "$AT/show/sh020/unsent.mov" ||
    fail "unsent.mov differs at $UNSENT_TO"
finish
