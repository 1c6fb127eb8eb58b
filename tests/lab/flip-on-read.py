#!/usr/bin/env python3
"""flip-on-read.py FILE [SECONDS]: waits (inotify) until FILE has been
read and closed once -- the receiver's signature of it, when FILE is a
delta's basis -- then overwrites 21 bytes near its end, prints
"flipped" and exits; "timeout" and status 1 if nothing read it in time.
The lab's corrupted-basis fault (tests/lab/lab.sh) uses it: the basis
changes between the signature and the patch, with no hook in ferryd."""
import ctypes, os, select, struct, sys

IN_CLOSE_NOWRITE = 0x10
libc = ctypes.CDLL(None, use_errno=True)
path = sys.argv[1]
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 30
fd = libc.inotify_init1(os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, path.encode(), IN_CLOSE_NOWRITE) < 0:
    print("inotify on %s failed: %s" % (path, os.strerror(ctypes.get_errno())))
    sys.exit(1)
print("watching", flush=True)
ready, _, _ = select.select([fd], [], [], secs)
if not ready:
    print("timeout", flush=True)
    sys.exit(1)
os.read(fd, 4096)
with open(path, "r+b") as f:
    size = os.fstat(f.fileno()).st_size
    # Near the end: the patch reads the basis in order, so that is where
    # a flip woken late under load still comes before the patch's read
    # (in the middle, one woken 20 ms late came after it: lab.sh saw a
    # delta cross, not the whole file).
    at = size - 65536 if size > 131072 else size // 2
    os.pwrite(f.fileno(), b"CORRUPTED BY THE LAB!", at)
print("flipped", flush=True)
