#!/bin/sh
# The README's Usage examples, run as written, so that they cannot drift:
# every fenced sh block of the Usage section (but one after a
# "<!-- readme.sh: not run ... -->" line) runs command by command against
# real daemons on this machine. What stands for another machine is mapped
# here, and only here: each "# On the ..." comment picks a state directory
# (the hub hq, the LA server la, the vendor fx); 10.0.0.5 and
# studio.example.com are the hub on 127.0.0.1, 203.0.113.7 the vendor on
# 127.0.0.3; /storage, /mnt/la/storage and /home/vendor/studio are
# directories here; CODE is the last code `ferry invite` printed; la
# enrolls with --source-address 127.0.0.2, as the README's one-machine
# recipe says. Each command must exit 0; a `ferry map` example's output
# must be what its comment says.
. "${srcdir:-.}/tests/agent/lib.sh"

readme="$srcdir/README.md"
mkdir -p "$TMP/bin" "$TMP/hq-storage/show/sh010" \
    "$TMP/hq-storage/show/sh020/plates" "$TMP/la-storage" \
    "$TMP/fx-storage/show/sh020/fx_v001"
ln -s "$FERRY" "$TMP/bin/ferry"
ln -s "$FERRYD" "$TMP/bin/ferryd"
for f in 1001 1002 1003 1004 1005; do
	head -c 10000 /dev/urandom >"$TMP/hq-storage/show/sh010/plate.$f.exr"
	head -c 10000 /dev/urandom >"$TMP/hq-storage/show/sh020/plates/p.$f.exr"
	head -c 10000 /dev/urandom >"$TMP/fx-storage/show/sh020/fx_v001/fx.$f.exr"
done
echo notes >"$TMP/hq-storage/show/sh010/notes.txt"

# Paths and addresses of the other machines, as they are here.
subst() {
	sed -e "s|/var/lib/ferry|$TMP/$machine|g" \
	    -e "s|10\.0\.0\.5:45190|127.0.0.1:$port|g" \
	    -e "s|10\.0\.0\.5|127.0.0.1:$port|g" \
	    -e "s|studio\.example\.com|127.0.0.1:$port|g" \
	    -e "s|203\.0\.113\.7|127.0.0.3|g" \
	    -e "s|/mnt/la/storage|$TMP/la-storage|g" \
	    -e "s|/home/vendor/studio|$TMP/fx-storage|g" \
	    -e "s|\([ '\"]\)/storage|\1$TMP/hq-storage|g" \
	    -e "s|contrib/examples/share-map.json|$TMP/map.json|g" \
	    -e "s|\bCODE\b|$code|g"
}
machine=hq
code=NONE
subst <"$srcdir/contrib/examples/share-map.json" >"$TMP/map.json"

