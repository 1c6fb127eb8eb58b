#!/bin/sh
# A Windows agent's own roots (issue 18): ferryd.exe says in its hello
# that it runs on Windows, and the hub gives it its site's "windows" root
# of the share map, C:\..., not the "linux" one. Under wine, with a Linux
# hub on loopback:
# - la's map entry has only a drive root, C:\ferry\la-storage (wine's
#   drive_c): a folder with a file whose name is not ASCII
#   (plaque_été_ショット.exr) arrives below it, byte for byte;
# - la publishes back from C:\ paths typed on ferry.exe's command line,
#   one of them that non-ASCII file by name (the wide command line:
#   Windows' ANSI argv cannot hold ショット), and sends one with `ferry
#   send` from a C:\ path;
# - a vendor's ferryd.exe, its root given at enrolment as C:\vendor\studio,
#   receives what an ACL grants below it and publishes back from it;
# - a job cancelled half-way leaves no partial file below C:\;
# - a C:\ path below no root is refused, naming it and 'ferry root set';
# - the vendor moves its root to C:\vendor\José\撮影 with ferry.exe root
#   set, receives below it, and publishes a relative path from there;
# - a person who set no root receives into its home base (STATE\home).
. "$srcdir/tests/win/lib.sh"

S="$TMP/hq-storage" L="$DRIVE_C/ferry/la-storage"
U='plaque_été_ショット.exr' R='rendu_été_ショット.exr'
# la's share is there (mounted) before anything arrives: ferryd makes
# the roots an agent set itself, never a site's.
mkdir -p "$S/show/sh010/plate" "$S/show/sh030/in" "$S/show/sh050" "$L"
head -c 2000000 /dev/urandom >"$S/show/sh010/comp.mov"
head -c 300000 /dev/urandom >"$S/show/sh010/$U"
for f in 1001 1002; do
	head -c 100000 /dev/urandom >"$S/show/sh010/plate/p.$f.exr"
done
head -c 100000 /dev/urandom >"$S/show/sh030/in/brief.pdf"
# la sees the share on its C: drive only; the vendor sets its own root.
cat >"$TMP/map.json" <<'JSON'
{ "shares": { "storage": { "linux": "@S@",
  "sites": { "la": { "windows": "C:\\ferry\\la-storage" } } } } }
JSON
sed -i "s|@S@|$S|" "$TMP/map.json"

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
code=$("$FERRY" invite --site la --state "$HUB" | tail -n1)
run 0 "$wine" "$WB/agent/ferryd.exe" enroll "127.0.0.1:$port" "$code" \
    --state "$(wpath "$TMP/la")" --name la-ws
start_wine_agent la
wait_linked la-ws
# The hub keeps what the agent said it runs on.
checks=$((checks + 1))
"$FERRY" status --json --state "$HUB" |
    jq -e '.agents["la-ws"].platform == "windows"' >/dev/null ||
    fail "the hub does not say la-ws runs on Windows: $("$FERRY" status --json --state "$HUB" | jq -c .agents)"
# ferry.exe root, on la: the hub's answer names the drive root.
wine_ferry 0 la root
out_has 'storage .*C:.ferry.la-storage' "ferry.exe root on la"

# Below the drive root: a folder, its non-ASCII file included.
run 0 timeout "$WAIT_MAX" "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
diff -r "$S/show/sh010" "$L/show/sh010" >/dev/null ||
    fail "la's copy below its drive root differs: $(diff -r "$S/show/sh010" "$L/show/sh010" 2>&1 | head -3) $(tail -5 "$TMP/la.log")"
checks=$((checks + 1))
[ -f "$L/show/sh010/$U" ] || fail "no $U below la's drive root: $(ls "$L/show/sh010")"
# Nothing went where a "linux" root would have put it.
checks=$((checks + 1))
[ -z "$(find "$TMP/la" -name '*.mov' 2>/dev/null)" ] ||
    fail "a file went into la's state folder: $(find "$TMP/la" -name '*.mov')"
id=$("$FERRY" jobs --json --state "$HUB" | jq '.[0].id')
checks=$((checks + 1))
"$FERRY" job "$id" --json --state "$HUB" | grep -qF 'C:\\ferry\\la-storage\\show\\sh010' ||
    fail "job $id does not name la's drive root: $("$FERRY" job "$id" --json --state "$HUB" | head -c 600)"

