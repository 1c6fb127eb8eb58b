#!/bin/sh
# ferry-ftrack in the lab (issue 15, "the ftrack Job ends right"): the
# ftrack double (tests/ftrack-double) and ferry-ftrack run in hq's
# namespace beside the hub; a person launches "send" of a version from hq
# to la across the lab's NAT, and while it moves ferry-ftrack is killed
# -9, alone, with the hub, and with la (the receiver). After the
# restarts each launch is one hub job and one ftrack Job, and the Job
# ends "done" with every file identical at la and nothing partial left.
# The full lab (LAB_FULL=1, make check-lab) then kills ferry-ftrack alone
# at LAB_FTRACK_KILLS (20) seeded moments (LAB_SEED; the seed is printed)
# from the launch to the end of a clean run's time, the issue's fault 1:
# before it took the launch, while it spools, while the job moves.
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
. "${srcdir:-.}/tests/lab/lib.sh"
need openssl
need jq
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
FFTRACK=${FERRY_FTRACK:-${FERRYD%/agent/ferryd}/action/ferry-ftrack}
V1=a10820ff-d1c6-5207-aea0-901dd2364424		# sh010/plate v001
U=jdoe@studio.example
H="$TMP/hq-projects" L="$TMP/la-projects"
P=demo/sq010/sh010/plate/v001

