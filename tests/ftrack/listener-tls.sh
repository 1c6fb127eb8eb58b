#!/bin/sh
# ferry-ftrack end to end behind a TLS front end that offers h2 and
# http/1.1 by ALPN (listener.sh, LISTENER_MODE=tls).
LISTENER_MODE=tls
. "${srcdir:-.}/tests/ftrack/listener.sh"
