#!/bin/sh
# Attack: a receiving agent answers the hub's compare (hub-compare.c,
# "which of these files do you hold already?") with what does not fit
# the question: too short an answer, other characters than 0 and 1, an
# error, or no answer at all. The hub must take none of it (no file
# stored done), say why in its log, and store the send's files to be
# sent as before, without waiting more than its bound for an answer.
. "${srcdir:-.}/tests/security/lib.sh"
need sqlite3

S="$TMP/hq-storage" V="$TMP/vs-storage"
mkdir -p "$S/show/sh010" "$V"
for f in a b c; do echo "plate $f" >"$S/show/sh010/$f.exr"; done
share_map "$S" vs="$V"
make_hub
code=$("$FERRY" invite --site vs --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/vs-server" \
    --name vs-server >/dev/null || fail "enrolling vs-server failed"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
q() { hub_q "$1"; }

# forged WHY [--on compare=JSON]: the crafted agent answers so; the send's
# three files must all be stored queued, and the hub's log say WHY.
forged() {
	why=$1; shift
	rm -f "$TMP/evil.out"	# not an earlier talk's (data-lib.sh)
	"$EVIL" talk "$TMP/vs-server" --hold 25000 "$@" \
	    --first '{"op":"hello","name":"vs-server","compare":true}' \
	    >"$TMP/evil.out" 2>&1 &
	epid=$!
	wait_linked vs-server
	run 0 "$FERRY" send --from hq --to vs --state "$HUB" "$S/show"
	id=$(tail -n1 "$TMP/out")
	log_has "$HUB.log" "compare with vs: $why"
	checks=$((checks + 1))
	[ "$(q "SELECT n_tasks, n_done FROM jobs WHERE id = $id")" = "3|0" ] ||
	    fail "job $id ($why): $(q "SELECT n_tasks, n_done FROM jobs
	    WHERE id = $id")"
	checks=$((checks + 1))
	[ "$(q "SELECT count(*) FROM tasks WHERE job_id = $id AND
	    state = 'done'")" = 0 ] || fail "job $id ($why) has tasks done"
	checks=$((checks + 1))
	grep -q '"op": *"compare"' "$TMP/evil.out" ||
	    fail "the hub asked vs nothing: $(head -c 400 "$TMP/evil.out")"
	"$FERRY" cancel "$id" --state "$HUB" >/dev/null 2>&1 || true
	kill "$epid" 2>/dev/null; wait "$epid" 2>/dev/null || true
	wait_unlinked vs-server
}

forged "an answer that does not fit its question" \
    --on 'compare={"re":"@req","same":"1"}'
forged "an answer that does not fit its question" \
    --on 'compare={"re":"@req","same":"1x1"}'
forged "an answer that does not fit its question" \
    --on 'compare={"re":"@req","same":"1111"}'
forged "not what you think" \
    --on 'compare={"re":"@req","error":"not what you think"}'
# No answer: the send goes on after the hub's bound (15 s), not forever.
t0=$(date +%s)
forged "no answer within"
checks=$((checks + 1))
[ $(($(date +%s) - t0)) -lt 40 ] || fail "the send waited $(($(date +%s) - t0)) s"

# The hub is still up and still answers.
run 0 "$FERRY" status --state "$HUB"
finish
