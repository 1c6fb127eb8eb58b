#!/bin/sh
# Attack: guessing enrolment codes. Wrong codes from one address are
# refused with "wrong or unknown enrolment code" until the address has
# failed too often; then every enrolment from it is refused for a while,
# with an audit record, while another address still enrols.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

make_hub
code=$("$FERRY" invite --site la --state "$HUB" | tail -n1)
i=0
while [ $i -lt 10 ]; do
	run 1 "$FERRYD" enroll "127.0.0.1:$port" \
	    "$(printf '%032d' $i)" --state "$TMP/guess" \
	    --source-address 127.0.0.5
	err_has "wrong or unknown enrolment code"
	i=$((i + 1))
done
# The eleventh try, even with the right code, is refused.
run 1 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/guess" \
    --source-address 127.0.0.5
err_has "too many failed enrolments"
audit_has enroll.limit 127.0.0.5
audit_has enroll.refused 127.0.0.5
# Another address enrols with the same code.
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/la" \
    --source-address 127.0.0.6 --name la-server
finish
