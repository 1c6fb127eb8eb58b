#!/bin/sh
# ferry quickstart: installs the build dependencies (Debian 12), builds
# ferry out of tree in build/quickstart, and runs the main job so far:
# translating studio paths between sites and platforms with the example
# share map (contrib/examples/share-map.json).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh
./autogen.sh
mkdir -p build/quickstart
cd build/quickstart
[ -f Makefile ] || "$top/configure" >configure.out
make -j"$(nproc 2>/dev/null || echo 2)" >make.out
ferry=$PWD/ferry
map=$top/contrib/examples/share-map.json

step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "== The example share map: $map"
step "$ferry" map --map "$map" --to la \
    /storage/show/sh010/comp/v003/sh010_comp_v003.mov \
    'S:\show\sh010\plate\sh010_plate.%04d.exr [1001-1003, 1005-1010]' \
    '\\fileserver\storage\show\sh020\notes.txt'
step "$ferry" map --map "$map" --to vendor@example.com --expand \
    '/storage/show/sh010/plate/sh010_plate.####.exr [1001-1003]'
step "$ferry" map --map "$map" --from la --to hq:unc --json \
    /mnt/la/storage/show/sh010/comp/v004/sh010_comp_v004.mov
echo
echo "== Refusals (exit status 1, one message per path):"
step "$ferry" map --map "$map" --to hq:windows \
    /storage/show/../../etc/passwd /tmp/elsewhere /storage/show/CON.txt ||
    echo "(exit status $?)"
