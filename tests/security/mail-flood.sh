#!/bin/sh
# Attack: a vendor making the hub send mail without end. Every publish
# that is done is mailed to the admins (docs/mail.md), and a vendor may
# publish as often as it likes through its own agent: here 40 publishes
# of one small file each, relayed one after another, each done within
# a second, so 40 messages to each admin address within a minute, as
# many as the vendor likes (and as many again to the vendor's own
# address for failed jobs). The hub must cap the mail it queues for
# one address (mail-max-per-hour, default 30 an hour), say in its log
# what it refused and why, and still mail other addresses.
. "${srcdir:-.}/tests/agent/lib.sh"
SMTP_HOST=127.0.0.9
. "$srcdir/tests/mail/lib.sh"
need sqlite3
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true; stop_daemons; rm -rf "$TMP"' EXIT

N=40 LIMIT=30
A=admin@studio.example
V=vendor@fx.example
S=$TMP/hq-storage F=$TMP/fx-storage
mkdir -p "$S/show" "$F/show/sh030"
i=1
while [ $i -le $N ]; do
	echo "fx $i" >"$F/show/sh030/fx_v$i.exr"
	i=$((i + 1))
done
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "$V": { "linux": "$F" } } } } }
JSON

# The default limit: no mail-max-per-hour here.
mail_hub_init "$A"
# A limit that is no number is refused at the start, not taken as none.
echo "mail-max-per-hour 0" >>"$HUB/ferryd.conf"
run 1 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "ferryd.conf:$(wc -l <"$HUB/ferryd.conf"): mail-max-per-hour must be a whole number from 1 to 1000000, not \"0\""
sed -i '$d' "$HUB/ferryd.conf"
smtpd_start "$TMP/in"
pids="$pids $SPID"
start_daemon "$HUB"
enrol_vendor_ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"

# The flood: one publish a file, as `ferry publish` asks, relayed by the
# vendor's own agent.
start=$(date +%s)
i=1
while [ $i -le $N ]; do
	api "$(jq -nc --arg p "$F/show/sh030/fx_v$i.exr" '{op: "send",
	    from: "'"$V"'", to: "hq", paths: [$p],
	    meta: {publish: {task: "task-1", note: "v"}}}')" "$TMP/fx-ws"
	jq -e .id "$TMP/out" >/dev/null ||
	    fail "publish $i refused: $(cat "$TMP/out")"
	i=$((i + 1))
done
i=0
until [ "$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM jobs WHERE
    state = 'done'")" -ge $N ] || [ $i -ge "$(slow 900)" ]; do
	i=$((i + 1)); sleep 0.1
done
is "$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM jobs WHERE
    state = 'done'")" $N "publishes done"
# What the hub would send comes within seconds of each job's end: the
# limit's worth first (20 s at most, under load), then 3 s for more.
i=0
while [ "$(mail_count "$A" "published 1 file")" -lt $LIMIT ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done
sleep 3
got=$(mail_count "$A" "published 1 file")
echo "$N publishes in $(($(date +%s) - start)) s: $got messages to $A"
checks=$((checks + 1))
[ "$got" -le $LIMIT ] || fail "$got publish messages to $A in a minute," \
    "from one vendor: at most $LIMIT an hour (mail-max-per-hour) expected"
checks=$((checks + 1))
[ "$got" -ge $LIMIT ] || fail "only $got publish messages to $A," \
    "$LIMIT expected before the limit"
log_has "$HUB.log" "mail publish:[0-9]* to $A: not queued: $A had $LIMIT messages in the last hour (mail-max-per-hour $LIMIT)"

# Another address is not held by the flood's.
run 0 "$FERRY" mail test ops@studio.example --state "$HUB"
i=0
while [ "$(mail_count ops@studio.example "a test message")" -lt 1 ] &&
    [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.1
done
is "$(mail_count ops@studio.example "a test message")" 1 "mail to another address"
stop_and_check
finish
