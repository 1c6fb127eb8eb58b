#!/bin/sh
# The multi-site lab (issue 15, docs/lab.md): hq (the hub), la, an
# employee and a vendor in network namespaces behind NAT (tests/lab/lib.sh),
# jobs between them, port discipline, and faults, each a scenario with a
# verdict. LAB_FULL=1 (make check-lab) runs the long versions; without it
# the bounded ones run in make check. LAB_SEED picks the kill points.
. "${srcdir:-.}/tests/lab/lib.sh"
need openssl

FULL=${LAB_FULL:-0}
SEED=${LAB_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "lab: seed $SEED (LAB_SEED=$SEED reproduces the kill points)" >&2
# The bounded lab (make check, CI) takes 2 minutes on 2 busy cores (ASan
# is slower, not timed yet): 15 minutes is a hang, not a slow machine.
[ "$FULL" = 1 ] || lab_watchdog "${LAB_LIMIT:-900}"
VERDICTS="$TMP/verdicts"
: >"$VERDICTS"

# scenario NAME: starts counting a scenario's failures; verdict ends it.
scenario() { sc_name=$1; sc_fail=$failures; sc_t0=$(date +%s); echo "lab: $1" >&2; }
verdict() {
	v=pass; [ "$failures" -eq "$sc_fail" ] || v=FAIL
	printf '%-28s %s %ss %s\n' "$sc_name" "$v" "$(( $(date +%s) - sc_t0 ))" \
	    "${1:-}" >>"$VERDICTS"
}

# gen FILE MIB [PASS]: MIB MiB of incompressible bytes.
gen() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-$1}" -pbkdf2 -iter 1 \
	    </dev/zero 2>/dev/null | head -c "$(($2 * 1048576))" >"$1"
}

E=employee@studio.example
V=vendor@fx.example
S="$TMP/hq-storage" L="$TMP/la-storage" M="$TMP/employee-storage"
F="$TMP/vendor-storage"
mkdir -p "$S/show" "$L/show" "$M/show" "$F/show"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "$E": { "linux": "$M" },
             "$V": { "linux": "$F" } } } } }
JSON

scenario topology
lab_up
lab_hub
lab_enrol la la-server --site la -- --public-address "$(lab_pub la)"
LAPID=$APID
lab_enrol employee emp-ws --user "$E" --clearance employee
EMPID=$APID
lab_enrol vendor fx-ws --user "$V" --clearance restricted
FXPID=$APID
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
verdict

# Jobs across the NAT: the hub and la are reachable, so every transfer
# with one of them works; the employee and the vendor only dial out.
scenario jobs-across-nat
mkdir -p "$S/show/sh010/plate" "$L/show/la010" "$M/show/emp010" "$S/show/vend"
gen "$S/show/sh010/comp.mov" 8
for f in $(seq 1001 1020); do
	head -c 20000 /dev/urandom >"$S/show/sh010/plate/p.$f.exr"
done
gen "$L/show/la010/anim.mov" 3
gen "$M/show/emp010/edit.mov" 2
gen "$S/show/vend/brief.mov" 2
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
diff -r "$S/show/sh010" "$L/show/sh010" >/dev/null || fail "hq -> la differs"
run 0 "$FERRY" send --from la --to hq --wait --state "$HUB" "$L/show/la010"
checks=$((checks + 1))
cmp -s "$L/show/la010/anim.mov" "$S/show/la010/anim.mov" || fail "la -> hq differs"
run 0 "$FERRY" send --from hq --to "$E" --wait --state "$HUB" "$S/show/sh010/comp.mov"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$M/show/sh010/comp.mov" || fail "hq -> employee differs"
run 0 "$FERRY" send --from "$E" --to hq --wait --state "$HUB" "$M/show/emp010"
checks=$((checks + 1))
cmp -s "$M/show/emp010/edit.mov" "$S/show/emp010/edit.mov" || fail "employee -> hq differs"
# la listens for the vendor, which dials out through its NAT.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/vend"
run 0 "$FERRY" acl set "$V" storage:show/vend read --state "$HUB"
run 0 "$FERRY" send --from la --to "$V" --wait --state "$HUB" "$L/show/vend"
checks=$((checks + 1))
cmp -s "$S/show/vend/brief.mov" "$F/show/vend/brief.mov" || fail "la -> vendor differs"
verdict "$(grep -c 'transfer .* done' "$HUB.log") transfers"

