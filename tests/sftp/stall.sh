#!/bin/sh
# A server that stops answering mid-file (its session process stopped
# with SIGSTOP, as a hung NFS mount or a frozen VM would stop it): every
# wait of ferry-sftp is bounded by --timeout, so it gives up with a clear
# error soon after, on the write, the close, the fsync and the teardown
# alike; never hangs. Sending, then pulling.
. "${srcdir:-.}/tests/sftp/lib.sh"
sshd_start
SIZE=33554432
head -c $SIZE /dev/urandom >"$TMP/local/big.bin"
TMO=3000
# The budget: one timeout to notice the stall, one for the teardown
# (close, channel close, disconnect share it), and slack for a loaded CI
# machine.  Before the fix each of those waits took a timeout of its own.
BUDGET=9

# sessions SIGNAL: sends SIGNAL to sshd's session processes and theirs.
sessions() {
	for spid in $(pgrep -P "$SSHD_PID"); do
		for cpid in $(pgrep -P "$spid"); do
			kill "-$1" "$cpid" 2>/dev/null || true
		done
		kill "-$1" "$spid" 2>/dev/null || true
	done
}

# wait_size FILE BYTES: until FILE holds at least BYTES (10 s at most).
wait_size() {
	i=0
	until [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "$1 never reached $2 bytes"; return 0; }
		sleep 0.05
	done
}

# stalled PARTIAL BYTES CMD...: runs ferry-sftp CMD at 4 MiB/s, stops the
# server once PARTIAL holds BYTES, and checks that ferry-sftp exits 1
# within BUDGET seconds with a timeout naming the host.
stalled() {
	part=$1; bytes=$2; shift 2
	"$SFTP" --target "$TARGET" --key "$K/user" --known-hosts "$KNOWN" \
	    --timeout $TMO --bwlimit 4M "$@" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	wait_size "$part" "$bytes"
	sessions STOP
	t0=$(date +%s)
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	took=$(($(date +%s) - t0))
	echo "ferry-sftp $1: exited ${took}s after the server stopped" >&2
	checks=$((checks + 1))
	if kill -0 "$pid" 2>/dev/null; then
		fail "ferry-sftp $* still waits ${took}s after the server stopped"
		kill -9 "$pid"
	elif [ "$took" -gt $BUDGET ]; then
		fail "ferry-sftp $* took ${took}s after the server stopped" \
		    "(--timeout ${TMO}ms, budget ${BUDGET}s)"
	fi
	checks=$((checks + 1))
	wait "$pid" && fail "ferry-sftp $* succeeded against a stopped server"
	err_has "timed out: the server did not answer within $TMO ms"
	sessions CONT
	sessions KILL
	! grep -q "Sanitizer" "$TMP/err" || fail "sanitizer: $(head -3 "$TMP/err")"
}

stalled "$TMP/root/.big.bin.ferry-part" 2097152 send \
    --local "$TMP/local" big.bin

# Pulling: the server stops while we read.
rm -f "$TMP/root/.big.bin.ferry-part"
cp "$TMP/local/big.bin" "$TMP/root/pulled.bin"
stalled "$TMP/local/.pulled.bin.ferry-part" 2097152 pull \
    --local "$TMP/local" pulled.bin

finish
