#!/bin/sh
# Cross-builds the libraries the Windows agent (ferryd.exe, ferry.exe)
# links, with mingw-w64, from the upstream sources that Debian 12 ships
# (the .orig tarballs of its source packages), each pinned by version and
# sha256 below. Nothing prebuilt is downloaded: the tarballs come through
# apt's own configured mirrors (a deb-src twin of /etc/apt's deb entries, in
# a private apt state under the cache folder), so a machine that can
# apt-get install can run this.
#
# usage: contrib/win/build-deps.sh [PREFIX]     (default build/win/deps)
#
# Static libraries, installed with .pc files into PREFIX; then
# (docs/windows.md; PREFIX build/win/deps is configure's default)
#   ./configure --host=x86_64-w64-mingw32 --with-win-deps=PREFIX
# Idempotent: a library whose stamp names the same version and hash is not
# rebuilt; downloads are kept beside PREFIX, in src (build/win/src).
#
# Needs (Debian): gcc-mingw-w64-x86-64-posix cmake tclsh make (tclsh makes
# SQLite's amalgamation on the build machine).
set -eu

HOST=x86_64-w64-mingw32
top=$(cd "$(dirname "$0")/../.." && pwd)
prefix=${1:-$top/build/win/deps}
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
# Downloads beside the prefix (build/win/src for the default), where
# contrib/win/package.sh looks for the licences (DEPS/../src).
cache=$(dirname "$prefix")/src
# Build trees beside the prefix they install into, so that two prefixes
# never share one.
work=$prefix.work
jobs=$(nproc 2>/dev/null || echo 2)

# name  Debian source package  version (Debian's)  orig tarball  sha256
# To move to a newer Debian version: change the line, run this script, and
# it says the new tarball's hash (then pin it here).
pins="
openssl openssl 3.0.22-1~deb12u2 openssl_3.0.22.orig.tar.gz 67ebca7e50d17383028045486653492195b83db95f8558709701bb47b5c1ef81
jansson jansson 2.14-2 jansson_2.14.orig.tar.gz c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b
librsync librsync 2.3.2-1 librsync_2.3.2.orig.tar.gz 40ddad49e5c59ba92f3fdf7f06c81ee2fb925f58c80770d9f207dc726cecd88b
xxhash xxhash 0.8.1-1 xxhash_0.8.1.orig.tar.gz 3bb6b7d6f30c591dd65aaaff1c8b7a5b94d81687998ca9400082c739a690436c
sqlite sqlite3 3.40.1-2+deb12u2 sqlite3_3.40.1.orig.tar.xz aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655
"

die() { echo "build-deps: $*" >&2; exit 1; }

for t in $HOST-gcc $HOST-ar cmake tclsh make apt-get flock; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not found: apt-get install gcc-mingw-w64-x86-64-posix cmake tcl make"
done

# A private apt state with deb-src lines made from the machine's own deb
# lines, so that no mirror is named here and the system's apt is untouched.
apt_state=$cache/apt
apt_opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt_state/parts
 -o Dir::State::Lists=$apt_state/lists -o Dir::Cache=$apt_state/cache
 -o Debug::NoLocking=1"
apt_ready=no
apt_setup() {
	[ $apt_ready = yes ] && return 0
	mkdir -p "$apt_state/parts" "$apt_state/lists/partial" \
	    "$apt_state/cache/archives/partial"
	: >"$apt_state/parts/src.sources"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Only Debian's own archives (signed by its keyring).
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		    /debian-archive-keyring/ && /Types:[ \t]*deb/ {
			sub(/Types:[ \t]*deb( deb-src)?/, "Types: deb-src"); print }' \
		    "$f" >>"$apt_state/parts/src.sources"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list \
		    >"$apt_state/parts/src.list"
	fi
	# shellcheck disable=SC2086
	apt-get $apt_opts update -q >"$apt_state/update.log" 2>&1 ||
	    die "apt-get update (deb-src) failed: see $apt_state/update.log"
	apt_ready=yes
}

