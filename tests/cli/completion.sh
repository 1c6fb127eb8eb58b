#!/bin/sh
# Bash completion (contrib/completion/ferry): ferry's and ferryd's
# subcommands and options as their --help lists them, and the hub's site
# and user names after --to and in `ferry site set`.
. "${srcdir:-.}/tests/agent/lib.sh"
need bash

make_hub
echo '{ "sites": ["la"], "shares": { "storage": { "linux": "/srv" } } }' \
    >"$TMP/map.json"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"
# A person the hub knows: an enrolled agent (it need not run).
code=$("$FERRY" invite --user vendor@fx.example --clearance restricted \
    --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/vendor" \
    --name vendor-ws >/dev/null || fail "enrolling the vendor failed"
bindir=$TMP/bin
mkdir -p "$bindir"
ln -s "$FERRY" "$bindir/ferry"
ln -s "$FERRYD" "$bindir/ferryd"

# complete WORDS...: what TAB offers after WORDS (the last one is being
# typed), one per line.
complete_line() {
	PATH="$bindir:$PATH" bash -c '
	    . "$0"
	    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    _ferry
	    printf "%s\n" "${COMPREPLY[@]}"' \
	    "$srcdir/contrib/completion/ferry" "$@" >"$TMP/out" 2>"$TMP/err"
}
offers() {	# offers WORD: the last completion offered WORD
	checks=$((checks + 1))
	grep -qx -- "$1" "$TMP/out" || {
		fail "completion lacks $1:"; sed 's/^/  | /' "$TMP/out" >&2; }
}
offers_not() {
	checks=$((checks + 1))
	! grep -qx -- "$1" "$TMP/out" || fail "completion offers $1"
}

complete_line ferry se
offers send; offers_not status
# Every command ferry lists, so the completion cannot lag the table.
for c in $("$FERRY" --help 2>&1 | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
	complete_line ferry "$c"
	offers "$c"
done
complete_line ferry send --w
offers --wait
complete_line ferry send --st
offers --state
complete_line ferry jobs --
offers --json; offers --limit; offers_not --wait
complete_line ferryd e
offers enroll
complete_line ferryd run --
offers --allow-root
# Names from the hub's status, with --state as typed on the line.
complete_line ferry send --state "$HUB" --to ""
offers hq; offers la; offers vendor@fx.example
# ...or from $FERRY_STATE, as ferry itself does.
export FERRY_STATE="$HUB"
complete_line ferry site set l
offers la; offers_not hq
complete_line ferry acl set v
offers vendor@fx.example
unset FERRY_STATE
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -c '[.sites, [.users[].email]]' "$TMP/out")" = \
    '[["hq","la"],["vendor@fx.example"]]' ] ||
    fail "status --json names: $(cat "$TMP/out")"
# Files after the options.
touch "$TMP/plate.1001.exr"
complete_line ferry send --to la "$TMP/plate.10"
offers "$TMP/plate.1001.exr"

stop_and_check
finish
