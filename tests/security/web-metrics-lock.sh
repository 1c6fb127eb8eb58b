#!/bin/sh
# /metrics reads the whole tasks table (failures by reason, retries) while
# holding the hub's lock: 0.3 s a scrape with 2 million tasks, 1.8 s when
# they failed. Without a token anyone on the hub's machine may ask, so a
# loop of scrapes held the lock nearly all the time and the whole hub
# (links, dispatch, the local API) waited. The hub reads the store for
# its metrics at most once every few seconds, whoever asks.
. "${srcdir:-.}/tests/security/lib.sh"
need curl
need sqlite3
need python3

webport=$((port + 1))
while ss -ltnH "sport = :$webport" 2>/dev/null | grep -q .; do
	webport=$((webport + 1))
done
HUB_CONF="web 127.0.0.1:$webport"
S="$TMP/storage"
mkdir -p "$S/show"
echo plate >"$S/show/a.txt"
jq -n --arg r "$S" '{sites: ["la"], shares: {storage: {linux: $r}}}' \
    >"$TMP/map.json"
make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/a.txt"
stop_daemons
pids=""
# A busy studio's year: two million files delivered, some retried.
sqlite3 "$HUB/hub.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL
    SELECT i + 1 FROM n WHERE i < 2000000) INSERT INTO tasks(job_id, dest,
    priority, src_path, dst_path, size, state, attempts, max_attempts,
    next_try) SELECT 1, 'la', 500, '/s/f' || i, 'f' || i, 1000, 'done',
    1 + i % 2, 5, 0 FROM n" || fail "sqlite3"
start_daemon "$HUB"
W="http://127.0.0.1:$webport"
i=0
until curl -sf -o /dev/null "$W/metrics" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done

# Four clients scraping as fast as they can; meanwhile the local API.
python3 - "$W/metrics" <<'PY' &
import sys, threading, time, urllib.request
end = time.time() + 6
def loop():
    while time.time() < end:
        urllib.request.urlopen(sys.argv[1]).read()
ts = [threading.Thread(target=loop) for _ in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
PY
flood=$!
sleep 1
start=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$FERRY" status --state "$HUB" >/dev/null || fail "ferry status"
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$flood" || true
echo "10 ferry status under a scrape flood: $ms ms"
checks=$((checks + 1))
[ "$ms" -lt 1500 ] || fail "10 ferry status took $ms ms while /metrics was scraped"
# The figures are still right.
curl -sf "$W/metrics" >"$TMP/metrics" || fail "/metrics"
checks=$((checks + 1))
grep -qx 'ferry_retries_total 1000000' "$TMP/metrics" ||
    fail "retries: $(grep '^ferry_retries_total' "$TMP/metrics")"
finish