# The blocks, as lines: "M machine", "C command", "E expected output".
awk '
/^## Usage/ { usage = 1; next }
/^## / { usage = 0 }
!usage { next }
/^<!-- readme.sh: not run/ { skip = 1; next }
/^```sh/ {
	inblock = !skip; skip = 0; cmd = ""; last = ""
	# A block runs on the hub unless a comment in it says otherwise.
	if (inblock) print "M hq"
	next
}
/^```/ { inblock = 0; next }
!inblock { next }
{
	line = $0
	if (cmd != "") { cmd = cmd " " line } else { cmd = line }
	if (line ~ /\\$/) { sub(/\\$/, "", cmd); next }
	if (cmd ~ /^#/) {
		if (cmd ~ /[Oo]n the (hub|studio server)/) print "M hq"
		else if (cmd ~ /LA site server/) print "M la"
		else if (cmd ~ /vendor.s machine/) print "M fx"
		else if (last ~ /^C ferry map/) { sub(/^# ?/, "", cmd); print "E " cmd }
	} else if (cmd != "") {
		print "C " cmd
		last = "C " cmd
	}
	cmd = ""
}' "$readme" >"$TMP/script"
checks=$((checks + 1))
[ "$(grep -c '^C ' "$TMP/script")" -ge 15 ] ||
    fail "too few README commands found: $(cat "$TMP/script")"

# check_map: the last map command's output against its comment lines.
check_map() {
	[ -s "$TMP/expect" ] || return 0
	checks=$((checks + 1))
	if tail -n1 "$TMP/expect" | grep -qx '\.\.\.'; then
		n=$(($(wc -l <"$TMP/expect") - 1))
		[ "$(head -n "$n" "$TMP/expect")" = "$(head -n "$n" "$TMP/out")" ] ||
		    fail "README: $lastcmd printed $(head -n "$n" "$TMP/out")"
	elif [ "$(wc -l <"$TMP/expect")" -gt 1 ]; then
		[ "$(sed 's/^ *//' "$TMP/expect" | tr -d '\n')" = "$(tr -d '\n' <"$TMP/out")" ] ||
		    fail "README: $lastcmd printed $(cat "$TMP/out")"
	else
		[ "$(cat "$TMP/expect")" = "$(head -n1 "$TMP/out")" ] ||
		    fail "README: $lastcmd printed $(cat "$TMP/out")"
	fi
	: >"$TMP/expect"
}

# start MACHINE: "ferryd run ... &" as a daemon that must come up (and,
# for an agent, link to the hub).
start() {
	start_daemon "$TMP/$machine" || return 1
	[ "$machine" = hq ] && return 0
	i=0
	until FERRY_STATE="$TMP/$machine" ferry status --json 2>/dev/null |
	    jq -e .connected >/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "$machine never linked"; return 1; }
		sleep 0.1
	done
}

PATH="$TMP/bin:$PATH"
export PATH
: >"$TMP/expect"
lastcmd=""
cd "$srcdir"
while IFS= read -r rec; do
	kind=${rec%% *}
	text=${rec#? }
	case $kind in
	M) machine=$text; continue ;;
	E) printf '%s\n' "$text" >>"$TMP/expect"; continue ;;
	esac
	check_map
	lastcmd=$text
	case $text in
	"ferry map"*) cmd=$text ;;
	*) cmd=$(printf '%s\n' "$text" | subst) ;;
	esac
	case $cmd in
	"ferryd enroll"*) [ "$machine" = la ] && cmd="$cmd --source-address 127.0.0.2" ;;
	esac
	case $cmd in
	"ferryd run"*)
		checks=$((checks + 1))
		start || fail "README: $text"
		continue ;;
	esac
	checks=$((checks + 1))
	set +e
	FERRY_STATE="$TMP/$machine" sh -c "$cmd" >"$TMP/out" 2>"$TMP/err"
	st=$?
	set -e
	if [ $st -ne 0 ]; then
		fail "README ($machine): exit $st: $text"
		sed 's/^/  | /' "$TMP/err" >&2
	fi
	case $cmd in
	"ferry invite"*) code=$(tail -n1 "$TMP/out") ;;
	esac
done <"$TMP/script"
check_map

# What the examples did, done.
checks=$((checks + 1))
for f in 1001 1005; do
	cmp -s "$TMP/hq-storage/show/sh010/plate.$f.exr" \
	    "$TMP/la-storage/show/sh010/plate.$f.exr" || fail "la lacks plate.$f"
done
checks=$((checks + 1))
cmp -s "$TMP/hq-storage/show/sh020/plates/p.1001.exr" \
    "$TMP/fx-storage/show/sh020/plates/p.1001.exr" || fail "the vendor lacks the plates"
checks=$((checks + 1))
cmp -s "$TMP/fx-storage/show/sh020/fx_v001/fx.1001.exr" \
    "$TMP/hq-storage/show/sh020/fx_v001/fx.1001.exr" || fail "hq lacks the vendor's work"

stop_and_check
finish
