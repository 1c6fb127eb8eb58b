#!/bin/sh
# Attack: a vendor's SFTP server offers files others may write (0666) or
# run setuid (4777). Pulled into the studio (the hub's SFTP pull, here
# through ferry-sftp, the same library), they were written with the
# server's mode & 0777: world-writable. They must get what an agent's
# receiver gives (mode & 0775: no setuid, setgid, sticky or others'
# write), less --umask (the hub's receive-umask), as must the folders
# made on the way; --umask never takes the owner's bits.
. "${srcdir:-.}/tests/sftp/lib.sh"
sshd_start

mkdir -p "$TMP/root/shots/a" "$TMP/back" "$TMP/back2"
printf 'anyone may write\n' >"$TMP/root/notes.txt"
printf '#!/bin/sh\nid\n' >"$TMP/root/shots/a/tool"
chmod 0666 "$TMP/root/notes.txt"
chmod 4777 "$TMP/root/shots/a/tool"
fsftp 0 pull --local "$TMP/back" notes.txt shots/a/tool
is pull_mode "$(stat -c %a "$TMP/back/notes.txt") $(stat -c %a "$TMP/back/shots/a/tool")" "664 775"
fsftp 0 --umask 027 pull --local "$TMP/back2" notes.txt shots/a/tool
is pull_umask_mode "$(stat -c %a "$TMP/back2/notes.txt") $(stat -c %a "$TMP/back2/shots/a/tool")" "640 750"
is pull_umask_dirs "$(stat -c %a "$TMP/back2/shots") $(stat -c %a "$TMP/back2/shots/a")" "750 750"
fsftp 2 --umask 0700 pull --local "$TMP/back2" notes.txt
err_has "--umask: an octal number from 0 to 077"
finish
