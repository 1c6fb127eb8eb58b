#!/bin/sh
# A restricted vendor asks, from its own agent, for a folder it is
# granted only part of (sh030 of show; sh042 not granted, listed after
# it). Found by an adversary's pass on the send stored while listed
# (agent/hub-jobstream.c): its first 4,096 files, all inside the grant,
# were stored and delivered before the listing reached sh042, then the
# send failed and its job was removed, so no job or task row recorded
# what the vendor received. A restricted end's send is checked whole
# before anything moves (docs/security.md): refused, nothing delivered.
# Then the id a removed job had is given again (SQLite's rowids): the
# new job must not show what was counted for the old one (saved.c).
. "${srcdir:-.}/tests/security/data-lib.sh"
need python3
mkdir -p "$S/show/sh030" "$S/show/sh042" "$L" "$F"
tree_of "$S/show/sh030" 8300
echo secret >"$S/show/sh042/other.txt"
# The ungranted folder after the granted one in readdir's order: the
# names are renamed until it is so.
python3 - "$S/show" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(43, 99):
    if os.listdir(d).index("sh030") == 0:
        break
    other = [n for n in os.listdir(d) if n != "sh030"][0]
    os.rename(os.path.join(d, other), os.path.join(d, "sh%03d" % i))
PY
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "$V": { "linux": "$F" } } } } }
JSON
HOLD="$TMP/hold"
HUB_CONF="test-store-hold $HOLD"
make_hub
EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 --user "$V" \
    --clearance restricted
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"
# A second batch would be held (a slow listing) until 4,096 arrived.
touch "$HOLD"
"$FERRY" send --from hq --to "$V" --wait --state "$TMP/fx-ws" "$S/show" \
    >"$TMP/send.out" 2>&1 &
sp=$!
i=0
while [ $i -lt "$(slow 100)" ] && kill -0 "$sp" 2>/dev/null &&
    [ "$(find "$F" -type f ! -name '.*' | wc -l)" -lt 4096 ]; do
	i=$((i + 1))
	sleep 0.1
done
rm -f "$HOLD"
st=0
wait "$sp" || st=$?
got=$(find "$F" -type f ! -name '.*' | wc -l)
echo "send: exit $st, $(head -c 300 "$TMP/send.out"); $got files at the vendor"
checks=$((checks + 1))
[ "$st" != 0 ] && grep -q "may not read" "$TMP/send.out" ||
    fail "the send of a partly granted folder was not refused for the grant"
checks=$((checks + 1))
[ "$got" = 0 ] || fail "a send refused for the grant delivered $got files to the vendor"
run 0 "$FERRY" audit --json --limit 0 --state "$HUB"
checks=$((checks + 1))
jq -e '[.[] | select(.what == "send.refused")] | length > 0' "$TMP/out" \
    >/dev/null || fail "the refusal was not audited"

# A job removed while it ran (a site's send, stored while listed, that
# passes max-job-files after its first batches), then a small one that
# is given its id again.
enrol_agent la la-server
mkdir -p "$S/big"
tree_of "$S/big" 8600
stop_daemons
pids=""
echo "max-job-files 8500" >>"$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID
start_daemon "$TMP/la-server"
wait_linked la-server
touch "$HOLD"
"$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    >"$TMP/send2.out" 2>&1 &
sp=$!
i=0
while [ $i -lt "$(slow 100)" ] && kill -0 "$sp" 2>/dev/null &&
    [ "$(find "$L/big" -type f 2>/dev/null | wc -l)" -lt 4096 ]; do
	i=$((i + 1))
	sleep 0.1
done
rm -f "$HOLD"
wait "$sp" || :
removed=$(sed -n 's/.*storing job \([0-9]*\) stopped after.*/\1/p' \
    "$TMP/send2.out")
echo "removed: job ${removed:-none}: $(head -c 200 "$TMP/send2.out")"
checks=$((checks + 1))
[ -n "$removed" ] || fail "the send past max-job-files was not stopped midway"
# Its rows go once its transfers have stopped; then the next job.
i=0
while [ $i -lt "$(slow 100)" ] &&
    [ "$(hub_q "SELECT count(*) FROM jobs WHERE id = ${removed:-0}")" != 0 ]; do
	i=$((i + 1))
	sleep 0.1
done
head -c 5000 /dev/urandom >"$S/big/new.bin"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big/new.bin"
new=$(sed -n 2p "$TMP/out")
checks=$((checks + 1))
[ "$new" = "$removed" ] ||
    fail "the store gave job $new, not the removed $removed: the check below proves nothing"
run 0 "$FERRY" job "$new" --json --state "$HUB"
echo "job $new (removed: $removed): $(jq -c '{files, bytes, sent_bytes, wire_bytes}' "$TMP/out")"
checks=$((checks + 1))
[ "$(jq -r '.sent_bytes // 0' "$TMP/out")" -le 5000 ] &&
    [ "$(jq -r '.wire_bytes // 0' "$TMP/out")" -le 10000 ] ||
    fail "job $new (one file of 5,000 bytes) shows what an earlier job $removed moved"
stop_and_check
finish
