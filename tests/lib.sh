# Sourced by every shell test suite: a scratch directory, and helpers that
# run a command and check its exit status and output.
set -eu

: "${FERRY:?FERRY must name the ferry binary (make check sets it)}"
: "${srcdir:=.}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

# FERRY_VALGRIND=DIR (make check-valgrind): ferry and ferryd run under
# valgrind's memcheck, through wrappers in $TMP/vg, each process's report
# in DIR/PROGRAM.PID.log (tests/valgrind-check sums them up). A program
# with an error or a definite leak exits 99, so a test that checks its
# status fails there; a daemon's report is read from its log afterwards.
if [ -n "${FERRY_VALGRIND:-}" ]; then
	mkdir -p "$TMP/vg" "$FERRY_VALGRIND"
	for _v in FERRY FERRYD; do
		eval "_bin=\${$_v:-}"
		[ -n "$_bin" ] || continue
		cat >"$TMP/vg/${_bin##*/}" <<-EOF
		#!/bin/sh
		exec valgrind --tool=memcheck --leak-check=full \\
		    --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
		    --error-exitcode=99 --num-callers=30 \\
		    --log-file="$FERRY_VALGRIND/${_bin##*/}.%p.log" \\
		    "$_bin" "\$@"
		EOF
		chmod +x "$TMP/vg/${_bin##*/}"
		eval "$_v=\$TMP/vg/\${_bin##*/}"
	done
fi

# tree_of DIR N [empty]: N files under DIR, a thousand a directory
# (DIR/d000/f000000 ...), each holding its number and a newline, or
# empty; for the tests of big sends (python3 must be there).
tree_of() {
	python3 - "$@" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
empty = len(sys.argv) > 3 and sys.argv[3] == "empty"
for i in range(n):
    sub = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%06d" % i), "w") as f:
        if not empty:
            f.write("%d\n" % i)
PY
}

# slow N: N (a count of 0.1 s waits), or 20 times N plus 100 (10 s)
# under valgrind, where every program runs some 20 times slower.
slow() {
	if [ -n "${FERRY_VALGRIND:-}" ]; then
		echo $(($1 * 20 + 100))
	else
		echo "$1"
	fi
}

# log_has FILE PATTERN: one check that FILE gets a line matching PATTERN
# within 10 s (more under valgrind): a daemon writes its log lines on its
# own time, after the socket a test waited for.
log_has() {
	checks=$((checks + 1))
	_i=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt "$(slow 100)" ] || {
			fail "no \"$2\" in $1: $(tail -n 20 "$1" 2>/dev/null)"
			return 0
		}
		sleep 0.1
	done
}

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run EXPECTED_STATUS CMD...: runs CMD, keeping stdout in $TMP/out and
# stderr in $TMP/err, and checks the exit status.
run() {
	want=$1; shift
	checks=$((checks + 1))
	set +e
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, expected $want: $*"
		sed 's/^/  stderr: /' "$TMP/err" >&2
	fi
}

# out_is TEXT / err_has TEXT: compare stdout exactly, grep stderr.
out_is() {
	checks=$((checks + 1))
	if [ "$(cat "$TMP/out")" != "$1" ]; then
		fail "stdout was:"
		sed 's/^/  | /' "$TMP/out" >&2
		echo "  expected:" >&2
		printf '%s\n' "$1" | sed 's/^/  | /' >&2
	fi
}

# out_has REGEX WHAT: a line of stdout matches REGEX (WHAT names it).
out_has() {
	checks=$((checks + 1))
	grep -q -- "$1" "$TMP/out" || {
		fail "$2:"
		sed 's/^/  | /' "$TMP/out" >&2
	}
}

err_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$TMP/err" || {
		fail "stderr lacks \"$1\":"
		sed 's/^/  | /' "$TMP/err" >&2
	}
}

err_empty() {
	checks=$((checks + 1))
	[ ! -s "$TMP/err" ] || {
		fail "stderr is not empty:"
		sed 's/^/  | /' "$TMP/err" >&2
	}
}

# need TOOL: a missing tool skips the test, except in CI where it fails.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 is not installed (CI must install it)" >&2
		exit 1
	fi
	echo "SKIP: $1 is not installed" >&2
	exit 77
}

# wine_done WINESERVER: a wine test's EXIT trap: stops the wineserver of
# its prefix in $TMP, waits for it, then removes $TMP. Even after -w,
# wine's last processes may write the prefix for a moment (rm -rf saw
# "Directory not empty" in tests/win/agent.sh): removal is retried, and a
# prefix that would not go is left behind, never a failed test.
wine_done() {
	"$1" -k 2>/dev/null || true
	"$1" -w 2>/dev/null || true
	for i in 1 2 3 4 5; do
		rm -rf "$TMP" 2>/dev/null && return 0
		sleep 1
	done
	echo "could not remove $TMP" >&2
}

# only_bytes FILE CHARS [holes]: FILE holds no byte but CHARS (and, with
# holes, zeros: its holes are read as such). Only the data extents are
# read (SEEK_DATA): a 3 GB sparse partial file, read whole by tr three
# times, was 49 s of stripe-window-bad.sh. Needs python3.
only_bytes() {
	python3 - "$@" <<'PY'
import os, sys
path, chars = sys.argv[1], sys.argv[2].encode()
holes = len(sys.argv) > 3
ok = chars + (b"\0" if holes else b"")
fd = os.open(path, os.O_RDONLY)
size, off = os.fstat(fd).st_size, 0
while off < size:
    try:
        data = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:
        data = size
    if data > off and not holes:
        sys.exit(1)
    if data >= size:
        break
    end = os.lseek(fd, data, os.SEEK_HOLE)
    os.lseek(fd, data, os.SEEK_SET)
    while data < end:
        b = os.read(fd, min(end - data, 1 << 20))
        if not b:
            break
        if b.translate(None, ok):
            sys.exit(1)
        data += len(b)
    off = end
PY
}

# A failed test shows the last LOG_TAIL lines (12) of each log in $TMP
# (its daemons'): $TMP goes at exit, and a failure seen once in CI is
# otherwise gone.
finish() {
	echo "$checks checks, $failures failed" >&2
	if [ "$failures" -gt 0 ]; then
		for log in "$TMP"/*.log; do
			[ -f "$log" ] || continue
			echo "--- the last lines of ${log#"$TMP"/}:" >&2
			tail -n "${LOG_TAIL:-12}" "$log" >&2
		done
	fi
	[ "$failures" -eq 0 ]
}
