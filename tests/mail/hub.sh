#!/bin/sh
# The hub's mail (docs/mail.md) end to end: a hub on 127.0.0.1, a site
# agent (la) on 127.0.0.2, a vendor's agent on 127.0.0.3 and a real SMTP
# server (aiosmtpd, with a login) on 127.0.0.9. What arrives for each
# event (enrolment and ACLs granted, a job delivered to a person, a job
# failed to its sender or to the admins, a publish to the admins and to
# the addresses "notify" adds), with the template directory's rewording;
# mail kept while the server is down and sent once when it is back, and
# once after a kill -9 of the hub; start-up refusals (a password file
# open to others, an unknown keyword, an unknown placeholder); the SMTP
# password nowhere but in its file.
. "${srcdir:-.}/tests/agent/lib.sh"
SMTP_HOST=127.0.0.9
. "$srcdir/tests/mail/lib.sh"
need sqlite3
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true; stop_daemons; rm -rf "$TMP"' EXIT

V=vendor@fx.example
S=$TMP/hq-storage L=$TMP/la-storage F=$TMP/fx-storage
mkdir -p "$S/show/sh010" "$S/show/sh020" "$S/show/sh040" "$L/show" \
    "$F/show/sh030"
for f in 1001 1002 1003 1004 1005 1006 1007; do
	echo "frame $f" >"$S/show/sh010/plate.$f.exr"
done
echo x >"$S/show/sh020/x.exr"
echo comp >"$S/show/sh040/comp_v003.mov"
echo fx >"$F/show/sh030/fx_v001.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "$V": { "linux": "$F" } } } } }
JSON

# has FILE REGEX WHAT
has() {
	checks=$((checks + 1))
	grep -q -- "$2" "$1" || fail "$3: no '$2' in: $(cat "$1")"
}
# wait_mail ADDR REGEX N WHAT: until N such messages came (20 s at most),
# and no more; M is the last.
wait_mail() {
	i=0
	while [ "$(mails "$1" "$2" | wc -l)" -lt "$3" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.1
	done
	is "$(mails "$1" "$2" | wc -l)" "$3" "$4: messages to $1 with '$2'"
	M=$(mails "$1" "$2" | tail -n1)
}
# status_mail REGEX: until `ferry status` says it of mail (10 s at most).
status_mail() {
	i=0
	until "$FERRY" status --state "$HUB" 2>/dev/null | grep -q "^mail: $1"; do
		i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
	done
	"$FERRY" status --state "$HUB" >"$TMP/status" 2>&1 || true
	has "$TMP/status" "^mail: $1" "ferry status"
}
enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" $EXTRA >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

# The hub's configuration; the password file is open to others at first.
PW='Pa55-w0rd-n3ver-sh0wn-9f3e'
printf '%s\n' "$PW" >"$TMP/smtp-password"
chmod 644 "$TMP/smtp-password"
mkdir "$TMP/tpl"
cat >"$TMP/tpl/delivered.txt" <<'EOF'
Subject: [studio] job {{job}}: {{count}} file(s) for you

Hello, job {{job}} brought you:
{{files}}
Place: {{place}}
Sent by: {{who}}
EOF
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"
cat >>"$HUB/ferryd.conf" <<EOF
retry-base 1
retry-limit 1
smtp-server $SMTP_HOST
smtp-port $SMTP_PORT
smtp-starttls off
smtp-user ferry
smtp-password-file $TMP/smtp-password
smtp-timeout 5
mail-from ferry at hq <ferry@studio.example>
mail-admins admin@studio.example, prod@studio.example
mail-templates $TMP/tpl
mail-retry-base 1
EOF
run 1 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "smtp-password has mode 0644: it must not be readable by group or others (chmod 600 $TMP/smtp-password)"
chmod 600 "$TMP/smtp-password"
echo "smtp-sevrer $SMTP_HOST" >>"$HUB/ferryd.conf"
run 1 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "ferryd.conf:$(wc -l <"$HUB/ferryd.conf"): unknown keyword \"smtp-sevrer\""
sed -i '$d' "$HUB/ferryd.conf"
printf 'Subject: ferry: {{job}}\n\n{{nmae}} failed\n' >"$TMP/tpl/failed.txt"
run 1 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "failed.txt:3: unknown placeholder {{nmae}}"
rm "$TMP/tpl/failed.txt"

smtpd_start "$TMP/in" --auth "ferry:$TMP/smtp-password"
pids="$pids $SPID"
start_daemon "$HUB"
HUBPID=$DPID
EXTRA= enrol la-server 127.0.0.2 --site la
LAPID=$DPID
EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 --user "$V" \
    --clearance restricted
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# ferry mail test: through the same outbox and server.
run 0 "$FERRY" mail test ops@studio.example --state "$HUB"
out_has "^test message to ops@studio.example queued" "ferry mail test"
wait_mail ops@studio.example "^Subject: ferry: a test message from hq" 1 "mail test"
has "$M" "^$(id -un) asked ferry at hq to send this message" "who asked"
run 1 "$FERRY" mail test "ops@studio.example, eve@x.example" --state "$HUB"
err_has "is not an e-mail address"

# Access: the vendor enrolled, then given read, the same again (nothing
# new), then write.
wait_mail "$V" "^Subject: ferry: you have access to hq from your machine fx-ws" 1 \
    "enrolment"
has "$M" "^From: \"ferry at hq\" <ferry@studio.example>" "From"
has "$M" "^To: $V" "To"
run 0 "$FERRY" acl set "$V" storage:show/sh010 read --state "$HUB"
wait_mail "$V" "access to storage:show/sh010 (read)" 1 "acl set read"
has "$M" "The studio (hq) gave you access" "who granted"
run 0 "$FERRY" acl set "$V" storage:show/sh010 read --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"
wait_mail "$V" "access to storage:show/sh030 (read and write)" 1 "acl set write"
is "$(mails "$V" "access to storage:show/sh010 (read)" | wc -l)" 1 \
    "the same ACL set twice"

# (1) Delivered to a person, in the studio's words (mail-templates).
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$HUB" "$S/show/sh010"
id=$(tail -n1 "$TMP/out")
wait_mail "$V" "^Subject: \[studio\] job $id: 7 file(s) for you" 1 "delivered"
has "$M" "^Hello, job $id brought you:" "the template's body"
has "$M" "^plate.1001.exr" "the first file"
has "$M" "^plate.1005.exr" "the fifth file"
has "$M" "^\.\.\. and 2 more" "the count of the others"
has "$M" "^Place: $F/show/sh010 on $V" "the place"
checks=$((checks + 1))
! grep -q "plate.1006.exr" "$M" || fail "more than five files named"

# (2) Failed: to the vendor who sent it from its own machine, and to the
# admins for a local admin's job. A file stands where a folder must be.
echo "in the way" >"$S/show/sh030"
"$FERRY" send --from "$V" --to hq --wait --state "$TMP/fx-ws" \
    "$F/show/sh030/fx_v001.exr" >"$TMP/out" 2>&1 || true
fid=$(sqlite3 "$HUB/hub.db" "SELECT max(id) FROM jobs")
wait_mail "$V" "^Subject: ferry: job $fid failed" 1 "failed, to its sender"
has "$M" "^Your ferry job $fid to $S/show/sh030 on hq failed:" "the place"
has "$M" "^fx_v001.exr" "the file"
has "$M" "ot a directory\|exists\|sh030" "the reason"
echo "in the way" >"$L/show/sh020"
"$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh020" \
    >"$TMP/out" 2>&1 || true
aid=$(sqlite3 "$HUB/hub.db" "SELECT max(id) FROM jobs")
for a in admin@studio.example prod@studio.example; do
	wait_mail "$a" "^Subject: ferry: job $aid failed" 1 "failed, to admins"
	has "$M" "x.exr" "the file"
done
is "$(mails "$V" "job $aid failed" | wc -l)" 0 "the vendor told of another's job"

# (3) A publish (meta.publish, as `ferry publish` writes it) to the
# admins, and through "notify" to the task's assignees: la is offline,
# so that the job waits while its meta is written and notify called.
kill "$LAPID"
wait "$LAPID" 2>/dev/null || true
api "$(jq -nc --arg p "$S/show/sh040" --arg v "$V" '{op: "send", from: "hq",
    to: "la", paths: [$p], meta: {publish: {task: "task-77",
    note: "final comp", by: $v}}}')"
