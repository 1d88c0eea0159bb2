// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_guest_watchdog.c - report tasks asleep on a token for too long.
 *
 * A READY that never comes leaves its task asleep for good, and silently:
 * the sleep is killable, which the hung-task detector skips. Every public
 * async-PF hang report is that, found by hand. So a delayed work walks the
 * token table every half bound and reports each task asleep longer than
 * the bound, once per wait, with the state of the cpu its NOT_PRESENT came
 * on and of the table; long_waits counts them. A slow swap device can make
 * a long wait legitimate, so this is a report (at hung_task's level), not a WARN.
 *
 * The bound is debugfs pvapf/wait_warn_secs: 120 s as hung_task's, 0 = off.
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "pvapf_guest_internal.h"

/* Waits reported (debugfs line long_waits). */
atomic_long_t pvapf_guest_long_waits;

static unsigned int pvapf_wait_warn_secs = 120;

struct pvapf_watchdog_walk {
	unsigned long now;
	unsigned long bound;
	unsigned int reported;
};

/* Under the waiter's bucket lock: the task cannot finish its wait meanwhile. */
static void pvapf_watchdog_visit(struct pvapf_tt_node *n, void *arg)
{
	struct pvapf_watchdog_walk *w = arg;
	struct pvapf_guest_cpu *c = per_cpu_ptr(&pvapf_guest_cpu, n->cpu);
	struct task_struct *t = n->env;

	if (n->reported || time_before(w->now, n->since + w->bound))
		return;
	n->reported = true;
	w->reported++;
	atomic_long_inc(&pvapf_guest_long_waits);
	pr_err("pvapf: %s:%d asleep %u s on token %#x from cpu %d (there: apf %s%s%s, slot %#x)\n",
	       t->comm, task_pid_nr(t), jiffies_to_msecs(w->now - n->since) / MSEC_PER_SEC,
	       n->token, n->cpu, READ_ONCE(c->sw.enabled) ? "on" : "off",
	       READ_ONCE(c->sw.paused) ? ", paused" : "", READ_ONCE(c->sw.down) ? ", down" : "",
	       READ_ONCE(per_cpu(pvapf_guest_area, n->cpu).token));
}

static void pvapf_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pvapf_watchdog_work, pvapf_watchdog_fn);

/* Off (0), the work stops; setting a bound queues it again. */
static void pvapf_watchdog_fn(struct work_struct *work)
{
	unsigned int secs = READ_ONCE(pvapf_wait_warn_secs);
	struct pvapf_watchdog_walk w = { .now = jiffies, .bound = secs * HZ };
	struct pvapf_tt_counters c;

	if (!secs)
		return;
	pvapf_tt_walk_waiters(&pvapf_guest_table, pvapf_watchdog_visit, &w);
	if (w.reported) {
		pvapf_tt_read_counters(&pvapf_guest_table, &c);
		pr_err("pvapf: table: %llu asleep, %llu READY-before-wait nodes, %llu late READYs, %llu wake-alls; cpus: %d APF on, %d paused\n",
		       c.sleepers_current, c.dummies_current, c.late_readies, c.wake_all,
		       pvapf_guest_cpus_enabled(), pvapf_guest_cpus_paused());
	}
	queue_delayed_work(system_unbound_wq, &pvapf_watchdog_work, max(secs / 2, 1U) * HZ);
}

static int pvapf_wait_warn_get(void *data, u64 *val)
{
	*val = READ_ONCE(pvapf_wait_warn_secs);
	return 0;
}

/* A new bound applies now, not after the old period. */
static int pvapf_wait_warn_set(void *data, u64 val)
{
	if (val > UINT_MAX / HZ)
		return -EINVAL;
	WRITE_ONCE(pvapf_wait_warn_secs, val);
	mod_delayed_work(system_unbound_wq, &pvapf_watchdog_work, 0);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvapf_wait_warn_fops, pvapf_wait_warn_get, pvapf_wait_warn_set, "%llu\n");

void __init pvapf_guest_watchdog_init(struct dentry *dir)
{
	debugfs_create_file_unsafe("wait_warn_secs", 0644, dir, NULL, &pvapf_wait_warn_fops);
	queue_delayed_work(system_unbound_wq, &pvapf_watchdog_work, 0);
}
