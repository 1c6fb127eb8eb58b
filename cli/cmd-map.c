/*
 * ferry map: translate paths with a share map. A thin shell over the
 * share-map library: it parses arguments, prints results and picks the
 * exit status.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "sequence.h"
#include "share-map.h"

static int	cmd_map_exec(int, char **);

const struct cmd_entry cmd_map_entry = {
	.name = "map",
	.usage = "--map FILE [--from SITE] --to SITE[:OS] [--expand] [--json] "
	    "PATH...",
	.summary = "translate paths between sites and platforms with a share "
	    "map",
	.exec = cmd_map_exec,
};

struct map_opts {
	const struct share_map	*map;
	const char		*from;
	const char		*to;
	enum share_os		 os;
	int			 expand;
	int			 json;
};

/* Prints one mapped path, as text or as a JSON object on its own line. */
static void
map_print(const struct map_opts *o, const char *input,
    const struct share_map_result *res, const char *frames, long frame)
{
	json_t	*obj;
	char	*text;

	if (!o->json) {
		if (frames != NULL)
			printf("%s %s\n", res->path, frames);
		else
			printf("%s\n", res->path);
		return;
	}
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "input", input,
	    "share", res->share, "relative", res->relative,
	    "result", res->path, "os", share_os_name(res->os));
	if (obj != NULL && frames != NULL)
		json_object_set_new(obj, "frames", json_string(frames));
	if (obj != NULL && frame >= 0)
		json_object_set_new(obj, "frame", json_integer(frame));
	if (obj == NULL ||
	    (text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
		json_decref(obj);
		cli_error(&cmd_map_entry, "%s: out of memory", input);
		return;
	}
	printf("%s\n", text);
	free(text);
	json_decref(obj);
}

/* Translates one path; returns 0 or reports the failure and returns -1. */
static int
map_one(const struct map_opts *o, const char *input, const char *path,
    const char *frames, long frame)
{
	struct share_map_result	 res;
	char			*cause = NULL;
	int			 r;

	r = share_map_translate(o->map, o->from, o->to, o->os, path,
	    strlen(path), &res, &cause);
	if (r != 0) {
		cli_error(&cmd_map_entry, "%s: %s", path,
		    cause != NULL ? cause : err_str(r));
		free(cause);
		return (-1);
	}
	map_print(o, input, &res, frames, frame);
	share_map_result_clear(&res);
	return (0);
}

/* Translates every frame of seq, one line each. */
static int
map_expand(const struct map_opts *o, const char *input, struct sequence *seq)
{
	struct buf	 b;
	char		*cause = NULL;
	size_t		 i;
	long		 f;
	int		 r, failed = 0;

	if (seq->nranges == 0 && (r = sequence_scan(seq, &cause)) != 0) {
		cli_error(&cmd_map_entry, "%s: %s", input,
		    cause != NULL ? cause : err_str(r));
		free(cause);
		return (-1);
	}
	buf_init(&b, 0);
	for (i = 0; i < seq->nranges; i++) {
		for (f = seq->ranges[i].first; f <= seq->ranges[i].last; f++) {
			buf_reset(&b);
			if (sequence_frame_path(seq, f, &b) != 0 ||
			    map_one(o, input, buf_str(&b), NULL, f) != 0)
				failed = 1;
		}
	}
	buf_free(&b);
	return (failed ? -1 : 0);
}

/* Maps one argument: a plain path, or a sequence pattern with a list. */
static int
map_arg(const struct map_opts *o, const char *arg)
{
	struct sequence	 seq;
	struct buf	 pattern, frames;
	char		*cause = NULL;
	int		 r;

	r = sequence_parse(arg, &seq, &cause);
	if (r < 0) {
		cli_error(&cmd_map_entry, "%s: %s", arg,
		    cause != NULL ? cause : err_str(r));
		free(cause);
		return (-1);
	}
	if (r == 0)
		return (map_one(o, arg, arg, NULL, -1));
	if (o->expand)
		r = map_expand(o, arg, &seq);
	else {
		buf_init(&pattern, 0);
		buf_init(&frames, 0);
		r = buf_printf(&pattern, "%s%s%s", seq.head, seq.token,
		    seq.tail);
		if (r == 0 && seq.nranges > 0)
			r = sequence_format_ranges(&seq, &frames);
		if (r == 0)
			r = map_one(o, arg, buf_str(&pattern),
			    seq.nranges > 0 ? buf_str(&frames) : NULL, -1);
		else
			cli_error(&cmd_map_entry, "%s: %s", arg, err_str(r));
		buf_free(&pattern);
		buf_free(&frames);
	}
	sequence_clear(&seq);
	return (r);
}

/* Splits "SITE[:OS]"; the platform must be one ferry knows. */
static int
map_parse_target(char *spec, struct map_opts *o)
{
	char		*colon = strrchr(spec, ':');
	enum share_os	 os;

	o->to = spec;
	o->os = SHARE_OS_DEFAULT;
	if (colon != NULL) {
		if (share_os_parse(colon + 1, &os) != 0) {
			cli_error(&cmd_map_entry, "--to %s: %s is not a "
			    "platform (known: linux, mac, windows, unc)",
			    spec, colon + 1);
			return (-1);
		}
		*colon = '\0';
		o->os = os;
	}
	if (*o->to == '\0') {
		cli_error(&cmd_map_entry, "--to: a site name is needed");
		return (-1);
	}
	return (0);
}

/* A site the map does not name is a typo: say which ones it knows. */
static int
map_check_site(const struct share_map *map, const char *opt,
    const char *site)
{
	struct buf	b;

	if (site == NULL || share_map_site_known(map, site))
		return (0);
	buf_init(&b, 0);
	share_map_sites_text(map, &b);
	cli_error(&cmd_map_entry, "%s %s: the map names no such site (known: "
	    "%s); a site that sees the shares' defaults is listed in the "
	    "map's \"sites\"", opt, site, b.len ? buf_str(&b) : "none");
	buf_free(&b);
	return (-1);
}

static int
cmd_map_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "expand", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct map_opts		 o;
	struct share_map	*map;
	const char		*file = NULL;
	char			*to = NULL, *cause = NULL;
	int			 ch, i, r, failed = 0;

	memset(&o, 0, sizeof o);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm': file = optarg; break;
		case 'f': o.from = optarg; break;
		case 't': to = optarg; break;
		case 'e': o.expand = 1; break;
		case 'j': o.json = 1; break;
		default: return (cli_usage(&cmd_map_entry));
		}
	}
	if (file == NULL || to == NULL || optind == argc) {
		cli_error(&cmd_map_entry, "%s", file == NULL ?
		    "--map FILE is required" : to == NULL ?
		    "--to SITE[:OS] is required" : "no PATH given");
		return (cli_usage(&cmd_map_entry));
	}
	if (map_parse_target(to, &o) != 0)
		return (CLI_EXIT_USAGE);
	if ((r = share_map_load_file(file, &map, &cause)) != 0) {
		cli_error(&cmd_map_entry, "%s",
		    cause != NULL ? cause : err_str(r));
		free(cause);
		return (CLI_EXIT_USAGE);
	}
	o.map = map;
	if (map_check_site(map, "--to", o.to) != 0 ||
	    map_check_site(map, "--from", o.from) != 0) {
		share_map_free(map);
		return (CLI_EXIT_USAGE);
	}
	for (i = optind; i < argc; i++) {
		if (map_arg(&o, argv[i]) != 0)
			failed = 1;
	}
	share_map_free(map);
	return (failed ? CLI_EXIT_FAILED : CLI_EXIT_OK);
}
