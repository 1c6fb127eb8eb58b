/*
 * The crafted data-plane peers' common arguments (evil-chunk.c,
 * evil-pipe.c, evil-recv.c): each takes STATE (the key it speaks with),
 * PEER_FP (the key it pins) and TOKEN (the transfer's one-time token, in
 * hex), as ferry-peer does. Public to those three programs only.
 */
#ifndef FERRY_EVIL_PEER_H
#define FERRY_EVIL_PEER_H

#include <stdint.h>

#include "identity.h"
#include "link.h"

/*
 * The identity in state, the peer's key and the token; 0, or -1 with
 * *cause set (and *what, the argument at fault).
 */
int	evil_peer_args(const char *state, const char *peer_fp,
	    const char *token, struct identity **id,
	    uint8_t fp[IDENTITY_FP_LEN], uint8_t tok[LINK_TOKEN_LEN],
	    const char **what, char **cause);

#endif
