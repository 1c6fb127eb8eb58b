#!/bin/bash
# bench/floor.sh [--repeat N]: the file system's own cost for S7's 20,000
# files of 4 KiB, with no network and no ferry: bench/floor.c (built here
# with cc) makes them into a fresh loop-mounted ext4 each run (made as
# bench/ext4.sh makes S7's), ferry's way (unnamed, a syncfs a batch, then
# linked), rsync's way (a named temporary file, renamed, no flush) and
# plainly (under the final name, no flush), with 1 and 2 threads, the
# runs alternating. Prints each run, then the medians and ranges. Needs
# root, mkfs.ext4 and loop devices. See docs/benchmarks.md, "S7's floor".
set -euo pipefail

repeat=3
while [ $# -gt 0 ]; do
	case $1 in
	--repeat) repeat=$2; shift 2 ;;
	*) echo "usage: bench/floor.sh [--repeat N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/floor.sh: needs root (loop mounts)" >&2; exit 1; }
command -v mkfs.ext4 >/dev/null ||
    { echo "bench/floor.sh: mkfs.ext4 missing (Debian package e2fsprogs)" >&2; exit 1; }

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/ferry-floor.XXXXXX)
trap 'mountpoint -q "$W/mnt" && umount "$W/mnt"; rm -rf "$W"' EXIT
${CC:-cc} -O2 -std=c11 -Wall -Wextra -pthread -o "$W/floor" \
    "$BENCH_DIR/floor.c" || { echo "cannot build bench/floor.c" >&2; exit 1; }

# one MODE THREADS: a run into a fresh ext4; prints floor's line.
one() {
	mkdir -p "$W/mnt"
	truncate -s 1G "$W/img"
	mkfs.ext4 -q -F -N 65536 -E lazy_itable_init=0,lazy_journal_init=0 \
	    "$W/img"
	mount -o loop "$W/img" "$W/mnt"
	sync
	"$W/floor" "$W/mnt" "$1" "$2"
	sync -f "$W/mnt"
	umount "$W/mnt"
	rm -f "$W/img"
}

for ((r = 1; r <= repeat; r++)); do
	for how in "ferry 1" "rsync 1" "plain 1" "ferry 2" "rsync 2" "plain 2"; do
		# shellcheck disable=SC2086
		one $how
	done
done | tee "$W/runs"
echo
echo "mode threads: wall s median [min, max]; user+sys CPU s median"
awk '{ k = $1 " " $2; w[k] = w[k] " " $4; c[k] = c[k] " " ($5 + $6) }
END { for (k in w) print k "|" w[k] "|" c[k] }' "$W/runs" | sort |
while IFS='|' read -r k ws cs; do
	# shellcheck disable=SC2086
	printf '%-8s %s [%s, %s]; CPU %s\n' "$k" \
	    "$(printf '%s\n' $ws | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')" \
	    "$(printf '%s\n' $ws | sort -n | head -n1)" \
	    "$(printf '%s\n' $ws | sort -n | tail -n1)" \
	    "$(printf '%s\n' $cs | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')"
done
