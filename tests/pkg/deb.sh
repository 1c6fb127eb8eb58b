#!/bin/sh
# The Debian package end to end (make check-deb; it installs into the
# system, so it is not part of make check): builds it, checks it with
# lintian, installs it with dpkg -i, makes a hub and an agent as the ferry
# user without systemd, sends a file, then removes and purges the package.
# Usage: tests/pkg/deb.sh DEB (as root, on a machine without ferry
# installed).
set -eu
deb=$1
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
checks=0 failures=0
TMP=$(mktemp -d)
chmod 755 "$TMP"
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); "$@" || fail "$*"; }
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	dpkg -P ferry >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "tests/pkg/deb.sh installs a package: run it as root" >&2; exit 77; }
if dpkg -s ferry >/dev/null 2>&1; then
	echo "ferry is installed already: this test would remove it" >&2
	exit 1
fi

# lintian: no errors (it refuses to run as root in places: as nobody).
cp "$deb" "$TMP/ferry.deb"
chmod 644 "$TMP/ferry.deb"
su nobody -s /bin/sh -c "lintian $TMP/ferry.deb" >"$TMP/lintian" 2>&1 || true
checks=$((checks + 1))
! grep -q '^E:' "$TMP/lintian" || fail "lintian: $(grep '^E:' "$TMP/lintian")"

dpkg -i "$TMP/ferry.deb" >"$TMP/dpkg.out" 2>&1 || fail "dpkg -i: $(cat "$TMP/dpkg.out")"
check test -x /usr/sbin/ferryd
check test -x /usr/bin/ferry
check test -x /usr/bin/ferry-ftrack
check test -f /usr/share/man/man8/ferryd.8.gz
check test -f /usr/share/bash-completion/completions/ferry
check test -f /lib/systemd/system/ferryd.service
check test -f /usr/share/doc/ferry/examples/share-map.json
checks=$((checks + 1))
getent passwd ferry >/dev/null || fail "no ferry user"
checks=$((checks + 1))
[ "$(stat -c '%U %a' /var/lib/ferry)" = "ferry 700" ] ||
    fail "/var/lib/ferry: $(stat -c '%U %a' /var/lib/ferry)"
# Not enabled, not started.
checks=$((checks + 1))
! ls /etc/systemd/system/*.wants/ferryd.service >/dev/null 2>&1 ||
    fail "ferryd.service was enabled on install"

# A hub in /var/lib/ferry and an agent, both as the ferry user.
port=$(( 21000 + $$ % 9000 ))
# setpriv execs (runuser forks and would outlive a kill of its pid).
as_ferry() { setpriv --reuid=ferry --regid=ferry --init-groups -- "$@"; }
as_ferry ferryd init --hub --site hq --listen "127.0.0.1:$port" \
    --state /var/lib/ferry >"$TMP/init.out" 2>&1 || fail "init: $(cat "$TMP/init.out")"
echo "retry-base 1" >>/var/lib/ferry/ferryd.conf
setpriv --reuid=ferry --regid=ferry --init-groups -- \
    ferryd run --state /var/lib/ferry >"$TMP/hub.log" 2>&1 &
pids="$pids $!"
i=0; until [ -S /var/lib/ferry/ferryd.sock ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
install -d -o ferry -g ferry -m 700 "$TMP/la" "$TMP/src" "$TMP/dst"
code=$(as_ferry ferry invite --site la --state /var/lib/ferry | tail -n1)
as_ferry ferryd enroll "127.0.0.1:$port" "$code" --state "$TMP/la/state" \
    --name la-server >"$TMP/enroll.out" 2>&1 || fail "enroll: $(cat "$TMP/enroll.out")"
setpriv --reuid=ferry --regid=ferry --init-groups -- \
    ferryd run --state "$TMP/la/state" >"$TMP/la.log" 2>&1 &
pids="$pids $!"
i=0
until as_ferry ferry status --json --state /var/lib/ferry 2>/dev/null |
    grep -q la-server || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
head -c 500000 /dev/urandom >"$TMP/src/plate.exr"
chown ferry:ferry "$TMP/src/plate.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$TMP/src", "sites": { "la": { "linux": "$TMP/dst" } } } } }
JSON
as_ferry ferry share import "$TMP/map.json" --state /var/lib/ferry >/dev/null ||
    fail "share import"
as_ferry ferry send --from hq --to la --wait --state /var/lib/ferry \
    "$TMP/src/plate.exr" >"$TMP/send.out" 2>&1 || fail "send: $(cat "$TMP/send.out" "$TMP/hub.log")"
check cmp -s "$TMP/src/plate.exr" "$TMP/dst/plate.exr"
checks=$((checks + 1))
[ "$(stat -c %U "$TMP/dst/plate.exr")" = ferry ] || fail "the file is not ferry's"
for p in $pids; do kill "$p"; done
wait 2>/dev/null || true
pids=""

# Remove keeps the state; purge takes it and the user.
dpkg -r ferry >"$TMP/dpkg.out" 2>&1 || fail "dpkg -r: $(cat "$TMP/dpkg.out")"
check test ! -e /usr/sbin/ferryd
check test -f /var/lib/ferry/hub.db
dpkg -P ferry >"$TMP/dpkg.out" 2>&1 || fail "dpkg -P: $(cat "$TMP/dpkg.out")"
check test ! -e /var/lib/ferry
checks=$((checks + 1))
! getent passwd ferry >/dev/null || fail "the ferry user is still there"
checks=$((checks + 1))
! dpkg -s ferry >/dev/null 2>&1 || fail "dpkg still knows ferry"
echo "$checks checks, $failures failed" >&2
[ "$failures" -eq 0 ]
