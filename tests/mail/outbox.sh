#!/bin/sh
# mail/'s outbox against a real SMTP server on 127.0.0.1 (aiosmtpd,
# tests/mail/smtpd.py): mail queued while the server is down is kept and
# retried with backoff, delivered once when it is back, never twice for a
# notice queued twice; a crash between the server's "250" and the record
# sends the same message again, Message-ID and all (docs/mail.md); a 5xx
# is final; the password file is read and its mode checked; STARTTLS is
# required and checked against a CA file, implicit TLS works.
. "${srcdir:-.}/tests/lib.sh"

MC=$(dirname "$FERRY")/tests/mail/mail-check
. "$srcdir/tests/mail/lib.sh"
need openssl
need sqlite3

PORT=$SMTP_PORT
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null; rm -rf "$TMP"' EXIT

DB=$TMP/outbox.db
C=$TMP/mail.conf
cat >"$C" <<EOF
smtp-server 127.0.0.1
smtp-port $PORT
smtp-starttls off
smtp-timeout 5
mail-from ferry at the studio <ferry@studio.example>
EOF
run 0 "$MC" check "$C"

# Two notices queued while nothing listens: kept, tried, queued again.
run 0 "$MC" add "$DB" "$C" delivered delivered:41 ana@vendor.example \
    job=41 count=2 "files=plate_0010.exr
plate_0020.exr" place=la:/proj/in who=bo@studio.example
run 0 "$MC" add "$DB" "$C" failed failed:42 bo@studio.example job=42 \
    count=1 files=shot.mov place=vendor-ana reason="vendor-ana is offline"
run 0 "$MC" step "$DB" "$C" --all --now 1000
out_has '^delivered:41 ana@vendor.example queued attempts=1 next=1010 ' \
    "not queued again after 10 s"
out_has 'failed:42 bo@studio.example queued attempts=1' "second message"
out_has '[Cc]onnect' "no reason kept"
run 0 "$MC" step "$DB" "$C" --now 1009
out_is "nothing due"
run 0 "$MC" step "$DB" "$C" --all --now 1010
out_has 'queued attempts=2 next=1030 ' "backoff did not double"

# The server is back: each delivered once, and once only.
smtpd_start "$TMP/in"
run 0 "$MC" step "$DB" "$C" --all --now 1030
is "$(grep -c ' sent attempts=3 ' "$TMP/out")" 2 "sent"
is "$(count "$TMP/in")" 2 "messages arrived"
run 4 "$MC" add "$DB" "$C" delivered delivered:41 ana@vendor.example job=41
err_has "queued already"
run 0 "$MC" step "$DB" "$C" --all --now 99999
out_is "nothing due"
is "$(count "$TMP/in")" 2 "messages after a second step and add"

