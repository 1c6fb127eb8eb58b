#!/bin/sh
# receive-flush in a receiver's ferryd.conf (issue 14): how the files it
# receives are made durable before they take their names. By default
# (auto) one syncfs a batch only where the share's root is a file system
# of its own (a mount point): la's root here is a folder of the test's
# file system, so each file is flushed on its own (0 syncfs in la's log).
# receive-flush fs: a syncfs a batch there too (a share whose root is a
# folder of a volume ferry may flush whole: 100,000 small files took the
# daemons 15-34 s with a flush each and 6 s with a syncfs a batch,
# docs/benchmarks.md, fourteenth pass). `ferry doctor` says which a
# share root gets. A bad value stops ferryd run, naming the keyword and
# the value.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/a" "$S/b" "$L"
tree_of "$S/a" 300
tree_of "$S/b" 300
hub_and_la "$S" "$L"
LA="$TMP/la-server"

# syncfs_of XID: the syncfs count la logged for that transfer.
syncfs_of() {
	sed -n "s/.*transfer $1: [0-9]* streams, [0-9]* file(s) striped, \([0-9]*\) syncfs.*/\1/p" \
	    "$LA.log" | tail -n 1
}
last_xfer() {
	sed -n 's/.*transfer \([0-9]*\): [0-9]* streams, .* syncfs.*/\1/p' \
	    "$LA.log" | tail -n 1
}

# doctor_says TEXT: `ferry doctor` on la says TEXT of la's share root.
doctor_says() {
	"$FERRY" doctor --map "$TMP/map.json" --unit /dev/null \
	    --ftrack-state "$TMP/noff" --state "$LA" >"$TMP/out" 2>&1 || :
	checks=$((checks + 1))
	grep -q "^ok    share     storage: root $L exists, writable; $1" \
	    "$TMP/out" || fail "doctor on la: $(grep share "$TMP/out")"
}

# auto: per-file flushes into a folder that is not a mount point.
doctor_says "a folder of a larger file system: files received there are flushed one by one (receive-flush fs"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/a"
log_has "$LA.log" "syncfs"
x=$(last_xfer)
checks=$((checks + 1))
[ -n "$x" ] && [ "$(syncfs_of "$x")" = 0 ] ||
    fail "auto: transfer ${x:-?} made $(syncfs_of "$x") syncfs calls, not 0"

# fs: a syncfs a batch, and every file whole.
kill "$APID"
wait "$APID" 2>/dev/null || :
echo "receive-flush fs" >>"$LA/ferryd.conf"
start_daemon "$LA"
APID=$DPID
wait_linked la-server
doctor_says "files received there are flushed a batch at once (receive-flush fs)"
n=$(grep -c "syncfs" "$LA.log")
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/b"
i=0
while [ "$(grep -c "syncfs" "$LA.log")" -le "$n" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
x=$(last_xfer)
checks=$((checks + 1))
[ -n "$x" ] && [ "$(syncfs_of "$x")" -gt 0 ] ||
    fail "fs: transfer ${x:-?} made no syncfs call: $(tail -n 3 "$LA.log")"
checks=$((checks + 1))
diff -r "$S/b" "$L/b" >/dev/null || fail "fs: la's copy of b differs"
checks=$((checks + 1))
[ "$(find "$L/b" -type f | wc -l)" = 300 ] || fail "fs: not 300 files at la"

# A bad value: ferryd run refuses to start, naming it.
kill "$APID"
wait "$APID" 2>/dev/null || :
echo "receive-flush sometimes" >>"$LA/ferryd.conf"
run 1 "$FERRYD" run $ROOT_OK --state "$LA"
err_has 'receive-flush must be auto, files or fs, not "sometimes"'
stop_and_check
finish
