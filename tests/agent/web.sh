#!/bin/sh
# The hub's status page and metrics (agent/hub-web.c): a real browser
# (Debian's chromium, headless) against a hub with a job done, one failed
# and one in flight; the DOM names them with their states; a screenshot is
# kept (tests/agent/web-status.png in the build directory); a second
# browser without the token gets nothing. /metrics is read by a strict
# parser and checked against the known jobs. Refusals: no token, a wrong
# one, a write, a non-loopback address without TLS, a token file others
# can read.
. "${srcdir:-.}/tests/agent/lib.sh"
need curl
need python3
need chromium

webport=$(free_port 1)
W="http://127.0.0.1:$webport"
token=$(openssl rand -hex 24)
printf '%s\n' "$token" >"$TMP/web.token"
chmod 600 "$TMP/web.token"
HUB_CONF="web 127.0.0.1:$webport
web-token-file $TMP/web.token
retry-limit 1"

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/show/plate" "$L/show/clash.mov"
for f in 1001 1002 1003; do head -c 70000 /dev/urandom >"$S/show/plate/p.$f.exr"; done
head -c 1000 /dev/urandom >"$S/show/clash.mov"
head -c 40000000 /dev/urandom >"$S/show/big.mov"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S", "sites": { "la": { "linux": "$L" } } } } }
JSON
make_hub
enrol_agent la la-server
# A person whose e-mail is markup (a vendor's address is theirs to pick):
# the page shows it as text, never as elements.
code=$("$FERRY" invite --user '<b id="xss-user">x</b>@vendor.example' \
    --clearance restricted --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/vendor" \
    --name vendor-ws >/dev/null || fail "enrolling the vendor failed"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# Job 1 done (3 files, 210,000 bytes); job 2 failed: la has a folder where
# the file would go.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/plate"
run 1 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/clash.mov"

# No token, a wrong one: nothing.
for path in / /api/status.json /metrics; do
	code=$(curl -s -o "$TMP/out" -w '%{http_code}' "$W$path")
	checks=$((checks + 1))
	[ "$code" = 401 ] && ! grep -q "la\|plate" "$TMP/out" ||
	    fail "$path without the token: $code $(cat "$TMP/out")"
done
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Bearer x$token" "$W/metrics")
checks=$((checks + 1))
[ "$code" = 401 ] || fail "a wrong token: $code"
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$W/api/status.json")
checks=$((checks + 1))
[ "$code" = 405 ] || fail "a POST: $code"

# The metrics, read strictly, after the known jobs.
curl -sf -H "Authorization: Bearer $token" "$W/metrics" >"$TMP/metrics" ||
    fail "GET /metrics with the token"
python3 "$srcdir/tests/agent/prom-check.py" <"$TMP/metrics" >"$TMP/samples" ||
    fail "/metrics is not valid Prometheus text"
metric() {	# metric 'NAME{LABELS}' VALUE
	checks=$((checks + 1))
	grep -qxF "$1 $2" "$TMP/samples" || fail "metric $1: want $2, got: $(grep -F "$1" "$TMP/samples")"
}
metric 'ferry_jobs{state="done"}' 1
metric 'ferry_jobs{state="failed"}' 1
metric 'ferry_moved_files_total{destination="la"}' 3
metric 'ferry_moved_bytes_total{destination="la"}' 210000
metric 'ferry_agents_connected{kind="site"}' 1
metric 'ferry_failed_files{reason="refused"}' 1
# Transfers that ended well (the failed one's report is its error).
metric 'ferry_transfer_duration_seconds_count{}' 1
metric 'ferry_delivered_bytes_total{}' 210000
checks=$((checks + 1))
wire=$(sed -n 's/^ferry_wire_bytes_total{} //p' "$TMP/samples")
[ -n "$wire" ] && [ "$wire" -gt 200000 ] || fail "wire bytes: $wire"
checks=$((checks + 1))
grep -q '^ferry_store_size_bytes{} [1-9]' "$TMP/samples" || fail "no store size"
# The parser refuses what it should (so that its pass means something).
checks=$((checks + 1))
printf '# TYPE x counter\nx 1\n' | python3 "$srcdir/tests/agent/prom-check.py" >/dev/null 2>&1 &&
    fail "prom-check took a counter without _total"

# Job 3 in flight: la capped at 1 MiB/s.
run 0 "$FERRY" site set la --bwlimit 1M --state "$HUB"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/big.mov"
big=$(tail -n1 "$TMP/out")
i=0
# (Two seconds in, so that the page has a rate to show at its first look.)
until "$FERRY" job "$big" --json --state "$HUB" | jq -e '.done_bytes > 2000000' >/dev/null; do
	i=$((i + 1)); [ $i -lt 150 ] || { fail "job $big never started"; break; }
	sleep 0.1
done

browse() {	# browse PROFILE URL [chromium options]: the DOM after the page ran
	prof=$1 url=$2; shift 2
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$TMP/$prof" --virtual-time-budget=4000 "$@" \
	    "$url" 2>>"$TMP/chromium.log"
}
browse first "$W/?token=$token" --dump-dom >"$TMP/dom"
job_row() {	# job_row ID STATE: the DOM has that job in that state
	checks=$((checks + 1))
	grep -q "<tr class=\"job\" data-id=\"$1\" data-state=\"$2\">" "$TMP/dom" ||
	    fail "the page lacks job $1 $2: $(grep -o '<tr class="job"[^>]*>' "$TMP/dom")"
}
job_row 1 done
job_row 2 failed
job_row "$big" running
checks=$((checks + 1))
grep -q 'data-name="la" data-connected="true"' "$TMP/dom" || fail "la not shown connected"
checks=$((checks + 1))
grep -q "clash.mov" "$TMP/dom" || fail "the failure's reason is not shown"
checks=$((checks + 1))
grep -qF '&lt;b id="xss-user"&gt;x&lt;/b&gt;@vendor.example' "$TMP/dom" &&
    ! grep -q '<b id="xss-user"' "$TMP/dom" ||
    fail "the vendor's e-mail was not shown as text: $(grep -o '.\{40\}xss-user.\{40\}' "$TMP/dom")"
checks=$((checks + 1))
grep -q '/s</td>' "$TMP/dom" || fail "no rate shown for the job in flight"
# The screenshot, kept with the test's log.
rm -f "$top_builddir/tests/agent/web-status.png"
browse first "$W/?token=$token" --window-size=1280,900 \
    --screenshot="$top_builddir/tests/agent/web-status.png" >/dev/null
checks=$((checks + 1))
[ -s "$top_builddir/tests/agent/web-status.png" ] || fail "no screenshot"
# A second browser, without the token: nothing.
browse second "$W/" --dump-dom >"$TMP/dom2"
checks=$((checks + 1))
grep -q "needs its token" "$TMP/dom2" && ! grep -q 'data-id=\|la-server\|big.mov' "$TMP/dom2" ||
    fail "a browser without the token saw: $(cat "$TMP/dom2")"
run 0 "$FERRY" cancel "$big" --state "$HUB"
stop_and_check

# Beyond loopback only with TLS and a token; a token others can read: no.
refused() {	# refused CONF... : ferryd run stops, naming why
	"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
	    --state "$TMP/hub2" >/dev/null 2>&1
	printf '%s\n' "$@" >>"$TMP/hub2/ferryd.conf"
	run 1 "$FERRYD" run $ROOT_OK --state "$TMP/hub2"
	rm -rf "$TMP/hub2"
}
refused "web 0.0.0.0:$webport"
err_has "only with TLS and a token"
# With TLS and a token it listens beyond loopback, over HTTPS only.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 \
    -keyout "$TMP/web.key" -out "$TMP/web.crt" >/dev/null 2>&1
chmod 600 "$TMP/web.key"
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$TMP/hub3" >/dev/null 2>&1
printf '%s\n' "web 0.0.0.0:$webport" "web-token-file $TMP/web.token" \
    "web-cert $TMP/web.crt" "web-key $TMP/web.key" >>"$TMP/hub3/ferryd.conf"
start_daemon "$TMP/hub3"
i=0
until curl -s -o /dev/null --cacert "$TMP/web.crt" "https://127.0.0.1:$webport/" ||
    [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
code=$(curl -s -o "$TMP/out" -w '%{http_code}' --cacert "$TMP/web.crt" \
    -H "Authorization: Bearer $token" "https://127.0.0.1:$webport/metrics")
checks=$((checks + 1))
[ "$code" = 200 ] && grep -q '^ferry_jobs{state="done"} 0' "$TMP/out" ||
    fail "HTTPS with the token: $code $(head -c 300 "$TMP/out")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/web.crt" \
    "https://127.0.0.1:$webport/metrics")
checks=$((checks + 1))
[ "$code" = 401 ] || fail "HTTPS without the token: $code"
checks=$((checks + 1))
! curl -s -o /dev/null "http://127.0.0.1:$webport/metrics" ||
    fail "plain HTTP answered on the TLS port"
stop_and_check
chmod 600 "$TMP/web.token"
chmod 644 "$TMP/web.token"
refused "web 127.0.0.1:$webport" "web-token-file $TMP/web.token"
err_has "readable by others: chmod 600"
refused "web 127.0.0.1:$webport" "web-cert $TMP/web.token"
err_has "web-cert and web-key go together"
finish