# The people paths: neither the employee nor the vendor can be reached,
# so the hub relays their transfer on its control port (hub-splice.c):
# both dial out to hq's 45190 and nothing else, neither ever listens,
# and the files arrive identical. The vendor's link is slowed so that
# the sockets can be looked at while the data flows.
scenario people-relay
mkdir -p "$M/show/emp020"
gen "$M/show/emp020/cut.mov" 24
gen "$M/show/emp020/notes.mov" 1
run 0 "$FERRY" acl set "$V" storage:show/emp020 read --state "$HUB"
lab_rate vendor 80mbit
run 0 "$FERRY" send --from "$E" --to "$V" --state "$HUB" "$M/show/emp020"
rj=$(tail -n1 "$TMP/out")
# Until the job ends: every TCP socket at the employee and the vendor,
# listening or connected, other than loopback.
: >"$TMP/people-socks"
i=0
while [ $i -lt 600 ]; do
	JOBSTATE=$("$FERRY" job "$rj" --json --state "$HUB" | jq -r .state)
	case $JOBSTATE in done|failed|cancelled) break;; esac
	for s in employee vendor; do
		# (TIME-WAIT: closed before, by the earlier jobs.)
		at "$s" ss -tanH | awk -v s="$s" '$1 != "TIME-WAIT" && $4 !~ /^127\./ { print s, $1, $4, $5 }' \
		    >>"$TMP/people-socks"
	done
	i=$((i + 1))
	sleep 0.1
done
lab_rate vendor off
checks=$((checks + 1))
[ "$JOBSTATE" = done ] && diff -r "$M/show/emp020" "$F/show/emp020" >/dev/null ||
    fail "employee -> vendor through the relay: ${JOBSTATE:-?}, $("$FERRY" job "$rj" --state "$HUB" 2>&1 | tail -n3)"
checks=$((checks + 1))
grep -q "job $rj): emp-ws to fx-ws through the hub's relay" "$HUB.log" ||
    fail "the hub did not say it relayed job $rj: $(grep "job $rj" "$HUB.log" | tail -n3)"
# Sockets: some were seen (the check can fail), none listening, and every
# connected one between the site and hq's control port, the relay.
checks=$((checks + 3))
grep -q ESTAB "$TMP/people-socks" || fail "no connection seen at the employee or the vendor during job $rj"
! grep -q LISTEN "$TMP/people-socks" ||
    fail "a port listened at the employee or the vendor: $(grep LISTEN "$TMP/people-socks" | sort -u | head -n3)"
