#!/bin/sh
# Refusals: a wrong host key, an unknown host, a user key the server does
# not know, and paths outside the root ("..", absolute, a remote symlink
# pointing out), each with its message; nothing is written anywhere.
. "${srcdir:-.}/tests/sftp/lib.sh"
sshd_start
FP=$(ssh-keygen -lf "$K/host.pub" | cut -d' ' -f2)
printf 'x\n' >"$TMP/local/f.txt"

# Another key listed for this host: a mismatch naming the offered key.
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cat "$K/other.pub")" \
    >"$TMP/wrong_hosts"
KNOWN="$TMP/wrong_hosts" fsftp 1 send --local "$TMP/local" f.txt
err_has "127.0.0.1 port $SSH_PORT: HOST KEY MISMATCH"
err_has "$FP"
absent "$TMP/root/f.txt"

# The key listed for another port only (and another host): unknown.
printf '[127.0.0.1]:1 %s\nexample.org %s\n' "$(cat "$K/host.pub")" \
    "$(cat "$K/host.pub")" >"$TMP/other_hosts"
KNOWN="$TMP/other_hosts" fsftp 1 check
err_has "127.0.0.1 port $SSH_PORT: unknown host"
err_has "$FP"
# An empty known_hosts is no exception, nor a missing one.
: >"$TMP/empty_hosts"
KNOWN="$TMP/empty_hosts" fsftp 1 check
err_has "unknown host"
KNOWN="$TMP/none" fsftp 1 check
err_has "$TMP/none"

# A hashed known_hosts entry (ssh-keygen -H) is accepted.
cp "$K/known_hosts" "$TMP/hashed"
ssh-keygen -q -H -f "$TMP/hashed" 2>/dev/null
grep -q '^|1|' "$TMP/hashed" || fail "ssh-keygen -H did not hash"
KNOWN="$TMP/hashed" fsftp 0 check

# A user key the server does not know.
KEY="$K/other" fsftp 1 send --local "$TMP/local" f.txt
err_has "the server refused $SSH_USER's key $K/other"
absent "$TMP/root/f.txt"

# Paths outside the root.
fsftp 1 send --local "$TMP/local" ../f.txt
err_has '".." would escape'
fsftp 1 pull --local "$TMP/local" a/../../etc/passwd
err_has 'would escape'
fsftp 1 pull --local "$TMP/local" /etc/passwd
err_has 'absolute name'
absent "$TMP/local/etc"

# Remote symlinks pointing out: refused on the way and at the end, for
# reading, writing and listing.
mkdir -p "$TMP/outside"
printf 'secret\n' >"$TMP/outside/secret.txt"
ln -s "$TMP/outside" "$TMP/root/out"
ln -s "$TMP/outside/secret.txt" "$TMP/root/secret.txt"
fsftp 1 pull --local "$TMP/local" out/secret.txt
err_has "$TMP/root/out: a symlink on the server: ferry follows none"
absent "$TMP/local/out"
fsftp 1 pull --local "$TMP/local" secret.txt
err_has "secret.txt: a symlink on the server"
absent "$TMP/local/secret.txt"
mkdir -p "$TMP/local/out" && cp "$TMP/local/f.txt" "$TMP/local/out/"
fsftp 1 send --local "$TMP/local" out/f.txt
err_has "a symlink on the server"
absent "$TMP/outside/f.txt"
cp "$TMP/local/f.txt" "$TMP/local/secret.txt"
fsftp 1 send --local "$TMP/local" secret.txt
err_has "a symlink on the server: ferry writes over regular files only"
is "outside untouched" "$(cat "$TMP/outside/secret.txt")" secret
fsftp 0 list
is "list" "$(sort "$TMP/out" | tr '\n' ' ')" "refused out refused secret.txt "
fsftp 1 list out
err_has "a symlink on the server: ferry follows none"
# A planted partial file that is a symlink is not written through.
ln -s "$TMP/outside/secret.txt" "$TMP/root/.f.txt.ferry-part"
fsftp 1 send --local "$TMP/local" f.txt
err_has "a symlink on the server"
is "outside untouched" "$(cat "$TMP/outside/secret.txt")" secret
absent "$TMP/root/f.txt"

# A server that accepts but never speaks: bounded by --timeout.
kill -STOP "$SSHD_PID"
t0=$(date +%s)
run 1 "$SFTP" --target "$TARGET" --key "$K/user" --known-hosts "$KNOWN" \
    --timeout 1000 check
kill -CONT "$SSHD_PID"
err_has "127.0.0.1: SSH handshake: "
checks=$((checks + 1))
[ $(($(date +%s) - t0)) -le 5 ] || fail "the handshake took over 5 s"
fsftp 0 check

finish
