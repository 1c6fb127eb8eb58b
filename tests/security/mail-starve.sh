#!/bin/sh
# Attack: a vendor silencing the admins' failure notices. The hub caps
# the mail it queues for one address (mail-max-per-hour, mail-flood.sh),
# and every publish that is done is mailed to the admins; a vendor may
# publish as often as it likes. If the cap counts every message to an
# address alike, a vendor that publishes the limit's worth uses up the
# admins' hour, and the next job of the studio's own that fails is not
# mailed to them at all ("not queued"): the flood buys an hour in which
# failures go unseen. Here the limit is 3: three publishes by the vendor,
# then a job of the admin's that fails. Its failure notice must still
# reach the admins; the vendor's publishes stay capped.
. "${srcdir:-.}/tests/agent/lib.sh"
SMTP_HOST=127.0.0.9
. "$srcdir/tests/mail/lib.sh"
need sqlite3
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true; stop_daemons; rm -rf "$TMP"' EXIT

LIMIT=3 N=4
A=admin@studio.example
V=vendor@fx.example
S=$TMP/hq-storage F=$TMP/fx-storage
mkdir -p "$S/show/sh030/plates" "$F/show/sh030"
i=1
while [ $i -le $N ]; do
	echo "fx $i" >"$F/show/sh030/fx_v$i.exr"
	i=$((i + 1))
done
echo "plate" >"$S/show/sh030/plates/p.1001.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "$V": { "linux": "$F" } } } } }
JSON

# wait_mails ADDR REGEX N: until N such messages came (30 s at most).
wait_mails() {
	i=0
	while [ "$(mail_count "$1" "$2")" -lt "$3" ] && [ $i -lt "$(slow 300)" ]; do
		i=$((i + 1)); sleep 0.1
	done
}

mail_hub_init "$A"
echo "mail-max-per-hour $LIMIT" >>"$HUB/ferryd.conf"
smtpd_start "$TMP/in"
pids="$pids $SPID"
start_daemon "$HUB"
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" \
    --name fx-ws --source-address 127.0.0.3 --public-address 127.0.0.3 \
    >/dev/null || fail "enrolling fx-ws failed"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"

# The vendor's publishes, one more than the limit.
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
    state = 'done'")" -ge $N ] || [ $i -ge "$(slow 600)" ]; do
	i=$((i + 1)); sleep 0.1
done
wait_mails "$A" "published 1 file" $LIMIT
sleep 2
is "$(mail_count "$A" "published 1 file")" $LIMIT "publish messages to $A (capped)"
log_has "$HUB.log" "mail publish:[0-9]* to $A: not queued: $A had $LIMIT messages in the last hour"

# The studio's own job fails: a file stands where the vendor's folder
# must be. Its submitter is a local user: its failure goes to the admins.
echo "in the way" >"$F/show/sh030/plates"
"$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/show/sh030/plates" >"$TMP/send.out" 2>&1 || true
fid=$(sqlite3 "$HUB/hub.db" "SELECT max(id) FROM jobs")
is "$(sqlite3 "$HUB/hub.db" "SELECT state FROM jobs WHERE id = $fid")" \
    failed "the admin's job"
wait_mails "$A" "^Subject: ferry: job $fid failed" 1
checks=$((checks + 1))
[ "$(mail_count "$A" "^Subject: ferry: job $fid failed")" -eq 1 ] ||
    fail "the failure of job $fid was not mailed to $A after $LIMIT" \
    "publishes by $V: $(grep "failed:$fid" "$HUB.log" | tail -n1)"
stop_and_check
finish
