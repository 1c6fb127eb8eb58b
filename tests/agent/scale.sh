#!/bin/sh
# Big jobs page (issue 15, "Scale"): a job of 50,000 empty files from the
# hub to an agent completes, `ferry job ID --json` gives every task in
# one JSON document in destination order, fetched a page at a time, and
# the hub's peak RSS while it answers does not grow with the job: the
# 50,000-file job costs it about what the 10,000-file one does (one
# answer of every task took ~2 KB a task: 207 MB for 100,000). The job
# op's pages (after/limit/next) and `ferry jobs --limit/--all` too, and
# an agent's listing of 50,000 files, which comes in pages.
. "${srcdir:-.}/tests/agent/lib.sh"
# Under ASan freed memory waits in a quarantine (256 MB) before reuse, so
# the hub's peak would grow with what it frees, not with what it holds:
# no quarantine, for the peaks below to measure the hub (a plain build
# ignores the variable).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/small" "$S/big" "$L"
tree_of "$S/small" 10000 empty
tree_of "$S/big" 50000 empty
hub_and_la "$S" "$L"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/small"
small=$(tail -n1 "$TMP/out")
# Past 16,384 files the hub plans on disk (hub-jobplan.c); a folder named
# twice, once inside the other, is still one task per file.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    "$S/big/d007"
big=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = 50000 ] ||
    fail "la has $(find "$L/big" -type f | wc -l) of the 50,000 files"

# hwm JOB: the hub's peak RSS in kB while `ferry job JOB --json` runs
# (the peak is reset first: clear_refs 5), the document in $TMP/job.json.
hwm() {
	echo 5 >"/proc/$HUBPID/clear_refs" || fail "cannot reset VmHWM"
	"$FERRY" job "$1" --json --state "$HUB" >"$TMP/job.json" ||
	    fail "ferry job $1 --json failed"
	awk '/^VmHWM/ { print $2 }' "/proc/$HUBPID/status"
}
h_small=$(hwm "$small")
h_big=$(hwm "$big")
# One document: every task once, ids rising, destinations sorted.
checks=$((checks + 1))
jq -e --argjson id "$big" '.id == $id and .state == "done" and .done == true
    and .files == 50000 and (.tasks | length) == 50000
    and ([.tasks[].id] | . == (sort | unique))
    and ([.tasks[].dst] | . == sort)
    and all(.tasks[]; .state == "done" and .size == 0)
    and (has("next") | not)' "$TMP/job.json" >/dev/null ||
    fail "ferry job $big --json: $(head -c 300 "$TMP/job.json")"
echo "hub VmHWM during ferry job --json: 10,000 files $h_small kB," \
    "50,000 files $h_big kB" >&2
# Five times the files, not five times the memory: within 8 MB (one
# answer of every task would add ~80 MB).
checks=$((checks + 1))
[ "$h_big" -lt $((h_small + 8192)) ] ||
    fail "hub VmHWM grew with the job: $h_small kB for 10,000, $h_big kB for 50,000"

# The control: one answer of every task (a client that asks without
# after/limit, as before pages) does take the hub up, so the measure
# above would have seen it.
echo 5 >"/proc/$HUBPID/clear_refs"
run 0 env FERRY_STATE="$HUB" PYTHONPATH="$srcdir/python" python3 -c "
from ferry_client import Client
print(len(Client()._request({'op': 'job', 'id': $big})['tasks']))"
h_whole=$(awk '/^VmHWM/ { print $2 }' "/proc/$HUBPID/status")
echo "hub VmHWM for one answer of all 50,000 tasks: $h_whole kB" >&2
checks=$((checks + 1))
[ "$h_whole" -gt $((h_big + 32768)) ] ||
    fail "the unpaged answer did not show: $h_whole kB against $h_big kB"

# The human form pages too: a head line and a line per file, in order.
run 0 "$FERRY" job "$small" --state "$HUB"
checks=$((checks + 1))
[ "$(grep -c '^  done ' "$TMP/out")" = 10000 ] &&
    head -n1 "$TMP/out" | grep -q "^job $small: done, hq -> la, 10000/10000" &&
    sed -n '2,$p' "$TMP/out" | awk '{ print $3 }' | sort -c ||
    fail "ferry job $small: $(head -n3 "$TMP/out")"

# The op's pages: after/limit, "next" while more may follow.
run 0 env FERRY_STATE="$HUB" PYTHONPATH="$srcdir/python" python3 - "$big" <<'PY'
import sys
from ferry_client import Client
c, job = Client(), int(sys.argv[1])
a = c._request({"op": "job", "id": job, "after": 0, "limit": 3})
ids = [t["id"] for t in a["tasks"]]
assert len(ids) == 3 and a["next"] == ids[-1], a
b = c._request({"op": "job", "id": job, "after": a["next"], "limit": 3})
assert b["tasks"][0]["id"] > ids[-1], b
last = c._request({"op": "job", "id": job, "after": a["next"] + 49996,
                   "limit": 3})
assert "next" not in last, last
big = c._request({"op": "job", "id": job, "limit": 1000000})
assert len(big["tasks"]) == 10000 and "next" in big, len(big["tasks"])
assert sum(1 for _ in c.job(job).iter_tasks(page=7000)) == 50000
try:
    c._request({"op": "job", "id": job, "after": -1})
    raise SystemExit("a negative cursor was taken")
except Exception as e:
    assert "after" in str(e), e
j1 = c._request({"op": "jobs", "limit": 1})
assert [j["id"] for j in j1["jobs"]] == [job] and j1["next"] == job, j1
j2 = c._request({"op": "jobs", "limit": 1, "before": j1["next"]})
assert [j["id"] for j in j2["jobs"]] == [job - 1], j2
print("pages ok")
PY
out_has "pages ok"
run 0 "$FERRY" jobs --json --limit 1 --state "$HUB"
checks=$((checks + 1))
[ "$(jq -c '[.[].id]' "$TMP/out")" = "[$big]" ] || fail "jobs --limit 1: $(cat "$TMP/out")"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq -c '[.[].id]' "$TMP/out")" = "[$big,$small]" ] || fail "jobs --all: $(cat "$TMP/out")"

# From an agent: it lists its files in pages of 4,096 ("list" with
# "page", answers with "more"), and the hub plans them on disk past
# 16,384; the 50,000 files la holds go back to hq (where they are, so
# each is skipped as unchanged) as one job of 50,000 tasks.
run 0 "$FERRY" send --from la --to hq --wait --state "$HUB" "$L/big"
back=$(tail -n1 "$TMP/out")
run 0 "$FERRY" job "$back" --json --state "$HUB"
checks=$((checks + 1))
jq -e '.state == "done" and .files == 50000 and (.tasks | length) == 50000
    and ([.tasks[].dst] | . == sort and . == unique)' "$TMP/out" >/dev/null ||
    fail "the job from la: $(head -c 300 "$TMP/out")"

stop_and_check
finish
