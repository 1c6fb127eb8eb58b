/* Event-hub expressions: what matches what, and what is refused. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "subexpr-int.h"
#include "test.h"

static const char *event_text =
    "{\"topic\": \"ftrack.action.launch\", \"id\": \"e1\","
    " \"data\": {\"actionIdentifier\": \"ferry.send\", \"n\": 5,"
    "  \"flag\": true, \"label\": \"ferry Send\", \"version\": \"v002\"},"
    " \"source\": {\"id\": \"web-1\", \"applicationId\": \"ftrack.client.web\","
    "  \"user\": {\"username\": \"ana@studio.example\", \"id\": \"u1\"}},"
    " \"target\": \"\"}";

static const struct {
	const char	*expr;
	int		 match;
} cases[] = {
	{ "topic=ftrack.action.launch", 1 },
	{ "topic = ftrack.action.launch", 1 },
	{ "topic=ftrack.action.discover", 0 },
	{ "topic=ftrack.action.*", 1 },
	{ "topic=ftrack.*", 1 },
	{ "topic=action.*", 0 },		/* a prefix, not a substring */
	{ "topic!=ftrack.action.launch", 0 },
	{ "topic=ftrack.action.launch and data.actionIdentifier=ferry.send",
	    1 },
	{ "topic=ftrack.action.launch and data.actionIdentifier=other", 0 },
	{ "topic=ftrack.action.discover or data.actionIdentifier=ferry.send",
	    1 },
	{ "TOPIC=ftrack.action.launch", 0 },	/* fields keep their case */
	{ "topic=ftrack.action.launch AND NOT data.actionIdentifier=x", 1 },
	{ "not (topic=ftrack.action.launch or topic=x)", 0 },
	{ "(topic=a or topic=ftrack.action.launch) and source.user.id=u1", 1 },
	{ "a=1 or b=2 and topic=ftrack.action.launch", 0 },	/* and first */
	{ "topic=ftrack.action.launch or b=2 and c=3", 1 },
	{ "source.user.username=ana@studio.example", 1 },
	{ "source.user.username=\"ana@studio.example\"", 1 },
	{ "data.label='ferry Send'", 1 },
	{ "data.label=\"ferry \\\"Send\\\"\"", 0 },
	{ "data.version>v001", 1 },
	{ "data.version>=v002", 1 },
	{ "data.version<v002", 0 },
	{ "data.version<=v002", 1 },
	{ "data.missing=x", 0 },
	{ "data.missing!=x", 0 },		/* missing is false, always */
	{ "data.n=5", 0 },			/* no coercion: 5 is not "5" */
	{ "data.n!=5", 1 },
	{ "data.flag=true", 0 },
	{ "data.actionIdentifier.deeper=x", 0 },
	{ "applicationId=ftrack.client.web and user.id=u1", 0 },
	{ "source.applicationId=ftrack.client.web and source.user.id=\"u1\"",
	    1 },
	{ "id=e1", 1 },
	{ "notice=x or topic=ftrack.action.launch", 1 },	/* a field */
	{ "order=1 or orange=2", 0 },
};

static void
test_match(void)
{
	json_error_t	 jerr;
	json_t		*event;
	struct subexpr	*e;
	char		*cause = NULL;
	size_t		 i;

	event = json_loads(event_text, 0, &jerr);
	ASSERT_TRUE(event != NULL);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		test_checks++;
		if (subexpr_parse(cases[i].expr, &e, &cause) != 0) {
			TEST_FAIL("%s: %s", cases[i].expr, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (subexpr_match(e, event) != cases[i].match)
			TEST_FAIL("%s should %smatch", cases[i].expr,
			    cases[i].match ? "" : "not ");
		subexpr_free(e);
	}
	json_decref(event);
}

static void
test_errors(void)
{
	static const struct {
		const char	*expr;
		int		 code;
		const char	*cause;
	} bads[] = {
		{ "", FERRY_ERR_PARSE, "a field name or \"(\" at byte 1" },
		{ "topic", FERRY_ERR_PARSE, "an operator" },
		{ "topic=", FERRY_ERR_PARSE, "a value at byte 7" },
		{ "topic==x", FERRY_ERR_PARSE, "a value" },
		{ "topic=\"open", FERRY_ERR_PARSE, "a value" },
		{ "(topic=x", FERRY_ERR_PARSE, "\")\"" },
		{ "topic=x)", FERRY_ERR_PARSE, "or the end at byte 8" },
		{ "topic=x and", FERRY_ERR_PARSE, "a field name" },
		{ "topic=x y=z", FERRY_ERR_PARSE,
		    "\"and\", \"or\" or the end" },
		{ "topic=a b", FERRY_ERR_PARSE, "or the end at byte 9" },
		{ "not", FERRY_ERR_PARSE, "a field name" },
	};
	struct subexpr	*e;
	char		*cause, deep[200];
	size_t		 i;

	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		cause = NULL;
		ASSERT_INT_EQ(subexpr_parse(bads[i].expr, &e, &cause),
		    bads[i].code);
		ASSERT_STR_CONTAINS(cause, bads[i].cause);
		free(cause);
	}
	/* Nesting is bounded, with parentheses and with "not". */
	memset(deep, '(', 40);
	strcpy(deep + 40, "a=b");
	cause = NULL;
	ASSERT_INT_EQ(subexpr_parse(deep, &e, &cause), FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "deeper than 32");
	free(cause);
	deep[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(deep, "not ");
	strcat(deep, "a=b");
	ASSERT_INT_EQ(subexpr_parse(deep, &e, NULL), FERRY_ERR_TOOBIG);
	/* Within the bound it works. */
	memset(deep, '(', 31);
	strcpy(deep + 31, "a=b");
	memset(deep + 34, ')', 31);
	deep[65] = '\0';
	ASSERT_INT_EQ(subexpr_parse(deep, &e, NULL), 0);
	subexpr_free(e);
}

int
main(void)
{
	test_match();
	test_errors();
	return (TEST_DONE());
}
