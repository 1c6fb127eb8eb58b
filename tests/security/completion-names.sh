#!/bin/sh
# Bash completion (contrib/completion/ferry) offers the hub's site and
# user names as they are: a name such as "$(touch FILE)", taken from a
# vendor's e-mail or a share map someone sent, is a word to offer, never
# shell to run as whoever pressed TAB (compgen -W expands its words).
. "${srcdir:-.}/tests/security/lib.sh"
need bash

make_hub
site='s$(touch${IFS}'"$TMP"'/pwned-site)'
email='v$(touch${IFS}'"$TMP"'/pwned-user)`touch${IFS}'"$TMP"'/pwned-tick`@fx.example'
jq -n --arg s "$site" '{ sites: [$s], shares: { storage: { linux: "/srv" } } }' \
    >"$TMP/map.json"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" site set "$site" --bwlimit 0 --state "$HUB"
enrol_evil vendor "$email"
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
jq -e --arg s "$site" --arg e "$email" '(.sites | index($s)) and
    (.users | any(.email == $e))' "$TMP/out" >/dev/null ||
    fail "the hub does not list the names: $(cat "$TMP/out")"
bindir=$TMP/bin
mkdir -p "$bindir"
ln -s "$FERRY" "$bindir/ferry"
PATH="$bindir:$PATH" bash -c '
    . "$0"
    COMP_WORDS=(ferry send --state "$1" --to ""); COMP_CWORD=5
    _ferry
    printf "%s\n" "${COMPREPLY[@]}"' \
    "$srcdir/contrib/completion/ferry" "$HUB" >"$TMP/offered" 2>&1
for f in pwned-site pwned-user pwned-tick; do
	checks=$((checks + 1))
	[ ! -e "$TMP/$f" ] || fail "completing --to ran a name as shell ($f)"
done
# The names offered are the names, character for character.
checks=$((checks + 1))
grep -qxF -- "$site" "$TMP/offered" && grep -qxF -- "$email" "$TMP/offered" ||
    fail "completion did not offer the names as they are: $(cat "$TMP/offered")"
finish
