#!/bin/sh
# Attack: files marked delivered that never came, at a site. As
# publish-unsent.sh, but the vendor publishes to la, a site's agent: la
# listens, the crafted vendor says at once that the file arrived and the
# transfer ended well, and never connects. la receives nothing and says
# so (its transfer fails), but a file's fate was the sender's word: the
# task was done with nothing at la. A person's machine is not trusted to
# say what arrived: the receiver (la, which checks every byte it
# commits) says so. Then the same file really sent is done at la.
. "${srcdir:-.}/tests/security/data-lib.sh"
: "${EVIL:?EVIL must name evil-agent (make check sets it)}"
sec_setup evil la
wait_grep() {
	i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}
head -c 100000 /dev/urandom >"$F/show/sh020/unsent.mov"
list="{\"re\":\"@req\",\"files\":[{\"path\":\"$F/show/sh020/unsent.mov\",\"size\":100000}]}"
file='{"op":"transfer.file","id":"@id","index":0,"ok":true}'
done='{"op":"transfer.done","id":"@id","ok":true,"bytes":100000,"wire_bytes":100000}'
"$EVIL" talk "$TMP/evil" --hold 40000 --on "list=$list" \
    --on "transfer.start=$file" --on "transfer.start=$done" \
    >"$TMP/evil.out" 2>&1 &
epid=$!
pids="$pids $epid"
wait_grep '"op":"welcome"' "$TMP/evil.out" || fail "no welcome: $(cat "$TMP/evil.out")"
run 0 "$FERRY" send --from "$V" --to la --state "$HUB" "$F/show/sh020/unsent.mov"
jid=$(tail -n1 "$TMP/out")
wait_grep '"op":"transfer.start"' "$TMP/evil.out" || fail "no transfer.start"
# la waits for the vendor's connection, then gives up.
i=0
until "$FERRY" job "$jid" --json --state "$HUB" | jq -e \
    '.tasks[0] | .state == "done" or .error != null' >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 400 ] || break; sleep 0.1
done
"$FERRY" cancel "$jid" --state "$HUB" >/dev/null 2>&1 || true
run 0 "$FERRY" job "$jid" --json --state "$HUB"
checks=$((checks + 1))
[ ! -e "$L/show/sh020/unsent.mov" ] || fail "unsent.mov is at la"
checks=$((checks + 1))
[ "$(jq -r '.tasks[0].state' "$TMP/out")" != done ] ||
    fail "the task is done, with nothing at la: $(jq -c '.tasks' "$TMP/out")"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true

# What la does receive is done.
TO=la evil_publish "$F/show/sh020/unsent.mov"
checks=$((checks + 1))
[ "$(cat "$TMP/out")" = "done " ] || fail "the real publish: $(cat "$TMP/out" "$TMP/evil.out")"
cmp -s "$F/show/sh020/unsent.mov" "$L/show/sh020/unsent.mov" ||
    fail "unsent.mov differs at la"
finish
