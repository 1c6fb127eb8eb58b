#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hublist.h"
#include "identity.h"

static int
hublist_addr_ok(const char *a)
{
	size_t	n = strlen(a), i;

	if (n == 0 || n > HUBLIST_ADDR_MAX)
		return (0);
	for (i = 0; i < n; i++) {
		if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' &&
		    a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9') ||
		    strchr(".-_:[]", a[i]) != NULL))
			return (0);
	}
	return (1);
}

int
hublist_check(const json_t *list, const uint8_t *from, json_t **out,
    char **cause)
{
	uint8_t		 fp[IDENTITY_FP_LEN];
	char		 fps[IDENTITY_FP_STRLEN + 1], *why = NULL;
	const char	*f, *a;
	json_t		*h, *clean = NULL, *seen = NULL;
	size_t		 i;
	int		 self = 0, r = FERRY_ERR_PROTO;

	*out = NULL;
	if (!json_is_array(list))
		return (err_set(cause, r, "the hub list is not an array"));
	if (json_array_size(list) == 0 || json_array_size(list) > HUBLIST_MAX)
		return (err_set(cause, r, "the hub list has %zu hubs (1 to %d "
		    "taken)", json_array_size(list), HUBLIST_MAX));
	if ((clean = json_array()) == NULL || (seen = json_object()) == NULL) {
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, h) {
		f = json_string_value(json_object_get(h, "fingerprint"));
		a = json_string_value(json_object_get(h, "address"));
		if (f == NULL || a == NULL) {
			err_set(cause, r, "hub %zu of the list lacks a "
			    "fingerprint or an address", i);
			goto out;
		}
		if (identity_fp_parse(f, fp, &why) != 0) {
			err_set(cause, r, "hub %zu of the list: %s", i, why);
			goto out;
		}
		if (!hublist_addr_ok(a)) {
			err_set(cause, r, "hub %zu of the list: not an "
			    "address (HOST:PORT, at most %d bytes)", i,
			    HUBLIST_ADDR_MAX);
			goto out;
		}
		identity_fp_format(fp, fps);
		if (json_object_get(seen, fps) != NULL) {
			err_set(cause, r, "the hub list names key %s twice",
			    fps);
			goto out;
		}
		json_object_set_new(seen, fps, json_true());
		self |= memcmp(fp, from, IDENTITY_FP_LEN) == 0;
		if (json_array_append_new(clean, json_pack("{s:s, s:s}",
		    "fingerprint", fps, "address", a)) != 0) {
			r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (!self) {
		err_set(cause, r, "the hub list leaves out the hub that sent "
		    "it");
		goto out;
	}
	*out = clean;
	clean = NULL;
	r = 0;
out:
	free(why);
	json_decref(clean);
	json_decref(seen);
	return (r);
}