odd=$(awk -v hub="$(lab_pub hq):$CTL" '$2 != "LISTEN" && $4 != hub' "$TMP/people-socks" | sort -u | head -n3)
[ -z "$odd" ] || fail "a connection at the employee or the vendor that is not to hq's control port: $odd"
# The relay's own counts: the job's, and /metrics on hq's status page
# (a stream's bytes are counted when it closes, just after the job).
i=0
while "$FERRY" job "$rj" --json --state "$HUB" >"$TMP/rj.json" &&
    [ "$(jq '.relayed_bytes // 0' "$TMP/rj.json")" -lt $((25 * 1048576)) ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
rbytes=$(jq '.relayed_bytes // 0' "$TMP/rj.json")
checks=$((checks + 2))
[ "$rbytes" -ge $((25 * 1048576)) ] || fail "job $rj's relayed_bytes: $rbytes, for 25 MiB"
mrelayed=$(at hq curl -sf http://127.0.0.1:45180/metrics | sed -n 's/^ferry_relayed_bytes_total //p')
[ "${mrelayed:-0}" -ge "$rbytes" ] || fail "/metrics: ferry_relayed_bytes_total ${mrelayed:-missing}, the job relayed $rbytes"
# And the folder the lab once sent to show the refusal now goes too.
run 0 "$FERRY" acl set "$V" storage:show/emp010 read --state "$HUB"
run 0 "$FERRY" send --from "$E" --to "$V" --wait --state "$HUB" "$M/show/emp010"
checks=$((checks + 1))
cmp -s "$M/show/emp010/edit.mov" "$F/show/emp010/edit.mov" || fail "employee -> vendor (emp010) differs"
verdict "relayed $rbytes B through hq:$CTL (/metrics: ${mrelayed:-?}); $(sort -u "$TMP/people-socks" | grep -c ESTAB) connections seen, all to hq's control port, no listener"

# Port discipline between jobs: from outside, hq shows its control port
# and nothing else, la nothing, the employee and the vendor nothing, and
# no LAN address answers.
scenario ports-idle
for p in 1 2 3 4 5 6 7 8 9 10; do
	[ -z "$(at hq ss -ltnH "sport >= :45191 and sport <= :45210")$(at la ss -ltnH "sport >= :45191 and sport <= :45210")" ] && break
	sleep 0.5
done
hq_open=$(lab_scan vendor "$(lab_pub hq)")
la_open=$(lab_scan vendor "$(lab_pub la)")
checks=$((checks + 2))
[ "$hq_open" = 45190 ] || fail "hq from the vendor: open ports '$hq_open', expected 45190"
[ -z "$la_open" ] || fail "la from the vendor: open ports '$la_open', expected none"
for t in "la $(lab_pub employee) 45190" "la $(lab_pub vendor) 45191" \
    "vendor $(lab_addr hq) 45190" "employee $(lab_addr la) 45191"; do
	checks=$((checks + 1))
	# shellcheck disable=SC2086
	! lab_open $t || fail "open from outside: $t"
done
verdict "hq: $hq_open; la: ${la_open:-none}"

# Port discipline during a job: the hub's data port lets la in and drops
# a connection from the employee before TLS (not one byte back).
scenario ports-in-job
mkdir -p "$S/show/pd"
gen "$S/show/pd/plate.mov" 24
# la's first SYNs to the data port are held at the router, so that the
# port stays open for the stranger's try (la's SYN is retried after 1 s).
lab_block la 45191-45210
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/pd"
pid_job=$(tail -n1 "$TMP/out")
i=0 dp=
while [ -z "$dp" ] && [ $i -lt 100 ]; do dp=$(lab_data_port hq); i=$((i + 1)); sleep 0.05; done
checks=$((checks + 1))
if [ -z "$dp" ]; then
	fail "no data port opened at hq for job $pid_job"
else
	probe=$(at employee timeout 5 bash -c "exec 3<>/dev/tcp/$(lab_pub hq)/$dp || { echo refused; exit 0; }
	    printf '\026\003\001\000\005hello' >&3 2>/dev/null
	    echo connected \$(cat <&3 2>/dev/null | wc -c)" 2>/dev/null) ||
	    probe="no answer in 5 s"
	[ "$probe" = "connected 0" ] || fail "the employee on hq's data port $dp: $probe (expected: connected, 0 bytes back, closed)"
fi
lab_unblock
lab_job_wait "$pid_job" 60
checks=$((checks + 1))
[ "$JOBSTATE" = done ] && cmp -s "$S/show/pd/plate.mov" "$L/show/pd/plate.mov" ||
    fail "the job with a stranger at its port: $JOBSTATE"
verdict "data port ${dp:-?}: the stranger: ${probe:-?}"

# Fault 1: kill -9 of the sender (la), the receiver (the employee) or the
# hub at a seeded random moment of a job of a big file and many small
# ones, then a restart: one kill per job, TRIALS jobs per process. Each
# time: every file identical, the job done once with nothing partial
# left, and the bytes re-sent (the router's count against a clean run of
# the same files) at most one block (1 MiB) plus 0.1 % of the big file,
# plus 64 bytes per small file for listing the files again.
# A receiver killed loses what was on its way to it: the router's queue
# towards it (tc's backlog) and its sockets' unread bytes (Recv-Q), read
# just before the kill. Those bytes crossed the router and cross again:
# they are counted in the re-sent bytes and reported as "in flight"; the
# budget holds what ferry sends again beyond them (docs/lab.md).
scenario kill-9
if [ -z "${LAB_SKIP_KILL:-}" ]; then
if [ "$FULL" = 1 ]; then BIG=2048 SMALL=2000 TRIALS=${LAB_TRIALS:-5} RATE=800mbit
else BIG=64 SMALL=200 TRIALS=${LAB_TRIALS:-1} RATE=160mbit; fi
K="$L/show/kill"
mkdir -p "$K/small"
gen "$K/big.mov" "$BIG"
head -c $((SMALL * 4096)) /dev/urandom | (cd "$K/small" && split -b 4096 -a 4 - f.)
lab_rate employee "$RATE"
w0=$(lab_counter laemp) t0=$(date +%s)
run 0 "$FERRY" send --from la --to "$E" --state "$HUB" "$K"
cid=$(tail -n1 "$TMP/out")
lab_job_wait "$cid" 1200
clean=$(( $(lab_counter laemp) - w0 )) csecs=$(( $(date +%s) - t0 ))
checks=$((checks + 1))
[ "$JOBSTATE" = done ] || fail "the clean run: $JOBSTATE"
budget=$((1048576 + BIG * 1048576 / 1000 + SMALL * 64))
# The moments: within the first 90 % of the clean run's time.
awk -v seed="$SEED" -v n=$((TRIALS * 3)) -v d="$csecs" 'BEGIN { srand(seed);
    split("sender receiver hub", t, " ");
    for (i = 0; i < n; i++) printf "%s %.2f\n", t[i % 3 + 1], 0.3 + rand() * (d * 0.9 - 0.3) }' \
    >"$TMP/kills"
kills=0 worst=0 total=0 bad=0
while read -r who delay; do
	rm -rf "$M/show/kill"
	w1=$(lab_counter laemp)
	run 0 "$FERRY" send --from la --to "$E" --state "$HUB" "$K"
	kid=$(tail -n1 "$TMP/out")
	sleep "$delay"
	case $who in
	sender) victim=$LAPID site=la st_dir="$TMP/la-server" ;;
	receiver) victim=$EMPID site=employee st_dir="$TMP/emp-ws" ;;
	hub) victim=$HUBPID site=hq st_dir="$HUB" ;;
	esac
	inflight=0
	if [ "$who" = receiver ]; then
		qb=$(ip netns exec "$R" tc -s qdisc show dev lan-employee |
		    sed -n 's/.*backlog \([0-9]*\)b.*/\1/p' | head -n1)
		rq=$(at employee ss -tnH state established |
		    awk '{ s += $1 } END { print s + 0 }')
		inflight=$((${qb:-0} + ${rq:-0}))
	fi
	kill -9 "$victim"
	wait "$victim" 2>/dev/null || true
	kills=$((kills + 1))
	sleep 0.3
	lab_start "$site" "$st_dir"
	case $who in
	sender) LAPID=$DPID ;; receiver) EMPID=$DPID ;; hub) HUBPID=$DPID ;;
	esac
	lab_job_wait "$kid" 900
	resent=$(( $(lab_counter laemp) - w1 - clean ))
	beyond=$((resent - inflight))
	echo "lab: kill -9 $who after ${delay}s: job $kid $JOBSTATE, re-sent $resent B (in flight at the kill $inflight B: $beyond B beyond)" >&2
	echo "$who $resent $inflight $beyond" >>"$TMP/resent"
	total=$((total + resent))
	[ "$resent" -le "$worst" ] || worst=$resent
	checks=$((checks + 4))
	[ "$JOBSTATE" = done ] || fail "job $kid after kill -9 of the $who at ${delay}s: $JOBSTATE ($("$FERRY" job "$kid" --state "$HUB" 2>&1 | tail -3))"
	diff -r "$K" "$M/show/kill" >/dev/null || fail "the copy after kill -9 of the $who at ${delay}s differs"
	[ -z "$(find "$M/show/kill" -name '.*ferry-*')" ] || fail "partial files left after kill -9 of the $who at ${delay}s"
	# Over the budget (beyond what was in flight) is a failure in the
	# full lab; in the bounded one (make check, CI) only a whole re-send
	# (over 8 MiB) is: on a busy CI machine the Recv-Q read a moment
	# before the kill may be short of what the socket held. The verdict
	# counts both.
	if [ "$beyond" -gt "$budget" ]; then
		bad=$((bad + 1))
		[ "$FULL" = 0 ] && [ "$beyond" -le 8388608 ] ||
		    fail "re-sent $resent bytes after kill -9 of the $who at ${delay}s, $beyond beyond the $inflight in flight (budget $budget)"
	fi
