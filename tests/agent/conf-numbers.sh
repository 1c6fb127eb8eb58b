#!/bin/sh
# ferryd.conf's numbers (docs/agent.md, agent/conf.c's table): a value
# that is not a whole number, or out of its keyword's range, stops the
# start with the file, line, keyword, range and value; it used to be
# taken as the default without a word (max-job-files 10k gave ten
# million). Values in range, and recv-min-rate's 0 (no limit), start.
. "${srcdir:-.}/tests/agent/lib.sh"
trap 'stop_daemons; rm -rf "$TMP"' EXIT

"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"

# refused KEYWORD VALUE RANGE: the hub will not start with it.
refused() {
	echo "$1 $2" >>"$HUB/ferryd.conf"
	# A hub that takes the value starts: cut, it fails with 124.
	run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$HUB"
	err_has "ferryd.conf:$(wc -l <"$HUB/ferryd.conf"): $1 must be a whole number from $3, not \"$2\""
	sed -i '$d' "$HUB/ferryd.conf"
}
refused max-job-files 10k "1 to 1000000000"
refused max-job-files 0 "1 to 1000000000"
refused transfers-per-agent 65 "1 to 64"
refused stall-timeout -5 "1 to 604800"
refused retry-base 99999999999999999999999 "1 to 86400"
refused recv-min-rate 1.5 "0 to 1073741824"
refused recv-rate-window 4 "5 to 3600"
refused max-agent-jobs 7x "1 to 1000000"
refused mail-max-per-hour 0 "1 to 1000000"
refused max-agent-messages 0 "1 to 1000000"
refused compare-first 2 "0 to 1"
checks=$((checks + 1))
[ ! -S "$HUB/ferryd.sock" ] || fail "a refused hub left its socket"

printf 'max-job-files 1000\nrecv-min-rate 0\nrecv-rate-window 3600\ntransfers-per-agent 64\nretry-base 1\ncompare-first 0\n' \
    >>"$HUB/ferryd.conf"
make_hub_started=0
start_daemon "$HUB" && make_hub_started=1
checks=$((checks + 1))
[ "$make_hub_started" = 1 ] || fail "the hub did not start with values in range"
run 0 "$FERRY" status --state "$HUB"

stop_and_check
finish