FULL=${LAB_FULL:-0}
SEED=${LAB_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "lab: ftrack: seed $SEED (LAB_SEED=$SEED reproduces the kill points)" >&2
KILLS=0
[ "$FULL" = 1 ] && KILLS=${LAB_FTRACK_KILLS:-20}
lab_watchdog "${LAB_LIMIT:-$((600 + KILLS * 40))}"
# sh010 plate v001 as the fixture names it: 24 frames and a reference,
# 50 MiB in all, so that a kill lands while it moves.
mkdir -p "$H/$P" "$L"
for f in $(seq 1001 1024); do
	openssl enc -aes-128-ctr -nosalt -pass "pass:f$f" -pbkdf2 -iter 1 \
	    </dev/zero 2>/dev/null | head -c 2097152 >"$H/$P/plate.$f.exr"
done
head -c 2097152 /dev/urandom >"$H/$P/reference.mov"
cat >"$TMP/map.json" <<JSON
{ "shares": { "projects": { "linux": "$H",
  "sites": { "la": { "linux": "$L" } } } } }
JSON
cat >"$TMP/ff.json" <<JSON
{ "allowed_roles": ["Administrator", "Project Manager", "Artist"],
  "job_update_interval": 0.4 }
JSON

lab_up
lab_hub
lab_enrol la la-server --site la -- --public-address "$(lab_pub la)"
LAPID=$APID
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# The double in hq's namespace (ftrack as the studio's own server).
: >"$TMP/double.out"
ip netns exec "$(lab_ns hq)" node "$DOUBLE_DIR/server.js" --port 0 --quiet \
    >"$TMP/double.out" 2>"$TMP/double.log" &
DOUBLE_PID=$!
pids="$pids $DOUBLE_PID"
i=0
until DOUBLE_URL=$(sed -n 's/^listening on //p' "$TMP/double.out") &&
    [ -n "$DOUBLE_URL" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { fail "the double did not start: $(cat "$TMP/double.log")"; finish; exit 1; }
	sleep 0.1
done
ui() {
	ip netns exec "$(lab_ns hq)" node "$srcdir/tests/ftrack/listener.js" \
	    "$DOUBLE_URL" "$@"
}
run 0 ui reroot /mnt/projects "$H" /mnt/la/projects "$L"

starts=0
# start_ff: ferry-ftrack in hq's namespace until it has subscribed (FFPID).
start_ff() {
	starts=$((starts + 1))
	: >>"$TMP/ff.log"
	ip netns exec "$(lab_ns hq)" "$FFTRACK" --state "$TMP/ff" \
	    --hub-state "$HUB" --config "$TMP/ff.json" --debug "$@" \
	    >>"$TMP/ff.log" 2>&1 &
	FFPID=$!
	pids="$pids $FFPID"
	i=0
	while [ "$(grep -c 'ferry-ftrack: listening to' "$TMP/ff.log")" -lt "$starts" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "ferry-ftrack did not start: $(tail -5 "$TMP/ff.log")"; return 1; }
		sleep 0.05
	done
	ui subscribed >/dev/null || fail "ferry-ftrack did not subscribe"
}
FTRACK_SERVER=$DOUBLE_URL FTRACK_API_USER=ferry \
    FTRACK_API_KEY=ferry-double-api-key start_ff --store-credentials

hubjobs() { "$FERRY" jobs --json --state "$HUB" | jq length; }
lab_rate la 80mbit
n=0
# trial VICTIMS WHEN: a launch; at WHEN (a quarter crossed, or SECONDS
# after the launch) kill -9 of VICTIMS, their restart; then the checks.
trial() {
	victims=$1 when=$2
	n=$((n + 1))
	rm -rf "${L:?}/demo"
	before=$(hubjobs) w0=$(lab_counter hqla)
	run 0 ui launch "$U" "assetversion:$V1" \
	    '{"source": "hq", "destination": "la"}'
	checks=$((checks + 1))
	jq -e '.success == true' "$TMP/out" >/dev/null ||
	    fail "launch $n: $(head -c 500 "$TMP/out")"
	if [ "$when" = quarter ]; then
		# Until a quarter of it has crossed to la (10 s at most), by
		# the router's count: partial files may have no name at la yet.
		i=0
		while [ $(( $(lab_counter hqla) - w0 )) -lt 13107200 ] &&
		    [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	else
		sleep "$when"
	fi
	crossed=$(( ($(lab_counter hqla) - w0) / 1048576 ))
	for v in $victims; do
		case $v in
		ferry-ftrack) kill -9 "$FFPID"; wait "$FFPID" 2>/dev/null || true ;;
		hub) kill -9 "$HUBPID"; wait "$HUBPID" 2>/dev/null || true ;;
		receiver) kill -9 "$LAPID"; wait "$LAPID" 2>/dev/null || true ;;
		esac
	done
	sleep 0.3
	case $victims in
	*hub*) lab_start hq "$HUB"; HUBPID=$DPID ;;
	*receiver*) lab_start la "$TMP/la-server"; LAPID=$DPID ;;
	esac
	wait_linked la-server
	start_ff
	run 0 ui wait-jobs "$U" "$n" 180
	if [ "$when" = quarter ]; then what="kill -9 of $victims"
	else what="kill -9 of $victims ${when} s after the launch"; fi
	echo "lab: ftrack: launch $n, $what after $crossed MiB of 50: Jobs $(jq -c '[.[] | .status] | group_by(.) | map({(.[0]): length}) | add' "$TMP/out")" >&2
	checks=$((checks + 4))
	# Every launch so far one Job, each "done": this one too, and no
	# earlier one changed its mind.
	if jq -e "length == $n and all(.[]; .status == \"done\")" "$TMP/out" \
	    >/dev/null; then
		ok=$((ok + 1))
	else
		fail "launch $n, $what: the ftrack Jobs are $(jq -c '[.[] | select(.status != "done") | [.status, .description]]' "$TMP/out") ($(jq length "$TMP/out") for $n launches)"
	fi
	[ "$(hubjobs)" -eq $((before + 1)) ] ||
	    fail "launch $n, $what: $(hubjobs) hub jobs, expected $((before + 1))"
	diff -r "$H/$P" "$L/$P" >/dev/null ||
	    fail "launch $n, $what: la's copy differs: $(diff -rq "$H/$P" "$L/$P" 2>&1 | head -n3)"
	[ -z "$(find "$L" -name '.*ferry-*')" ] ||
	    fail "launch $n, $what: partial files left at la"
	# ftrack knows where the files are now: the 24 frames, their
	# sequence and the reference, in la.
	run 0 ui locations la "$V1"
	checks=$((checks + 1))
	jq -e 'length == 26 and index("'"$L/$P"'/plate.1024.exr") != null' \
	    "$TMP/out" >/dev/null ||
	    fail "launch $n, $what: la's ComponentLocations: $(head -c 400 "$TMP/out")"
}
ok=0 t0=$(date +%s)
for victims in ferry-ftrack "ferry-ftrack hub" "ferry-ftrack receiver"; do
	trial "$victims" quarter
done
# The seeded moments: from the launch to a launch's time (50 MiB at 80
# Mbit/s, about 6 s) and a little more, when the Job's end is published.
if [ "$KILLS" -gt 0 ]; then
	awk -v seed="$SEED" -v n="$KILLS" 'BEGIN { srand(seed);
	    for (i = 0; i < n; i++) printf "%.2f\n", rand() * 8 }' >"$TMP/ffkills"
	while read -r at_s; do
		trial ferry-ftrack "$at_s"
	done <"$TMP/ffkills"
fi
echo "lab: ftrack: $ok of $n launches ended right ($((n - 3)) seeded kills," \
    "seed $SEED; $(( $(date +%s) - t0 )) s)" >&2
lab_rate la off
stop_and_check
finish
