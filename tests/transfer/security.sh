#!/bin/sh
# What a transfer refuses: names and symlinks that would escape the
# destination (whatever the sender claims), names the receiver was not
# told to expect, a planted symlink in the
# destination, a wrong pinned key, a TLS 1.2 client, a wrong token, and a
# connection from an unexpected address. The data port closes afterwards.
. "${srcdir:-.}/tests/transfer/lib.sh"
need jq
need openssl

printf 'payload\n' >"$TMP/src/ok.txt"
mkdir -p "$TMP/outside"

# The sender refuses to list a symlink that leaves the tree.
ln -s /etc/passwd "$TMP/src/evil"
run 1 "$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
    --token-file "$TMP/token" --connect 127.0.0.1:1 --src "$TMP/src"
err_has 'evil: symlink to "/etc/passwd" leaves the transferred tree'
rm "$TMP/src/evil"

# A forged sender: the receiver refuses escaping symlinks and names itself.
start_recv
send_to 1 ok.txt --forge-link 'evil=../../../etc' \
    --forge-entry "../escape.txt=$TMP/src/ok.txt" \
    --forge-entry "/abs.txt=$TMP/src/ok.txt" \
    --forge-entry "a/./b=$TMP/src/ok.txt"
err_has 'evil: symlink target "../../../etc" leaves the destination'
err_has '"../escape.txt": ".." would escape the destination'
err_has '"/abs.txt": absolute name'
err_has '"a/./b": empty or "." component'
wait_recv || true
checks=$((checks + 1))
[ -f "$TMP/dst/ok.txt" ] && [ ! -e "$TMP/dst/evil" ] &&
    [ ! -e "$TMP/escape.txt" ] && [ ! -e /abs.txt ] ||
    fail "refused entries were written, or the good one was not"
checks=$((checks + 1))
grep -q 'suspect: evil: symlink target "../../../etc" leaves' "$TMP/rerr" &&
    grep -q 'suspect: ../escape.txt: ' "$TMP/rerr" ||
    fail "the receiver did not report what it refused: $(cat "$TMP/rerr")"
no_leftovers

# A receiver told what to expect (as the hub tells an agent) refuses any
# other name the sender offers, even one that stays inside the tree.
printf 'other\n' >"$TMP/src/other.txt"
rm -f "$TMP/dst/ok.txt"
start_recv --accept ok.txt
send_to 1 ok.txt other.txt
err_has 'other.txt: not part of this transfer'
wait_recv || true
checks=$((checks + 1))
[ -f "$TMP/dst/ok.txt" ] && [ ! -e "$TMP/dst/other.txt" ] ||
    fail "the accept list was not enforced by the receiver"
rm "$TMP/src/other.txt"
no_leftovers

# A receiver that takes no symlinks (a hub's, an agent's) refuses even
# one that stays inside, and says so as suspect; modes lose setuid bits.
printf 'tool\n' >"$TMP/src/tool"
chmod 6777 "$TMP/src/tool"
start_recv --no-symlinks
send_to 1 tool --forge-link 'inside=ok.txt'
err_has 'inside: a symlink, and this transfer takes none'
wait_recv || true
checks=$((checks + 1))
grep -q "suspect: inside: a symlink" "$TMP/rerr" &&
    grep -q "suspect: tool: mode 6777: setuid" "$TMP/rerr" ||
    fail "receiver's suspect lines: $(cat "$TMP/rerr")"
checks=$((checks + 1))
[ ! -e "$TMP/dst/inside" ] && [ "$(stat -c %a "$TMP/dst/tool")" = 775 ] ||
    fail "inside was made, or tool kept its mode"
rm -f "$TMP/src/tool" "$TMP/dst/tool"

# A symlink planted in the destination is not followed out of it.
mkdir -p "$TMP/src/sub"
printf 'x\n' >"$TMP/src/sub/file.txt"
ln -s "$TMP/outside" "$TMP/dst/sub"
start_recv
send_to 1 sub/file.txt
err_has 'sub/file.txt: sub: a symlink: ferry follows none'
wait_recv || true
checks=$((checks + 1))
[ ! -e "$TMP/outside/file.txt" ] || fail "wrote through a planted symlink"
rm "$TMP/dst/sub"

# A wrong pinned key: both sides refuse, naming both fingerprints.
C_FP=$("$PEER" keygen --state "$TMP/c")
rm -f "$TMP/rport"
"$PEER" recv --state "$TMP/b" --peer-fp "$C_FP" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/dst" \
    --timeout 3000 >"$TMP/rport" 2>"$TMP/rerr" &
RPID=$!
while ! grep -q listening "$TMP/rport" 2>/dev/null; do sleep 0.05; done
PORT=$(awk '{print $2}' "$TMP/rport")
send_to 1 ok.txt
err_has "the peer refused us"
checks=$((checks + 1))
wait_recv && fail "receiver accepted an unknown key"
grep -q "peer fingerprint $A_FP does not match the pinned $C_FP" "$TMP/rerr" ||
    fail "receiver message: $(cat "$TMP/rerr")"

# A TLS 1.2 client is turned away, and a wrong token too; the real sender
# still gets through afterwards.
rm -rf "$TMP/dst"; mkdir "$TMP/dst"
start_recv
checks=$((checks + 1))
if echo | openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" \
    >"$TMP/s_client" 2>&1; then
	fail "a TLS 1.2 client got a session"
fi
run 1 "$PEER" send --state "$TMP/a" --peer-fp "$B_FP" \
    --token-file "$TMP/badtoken" --connect "127.0.0.1:$PORT" \
    --src "$TMP/src" --streams 2 ok.txt
err_has "wrong transfer token"
send_to 0 ok.txt
checks=$((checks + 1))
wait_recv || fail "receiver failed: $(cat "$TMP/rerr")"
cmp -s "$TMP/src/ok.txt" "$TMP/dst/ok.txt" || fail "ok.txt not delivered"

# That the data port closes once a transfer is over is checked where a
# process outlives its transfers (tests/agent/jobs.sh, sites.sh, by the
# daemon's pid): ferry-peer has exited here, and the port, shared with the
# other tests running at once, may be another test's by now.

# A connection from an address other than the expected peer's is dropped
# before TLS; the receiver gives up after its timeout.
rm -f "$TMP/rport"
"$PEER" recv --state "$TMP/b" --peer-fp "$A_FP" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.2 --dest "$TMP/dst" \
    --timeout 2000 >"$TMP/rport" 2>"$TMP/rerr" &
RPID=$!
while ! grep -q listening "$TMP/rport" 2>/dev/null; do sleep 0.05; done
PORT=$(awk '{print $2}' "$TMP/rport")
send_to 1 ok.txt
checks=$((checks + 1))
wait_recv && fail "receiver accepted a connection from the wrong address"
grep -q "0 of 2 connections made" "$TMP/rerr" ||
    fail "receiver message: $(cat "$TMP/rerr")"

finish
