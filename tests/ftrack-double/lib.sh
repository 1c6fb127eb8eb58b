# Sourced by the shell tests that use the ftrack double (tests/ftrack/*.sh):
#   double_need              node >= 18 and the npm modules, or skip (77);
#                            under CI=true a missing piece fails instead
#   double_start [ARGS...]   start server.js on a free port; sets DOUBLE_URL
#                            (http://127.0.0.1:PORT) and DOUBLE_PID; extra
#                            ARGS go to server.js (e.g. --api-key KEY); its
#                            log goes to $DOUBLE_LOG if set (else none)
#   double_stop              stop it (call it from your EXIT trap)
# The modules are looked for in $FERRY_NODE_MODULES, then in
# $srcdir/tests/ftrack-double/node_modules (npm ci --prefix tests/ftrack-double).

DOUBLE_DIR="${srcdir:-.}/tests/ftrack-double"
DOUBLE_URL=
DOUBLE_PID=

double_missing() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 (CI must provide it)" >&2
		exit 1
	fi
	echo "SKIP: $1" >&2
	exit 77
}

double_need() {
	command -v node >/dev/null 2>&1 ||
	    double_missing "node is not installed (contrib/install-deps.sh --test)"
	node -e 'process.exit(parseInt(process.versions.node, 10) < 18 ? 1 : 0)' ||
	    double_missing "node $(node --version) is older than 18"
	for modules in "${FERRY_NODE_MODULES:-}" "$DOUBLE_DIR/node_modules"; do
		[ -n "$modules" ] && [ -f "$modules/ws/package.json" ] &&
		    [ -f "$modules/@ftrack/api/package.json" ] && break
		modules=
	done
	[ -n "$modules" ] || double_missing "the ftrack double's npm modules \
are missing: run npm ci --prefix tests/ftrack-double"
	NODE_PATH=$(cd "$modules" && pwd)
	export NODE_PATH
}

double_start() {
	_double_out=$(mktemp)
	if [ -n "${DOUBLE_LOG:-}" ]; then
		node "$DOUBLE_DIR/server.js" --port 0 "$@" >"$_double_out" \
		    2>>"$DOUBLE_LOG" &
	else
		node "$DOUBLE_DIR/server.js" --port 0 --quiet "$@" \
		    >"$_double_out" &
	fi
	DOUBLE_PID=$!
	_i=0
	while [ $_i -lt 100 ]; do
		DOUBLE_URL=$(sed -n 's/^listening on //p' "$_double_out")
		[ -n "$DOUBLE_URL" ] && break
		kill -0 "$DOUBLE_PID" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	rm -f "$_double_out"
	if [ -z "$DOUBLE_URL" ]; then
		echo "FAIL: the ftrack double did not start" >&2
		double_stop
		exit 1
	fi
}

double_stop() {
	[ -n "$DOUBLE_PID" ] || return 0
	kill "$DOUBLE_PID" 2>/dev/null
	wait "$DOUBLE_PID" 2>/dev/null
	DOUBLE_PID=
}
