/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MOBCTL_H
#define MOBCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "mobnl.h"
#include "output.h"
#include "parse.h"

#ifndef MOBCTL_VERSION
#define MOBCTL_VERSION "0.1"
#endif

/* Exit codes. */
#define MOBCTL_OK	0
#define MOBCTL_FAIL	1

/* How many times "show" starts a dump again after NLM_F_DUMP_INTR. */
#define MOBCTL_DUMP_TRIES 5

struct mobctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

struct mobctl_opts {
	bool json;
	bool pretty;
	int stats;		/* -s given this many times */
};

extern struct mobctl_opts mobctl_opts;
/* stdout and stderr; tests point them at memory. */
extern FILE *mobctl_out;
extern FILE *mobctl_errf;

/* common.c */
int mobctl_find_cmd(const struct mobctl_cmd *cmds, const char *word);
int mobctl_dispatch(const char *object, const struct mobctl_cmd *cmds,
		    const char *default_cmd, int argc, char **argv);
bool mobctl_is_help(const char *word);
void mobctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mobctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct mob_nl *mobctl_nl(void);
void mobctl_nl_close(void);
int mobctl_request_error(int err);
int mobctl_talk(mob_nl_cb cb, void *data);
int mobctl_dump(mob_nl_cb cb, void (*restart)(void *data), void *data);
void mobctl_report_nl_error(const struct mob_nl *h, int err);
int mobctl_parse_kind(int argc, char **argv, uint8_t *kind);
void mobctl_out_init(struct mob_out *o);
int mobctl_out_end(struct mob_out *o);
void mobctl_print_dev(struct mob_out *o, uint32_t ifindex);
void mobctl_format_msec(char *buf, size_t len, uint64_t msec);

/* binding.c */
int do_binding(int argc, char **argv);
int mobctl_binding_parse_new(int argc, char **argv, struct mob_binding_info *b);
void mobctl_print_binding(struct mob_out *o, const struct mob_binding_info *b);
extern const struct mobctl_cmd mobctl_binding_cmds[];

/* alias.c */
int do_alias(int argc, char **argv);
int mobctl_alias_parse_new(int argc, char **argv, struct mob_alias_info *a);
void mobctl_print_alias(struct mob_out *o, const struct mob_alias_info *a,
			bool packets);
extern const struct mobctl_cmd mobctl_alias_cmds[];

/* prefix.c */
int do_prefix(int argc, char **argv);
int mobctl_prefix_parse(int argc, char **argv, struct mob_prefix_info *p);
extern const struct mobctl_cmd mobctl_prefix_cmds[];

/* stats.c */
int do_stats(int argc, char **argv);
void mobctl_print_stats(struct mob_out *o, const struct mob_stats_info *s);

/* config.c */
int do_config(int argc, char **argv);
int mobctl_config_parse_set(int argc, char **argv, uint32_t *max_bindings);
extern const struct mobctl_cmd mobctl_config_cmds[];

/* agentcmd.c: questions to the agent over its control socket */
#ifndef MOBCTL_DEFAULT_SOCKET
#define MOBCTL_DEFAULT_SOCKET "/run/mob/mobd.sock"
#endif
extern const char *mobctl_socket;
int do_vm(int argc, char **argv);
int do_pool(int argc, char **argv);
int do_site(int argc, char **argv);

/* migrate.c: a live migration through libvirt, and its phases */
#ifndef MOBCTL_MOBD_CONF
#define MOBCTL_MOBD_CONF "/etc/mob/mobd.conf"
#endif
#define MOBCTL_XMLNS "http://mob.dev/xmlns/vm/1"	/* agent/mobd/virt.h */
#define MOBCTL_MIG_HOA_MAX 32
extern const char *mobctl_libvirt_uri;	/* -connect URI (-c URI) */
extern const char *mobctl_mobd_conf;	/* where "libvirt = URI" is read */

struct mobctl_migrate_args {
	const char *vm;			/* name or UUID */
	const char *dest;		/* as given */
	char dest_uri[512];		/* as libvirt gets it */
	bool offline, postcopy;
	uint64_t max_downtime_ms;	/* 0: not given */
	uint64_t bandwidth_mib;		/* MiB/s, 0: not given */
	unsigned int timeout_s;		/* 0: none */
};

/* A VM's home addresses, from its libvirt metadata. */
struct mobctl_hoas {
	int n;
	int family[MOBCTL_MIG_HOA_MAX];
	union mob_ip addr[MOBCTL_MIG_HOA_MAX];
};

int do_migrate(int argc, char **argv);
int mobctl_migrate_parse(int argc, char **argv, struct mobctl_migrate_args *a);
int mobctl_migrate_conf_uri(const char *path, char *uri, size_t len);
int mobctl_migrate_hoas(const char *xml, struct mobctl_hoas *h);
bool mobctl_migrate_concerns(const struct mob_msg *m,
			     const struct mobctl_hoas *h);
void mobctl_migrate_print_change(struct mob_out *o, const struct mob_msg *m);

/* batch.c */
int mobctl_batch_split(char *line, char **argv, int max);
int mobctl_batch(FILE *in, const char *name,
		 int (*run)(int argc, char **argv));

/* monitor.c */
int do_monitor(int argc, char **argv);
int mobctl_print_event(struct mob_out *o, const struct nlmsghdr *nlh);

#endif /* MOBCTL_H */
