/*
 * share_map_path_root (share-map/share-map-platform.c), which ferryd's
 * expand_root is: a path's share root from the part the share map found
 * below it. The hub asks it of a Windows agent's paths
 * too (C:\ferry\storage\show\a.exr, and C:\ferry\storage/show/a.exr as a
 * listing gives them), where '\' separates names as '/' does; in a POSIX
 * path '\' is a character of a name.
 */
#include "config.h"

#include <stdlib.h>

#include "err.h"
#include "share-map.h"
#include "test.h"

static void
root_is(const char *path, const char *rel, const char *want)
{
	char	*root = NULL, *cause = NULL;
	int	 r = share_map_path_root(path, rel, &root, &cause);

	test_checks++;
	if (want == NULL && r == 0)
		TEST_FAIL("%s with %s: gave root %s, expected a refusal", path,
		    rel, root);
	else if (want != NULL && r != 0)
		TEST_FAIL("%s with %s: %s, expected %s", path, rel, cause,
		    want);
	else if (want != NULL && strcmp(root, want) != 0)
		TEST_FAIL("%s with %s: root %s, expected %s", path, rel, root,
		    want);
	else if (want == NULL && r != FERRY_ERR_NOSHARE)
		TEST_FAIL("%s with %s: error %d, expected NOSHARE", path, rel,
		    r);
	free(root);
	free(cause);
}

int
main(void)
{
	/* POSIX, as before. */
	root_is("/storage/show/a.exr", "show/a.exr", "/storage");
	root_is("/storage", "", "/storage");
	root_is("/storage/show/a.exr", "how/a.exr", NULL);
	root_is("/st\\show/a.exr", "show/a.exr", NULL);
	/* A drive path, canonical or as an agent's listing writes it. */
	root_is("C:\\ferry\\storage\\show\\a.exr", "show/a.exr",
	    "C:\\ferry\\storage");
	root_is("C:\\ferry\\storage/show/a.exr", "show/a.exr",
	    "C:\\ferry\\storage");
	root_is("c:/ferry/storage/show/a.exr", "show/a.exr",
	    "c:/ferry/storage");
	root_is("S:\\", "", "S:\\");
	root_is("C:\\ferry\\storage\\xshow\\a.exr", "show/a.exr", NULL);
	root_is("C:\\ferry\\storage\\show\\a.exr", "show\\a.exr",
	    "C:\\ferry\\storage");
	/* UNC. */
	root_is("\\\\fs\\storage\\show\\été.exr", "show/été.exr",
	    "\\\\fs\\storage");
	root_is("\\\\fs\\storage\\show\\a.exr", "sh/a.exr", NULL);
	return (TEST_DONE());
}
