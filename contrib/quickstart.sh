#!/bin/sh
# ferry quickstart: installs the build dependencies (Debian 12), builds
# ferry out of tree in build/quickstart, and runs the main jobs so far:
# translating studio paths between sites and platforms with the example
# share map (contrib/examples/share-map.json), and moving an image sequence
# and a large file between two transfer peers on loopback, first whole,
# then as a delta after a few frames change, and the same as jobs through
# a hub (hq) and an enrolled agent (la). Scratch data goes to a temporary
# directory that is removed at the end, daemons included.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh
echo "== Building ferry in build/quickstart (logs: build/quickstart/*.out)"
mkdir -p build/quickstart
./autogen.sh >build/quickstart/autogen.out 2>&1 ||
    { cat build/quickstart/autogen.out; exit 1; }
cd build/quickstart
[ -f Makefile ] || "$top/configure" >configure.out 2>&1 ||
    { tail -n 20 configure.out; exit 1; }
make -j"$(nproc 2>/dev/null || echo 2)" >make.out 2>&1 ||
    { tail -n 30 make.out; exit 1; }
echo "   ferry, ferryd and ferry-ftrack are built; the commands below run them"
echo "   from there: export PATH=\"$PWD:$PWD/agent:$PWD/action:\$PATH\""
PATH="$PWD:$PWD/agent:$PWD/action:$PATH"
export PATH
ferry=ferry
map=$top/contrib/examples/share-map.json

# Prints a command as it can be pasted (each word quoted for the shell when
# it needs it), then runs it.
quote() {
	case $1 in
	*[!A-Za-z0-9_./:@=,+%-]*|'') printf "'%s'" "$(printf '%s' "$1" |
	    sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}
step() {
	printf '\n$'
	for w in "$@"; do printf ' %s' "$(quote "$w")"; done
	printf '\n'
	"$@"
}

echo "== The example share map: $map"
step "$ferry" map --map "$map" --to la \
    /storage/show/sh010/comp/v003/sh010_comp_v003.mov \
    'S:\show\sh010\plate\sh010_plate.%04d.exr [1001-1003, 1005-1010]' \
    '\\fileserver\storage\show\sh020\notes.txt'
step "$ferry" map --map "$map" --to vendor@example.com --expand \
    '/storage/show/sh010/plate/sh010_plate.####.exr [1001-1003]'
step "$ferry" map --map "$map" --from la --to hq:unc --json \
    /mnt/la/storage/show/sh010/comp/v004/sh010_comp_v004.mov
echo
echo "== Refusals (exit status 1, one message per path):"
step "$ferry" map --map "$map" --to hq:windows \
    /storage/show/../../etc/passwd /tmp/elsewhere /storage/show/CON.txt ||
    echo "(exit status $?)"

# The transfer core: hq (127.0.0.1) sends to la (127.0.0.2), which listens.
peer=$PWD/transfer/tools/ferry-peer
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/hq/show/sh010/plate" "$tmp/la"
i=1001
while [ $i -le 1048 ]; do
	head -c 2097152 /dev/urandom >"$tmp/hq/show/sh010/plate/sh010_plate.$i.exr"
	i=$((i + 1))
done
head -c 268435456 /dev/urandom >"$tmp/hq/show/sh010/sh010_comp_v003.mov"
hq_fp=$("$peer" keygen --state "$tmp/hq.state")
la_fp=$("$peer" keygen --state "$tmp/la.state")
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"

# Live progress on a terminal; the last line only in a log.
tty=0
[ -t 1 ] && tty=1

# send WHAT: one transfer, la listening on 127.0.0.2 for hq only.
send() {
	"$peer" recv --state "$tmp/la.state" --peer-fp "$hq_fp" \
	    --token-file "$tmp/token" --listen 127.0.0.2 --peer-addr 127.0.0.1 \
	    --dest "$tmp/la" >"$tmp/port" 2>"$tmp/recv.err" &
	rpid=$!
	while ! grep -q listening "$tmp/port" 2>/dev/null; do sleep 0.05; done
	start=$(date +%s.%N)
	"$peer" send --state "$tmp/hq.state" --peer-fp "$la_fp" \
	    --token-file "$tmp/token" \
	    --connect "127.0.0.2:$(awk '{print $2}' "$tmp/port")" \
	    --src "$tmp/hq" --progress --stats "$tmp/stats" 2>&1 |
	    awk -v tty="$tty" '/^progress/ { last = $0
		if (tty) { printf "\r  %-110.110s", $0; fflush() } }
		END { if (tty) print ""; else print "  " last }'
	wait $rpid
	end=$(date +%s.%N)
	jq -r --arg what "$1" --arg s "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
	    '"\($what): \(.files) entries, \(.whole) sent whole, \(.delta) as deltas, \(.skipped) unchanged; \(.bytes / 1048576 | floor) MiB delivered with \(.wire_bytes / 1048576 * 10 | floor / 10) MiB on the wire in \($s | tonumber * 100 | floor / 100) s"' \
	    "$tmp/stats"
}