done <"$TMP/kills"
"$FERRY" jobs --json --state "$HUB" >"$TMP/jobs.json"
checks=$((checks + 1))
[ "$(jq "[.[] | select(.from == \"la\" and .state != \"done\")] | length" "$TMP/jobs.json")" = 0 ] &&
    [ "$(jq "[.[] | select(.from == \"la\" and .done_files != .files)] | length" "$TMP/jobs.json")" = 0 ] ||
    fail "jobs not done once: $(jq -c '[.[] | select(.from == "la") | [.id, .state, .done_files, .files]]' "$TMP/jobs.json")"
lab_rate employee off
per=$(awk '{ n[$1]++; if ($2 > w[$1]) w[$1] = $2; if ($4 > b[$1]) b[$1] = $4;
    if ($3 > f[$1]) f[$1] = $3 }
    END { for (k in n) { printf "%s%s %d kills, worst %d B (in flight %d, beyond %d)",
    sep, k, n[k], w[k], f[k], b[k]; sep = "; " } }' "$TMP/resent" 2>/dev/null)
verdict "$kills kills (seed $SEED) of $BIG MiB + $SMALL files; clean run ${csecs}s, $clean B; re-sent per kill: mean $((total / (kills > 0 ? kills : 1))) B, worst $worst B (budget $budget B beyond what was in flight), $bad over; $per"
fi
# LAB_ONLY_KILL=1: the kills alone (LAB_TRIALS=20 takes over an hour).
if [ -n "${LAB_ONLY_KILL:-}" ]; then
	stop_and_check
	cat "$VERDICTS" >&2
	finish
	exit
fi

# Fault 2: the link between la and the router goes down mid-job, 10 s
# (and 3 min in the full lab). The job stalls, `ferry jobs --watch` says
# so, and it resumes by itself; after 10 s no task has even failed.
cut_link() {
	secs=$1
	scenario "cut-link-${secs}s"
	mkdir -p "$S/show/cut$secs"
	gen "$S/show/cut$secs/plate.mov" 48 "cut$secs"
	lab_rate la 80mbit
	run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/cut$secs"
	cj=$(tail -n1 "$TMP/out")
	sleep 1.5
	ip -n "$R" link set lan-la down
	COLUMNS=200 "$FERRY" jobs --watch --state "$HUB" >"$TMP/watch" 2>&1 &
	wp=$!
	sleep "$secs"
	kill "$wp" 2>/dev/null || true
	wait "$wp" 2>/dev/null || true
	ip -n "$R" link set lan-la up
	checks=$((checks + 1))
	grep -q "^job $cj .*stalled\|^job $cj .*retry in" "$TMP/watch" ||
	    fail "ferry jobs --watch never said job $cj stalled: $(grep "^job $cj" "$TMP/watch" | tail -n2)"
	lab_job_wait "$cj" $((secs + 300))
	checks=$((checks + 1))
	[ "$JOBSTATE" = done ] && cmp -s "$S/show/cut$secs/plate.mov" "$L/show/cut$secs/plate.mov" ||
	    fail "after a ${secs}s cut: $JOBSTATE"
	"$FERRY" job "$cj" --json --state "$HUB" >"$TMP/cj.json"
	tries=$(jq '[.tasks[].attempts // 0] | add' "$TMP/cj.json")
	if [ "$secs" -le 10 ]; then
		checks=$((checks + 1))
		[ "${tries:-0}" = 0 ] || fail "a ${secs}s cut failed a task: $(jq -c '.tasks[0]' "$TMP/cj.json")"
	fi
	lab_rate la off
	verdict "said: $(grep -o "^job $cj [a-z]* .*\(stalled\|retry in\)[^:]*" "$TMP/watch" | tail -n1 | sed 's/.*\(stalled\|retry in\)/\1/'), failed attempts ${tries:-?}"
}
cut_link 10
if [ "$FULL" = 1 ]; then
	# With the lab's retry-base of 1 s a 3-minute cut would use up the
	# retries in a minute: this one runs with the defaults (30 s).
	kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
	sed -i '/^retry-base /d' "$HUB/ferryd.conf"
	lab_start hq "$HUB"; HUBPID=$DPID
	wait_linked la-server
	cut_link 180
	kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
	echo "retry-base 1" >>"$HUB/ferryd.conf"
	lab_start hq "$HUB"; HUBPID=$DPID
	wait_linked la-server
fi

# Fault 3: the receiver's disk fills up (a small tmpfs under la's share
# root). A clear error, nothing partial, the source untouched; after
# space is freed, `ferry retry` finishes it.
scenario receiver-disk-full
mkdir -p "$S/show/full"
gen "$S/show/full/big.mov" 16 full
sum0=$(sha256sum <"$S/show/full/big.mov")
# la's ferryd has a mount namespace of its own (ip netns exec makes one):
# it sees the tmpfs once restarted after the mount.
kill "$LAPID"; wait "$LAPID" 2>/dev/null || true
lab_mount_tmpfs "$L/show/full" 20m || fail "cannot mount a tmpfs"
lab_start la "$TMP/la-server"
LAPID=$DPID
wait_linked la-server
head -c $((10 * 1048576)) /dev/zero >"$L/show/full/filler"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/full"
fj=$(tail -n1 "$TMP/out")
lab_job_wait "$fj" 120
"$FERRY" job "$fj" --json --state "$HUB" >"$TMP/fj.json"
ferr=$(jq -r '.tasks[0].error // .last_error // empty' "$TMP/fj.json")
checks=$((checks + 1))
[ "$JOBSTATE" = failed ] || fail "job on a full disk: $JOBSTATE"
checks=$((checks + 1))
case $ferr in *"space"*) ;; *) fail "the error does not say the disk is full: $ferr";; esac
checks=$((checks + 1))
[ -z "$(find "$L/show/full" -name '*.ferry-*')" ] && [ ! -e "$L/show/full/big.mov" ] ||
    fail "left at la: $(ls -A "$L/show/full")"
checks=$((checks + 1))
[ "$(sha256sum <"$S/show/full/big.mov")" = "$sum0" ] || fail "the source changed"
rm -f "$L/show/full/filler"
run 0 "$FERRY" retry "$fj" --state "$HUB"
lab_job_wait "$fj" 60
checks=$((checks + 1))
[ "$JOBSTATE" = done ] && cmp -s "$S/show/full/big.mov" "$L/show/full/big.mov" ||
    fail "after space was freed and a retry: $JOBSTATE"
verdict "said: $ferr"

# Fault 4: the hub's database disk fills up (its state directory on a
# small tmpfs). New work is refused with a clear error; what was
# accepted is kept and finishes; the hub takes work again with space.
# SQLite may still fit a small job in pages it holds (its WAL): a send
# accepted on the full disk must then be really kept, under an id of
# its own, so the sends go on until one is refused (a few at most).
scenario hub-db-disk-full
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
cp -a "$HUB" "$TMP/hq.copy"
lab_mount_tmpfs "$HUB" 16m || fail "cannot mount a tmpfs"
cp -a "$TMP/hq.copy/." "$HUB/"
lab_start hq "$HUB"
HUBPID=$DPID
wait_linked la-server
mkdir -p "$S/show/dbfull"
gen "$S/show/dbfull/a.mov" 24 dbfull-a
echo b >"$S/show/dbfull/b.txt"
lab_rate la 40mbit
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/dbfull/a.mov"
aj=$(tail -n1 "$TMP/out")
sleep 1
dd if=/dev/zero of="$HUB/filler" bs=64k 2>/dev/null || true
accepted="" dberr="" n=0
while [ $n -lt 20 ]; do
	n=$((n + 1))
	if "$FERRY" send --from hq --to la --state "$HUB" "$S/show/dbfull/b.txt" \
	    >"$TMP/out" 2>"$TMP/err"; then
		accepted="$accepted $(tail -n1 "$TMP/out")"
	else
		dberr=$(cat "$TMP/err")
		break
	fi
done
checks=$((checks + 1))
case $dberr in *full*|*space*) ;; *) fail "$n sends on a full hub disk, none refused (accepted as jobs:$accepted): ${dberr:-no error}";; esac
checks=$((checks + 1))
[ "$(echo $accepted | tr ' ' '\n' | sort | uniq -d)" = "" ] ||
    fail "sends on a full disk answered the same job id twice:$accepted"
