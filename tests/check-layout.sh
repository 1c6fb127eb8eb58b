#!/bin/sh
# make check-layout (and make check): the rules of HACKING.md's layout,
# measured on the tree and on the built archives.
#  1. A library (a directory that builds a lib*.a, tests/ aside) never
#     exits, aborts, prints to stdout or logs: nm shows what its objects
#     call, which is more honest than grep (macros, inlined helpers).
#     common/log.c is the logger itself and is exempt from the log rule.
#  2. No library includes a header from a program directory.
#  3. No include cycle between directories.
#  4. No .c or .h file outside tests/ over 1,000 lines.
#  5. Tests are listed in one place: only Makefile fragments under tests/
#     add to TESTS, XFAIL_TESTS or check_PROGRAMS; and a unit test links
#     the library it tests rather than compiling a program's files.
#  6. No call cycle between source files: calls go one way (HACKING.md
#     says which), measured on the built objects with nm
#     (tests/check-layout-calls.awk), so that a helper two files call
#     back and forth lives below them both.
# It prints the largest file, the longest function and the call graph's
# size and depth.
# Usage: check-layout.sh [SRCDIR [BUILDDIR]]; make check sets srcdir and
# top_builddir.
set -eu

src=${1:-${srcdir:-.}}
build=${2:-${top_builddir:-.}}
max=1000
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "check-layout: $*" >&2
	status=1
}

# The build tree as an absolute path, before leaving for the source tree:
# make check-layout passes "." (a build outside the source tree).
build=$(cd "$build" && pwd)
cd "$src"
src=$(pwd)

# Source files, as git or the tarball has them (not the build tree).
find . -path ./build -prune -o -path ./tests/ftrack-double/node_modules \
    -prune -o -path ./.git -prune -o \( -name '*.c' -o -name '*.h' \) \
    -type f -print | sed 's|^\./||' | sort >"$tmp/files"

# Library directories: where an archive is built (make passes the list in
# LAYOUT_LIBS; else those found in the build tree), tests/ aside.
if [ -n "${LAYOUT_LIBS:-}" ]; then
	printf '%s\n' $LAYOUT_LIBS
else
	(cd "$build" && find . -name 'lib*.a' -type f) | sed 's|^\./||'
fi | grep -v '^tests/' | sort >"$tmp/archives" || true
if [ ! -s "$tmp/archives" ]; then
	echo "check-layout: no archives under $build: build first" >&2
	exit 1
fi
sed 's|/[^/]*$||' "$tmp/archives" | sort -u >"$tmp/libdirs"

