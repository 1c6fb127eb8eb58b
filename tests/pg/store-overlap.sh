#!/bin/sh
# tests/agent/store-overlap.sh with the hub's store on PostgreSQL: a big
# send's stored tasks run while the rest is stored, the job does not end
# before its last batch, and a hub killed halfway removes it at start.
STORE_OVERLAP_PG=1
. "${srcdir:-.}/tests/agent/store-overlap.sh"
