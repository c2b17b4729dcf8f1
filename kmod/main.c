// SPDX-License-Identifier: GPL-2.0
/*
 * mob: stateless HoA <-> MoA translation at the hypervisor edge, so that a
 * VM keeps its address when it live-migrates to another subnet or site.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "mob.h"

unsigned int mob_net_id __read_mostly;
/* Set first thing on unload: no event may go out on a family being torn down. */
bool mob_unloading;

unsigned int mob_default_max_bindings = 65536;
module_param_named(max_bindings, mob_default_max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings,
		 "Maximum bindings of a new network namespace (default 65536)");

/*
 * Bindings, aliases, prefix sets, hook arrays and namespace states alive
 * now; zero once every namespace has been cleaned up.  The tests read it
 * from debugfs (mob/objects) to prove that nothing leaks.
 */
atomic_t mob_live_objects = ATOMIC_INIT(0);
static struct dentry *mob_debugfs;

static int __net_init mob_net_init(struct net *net)
{
	struct mob_net *mn = mob_pernet(net);
	int err;

	mn->net = net;
	mutex_init(&mn->lock);
	mn->gen = 1;
	mn->max_bindings = clamp(READ_ONCE(mob_default_max_bindings), 1U,
				 MOB_BINDINGS_LIMIT);
	ratelimit_state_init(&mn->neigh_rs, HZ, 500);
	ratelimit_state_init(&mn->unknown_rs, HZ, 50);
	/* Counted, never printed: a flood must not spam the log. */
	ratelimit_set_flags(&mn->neigh_rs, RATELIMIT_MSG_ON_RELEASE);
	ratelimit_set_flags(&mn->unknown_rs, RATELIMIT_MSG_ON_RELEASE);
	mn->stats = alloc_percpu(struct mob_pcpu_stats);
	if (!mn->stats)
		return -ENOMEM;
	err = mob_table_init(mn);
	if (err) {
		free_percpu(mn->stats);
		return err;
	}
	atomic_inc(&mob_live_objects);
	return 0;
}

/*
 * Hooks go first, in pre_exit: the core waits a grace period between
 * pre_exit and exit, so no packet can still be in a hook when exit frees
 * the tables it reads.  The aliases' expiry work stops here too, while the
 * namespace can still hear its events; it takes mn->lock, so it is
 * cancelled before that is taken, and it no longer re-arms once dying is
 * set.
 */
static void __net_exit mob_net_pre_exit(struct net *net)
{
	struct mob_net *mn = mob_pernet(net);

	WRITE_ONCE(mn->dying, true);
	cancel_delayed_work_sync(&mn->alias_gc);
	mutex_lock(&mn->lock);
	mob_hooks_unregister(mn);
	mutex_unlock(&mn->lock);
}

static void __net_exit mob_net_exit(struct net *net)
{
	struct mob_net *mn = mob_pernet(net);

	mob_table_destroy(mn);
	free_percpu(mn->stats);
	mutex_destroy(&mn->lock);
	atomic_dec(&mob_live_objects);
}

static struct pernet_operations mob_net_ops = {
	.init = mob_net_init,
	.pre_exit = mob_net_pre_exit,
	.exit = mob_net_exit,
	.id = &mob_net_id,
	.size = sizeof(struct mob_net),
};

static int objects_get(void *data, u64 *val)
{
	*val = atomic_read(&mob_live_objects);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(objects_fops, objects_get, NULL, "%llu\n");

static int __init mob_init(void)
{
	int err;

	err = mob_table_cache_init();
	if (err)
		return err;
	err = register_pernet_subsys(&mob_net_ops);
	if (err)
		goto err_pernet;
	err = mob_genl_init();
	if (err)
		goto err_genl;
	err = mob_events_init();
	if (err)
		goto err_events;

	mob_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file_unsafe("objects", 0400, mob_debugfs, NULL,
				   &objects_fops);
	pr_info("loaded; netlink family \"%s\" version %d\n", MOB_GENL_NAME,
		MOB_GENL_VERSION);
	return 0;

err_events:
	mob_genl_exit();
err_genl:
	unregister_pernet_subsys(&mob_net_ops);
err_pernet:
	mob_table_cache_exit();
	return err;
}

/*
 * The order matters.  Once mob_unloading is set and a grace period has
 * passed, nothing sends on the family any more: the packet path and the
 * aliases' expiry work test the flag under RCU before they send.  Only
 * then do the family and the taps go; unregistering the pernet operations
 * runs pre_exit for every namespace, which cancels its expiry work, and
 * exit, which frees its tables; the last RCU callbacks free what was
 * deleted before.
 */
static void __exit mob_exit(void)
{
	WRITE_ONCE(mob_unloading, true);
	synchronize_net();
	debugfs_remove(mob_debugfs);
	mob_events_exit();
	mob_genl_exit();
	unregister_pernet_subsys(&mob_net_ops);
	/* Bindings and aliases replaced or deleted may still wait in call_rcu. */
	rcu_barrier();
	if (atomic_read(&mob_live_objects))
		pr_err("%d objects leaked\n", atomic_read(&mob_live_objects));
	mob_table_cache_exit();
}

module_init(mob_init);
module_exit(mob_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stateless HoA <-> MoA translation for migrating VMs");
MODULE_ALIAS_GENL_FAMILY(MOB_GENL_NAME);