# Publish back from C:\ paths on ferry.exe's command line: a folder, and
# one file named by its non-ASCII name.
mkdir -p "$L/show/sh020/comp_v001" "$L/show/sh020/comp_v002"
head -c 200000 /dev/urandom >"$L/show/sh020/comp_v001/$U"
head -c 200000 /dev/urandom >"$L/show/sh020/comp_v001/comp.1001.exr"
head -c 250000 /dev/urandom >"$L/show/sh020/comp_v002/$R"
head -c 250000 /dev/urandom >"$L/show/sh020/comp_v002/other.exr"
wine_ferry 0 la publish --note "from C:" --wait \
    'C:\ferry\la-storage\show\sh020\comp_v001'
checks=$((checks + 1))
diff -r "$L/show/sh020/comp_v001" "$S/show/sh020/comp_v001" >/dev/null ||
    fail "publish of comp_v001 by its drive path: $(cat "$TMP/out" "$TMP/err")"
wine_ferry 0 la publish --wait "C:\\ferry\\la-storage\\show\\sh020\\comp_v002\\$R"
out_has "1 file published to hq" "publish of $R by name"
checks=$((checks + 1))
cmp -s "$L/show/sh020/comp_v002/$R" "$S/show/sh020/comp_v002/$R" ||
    fail "$R by name: $(ls "$S/show/sh020/comp_v002" 2>&1) $(cat "$TMP/err")"
checks=$((checks + 1))
[ ! -e "$S/show/sh020/comp_v002/other.exr" ] ||
    fail "publishing $R by name took its neighbour too"
# A relative path, made absolute with the shell's folder, which wine
# names C:\ferry\la-storage\show\sh020.
mkdir -p "$L/show/sh020/comp_v003"
head -c 100000 /dev/urandom >"$L/show/sh020/comp_v003/c.exr"
cd "$L/show/sh020"
wine_ferry 0 la publish --wait comp_v003
cd "$OLDPWD"
checks=$((checks + 1))
cmp -s "$L/show/sh020/comp_v003/c.exr" "$S/show/sh020/comp_v003/c.exr" ||
    fail "a relative path from sh020: $(cat "$TMP/out" "$TMP/err")"
# ferry send from a C:\ path: la's agent lists it below its drive root.
mkdir -p "$L/show/sh040"
head -c 150000 /dev/urandom >"$L/show/sh040/$U"
wine_ferry 0 la send --from la --to hq --wait \
    "C:\\ferry\\la-storage\\show\\sh040\\$U"
checks=$((checks + 1))
cmp -s "$L/show/sh040/$U" "$S/show/sh040/$U" ||
    fail "send of $U by its drive path: $(cat "$TMP/out" "$TMP/err") $(tail -5 "$TMP/la.log")"

