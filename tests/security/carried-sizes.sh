#!/bin/sh
# The hub sums the sizes of the files one transfer carries (the bound of
# what its ends may say they moved: agent/saved.c). Found by an
# adversary's pass on a branch whose transfers took up to 8,192 files:
# 8,192 files of 1 PiB (STORE_SIZE_MAX) are 2^63, past int64_t
# (undefined behaviour: the hub built with UBSan died planning it; a
# plain one got a negative bound). The sum saturates now, whatever a
# transfer takes. A vendor's agent may list such sizes for a publish;
# here 9,000 sparse files of 1 PiB on a tmpfs of the hub's, sent as 9
# paths with transfers-per-agent 1, into a tmpfs of 1 MiB at la (nothing
# is really written). The hub must plan it and carry on.
if [ -z "${CARRIED_NS:-}" ]; then
	export CARRIED_NS=1
	unshare -m true 2>/dev/null ||
	    { echo "SKIP: no mount namespace (root needed)" >&2; exit 77; }
	exec unshare -m sh "$0" "$@"
fi
. "${srcdir:-.}/tests/agent/lib.sh"
need python3
S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S" "$L"
mount -t tmpfs -o size=64m,nr_inodes=20000 ferry-carried "$S" &&
    mount -t tmpfs -o size=1m ferry-carried-la "$L" ||
    { echo "SKIP: cannot mount a tmpfs" >&2; exit 77; }
trap 'stop_daemons; umount "$S" "$L" 2>/dev/null; rm -rf "$TMP"' EXIT
python3 - "$S" 9000 <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(root, "d%03d" % (i // 1000))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%06d" % i), "w") as f:
        os.ftruncate(f.fileno(), 1 << 50)
PY
HUB_CONF="transfers-per-agent 1"
hub_and_la "$S" "$L"
dirs=$(for d in "$S"/d*; do printf '%s ' "$d"; done)
# shellcheck disable=SC2086
run 0 "$FERRY" send --from hq --to la --state "$HUB" $dirs
job=$(sed -n 2p "$TMP/out")
i=0
until grep -q "transfer [0-9]* (job $job)" "$HUB.log"; do
	i=$((i + 1))
	[ $i -lt "$(slow 100)" ] || break
	sleep 0.1
done
sleep 1
checks=$((checks + 1))
grep -q "transfer [0-9]* (job $job)" "$HUB.log" ||
    fail "no transfer of job $job was planned"
checks=$((checks + 1))
kill -0 "$HUBPID" 2>/dev/null || fail "the hub died planning 8,192 files of 1 PiB"
checks=$((checks + 1))
if grep -q "runtime error" "$HUB.log"; then
	fail "the hub overflowed planning 8,192 files of 1 PiB:"
	grep -h "runtime error" "$HUB.log" | head -n 3 >&2
fi
run 0 "$FERRY" job "$job" --json --state "$HUB"
checks=$((checks + 1))
jq -e '(.sent_bytes // 0) >= 0 and (.wire_bytes // 0) >= 0' "$TMP/out" \
    >/dev/null || fail "job $job shows bytes below 0: $(head -c 300 "$TMP/out")"
stop_and_check
finish
