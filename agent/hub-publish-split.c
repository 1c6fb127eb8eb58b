/*
 * Where a publish's tasks go (ferryd.h), for the dispatcher: a
 * redirected file's destination is not the translation of its source, so
 * the task names it. Apart from hub-publish.c, which takes publishes
 * from the API, so that the dispatcher calls down into this file only.
 */
#include "config.h"

#include <string.h>

#include "expand.h"
#include "ferryd.h"
#include "share-map.h"
#include "store.h"

int
publish_is(const struct store_job *j)
{
	return (j->meta != NULL && strstr(j->meta, "\"publish\"") != NULL);
}

int
publish_split(const struct share_map *m, const struct store_job *j,
    const struct store_task *t, const char *to, struct share_map_result *res,
    char **src_root, char **cause)
{
	struct share_map_result	 src;
	int			 r;

	if ((r = share_map_translate(m, to, to, SHARE_OS_LINUX, t->dst_path,
	    strlen(t->dst_path), res, cause)) != 0)
		return (r);
	/*
	 * Only the share and the path inside it are wanted here, which do
	 * not depend on the kind of root: a Windows agent's source is below
	 * its drive root, which is no "linux" one.
	 */
	if ((r = share_map_translate_for(m, j->from_site, j->from_site, NULL,
	    t->src_path, strlen(t->src_path), &src, cause)) == 0) {
		r = expand_root(t->src_path, src.relative, src_root, cause);
		share_map_result_clear(&src);
	}
	if (r != 0)
		share_map_result_clear(res);
	return (r);
}
