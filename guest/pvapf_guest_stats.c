// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_guest_stats.c - the guest's APF counters in debugfs.
 *
 * /sys/kernel/debug/pvapf/guest_counters holds one "name value" line per
 * counter. The layout is stable: lines are only ever appended, never renamed,
 * reordered or removed, so tools may parse by name or by position
 * (guest/README.md "Counters"). The lines are PVAPF_TT_COUNTERS
 * (pvapf_token_table.h), then PVAPF_GUEST_EVENTS (pvapf_guest_internal.h),
 * then cpus_enabled, cpus_paused, pause_retries and long_waits.
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>

#include "pvapf_guest_internal.h"

/* Name and place of each counter, in the documented (append-only) order. */
struct pvapf_guest_field {
	const char *name;
	size_t offset;
};

#define PVAPF_TT_COUNTER(f)	{ #f, offsetof(struct pvapf_tt_counters, f) }
static const struct pvapf_guest_field pvapf_tt_fields[] = {
	PVAPF_TT_COUNTERS
};

#undef PVAPF_TT_COUNTER

#define PVAPF_GUEST_EVENT(f)	{ #f, offsetof(struct pvapf_guest_events, f) }
static const struct pvapf_guest_field pvapf_ev_fields[] = {
	PVAPF_GUEST_EVENTS
};

#undef PVAPF_GUEST_EVENT

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
	seq_printf(m, "pause_retries %ld\n", atomic_long_read(&pvapf_guest_pause_retries));
	seq_printf(m, "long_waits %ld\n", atomic_long_read(&pvapf_guest_long_waits));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvapf_guest_counters);

static int __init pvapf_guest_stats_init(void)
{
	struct dentry *dir;

	/* No table, no counters; pairs with the release in pvapf_guest_late_init(). */
	if (!smp_load_acquire(&pvapf_guest_table_published))
		return 0;
	dir = debugfs_create_dir("pvapf", NULL);
	debugfs_create_file("guest_counters", 0444, dir, NULL, &pvapf_guest_counters_fops);
	pvapf_guest_watchdog_init(dir);
	return 0;
}
late_initcall(pvapf_guest_stats_init);
