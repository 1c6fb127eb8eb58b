#!/usr/bin/env python3
"""A hostile relay on the path, for tests/agent/relay.sh.

Listens on LISTEN_ADDR:LISTEN_PORT and passes every connection on to the
hub at HUB_ADDR:HUB_PORT, connecting from LISTEN_ADDR (so the hub sees the
agent's own address). An agent enrolled through it sends its control link
and its relay connections this way: it sees exactly what the hub's relay
sees. Connections that open with the relay hello are recorded: the ticket
(hex) to DIR/tickets, every byte both ways to DIR/tap. While DIR/tamper
exists, the first relay connection to carry more than DIR/tamper's number
of bytes from the agent has one byte flipped there, and DIR/tamper is
removed (DIR/tampered says so). Stops by itself after LIFETIME seconds.
"""
import os
import socket
import sys
import threading
import time

MAGIC = b"FERRYRL1"
HELLO = len(MAGIC) + 32

listen_addr, listen_port, hub_addr, hub_port, out, lifetime = sys.argv[1:7]
lock = threading.RLock()


def note(name, data, mode="ab"):
    with lock:
        with open(os.path.join(out, name), mode) as f:
            f.write(data)


def tamper_at():
    try:
        with open(os.path.join(out, "tamper")) as f:
            return int(f.read().strip() or "100000")
    except (OSError, ValueError):
        return None


def pump(src, dst, relay, upstream):
    seen = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if relay and upstream:
                at = tamper_at()
                if at is not None and seen <= at < seen + len(data):
                    with lock:
                        path = os.path.join(out, "tamper")
                        if os.path.exists(path):
                            os.unlink(path)
                            b = bytearray(data)
                            b[at - seen] ^= 0x5A
                            data = bytes(b)
                            note("tampered", b"%d\n" % at)
            seen += len(data)
            if relay:
                note("tap", data)
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst,):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(conn):
    up = socket.create_connection((hub_addr, int(hub_port)),
                                  source_address=(listen_addr, 0))
    first = b""
    conn.settimeout(30)
    try:
        first = conn.recv(1, socket.MSG_PEEK)
    except OSError:
        pass
    relay = first == MAGIC[:1]
    if relay:
        hello = b""
        while len(hello) < HELLO:
            more = conn.recv(HELLO - len(hello))
            if not more:
                break
            hello += more
        note("tickets", hello[len(MAGIC):].hex().encode() + b"\n")
        up.sendall(hello)
    conn.settimeout(None)
    a = threading.Thread(target=pump, args=(conn, up, relay, True),
                         daemon=True)
    b = threading.Thread(target=pump, args=(up, conn, relay, False),
                         daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    up.close()


def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((listen_addr, int(listen_port)))
    ls.listen(64)
    ls.settimeout(1)
    until = time.time() + float(lifetime)
    while time.time() < until:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
