/*
 * A sequence or container has no file of its own, so its identifier in
 * the destination is made from a member's destination path, the way
 * ftrack's structures name them (ftrack-protocol.md §4.3, §4.5): a
 * sequence is its members' directory and file name with the frame number
 * replaced by a printf pattern of its padding ("plate.%04d.exr"), a
 * container its members' directory.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "register.h"

/* More digits than any frame number has: a broken padding. */
#define REGISTER_MAX_PADDING	32

/* Where the file name of path starts (after its last separator). */
static size_t
register_container_base(const char *path)
{
	size_t	i, base = 0;

	for (i = 0; path[i] != '\0'; i++) {
		if (path[i] == '/' || path[i] == '\\')
			base = i + 1;
	}
	return (base);
}

/* ftrack's name of a component, for messages. */
static const char *
register_container_name(const json_t *component)
{
	const char	*name = json_string_value(json_object_get(component,
			    "name"));

	return (name != NULL ? name : "?");
}

/* Whether the digits at s (n of them) are the frame called name. */
static int
register_container_same_frame(const char *s, size_t n, const char *name)
{
	while (n > 1 && *s == '0')
		s++, n--;
	while (name[0] == '0' && name[1] != '\0')
		name++;
	return (strlen(name) == n && strncmp(s, name, n) == 0);
}

static int
register_container_sequence(const json_t *seq, const json_t *member,
    const char *path, char **rip, char **cause)
{
	const char	*name = json_string_value(json_object_get(member,
			    "name"));
	const char	*ext = json_string_value(json_object_get(member,
			    "file_type"));
	json_int_t	 padding = json_integer_value(json_object_get(seq,
			    "padding"));
	size_t		 base = register_container_base(path), end, digits;
	struct buf	 b;
	int		 e;

	end = strlen(path);
	if (ext != NULL && strlen(ext) <= end - base &&
	    strcmp(path + end - strlen(ext), ext) == 0)
		end -= strlen(ext);
	for (digits = end; digits > base && isdigit((unsigned char)
	    path[digits - 1]); digits--)
		;
	if (name == NULL || digits == end ||
	    !register_container_same_frame(path + digits, end - digits, name))
		return (err_set(cause, FERRY_ERR_INVAL, "cannot name sequence "
		    "\"%s\" in the destination: its member's path \"%s\" does "
		    "not end with the frame number \"%s\"",
		    register_container_name(seq), path,
		    register_container_name(member)));
	if (padding < 0 || padding > REGISTER_MAX_PADDING)
		return (err_set(cause, FERRY_ERR_INVAL, "sequence \"%s\" has "
		    "padding %" JSON_INTEGER_FORMAT,
		    register_container_name(seq), padding));
	buf_init(&b, 0);
	e = buf_add(&b, path, digits);
	e |= padding > 0 ? buf_printf(&b, "%%0%dd", (int)padding) :
	    buf_addstr(&b, "%d");
	e |= buf_addstr(&b, path + end);
	if (e != 0) {
		buf_free(&b);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	*rip = buf_detach(&b);
	return (0);
}

int
register_container_identifier(const json_t *container, const json_t *member,
    const char *member_path, char **rip, char **cause)
{
	const char	*type = json_string_value(json_object_get(container,
			    "__entity_type__"));
	size_t		 base = register_container_base(member_path);

	if (type != NULL && strcmp(type, "SequenceComponent") == 0)
		return (register_container_sequence(container, member,
		    member_path, rip, cause));
	if (base == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "cannot name container "
		    "\"%s\" in the destination: its member's path \"%s\" has "
		    "no directory", register_container_name(container),
		    member_path));
	if ((*rip = strndup(member_path, base)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}
