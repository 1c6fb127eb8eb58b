#!/bin/sh
# A test stops only its own daemons. Each test keeps the pid of every
# daemon it started ($pids) and, at its end, sends SIGTERM to them all
# (stop_daemons, its EXIT trap): also to those that ended long before,
# killed by the test (kill -9 of a hub) or stopped by themselves. Pids
# wrap at /proc/sys/kernel/pid_max (32768 on the CI machine), which a
# full `make -j3 check` goes through in a minute or two: such a pid may
# be another test's hub by then, and the SIGTERM stopped that hub in the
# middle of its test ("ferryd closed the connection", then "no socket
# at .../ferryd.sock": tests/pg/standby.sh beside tests/pg/hub.sh, which
# kills its first hub with kill -9 early on). Here: this test's hub is
# killed with kill -9, its pid goes (through ns_last_pid) to a hub that
# is not this test's (not a child of this shell), and stop_daemons must
# leave that one running, its socket in place. Needs root.
. "${srcdir:-.}/tests/agent/lib.sh"

if [ "$(id -u)" != 0 ] || ! [ -w /proc/sys/kernel/ns_last_pid ]; then
	echo "SKIP: needs root (to set /proc/sys/kernel/ns_last_pid)" >&2
	exit 77
fi

make_hub
old=$HUBPID
kill -9 "$old"
wait "$old" 2>/dev/null || true

# The other test's hub, started by a subshell that ends at once (so it
# is not this shell's child), on the pid this test's hub had.
V="$TMP/other"
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$(free_port 1)" \
    --state "$V" >/dev/null || fail "ferryd init failed"
vpid=
trap 'if [ -n "$vpid" ]; then kill -9 "$vpid" 2>/dev/null || true; fi;
    stop_daemons; rm -rf "$TMP"' EXIT
n=0
while [ $n -lt 50 ]; do
	n=$((n + 1))
	rm -f "$V/ferryd.sock"
	# The subshell takes old - 1, the hub old (other processes may
	# take them first: then again).
	echo $((old - 2)) >/proc/sys/kernel/ns_last_pid
	( "$FERRYD" run $ROOT_OK --state "$V" >>"$V.log" 2>&1 &
	    echo $! >"$TMP/vpid" )
	vpid=$(cat "$TMP/vpid")
	[ "$vpid" != "$old" ] || break
	kill -9 "$vpid" 2>/dev/null || true
	while kill -0 "$vpid" 2>/dev/null; do sleep 0.05; done
	vpid=
done
if [ -z "$vpid" ]; then
	echo "SKIP: pid $old was not given to the other hub in 50 tries" >&2
	exit 77
fi
i=0
while [ ! -S "$V/ferryd.sock" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { fail "the other hub did not start: $(cat "$V.log")"; break; }
	sleep 0.05
done
echo "this test's hub had pid $old; the other test's hub has it now" >&2

# This test ends: its daemons are stopped.
stop_daemons
pids=""
# A hub told to stop says so and removes its socket at once.
sleep 2
checks=$((checks + 1))
kill -0 "$vpid" 2>/dev/null ||
    fail "another test's hub (pid $vpid) was stopped: $(tail -n 3 "$V.log")"
checks=$((checks + 1))
[ -S "$V/ferryd.sock" ] || fail "another test's hub lost its socket"
checks=$((checks + 1))
! grep -q "stopping" "$V.log" ||
    fail "another test's hub was told to stop: $(grep stopping "$V.log")"

kill -9 "$vpid" 2>/dev/null || true
vpid=
finish
