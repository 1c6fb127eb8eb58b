#!/bin/sh
# The whole test suite: installs the test dependencies, then builds ferry
# twice out of tree (build/check with -Werror, build/asan with
# AddressSanitizer and UBSan) and runs `make check` in each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
contrib/install-deps.sh --test
# The ftrack double's npm modules, from the lockfile; distcheck's copy of
# the tests finds them through FERRY_NODE_MODULES. Node trusts only its
# own CA list: give it the system's too, where a site's proxy CA lives.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] &&
    [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	export NODE_EXTRA_CA_CERTS
fi
npm ci --prefix tests/ftrack-double --no-audit --no-fund --loglevel=error \
    >/dev/null
FERRY_NODE_MODULES="$top/tests/ftrack-double/node_modules"
export FERRY_NODE_MODULES
./autogen.sh

jobs=$(nproc 2>/dev/null || echo 2)
check() {
	dir=$1; shift
	echo "=== $dir: configure $* ($(date -u +%T))"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out &&
	    make -j"$jobs" >make.out &&
	    make -j"$jobs" check) || {
		for log in "$dir"/test-suite.log "$dir"/make.out "$dir"/config.log; do
			[ -f "$log" ] && { echo "--- $log"; tail -n 120 "$log"; break; }
		done
		echo "=== $dir: FAILED" >&2
		exit 1
	}
}
check build/check
check build/asan --enable-asan --enable-ubsan
# One closing line for people and CI: totals over both builds.
pass=0; fail=0; skip=0
for log in build/check/test-suite.log build/asan/test-suite.log; do
	pass=$((pass + $(sed -n 's/^# PASS: *//p' "$log")))
	fail=$((fail + $(sed -n 's/^# FAIL: *//p' "$log")))
	skip=$((skip + $(sed -n 's/^# SKIP: *//p' "$log")))
done
echo "$pass passed, $fail failed, $skip skipped"