# A job cancelled while a file is half there: la's partial file below
# its drive root is discarded (the hub names it C:\...\big.mov).
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 40000000 >"$S/show/sh050/big.mov"
run 0 "$FERRY" site set la --bwlimit 4M --state "$HUB"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh050/big.mov"
id=$(tail -n1 "$TMP/out")
part="$L/show/sh050/.big.mov.ferry-part"
i=0
while [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -lt 4000000 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { fail "no partial file grew at $part"; break; }
	sleep 0.1
done
run 0 "$FERRY" cancel "$id" --state "$HUB"
i=0
while [ -e "$part" ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
checks=$((checks + 1))
[ ! -e "$part" ] && [ ! -e "$L/show/sh050/.big.mov.ferry-meta" ] ||
    fail "the cancelled job's partial file stayed: $(ls -a "$L/show/sh050")"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"

# A path below no root: refused, named, and what to do said.
wine_ferry 1 la publish 'C:\elsewhere\x.exr'
err_has 'C:\elsewhere\x.exr'
err_has "under no share"
err_has "ferry root set"

# A vendor whose root is its own C:\ folder, given at enrolment.
V=vendor@fx.example VR="$DRIVE_C/vendor/studio"
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
run 0 "$wine" "$WB/agent/ferryd.exe" enroll "127.0.0.1:$port" "$code" \
    --state "$(wpath "$TMP/fx")" --name fx-ws \
    --storage-root 'storage=C:\vendor\studio'
start_wine_agent fx
wait_linked fx-ws
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"
run 0 timeout "$WAIT_MAX" "$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/show/sh030/in/brief.pdf"
checks=$((checks + 1))
cmp -s "$S/show/sh030/in/brief.pdf" "$VR/show/sh030/in/brief.pdf" ||
    fail "the vendor's copy below its drive root: $(find "$VR" 2>&1 | head -5)"
mkdir -p "$VR/show/sh030/fx_v001"
head -c 300000 /dev/urandom >"$VR/show/sh030/fx_v001/fx.1001.exr"
head -c 300000 /dev/urandom >"$VR/show/sh030/fx_v001/$U"
wine_ferry 0 fx publish --wait 'c:/Vendor/Studio/show/sh030/fx_v001'
checks=$((checks + 1))
diff -r "$VR/show/sh030/fx_v001" "$S/show/sh030/fx_v001" >/dev/null ||
    fail "the vendor's publish by its drive path: $(cat "$TMP/out" "$TMP/err")"
# Where its ACL does not reach: into its home folder, as on Linux.
mkdir -p "$VR/show/sh099"
head -c 1000 /dev/urandom >"$VR/show/sh099/x.exr"
wine_ferry 0 fx publish --wait 'C:\vendor\studio\show\sh099'
out_has "goes to your home folder" "the vendor's publish outside its grant"
checks=$((checks + 1))
[ ! -e "$S/show/sh099" ] || fail "the vendor wrote show/sh099 without a grant"

# A root named outside the ANSI code page, set with ferry.exe root set
# (made by ferryd.exe with the wide calls), then a delivery below it and
# a publish of a relative path from a folder of that name.
NR="$DRIVE_C/vendor/José/撮影"
wine_ferry 0 fx root set storage 'C:\vendor\José\撮影'
out_has "storage lies at C:.vendor.José.撮影" "ferry.exe root set"
checks=$((checks + 1))
[ -d "$NR" ] || fail "root set did not make $NR: $(cat "$TMP/err")"
run 0 timeout "$WAIT_MAX" "$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/show/sh030/in/brief.pdf"
checks=$((checks + 1))
cmp -s "$S/show/sh030/in/brief.pdf" "$NR/show/sh030/in/brief.pdf" ||
    fail "nothing below the non-ASCII root: $(find "$DRIVE_C/vendor" | head)"
mkdir -p "$NR/show/sh030/fx_v002"
head -c 120000 /dev/urandom >"$NR/show/sh030/fx_v002/$R"
cd "$NR/show/sh030"
wine_ferry 0 fx publish --wait fx_v002
cd "$OLDPWD"
checks=$((checks + 1))
cmp -s "$NR/show/sh030/fx_v002/$R" "$S/show/sh030/fx_v002/$R" ||
    fail "a relative path from a non-ASCII folder: $(cat "$TMP/out" "$TMP/err")"

# A person with no root at all: deliveries go to the home base in its
# state folder, a drive path the hub writes back with '\' throughout
# (STATE\home\storage), which ferryd.exe still knows as its own and makes.
H=home@fx.example
code=$("$FERRY" invite --user "$H" --clearance restricted --state "$HUB" |
    tail -n1)
run 0 "$wine" "$WB/agent/ferryd.exe" enroll "127.0.0.1:$port" "$code" \
    --state "$(wpath "$TMP/hb")" --name hb-ws
start_wine_agent hb
wait_linked hb-ws
run 0 "$FERRY" acl set "$H" storage:show/sh030 read --state "$HUB"
run 0 timeout "$WAIT_MAX" "$FERRY" send --from hq --to "$H" --wait --state "$HUB" \
    "$S/show/sh030/in/brief.pdf"
checks=$((checks + 1))
cmp -s "$S/show/sh030/in/brief.pdf" "$TMP/hb/home/storage/show/sh030/in/brief.pdf" ||
    fail "nothing in the home base: $(find "$TMP/hb" | head) $(tail -3 "$TMP/hb.log")"

stop_and_check
finish
