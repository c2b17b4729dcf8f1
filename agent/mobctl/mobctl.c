// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl: configure and watch HoA <-> MoA translation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mobctl.h"

static void usage(FILE *f)
{
	fputs("Usage: mobctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
	      "       mobctl help\n"
	      "       mobctl [ OPTIONS ] -b[atch] FILE\n"
	      "where  OBJECT := { binding | alias | prefix | stats | config |\n"
	      "                   monitor | vm | pool | site | migrate }\n"
	      "       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -n[etns] NETNS |\n"
	      "                    -c[ontrol] SOCKET | -conn[ect] URI | -c URI |\n"
	      "                    -V[ersion] | -h[elp] }\n"
	      "vm, pool and site ask the agent (mobd) over SOCKET (default\n"
	      "$MOBD_SOCKET, else " MOBCTL_DEFAULT_SOCKET ").\n"
	      "migrate uses libvirt at URI (default: \"libvirt =\" in\n"
	      MOBCTL_MOBD_CONF ", else libvirt's own); -c takes an argument\n"
	      "with \"://\" as URI, anything else as SOCKET.\n",
	      f);
}

static int do_help(int argc, char **argv)
{
	usage(mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

static const struct mobctl_cmd objects[] = {
	{ "binding", do_binding },
	{ "alias", do_alias },
	{ "prefix", do_prefix },
	{ "stats", do_stats },
	{ "config", do_config },
	{ "monitor", do_monitor },
	{ "vm", do_vm },
	{ "pool", do_pool },
	{ "site", do_site },
	{ "migrate", do_migrate },
	{ "help", do_help },
	{ NULL, NULL },
};

static int run_object(int argc, char **argv)
{
	int i = mobctl_find_cmd(objects, argv[0]);

	if (i < 0) {
		fprintf(stderr, "Command \"%s\" is unknown, try \"mobctl help\".\n",
			argv[0]);
		return MOBCTL_FAIL;
	}
	return objects[i].fn(argc - 1, argv + 1);
}

static int run_batch(const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!in) {
		fprintf(stderr, "Cannot open batch file \"%s\": %s\n", path,
			strerror(errno));
		return MOBCTL_FAIL;
	}
	ret = mobctl_batch(in, path, run_object);
	if (in != stdin)
		fclose(in);
	return ret;
}

/* "-j", "-js", "--json": a non-empty prefix of NAME after one or two '-'. */
static bool is_option(const char *opt, const char *name)
{
	return *opt && !strncmp(opt, name, strlen(opt));
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *batch = NULL;
	const char *opt;
	int ret, err;

	mobctl_out = stdout;
	mobctl_errf = stderr;
	if (getenv("MOBD_SOCKET") && *getenv("MOBD_SOCKET"))
		mobctl_socket = getenv("MOBD_SOCKET");

	for (argc--, argv++; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		opt = argv[0] + 1;
		if (*opt == '-')
			opt++;
		if (!*opt) {			/* "-" or "--": end of options */
			argc--;
			argv++;
			break;
		}
		if (is_option(opt, "json")) {
			mobctl_opts.json = true;
		} else if (is_option(opt, "pretty")) {
			mobctl_opts.pretty = true;
		} else if (is_option(opt, "statistics") ||
			   is_option(opt, "stats")) {
			mobctl_opts.stats++;
		} else if (is_option(opt, "netns")) {
			if (argc < 2) {
				fprintf(stderr, "Option \"%s\" needs a network namespace name.\n",
					argv[0]);
				return MOBCTL_FAIL;
			}
			argc--;
			argv++;
			netns = argv[0];
		} else if (is_option(opt, "control")) {
			if (argc < 2) {
				fprintf(stderr, "Option \"%s\" needs the agent's socket path.\n",
					argv[0]);
				return MOBCTL_FAIL;
			}
			argc--;
			argv++;
			/* virsh's -c URI: a socket path has no "://". */
			if (strstr(argv[0], "://"))
				mobctl_libvirt_uri = argv[0];
			else
				mobctl_socket = argv[0];
		} else if (is_option(opt, "connect")) {
			if (argc < 2) {
				fprintf(stderr, "Option \"%s\" needs a libvirt URI.\n",
					argv[0]);
				return MOBCTL_FAIL;
			}
			argc--;
			argv++;
			mobctl_libvirt_uri = argv[0];
		} else if (is_option(opt, "batch")) {
			if (argc < 2) {
				fprintf(stderr, "Option \"%s\" needs a file name (- for stdin).\n",
					argv[0]);
				return MOBCTL_FAIL;
			}
			argc--;
			argv++;
			batch = argv[0];
		} else if (is_option(opt, "Version")) {
			printf("mobctl %s (mob netlink version %d)\n",
			       MOBCTL_VERSION, MOB_GENL_VERSION);
			return MOBCTL_OK;
		} else if (is_option(opt, "help")) {
			usage(stdout);
			return MOBCTL_OK;
		} else {
			fprintf(stderr, "Option \"%s\" is unknown, try \"mobctl -help\".\n",
				argv[0]);
			return MOBCTL_FAIL;
		}
	}
	if (argc == 0 && !batch) {
		usage(stderr);
		return MOBCTL_FAIL;
	}
	if (argc && batch) {
		fprintf(stderr, "Give either -batch FILE or a command, not both.\n");
		return MOBCTL_FAIL;
	}

	/* Before anything looks up an interface name or opens a socket. */
	if (netns) {
		err = mob_netns_enter(netns);
		if (err) {
			fprintf(stderr, "Cannot enter network namespace \"%s\": %s\n",
				netns, strerror(-err));
			return MOBCTL_FAIL;
		}
	}

	ret = batch ? run_batch(batch) : run_object(argc, argv);
	mobctl_nl_close();
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "Error: cannot write the output: %s\n",
			strerror(errno));
		ret = MOBCTL_FAIL;
	}
	return ret;
}