echo
echo "== Transfer: 48 frames of 2 MiB and a 256 MiB file, hq -> la (TLS 1.3, pinned keys)"
send "first send"
diff -r "$tmp/hq" "$tmp/la" && echo "  la holds an identical copy"
echo
echo "== Three frames re-rendered in part, and the movie's header rewritten"
for f in 1010 1020 1030; do
	head -c 65536 /dev/urandom | dd of="$tmp/hq/show/sh010/plate/sh010_plate.$f.exr" \
	    bs=4096 seek=100 conv=notrunc 2>/dev/null
done
head -c 4096 /dev/urandom | dd of="$tmp/hq/show/sh010/sh010_comp_v003.mov" \
    conv=notrunc 2>/dev/null
send "second send"
diff -r "$tmp/hq" "$tmp/la" && echo "  la holds an identical copy again"

# The same through the daemons: a hub (hq) and a site agent (la), jobs.
ferryd=ferryd
port=$((46000 + $$ % 2000))
mkdir -p "$tmp/d/hq-storage" "$tmp/d/la-storage"
cp -r "$tmp/hq/show" "$tmp/d/hq-storage/"
cat >"$tmp/d/map.json" <<JSON
{ "shares": { "storage": { "linux": "$tmp/d/hq-storage",
  "sites": { "la": { "linux": "$tmp/d/la-storage" } } } } }
JSON
echo
echo "== ferryd: a hub (hq, 127.0.0.1) and an agent (la, 127.0.0.2), enrolled"
echo "   with a one-time code"
step "$ferryd" init --hub --site hq --listen "127.0.0.1:$port" --state "$tmp/d/hub"
# ferryd refuses root unless told (docs/security.md): a demo as root says so.
root_ok=
[ "$(id -u)" != 0 ] || root_ok=--allow-root
"$ferryd" run $root_ok --state "$tmp/d/hub" 2>"$tmp/d/hub.log" &
hubpid=$!
ffpid="" dpid=""
trap 'kill $ffpid $dpid $hubpid $lapid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
lapid=""
while [ ! -S "$tmp/d/hub/ferryd.sock" ]; do sleep 0.05; done
code=$(ferry invite --site la --state "$tmp/d/hub" | tail -n1)
step "$ferryd" enroll "127.0.0.1:$port" "$code" --state "$tmp/d/la" --name la-server \
    --source-address 127.0.0.2
"$ferryd" run $root_ok --state "$tmp/d/la" 2>"$tmp/d/la.log" &
lapid=$!
until ferry status --json --state "$tmp/d/hub" 2>/dev/null |
    jq -e '.agents["la-server"]' >/dev/null; do sleep 0.1; done
step ferry status --state "$tmp/d/hub"
step ferry share import "$tmp/d/map.json" --state "$tmp/d/hub"
echo
echo "== A job: the sequence and the movie, hq -> la"
start=$(date +%s.%N)
step ferry send --from hq --to la --wait --state "$tmp/d/hub" \
    "$tmp/d/hq-storage/show/sh010/sh010_comp_v003.mov" \
    "$tmp/d/hq-storage/show/sh010/plate/sh010_plate.####.exr [1001-1048]"
echo "  took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
diff -r "$tmp/d/hq-storage" "$tmp/d/la-storage" && echo "  la holds an identical copy"
for f in 1040 1041; do
	head -c 65536 /dev/urandom | dd of="$tmp/d/hq-storage/show/sh010/plate/sh010_plate.$f.exr" \
	    bs=4096 seek=10 conv=notrunc 2>/dev/null
done
echo
echo "== Two frames changed: the same job again moves only what changed"
start=$(date +%s.%N)
step ferry send --from hq --to la --wait --state "$tmp/d/hub" \
    "$tmp/d/hq-storage/show/sh010/plate/sh010_plate.####.exr [1001-1048]"
echo "  took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
diff -r "$tmp/d/hq-storage" "$tmp/d/la-storage" && echo "  la holds an identical copy again"
sleep 0.3	# la reports each transfer to the hub just after the job ends
echo "  what moved, as the hub logged each transfer:"
grep -o 'transfer [0-9]* done, .*' "$tmp/d/hub.log" | sed 's/^/    /'
echo
echo "== The other way: la sends a new render back to hq (la dials out; hq listens)"
mkdir -p "$tmp/d/la-storage/show/sh010/comp"
head -c 5000000 /dev/urandom >"$tmp/d/la-storage/show/sh010/comp/sh010_comp_v004.mov"
step ferry send --from la --to hq --wait --state "$tmp/d/hub" \
    "$tmp/d/la-storage/show/sh010/comp/sh010_comp_v004.mov"
