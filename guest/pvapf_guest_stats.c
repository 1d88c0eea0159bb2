// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_guest_stats.c - the guest's APF counters in debugfs.
 *
 * /sys/kernel/debug/pvapf/guest_counters holds one "name value" line per
 * counter. The layout is stable: lines are only ever appended, never renamed,
 * reordered or removed, so tools may parse by name or by position.
 *
 *   not_present          NOT_PRESENT tokens a task parked on (or tried to)
 *   ready                READY tokens that woke a task or were remembered
 *   woken_before_wait    READY won the race; the task did not sleep
 *   emergency_uses       per-cpu emergency nodes used (each paused APF on a cpu)
 *   paused_periods       such pauses that have ended
 *   wake_all             wake-all events (host re-enable, reset, migration)
 *   sleepers_current     tasks asleep on a token now
 *   sleepers_peak        most tasks ever asleep at once
 *   spurious_tokens      tokens 0/~0, duplicate READYs, duplicate waits
 *   deferred_wakes       READYs left un-ACKed for lack of a node
 *   dummies_current      READYs remembered, waiting for their task
 *   late_readies         READYs whose task a pause or wake-all had woken
 *   kernel_mode_faults   NOT_PRESENT in kernel mode or with irqs off (retried)
 *   killed_waits         sleeps ended by a fatal signal
 *   lapic_disabled       enables skipped because the LAPIC was disabled
 *   bad_reason           async #PF with an unknown reason (ignored)
 *   empty_ready          READY interrupts with no token in the slot
 *   retried_readies      deferred READYs retried from the work item
 *   cpus_enabled         cpus with APF enabled now
 *   cpus_paused          cpus with their emergency node out now
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>

#include "pvapf_guest_internal.h"

static int pvapf_guest_counters_show(struct seq_file *m, void *unused)
{
	struct pvapf_guest_events *ev = &pvapf_guest_events;
	struct pvapf_tt_counters c;

	pvapf_tt_read_counters(&pvapf_guest_table, &c);
	seq_printf(m, "not_present %llu\n", c.not_present);
	seq_printf(m, "ready %llu\n", c.ready);
	seq_printf(m, "woken_before_wait %llu\n", c.woken_before_wait);
	seq_printf(m, "emergency_uses %llu\n", c.emergency_uses);
	seq_printf(m, "paused_periods %llu\n", c.paused_periods);
	seq_printf(m, "wake_all %llu\n", c.wake_all);
	seq_printf(m, "sleepers_current %llu\n", c.sleepers_current);
	seq_printf(m, "sleepers_peak %llu\n", c.sleepers_peak);
	seq_printf(m, "spurious_tokens %llu\n", c.spurious_tokens);
	seq_printf(m, "deferred_wakes %llu\n", c.deferred_wakes);
	seq_printf(m, "dummies_current %llu\n", c.dummies_current);
	seq_printf(m, "late_readies %llu\n", c.late_readies);
	seq_printf(m, "kernel_mode_faults %ld\n", atomic_long_read(&ev->kernel_mode_faults));
	seq_printf(m, "killed_waits %ld\n", atomic_long_read(&ev->killed_waits));
	seq_printf(m, "lapic_disabled %ld\n", atomic_long_read(&ev->lapic_disabled));
	seq_printf(m, "bad_reason %ld\n", atomic_long_read(&ev->bad_reason));
	seq_printf(m, "empty_ready %ld\n", atomic_long_read(&ev->empty_ready));
	seq_printf(m, "retried_readies %ld\n", atomic_long_read(&ev->retried_readies));
	seq_printf(m, "cpus_enabled %d\n", pvapf_guest_cpus_enabled());
	seq_printf(m, "cpus_paused %d\n", pvapf_guest_cpus_paused());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvapf_guest_counters);

static int __init pvapf_guest_stats_init(void)
{
	struct dentry *dir;

	/* No table, no counters; pairs with the release in pvapf_guest_late_init(). */
	if (!smp_load_acquire(&pvapf_guest_ready))
		return 0;
	dir = debugfs_create_dir("pvapf", NULL);
	debugfs_create_file("guest_counters", 0444, dir, NULL, &pvapf_guest_counters_fops);
	return 0;
}
late_initcall(pvapf_guest_stats_init);