# fetch PKG VERSION FILE SHA256: the orig tarball into $cache, checked.
fetch() {
	dest=$cache/$3
	if [ -f "$dest" ] && echo "$4  $dest" | sha256sum -c --status; then
		return 0
	fi
	apt_setup
	# shellcheck disable=SC2086
	uri=$(apt-get $apt_opts source --print-uris -q "$1=$2" 2>/dev/null |
	    awk -v f="$3" '$2 == f { gsub(/\047/, "", $1); print $1 }')
	[ -n "$uri" ] || die "$1 $2 is not in Debian's source index any more:" \
	    "move the pin in $0 to the version apt-get source --print-uris $1 lists"
	/usr/lib/apt/apt-helper -q download-file "$uri" "$dest.part" \
	    >"$cache/$3.log" 2>&1 || die "download of $3 failed: see $cache/$3.log"
	got=$(sha256sum "$dest.part" | cut -d' ' -f1)
	if [ "$got" != "$4" ]; then
		rm -f "$dest.part"
		die "$3: sha256 $got, pinned $4: not used"
	fi
	mv "$dest.part" "$dest"
}

# unpack FILE DIR: a fresh tree (the tarballs hold one top folder).
unpack() {
	rm -rf "$2" && mkdir -p "$2"
	tar -xf "$cache/$1" -C "$2" --strip-components=1
}

# Recipe revisions, in the stamp after the version and hash: OpenSSL's
# " threads" is the build without -static, " bcrypt" its seeding from
# BCryptGenRandom (build_openssl).
rev_openssl=" threads bcrypt"

build_openssl() {
	cd "$1"
	# Libraries only: no apps, tests or docs, no engines or modules that
	# would need DLLs beside the programs. ferry speaks TLS 1.3 only, with
	# Ed25519 keys and AES-GCM or ChaCha20-Poly1305 (transfer/tls.c,
	# identity.c): the algorithms, protocols and formats it never uses
	# are left out, which is about a third less to compile (CI builds
	# this cold: docs/windows.md).
	# No -static here: OpenSSL's Configure takes it as "disable threads"
	# (configdata: threads [static]), and a libcrypto without threads in
	# ferry's threaded programs shares its "per-thread" state and locks
	# nothing (crypto/threads_none.c): two TLS set-ups at once broke the
	# RNG ("error retrieving entropy") and the heap (docs/windows.md).
	# no-shared makes the static libraries all the same.
	# Seeding from BCryptGenRandom (the system's preferred RNG), as
	# OpenSSL does when built with MSVC, not the deprecated CryptoAPI
	# (CryptAcquireContextW + CryptGenRandom) it falls back to with
	# mingw: that one needs the crypto provider's registry keys, and a
	# wine session without them failed every TLS set-up with "error
	# retrieving entropy" (docs/windows.md, "Known problems").
	./Configure mingw64 --cross-compile-prefix=$HOST- --prefix="$prefix" \
	    -DUSE_BCRYPTGENRANDOM -lbcrypt \
	    --libdir=lib no-shared no-tests no-engine no-module \
	    no-dso no-legacy no-async no-ssl3 no-dtls no-srtp no-srp no-psk \
	    no-nextprotoneg no-ssl-trace no-ocsp no-ct no-cms no-cmp no-ts \
	    no-comp no-ui-console no-aria no-bf no-camellia no-cast no-des \
	    no-dsa no-idea no-md4 no-mdc2 no-ocb no-rc2 no-rc4 no-rmd160 \
	    no-scrypt no-seed no-siv no-sm2 no-sm3 no-sm4 no-whirlpool \
	    no-ec2m >configure.log
	perl -e 'require "./configdata.pm";
	    exit(exists $configdata::disabled{threads})' ||
	    die "OpenSSL configured without threads: see $1/configure.log"
	grep -q USE_BCRYPTGENRANDOM configdata.pm ||
	    die "OpenSSL configured without BCryptGenRandom: see $1/configure.log"
	make -j"$jobs" build_libs >make.log
	make install_dev >install.log
}