pid=$(jq -r .id "$TMP/out")
api '{"op": "notify", "event": "publish-received", "job": '"$pid"', "to": ["lead@studio.example", "admin@studio.example"]}'
is "$(jq -r '"\(.queued) \(.mail)"' "$TMP/out")" "2 true" "notify"
api '{"op": "notify", "event": "publish-received", "job": 99999, "to": ["a@b.example"]}'
is "$(jq -r .error "$TMP/out")" "notify: no such job" "notify, no job"
api '{"op": "notify", "event": "publish-received", "job": 1, "to": ["a@b.example, c@d.example"]}'
has "$TMP/out" 'is not an e-mail address' "notify, a list in one string"
api '{"op": "notify", "event": "sent", "job": 1, "to": ["a@b.example"]}'
has "$TMP/out" 'event must be' "notify, another event"
# Not for a vendor: its agent does not relay notify to the hub.
api '{"op": "notify", "event": "publish-received", "job": '"$pid"', "to": ["me@fx.example"]}' "$TMP/fx-ws"
has "$TMP/out" '"error": *"this daemon is not the hub' "notify from a vendor's agent"
sleep 2
is "$(mails lead@studio.example . | wc -l)" 0 "publish mail before the job is done"
start_daemon "$TMP/la-server"
LAPID=$DPID
for a in admin@studio.example prod@studio.example lead@studio.example; do
	wait_mail "$a" "^Subject: ferry: $V published 1 file(s) (job $pid)" 1 \
	    "publish to $a"
	has "$M" "^comp_v003.mov" "the file"
	has "$M" "They are in $L/show/sh040 on la" "the place"
