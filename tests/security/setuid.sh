#!/bin/sh
# Attack: publish setuid-root files (issue 9, item 3). A crafted vendor
# offers files with modes 6777 and 1666. The hub writes them as whoever
# runs it (here possibly root): the modes must lose setuid, setgid and
# sticky bits and world write, and the owner is never the sender's.
. "${srcdir:-.}/tests/security/data-lib.sh"
need jq
need stat
sec_setup evil la

printf '#!/bin/sh\nid\n' >"$F/show/sh020/tool"
printf 'anyone may write\n' >"$F/show/sh020/open.exr"
mkdir "$F/show/sh020/kit"
printf 'a\n' >"$F/show/sh020/kit/a" && printf 'b\n' >"$F/show/sh020/kit/b"

evil_publish "$F/show/sh020/tool" --mode show/sh020/tool=6777
checks=$((checks + 1))
[ "$(stat -c %a "$S/show/sh020/tool" 2>&1)" = 775 ] ||
    fail "tool arrived with mode $(stat -c %a "$S/show/sh020/tool" 2>&1)"
checks=$((checks + 1))
[ "$(stat -c %u "$S/show/sh020/tool" 2>&1)" = "$(id -u)" ] ||
    fail "tool is owned by uid $(stat -c %u "$S/show/sh020/tool" 2>&1)"
audit_has transfer.suspect "setuid, setgid and sticky bits dropped"

evil_publish "$F/show/sh020/open.exr" --mode show/sh020/open.exr=1666
checks=$((checks + 1))
[ "$(stat -c %a "$S/show/sh020/open.exr" 2>&1)" = 664 ] ||
    fail "open.exr arrived with mode $(stat -c %a \
    "$S/show/sh020/open.exr" 2>&1)"

# Two files in one job, one of them setgid: both land, neither setgid.
evil_publish "$F/show/sh020/kit" --mode show/sh020/kit/a=2755 \
    --mode show/sh020/kit/b=4711
checks=$((checks + 1))
[ "$(stat -c %a "$S/show/sh020/kit/a" "$S/show/sh020/kit/b" 2>&1 |
    tr '\n' ' ')" = "755 711 " ] ||
    fail "kit modes: $(stat -c '%n %a' "$S/show/sh020/kit/a" \
    "$S/show/sh020/kit/b" 2>&1)"

# At a site's agent receiving for the vendor, the same.
printf '#!/bin/sh\nid\n' >"$F/show/sh020/tool2"
TO=la evil_publish "$F/show/sh020/tool2" --mode show/sh020/tool2=6755
checks=$((checks + 1))
[ "$(stat -c %a "$L/show/sh020/tool2" 2>&1)" = 755 ] ||
    fail "tool2 arrived at la with mode $(stat -c %a \
    "$L/show/sh020/tool2" 2>&1)"
audit_has transfer.suspect "mode 6755"

stop_and_check
finish