checks=$((checks + 1))
kill -0 "$HUBPID" 2>/dev/null || fail "the hub died on a full disk: $(tail -n3 "$HUB.log")"
sleep 2
rm -f "$HUB/filler"
lab_rate la off
lab_job_wait "$aj" 120
checks=$((checks + 1))
[ "$JOBSTATE" = done ] && cmp -s "$S/show/dbfull/a.mov" "$L/show/dbfull/a.mov" ||
    fail "the accepted job after the disk filled: ${JOBSTATE:-?}"
# What was accepted on the full disk is kept: each job is there, and
# goes (through a restart too: what the hub said it took is on disk).
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
lab_start hq "$HUB"
HUBPID=$DPID
wait_linked la-server
for j in $(echo $accepted | tr ' ' '\n' | sort -u); do
	checks=$((checks + 1))
	"$FERRY" job "$j" --state "$HUB" >/dev/null 2>&1 || {
		fail "job $j, accepted on the full disk, is not there after a restart"
		continue
	}
	lab_job_wait "$j" 60
	[ "$JOBSTATE" = done ] &&
	    [ "$("$FERRY" job "$j" --json --state "$HUB" | jq -r '.tasks[0].src')" = "$S/show/dbfull/b.txt" ] ||
	    fail "job $j, accepted on the full disk, is lost or not done: ${JOBSTATE:-?} $("$FERRY" job "$j" --state "$HUB" 2>&1 | head -n2)"
