#!/bin/sh
# The ftrack REST client over real sockets. Against the ftrack double:
# tests/ftrack/rest-client (server information, paging, a shot resolved in
# four requests, a Job created and updated in one batch, ComponentLocations,
# ftrack's errors, quoting, a wrong key), then ftrack-query with each way
# of giving credentials. Against small servers of our own: 503 twice then
# an answer (retried), 503 always (given up), no answer at all (timeout).
# The API keys never appear in anything printed.
. "${srcdir:-.}/tests/lib.sh"
. "${srcdir:-.}/tests/ftrack-double/lib.sh"

CLIENT=${FTRACK_REST_CLIENT:-tests/ftrack/rest-client}
QUERY=${FTRACK_QUERY:-ftrack/tools/ftrack-query}
KEY=ferry-double-api-key
WRONG=wrong-secret-key-5678
STATE="$TMP/state"
helper=

double_need
trap 'double_stop; [ -z "$helper" ] || kill "$helper" 2>/dev/null; rm -rf "$TMP"' EXIT
# Loopback must not go through a proxy the caller may have set.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
no_proxy=127.0.0.1,localhost
export no_proxy
unset FTRACK_APIKEY FERRY_STATE
mkdir -m 700 "$STATE"

# q STATUS ARGS...: ftrack-query with its stderr kept for the key check.
q() {
	want=$1; shift
	run "$want" "$QUERY" --state "$STATE" "$@"
	cat "$TMP/err" >>"$TMP/all-err"
}

double_start
FTRACK_SERVER=$DOUBLE_URL
FTRACK_API_USER=ferry
FTRACK_API_KEY=$KEY
export FTRACK_SERVER FTRACK_API_USER FTRACK_API_KEY

# The C client's own checks.
run 0 "$CLIENT"
cat "$TMP/err" >>"$TMP/all-err"

# Credentials from the environment.
q 0 --server-info
grep -q '"version": "4.13.8"' "$TMP/out" || fail "no server version: $(cat "$TMP/out")"
q 1 'select id from Nope'
err_has 'refused query "select id from Nope": ServerError: Unknown entity type'

# What is missing is named.
unset FTRACK_API_KEY
q 2 --server-info
err_has 'missing ftrack credentials: the API key (--ftrack-api-key-file or FTRACK_API_KEY)'

# A key file, then stored for later runs (0600).
printf '%s\n' "$KEY" >"$TMP/key"
chmod 600 "$TMP/key"
q 0 --ftrack-api-key-file "$TMP/key" --server-info
unset FTRACK_SERVER FTRACK_API_USER
q 0 --ftrack-url "$DOUBLE_URL" --ftrack-user ferry \
    --ftrack-api-key-file "$TMP/key" --store-credentials --server-info
checks=$((checks + 1))
[ "$(stat -c %a "$STATE/ftrack-credentials")" = 600 ] ||
    fail "stored credentials have mode $(stat -c %a "$STATE/ftrack-credentials")"
q 0 'select name from Location where name is "la"'
grep -q '"name": "la"' "$TMP/out" || fail "no location la: $(cat "$TMP/out")"
q 2 --no-stored-credentials --server-info
err_has "not read (--no-stored-credentials)"
# The environment wins over what is stored: a wrong key is refused.
FTRACK_API_KEY=$WRONG
export FTRACK_API_KEY
q 2 --server-info
err_has "refused the API user \"ferry\" or its API key (InvalidCredentialsError"
unset FTRACK_API_KEY
chmod 644 "$STATE/ftrack-credentials"
q 2 --server-info
err_has "has mode 0644"
err_has "chmod 600 $STATE/ftrack-credentials"
chmod 600 "$STATE/ftrack-credentials"

# A key on the command line works, with a warning.
q 0 --ftrack-api-key "$KEY" --server-info
err_has "can be read by other users of this machine in the process list"
q 2 --ftrack-api-key "$WRONG" --server-info
err_has "InvalidCredentialsError"
double_stop

# helper MODE: a server of our own (MODE 503-twice, 503-always or silent);
# sets PORT, and counts requests in $TMP/count.
start_helper() {
	rm -f "$TMP/count" "$TMP/helper.out"
	node -e '
	const [mode, count] = process.argv.slice(1);
	const fs = require("fs"), http = require("http"), net = require("net");
	let n = 0;
	const server = mode === "silent" ?
	    net.createServer(() => fs.writeFileSync(count, String(++n))) :
	    http.createServer((req, res) => {
		req.resume();
		req.on("end", () => {
			fs.writeFileSync(count, String(++n));
			if (mode === "503-always" || n <= 2) {
				res.writeHead(503, {"content-type": "text/plain"});
				res.end("try later");
			} else {
				res.writeHead(200, {"content-type": "application/json"});
				res.end("[{\"version\": \"after-retries\"}]");
			}
		});
	    });
	server.listen(0, "127.0.0.1", () =>
	    console.log("listening " + server.address().port));
	' "$1" "$TMP/count" >"$TMP/helper.out" &
	helper=$!
	i=0
	while ! grep -q '^listening' "$TMP/helper.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { fail "helper server did not start"; return 1; }
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening //p' "$TMP/helper.out")
	FTRACK_SERVER=http://127.0.0.1:$PORT
	export FTRACK_SERVER
}

stop_helper() {
	kill "$helper" 2>/dev/null
	wait "$helper" 2>/dev/null || true
	helper=
}

count_is() {
	checks=$((checks + 1))
	[ "$(cat "$TMP/count" 2>/dev/null)" = "$1" ] ||
	    fail "the server saw $(cat "$TMP/count" 2>/dev/null) requests, expected $1"
}

FTRACK_API_KEY=$KEY
export FTRACK_API_KEY
start_helper 503-twice
q 0 --retries 3 --server-info
grep -q after-retries "$TMP/out" || fail "no answer after retries: $(cat "$TMP/out")"
count_is 3
stop_helper

start_helper 503-always
q 1 --retries 2 --server-info
err_has "answered HTTP 503 (\"try later\"); gave up after 3 attempts"
count_is 3
stop_helper

start_helper silent
q 1 --retries 1 --timeout 300 --server-info
err_has "no answer from ftrack at http://127.0.0.1:$PORT in time"
err_has "gave up after 2 attempts"
count_is 2
stop_helper

# No sanitizer report (the ASan build runs this too).
checks=$((checks + 1))
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" \
    "$TMP/all-err"; then
	fail "a sanitizer reported:"
	grep -A12 "ERROR: \|runtime error" "$TMP/all-err" | head -40 >&2
fi

# No key was printed, whatever went wrong.
checks=$((checks + 1))
if grep -F -e "$KEY" -e "$WRONG" "$TMP/all-err" >/dev/null; then
	fail "an API key was printed:"
	grep -F -e "$KEY" -e "$WRONG" "$TMP/all-err" | sed 's/^/  | /' >&2
fi
finish
