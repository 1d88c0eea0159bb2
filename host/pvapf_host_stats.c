// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_stats.c - counters in debugfs, next to KVM's own per-VM and
 * per-vCPU files:
 *   /sys/kernel/debug/kvm/<pid>-<fd>/pvapf_counters        (sum over vCPUs)
 *   /sys/kernel/debug/kvm/<pid>-<fd>/vcpu<N>/pvapf_counters
 * One "name value" per line.  The layout is stable: lines are only ever
 * appended, never renamed or reordered (host/README.md "Counters").  The
 * counters are PVAPF_HOST_COUNTERS (pvapf_host_state.h), kept in KVM's
 * per-vCPU statistics (vcpu->stat.pvapf, also read by KVM_GET_STATS_FD); the
 * lines after them are derived here.
 */
#include <linux/debugfs.h>
#include <linux/kvm_host.h>
#include <linux/seq_file.h>

#include "pvapf_host_internal.h"

/* A peak (the kind's KVM type) combines over vCPUs as the largest, the rest as the sum. */
#define PVAPF_STAT_TYPE(type, ...)	type
#define PVAPF_STAT_TYPE_OF(...)		PVAPF_STAT_TYPE(__VA_ARGS__)
#define PVAPF_HC(id, name, kind)	\
	[PVAPF_HC_##id] = { #name, PVAPF_STAT_TYPE_OF(PVAPF_STAT_##kind) == KVM_STATS_TYPE_PEAK }
static const struct {
	const char *name;
	bool peak;
} pvapf_counters[PVAPF_HC_NR] = {
	PVAPF_HOST_COUNTERS
};

#undef PVAPF_HC

static void pvapf_show_counters(struct seq_file *m, const u64 *c, unsigned int outstanding)
{
	unsigned int i;
	u64 n = c[PVAPF_HC_SWAPIN_SAMPLES];

	for (i = 0; i < PVAPF_HC_NR; i++)
		seq_printf(m, "%s %llu\n", pvapf_counters[i].name, c[i]);
	seq_printf(m, "outstanding %u\n", outstanding);
	seq_printf(m, "swapin_ns_mean %llu\n",
		   n ? div64_u64(c[PVAPF_HC_SWAPIN_NS_TOTAL], n) : 0);
}

static int pvapf_vcpu_show(struct seq_file *m, void *unused)
{
	struct kvm_vcpu *vcpu = m->private;
	u64 c[PVAPF_HC_NR];
	unsigned int i;

	for (i = 0; i < PVAPF_HC_NR; i++)
		c[i] = READ_ONCE(vcpu->stat.pvapf[i]);
	pvapf_show_counters(m, c, READ_ONCE(pvapf_vcpu(vcpu)->outstanding));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvapf_vcpu);

static int pvapf_vm_show(struct seq_file *m, void *unused)
{
	struct kvm *kvm = m->private;
	struct pvapf_host_vm *vm = pvapf_vm(kvm);
	unsigned int outstanding = 0;
	struct kvm_vcpu *vcpu;
	u64 c[PVAPF_HC_NR] = {};
	unsigned long v;
	unsigned int i;

	kvm_for_each_vcpu(v, vcpu, kvm) {
		const u64 *vc = vcpu->stat.pvapf;

		for (i = 0; i < PVAPF_HC_NR; i++) {
			if (pvapf_counters[i].peak)
				c[i] = max(c[i], READ_ONCE(vc[i]));
			else
				c[i] += READ_ONCE(vc[i]);
		}
		outstanding += READ_ONCE(pvapf_vcpu(vcpu)->outstanding);
	}
	pvapf_show_counters(m, c, outstanding);
	seq_printf(m, "policy %s\n", pvapf_policy_name(READ_ONCE(vm->policy)));
	seq_printf(m, "swapin_ewma_ns %llu\n", READ_ONCE(vm->swapin_ewma_ns));
	seq_printf(m, "round_trip_ns %llu\n", pvapf_round_trip_ns(kvm));
	if (IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS)) {
		seq_printf(m, "debug_reclaim_left %d\n", atomic_read(&vm->debug_reclaim_left));
		seq_printf(m, "debug_lose_left %d\n", atomic_read(&vm->debug_lose_left));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvapf_vm);

void pvapf_host_vm_debugfs(struct kvm *kvm)
{
	debugfs_create_file("pvapf_counters", 0400, kvm->debugfs_dentry, kvm,
			    &pvapf_vm_fops);
}

void pvapf_host_vcpu_debugfs(struct kvm_vcpu *vcpu, struct dentry *dir)
{
	debugfs_create_file("pvapf_counters", 0400, dir, vcpu, &pvapf_vcpu_fops);
}
