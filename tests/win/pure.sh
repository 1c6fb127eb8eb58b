#!/bin/sh
# The Windows side, cross-built with mingw-w64 and run under wine: the
# Windows path rules over the same case files as tests/unit/test-winpath,
# UTF-8 <-> UTF-16, and compat/file-win.c's private file (its DACL). These
# need none of the cross-built libraries (contrib/win/build-deps.sh), so
# CI runs them without building those (docs/windows.md says why).
. "$srcdir/tests/lib.sh"
need x86_64-w64-mingw32-gcc
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || need wine64

# A config.h for the cross-compiler alone: what configure --host would
# say about these files (docs/windows.md), without its libraries.
cat >"$TMP/config.h" <<'H'
#define _GNU_SOURCE 1
#define FERRY_PRINTF_FORMAT gnu_printf
#define uid_t int	/* configure's AC_TYPE_UID_T: mingw has none */
H
cc="x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O1
    -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0A00 -I$TMP
    -I$srcdir/compat -I$srcdir/common -I$srcdir/tests/unit"
build() {
	out=$1; shift
	checks=$((checks + 1))
	# shellcheck disable=SC2086
	$cc -o "$TMP/$out" "$@" 2>"$TMP/cc.err" || {
		fail "cross-compiling $out:"
		sed 's/^/  /' "$TMP/cc.err" >&2
	}
}
build test-winpath.exe "$srcdir/tests/unit/test-winpath.c" \
    "$srcdir/common/winpath.c" "$srcdir/common/winpath-parse.c" \
    "$srcdir/common/err.c" "$srcdir/compat/utf16.c"
build test-utf16.exe "$srcdir/tests/unit/test-utf16.c" \
    "$srcdir/compat/utf16.c"
build test-private.exe "$srcdir/tests/win/test-private-win.c" \
    "$srcdir/compat/file-win.c" "$srcdir/compat/utf16.c"

# A prefix of its own, made on the first run (tens of seconds). Its
# wineserver outlives the programs and goes on writing the prefix for a
# moment: it is stopped, and waited for, before the prefix is removed
# (CI saw rm -rf fail with "Directory not empty" otherwise).
export WINEPREFIX="$TMP/wine" WINEDEBUG=-all
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
trap 'wine_done "$wineserver"' EXIT
for t in test-winpath test-utf16 test-private; do
	[ -f "$TMP/$t.exe" ] || continue
	# The case files, through wine's Z: drive.
	run 0 env srcdir="Z:$srcdir" "$wine" "$TMP/$t.exe"
	grep -v '^wine: ' "$TMP/err" | sed "s/^/  $t: /" >&2 || true
done
finish
