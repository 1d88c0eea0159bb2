/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_host.h - what x86 KVM calls in the pvapf host (the hook patch's
 * side of the interface).  Everything else is internal to arch/x86/kvm/pvapf.
 */
#ifndef _PVAPF_HOST_H
#define _PVAPF_HOST_H

#include <linux/kvm_host.h>

struct kvm_page_fault;

/* kvm.ko load and unload. */
int pvapf_host_init(void);
void pvapf_host_exit(void);

/* VM and vCPU lifecycle. */
void pvapf_host_vm_init(struct kvm *kvm);
int pvapf_host_vm_post_init(struct kvm *kvm);
void pvapf_host_vm_destroy(struct kvm *kvm);
void pvapf_host_vm_debugfs(struct kvm *kvm);
void pvapf_host_vcpu_init(struct kvm_vcpu *vcpu);
void pvapf_host_vcpu_reset(struct kvm_vcpu *vcpu);
void pvapf_host_vcpu_debugfs(struct kvm_vcpu *vcpu, struct dentry *dir);

/* MSR_KVM_ASYNC_PF_{EN,INT,ACK}: 0, 1 (#GP) or KVM_MSR_RET_UNSUPPORTED. */
int pvapf_host_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host_initiated);
int pvapf_host_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data);

/*
 * Fault path: called when the page backing @fault needs I/O.  True: an async
 * fault was started and the guest got NOT_PRESENT, or the vCPU halts
 * (KVM_REQ_APF_HALT) until the page is in or an interrupt comes: retry the
 * instruction.  False: fault the page in synchronously, then call
 * pvapf_host_sync_done().
 */
bool pvapf_host_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
/* The non-blocking fault succeeded; @majflt_before is current->maj_flt before it. */
void pvapf_host_fault_inline(struct kvm_vcpu *vcpu, unsigned long majflt_before);
void pvapf_host_sync_done(struct kvm_vcpu *vcpu);

/* KVM_REQ_APF_READY: deliver completed faults (READY) the guest can take. */
void pvapf_host_deliver_ready(struct kvm_vcpu *vcpu);
/* A completed fault waits for delivery, or ends a halt: the vCPU must not stay blocked. */
bool pvapf_host_has_ready(struct kvm_vcpu *vcpu);

/*
 * KVM's binary statistics of a vCPU (KVM_GET_STATS_FD, read by QEMU's
 * query-stats): kvm_vcpu_stats_desc[] expands PVAPF_HOST_COUNTERS with
 * PVAPF_HC as PVAPF_HC_STATS_DESC, one descriptor per counter named
 * "pvapf_<name>"; the counters live in vcpu->stat.pvapf.  The kind gives
 * type, unit and exponent.
 */
#define PVAPF_STAT_COUNT	PVAPF_LIST(KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_NONE, 0)
#define PVAPF_STAT_NS		PVAPF_LIST(KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_SECONDS, -9)
#define PVAPF_STAT_NS_PEAK	PVAPF_LIST(KVM_STATS_TYPE_PEAK, KVM_STATS_UNIT_SECONDS, -9)
#define PVAPF_STATS_KIND(type, unit, exp)	\
	STATS_DESC_COMMON(type, unit, KVM_STATS_BASE_POW10, exp, 1, 0)
/* a kind's three arguments are split only after it is expanded */
#define PVAPF_STATS_DESC_COMMON(...)	PVAPF_STATS_KIND(__VA_ARGS__)
#define PVAPF_HC_STATS_DESC(id, stat, kind)					\
{										\
	PVAPF_STATS_DESC_COMMON(PVAPF_STAT_##kind),				\
	.offset = offsetof(struct kvm_vcpu_stat, pvapf[PVAPF_HC_##id]),		\
	.name = "pvapf_" #stat,							\
}

#endif /* _PVAPF_HOST_H */
