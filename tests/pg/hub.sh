#!/bin/sh
# A hub whose store is on PostgreSQL (tests/pg/lib.sh starts one): init
# refuses a password on argv and a password file others can read; the
# password is in no process's argv; two agents (la, ny) and a job from
# la to ny; kill -9 of the hub in the middle of it, a restart, and the
# job is done once; then the database restarted under the running hub:
# new work is refused with a clear cause while it is down, and taken
# again once it is back, without restarting the hub.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl

pg_start
unset PGPASSFILE

# Refusals, before anything is made.
run 2 "$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$TMP/nohub" --store "$TMP/some.db"
err_has "--store takes a postgresql:// URL"
run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$TMP/nohub" --store "postgresql://ferry:$PG_PASSWORD@/ferry?host=$PG_DIR&port=$PG_PORT"
err_has "carries a password"
checks=$((checks + 1))
! grep -qF "$PG_PASSWORD" "$TMP/err" || fail "init echoed the password"
cp "$PG_PASSFILE" "$TMP/pgpass-open"
chmod 644 "$TMP/pgpass-open"
run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
    --state "$TMP/nohub" --store "$PG_URL" --store-password-file "$TMP/pgpass-open"
err_has "has mode 0644: it must be 0600"
checks=$((checks + 1))
[ ! -e "$TMP/nohub" ] || fail "a refused init left $TMP/nohub behind"

HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
make_hub
checks=$((checks + 1))
[ ! -e "$HUB/hub.db" ] || fail "a hub on PostgreSQL made hub.db"
checks=$((checks + 1))
grep -q "^store postgresql://" "$HUB/ferryd.conf" || fail "ferryd.conf: $(cat "$HUB/ferryd.conf")"
# A second hub on the same database is refused (no standby yet).
run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.1:1" \
    --state "$TMP/hub2" --store "$PG_URL" --store-password-file "$PG_PASSFILE"
err_has "holds a ferry hub store already"

two_sites "$HUB"
enrol_agent la la-server
enrol_agent ny ny-server

# The password is on no command line: not the hub's, not the agents'.
# (grep reads the password from a file: in its argv it would find itself.)
printf '%s\n' "$PG_PASSWORD" >"$TMP/pw-pattern"
checks=$((checks + 1))
if cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n' |
    grep -qFf "$TMP/pw-pattern"
then
	fail "the database password is in a process's argv"
fi

# A job between the two agents, slowed down; kill -9 of the hub while
# the file is in flight; the restarted hub finds it in PostgreSQL.
openssl enc -aes-128-ctr -nosalt -pass pass:pg -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 12000000 >"$S/show/big.mov"
run 0 "$FERRY" site set ny --bwlimit 3M --state "$HUB"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/big.mov"
id=$(tail -n1 "$TMP/out")
wait_file "$N/show/.big.mov.ferry-part"
sleep 0.5
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server
wait_linked ny-server
run 0 "$FERRY" job "$id" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$S/show/big.mov" "$N/show/big.mov" || fail "big.mov differs at ny"
checks=$((checks + 1))
grep -q "task(s) left running by the last run are queued again" "$HUB.log" ||
    fail "the restarted hub did not recover the job"
# Done once: one task, done; one 'done' notice for the job.
run 0 pg_psql "SELECT state || ' ' || n_tasks || ' ' || n_done FROM jobs WHERE id = $id"
out_is "done 1 1"
run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
out_is "1"
run 0 pg_psql "SELECT count(*) FROM tasks WHERE job_id = $id"
out_is "1"

# The database goes away under the running hub: new work is refused,
# saying why; the hub keeps running.
run 0 "$FERRY" site set ny --bwlimit 0 --state "$HUB"
echo small >"$S/show/small.txt"
pg_stop fast
run 1 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/small.txt"
sed 's/^/refused while the database is down: /' "$TMP/err" >&2
err_has "database"
checks=$((checks + 1))
grep -qi "connection lost\|cannot connect\|reconnecting" "$TMP/err" ||
    fail "the refusal does not say the database is unreachable: $(cat "$TMP/err")"
checks=$((checks + 1))
kill -0 "$HUBPID" 2>/dev/null || fail "the hub died when the database went away"
# Back: the hub reconnects by itself and takes the job.
pg_start
i=0
until "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$S/show/small.txt" >"$TMP/out" 2>"$TMP/err"; do
	i=$((i + 1))
	[ $i -lt 20 ] || { fail "no job taken after the database came back: $(cat "$TMP/err")"; break; }
	sleep 0.5
done
checks=$((checks + 1))
cmp -s "$S/show/small.txt" "$N/show/small.txt" || fail "small.txt not delivered after the restart"
echo "taken again after $i tries, 0.5 s apart" >&2
# Its lease went with the old session; nobody else took it: it is kept.
i=0
until grep -q "the store's lease is still this hub's" "$HUB.log"; do
	i=$((i + 1)); [ $i -lt 30 ] || break; sleep 0.1
done
checks=$((checks + 1))
grep -q "the store's lease is still this hub's" "$HUB.log" ||
    fail "the hub did not take its lease again: $(grep lease "$HUB.log")"
checks=$((checks + 1))
kill -0 "$HUBPID" 2>/dev/null || fail "the hub stopped after the database came back"
# Away for longer than the fence (3 s, docs/operations.md "Fencing"):
# the hub fences itself (it cannot know that no standby takes over),
# drops its agents' links and refuses work saying it is not active;
# back, the lease is still free: it is active again as a new run.
pg_stop fast
i=0
until grep -q "fenced since" "$HUB.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
checks=$((checks + 1))
grep -q "fenced since" "$HUB.log" || fail "the hub did not fence itself"
run 1 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/small.txt"
err_has "this hub is not active"
pg_start
i=0
until grep -q "active again: the store's lease is this hub's" "$HUB.log"; do
	i=$((i + 1)); [ $i -lt 150 ] || break; sleep 0.1
done
checks=$((checks + 1))
grep -q "active again" "$HUB.log" || fail "not active again: $(tail -5 "$HUB.log")"
echo again >"$S/show/again.txt"
i=0
until "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$S/show/again.txt" >"$TMP/out" 2>"$TMP/err"; do
	i=$((i + 1))
	[ $i -lt 40 ] || { fail "no job taken after the fence: $(cat "$TMP/err")"; break; }
	sleep 0.5
done
checks=$((checks + 1))
cmp -s "$S/show/again.txt" "$N/show/again.txt" || fail "again.txt not delivered after the fence"
grep -i "database" "$HUB.log" | sort | uniq -c | sort -rn | head -5 |
    sed 's/^/hub log: /' >&2

stop_and_check
finish
