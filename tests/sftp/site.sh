#!/bin/sh
# SFTP sites on the hub (docs/sftp.md): a real hub (tests/agent/lib.sh)
# and a real sshd (tests/sftp/lib.sh) on loopback. `ferry site add
# --sftp`, `ferry sites`; a send and a pull, under ACLs; a send resumed
# after the ssh connection is killed mid-file (byte counts from the hub's
# log); refusals, each checked for its message and its audit record: a
# wrong host key, an unknown host, a wrong user key, paths outside the
# root, a symlink on the server, a full remote disk; a hub killed with
# kill -9 mid-file resumes after its restart; a server away is retried;
# credentials absent from argv, logs, the JSON and the audit.
. "${srcdir:-.}/tests/agent/lib.sh"
HUBTMP=$TMP
. "${srcdir:-.}/tests/sftp/lib.sh"
# sshd first: stop_daemons waits for every child, and sshd is one.
trap 'sftp_cleanup; stop_daemons; rm -rf "$HUBTMP"' EXIT
need openssl

PASS="correct horse battery ferry-7Qx"
keygen enc "$PASS"
cat "$K/enc.pub" >>"$K/authorized_keys"
printf '%s\n' "$PASS" >"$K/pass"
chmod 600 "$K/pass"
# A line of the private key's body: it must never show anywhere. The
# secrets are grep patterns in a file: on grep's command line they would
# be found in /proc by the check below.
KEYLINE=$(sed -n 3p "$K/enc")
printf '%s\n%s\n' "$PASS" "$KEYLINE" >"$K/secrets"

sshd_start
S="$HUBTMP/hq-storage"
R="$TMP/root"
mkdir -p "$S/show/sh010" "$S/other"
head -c 300000 /dev/urandom >"$S/show/sh010/a.bin"
printf 'notes\n' >"$S/show/sh010/notes.txt"
head -c 100 /dev/urandom >"$S/other/secret.bin"
cat >"$TMP/map.json" <<JSON
{ "sites": ["hq"], "shares": { "storage": { "linux": "$S" } } }
JSON

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
F() { "$FERRY" "$@" --state "$HUB"; }

