#!/bin/sh
# ferry map: exit statuses, messages, --json, --expand and bad map files.
. "${srcdir:-.}/tests/lib.sh"
need jq
MAP="$srcdir/contrib/examples/share-map.json"

# Paths map in order, one line each; exit 0.
run 0 "$FERRY" map --map "$MAP" --to la /storage/a/b.exr 'S:\x\y.exr' \
    '\\fileserver\storage\z'
out_is "/mnt/la/storage/a/b.exr
/mnt/la/storage/x/y.exr
/mnt/la/storage/z"
err_empty

# Platforms: the target site's first root by default, or the one named.
run 0 "$FERRY" map --map "$MAP" --to vendor@example.com /storage/show/a.exr
out_is 'C:\Users\vendor\documents\company\storage\show\a.exr'
run 0 "$FERRY" map --map "$MAP" --from la --to hq:unc /mnt/la/storage/a
out_is '\\fileserver\storage\a'
run 0 "$FERRY" map --map "$MAP" --to hq:mac /storage/a
out_is '/Volumes/storage/a'

# One bad path among good ones: the good ones still print, the bad one is
# reported as "ferry: map: PATH: reason", and the status is 1.
run 1 "$FERRY" map --map "$MAP" --to la /storage/ok /elsewhere/x \
    /storage/../etc/passwd /storage/ok2
out_is "/mnt/la/storage/ok
/mnt/la/storage/ok2"
err_has "ferry: map: /elsewhere/x: under no share"
err_has 'ferry: map: /storage/../etc/passwd: ".." climbs out of share storage'
run 1 "$FERRY" map --map "$MAP" --to hq:windows /storage/a/aux.txt
err_has 'ferry: map: /storage/a/aux.txt: name "aux.txt" is a reserved device name on Windows'
run 1 "$FERRY" map --map "$MAP" --to la:windows /storage/a
err_has 'share storage has no windows root at site la'

# Sequences: the pattern and its frame list are kept; --expand lists every
# frame, holes included.
run 0 "$FERRY" map --map "$MAP" --to la '/storage/s/p.%04d.exr [1001-1003, 1005]'
out_is '/mnt/la/storage/s/p.%04d.exr [1001-1003, 1005]'
run 0 "$FERRY" map --map "$MAP" --to hq:windows --expand \
    '/storage/s/p.####.exr [8-9, 11]'
out_is 'S:\s\p.0008.exr
S:\s\p.0009.exr
S:\s\p.0011.exr'
run 1 "$FERRY" map --map "$MAP" --to la '/storage/s/p.%04d.exr [3-1]'
err_has 'ferry: map: /storage/s/p.%04d.exr [3-1]: frame list [3-1]: bad range'

# --expand without a frame list reads the frames that exist on disk.
mkdir -p "$TMP/storage/seq"
for f in 0001 0002 0004 00003 x 0005.tmp; do : > "$TMP/storage/seq/r.$f.exr"; done
cat > "$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$TMP/storage",
  "sites": { "la": { "linux": "/mnt/la" } } } } }
JSON
run 0 "$FERRY" map --map "$TMP/map.json" --to la --expand "$TMP/storage/seq/r.####.exr"
out_is '/mnt/la/seq/r.0001.exr
/mnt/la/seq/r.0002.exr
/mnt/la/seq/r.0004.exr'
run 1 "$FERRY" map --map "$TMP/map.json" --to la --expand "$TMP/storage/none/r.####.exr"
err_has "cannot be listed"

# --json: one object per path, with share, relative path and result.
run 0 "$FERRY" map --map "$MAP" --json --to hq:windows /storage/a/b.exr
checks=$((checks + 1))
[ "$(jq -r '[.share, .relative, .result, .os, .input] | join("|")' "$TMP/out")" = \
    'storage|a/b.exr|S:\a\b.exr|windows|/storage/a/b.exr' ] || fail "json: $(cat "$TMP/out")"
run 0 "$FERRY" map --map "$MAP" --json --expand --to la '/storage/p.%d.exr [9-10]'
checks=$((checks + 1))
[ "$(jq -r '"\(.frame) \(.result)"' "$TMP/out")" = '9 /mnt/la/storage/p.9.exr
10 /mnt/la/storage/p.10.exr' ] || fail "json expand: $(cat "$TMP/out")"

# A bad map file: its name and what is wrong, and status 2.
printf '{ "shares": { "s": { "linux": "/s", } } }\n' > "$TMP/bad.json"
run 2 "$FERRY" map --map "$TMP/bad.json" --to la /s/a
err_has "ferry: map: $TMP/bad.json:1:"
printf '{ "shares": { "s": { "windows": "/s" } } }\n' > "$TMP/bad2.json"
run 2 "$FERRY" map --map "$TMP/bad2.json" --to la /s/a
err_has "$TMP/bad2.json: shares.s.windows: \"/s\" is not a Windows drive path"
run 2 "$FERRY" map --map "$TMP/missing.json" --to la /s/a
err_has "$TMP/missing.json: unable to open"

# Usage errors: status 2 and a message naming what is missing.
run 2 "$FERRY" map --to la /storage/a
err_has "--map FILE is required"
run 2 "$FERRY" map --map "$MAP" /storage/a
err_has "--to SITE[:OS] is required"
run 2 "$FERRY" map --map "$MAP" --to la
err_has "no PATH given"
run 2 "$FERRY" map --map "$MAP" --to la --bogus /storage/a
err_has "usage: ferry map"
run 2 "$FERRY" nosuchcommand
err_has 'unknown command "nosuchcommand"'
run 0 "$FERRY" help
checks=$((checks + 1))
grep -q '^  map ' "$TMP/out" || fail "help does not list map"

run 0 "$FERRY" help map
out_is "usage: ferry map --map FILE [--from SITE] --to SITE[:OS] [--expand] [--json] PATH...
translate paths between sites and platforms with a share map"
run 2 "$FERRY" help nosuch
err_has 'ferry: help: unknown command "nosuch"'

finish
