#!/bin/sh
# The user key's passphrase: taken from a 0600 file or an environment
# variable, never from the command line, and never in ferry-sftp's output
# or the server's log, right or wrong.
. "${srcdir:-.}/tests/sftp/lib.sh"
PASS="pp-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
keygen locked "$PASS"
cat "$K/locked.pub" >>"$K/authorized_keys"
sshd_start
head -c 4000000 /dev/urandom >"$TMP/local/f.bin"
printf '%s\n' "$PASS" >"$TMP/pass"
chmod 600 "$TMP/pass"
printf 'wrong-%s\n' "$PASS" >"$TMP/badpass"
chmod 600 "$TMP/badpass"

# no_secret FILE...: the passphrase in none of them.
no_secret() {
	for f in "$@"; do
		checks=$((checks + 1))
		! grep -aqF -- "$PASS" "$f" || fail "the passphrase is in $f"
	done
}

export KEY="$K/locked"
FERRY_TEST_PASS=$PASS fsftp 0 --passphrase-env FERRY_TEST_PASS \
    send --local "$TMP/local" f.bin
same "$TMP/local/f.bin" "$TMP/root/f.bin"
no_secret "$TMP/out" "$TMP/err"
fsftp 0 --passphrase-file "$TMP/pass" pull --local "$TMP/root" f.bin
no_secret "$TMP/out" "$TMP/err"

# Wrong, missing, or in a file others can read: refused, not shown.
fsftp 1 --passphrase-file "$TMP/badpass" check
err_has "the server refused $SSH_USER's key $K/locked (or the key or"
err_has "its passphrase could not be used)"
no_secret "$TMP/out" "$TMP/err"
fsftp 1 check
err_has "passphrase could not be used"
chmod 644 "$TMP/pass"
fsftp 1 --passphrase-file "$TMP/pass" check
err_has "$TMP/pass: readable by others; chmod 600 it"
no_secret "$TMP/out" "$TMP/err"
chmod 600 "$TMP/pass"

# While a transfer runs: not in its argv (the environment holds it,
# which shows we are looking at the right process).
rm "$TMP/root/f.bin"
FERRY_TEST_PASS=$PASS "$SFTP" --target "$TARGET" --key "$KEY" \
    --known-hosts "$KNOWN" --bwlimit 2M --passphrase-env FERRY_TEST_PASS \
    send --local "$TMP/local" f.bin >"$TMP/bg.out" 2>"$TMP/bg.err" &
bg=$!
sleep 0.5
tr '\0' ' ' <"/proc/$bg/cmdline" >"$TMP/cmdline"
tr '\0' '\n' <"/proc/$bg/environ" >"$TMP/environ"
checks=$((checks + 1))
grep -q "f.bin" "$TMP/cmdline" || fail "not ferry-sftp: $(cat "$TMP/cmdline")"
checks=$((checks + 1))
grep -qF -- "$PASS" "$TMP/environ" || fail "the environment lacks it"
no_secret "$TMP/cmdline"
checks=$((checks + 1))
wait "$bg" || fail "the background send failed: $(cat "$TMP/bg.err")"
"$SFTP" --target "$TARGET" --key "$KEY" --known-hosts "$KNOWN" \
    --passphrase-file "$TMP/pass" send --local "$TMP/local" f.bin \
    >"$TMP/bg2.out" 2>"$TMP/bg2.err" &
bg=$!
sleep 0.2
tr '\0' ' ' <"/proc/$bg/cmdline" >"$TMP/cmdline2" 2>/dev/null || true
wait "$bg" || fail "send with --passphrase-file failed"
no_secret "$TMP/cmdline2" "$TMP/bg.out" "$TMP/bg.err" "$TMP/bg2.out" \
    "$TMP/bg2.err" "$K/sshd.log"
# The server's log did record these logins (so it was looked at).
checks=$((checks + 1))
grep -q "Accepted publickey" "$K/sshd.log" || fail "sshd logged no login"

finish
