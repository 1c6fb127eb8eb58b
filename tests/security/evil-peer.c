/* The crafted data-plane peers' common arguments: see evil-peer.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil-peer.h"

int
evil_peer_args(const char *state, const char *peer_fp, const char *token,
    struct identity **id, uint8_t fp[IDENTITY_FP_LEN],
    uint8_t tok[LINK_TOKEN_LEN], const char **what, char **cause)
{
	unsigned int	v;
	size_t		i;

	*what = state;
	if (identity_load_dir(state, id, cause) != 0)
		return (-1);
	*what = "peer fp";
	if (identity_fp_parse(peer_fp, fp, cause) != 0)
		return (-1);
	*what = "token";
	for (i = 0; i < LINK_TOKEN_LEN; i++) {
		if (strlen(token) < 2 * (i + 1) ||
		    sscanf(token + 2 * i, "%2x", &v) != 1) {
			*cause = strdup("bad hex");
			return (-1);
		}
		tok[i] = (uint8_t)v;
	}
	return (0);
}
