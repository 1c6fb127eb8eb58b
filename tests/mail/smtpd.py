"""A real SMTP server for ferry's mail tests (Debian's python3-aiosmtpd).

Each message that arrives is written to DIR/N.eml (the bytes as
received) and DIR/N.env (MAIL FROM, then each RCPT TO, one a line),
renamed into place whole. Prints "ready PORT" once it listens.

    smtpd.py --port P --dir DIR [--host ADDR] [--auth USER:PASSWORD_FILE]
             [--starttls CERT KEY] [--smtps CERT KEY] [--reject ADDR]

--auth wants AUTH PLAIN or LOGIN before MAIL (with --starttls, only after
STARTTLS); --reject answers 550 to RCPT TO:<ADDR>. --host is the
address it listens on (127.0.0.1). Numbering goes on after the messages
already in DIR, so that a server started again does not overwrite them.
"""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Writer:
    def __init__(self, directory, reject):
        self.dir = directory
        self.reject = reject
        self.n = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == self.reject:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.dir, "%d" % self.n)
        for ext, data in ((".env", "\n".join([envelope.mail_from] +
                                             envelope.rcpt_tos).encode()),
                          (".eml", envelope.original_content)):
            with open(base + ext + ".tmp", "wb") as f:
                f.write(data)
            os.rename(base + ext + ".tmp", base + ext)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login == user and auth_data.password == password)
        return AuthResult(success=ok)
    return check


def context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--auth")
    ap.add_argument("--starttls", nargs=2)
    ap.add_argument("--smtps", nargs=2)
    ap.add_argument("--reject", default="")
    a = ap.parse_args()
    kw = {}
    if a.auth:
        user, pwfile = a.auth.split(":", 1)
        with open(pwfile) as f:
            password = f.readline().rstrip("\n")
        kw["authenticator"] = authenticator(user.encode(), password.encode())
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(a.starttls)
    if a.starttls:
        kw["tls_context"] = context(*a.starttls)
        kw["require_starttls"] = True
    if a.smtps:
        kw["ssl_context"] = context(*a.smtps)
    c = Controller(Writer(a.dir, a.reject), hostname=a.host,
                   port=a.port, **kw)
    c.start()
    print("ready %d" % a.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    c.stop()


if __name__ == "__main__":
    main()
