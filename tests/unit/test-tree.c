/*
 * Tests of transfer/tree: the receiver's name rules, the hidden names
 * beside a final name, and which symlink targets stay inside the tree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "test.h"
#include "tree.h"

static void
test_names(void)
{
	char	*cause = NULL;

	ASSERT_INT_EQ(tree_check_relpath("a/b.exr", NULL), 0);
	ASSERT_INT_EQ(tree_check_relpath("a/.b.exr.ferry-part", &cause),
	    FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, "a/.b.exr.ferry-part: a ferry partial file");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(tree_check_relpath(".x.ferry-meta/b", &cause),
	    FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, ".x.ferry-meta: a ferry partial file");
	free(cause);
	ASSERT_INT_EQ(tree_check_relpath("a/.x.ferry-link", NULL),
	    FERRY_ERR_DENIED);
	/* Only the hidden form is ferry's. */
	ASSERT_INT_EQ(tree_check_relpath("a/x.ferry-part", NULL), 0);
	ASSERT_INT_EQ(tree_check_relpath("a/.ferry-part", NULL), 0);
	ASSERT_INT_EQ(tree_check_relpath("a/../b", NULL), FERRY_ERR_BADNAME);
}

static void
test_tmp_names(void)
{
	char	long1[256], long2[256], t1[TREE_TMP_MAX], t2[TREE_TMP_MAX];

	tree_tmp_name("comp.mov", TREE_PART, t1);
	ASSERT_STR_EQ(t1, ".comp.mov.ferry-part");
	/* A 255-byte name: its partial file fits in 255 bytes too. */
	memset(long1, 'n', 255);
	long1[255] = '\0';
	memcpy(long2, long1, sizeof long2);
	long2[254] = 'm';
	tree_tmp_name(long1, TREE_PART, t1);
	tree_tmp_name(long2, TREE_PART, t2);
	ASSERT_INT_EQ((int)strlen(t1), 255);
	ASSERT_TRUE(strcmp(t1, t2) != 0);
	ASSERT_TRUE(tree_is_ferry_name(t1, strlen(t1)));
	tree_tmp_name(long1, TREE_META, t2);
	ASSERT_TRUE(strcmp(t1, t2) != 0);
	ASSERT_TRUE(tree_is_ferry_name(t2, strlen(t2)));
	/* The longest name that keeps the readable form. */
	long1[243] = '\0';
	tree_tmp_name(long1, TREE_PART, t1);
	ASSERT_INT_EQ((int)strlen(t1), 255);
	ASSERT_TRUE(strchr(t1, '~') == NULL);
}

static void
test_links(void)
{
	ASSERT_TRUE(tree_link_inside("a/b/l", "f"));
	ASSERT_TRUE(tree_link_inside("a/b/l", "../../x/y"));
	ASSERT_TRUE(tree_link_inside("a/b/up", "../.."));
	ASSERT_TRUE(!tree_link_inside("a/b/l", "../../../x"));
	ASSERT_TRUE(!tree_link_inside("l", "/etc"));
	ASSERT_TRUE(!tree_link_inside("l", ""));
	/* Through another link: up -> ../.. makes up/.. the root's parent. */
	ASSERT_TRUE(!tree_link_inside("a/b/esc", "up/../../.."));
	ASSERT_TRUE(!tree_link_inside("esc", "up/../.."));
	ASSERT_TRUE(!tree_link_inside("a/l", "x/../y"));
	ASSERT_TRUE(!tree_link_inside("a/l", "./x"));
	ASSERT_TRUE(!tree_link_inside("a/l", "x//y"));
}

int
main(void)
{
	test_names();
	test_tmp_names();
	test_links();
	return (TEST_DONE());
}