done
api '{"op": "notify", "event": "publish-received", "job": '"$pid"', "to": ["lead@studio.example"]}'
sleep 2
is "$(mails lead@studio.example "job $pid" | wc -l)" 1 "notify twice"
is "$(mails me@fx.example . | wc -l)" 0 "mail from a vendor's notify"

# A vendor's own publish, through its agent (the hub writes "by").
rm "$S/show/sh030"
echo v2 >"$F/show/sh030/fx_v002.exr"
api "$(jq -nc --arg p "$F/show/sh030/fx_v002.exr" --arg v "$V" '{op: "send",
    from: $v, to: "hq", paths: [$p], meta: {publish: {task: "task-78",
    note: "v002"}}}')" "$TMP/fx-ws"
vid=$(jq -r .id "$TMP/out")
for a in admin@studio.example prod@studio.example; do
	wait_mail "$a" "^Subject: ferry: $V published 1 file(s) (job $vid)" 1 \
	    "a vendor's publish to $a"
	has "$M" "^fx_v002.exr" "the file"
	has "$M" "They are in $S/show/sh030 on hq" "the place"
done

# The server down: kept and retried, then sent once when it is back.
smtpd_stop
run 0 "$FERRY" acl set "$V" storage:show/sh050 read --state "$HUB"
status_mail "1 queued, [0-9]* sent, 0 failed; last error: "
"$FERRY" doctor --unit /dev/null --ftrack-state "$TMP/noff" --state "$HUB" \
    >"$TMP/doctor" 2>&1 || true
has "$TMP/doctor" "^FAIL  mail      1 message(s) waiting: " "ferry doctor"
smtpd_start "$TMP/in" --auth "ferry:$TMP/smtp-password"
pids="$pids $SPID"
wait_mail "$V" "access to storage:show/sh050 (read)" 1 "after the server came back"
status_mail "0 queued"
"$FERRY" doctor --unit /dev/null --ftrack-state "$TMP/noff" --state "$HUB" \
    >"$TMP/doctor" 2>&1 || true
has "$TMP/doctor" "^ok    mail      [0-9]* sent, 0 waiting, 0 failed for good" \
    "ferry doctor, the server back"

# kill -9 of the hub with mail queued: sent once after its restart.
smtpd_stop
run 0 "$FERRY" acl set "$V" storage:show/sh060 read --state "$HUB"
status_mail "1 queued"
"$FERRY" status --json --state "$HUB" >"$TMP/status.json"
# And one killed at once: most likely still a notice in the store only.
"$FERRY" acl set "$V" storage:show/sh061 read --state "$HUB" >/dev/null
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
smtpd_start "$TMP/in" --auth "ferry:$TMP/smtp-password"
pids="$pids $SPID"
start_daemon "$HUB"
HUBPID=$DPID
wait_mail "$V" "access to storage:show/sh060 (read)" 1 "after kill -9"
wait_mail "$V" "access to storage:show/sh061 (read)" 1 "after kill -9, at once"

# Mail off (no smtp-server): said so, notify queues nothing, and what
# happened meanwhile is not sent as a backlog once mail is on again.
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
sed -i 's/^smtp-server /#smtp-server /' "$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID
run 0 "$FERRY" status --state "$HUB"
out_has "^mail: off (no smtp-server in ferryd.conf)" "status, mail off"
run 0 "$FERRY" acl set "$V" storage:show/sh070 read --state "$HUB"
api '{"op": "notify", "event": "publish-received", "job": '"$pid"', "to": ["other@studio.example"]}'
is "$(jq -r '"\(.queued) \(.mail)"' "$TMP/out")" "0 false" "notify, mail off"
run 1 "$FERRY" mail test ops@studio.example --state "$HUB"
err_has "mail is off on this hub: set smtp-server and mail-from in ferryd.conf"
sleep 2
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
sed -i 's/^#smtp-server /smtp-server /' "$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID
status_mail "0 queued"
sleep 3
is "$(mails "$V" "storage:show/sh070" | wc -l)" 0 "a backlog from while mail was off"

# Nothing came twice; the password is in no log, answer or file but its own.
sleep 2
is "$(grep -h '^Message-ID:' "$TMP"/in/*.eml | sort | uniq -d | wc -l)" 0 \
    "messages sent twice"
"$FERRY" jobs --json --state "$HUB" >"$TMP/jobs.json"
"$FERRY" audit --state "$HUB" >"$TMP/audit.out" 2>&1 || true
ps -eo args >"$TMP/ps.out"
checks=$((checks + 1))
if grep -rl -- "$PW" "$TMP" | grep -v "^$TMP/smtp-password\$" >"$TMP/leaks"; then
	fail "the SMTP password leaked into: $(cat "$TMP/leaks")"
fi
has "$HUB.log" "mail access:[0-9]* to $V: sent" "the log"

# MAIL_KEEP=DIR keeps what arrived, to read it.
[ -z "${MAIL_KEEP:-}" ] || cp -r "$TMP/in" "$MAIL_KEEP"
stop_and_check
finish
