#!/bin/sh
# Least privilege: `ferryd run` as root is refused unless --allow-root is
# given, and warns when it is; files ferryd makes follow the umask of its
# configuration (default 027), received files the sender's modes less o+w
# and less receive-umask's bits, and a bad umask is refused.
. "${srcdir:-.}/tests/security/lib.sh"
need openssl

"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"
if [ "$(id -u)" = 0 ]; then
	run 1 timeout 10 "$FERRYD" run --state "$HUB"
	err_has "refusing to run as root"
	checks=$((checks + 1))
	[ ! -S "$HUB/ferryd.sock" ] || fail "ferryd ran as root"
	echo "umask 999" >>"$HUB/ferryd.conf"
	run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$HUB"
	err_has "umask"
	sed -i '/^umask 999$/d' "$HUB/ferryd.conf"
fi
start_daemon "$HUB"
HUBPID=$DPID
if [ "$(id -u)" = 0 ]; then
	checks=$((checks + 1))
	grep -q "running as root" "$HUB.log" || fail "no warning: $(cat "$HUB.log")"
fi

# A directory la makes for what it receives: 0750 under umask 027; the
# files themselves keep the sender's modes, less o+w (docs/security.md).
S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010" "$L"
echo "comp" >"$S/show/sh010/comp.mov"
echo "notes" >"$S/show/sh010/notes.txt"
chmod 0644 "$S/show/sh010/comp.mov"
chmod 0666 "$S/show/sh010/notes.txt"
share_map "$S" la="$L"
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/comp.mov" "$S/show/sh010/notes.txt"
checks=$((checks + 1))
[ "$(stat -c %a "$L/show/sh010")" = 750 ] ||
    fail "la's new directory: $(stat -c %a "$L/show/sh010")"
checks=$((checks + 1))
[ "$(stat -c %a "$L/show/sh010/comp.mov") $(stat -c %a "$L/show/sh010/notes.txt")" = "644 664" ] ||
    fail "received modes: $(stat -c %a "$L/show/sh010/comp.mov" "$L/show/sh010/notes.txt")"

# receive-umask narrows what arrives (a vendor boundary): 027 takes the
# group's write and everything of others' from the sender's modes and
# from the folders made for them (under umask 022 here, which alone would
# leave those 0755); a value not octal, or one taking the owner's bits,
# stops ferryd.
kill "$APID"
wait "$APID" 2>/dev/null
echo "receive-umask 0x7" >>"$TMP/la-server/ferryd.conf"
run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$TMP/la-server"
err_has "receive-umask 0x7 is not an octal mode"
sed -i 's/^receive-umask 0x7$/receive-umask 0700/' "$TMP/la-server/ferryd.conf"
run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$TMP/la-server"
err_has "receive-umask 0700 is not an octal mode such as 027, from 0 to 077"
sed -i 's/^receive-umask 0700$/receive-umask 027/' "$TMP/la-server/ferryd.conf"
echo "umask 022" >>"$TMP/la-server/ferryd.conf"
start_daemon "$TMP/la-server"
APID=$DPID
mkdir -p "$S/show/sh020/kit"
echo "comp" >"$S/show/sh020/comp.mov"
echo "notes" >"$S/show/sh020/notes.txt"
echo "tool" >"$S/show/sh020/kit/tool"
chmod 0644 "$S/show/sh020/comp.mov"
chmod 0666 "$S/show/sh020/notes.txt"
chmod 0775 "$S/show/sh020/kit/tool"
chmod 0777 "$S/show/sh020/kit"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh020"
checks=$((checks + 1))
got=$(cd "$L/show/sh020" && stat -c '%n %a' comp.mov notes.txt kit kit/tool | tr '\n' ' ')
[ "$got" = "comp.mov 640 notes.txt 640 kit 750 kit/tool 750 " ] ||
    fail "received modes under receive-umask 027: $got"
finish
