#!/bin/sh
# The ftrack double against ftrack's own JavaScript client, @ftrack/api
# 1.11.x from the lockfile: session, queries and paging, writes, errors,
# credentials, the event hub and the web UI hooks (one line per check;
# see tests/ftrack-double/conformance.js).
set -eu
. "${srcdir:-.}/tests/ftrack-double/lib.sh"
double_need
exec node "$DOUBLE_DIR/conformance.js"
