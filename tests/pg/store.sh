#!/bin/sh
# The store's unit tests (tests/unit/test-store*) again, on a real
# PostgreSQL started for this test (tests/pg/lib.sh): the same checks the
# SQLite run makes, through FERRY_TEST_PG_URL. The password comes from
# PGPASSFILE, the way a hub's operator may give it.
. "${srcdir:-.}/tests/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
: "${top_builddir:?top_builddir must be set (make check sets it)}"

pg_start
export PGPASSFILE="$PG_PASSFILE"
export FERRY_TEST_PG_URL="$PG_URL"
for t in test-store test-store-jobs test-store-notice test-store-relay test-store-sftp \
    test-store-next test-store-claim test-store-ids \
    test-store-agent-jobs test-store-storing test-store-found test-db-light; do
	run 0 "$top_builddir/tests/unit/$t"
	# The store's timings (printed, never checked) and the tally.
	{ grep -E ' in [0-9.]+ s$|^no-op of ' "$TMP/err" || true
	  tail -n1 "$TMP/err"; } | sed "s/^/$t on PostgreSQL: /" >&2
done

# The schema is PostgreSQL's own: identity ids, bytea keys, the triggers.
run 0 pg_psql "SELECT count(*) FROM information_schema.triggers
    WHERE trigger_name LIKE 'notices_%'"
checks=$((checks + 1))
[ "$(cat "$TMP/out")" -ge 3 ] || fail "the notice triggers are missing"
finish