# The directory a file is in, and whether that directory is a library.
dir_of() {
	case "$1" in
	*/*)	echo "${1%/*}" ;;
	*)	echo . ;;
	esac
}
is_lib() {
	grep -qx "$1" "$tmp/libdirs"
}

# 1. What the libraries' objects call.
bad='exit|_exit|_Exit|abort|printf|vprintf|__printf_chk|__vprintf_chk|puts|putchar|stdout'
while read -r a; do
	nm -A -u "$build/$a" 2>/dev/null | awk -v bad="^($bad)\$" '
	    { sym = $NF; obj = $1; sub(/:$/, "", obj)
	      if (sym ~ bad) print obj ": " sym
	      else if (sym ~ /^log_/ && obj !~ /log\.o$/) print obj ": " sym }' \
	    >>"$tmp/calls"
done <"$tmp/archives"
if [ -s "$tmp/calls" ]; then
	fail "libraries calling exit/abort/stdout/the logger:"
	sed 's/^/  /' "$tmp/calls" >&2
fi

# 2 and 3. Each quoted include, resolved to a directory: the includer's
# own, else the one directory holding that header (config.h is the
# build's). An edge "from to" per include between directories.
awk -F/ '{ n = $NF; d = $0; sub("/[^/]*$", "", d); print n, d }' \
    "$tmp/files" >"$tmp/headers"
grep -v '^tests/' "$tmp/files" | while read -r f; do
	d=$(dir_of "$f")
	sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f" |
	while read -r h; do
		[ "$h" = config.h ] && continue
		if [ -f "$d/$h" ]; then
			continue
		fi
		to=$(awk -v h="$h" '$1 == h { print $2 }' "$tmp/headers" |
		    head -n 1)
		[ -n "$to" ] && echo "$d $to $f $h"
	done
done >"$tmp/edges"

while read -r from to f h; do
	if is_lib "$from" && ! is_lib "$to"; then
		fail "library file $f includes $h from program directory $to"
	fi
done <"$tmp/edges"

# A cycle: a directory that reaches itself (a transitive closure, small).
awk '{ print $1, $2 }' "$tmp/edges" | sort -u >"$tmp/dirgraph"
awk '
{ e[$1, $2] = 1; n[$1] = 1; n[$2] = 1 }
END {
	for (k in n) for (i in n) for (j in n)
		if (e[i, k] && e[k, j]) e[i, j] = 1
	for (i in n) if (e[i, i]) print i
}' "$tmp/dirgraph" | sort >"$tmp/cycles"
if [ -s "$tmp/cycles" ]; then
	fail "include cycle between directories through: $(tr '\n' ' ' \
	    <"$tmp/cycles")"
fi

# 4. Sizes, and the longest function (a definition's name at the start
# of a line, to the closing brace at the start of a line).
grep -v '^tests/' "$tmp/files" | while read -r f; do
	echo "$(wc -l <"$f") $f"
done | sort -n >"$tmp/sizes"
awk -v max="$max" '$1 > max { print }' "$tmp/sizes" >"$tmp/big"
if [ -s "$tmp/big" ]; then
	fail "files over $max lines:"
	sed 's/^/  /' "$tmp/big" >&2
fi
largest=$(tail -n 1 "$tmp/sizes" | awk '{ print $2 ", " $1 " lines" }')
longest=$(grep '\.c$' "$tmp/files" | grep -v '^tests/' | while read -r f; do
	awk -v f="$f" '
	    /^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name);
		start = NR }
	    /^}/ && start { print NR - start + 1, name "() in " f ":" start;
		start = 0 }' "$f"
done | sort -n | tail -n 1)

# 5. Where tests are registered.
find . -path ./build -prune -o -path ./tests -prune -o \( -name Makefile.inc \
    -o -name Makefile.am \) -type f -print | while read -r f; do
	grep -Hn '^\(TESTS\|XFAIL_TESTS\|check_PROGRAMS\) *+=' "$f" || :
done >"$tmp/tests-elsewhere"
if [ -s "$tmp/tests-elsewhere" ]; then
	fail "tests registered outside tests/ (list them in tests/DIR/Makefile.inc):"
	sed 's/^/  /' "$tmp/tests-elsewhere" >&2
fi

sed -e ':a' -e '/\\$/N; s/\\\n//; ta' tests/unit/Makefile.inc 2>/dev/null |
    awk '/_SOURCES *\+?=/ { for (i = 3; i <= NF; i++) if ($i !~ /^tests\//)
	print $1 ": " $i }' >"$tmp/unit-sources" || :
if [ -s "$tmp/unit-sources" ]; then
	fail "unit tests compiling files from outside tests/ (link a library):"
	sed 's/^/  /' "$tmp/unit-sources" >&2
fi

# 6. The call graph between source files: each .c outside tests/ and
# its objects in the build tree (DIR/NAME.o, or DIR/TARGET-NAME.o as
# automake names them when a target has flags of its own; a TARGET has
# no '-'; an object that two sources could name, x-y.o for x-y.c and
# y.c, is the longer one's). Objects whose source is gone (an old build)
# are not looked at.
grep '\.c$' "$tmp/files" | grep -v '^tests/' | while read -r f; do
	d=$(dir_of "$f")
	b=${f##*/}
	b=${b%.c}
	for o in "$build/$d/$b.o" "$build/$d/"*"-$b.o"; do
		[ -f "$o" ] || continue
		t=${o##*/}
		case "${t%-"$b".o}" in
		"$t"|*-*)	[ "$t" = "$b.o" ] || continue ;;
		esac
		echo "map $f $o"
	done
done | awk '{ b = $2; sub(/.*\//, "", b)
	if (!($3 in n) || length(b) > n[$3]) { n[$3] = length(b); m[$3] = $0 } }
	END { for (o in m) print m[o] }' >"$tmp/objects"
: >"$tmp/calls-graph"
if [ -s "$tmp/objects" ]; then
	{ cat "$tmp/objects"
	  awk '{ print $3 }' "$tmp/objects" | xargs nm -A -P 2>/dev/null ||
	    echo "nm failed" >&2
	} | awk -f "$src/tests/check-layout-calls.awk" >"$tmp/calls-graph"
fi
awk '$1 == "cycle"' "$tmp/calls-graph" | while read -r _ files; do
	fail "call cycle between files: $files"
done
if grep -q '^cycle' "$tmp/calls-graph"; then
	status=1
	echo "check-layout: calls that close a cycle (move what both sides" \
	    "call into a file below them):" >&2
	awk '$1 == "edge" { printf "  %s -> %s:", $2, $3
	    for (i = 4; i <= NF; i++) printf " %s", $i; print "" }' \
	    "$tmp/calls-graph" >&2
fi
calls=$(awk '$1 == "graph" { print $2 " files, " $3 " calls between them, " \
    $4 " cycles" (($5 > 0) ? ", deepest chain " $5 " files (" $6 ")" : "") }' \
    "$tmp/calls-graph")

echo "check-layout: libraries: $(tr '\n' ' ' <"$tmp/libdirs")"
echo "check-layout: largest file: $largest (limit $max)"
echo "check-layout: longest function: $(echo "$longest" |
    awk '{ print $2, $3, $4 ", " $1 " lines" }')"
echo "check-layout: call graph: ${calls:-no objects found: build first}"
exit "$status"
