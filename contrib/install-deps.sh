#!/bin/sh
# Installs what ferry needs on Debian 12 (bookworm): the build dependencies
# and jq (the quickstart reads JSON with it); with --ftrack also node and
# npm (the quickstart's ftrack demo runs the ftrack double), with --deb
# what `make deb` needs, with --win what the Windows cross-build needs,
# and with --test everything the test suite and CI use. Idempotent and
# non-interactive; uses sudo when not run as root.
set -eu

build="build-essential autoconf automake pkg-config
	libjansson-dev libcurl4-openssl-dev libssl-dev libssh2-1-dev
	libsqlite3-dev libpq-dev librsync-dev libxxhash-dev libmicrohttpd-dev jq"
test="clang libclang-rt-14-dev rdiff iproute2 openssl"
# tests/sftp/ start a private sshd (and bench/ compares with scp).
test="$test openssh-server openssh-client"
# tests/ftrack/listener.sh edits ferry-ftrack's spool with the sqlite3 shell.
test="$test sqlite3"
# tests/pg/ run the hub's store on a real PostgreSQL (initdb, pg_ctl).
test="$test postgresql"
# tests/mail/outbox.sh sends to a real SMTP server, aiosmtpd.
test="$test python3-aiosmtpd"
# tests/agent/relay.sh checks what arrives by xxh3-128 (xxhsum -H2).
test="$test xxhash"
# tests/agent/web.sh looks at the hub's status page in a real browser.
test="$test chromium curl"
# make check-valgrind runs the daemon suites under valgrind's memcheck.
test="$test valgrind"
# make deb and make check-deb (tests/pkg/deb.sh) build and check the package.
deb="debhelper dpkg-dev fakeroot lintian"
test="$test $deb"
# tests/win/ cross-builds the Windows side's pure parts with mingw-w64 and
# runs them under wine (docs/windows.md); CI's make check-win builds the
# Windows libraries and the Windows tree too (the --win list below).
test="$test gcc-mingw-w64-x86-64-posix wine64"
# tests/lab/ plays NAT boxes with nftables and skews a clock with libfaketime.
test="$test nftables libfaketime"
# Durability tests (tests/transfer/durable*.sh) and bench/ mount loop
# XFS and ext4 images and check the receiver's order of calls by strace.
test="$test xfsprogs e2fsprogs strace"
# tests/agent/store-cancel.sh stops the hub at one call (gdb) to kill it there.
test="$test gdb"

# The ftrack double's tests need node (>= 18) and npm: Debian's, unless a
# node is already installed (NodeSource's node conflicts with Debian's npm).
node=""
if ! command -v node >/dev/null 2>&1; then
	node="nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
	node="npm"
fi

# contrib/win/build-deps.sh: the cross-compiler, and cmake and tclsh for
# the libraries' own builds (docs/windows.md); zip and unzip for make
# win-zip and its test in the Windows build's make check.
win="gcc-mingw-w64-x86-64-posix cmake tcl wine64 zip unzip"
test="$test $win"

want=$build
[ "${1:-}" = --ftrack ] && want="$build $node"
[ "${1:-}" = --test ] && want="$build $test $node"
[ "${1:-}" = --deb ] && want="$build $deb"
[ "${1:-}" = --win ] && want="$build $win"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