done
rm -f "$L/show/dbfull/b.txt"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/dbfull/b.txt"
checks=$((checks + 1))
cmp -s "$S/show/dbfull/b.txt" "$L/show/dbfull/b.txt" || fail "b.txt after space came back"
verdict "$(echo $accepted | wc -w) send(s) accepted on the full disk, then refused: $(echo "$dberr" | head -n1)"

# Fault 6: la's clock an hour ahead, then an hour behind (libfaketime,
# Debian's faketime, for la's ferryd alone). It still links; a re-send
# of what la has moves no file data; a frame changed at hq with an old
# mtime, and one changed at la under its skewed clock, both go again.
FAKELIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1)
skew() {
	scenario "clock-skew-$1"
	if [ -z "$FAKELIB" ]; then
		checks=$((checks + 1))
		if [ "${CI:-}" = true ]; then fail "libfaketime is not installed"; fi
		verdict "skipped: no libfaketime (Debian's faketime)"
		return 0
	fi
	kill "$LAPID"; wait "$LAPID" 2>/dev/null || true
	# An ASan build wants its runtime first; libfaketime comes first here.
	LAB_WRAP="env LD_PRELOAD=$FAKELIB FAKETIME=$1 FAKETIME_DONT_RESET=1
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    lab_start la "$TMP/la-server"
	LAPID=$DPID
	wait_linked la-server
	# la's log stamps its own (skewed) time: the skew is real.
	seen=$(( $(date -d "$(tail -n1 "$TMP/la-server.log" | cut -d' ' -f1)" +%s) - $(date +%s) ))
	checks=$((checks + 1))
	case $1 in +*) want=3600;; *) want=-3600;; esac
	[ "$seen" -gt $((want - 120)) ] && [ "$seen" -lt $((want + 120)) ] ||
	    fail "la's ferryd runs ${seen}s off, not $1"
	b0=$(lab_counter hqla)
	run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
	b1=$(lab_counter hqla)
	checks=$((checks + 1))
	[ $((b1 - b0)) -lt 1048576 ] ||
	    fail "a re-send with la's clock at $1 moved $((b1 - b0)) bytes"
	f=$S/show/sh010/plate/p.1005.exr
	head -c 20000 /dev/urandom >"$f"
	touch -d "-2 hours" "$f"
	head -c 20000 /dev/urandom >"$L/show/sh010/plate/p.1004.exr.new"
	LD_PRELOAD=$FAKELIB FAKETIME=$1 mv "$L/show/sh010/plate/p.1004.exr.new" \
	    "$L/show/sh010/plate/p.1004.exr"
	LD_PRELOAD=$FAKELIB FAKETIME=$1 touch "$L/show/sh010/plate/p.1004.exr"
	run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
	b2=$(lab_counter hqla)
	checks=$((checks + 1))
	diff -r "$S/show/sh010" "$L/show/sh010" >/dev/null ||
	    fail "with la's clock at $1 a changed file was skipped: $(diff -rq "$S/show/sh010" "$L/show/sh010" | head -3)"
	verdict "la ${seen}s off; re-send moved $((b1 - b0)) B; with 2 changed files $((b2 - b1)) B"
}
skew +1h
skew -1h
kill "$LAPID"; wait "$LAPID" 2>/dev/null || true
lab_start la "$TMP/la-server"
LAPID=$DPID
wait_linked la-server

