#!/bin/sh
# TLS to PostgreSQL (docs/operations.md, "Setting it up"): a server with
# ssl=on and a certificate from a CA made here; the hub's store URL says
# sslmode=verify-full and sslrootcert=that CA. The hub starts and every
# session it has is encrypted (pg_stat_ssl); a URL with another CA, or
# naming the server by an address its certificate does not carry, is
# refused by `ferryd init`, saying why, and leaves nothing behind.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need openssl

# ca NAME: a CA of its own (NAME.pem, NAME.key).
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.pem" -days 2 \
	    -subj "/CN=ferry test $1" 2>/dev/null || fail "no CA $1"
}
ca ca
ca other
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$TMP/server.key" -out "$TMP/server.csr" -subj "/CN=localhost" \
    2>/dev/null || fail "no server key"
printf 'subjectAltName=DNS:localhost\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -days 2 -extfile "$TMP/san.ext" -out "$TMP/server.pem" \
    2>/dev/null || fail "no server certificate"
mkdir -p "$TMP/pgssl"
cp "$TMP/server.pem" "$TMP/server.key" "$TMP/pgssl/"
chmod 600 "$TMP/pgssl/server.key"
[ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$TMP/pgssl"

PG_LISTEN=127.0.0.1
PG_OPTS="-c ssl=on -c ssl_cert_file=$TMP/pgssl/server.pem -c ssl_key_file=$TMP/pgssl/server.key"
pg_start
tls_url() {
	echo "postgresql://ferry@$1:$PG_PORT/ferry?sslmode=verify-full&sslrootcert=$TMP/$2.pem"
}

# Refused: another CA; an address the certificate does not name.
for bad in "localhost other" "127.0.0.1 ca"; do
	# shellcheck disable=SC2086
	set -- $bad
	run 1 "$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
	    --state "$TMP/bad" --store "$(tls_url "$1" "$2")" \
	    --store-password-file "$PG_PASSFILE"
	checks=$((checks + 1))
	grep -q "certificate" "$TMP/err" ||
	    fail "init with $1 and CA $2: $(cat "$TMP/err")"
	checks=$((checks + 1))
	[ ! -e "$TMP/bad" ] || fail "init with $1 and CA $2 left $TMP/bad"
done
run 0 pg_psql "SELECT to_regclass('ferry_schema') IS NULL"
out_is "t"

HUB_INIT="--store $(tls_url localhost ca) --store-password-file $PG_PASSFILE"
make_hub
run 0 "$FERRY" status --json --state "$HUB"
cp "$TMP/out" "$TMP/status.json"
run 0 jq -r .hub_state "$TMP/status.json"
out_is "active"
# Both of the hub's sessions (the store's, the lease's) over TLS.
run 0 pg_psql "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)
    FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
    WHERE a.application_name = 'ferryd'"
out_is "2|0"
stop_and_check
finish
