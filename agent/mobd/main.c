// SPDX-License-Identifier: GPL-2.0
/*
 * mobd: the mob agent.  Wires the kernel, host networking, libvirt, the
 * directory and the control socket to the state machine in agent.c, and
 * runs libvirt's event loop until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <systemd/sd-daemon.h>

#include "agent.h"
#include "config.h"
#include "ctl.h"
#include "hostnet.h"
#include "kern.h"
#include "log.h"
#include "virt.h"

#define DEFAULT_CONFIG "/etc/mob/mobd.conf"

static struct {
	struct mobd_config cfg;
	struct mobd_agent *agent;
	struct mobd_kern *kern;
	struct mobd_hostnet *hostnet;
	struct mobd_virt *virt;
	struct mobd_ctl *ctl;
	volatile int stop;
} g;

/* The data plane: the kernel module and the host's routing. */

static int dp_set(void *ctx, const struct mob_binding_info *b)
{
	return mobd_kern_set(g.kern, b);
}

static int dp_del(void *ctx, int family, const union mob_ip *hoa)
{
	return mobd_kern_del(g.kern, family, hoa);
}

static int dp_alias_set(void *ctx, const struct mob_alias_info *a)
{
	return mobd_kern_alias_set(g.kern, a);
}

static int dp_alias_del(void *ctx, int family, const union mob_ip *moa)
{
	return mobd_kern_alias_del(g.kern, family, moa);
}

static int dp_dump(void *ctx,
		   void (*cb)(void *arg, const struct mob_binding_info *b),
		   void (*restart)(void *arg), void *arg)
{
	return mobd_kern_dump(g.kern, cb, restart, arg);
}

static int dp_sync_prefixes(void *ctx, const struct mobd_home *homes, int n)
{
	return mobd_kern_sync_prefixes(g.kern, homes, n);
}

static int dp_port_up(void *ctx, uint32_t ifindex, const struct mobd_home *h)
{
	return mobd_hostnet_port_up(g.hostnet, ifindex, h);
}

static int dp_route_add(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *hoa)
{
	return mobd_hostnet_route_add(g.hostnet, ifindex, family, hoa);
}

static int dp_route_del(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *hoa)
{
	return mobd_hostnet_route_del(g.hostnet, ifindex, family, hoa);
}

static int dp_proxy_add(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *addr)
{
	return mobd_hostnet_proxy_add(g.hostnet, ifindex, family, addr);
}

static int dp_proxy_del(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *addr)
{
	return mobd_hostnet_proxy_del(g.hostnet, ifindex, family, addr);
}

static int dp_neigh_add(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *addr, const uint8_t mac[6])
{
	return mobd_hostnet_neigh_add(g.hostnet, ifindex, family, addr, mac);
}

static int dp_neigh_del(void *ctx, uint32_t ifindex, int family,
			const union mob_ip *addr)
{
	return mobd_hostnet_neigh_del(g.hostnet, ifindex, family, addr);
}

static uint32_t dp_ifindex(void *ctx, const char *name)
{
	return if_nametoindex(name);
}

static int dp_ifname(void *ctx, uint32_t ifindex, char *name)
{
	return if_indextoname(ifindex, name) ? 0 : -errno;
}

static const struct mobd_dataplane dataplane = {
	.set = dp_set, .del = dp_del, .dump = dp_dump,
	.alias_set = dp_alias_set, .alias_del = dp_alias_del,
	.sync_prefixes = dp_sync_prefixes, .port_up = dp_port_up,
	.route_add = dp_route_add, .route_del = dp_route_del,
	.proxy_add = dp_proxy_add, .proxy_del = dp_proxy_del,
	.neigh_add = dp_neigh_add, .neigh_del = dp_neigh_del,
	.ifindex = dp_ifindex, .ifname = dp_ifname,
};

/* Callbacks into the agent. */

static void kern_event(void *arg, const struct mob_msg *m)
{
	mobd_agent_kernel_event(g.agent, m);
}

static void kern_overrun(void *arg)
{
	mobd_agent_kernel_overrun(g.agent);
}

static const struct mobd_kern_ops kern_ops = {
	.event = kern_event,
	.overrun = kern_overrun,
};

static void virt_domain(void *arg, const struct mobd_domain *d)
{
	mobd_agent_domain(g.agent, d);
}

static void virt_connected(void *arg)
{
	mobd_agent_virt_connected(g.agent);
}

static void virt_disconnected(void *arg)
{
	mobd_agent_virt_disconnected(g.agent);
}

static const struct mobd_virt_ops virt_ops = {
	.domain = virt_domain,
	.connected = virt_connected,
	.disconnected = virt_disconnected,
};

