#!/bin/sh
# Resume after the connection is killed: sshd's session process is killed
# mid-file; the next attempt appends to the partial file after verifying
# its prefix, and the byte counts prove the prefix was not moved again.
# A partial file whose prefix differs starts again from zero.
. "${srcdir:-.}/tests/sftp/lib.sh"
sshd_start
SIZE=16777216
head -c $SIZE /dev/urandom >"$TMP/local/big.bin"

# wait_size FILE BYTES: until FILE holds at least BYTES (10 s at most).
wait_size() {
	i=0
	until [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "$1 never reached $2 bytes"; return 0; }
		sleep 0.05
	done
}

# killed_mid_file PARTIAL CMD...: runs ferry-sftp CMD at 4 MiB/s in the
# background, kills sshd's sessions once PARTIAL holds 3 MiB, and checks
# that ferry-sftp failed on the dropped connection.
killed_mid_file() {
	part=$1; shift
	"$SFTP" --target "$TARGET" --key "$K/user" --known-hosts "$KNOWN" \
	    --timeout 10000 --bwlimit 4M "$@" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	wait_size "$part" 3145728
	sshd_kill_sessions
	checks=$((checks + 1))
	if wait "$pid"; then
		fail "ferry-sftp $* survived its connection"
	fi
	err_has "127.0.0.1: "
}

# Send.
killed_mid_file "$TMP/root/.big.bin.ferry-part" send --local "$TMP/local" \
    big.bin
absent "$TMP/root/big.bin"
P=$(stat -c %s "$TMP/root/.big.bin.ferry-part")
checks=$((checks + 1))
[ "$P" -gt 0 ] && [ "$P" -lt $SIZE ] || fail "partial file of $P bytes"
fsftp 0 send --local "$TMP/local" big.bin
is "send resumed" "$(stat_of resumed)" "$P"
is "send bytes" "$(stat_of bytes)" $((SIZE - P))
is "send remote hash" "$(stat_of remote_hash)" 1
same "$TMP/local/big.bin" "$TMP/root/big.bin"
no_partials "$TMP/root"

# Send again, verified by reading back: the prefix is read, not sent.
killed_mid_file "$TMP/root/.big.bin.ferry-part" --no-remote-hash \
    send --local "$TMP/local" big.bin
P=$(stat -c %s "$TMP/root/.big.bin.ferry-part")
fsftp 0 --no-remote-hash send --local "$TMP/local" big.bin
is "read-back resumed" "$(stat_of resumed)" "$P"
is "read-back bytes" "$(stat_of bytes)" $((SIZE - P))
is "read-back verified" "$(stat_of verified)" $((SIZE + P))
same "$TMP/local/big.bin" "$TMP/root/big.bin"

# A partial file whose prefix differs is not trusted.
head -c 2000000 "$TMP/local/big.bin" >"$TMP/root/.big.bin.ferry-part"
printf 'X' | dd of="$TMP/root/.big.bin.ferry-part" bs=1 seek=1000 \
    conv=notrunc 2>/dev/null
fsftp 0 send --local "$TMP/local" big.bin
is "bad prefix resumed" "$(stat_of resumed)" 0
is "bad prefix bytes" "$(stat_of bytes)" $SIZE
same "$TMP/local/big.bin" "$TMP/root/big.bin"

# Pull.
mkdir "$TMP/back"
killed_mid_file "$TMP/back/.big.bin.ferry-part" pull --local "$TMP/back" \
    big.bin
absent "$TMP/back/big.bin"
P=$(stat -c %s "$TMP/back/.big.bin.ferry-part")
fsftp 0 pull --local "$TMP/back" big.bin
is "pull resumed" "$(stat_of resumed)" "$P"
is "pull bytes" "$(stat_of bytes)" $((SIZE - P))
same "$TMP/local/big.bin" "$TMP/back/big.bin"
no_partials "$TMP/back"

finish
