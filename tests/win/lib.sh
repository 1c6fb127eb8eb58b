# Sourced by the tests of ferryd.exe under wine with a Linux hub
# (tests/win/roots.sh): tests/agent/lib.sh's hub and helpers, then wine
# and the Windows build ($FERRY_WIN_BUILD, default build/win/obj, else
# build/win, in the source tree, with agent/ferryd.exe and ferry.exe);
# without them, 77. WINEPREFIX is the test's own: its C: drive is
# $WINEPREFIX/drive_c on the Linux side.
. "$srcdir/tests/agent/lib.sh"
need openssl
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || need wine64
WB=${FERRY_WIN_BUILD:-$srcdir/build/win/obj}
[ -n "${FERRY_WIN_BUILD:-}" ] || [ -d "$WB" ] || WB=$srcdir/build/win
if [ ! -f "$WB/agent/ferryd.exe" ] || [ ! -f "$WB/ferry.exe" ]; then
	echo "SKIP: no $WB/agent/ferryd.exe or ferry.exe (docs/windows.md)" >&2
	exit 77
fi
WB=$(cd "$WB" && pwd)	# the test changes folders
export WINEPREFIX="$TMP/wine" WINEDEBUG=-all
# Wine turns the Unix command line into Windows' wide one with the
# locale's charset: UTF-8, or a non-ASCII argument is lost before
# ferry.exe sees it.
export LC_ALL=C.UTF-8
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo true)
# On a failure, the daemons' last words: wine's agents leave no core.
wine_logs() {
	[ "${failures:-0}" -eq 0 ] && return 0
	for _l in "$TMP"/*.log; do
		[ -f "$_l" ] || continue
		echo "--- $_l" >&2
		tail -n 15 "$_l" >&2
	done
}
trap 'wine_logs; stop_daemons; "$wineserver" -k 2>/dev/null || true; rm -rf "$TMP"' EXIT
"$wine" wineboot -i >/dev/null 2>&1 || true
DRIVE_C="$WINEPREFIX/drive_c"

# wpath PATH: a Linux path as wine's Z: drive names it.
wpath() {
	printf 'Z:%s' "$1" | tr / '\\'
}

# start_wine_agent NAME: ferryd.exe run --state $TMP/NAME in the
# background (WPID), its log $TMP/NAME.log, until its local API's
# endpoint file is there.
start_wine_agent() {
	rm -f "$TMP/$1/ferryd.sock"
	"$wine" "$WB/agent/ferryd.exe" run --state "$(wpath "$TMP/$1")" \
	    >>"$TMP/$1.log" 2>&1 &
	WPID=$!
	pids="$pids $WPID"
	_i=0
	until grep -q '^ferry-local-tcp' "$TMP/$1/ferryd.sock" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || { fail "ferryd.exe did not start: $(cat "$TMP/$1.log")"; return 1; }
		sleep 0.1
	done
}

# What a wait (send --wait, publish --wait) may take before the test
# gives up on it: an agent that died must fail the test, not hang it.
WAIT_MAX=300

# wine_ferry STATUS NAME ARGS...: ferry.exe ARGS --state $TMP/NAME, as
# run does (output in $TMP/out and $TMP/err, without wine's CRs), for
# WAIT_MAX seconds at most.
wine_ferry() {
	_want=$1 _st=$2
	shift 2
	run "$_want" timeout "$WAIT_MAX" "$wine" "$WB/ferry.exe" "$@" \
	    --state "$(wpath "$TMP/$_st")"
	tr -d '\r' <"$TMP/out" >"$TMP/out.lf" && mv "$TMP/out.lf" "$TMP/out"
	tr -d '\r' <"$TMP/err" >"$TMP/err.lf" && mv "$TMP/err.lf" "$TMP/err"
}