static struct json_object *ctl_request(void *arg, const char *line)
{
	static const char *const views[][2] = {
		{ "show vms", "vms" }, { "show pool", "pool" },
		{ "show sites", "sites" },
	};
	struct json_object *o;
	size_t i;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(line, views[i][0]))
			return mobd_agent_show(g.agent, views[i][1]);
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(
				       "unknown request"));
	return o;
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping (the data plane keeps its state)",
			 si.ssi_signo);
		g.stop = 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mobd [OPTIONS]\n"
		"\n"
		"The mob agent: keeps this hypervisor's HoA <-> MoA bindings\n"
		"right as VMs start, stop and move.  See mobd(8).\n"
		"\n"
		"  -c, --config FILE     configuration (default %s)\n"
		"  -f, --foreground      do not detach (systemd runs it so)\n"
		"  -t, --check-config    read the configuration, report, exit\n"
		"  -l, --log-level LVL   err, warning, notice, info, debug\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            this text\n",
		DEFAULT_CONFIG);
}

/*
 * Detach (without --foreground): the parent exits only once the child is
 * ready, with the child's verdict, so "mobd && next" is reliable.
 */
static int ready_fd = -1;

static int detach(void)
{
	int p[2], status = 1;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1 && c == 'R')
			status = 0;
		_exit(status);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

static void report_ready(void)
{
	sd_notifyf(0, "READY=1\nSTATUS=running as %s", g.cfg.hypervisor);
	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) != 1)
			log_warn("could not tell the parent we are ready");
		close(ready_fd);
		ready_fd = -1;
		/* Errors until now went to the caller's terminal; from now
		 * on nothing holds it (or its pipe) open. */
		mobd_log_set_syslog(1);
		if (!freopen("/dev/null", "r", stdin) ||
		    !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			log_warn("/dev/null: %s", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	int opt, err, sfd, level = -1, rc = 1;
	bool foreground = false, check = false;
	char msg[512];
	sigset_t mask;

	while ((opt = getopt_long(argc, argv, "c:ftl:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'l':
			level = mobd_log_parse_level(optarg);
			if (level < 0) {
				fprintf(stderr, "mobd: unknown log level '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'V':
			printf("mobd %s\n", MOBD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mobd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	mobd_log_set_journal(getenv("JOURNAL_STREAM") != NULL);
	mobd_config_defaults(&g.cfg);
	err = mobd_config_load(&g.cfg, config, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "mobd: %s\n", msg);
		return 1;
	}
	if (check) {
		printf("%s: ok (hypervisor %s, %d pool range(s), %d home "
		       "prefix(es), %s)\n", config, g.cfg.hypervisor,
		       g.cfg.n_pools, g.cfg.n_homes,
		       g.cfg.n_etcd ? "directory" : "single-hypervisor mode");
		return 0;
	}
	mobd_log_set_level(level >= 0 ? level : g.cfg.log_level);
	if (mkdir(g.cfg.state_dir, 0750) < 0 && errno != EEXIST)
		log_warn("state directory %s: %s", g.cfg.state_dir,
			 strerror(errno));
	if (!foreground && detach() < 0) {
		fprintf(stderr, "mobd: cannot detach: %s\n", strerror(errno));
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (virEventRegisterDefaultImpl() < 0 || sfd < 0 ||
	    virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, NULL,
			      NULL) < 0) {
		log_err("cannot set up the event loop");
		return 1;
	}

	err = mobd_kern_open(&g.kern, &kern_ops, NULL);
	if (err) {
		log_err("kernel: %s", err == -EPROTONOSUPPORT ?
			"the mob module is not loaded (modprobe mob)" :
			strerror(-err));
		goto out;
	}
	err = mobd_hostnet_open(&g.hostnet);
	if (err) {
		log_err("host networking: %s", strerror(-err));
		goto out;
	}
	err = mobd_agent_new(&g.agent, &g.cfg, &dataplane);
	if (err) {
		log_err("agent: %s", strerror(-err));
		goto out;
	}
	err = mobd_agent_start(g.agent);
	if (err)
		goto out;
	err = mobd_ctl_open(&g.ctl, g.cfg.control_socket, g.cfg.control_group,
			    ctl_request, NULL);
	if (err) {
		log_err("control socket %s: %s", g.cfg.control_socket,
			strerror(-err));
		goto out;
	}
	if (g.cfg.libvirt_uri[0]) {
		err = mobd_virt_open(&g.virt, g.cfg.libvirt_uri, &virt_ops, NULL);
		if (err) {
			log_err("libvirt: %s", strerror(-err));
			goto out;
		}
	} else {
		mobd_agent_no_virt(g.agent);
	}
	log_info("running as %s, %s, libvirt %s, learning from %s",
		 g.cfg.hypervisor, g.cfg.n_etcd ? "with the directory" :
		 "single-hypervisor mode", g.cfg.libvirt_uri[0] ?
		 g.cfg.libvirt_uri : "off",
		 g.cfg.learn == MOBD_LEARN_ARP ? "metadata and ARP" :
		 "metadata");
	report_ready();
	while (!g.stop)
		if (virEventRunDefaultImpl() < 0)
			break;
	rc = 0;
	sd_notify(0, "STOPPING=1");
out:
	mobd_virt_close(g.virt);
	mobd_ctl_close(g.ctl);
	mobd_agent_free(g.agent);
	mobd_hostnet_close(g.hostnet);
	mobd_kern_close(g.kern);
	return rc;
}
