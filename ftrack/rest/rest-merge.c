/*
 * rest_merge() (rest-merge-int.h): two walks over an answer. The first
 * gathers, for each identity, every key any occurrence of it carries; the
 * second rebuilds the answer with one merged object per identity, made
 * the first time it is met and shared after that. An identity met again
 * while its own object is being made is a cycle: that occurrence gets a
 * copy of the identity's values that hold no entity.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "rest-merge-int.h"

/* What is known of one identity. */
struct merge_entity {
	json_t	*keys;		/* key -> the value kept for it */
	json_t	*merged;	/* the merged object, once made */
	int	 busy;		/* being made now */
};

struct merge {
	json_t			*index;	/* identity -> slot */
	struct merge_entity	*v;
	size_t			 n;
	size_t			 cap;
};

static json_t *
merge_mut(const json_t *j)
{
	/* jansson takes no const; nothing here changes what it borrows. */
	return ((json_t *)(uintptr_t)j);
}

/*
 * The identity of an entity: "<length of type>:<type>:<id>", so that no
 * two (type, id) pairs share one. Returns 0, or -1 for anything else.
 */
static int
merge_identity(const json_t *o, char *key, size_t size)
{
	const json_t	*type, *id;
	size_t		 tlen, ilen;

	if (!json_is_object(o))
		return (-1);
	type = json_object_get(o, "__entity_type__");
	id = json_object_get(o, "id");
	if (!json_is_string(type) || !json_is_string(id))
		return (-1);
	tlen = json_string_length(type);
	ilen = json_string_length(id);
	/* A NUL inside would make two identities look alike. */
	if (tlen == 0 || ilen == 0 || tlen > REST_MERGE_KEY_MAX ||
	    ilen > REST_MERGE_KEY_MAX ||
	    strlen(json_string_value(type)) != tlen ||
	    strlen(json_string_value(id)) != ilen)
		return (-1);
	snprintf(key, size, "%zu:%s:%s", tlen, json_string_value(type),
	    json_string_value(id));
	return (0);
}

#define MERGE_KEY_SIZE	(2 * REST_MERGE_KEY_MAX + 32)

/* The slot of an identity, made if new; NULL when out of memory. */
static struct merge_entity *
merge_slot(struct merge *m, const char *key)
{
	struct merge_entity	*nv;
	json_t			*at;
	size_t			 cap;

	if ((at = json_object_get(m->index, key)) != NULL)
		return (&m->v[json_integer_value(at)]);
	if (m->n == m->cap) {
		cap = m->cap == 0 ? 64 : m->cap * 2;
		if ((nv = reallocarray(m->v, cap, sizeof *nv)) == NULL)
			return (NULL);
		m->v = nv;
		m->cap = cap;
	}
	memset(&m->v[m->n], 0, sizeof m->v[m->n]);
	if ((m->v[m->n].keys = json_object()) == NULL ||
	    json_object_set_new(m->index, key,
	    json_integer((json_int_t)m->n)) != 0) {
		json_decref(m->v[m->n].keys);
		return (NULL);
	}
	return (&m->v[m->n++]);
}

