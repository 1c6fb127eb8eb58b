/*
 * The names whose file is under way in a transfer (recv-int.h): from its
 * PLAN until its batch is answered, on any stream. A name is taken once:
 * a second offer of it meanwhile, on another stream or in the batch after
 * (PIPELINE), is refused. Else the second's FILE_BEGIN replaced the
 * partial file between the first's commit check and its rename, and that
 * rename put the second file, being written and never flushed, under the
 * final name, answered DONE as the first (tests/security/stream-race.sh).
 * An honest sender never offers a name twice at once: a retry comes after
 * the ACK.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "err.h"
#include "recv-int.h"

/* Chains; a transfer holds at most 2 batches of 1,024 a stream. */
#define RECV_CLAIM_BUCKETS	4096

struct recv_claim {
	struct recv_claim	*next;
	char			 rel[];
};

/* xxHash, as blockmap.c and tree.c hash with it. */
static size_t
recv_claim_bucket(const char *rel)
{
	return ((size_t)(XXH3_64bits(rel, strlen(rel)) % RECV_CLAIM_BUCKETS));
}

int
recv_claim(struct recv_shared *sh, const char *rel)
{
	struct recv_claim	**b, *c;
	size_t			  n = strlen(rel);
	int			  r = 0;

	pthread_mutex_lock(&sh->mu);
	if (sh->claims == NULL &&
	    (sh->claims = calloc(RECV_CLAIM_BUCKETS, sizeof *sh->claims)) ==
	    NULL) {
		r = FERRY_ERR_NOMEM;
		goto out;
	}
	b = &sh->claims[recv_claim_bucket(rel)];
	for (c = *b; c != NULL; c = c->next) {
		if (strcmp(c->rel, rel) == 0) {
			r = FERRY_ERR_EXIST;
			goto out;
		}
	}
	if ((c = malloc(sizeof *c + n + 1)) == NULL) {
		r = FERRY_ERR_NOMEM;
		goto out;
	}
	memcpy(c->rel, rel, n + 1);
	c->next = *b;
	*b = c;
out:
	pthread_mutex_unlock(&sh->mu);
	return (r);
}

void
recv_unclaim(struct recv_shared *sh, const char *rel)
{
	struct recv_claim	**b, *c;

	pthread_mutex_lock(&sh->mu);
	if (sh->claims != NULL) {
		for (b = &sh->claims[recv_claim_bucket(rel)]; (c = *b) != NULL;
		    b = &c->next) {
			if (strcmp(c->rel, rel) == 0) {
				*b = c->next;
				free(c);
				break;
			}
		}
	}
	pthread_mutex_unlock(&sh->mu);
}

void
recv_claims_free(struct recv_shared *sh)
{
	struct recv_claim	*c;
	size_t			 i;

	for (i = 0; sh->claims != NULL && i < RECV_CLAIM_BUCKETS; i++) {
		while ((c = sh->claims[i]) != NULL) {
			sh->claims[i] = c->next;
			free(c);
		}
	}
	free(sh->claims);
	sh->claims = NULL;
}
