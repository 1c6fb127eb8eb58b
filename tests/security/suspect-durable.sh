#!/bin/sh
# Attack: erase the trace of a refused read by cutting the hub's power.
# A source swapped for a symlink after the request was checked is refused
# when the hub plans the transfer (dispatch_add), and the refusal goes
# into the audit trail (transfer.suspect). That plan is stored in a light
# transaction (db_begin_light: synchronous=NORMAL, no flush); a record
# written inside it would be committed unflushed, so a power cut could
# take it back, and the attacker, who puts the directory back, leaves no
# trace. The record must be flushed when it is committed: seen in the
# hub's own system calls (strace), the WAL frame that commits it is
# followed by a sync of the WAL before anything else is written there.
. "${srcdir:-.}/tests/security/data-lib.sh"
need strace
need jq
sec_setup

mkdir "$S/show/sh020/d"
printf 'granted\n' >"$S/show/sh020/d/x.mov"
printf 'secret of sh010\n' >"$S/show/sh010/x.mov"
# The vendor's agent is away: the job waits, checked, for the swap.
kill "$FXPID"; wait "$FXPID" 2>/dev/null || true
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" "$S/show/sh020/d/x.mov"
rid=$(tail -n1 "$TMP/out")
mv "$S/show/sh020/d" "$S/show/sh020/d.real"
ln -s ../sh010 "$S/show/sh020/d"

# The hub's threads, and those it starts, traced from now on.
tids=$(ls "/proc/$HUBPID/task" | sed 's/^/-p /' | tr '\n' ' ')
# A file a thread (-ff): the commit's frames and its sync are the same
# thread's calls, never split by another's.
# shellcheck disable=SC2086
strace -ff -qq -y -xx -s 5000 -e trace=pwrite64,fdatasync,fsync \
    -o "$TMP/hub.trace" $tids 2>"$TMP/strace.err" &
spid=$!
i=0
while ! ls "$TMP"/hub.trace.* >/dev/null 2>&1 && [ $i -lt 40 ]; do
	i=$((i + 1)); sleep 0.1
done
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
job_fails "$rid" "show/sh020/d: a symlink"
sleep 1
kill "$spid"; wait "$spid" 2>/dev/null || true

# The first page written to the WAL that holds the record, the header of
# the frame that commits its transaction (bytes 4-7 not zero: the size of
# the database after the commit), that frame's page, then a sync.
# "transfer.suspect" as strace -xx spells it.
SUSPECT='\x74\x72\x61\x6e\x73\x66\x65\x72\x2e\x73\x75\x73\x70\x65\x63\x74'
export SUSPECT
# The WAL's descriptor, its path as -xx spells it (-wal>).
verdict="no record"
for f in "$TMP"/hub.trace.*; do
	grep -qF -- "$SUSPECT" "$f" || continue
	verdict=$(grep -F -- '\x2d\x77\x61\x6c>' "$f" | awk '
function commits(line,   d) {
	d = substr(line, index(line, "\"") + 1, 32)
	return (substr(d, 17, 16) != "\\x00\\x00\\x00\\x00")
}
/fdatasync\(|fsync\(/ { if (state == "sync") { print "synced"; done = 1; exit }
	next }
/pwrite64\(/ {
	hdr = $0 ~ /, 24, [0-9]+\) = 24$/
	if (state == "sync") { print "not synced: " NR; done = 1; exit }
	if (hdr) { last = commits($0); if (state == "await" && last)
		state = "page"; next }
	if (state == "page") { state = "sync"; next }
	if (state == "" && index($0, ENVIRON["SUSPECT"])) state = last ? "sync" : "await"
}
END { if (!done) print (state == "" ? "no record" : "not synced at the end") }')
	break
done
checks=$((checks + 1))
[ "$verdict" = synced ] ||
    fail "the transfer.suspect record was committed, not flushed: $verdict (in $f)"

rm "$S/show/sh020/d"; mv "$S/show/sh020/d.real" "$S/show/sh020/d"
stop_and_check
finish