# Fault 5: one region of la's basis overwritten between the signature la
# sends and the patch it applies (tests/lab/flip-on-read.py acts on the
# signature's read, with inotify). Detected, the file goes again whole,
# and the result is right.
scenario corrupted-basis
need python3
mkdir -p "$S/show/basis"
gen "$S/show/basis/comp.mov" 16 basis
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/basis"
printf 'v002' | dd of="$S/show/basis/comp.mov" bs=1 seek=1000 conv=notrunc 2>/dev/null
# At real-time priority where it may: it must wake between the signature
# and the patch's read, which a loaded machine made it miss once.
flip=python3
chrt -f 10 true 2>/dev/null && flip="chrt -f 10 python3"
$flip "$srcdir/tests/lab/flip-on-read.py" "$L/show/basis/comp.mov" 30 \
    >"$TMP/flip" 2>&1 &
fpid=$!
i=0
until grep -q watching "$TMP/flip" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
b0=$(lab_counter hqla)
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/basis"
b1=$(lab_counter hqla)
wait "$fpid" || true
checks=$((checks + 1))
grep -q flipped "$TMP/flip" || fail "the basis was not damaged: $(cat "$TMP/flip")"
checks=$((checks + 1))
cmp -s "$S/show/basis/comp.mov" "$L/show/basis/comp.mov" ||
    fail "a damaged basis gave a wrong file"
