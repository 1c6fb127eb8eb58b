#!/bin/bash
# bench/sftp.sh: SFTP throughput of ferry's SFTP library (sftp/ferry-sftp)
# against OpenSSH's scp (SFTP mode, and the old scp protocol with -O) and
# against ferry's own transfer core (transfer/ferry-peer, the agent path),
# and a job to an SFTP site through a hub (`ferry send --wait`, the whole
# path a studio uses: planning, dispatch, libsftp), over one private sshd
# on loopback, in the same run, on the same file.
# A benchmark, not a test: it prints a Markdown table and never fails on
# a number (docs/benchmarks.md, "SFTP").
#
#   bench/sftp.sh [--build DIR] [--size MIB] [--repeat N] [--workdir DIR]
set -eu

BUILD=build/dev
SIZE=512
REPEAT=3
W=${TMPDIR:-/tmp}/ferry-bench-sftp
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	--workdir) W=$2; shift 2 ;;
	*) echo "usage: bench/sftp.sh [--build DIR] [--size MIB]" \
	    "[--repeat N] [--workdir DIR]" >&2; exit 2 ;;
	esac
done
SFTP=$BUILD/sftp/ferry-sftp
PEER=$BUILD/transfer/tools/ferry-peer
FERRYD=$BUILD/agent/ferryd
FERRY=$BUILD/ferry
for x in "$SFTP" "$PEER" "$FERRYD" "$FERRY" /usr/sbin/sshd ssh-keygen scp; do
	command -v "$x" >/dev/null ||
	    { echo "bench/sftp.sh: $x is missing (build, or install" \
	    "openssh-server and openssh-client)" >&2; exit 1; }
done

rm -rf "$W"
mkdir -p -m 0700 "$W/k" "$W/src" "$W/dst" "$W/back"
K=$W/k
PID=
HPID=
cleanup() {
	[ -z "$PID" ] || kill "$PID" 2>/dev/null || true
	[ -z "$HPID" ] || kill "$HPID" 2>/dev/null || true
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -f "$K/host"
ssh-keygen -q -t ed25519 -N '' -f "$K/user"
cp "$K/user.pub" "$K/authorized_keys"
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
PORT=$((20000 + RANDOM % 20000))
# One cipher and MAC both sides speak (libssh2 1.10 has neither GCM nor
# chacha20-poly1305), so that scp and ferry-sftp pay the same crypto.
cat >"$K/sshd_config" <<EOF2
Port $PORT
ListenAddress 127.0.0.1
HostKey $K/host
PidFile $K/sshd.pid
AuthorizedKeysFile $K/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
Ciphers aes128-ctr
MACs hmac-sha2-256
Compression no
Subsystem sftp internal-sftp
LogLevel ERROR
EOF2
/usr/sbin/sshd -D -e -f "$K/sshd_config" 2>"$K/sshd.log" &
PID=$!
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cat "$K/host.pub")" >"$K/known"
T="$(id -un)@127.0.0.1:$PORT:$W/dst"
FS=("$SFTP" --target "$T" --key "$K/user" --known-hosts "$K/known")
SCP=(scp -q -P "$PORT" -i "$K/user" -o UserKnownHostsFile="$K/known"
    -o BatchMode=yes -o Ciphers=aes128-ctr -o MACs=hmac-sha2-256)
for i in $(seq 50); do
	"${FS[@]}" check >/dev/null 2>&1 && break
	sleep 0.1
done
head -c $((SIZE * 1048576)) /dev/urandom >"$W/src/f.bin"
U="$(id -un)@127.0.0.1"

# ferry-peer from src to dst over its own TLS, as two agents do.
A=$("$PEER" keygen --state "$W/pa")
B=$("$PEER" keygen --state "$W/pb")
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/token"
peer() {
	"$PEER" recv --state "$W/pb" --peer-fp "$A" --token-file "$W/token" \
	    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$W/dst" \
	    >"$W/rport" 2>"$W/rerr" &
	local r=$!
	until grep -q listening "$W/rport" 2>/dev/null; do sleep 0.02; done
	"$PEER" send --state "$W/pa" --peer-fp "$B" --token-file "$W/token" \
	    --connect "127.0.0.1:$(cut -d' ' -f2 "$W/rport")" --src "$W/src"
	wait "$r"
}

