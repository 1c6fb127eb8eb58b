#!/bin/sh
# The vendor's zip (docs/windows-service.md, "The package"):
# ferry-VERSION-win64.zip holding ferryd.exe and ferry.exe, exactly the DLLs they import that
# Windows does not ship (found by objdump -p, recursively, in the mingw-w64
# sysroot), the licences of the libraries built into them, and the vendor
# README (docs/windows-vendor.md) as README.txt.
#
# usage: contrib/win/package.sh -v VERSION -o OUTDIR -d DEPS [-s SOURCES]
#            [-D DLLDIR]... EXE...
#   DEPS     contrib/win/build-deps.sh's prefix (its DLLs, if any, in bin/)
#   SOURCES  where build-deps.sh keeps the pinned tarballs (DEPS/../src):
#            the licences are taken from them, by build-deps.sh's pins
#   DLLDIR   more folders to look for DLLs in (the mingw-w64 ones are known)
# make win-zip runs it on the Windows build's ferryd.exe and ferry.exe.
# Prints the zip's path. Exits 1, naming what, if an EXE is missing or
# imports a DLL that is neither Windows' nor found.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
host=x86_64-w64-mingw32
objdump=${OBJDUMP:-$host-objdump}
strip=${STRIP:-$host-strip}
version= out= deps= sources= dlldirs=
die() { echo "package.sh: $*" >&2; exit 1; }
while getopts v:o:d:s:D: opt; do
	case $opt in
	v) version=$OPTARG ;;
	o) out=$OPTARG ;;
	d) deps=$OPTARG ;;
	s) sources=$OPTARG ;;
	D) dlldirs="$dlldirs $OPTARG" ;;
	*) die "usage: package.sh -v VERSION -o OUTDIR -d DEPS [-s SOURCES] EXE..." ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$version" ] && [ -n "$out" ] && [ -n "$deps" ] && [ $# -gt 0 ] ||
	die "usage: package.sh -v VERSION -o OUTDIR -d DEPS [-s SOURCES] EXE..."
: "${sources:=$deps/../src}"
for t in "$objdump" "$strip" zip; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
for exe in "$@"; do
	[ -f "$exe" ] || die "$exe does not exist (build it first: make in the Windows build)"
done
# The mingw-w64 runtime's DLLs (winpthreads, zlib, libgcc's), when an exe
# is linked without -static.
gccdir=$(ls -d /usr/lib/gcc/$host/*-posix 2>/dev/null | tail -n 1)
dlldirs="$deps/bin /usr/$host/lib ${gccdir:-} $dlldirs"

# What every Windows 10 has in System32 (and the API sets): never shipped.
# A DLL not named here and not found is an error, not a guess.
system_dll() {
	case $(echo "$1" | tr '[:upper:]' '[:lower:]') in
	api-ms-win-*|ext-ms-win-*) return 0 ;;
	advapi32.dll|bcrypt.dll|comctl32.dll|comdlg32.dll|crypt32.dll) ;;
	dbghelp.dll|dnsapi.dll|gdi32.dll|imm32.dll|iphlpapi.dll) ;;
	kernel32.dll|kernelbase.dll|msvcrt.dll|mswsock.dll|ncrypt.dll) ;;
	netapi32.dll|normaliz.dll|ntdll.dll|ole32.dll|oleaut32.dll) ;;
	rpcrt4.dll|secur32.dll|sechost.dll|setupapi.dll|shell32.dll) ;;
	shlwapi.dll|ucrtbase.dll|user32.dll|userenv.dll|version.dll) ;;
	winhttp.dll|wininet.dll|winmm.dll|wldap32.dll|ws2_32.dll|wsock32.dll) ;;
	*) return 1 ;;
	esac
}
imports() {
	"$objdump" -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r'
}
find_dll() {
	for d in $dlldirs; do
		for f in "$d"/*; do
			[ -f "$f" ] || continue
			# Windows matches DLL names without regard to case.
			if [ "$(basename "$f" | tr '[:upper:]' '[:lower:]')" = \
			    "$(echo "$1" | tr '[:upper:]' '[:lower:]')" ]; then
				echo "$f"
				return 0
			fi
		done
	done
	return 1
}

name=ferry-$version-win64
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/licenses"
# Stripped copies: the build's debug information (most of an exe's size)
# is no use on a vendor's desktop; the build keeps the unstripped ones.
for exe in "$@"; do
	cp "$exe" "$stage/$name/"
	"$strip" --strip-unneeded "$stage/$name/$(basename "$exe")" ||
		die "$strip failed on $exe"
done
# Breadth first over the imports of what is in the folder so far.
queue="$*"
while [ -n "$queue" ]; do
	next=
	for f in $queue; do
		for dll in $(imports "$f"); do
			system_dll "$dll" && continue
			[ -f "$stage/$name/$dll" ] && continue
			src=$(find_dll "$dll") ||
				die "$(basename "$f") imports $dll, which is not part of Windows and is not in: $dlldirs"
			cp "$src" "$stage/$name/$dll"
			next="$next $stage/$name/$dll"
		done
	done
	queue=$next
done

# The licences: of each library build-deps.sh pins (each is linked into
# the exes statically), from its own tarball; and of the mingw-w64
# runtime (winpthreads, the CRT start-up code) and GCC's runtime library.
sed -n '/^pins="$/,/^"$/p' "$top/contrib/win/build-deps.sh" |
while read -r lib _pkg _ver file _sum; do
	case $lib in pins=*|'"'|'') continue ;; esac
	tarball=$sources/$file
	[ -f "$tarball" ] || die "$tarball is missing (the licence of $lib is taken from it; run contrib/win/build-deps.sh)"
	member=$(tar -tf "$tarball" |
	    grep -E '^[^/]+/(LICENSE|LICENCE|COPYING)(\.[a-z]+)?$' | head -n 1) ||
		die "no licence file at the top of $tarball"
	tar -xOf "$tarball" "$member" >"$stage/$name/licenses/$lib-$(basename "$member")"
done
for f in mingw-w64-common gcc-mingw-w64-base; do
	c=/usr/share/doc/$f/copyright
	[ -f "$c" ] || die "$c is missing (the mingw-w64 runtime's licence)"
	cp "$c" "$stage/$name/licenses/$f.copyright"
done
cat >"$stage/$name/licenses/README.txt" <<'T'
ferryd.exe and ferry.exe contain these libraries, statically linked:
OpenSSL (Apache License 2.0), jansson (MIT), librsync (LGPL 2.1 or later),
xxHash (BSD 2-clause), SQLite (public domain), and the mingw-w64 runtime
with winpthreads (mingw-w64-common.copyright) and GCC's runtime library
(GPL 3 with the GCC Runtime Library Exception). Each licence is in this
folder, as the library's own source distributes it. librsync's LGPL lets
you relink ferryd.exe with another librsync: ask the studio for the
object files.
T
# The README, with the line ends Notepad and every Windows tool expect.
sed 's/$/\r/' "$top/docs/windows-vendor.md" >"$stage/$name/README.txt"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/$name.zip"
# Fixed times (SOURCE_DATE_EPOCH, if set) and no Unix extras: the same
# inputs make the same zip.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	find "$stage/$name" -exec touch -d "@$SOURCE_DATE_EPOCH" {} +
fi
(cd "$stage" && find "$name" -type f | LC_ALL=C sort |
    zip -q -X -D "$out/$name.zip" -@) || die "zip failed"
echo "$out/$name.zip"