/* Keeps o's keys for its identity: the first non-null value of each. */
static int
merge_keep(struct merge_entity *s, const json_t *o)
{
	const char	*k;
	json_t		*v, *had;

	json_object_foreach(merge_mut(o), k, v) {
		had = json_object_get(s->keys, k);
		if (had != NULL && !(json_is_null(had) && !json_is_null(v)))
			continue;
		if (json_object_set(s->keys, k, v) != 0)
			return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* The first walk: every occurrence of every identity. */
static int
merge_gather(struct merge *m, const json_t *j, int depth)
{
	struct merge_entity	*s;
	const char		*k;
	json_t			*v;
	char			 key[MERGE_KEY_SIZE];
	size_t			 i;
	int			 e = 0;

	if (depth > REST_MERGE_MAX_DEPTH)
		return (0);
	if (merge_identity(j, key, sizeof key) == 0) {
		if ((s = merge_slot(m, key)) == NULL ||
		    merge_keep(s, j) != 0)
			return (FERRY_ERR_NOMEM);
	}
	if (json_is_object(j)) {
		json_object_foreach(merge_mut(j), k, v) {
			if ((e = merge_gather(m, v, depth + 1)) != 0)
				break;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if ((e = merge_gather(m, v, depth + 1)) != 0)
				break;
		}
	}
	return (e);
}

/* Whether j holds an entity, at most depth levels down. */
static int
merge_has_entity(const json_t *j, int depth)
{
	char		 key[MERGE_KEY_SIZE];
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (depth > REST_MERGE_MAX_DEPTH)
		return (0);
	if (merge_identity(j, key, sizeof key) == 0)
		return (1);
	if (json_is_object(j)) {
		json_object_foreach(merge_mut(j), k, v) {
			if (merge_has_entity(v, depth + 1))
				return (1);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (merge_has_entity(v, depth + 1))
				return (1);
		}
	}
	return (0);
}

/* Where a cycle is cut: the identity's values that hold no entity. */
static json_t *
merge_stub(const struct merge_entity *s, int depth)
{
	const char	*k;
	json_t		*o, *v;

	if ((o = json_object()) == NULL)
		return (NULL);
	json_object_foreach(s->keys, k, v) {
		if (merge_has_entity(v, depth + 1))
			continue;
		if (json_object_set(o, k, v) != 0) {
			json_decref(o);
			return (NULL);
		}
	}
	return (o);
}

static json_t	*merge_build(struct merge *, const json_t *, int);

/* The merged object of an identity, made on first use. */
static json_t *
merge_entity_out(struct merge *m, struct merge_entity *s, int depth)
{
	const char	*k;
	json_t		*o, *v, *nv;

	if (s->merged != NULL)
		return (json_incref(s->merged));
	if (s->busy)
		return (merge_stub(s, depth));
	if ((o = json_object()) == NULL)
		return (NULL);
	s->busy = 1;
	json_object_foreach(s->keys, k, v) {
		if ((nv = merge_build(m, v, depth + 1)) == NULL ||
		    json_object_set_new(o, k, nv) != 0) {
			json_decref(o);
			o = NULL;
			break;
		}
	}
	s->busy = 0;
	if (o != NULL)
		s->merged = json_incref(o);
	return (o);
}

/* A copy of a plain object or array with its parts rebuilt. */
static json_t *
merge_container(struct merge *m, const json_t *j, int depth)
{
	const char	*k;
	json_t		*out, *v, *nv;
	size_t		 i;
	int		 same = 1, e = 0;

	out = json_is_object(j) ? json_object() : json_array();
	if (out == NULL)
		return (NULL);
	if (json_is_object(j)) {
		json_object_foreach(merge_mut(j), k, v) {
			if ((nv = merge_build(m, v, depth + 1)) == NULL) {
				e = -1;
				break;
			}
			same &= nv == v;
			e = json_object_set_new(out, k, nv);
			if (e != 0)
				break;
		}
	} else {
		json_array_foreach(j, i, v) {
			if ((nv = merge_build(m, v, depth + 1)) == NULL) {
				e = -1;
				break;
			}
			same &= nv == v;
			if ((e = json_array_append_new(out, nv)) != 0)
				break;
		}
	}
	if (e != 0 || same) {
		/* Nothing inside changed: share the original. */
		json_decref(out);
		return (e != 0 ? NULL : json_incref(merge_mut(j)));
	}
	return (out);
}

/* The second walk: j rebuilt; a new reference, or NULL (no memory). */
static json_t *
merge_build(struct merge *m, const json_t *j, int depth)
{
	json_t	*at;
	char	 key[MERGE_KEY_SIZE];

	if (depth > REST_MERGE_MAX_DEPTH)
		return (json_incref(merge_mut(j)));
	if (merge_identity(j, key, sizeof key) == 0 &&
	    (at = json_object_get(m->index, key)) != NULL)
		return (merge_entity_out(m, &m->v[json_integer_value(at)],
		    depth));
	if (json_is_object(j) || json_is_array(j))
		return (merge_container(m, j, depth));
	return (json_incref(merge_mut(j)));
}

static void
merge_clear(struct merge *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		json_decref(m->v[i].keys);
		json_decref(m->v[i].merged);
	}
	free(m->v);
	json_decref(m->index);
}

int
rest_merge(const json_t *in, json_t **outp, char **cause)
{
	struct merge	 m;
	json_t		*out = NULL;
	int		 e;

	memset(&m, 0, sizeof m);
	if ((m.index = json_object()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if ((e = merge_gather(&m, in, 0)) == 0 &&
	    (out = merge_build(&m, in, 0)) == NULL)
		e = FERRY_ERR_NOMEM;
	merge_clear(&m);
	if (e != 0)
		return (err_set(cause, e, "out of memory merging an answer of "
		    "ftrack's"));
	*outp = out;
	return (0);
}