# cmake FLAGS...: a cross-build for Windows into $prefix, in ./b.
cmake_win() {
	cmake -S . -B b -DCMAKE_SYSTEM_NAME=Windows \
	    -DCMAKE_SYSTEM_PROCESSOR=x86_64 -DCMAKE_C_COMPILER=$HOST-gcc \
	    -DCMAKE_RC_COMPILER=$HOST-windres \
	    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
	    -DCMAKE_BUILD_TYPE=Release "$@" >configure.log
	cmake --build b -j "$jobs" >make.log
	cmake --install b >install.log
}

build_jansson() {
	cd "$1"
	# The orig tarball is the git tree (no configure script): cmake.
	cmake_win -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
	    -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF
}

build_librsync() {
	cd "$1"
	cmake_win -DBUILD_SHARED_LIBS=OFF -DBUILD_RDIFF=OFF \
	    -DENABLE_COMPRESSION=OFF
	# librsync ships no .pc file; ferry's configure takes
	# LIBRSYNC_CFLAGS/LIBRSYNC_LIBS instead (docs/windows.md).
}

build_xxhash() {
	cd "$1"
	$HOST-gcc -O2 -c xxhash.c -o xxhash.o
	$HOST-ar cr libxxhash.a xxhash.o
	mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
	cp libxxhash.a "$prefix/lib/"
	cp xxhash.h xxh3.h "$prefix/include/"
	pc "$prefix/lib/pkgconfig/libxxhash.pc" libxxhash 0.8.1 -lxxhash ""
}

build_sqlite() {
	cd "$1"
	# The amalgamation is made on the build machine (tclsh, its cc), then
	# compiled for Windows on its own.
	mkdir -p native && cd native
	CC=cc ../configure >configure.log
	make sqlite3.c >make.log
	$HOST-gcc -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
	    -c sqlite3.c -o sqlite3.o
	$HOST-ar cr libsqlite3.a sqlite3.o
	mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
	cp libsqlite3.a "$prefix/lib/"
	cp sqlite3.h sqlite3ext.h "$prefix/include/"
	pc "$prefix/lib/pkgconfig/sqlite3.pc" sqlite3 3.40.1 -lsqlite3 ""
}

# pc FILE NAME VERSION LIBS PRIVATE: a pkg-config file for what we install.
pc() {
	cat >"$1" <<-EOF
	prefix=$prefix
	libdir=\${prefix}/lib
	includedir=\${prefix}/include
	Name: $2
	Description: $2 (cross-built by contrib/win/build-deps.sh)
	Version: $3
	Libs: -L\${libdir} $4
	Libs.private: $5
	Cflags: -I\${includedir}
	EOF
}

mkdir -p "$cache" "$work" "$prefix/stamps"
# One run at a time per prefix (and per download cache).
exec 9>"$prefix/.lock"
flock -n 9 || die "another build-deps.sh is running for $prefix"
echo "$pins" | while read -r name pkg ver file sum; do
	[ -n "$name" ] || continue
	stamp=$prefix/stamps/$name
	# A library whose recipe changed since it was built is built again.
	eval "rev=\${rev_$name:-}"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver $sum$rev" ]; then
		echo "build-deps: $name $ver: built already"
		continue
	fi
	fetch "$pkg" "$ver" "$file" "$sum"
	echo "build-deps: $name $ver: building"
	start=$(date +%s)
	unpack "$file" "$work/$name"
	# Not "|| die": that would turn off set -e inside the build.
	set +e
	(set -e; build_"$name" "$work/$name")
	rc=$?
	set -e
	[ $rc -eq 0 ] || die "$name failed: see the *.log files in $work/$name"
	echo "$ver $sum$rev" >"$stamp"
	echo "build-deps: $name $ver: $(( $(date +%s) - start )) s"
done
echo "build-deps: done; configure --host=$HOST --with-win-deps=$prefix"
