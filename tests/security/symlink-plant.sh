#!/bin/sh
# Attack: plant symlinks on the hub (issue 9, item 2). A crafted vendor,
# granted storage:show/sh020 write, publishes a file the hub asked for as
# a symlink (up -> ../.., then esc -> up/../../.., which the old depth
# count let through), as a directory, and adds entries it was never asked
# for, with ".." spelt in other ways. The hub asked for files: it takes
# regular files, by the names it listed, and nothing else; so does a
# site's agent receiving for it, which reports to the hub.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
sec_setup evil la

for f in up esc d1 ok.exr; do
	printf 'vendor file %s\n' "$f" >"$F/show/sh020/$f"
done

# A symlink where a file was asked for.
evil_publish "$F/show/sh020/up" --symlink show/sh020/up=../..
checks=$((checks + 1))
grep -q "a symlink, and this transfer takes none" "$TMP/evil.out" ||
    fail "up as a symlink: $(cat "$TMP/evil.out")"
checks=$((checks + 1))
[ ! -L "$S/show/sh020/up" ] ||
    fail "the hub made up -> $(readlink "$S/show/sh020/up")"
audit_has transfer.suspect "show/sh020/up"

# Through it, out of the share.
evil_publish "$F/show/sh020/esc" --symlink show/sh020/esc=up/../../..
checks=$((checks + 1))
[ ! -L "$S/show/sh020/esc" ] ||
    fail "the hub made esc -> $(readlink "$S/show/sh020/esc")"
audit_has transfer.suspect "show/sh020/esc"

# A directory where a file was asked for.
evil_publish "$F/show/sh020/d1" --dir show/sh020/d1
checks=$((checks + 1))
grep -q "not part of this transfer (offered as a directory)" \
    "$TMP/evil.out" || fail "d1 as a directory: $(cat "$TMP/evil.out")"
checks=$((checks + 1))
[ ! -d "$S/show/sh020/d1" ] || fail "the hub made directory d1"
audit_has transfer.suspect "show/sh020/d1"

# Entries never asked for, beside a good one: a symlink, and names with
# ".." spelt otherwise (percent-encoded, full-width, backslashes, a
# trailing slash, "." and empty components, absolute).
evil_publish "$F/show/sh020/ok.exr" \
    --extra-symlink show/sh020/extra=ok.exr \
    --extra-file 'show/sh020/%2e%2e/x=show/sh020/ok.exr' \
    --extra-file 'show/sh020/．．/x=show/sh020/ok.exr' \
    --extra-file 'show/sh020/..\..\x=show/sh020/ok.exr' \
    --extra-file 'show/sh020/x/=show/sh020/ok.exr' \
    --extra-file 'show/./sh020/y=show/sh020/ok.exr' \
    --extra-file 'show//sh020/z=show/sh020/ok.exr' \
    --extra-file 'show/sh020/../sh010/secret.mov=show/sh020/ok.exr' \
    --extra-file "$S/show/sh010/secret.mov=show/sh020/ok.exr"
checks=$((checks + 1))
cmp -s "$F/show/sh020/ok.exr" "$S/show/sh020/ok.exr" ||
    fail "the asked-for file did not arrive: $(cat "$TMP/evil.out")"
checks=$((checks + 1))
[ "$(cd "$S/show" && find . | sort | tr '\n' ' ')" = \
    ". ./sh010 ./sh010/secret.mov ./sh020 ./sh020/ok.exr \
./sh020/plate.exr " ] ||
    fail "something else was written: $(cd "$S/show" && find . | sort)"
checks=$((checks + 1))
[ "$(head -c 11 "$S/show/sh010/secret.mov")" != "vendor file" ] ||
    fail "sh010/secret.mov was overwritten"
audit_has transfer.suspect "show/sh020/extra"
audit_has transfer.suspect "show/sh020/%2e%2e/x"

# The same at a site's agent (la listens, the vendor connects): la
# refuses, and the hub's audit trail has it from la.
printf 'vendor file up2\n' >"$F/show/sh020/up2"
TO=la evil_publish "$F/show/sh020/up2" --symlink show/sh020/up2=../..
checks=$((checks + 1))
grep -q "a symlink, and this transfer takes none" "$TMP/evil.out" &&
    [ ! -L "$L/show/sh020/up2" ] ||
    fail "la took up2 as a symlink: $(cat "$TMP/evil.out")"
audit_has transfer.suspect "show/sh020/up2"

stop_and_check
finish
