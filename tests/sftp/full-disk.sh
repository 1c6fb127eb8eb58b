#!/bin/sh
# A full disk, on the server and locally: a clear error, the partial file
# removed (nothing to resume, and the space given back), and never a
# partial file under a final name; a file already there stays whole.
. "${srcdir:-.}/tests/sftp/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: mounting a small tmpfs needs root" >&2
	exit 77
fi
mkdir "$TMP/full"
mount -t tmpfs -o size=1m ferry-sftp-test "$TMP/full" || {
	echo "SKIP: cannot mount a tmpfs here" >&2
	exit 77
}
SFTP_MOUNT="$TMP/full"
sshd_start
TARGET="$SSH_USER@127.0.0.1:$SSH_PORT:$TMP/full"

head -c 2000000 /dev/urandom >"$TMP/local/big.bin"
printf 'small\n' >"$TMP/local/small.txt"

fsftp 1 send --local "$TMP/local" big.bin
err_has "127.0.0.1: no space left on the server's disk writing"
err_has "$TMP/full/big.bin; the partial file was removed"
absent "$TMP/full/big.bin"
no_partials "$TMP/full"

# An older version under the final name is left as it was.
head -c 300000 /dev/urandom >"$TMP/full/big.bin"
cp "$TMP/full/big.bin" "$TMP/old.bin"
fsftp 1 send --local "$TMP/local" big.bin
err_has "no space left on the server's disk"
same "$TMP/old.bin" "$TMP/full/big.bin"
no_partials "$TMP/full"

# The space was given back: a small file still goes.
fsftp 0 send --local "$TMP/local" small.txt
same "$TMP/local/small.txt" "$TMP/full/small.txt"

# Pulling onto a full local disk.
umount "$TMP/full"
mount -t tmpfs -o size=1m ferry-sftp-test "$TMP/full"
TARGET="$SSH_USER@127.0.0.1:$SSH_PORT:$TMP/root"
cp "$TMP/local/big.bin" "$TMP/root/big.bin"
fsftp 1 pull --local "$TMP/full" big.bin
err_has "No space left on device"
absent "$TMP/full/big.bin"
no_partials "$TMP/full"

finish
