#!/bin/sh
# Two writers of one file at the hub: an SFTP pull and la's transfer of
# the same file into the hub, whose start the hub holds (hub-dispatch.h,
# "held"). A pull starts each file's task when its turn comes
# (hub-sftp.c) and store_task_start keeps it off a file a running task
# writes; a held start's rows are still queued. la's job is sent while
# the pull moves its first file. Whichever goes first, the two tasks for
# b-same.bin must not overlap (started/finished, to the second), both
# jobs end done, the file is whole, no partial is left. (In the runs
# made when this was written, la's transfer was dispatched only after
# the pull had ended, so the held window itself was not reached.)
. "${srcdir:-.}/tests/agent/lib.sh"
HUBTMP=$TMP
. "${srcdir:-.}/tests/sftp/lib.sh"
trap 'sftp_cleanup; stop_daemons; rm -rf "$HUBTMP"' EXIT
need openssl
need sqlite3

sshd_start
S="$HUBTMP/hq-storage"
L="$HUBTMP/la-storage"
R="$TMP/root"
mkdir -p "$S" "$L/incoming" "$R/incoming"
gen() { openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c "$2"; }
gen first 1500000 >"$R/incoming/a-first.bin"
gen same 4000000 >"$R/incoming/b-same.bin"
cp "$R/incoming/b-same.bin" "$L/incoming/b-same.bin"
hub_and_la "$S" "$L"
F() { "$FERRY" "$@" --state "$HUB"; }
run 0 F site add vendorsftp --sftp "$TARGET" --key "$K/user" \
    --known-hosts "$KNOWN"
run 0 F acl set vendorsftp storage:incoming write
# 1 MB/s each way: the pull's first file takes 1.5 s; la's job is sent
# 0.8 s after the pull.
run 0 F site set vendorsftp --bwlimit 1M
run 0 F site set hq --bwlimit 1M

run 0 F send --from vendorsftp --to hq "$R/incoming"
p=$(tail -n1 "$TMP/out")
sleep 0.8
run 0 F send --from la --to hq "$L/incoming/b-same.bin"
a=$(tail -n1 "$TMP/out")
run 0 F job "$a" --wait
run 0 F job "$p" --wait
q() { sqlite3 "$HUB/hub.db" "$1"; }
for id in "$p" "$a"; do
	checks=$((checks + 1))
	got=$(q "SELECT state, n_queued, n_running FROM jobs WHERE id = $id")
	[ "$got" = "done|0|0" ] || fail "job $id: $got"
done
checks=$((checks + 1))
cmp -s "$R/incoming/b-same.bin" "$S/incoming/b-same.bin" ||
    fail "b-same.bin differs"
checks=$((checks + 1))
got=$(q "SELECT p.started >= a.finished OR a.started >= p.finished
    FROM tasks p, tasks a WHERE p.job_id = $p AND a.job_id = $a
    AND p.dst_path = a.dst_path")
[ "$got" = 1 ] || fail "the pull and la both wrote b-same.bin at once: $(q \
    "SELECT job_id, dst_path, state, started, finished FROM tasks")"
checks=$((checks + 1))
[ -z "$(find "$S" -name '.*ferry-*')" ] || fail "partial files left at hq"

# sshd first: stop_daemons waits for every child, and sshd is one.
sshd_stop
stop_and_check
finish
