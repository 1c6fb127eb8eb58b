#!/bin/sh
# Attack: read files outside a grant through a symlink inside it (issue 9,
# item 1). The vendor may read and write storage:show/sh020 and read
# storage:show/sh030 only; symlinks planted there (by anyone) lead to
# sh010, to /etc, or are swapped in after the hub checked the request.
# ferry opens every component from the share root without following a
# symlink, on the hub and on a site's agent, so each is refused.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
sec_setup la
FX="$TMP/fx-ws"

ln -s ../sh010 "$S/show/sh020/lnk"
ln -s ../sh010/secret.mov "$S/show/sh020/flnk.mov"
ln -s /etc "$S/show/sh020/abs"
ln -s ../sh010 "$L/show/sh030/lnk"

# A directory symlink, named with a trailing slash (lstat follows it).
vendor_asks hq "$S/show/sh020/lnk/" "show/sh020/lnk: a symlink" \
    show/sh020/lnk
# Through it, to one file.
vendor_asks hq "$S/show/sh020/lnk/secret.mov" "show/sh020/lnk: a symlink"
# A file symlink.
vendor_asks hq "$S/show/sh020/flnk.mov" "show/sh020/flnk.mov: a symlink" \
    show/sh020/flnk.mov
# An absolute symlink, out of the share altogether.
vendor_asks hq "$S/show/sh020/abs/passwd" "show/sh020/abs: a symlink" \
    show/sh020/abs
# The granted directory itself, symlinks inside: the whole request fails.
vendor_asks hq "$S/show/sh020" "a symlink"
# A site's agent lists and sends for the vendor: it refuses too.
vendor_asks la "$L/show/sh030/lnk/" "show/sh030/lnk: a symlink" \
    show/sh030/lnk
checks=$((checks + 1))
[ ! -e "$F/show/sh020/lnk" ] && [ ! -e "$F/show/sh020/flnk.mov" ] &&
    [ ! -e "$F/show/sh020/abs" ] && [ ! -e "$F/show/sh030/lnk" ] ||
    fail "the vendor got files through a symlink: $(find "$F" | sort)"
rm "$S/show/sh020/lnk" "$S/show/sh020/flnk.mov" "$S/show/sh020/abs"

# A fifo and a device are not files: refused before anything is opened.
mkfifo "$S/show/sh020/pipe"
vendor_asks hq "$S/show/sh020/pipe" "show/sh020/pipe: not a file or directory"
if mknod "$S/show/sh020/null" c 1 3 2>/dev/null; then
	vendor_asks hq "$S/show/sh020/null" \
	    "show/sh020/null: not a file or directory"
	rm "$S/show/sh020/null"
fi
rm "$S/show/sh020/pipe"

# The race: the request is checked with a real directory, which becomes a
# symlink to sh010 before the hub opens the file. The vendor's agent is
# down meanwhile, so the job waits.
printf 'secret of sh010\n' >"$S/show/sh010/x.mov"
mkdir "$S/show/sh020/d"
printf 'granted\n' >"$S/show/sh020/d/x.mov"
# The same on la, which opens the file itself when it sends.
mkdir "$L/show/sh030/d"
printf 'granted\n' >"$L/show/sh030/d/x.mov"
printf 'secret of la sh010\n' >"$L/show/sh010/x.mov"
kill "$FXPID"; wait "$FXPID" 2>/dev/null || true
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" "$S/show/sh020/d/x.mov"
rid=$(tail -n1 "$TMP/out")
run 0 "$FERRY" send --from la --to "$V" --state "$HUB" "$L/show/sh030/d/x.mov"
lid=$(tail -n1 "$TMP/out")
mv "$S/show/sh020/d" "$S/show/sh020/d.real"
ln -s ../sh010 "$S/show/sh020/d"
mv "$L/show/sh030/d" "$L/show/sh030/d.real"
ln -s ../sh010 "$L/show/sh030/d"
start_daemon "$FX"
wait_linked fx-ws
job_fails "$rid" "show/sh020/d: a symlink"
job_fails "$lid" "show/sh030/d: a symlink"
checks=$((checks + 1))
[ ! -e "$F/show/sh020/d/x.mov" ] && [ ! -e "$F/show/sh030/d/x.mov" ] ||
    fail "the vendor got an x.mov of sh010"
rm "$S/show/sh020/d"; mv "$S/show/sh020/d.real" "$S/show/sh020/d"

# The vendor publishes through a symlink planted in the hub's tree.
ln -s ../sh010 "$S/show/sh020/up"
mkdir -p "$F/show/sh020/up"
printf 'overwrite\n' >"$F/show/sh020/up/secret.mov"
run 0 "$FERRY" send --from "$V" --to hq --state "$FX" \
    "$F/show/sh020/up/secret.mov"
job_fails "$(tail -n1 "$TMP/out")" "show/sh020/up: a symlink"
checks=$((checks + 1))
[ "$(head -c 9 "$S/show/sh010/secret.mov")" != overwrite ] ||
    fail "the vendor wrote sh010/secret.mov through a symlink"
rm "$S/show/sh020/up"

# A hard link is the file it names: it is in the grant because someone
# who could read the file put it there (docs/security.md). Sent as is.
ln "$S/show/sh010/x.mov" "$S/show/sh020/hard.mov"
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$FX" \
    "$S/show/sh020/hard.mov"
checks=$((checks + 1))
cmp -s "$S/show/sh020/hard.mov" "$F/show/sh020/hard.mov" ||
    fail "the hard link was not delivered"

stop_and_check
finish