# audit_has WHAT JQ-TEST: the last audit record named WHAT passes the test.
audit_has() {
	checks=$((checks + 1))
	F audit --json >"$TMP/audit.json" 2>/dev/null || true
	jq -e --arg w "$1" "[.[] | select(.what == \$w)] | last |
	    (.detail | if type == \"string\" then fromjson else . end) |
	    $2" "$TMP/audit.json" >/dev/null ||
	    fail "no $1 audit record with $2: $(jq -c '.[-3:]' "$TMP/audit.json")"
}

# job_of: the id a send printed last.
job_of() { tail -n1 "$TMP/out"; }

# --- Adding sites ---------------------------------------------------------
chmod 644 "$K/other"
run 1 "$FERRY" site add loose --sftp "$TARGET" --key "$K/other" \
    --known-hosts "$KNOWN" --state "$HUB"
err_has "key file $K/other"
chmod 600 "$K/other"
run 1 "$FERRY" site add bad --sftp "nobody-at-all" --key "$K/user" \
    --known-hosts "$KNOWN" --state "$HUB"
err_has "nobody-at-all"
run 1 "$FERRY" site add viaother --sftp "$TARGET" --key "$K/user" \
    --known-hosts "$KNOWN" --via la-server --state "$HUB"
err_has "only the hub acts as the SFTP client"
# Relative paths are made absolute for the hub, which runs elsewhere.
here=$(pwd)
cd "$K"
run 0 "$FERRY" site add vendorsftp --sftp "$TARGET" --key enc \
    --known-hosts known_hosts --passphrase-file pass --state "$HUB"
cd "$here"
run 0 "$FERRY" sites --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.sites[] | select(.name == "vendorsftp") |
    "\(.kind) \(.target) \(.key_file) \(.known_hosts)"' "$TMP/out")" = \
    "sftp $TARGET $K/enc $KNOWN" ] || fail "sites: $(cat "$TMP/out")"
run 0 "$FERRY" sites --state "$HUB"
out_has "^  sftp $SSH_USER@127.0.0.1:$SSH_PORT:$R, key $K/enc, reached by the hub" \
    "the SFTP site's line"
run 0 "$FERRY" sites --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.sites[] | select(.name == "hq") | .kind' "$TMP/out")" = hub ] ||
    fail "the hub's own site's kind: $(cat "$TMP/out")"
audit_has site.add ".site == \"vendorsftp\" and .kind == \"sftp\" and
    .key_file == \"$K/enc\""
run 1 "$FERRY" site add vendorsftp --sftp "$TARGET" --key "$K/user" \
    --known-hosts "$KNOWN" --state "$HUB"
err_has "already exists"
# A check before any job: the host key's fingerprint, as ssh-keygen -l says.
run 0 F site check vendorsftp
out_has "^site vendorsftp: $TARGET answers, host key $(ssh-keygen -lf \
    "$K/host.pub" | cut -d' ' -f2); files verified by" "site check"

# --- ACLs: an SFTP site gets only what it is granted ----------------------
run 1 F send --from hq --to vendorsftp "$S/show/sh010"
err_has "vendorsftp may not read storage:show/sh010/a.bin"
audit_has send.refused '.to == "vendorsftp"'
run 0 F acl set vendorsftp storage:show read
run 1 F send --from hq --to vendorsftp "$S/other/secret.bin"
err_has "vendorsftp may not read storage:other/secret.bin"

# --- Send: ROOT stands for the share's root --------------------------------
run 0 F send --from hq --to vendorsftp --wait "$S/show/sh010"
send_id=$(job_of)
same "$S/show/sh010/a.bin" "$R/show/sh010/a.bin"
same "$S/show/sh010/notes.txt" "$R/show/sh010/notes.txt"
no_partials "$R"
run 0 F jobs --json
checks=$((checks + 1))
[ "$(jq -r ".[] | select(.id == $send_id) |
    \"\(.state) \(.to) \(.done_files)/\(.files) \(.done_bytes)\"" \
    "$TMP/out")" = "done vendorsftp 2/2 300006" ] ||
    fail "jobs: $(cat "$TMP/out")"
absent "$R/other"

# --- Pull: needs a write grant, lands mirroring the server's tree ---------
mkdir -p "$R/incoming/v001"
head -c 200000 /dev/urandom >"$R/incoming/v001/comp.exr"
printf 'v1\n' >"$R/incoming/v001/readme.txt"
run 1 F send --from vendorsftp --to hq "$R/incoming/v001"
err_has "vendorsftp may not write storage:incoming/v001/"
audit_has send.refused '.from == "vendorsftp"'
run 0 F acl set vendorsftp storage:incoming write
run 0 F send --from vendorsftp --to hq --wait "$R/incoming/v001"
same "$R/incoming/v001/comp.exr" "$S/incoming/v001/comp.exr"
same "$R/incoming/v001/readme.txt" "$S/incoming/v001/readme.txt"
no_partials "$S"
# A path relative to ROOT names the same.
rm -rf "$S/incoming"
run 0 F send --from vendorsftp --to hq --wait "incoming/v001/readme.txt"
same "$R/incoming/v001/readme.txt" "$S/incoming/v001/readme.txt"

# --- Paths outside the root: refused before anything is planned ------------
run 1 F send --from vendorsftp --to hq /etc/hostname
err_has "/etc/hostname: outside the root $R of SFTP site vendorsftp"
audit_has send.refused '.why | test("outside the root")'
run 1 F send --from vendorsftp --to hq "$R/incoming/../../etc"
err_has "outside the root $R of SFTP site vendorsftp"

# A symlink the server shows is never followed: the whole pull is refused.
ln -s /etc "$R/incoming/v001/etc"
run 1 F send --from vendorsftp --to hq "$R/incoming/v001"
err_has "incoming/v001/etc on SFTP site vendorsftp is a symlink"
audit_has send.refused '.why | test("is a symlink")'
absent "$S/incoming/v001/etc"
rm "$R/incoming/v001/etc"

# --- Resume: the ssh connection killed mid-file -----------------------------
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 6000000 >"$S/show/big.bin"
run 0 F site set vendorsftp --bwlimit 1M
run 0 F send --from hq --to vendorsftp "$S/show/big.bin"
big_id=$(job_of)
part="$R/show/.big.bin.ferry-part"
i=0
while [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -lt 1500000 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
# Credentials are in no process's argv while the transfer runs.
checks=$((checks + 1))
if cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' |
    grep -qF -f "$K/secrets"; then
	fail "a credential in some process's argv"
fi
before=$(stat -c %s "$part" 2>/dev/null || echo 0)
sshd_kill_sessions
run 0 F site set vendorsftp --bwlimit 0
run 0 F job "$big_id" --wait
same "$S/show/big.bin" "$R/show/big.bin"
no_partials "$R"
run 0 F job "$big_id" --json
checks=$((checks + 1))
[ "$(jq -r '.tasks[0] | "\(.state) \(.attempts)"' "$TMP/out")" = "done 1" ] ||
    fail "the resumed task: $(jq -c .tasks "$TMP/out")"
line=$(grep "job $big_id: sent show/big.bin to vendorsftp" "$HUB.log" | tail -n1)
moved=$(echo "$line" | sed -n 's/.*: \([0-9]*\) bytes moved.*/\1/p')
resumed=$(echo "$line" | sed -n 's/.* \([0-9]*\) resumed.*/\1/p')
checks=$((checks + 1))
[ -n "$moved" ] && [ -n "$resumed" ] &&
    [ $((moved + resumed)) -eq 6000000 ] && [ "$resumed" -ge 1000000 ] ||
    fail "resume byte counts (partial was $before): $line"
checks=$((checks + 1))
grep -q "job $big_id: vendorsftp show/big.bin: " "$HUB.log" ||
    fail "the lost connection is not in the log"
echo "resume: $before bytes on the server when killed; then $moved moved," \
    "$resumed kept" >&2

# --- A cap changed mid-file goes to the running file (hub_window_tick), ---
# --- with no new attempt; its speed is the benchmarks' business. ---------
openssl enc -aes-128-ctr -nosalt -pass pass:big3 -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 4000000 >"$S/show/big3.bin"
run 0 F site set vendorsftp --bwlimit 1M
run 0 F send --from hq --to vendorsftp "$S/show/big3.bin"
c_id=$(job_of)
part="$R/show/.big3.bin.ferry-part"
i=0
while [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -lt 1000000 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 F site set vendorsftp --bwlimit 0
run 0 F job "$c_id" --wait
same "$S/show/big3.bin" "$R/show/big3.bin"
run 0 F job "$c_id" --json
checks=$((checks + 1))
[ "$(jq -r '.tasks[0] | "\(.state) \(.attempts)"' "$TMP/out")" = "done 0" ] ||
    fail "the capped file: $(jq -c .tasks "$TMP/out")"
checks=$((checks + 1))
grep -q "to site vendorsftp: cap .* -> none" "$HUB.log" ||
    fail "the running file's cap was not lifted"

# --- kill -9 of the hub mid-file: after a restart the job resumes -------
openssl enc -aes-128-ctr -nosalt -pass pass:big2 -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 5000000 >"$S/show/big2.bin"
run 0 F site set vendorsftp --bwlimit 1M
run 0 F send --from hq --to vendorsftp "$S/show/big2.bin"
k_id=$(job_of)
part="$R/show/.big2.bin.ferry-part"
i=0
while [ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -lt 1500000 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$HUB"
HUBPID=$DPID
run 0 F site set vendorsftp --bwlimit 0
run 0 F job "$k_id" --wait
same "$S/show/big2.bin" "$R/show/big2.bin"
no_partials "$R"
line=$(grep "job $k_id: sent show/big2.bin to vendorsftp" "$HUB.log" | tail -n1)
resumed=$(echo "$line" | sed -n 's/.* \([0-9]*\) resumed.*/\1/p')
checks=$((checks + 1))
[ -n "$resumed" ] && [ "$resumed" -ge 1000000 ] ||
    fail "no resume after the hub's kill -9: $line"

# --- A server away: retried under the backoff, done once it is back -------
sshd_stop
printf 'second take\n' >"$S/show/sh010/notes.txt"
run 0 F send --from hq --to vendorsftp "$S/show/sh010/notes.txt"
away_id=$(job_of)
i=0
until F job "$away_id" --json 2>/dev/null | jq -e '.last_error' >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
run 0 F job "$away_id" --json
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.tasks[0].attempts)"' "$TMP/out")" = "queued 1" ] &&
    jq -r .last_error "$TMP/out" | grep -q "127.0.0.1" ||
    fail "a server away: $(cat "$TMP/out")"
/usr/sbin/sshd -D -e -f "$K/sshd_config" 2>>"$K/sshd.log" &
SSHD_PID=$!
run 0 F job "$away_id" --wait
same "$S/show/sh010/notes.txt" "$R/show/sh010/notes.txt"

# --- Refusals, each failing at once with a cause and an audit record ------
# sftp_refused SITE MESSAGE: a send to SITE fails for good with MESSAGE.
sftp_refused() {
	run 0 F acl set "$1" storage:show read
	run 1 F send --from hq --to "$1" --wait "$S/show/sh010/notes.txt"
	err_has "$2"
	id=$(job_of)
	run 0 F job "$id" --json
	checks=$((checks + 1))
	[ "$(jq -r '.tasks[0].state' "$TMP/out")" = failed ] &&
	    jq -r '.tasks[0].error' "$TMP/out" | grep -qF "$2" ||
	    fail "$1: $(jq -c .tasks "$TMP/out")"
	audit_has sftp.refused ".site == \"$1\" and .job == $id and
	    (.why | contains(\"$2\"))"
	# Failed for good at the first refusal, not after five tries.
	checks=$((checks + 1))
	[ "$(grep -c "job $id: $1: " "$HUB.log")" = 1 ] ||
	    fail "$1 was tried more than once: $(grep "job $id: " "$HUB.log")"
}
ssh-keygen -q -t ed25519 -N '' -f "$K/fake"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cat "$K/fake.pub")" \
    >"$K/wrong_hosts"
: >"$K/empty_hosts"
F site add wronghost --sftp "$TARGET" --key "$K/user" \
    --known-hosts "$K/wrong_hosts" >/dev/null
sftp_refused wronghost "HOST KEY MISMATCH"
run 1 F site check wronghost
err_has "HOST KEY MISMATCH"
F site add unknownhost --sftp "$TARGET" --key "$K/user" \
    --known-hosts "$K/empty_hosts" >/dev/null
sftp_refused unknownhost "unknown host"
F site add wrongkey --sftp "$TARGET" --key "$K/other" \
    --known-hosts "$KNOWN" >/dev/null
sftp_refused wrongkey "the server refused $SSH_USER's key $K/other"
# Nor between an SFTP site and a site that is not the hub's.
run 1 F send --from vendorsftp --to wrongkey "$R/incoming/v001"
err_has "vendorsftp is an SFTP site, served by the hub"
# A share map entry for the site that points outside its target's root.
F site add mapped --sftp "$SSH_USER@127.0.0.1:$SSH_PORT:$R/mapped" \
    --key "$K/user" --known-hosts "$KNOWN" >/dev/null
cat >"$TMP/map2.json" <<JSON
{ "sites": ["hq"], "shares": { "storage": { "linux": "$S",
  "sites": { "mapped": { "linux": "$R/elsewhere" } } } } }
JSON
run 0 F share import "$TMP/map2.json"
run 0 F acl set mapped storage:show read
run 1 F send --from hq --to mapped "$S/show/sh010/notes.txt"
err_has "outside the root $R/mapped of SFTP site mapped"
audit_has send.refused '.to == "mapped"'
run 0 F share import "$TMP/map.json"

# A full disk on the server: a 1 MiB tmpfs as the remote root.
if [ "$(id -u)" = 0 ] && mkdir "$TMP/full" &&
    mount -t tmpfs -o size=1m ferry-sftp-site "$TMP/full"; then
	SFTP_MOUNT="$TMP/full"
	F site add fullsite --sftp "$SSH_USER@127.0.0.1:$SSH_PORT:$TMP/full" \
	    --key "$K/user" --known-hosts "$KNOWN" >/dev/null
	head -c 2000000 /dev/urandom >"$S/show/huge.bin"
	run 0 F acl set fullsite storage:show read
	run 1 F send --from hq --to fullsite --wait "$S/show/huge.bin"
	err_has "no space left on the server's disk"
	audit_has sftp.refused '.site == "fullsite" and
	    (.why | contains("no space left"))'
	absent "$TMP/full/show/huge.bin"
	no_partials "$TMP/full"
else
	echo "note: no tmpfs here (not root?): the full-disk case skipped" >&2
fi

# --- Credentials: nowhere to be read ----------------------------------------
F jobs --json >"$TMP/jobs.json"
for id in $(jq -r '.[].id' "$TMP/jobs.json"); do
	F job "$id" --json >>"$TMP/jobs.json"
done
F audit --json >"$TMP/audit.json"
F sites --json >"$TMP/sites.json"
for f in "$HUB.log" "$K/sshd.log" "$TMP/jobs.json" "$TMP/audit.json" \
    "$TMP/sites.json" "$HUB"/hub.db*; do
	checks=$((checks + 1))
	! grep -qF -f "$K/secrets" "$f" || fail "a credential in $f"
done

# stop_and_check waits for every child: sshd is one.
sshd_stop
stop_and_check
finish
