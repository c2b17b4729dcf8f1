// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl -b FILE: one command a line, sharing one netlink socket, so a
 * table of thousands of bindings loads in one process.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mobctl.h"

#define BATCH_MAX_WORDS 64

/* Splits LINE in place at blanks; a '#' starts a comment.  -1: too long. */
int mobctl_batch_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

/*
 * Runs every line of IN with RUN; stops at the first line that fails,
 * naming it, so nothing after a bad line is half-applied unnoticed.
 */
int mobctl_batch(FILE *in, const char *name,
		 int (*run)(int argc, char **argv))
{
	char *argv[BATCH_MAX_WORDS], *line = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	int argc, ret = MOBCTL_OK;

	while (getline(&line, &cap, in) > 0) {
		lineno++;
		argc = mobctl_batch_split(line, argv, BATCH_MAX_WORDS);
		if (argc == 0)
			continue;
		if (argc < 0) {
			mobctl_error("%s:%lu: more than %d words", name, lineno,
				     BATCH_MAX_WORDS);
			ret = MOBCTL_FAIL;
			break;
		}
		ret = run(argc, argv);
		if (ret != MOBCTL_OK) {
			mobctl_error("%s:%lu: command failed, the lines after it were not run",
				     name, lineno);
			break;
		}
	}
	free(line);
	return ret;
}
