#!/bin/sh
# Least privilege: `ferryd run` as root is refused unless --allow-root is
# given, and warns when it is; files ferryd makes follow the umask of its
# configuration (default 027), received files the sender's modes less o+w,
# and a bad umask is refused.
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
finish