checks=$((checks + 1))
[ $((b1 - b0)) -gt $((16 * 1048576)) ] ||
    fail "only $((b1 - b0)) bytes crossed: the file did not go again whole"
verdict "the basis damaged after its signature; $((b1 - b0)) B crossed: the 16 MiB file went again whole"

# Fault 7: the hub's database damaged in its middle (a page of zeros):
# ferryd refuses to start, saying what and what to do; restored from the
# online backup as docs/security.md says, it carries on with its jobs.
scenario corrupted-store
need sqlite3
njobs=$("$FERRY" jobs --json --state "$HUB" | jq length)
sqlite3 "$HUB/hub.db" ".backup $TMP/hub-backup.db"
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
pages=$(( $(stat -c %s "$HUB/hub.db") / 4096 ))
dd if=/dev/zero of="$HUB/hub.db" bs=4096 seek=$((pages / 2)) count=1 \
    conv=notrunc 2>/dev/null
run 1 timeout 10 ip netns exec "$(lab_ns hq)" "$FERRYD" run $ROOT_OK --state "$HUB"
dberr=$(head -n3 "$TMP/err" | grep -v "running as root" | head -n1)
err_has "is damaged"
checks=$((checks + 1))
[ ! -S "$HUB/ferryd.sock" ] || fail "a hub started on a damaged database"
cp "$TMP/hub-backup.db" "$HUB/hub.db"
rm -f "$HUB/hub.db-wal" "$HUB/hub.db-shm"
lab_start hq "$HUB"
HUBPID=$DPID
wait_linked la-server
checks=$((checks + 1))
[ "$("$FERRY" jobs --json --state "$HUB" | jq length)" = "$njobs" ] ||
    fail "the restored hub lost jobs"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
verdict "said: $dberr"

# The daemons stopped as systemd would; any sanitizer report fails.
stop_and_check
cat "$VERDICTS" >&2
finish
