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
#include <linux/stddef.h>

#include "pvapf_guest_internal.h"

/* Name and place of each counter, in the documented (append-only) order. */
#define PVAPF_TT_FIELD(f) { #f, offsetof(struct pvapf_tt_counters, f) }
#define PVAPF_EV_FIELD(f) { #f, offsetof(struct pvapf_guest_events, f) }

struct pvapf_guest_field {
	const char *name;
	size_t offset;
};

static const struct pvapf_guest_field pvapf_tt_fields[] = {
	PVAPF_TT_FIELD(not_present),
	PVAPF_TT_FIELD(ready),
	PVAPF_TT_FIELD(woken_before_wait),
	PVAPF_TT_FIELD(emergency_uses),
	PVAPF_TT_FIELD(paused_periods),
	PVAPF_TT_FIELD(wake_all),
	PVAPF_TT_FIELD(sleepers_current),
	PVAPF_TT_FIELD(sleepers_peak),
	PVAPF_TT_FIELD(spurious_tokens),
	PVAPF_TT_FIELD(deferred_wakes),
	PVAPF_TT_FIELD(dummies_current),
	PVAPF_TT_FIELD(late_readies),
};

static const struct pvapf_guest_field pvapf_ev_fields[] = {
	PVAPF_EV_FIELD(kernel_mode_faults),
	PVAPF_EV_FIELD(killed_waits),
	PVAPF_EV_FIELD(lapic_disabled),
	PVAPF_EV_FIELD(bad_reason),
	PVAPF_EV_FIELD(empty_ready),
	PVAPF_EV_FIELD(retried_readies),
};

static int pvapf_guest_counters_show(struct seq_file *m, void *unused)
{
	struct pvapf_tt_counters c;
	int i;

	pvapf_tt_read_counters(&pvapf_guest_table, &c);
	for (i = 0; i < ARRAY_SIZE(pvapf_tt_fields); i++)
		seq_printf(m, "%s %llu\n", pvapf_tt_fields[i].name,
			   *(u64 *)((char *)&c + pvapf_tt_fields[i].offset));
	for (i = 0; i < ARRAY_SIZE(pvapf_ev_fields); i++)
		seq_printf(m, "%s %ld\n", pvapf_ev_fields[i].name,
			   atomic_long_read((atomic_long_t *)((char *)&pvapf_guest_events +
							      pvapf_ev_fields[i].offset)));
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