# What arrived names the job, the files and the place.
M=$(grep -l 'To: ana@vendor.example' "$TMP"/in/*.eml)
is "$(head -1 "${M%.eml}.env")" ferry@studio.example "MAIL FROM"
grep -q '^Subject: ferry: 2 file(s) delivered to you (job 41)' "$M" ||
    fail "subject: $(grep Subject "$M")"
grep -q '^From: "ferry at the studio" <ferry@studio.example>' "$M" ||
    fail "from: $(grep From "$M")"
grep -q '^plate_0020.exr' "$M" || fail "files missing from the body"
grep -q 'They are in la:/proj/in' "$M" || fail "place missing"
grep -q '^Message-ID: <[0-9a-f]\{32\}.ferry@studio.example>' "$M" ||
    fail "message id: $(grep Message-ID "$M")"
checks=$((checks + 6))

# A crash after the server took it: sent again, the same message.
run 0 "$MC" add "$DB" "$C" access access:ana ana@vendor.example \
    place=storage:vendors/ana who=admin@studio.example
run 3 "$MC" step "$DB" "$C" --crash --now 2000
is "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE key = 'access:ana'")" \
    sending "state after the crash"
# Opening the outbox finds it "sending": it was interrupted, and is due.
run 0 "$MC" list "$DB" --now 2001
out_has '^access:ana ana@vendor.example queued attempts=1 next=2001 '\
'error=interrupted while sending' "not recovered"
run 0 "$MC" step "$DB" "$C" --all --now 2001
out_has '^access:ana ana@vendor.example sent attempts=2' "not sent again"
is "$(count "$TMP/in")" 4 "messages after the crash"
A=$(grep -l 'access to storage:vendors/ana' "$TMP"/in/*.eml | head -1)
B=$(grep -l 'access to storage:vendors/ana' "$TMP"/in/*.eml | tail -1)
checks=$((checks + 1))
[ "$A" != "$B" ] && cmp -s "$A" "$B" ||
    fail "the resent message differs from the first (or only one came)"

# A 5xx refusal is final at the first attempt.
smtpd_stop
smtpd_start "$TMP/in" --reject nobody@vendor.example
run 0 "$MC" add "$DB" "$C" access access:nobody nobody@vendor.example
run 0 "$MC" step "$DB" "$C" --all --now 3000
out_has '^access:nobody nobody@vendor.example failed attempts=1 .*550' \
    "5xx not final"
run 0 "$MC" step "$DB" "$C" --all --now 99999
out_is "nothing due"
smtpd_stop

# Authentication with the password file (aiosmtpd allows it without TLS).
printf 's3cret pass\n' >"$TMP/pw"
chmod 600 "$TMP/pw"
printf 'wrong\n' >"$TMP/badpw"
chmod 600 "$TMP/badpw"
smtpd_start "$TMP/auth" --auth "ferry:$TMP/pw"
cp "$C" "$TMP/auth.conf"
printf 'smtp-user ferry\nsmtp-password-file %s\n' "$TMP/badpw" \
    >>"$TMP/auth.conf"
run 0 "$MC" add "$DB" "$C" access access:auth cy@vendor.example
run 0 "$MC" step "$DB" "$TMP/auth.conf" --now 4000
out_has 'access:auth cy@vendor.example queued attempts=1' "a refused login is not kept for later"
sed -i "s|$TMP/badpw|$TMP/pw|" "$TMP/auth.conf"
chmod 644 "$TMP/pw"
run 1 "$MC" check "$TMP/auth.conf"
err_has "SMTP password file $TMP/pw has mode 0644"
err_has "chmod 600"
run 0 "$MC" step "$DB" "$TMP/auth.conf" --now 4010
out_has 'queued attempts=2 .*chmod 600' "password file mode"
checks=$((checks + 1))
! grep -q 's3cret' "$TMP/out" "$TMP/err" || fail "password in a message"
chmod 600 "$TMP/pw"
run 0 "$MC" step "$DB" "$TMP/auth.conf" --now 4030
out_has 'access:auth cy@vendor.example sent attempts=3' "auth"
is "$(count "$TMP/auth")" 1 "authenticated messages"
smtpd_stop

# STARTTLS: required means no mail in clear, and the CA file is checked.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" \
    -out "$TMP/cert.pem" 2>/dev/null
smtpd_start "$TMP/plain"
sed 's/^smtp-starttls off$/smtp-starttls required/' "$C" >"$TMP/tls.conf"
printf 'smtp-ca-file %s\n' "$TMP/cert.pem" >>"$TMP/tls.conf"
run 0 "$MC" add "$DB" "$C" access access:tls dee@vendor.example
run 0 "$MC" step "$DB" "$TMP/tls.conf" --now 5000
out_has 'access:tls dee@vendor.example queued attempts=1' "STARTTLS refused but"
is "$(count "$TMP/plain")" 0 "messages sent in clear"
smtpd_stop
smtpd_start "$TMP/tls" --starttls "$TMP/cert.pem" "$TMP/key.pem"
sed 's/^smtp-ca-file .*/smtp-ca-file \/dev\/null/' "$TMP/tls.conf" \
    >"$TMP/badca.conf"
run 0 "$MC" step "$DB" "$TMP/badca.conf" --now 5010
out_has 'queued attempts=2' "an unknown certificate was accepted"
run 0 "$MC" step "$DB" "$TMP/tls.conf" --now 5030
out_has 'access:tls dee@vendor.example sent attempts=3' "STARTTLS"
is "$(count "$TMP/tls")" 1 "messages over STARTTLS"
smtpd_stop

# Implicit TLS (smtps).
smtpd_start "$TMP/smtps" --smtps "$TMP/cert.pem" "$TMP/key.pem"
sed 's/^smtp-starttls required$/smtp-tls implicit/' "$TMP/tls.conf" \
    >"$TMP/smtps.conf"
run 0 "$MC" add "$DB" "$C" access access:smtps eve@vendor.example
run 0 "$MC" step "$DB" "$TMP/smtps.conf" --now 6000
out_has 'access:smtps eve@vendor.example sent attempts=1' "smtps"
is "$(count "$TMP/smtps")" 1 "messages over smtps"
smtpd_stop

finish
