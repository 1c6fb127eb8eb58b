#!/bin/sh
# ferry-sftp against a real sshd: send and pull, verified by the server's
# sha256sum and by reading back, an existing file replaced, a listing,
# and a server that runs no commands (ForceCommand internal-sftp).
. "${srcdir:-.}/tests/sftp/lib.sh"
sshd_start

mkdir -p "$TMP/local/shots/a"
head -c 9000000 /dev/urandom >"$TMP/local/shots/a/plate.exr"
printf 'hello\n' >"$TMP/local/notes.txt"
chmod 0640 "$TMP/local/notes.txt"
touch -d '2024-01-02 03:04:05' "$TMP/local/notes.txt"

fsftp 0 check
grep -q "^fingerprint $(ssh-keygen -lf "$K/host.pub" | cut -d' ' -f2)\$" \
    "$TMP/out" || fail "check: no fingerprint: $(cat "$TMP/out")"
grep -q '^remote-hash yes$' "$TMP/out" ||
    fail "no remote hash: $(cat "$TMP/out")"

# Send, verified by the remote hash: nothing read back but the small
# file (below 8 MiB a command costs more than reading back).
fsftp 0 send --local "$TMP/local" shots/a/plate.exr notes.txt
same "$TMP/local/shots/a/plate.exr" "$TMP/root/shots/a/plate.exr"
same "$TMP/local/notes.txt" "$TMP/root/notes.txt"
is files "$(stat_of files)" 2
is bytes "$(stat_of bytes)" 9000006
is remote_hash "$(stat_of remote_hash)" 1
is verified "$(stat_of verified)" 6
is mode "$(stat -c %a "$TMP/root/notes.txt")" 640
is mtime "$(stat -c %Y "$TMP/root/notes.txt")" \
    "$(stat -c %Y "$TMP/local/notes.txt")"
no_partials "$TMP/root"

# Replacing an existing file, both ways: the server's mv, or set aside.
printf 'second\n' >"$TMP/local/notes.txt"
fsftp 0 send --local "$TMP/local" notes.txt
same "$TMP/local/notes.txt" "$TMP/root/notes.txt"
printf 'third version\n' >"$TMP/local/notes.txt"
fsftp 0 --no-remote-hash send --local "$TMP/local" notes.txt
same "$TMP/local/notes.txt" "$TMP/root/notes.txt"
is verified "$(stat_of verified)" 14
is remote_hash "$(stat_of remote_hash)" 0
no_partials "$TMP/root"

# Pull, both ways.
mkdir "$TMP/back" "$TMP/back2"
head -c 9000000 /dev/urandom >"$TMP/root/shots/a/comp.exr"
fsftp 0 pull --local "$TMP/back" shots/a/comp.exr notes.txt
same "$TMP/root/shots/a/comp.exr" "$TMP/back/shots/a/comp.exr"
same "$TMP/root/notes.txt" "$TMP/back/notes.txt"
is pull_bytes "$(stat_of bytes)" 9000014
is pull_verified "$(stat_of verified)" 14
fsftp 0 --no-remote-hash pull --local "$TMP/back2" shots/a/comp.exr
same "$TMP/root/shots/a/comp.exr" "$TMP/back2/shots/a/comp.exr"
is pull_read_back "$(stat_of verified)" 9000000
no_partials "$TMP/back"

# A name the server's shell must not split: the remote hash and mv quote.
head -c 9000000 /dev/urandom >"$TMP/local/it's \$(x) a;b.bin"
fsftp 0 send --local "$TMP/local" "it's \$(x) a;b.bin"
is "quoted hash" "$(stat_of remote_hash)/$(stat_of verified)" 1/0
fsftp 0 send --local "$TMP/local" "it's \$(x) a;b.bin"
same "$TMP/local/it's \$(x) a;b.bin" "$TMP/root/it's \$(x) a;b.bin"
rm "$TMP/local/it's \$(x) a;b.bin" "$TMP/root/it's \$(x) a;b.bin"

# A listing: regular files, with sizes; ferry's own files not shown.
: >"$TMP/root/shots/.x.ferry-part"
fsftp 0 list
sort "$TMP/out" >"$TMP/list"
printf '%s\n' "file 9000000 shots/a/comp.exr" \
    "file 9000000 shots/a/plate.exr" "file 14 notes.txt" | sort >"$TMP/want"
checks=$((checks + 1))
cmp -s "$TMP/list" "$TMP/want" || fail "list: $(cat "$TMP/list")"
rm "$TMP/root/shots/.x.ferry-part"
fsftp 0 list shots/a
is "list dir" "$(sort "$TMP/out" | head -1)" "file 9000000 shots/a/comp.exr"

# A missing file is a clear error, and leaves nothing locally.
fsftp 1 pull --local "$TMP/back" shots/missing.exr
err_has "shots/missing.exr"
no_partials "$TMP/back"

# A server that runs no commands: verified by reading back.
sshd_stop
sshd_start "ForceCommand internal-sftp"
fsftp 0 check
grep -q '^remote-hash no$' "$TMP/out" || fail "remote hash: $(cat "$TMP/out")"
printf 'fourth\n' >"$TMP/local/notes.txt"
fsftp 0 send --local "$TMP/local" notes.txt shots/a/plate.exr
same "$TMP/local/notes.txt" "$TMP/root/notes.txt"
is verified "$(stat_of verified)" 9000007
no_partials "$TMP/root"

finish