# A hub (site hq) whose share is $W/src, with an SFTP site "bench" whose
# root is $W/dst: `ferry send --wait` is the studio's way to the vendor.
HUBPORT=$((21000 + RANDOM % 9000))
ROOT_OK=
[ "$(id -u)" != 0 ] || ROOT_OK=--allow-root
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$HUBPORT" \
    --state "$W/hub" >/dev/null
"$FERRYD" run $ROOT_OK --state "$W/hub" 2>"$W/hub.log" &
HPID=$!
until [ -S "$W/hub/ferryd.sock" ]; do sleep 0.05; done
printf '{ "sites": ["hq"], "shares": { "s": { "linux": "%s" } } }\n' \
    "$W/src" >"$W/map.json"
"$FERRY" share import "$W/map.json" --state "$W/hub" >/dev/null
"$FERRY" site add bench --sftp "$T" --key "$K/user" --known-hosts "$K/known" \
    --state "$W/hub" >/dev/null
"$FERRY" acl set bench s: read --state "$W/hub" >/dev/null
hubsend() {
	"$FERRY" send --from hq --to bench --wait --state "$W/hub" "$W/src/f.bin"
}

# time_of send|pull CMD...: wall seconds of CMD, after emptying the
# destination (the server's side holds the file for a pull).
time_of() {
	rm -rf "$W/dst"/* "$W/dst"/.??* "$W/back"/* "$W/back"/.??*
	[ "$1" = send ] || cp "$W/src/f.bin" "$W/dst/f.bin"
	shift
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$W/err" || { echo "failed: $*" >&2; cat "$W/err" >&2; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# median of N numbers on stdin.
median() {
	sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'
}

declare -A NAME=(
	[fs]="ferry-sftp send (verified by remote sha256sum)"
	[fsrb]="ferry-sftp send --no-remote-hash (verified by reading back)"
	[scp]="scp (OpenSSH 9.2, SFTP protocol)"
	[scpO]="scp -O (the old scp protocol)"
	[peer]="ferry-peer (the agent path: TLS 1.3, flush to disk)"
	[hub]="ferry send --wait to an SFTP site (the hub as the client)"
	[fsp]="ferry-sftp pull (remote sha256sum)"
	[scpp]="scp pull"
)
ORDER="fs fsrb scp scpO peer hub fsp scpp"
declare -A RES
for n in $(seq "$REPEAT"); do
	RES[fs]+="$(time_of send "${FS[@]}" send --local "$W/src" f.bin) "
	RES[fsrb]+="$(time_of send "${FS[@]}" --no-remote-hash \
	    send --local "$W/src" f.bin) "
	RES[scp]+="$(time_of send "${SCP[@]}" "$W/src/f.bin" "$U:$W/dst/") "
	RES[scpO]+="$(time_of send "${SCP[@]}" -O "$W/src/f.bin" "$U:$W/dst/") "
	RES[peer]+="$(time_of send peer) "
	RES[hub]+="$(time_of send hubsend) "
	RES[fsp]+="$(time_of pull "${FS[@]}" pull --local "$W/back" f.bin) "
	RES[scpp]+="$(time_of pull "${SCP[@]}" "$U:$W/dst/f.bin" "$W/back/") "
done
echo "| tool | $SIZE MiB, median of $REPEAT (s) | MiB/s | runs (s) |"
echo "| --- | --- | --- | --- |"
for k in $ORDER; do
	m=$(echo "${RES[$k]}" | tr ' ' '\n' | grep . | median)
	rate=$(awk -v s="$SIZE" -v m="$m" 'BEGIN { print s / m }')
	runs=$(echo "${RES[$k]}" | awk '{ for (i = 1; i <= NF; i++)
	    printf "%s%.2f", (i > 1 ? ", " : ""), $i }')
	printf '| %s | %s | %.0f | %s |\n' "${NAME[$k]}" "$m" "$rate" "$runs"
done
