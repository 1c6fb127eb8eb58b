/*
 * The list of a store's hubs that the active hub sends its agents (in
 * the welcome and in "hubs" messages, issue 17): every hub's key and
 * address. An agent pins every key on it, so it is checked before any
 * of it is believed.
 */
#ifndef FERRY_HUBLIST_H
#define FERRY_HUBLIST_H

#include <stdint.h>

#include <jansson.h>

#define HUBLIST_MAX		16	/* hubs of one store, at most */
#define HUBLIST_ADDR_MAX	255	/* HOST:PORT, bytes */

/*
 * Checks list, a hub's word: an array of at most HUBLIST_MAX objects
 * {"fingerprint": a key as printed, "address": "HOST:PORT"} (letters,
 * digits and . - _ : [ ] only), no key twice, and from's key
 * (IDENTITY_FP_LEN bytes, the sender's, as TLS proved it) among them: a
 * hub that leaves itself out is not believed. *out is a clean copy,
 * those two fields only, keys in their printed form. FERRY_ERR_PROTO
 * with the reason otherwise.
 */
int	hublist_check(const json_t *list, const uint8_t *from, json_t **out,
	    char **cause);

#endif
