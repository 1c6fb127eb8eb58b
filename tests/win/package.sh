#!/bin/sh
# make win-zip's script (contrib/win/package.sh), in the Windows build:
# the zip holds the exes, exactly the DLLs they import that Windows lacks,
# the licences and the README; an import found nowhere is an error. Until
# ferryd.exe and ferry.exe link (docs/windows-service.md), the script is checked
# on stand-ins (one linked -static, one importing libwinpthread-1.dll, one
# importing a DLL that exists nowhere) and the test then skips (77), since
# the real package was not made.
set -eu
: "${srcdir:=.}"
srcdir=${srcdir#Z:}	# the Windows build's tests see it through wine's Z:
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); "$@" || fail "$*"; }
pkg=$srcdir/contrib/win/package.sh
deps=${FERRY_WIN_DEPS:?FERRY_WIN_DEPS: the Windows build sets it}
cc=x86_64-w64-mingw32-gcc
wine=${WINE:-$(command -v wine64 || echo /usr/lib/wine/wine64)}

# listing ZIP: its files, one a line, without the top folder.
listing() { unzip -Z1 "$1" | sed 's|^[^/]*/||' | LC_ALL=C sort; }

# Stand-ins: a -static exe (no DLL to ship), and one built without -static
# (it imports libwinpthread-1.dll, which the script must find and ship).
printf '#include <pthread.h>\nint main(void){return pthread_self()==0;}\n' \
    >"$TMP/t.c"
$cc -o "$TMP/ferryd.exe" "$TMP/t.c" -static -pthread
$cc -o "$TMP/ferry.exe" "$TMP/t.c" -pthread
run_pkg() {
	set +e
	SOURCE_DATE_EPOCH=1764720000 "$pkg" -v 9.9 -o "$TMP/out" \
	    -d "$deps" "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"
	st=$?
	set -e
	return $st
}
check run_pkg "$TMP/ferryd.exe" "$TMP/ferry.exe"
check test "$(cat "$TMP/out.txt")" = "$TMP/out/ferry-9.9-win64.zip"
listing "$TMP/out/ferry-9.9-win64.zip" >"$TMP/list"
for f in ferryd.exe ferry.exe libwinpthread-1.dll README.txt \
    licenses/openssl-LICENSE.txt licenses/jansson-LICENSE \
    licenses/librsync-COPYING licenses/xxhash-LICENSE \
    licenses/sqlite-LICENSE.md licenses/mingw-w64-common.copyright \
    licenses/README.txt; do
	check grep -qx "$f" "$TMP/list"
done
# Exactly those: no system DLL, nothing else.
check test "$(grep -c '\.dll$' "$TMP/list")" -eq 1
# The README is the vendor page, with CRLF line ends.
unzip -p "$TMP/out/ferry-9.9-win64.zip" ferry-9.9-win64/README.txt \
    >"$TMP/readme"
check grep -q 'ferryd service install' "$TMP/readme"
check test "$(grep -c "$(printf '\r')\$" "$TMP/readme")" -eq \
    "$(wc -l <"$TMP/readme")"
# The same inputs make the same bytes.
cp "$TMP/out/ferry-9.9-win64.zip" "$TMP/first.zip"
check run_pkg "$TMP/ferryd.exe" "$TMP/ferry.exe"
check cmp -s "$TMP/first.zip" "$TMP/out/ferry-9.9-win64.zip"
# The shipped DLL is what the dynamic exe needs: it runs from the folder.
if [ -x "$wine" ]; then
	mkdir "$TMP/x" && (cd "$TMP/x" && unzip -q "$TMP/first.zip")
	check env WINEPREFIX="${WINEPREFIX:-$TMP/wine}" WINEDEBUG=-all "$wine" \
	    "$TMP/x/ferry-9.9-win64/ferry.exe"
fi
# An import that is neither Windows' nor found: refused, named.
x86_64-w64-mingw32-dlltool -l "$TMP/libnosuch.a" -D nosuch.dll \
    -d /dev/stdin <<'DEF'
EXPORTS
nosuch_fn
DEF
printf 'void nosuch_fn(void);\nint main(void){nosuch_fn();return 0;}\n' \
    >"$TMP/n.c"
$cc -o "$TMP/bad.exe" "$TMP/n.c" "$TMP/libnosuch.a"
checks=$((checks + 1))
if run_pkg "$TMP/bad.exe"; then
	fail "an exe importing nosuch.dll was packaged"
else
	grep -q 'bad.exe imports nosuch.dll, which is not part of Windows' \
	    "$TMP/err.txt" || fail "the refusal: $(cat "$TMP/err.txt")"
fi
# A missing exe is named.
checks=$((checks + 1))
run_pkg "$TMP/none.exe" && fail "a missing exe was packaged" ||
	grep -q 'none.exe does not exist' "$TMP/err.txt" ||
	fail "the missing exe: $(cat "$TMP/err.txt")"

# The real package, once the exes link.
if [ -f agent/ferryd.exe ] && [ -f ferry.exe ]; then
	check run_pkg agent/ferryd.exe ferry.exe
	listing "$TMP/out/ferry-9.9-win64.zip" >"$TMP/list"
	check grep -qx ferryd.exe "$TMP/list"
	check grep -qx ferry.exe "$TMP/list"
	# Stripped, with the DLLs shipped, both still run from the folder.
	rm -rf "$TMP/x" && mkdir "$TMP/x" &&
	    (cd "$TMP/x" && unzip -q "$TMP/out/ferry-9.9-win64.zip")
	for e in ferryd ferry; do
		check env WINEPREFIX="${WINEPREFIX:-$TMP/wine}" WINEDEBUG=-all \
		    "$wine" "$TMP/x/ferry-9.9-win64/$e.exe" --version
	done
	echo "$checks checks, $failures failed" >&2
	[ "$failures" -eq 0 ]
	exit
fi
echo "$checks checks on stand-ins, $failures failed" >&2
[ "$failures" -eq 0 ] || exit 1
echo "SKIP: agent/ferryd.exe and ferry.exe (cli/) are not built yet" >&2
exit 77
