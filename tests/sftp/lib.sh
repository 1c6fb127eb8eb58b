# Sourced by the SFTP tests: a real OpenSSH sshd on 127.0.0.1 at a free
# port, with a throw-away host key and user key (as bench/run starts its
# own), a known_hosts file naming it, and helpers around ferry-sftp.
. "${srcdir:-.}/tests/lib.sh"

: "${SFTP:?SFTP must name the ferry-sftp binary (make check sets it)}"
[ -x /usr/sbin/sshd ] || need sshd
need ssh-keygen
need jq

SSHD_PID=
SSH_PORT=
SSH_USER=$(id -un)
K="$TMP/keys"
mkdir -p -m 0700 "$K" "$TMP/root" "$TMP/local"

sftp_cleanup() {
	sshd_stop
	[ -z "${SFTP_MOUNT:-}" ] || umount "$SFTP_MOUNT" 2>/dev/null || true
	rm -rf "$TMP"
}
trap sftp_cleanup EXIT

keygen() {
	ssh-keygen -q -t ed25519 -N "${2:-}" -C "ferry-test-$1" -f "$K/$1"
}
keygen host
keygen user
keygen other	# a key the server does not know, and a host key it lacks
cp "$K/user.pub" "$K/authorized_keys"

# sshd_start [CONFIG LINE...]: sshd on a free port (extra lines appended
# to its configuration); sets SSHD_PID, SSH_PORT, KNOWN (a known_hosts
# file listing the host key) and TARGET (USER@127.0.0.1:PORT:$TMP/root).
sshd_start() {
	if [ ! -d /run/sshd ]; then
		[ "$(id -u)" = 0 ] || { echo "SKIP: no /run/sshd" >&2; exit 77; }
		mkdir -p -m 0755 /run/sshd
	fi
	for try in 1 2 3 4 5 6 7 8; do
		SSH_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
		{
			cat <<-EOF
			Port $SSH_PORT
			ListenAddress 127.0.0.1
			HostKey $K/host
			PidFile $K/sshd.pid
			AuthorizedKeysFile $K/authorized_keys
			AllowUsers $SSH_USER
			PermitRootLogin prohibit-password
			PubkeyAuthentication yes
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			UsePAM no
			StrictModes no
			UseDNS no
			X11Forwarding no
			AllowTcpForwarding no
			PermitTTY no
			PrintMotd no
			LogLevel VERBOSE
			Subsystem sftp internal-sftp
			EOF
			for line in "$@"; do echo "$line"; done
		} >"$K/sshd_config"
		/usr/sbin/sshd -t -f "$K/sshd_config"
		/usr/sbin/sshd -D -e -f "$K/sshd_config" 2>>"$K/sshd.log" &
		SSHD_PID=$!
		printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cat "$K/host.pub")" \
		    >"$K/known_hosts"
		KNOWN="$K/known_hosts"
		TARGET="$SSH_USER@127.0.0.1:$SSH_PORT:$TMP/root"
		for i in $(seq 50); do
			kill -0 "$SSHD_PID" 2>/dev/null || break
			if "$SFTP" --target "$TARGET" --key "$K/user" \
			    --known-hosts "$KNOWN" check >/dev/null 2>&1; then
				return 0
			fi
			sleep 0.1
		done
		sshd_stop
	done
	echo "FAIL: could not start sshd:" >&2
	cat "$K/sshd.log" >&2
	exit 1
}

sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	kill "$SSHD_PID" 2>/dev/null || true
	wait "$SSHD_PID" 2>/dev/null || true
	SSHD_PID=
}

# sshd_kill_sessions: kills sshd's session processes (its children, by
# id), as a dropped connection would end them.
sshd_kill_sessions() {
	for spid in $(pgrep -P "$SSHD_PID"); do
		kill -9 "$spid" 2>/dev/null || true
	done
}

# fsftp STATUS [OPTIONS...] COMMAND [ARGS...]: ferry-sftp against the
# server with the user key, stats in $TMP/stats.
fsftp() {
	want=$1; shift
	run "$want" "$SFTP" --target "$TARGET" --key "${KEY:-$K/user}" \
	    --known-hosts "$KNOWN" --timeout 10000 --stats "$TMP/stats" "$@"
	# Under ASan a leak on a failing path would hide behind exit 1.
	! grep -q "Sanitizer" "$TMP/err" || fail "sanitizer: $(head -3 "$TMP/err")"
}

# stat_of FIELD: a number from ferry-sftp's --stats JSON.
stat_of() {
	jq -r ".$1" "$TMP/stats"
}

# is NAME GOT WANT: one check of a value.
is() {
	checks=$((checks + 1))
	[ "$2" = "$3" ] || fail "$1: got \"$2\", expected \"$3\""
}

# same FILE1 FILE2: identical content.
same() {
	checks=$((checks + 1))
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# absent PATH: nothing there.
absent() {
	checks=$((checks + 1))
	[ ! -e "$1" ] && [ ! -L "$1" ] || fail "$1 exists"
}

# no_partials DIR: no ferry temporary file left in DIR.
no_partials() {
	checks=$((checks + 1))
	left=$(find "$1" -name '.*ferry-*' | head -5)
	[ -z "$left" ] || fail "partial files left: $left"
}
