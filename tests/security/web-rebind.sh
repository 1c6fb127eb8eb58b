#!/bin/sh
# DNS rebinding against the status page (agent/hub-web.c): without a
# token, the page on 127.0.0.1 answers anyone who reaches it, and a web
# page the admin visits can reach it too by pointing its own name at
# 127.0.0.1 (then the browser deems the answers same-origin, so its script
# reads every site, person and path). The Host header gives it away: with
# no token, only loopback names are served.
. "${srcdir:-.}/tests/security/lib.sh"
need curl

webport=$(free_port 1)
HUB_CONF="web 127.0.0.1:$webport"
make_hub
W="http://127.0.0.1:$webport"
i=0
until curl -s -o /dev/null "$W/" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done

get() {	# get WANT HOST PATH: the answer's status for that Host header
	checks=$((checks + 1))
	code=$(curl -s -o "$TMP/page" -w '%{http_code}' -H "Host: $2" "$W$3")
	[ "$code" = "$1" ] || fail "Host: $2, $3: $code, want $1: $(head -c 200 "$TMP/page")"
	if [ "$1" != 200 ]; then
		checks=$((checks + 1))
		! grep -q '"hub_site"\|ferry_jobs\|<script' "$TMP/page" ||
		    fail "Host: $2, $3: the page was served"
	fi
}
for p in /api/status.json /metrics /; do
	get 421 "rebind.attacker.example:$webport" "$p"
	get 421 "rebind.attacker.example" "$p"
	get 421 "127.0.0.1.attacker.example:$webport" "$p"
	get 421 "localhost.attacker.example" "$p"
done
# What an admin types, an ssh tunnel or a reverse proxy on this machine
# sends: served.
get 200 "127.0.0.1:$webport" /api/status.json
get 200 "127.0.0.1" /metrics
get 200 "localhost:$webport" /api/status.json
get 200 "LOCALHOST:8080" /api/status.json
get 200 "127.0.0.5:80" /api/status.json
get 200 "[::1]:$webport" /api/status.json
finish