cmp "$tmp/d/la-storage/show/sh010/comp/sh010_comp_v004.mov" \
    "$tmp/d/hq-storage/show/sh010/comp/sh010_comp_v004.mov" &&
    echo "  hq holds an identical copy"
step ferry jobs --state "$tmp/d/hub"

echo
echo "== ftrack: production presses Send on a version (a local ftrack double"
echo "   stands in for ftrack, with a sample project; ferry-ftrack listens)"
"$top/contrib/install-deps.sh" --ftrack
# Node trusts only its own CA list: give it the system's too.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] &&
    [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
	export NODE_EXTRA_CA_CERTS
fi
npm ci --prefix "$top/tests/ftrack-double" --no-audit --no-fund \
    --loglevel=error >/dev/null
NODE_PATH="$top/tests/ftrack-double/node_modules"
export NODE_PATH
demo() { node "$top/contrib/ftrack-demo.js" "$url" "$@"; }
# The sample project's plate, sh010 v001 (at hq and la) and v002 (at hq):
# v002 keeps frames 1001-1012 of v001 and re-renders 1013-1024.
P=demo/sq010/sh010/plate
mkdir -p "$tmp/d/projects/$P/v001" "$tmp/d/projects/$P/v002" \
    "$tmp/d/la-projects/$P"
for f in $(seq 1001 1024); do
	head -c 2000000 /dev/urandom >"$tmp/d/projects/$P/v001/plate.$f.exr"
	if [ "$f" -le 1012 ]; then
		cp "$tmp/d/projects/$P/v001/plate.$f.exr" "$tmp/d/projects/$P/v002/"
	else
		head -c 2000000 /dev/urandom >"$tmp/d/projects/$P/v002/plate.$f.exr"
	fi
done
for v in v001 v002; do
	head -c 300000 /dev/urandom >"$tmp/d/projects/$P/$v/reference.mov"
done
cp -r "$tmp/d/projects/$P/v001" "$tmp/d/la-projects/$P/"
cat >"$tmp/d/map2.json" <<JSON
{ "shares": {
  "storage": { "linux": "$tmp/d/hq-storage",
    "sites": { "la": { "linux": "$tmp/d/la-storage" } } },
  "projects": { "linux": "$tmp/d/projects",
    "sites": { "la": { "linux": "$tmp/d/la-projects" } } } } }
JSON
ferry share import "$tmp/d/map2.json" --state "$tmp/d/hub" >/dev/null
node "$top/tests/ftrack-double/server.js" --port 0 --quiet >"$tmp/d/double.out" &
dpid=$!
url=""
while [ -z "$url" ]; do
	sleep 0.1
	url=$(sed -n 's/^listening on //p' "$tmp/d/double.out")
done
echo "  the ftrack double listens on $url"
demo reroot /mnt/projects "$tmp/d/projects" /mnt/la/projects "$tmp/d/la-projects"
echo '{ "job_update_interval": 1 }' >"$tmp/d/ff.json"
FTRACK_SERVER=$url FTRACK_API_USER=ferry FTRACK_API_KEY=ferry-double-api-key \
    ferry-ftrack --state "$tmp/d/ff" --hub-state "$tmp/d/hub" \
    --config "$tmp/d/ff.json" 2>"$tmp/d/ff.log" &
ffpid=$!
until grep -q 'listening to' "$tmp/d/ff.log"; do sleep 0.1; done
echo "  ferry-ftrack: $(grep -o 'listening to.*' "$tmp/d/ff.log")"
ferry site set la --bwlimit 20M --state "$tmp/d/hub" >/dev/null
logline=$(wc -l <"$tmp/d/hub.log")
echo
echo "\$ (web UI) right-click sh010 plate v002 > ferry Send > from hq to la"
demo send jdoe@studio.example 3af2c6c7-cf8c-5aab-ae53-09c764ba7db2 hq la
demo watch jdoe@studio.example
demo registered la 3af2c6c7-cf8c-5aab-ae53-09c764ba7db2
diff -r "$tmp/d/projects/$P/v002" "$tmp/d/la-projects/$P/v002" &&
    echo "  la holds an identical copy of v002"
sed -n "$((logline + 1)),\$p" "$tmp/d/hub.log" |
    sed -n 's/.* \([0-9]*\) bytes delivered, \([0-9]*\) on the wire.*/\1 \2/p' |
    awk '{ b += $1; w += $2 } END { printf "  v002 is %.1f MB; %.1f MB crossed the wire: v001 at la was the basis\n", b / 1e6, w / 1e6 }'
