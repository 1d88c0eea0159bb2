/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_host_internal.h - shared between the pvapf host files only.
 */
#ifndef _PVAPF_HOST_INTERNAL_H
#define _PVAPF_HOST_INTERNAL_H

#include <linux/kvm_host.h>
#include <linux/workqueue.h>
#include <pvapf_abi.h>

#include "pvapf_host.h"

enum pvapf_host_policy {
	PVAPF_POLICY_OFF,
	PVAPF_POLICY_ALWAYS,
	PVAPF_POLICY_ADAPTIVE,
	PVAPF_POLICY_NR
};

#define PVAPF_HOST_MAX_OUTSTANDING_DEFAULT	64
#define PVAPF_HOST_MAX_OUTSTANDING_LIMIT	1024

/*
 * Why a fault that needs I/O is handled synchronously: PVAPF_SYNC(enum
 * suffix, name in the pvapf_host_sync tracepoint); each is counted in
 * PVAPF_HC_SYNC_<suffix>.  The enum, the tracepoint's names and the counter
 * of each reason are all made from this list, so they cannot disagree (a
 * new reason also wants its TRACE_DEFINE_ENUM in pvapf_host_trace.h).
 */
#define PVAPF_HOST_SYNC_REASONS						\
	PVAPF_LIST(PVAPF_SYNC(POLICY_OFF,	off),			\
		   PVAPF_SYNC(CANNOT_DELIVER,	cannot_deliver),	\
		   PVAPF_SYNC(QUEUE_FULL,	queue_full),		\
		   PVAPF_SYNC(REPEATED,		repeated),		\
		   PVAPF_SYNC(ADAPTIVE,		adaptive),		\
		   PVAPF_SYNC(NOMEM,		nomem))

/* What to do with a fault that needs I/O: async, or one of the sync reasons. */
#define PVAPF_SYNC(id, ...)	PVAPF_DECIDE_##id
enum pvapf_host_decision {
	PVAPF_DECIDE_ASYNC,
	PVAPF_HOST_SYNC_REASONS,
	PVAPF_DECIDE_NR
};

#undef PVAPF_SYNC

/* One async fault: owned by the vCPU from NOT_PRESENT until READY (or cancel). */
struct pvapf_host_work {
	struct work_struct work;
	struct list_head queued_link;	/* vcpu ->queued, vCPU thread only */
	struct list_head done_link;	/* vcpu ->done, under done_lock */
	struct list_head backlog_link;	/* vm ->backlog, under backlog_lock */
	struct kvm_vcpu *vcpu;
	gpa_t cr2_or_gpa;
	gfn_t gfn;
	unsigned long hva;
	u64 error_code;
	unsigned long pgd;
	bool direct;
	bool injected;
	bool halt_waits;	/* a halted vCPU waits for this one (fault.c) */
	u32 token;
	u64 t_queued;
	u64 t_done;
};

extern atomic_t pvapf_host_outstanding_total;
extern int pvapf_host_default_policy;

static inline struct pvapf_host_vcpu *pvapf_vcpu(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.pvapf;
}

static inline struct pvapf_host_vm *pvapf_vm(struct kvm *kvm)
{
	return &kvm->arch.pvapf;
}

static inline void pvapf_count(struct kvm_vcpu *vcpu, enum pvapf_host_counter c)
{
	vcpu->stat.pvapf[c]++;
}

/*
 * READY has an interrupt vector to go by: vectors 0-31 are exceptions (a
 * host-restored INT may hold one, msr.rst allows it; guests get #GP).
 */
static inline bool pvapf_vector_usable(const struct pvapf_host_vcpu *pv)
{
	return pv->vector >= PVAPF_INT_VECTOR_MIN;
}

/* A work item completed (or a wake-all is due): get the vCPU to look. */
static inline void pvapf_ready_kick(struct kvm_vcpu *vcpu)
{
	kvm_make_request(KVM_REQ_APF_READY, vcpu);
	kvm_vcpu_kick(vcpu);
}

/* pvapf_host_policy.c */
const char *pvapf_policy_name(int policy);
int pvapf_policy_parse(const char *buf);
bool pvapf_adaptive_wants_async(struct kvm_vcpu *vcpu);
bool pvapf_sync_is_cheap(struct kvm_vcpu *vcpu);
void pvapf_swapin_sample(struct kvm_vcpu *vcpu, u64 ns);
void pvapf_ready_ack_sample(struct kvm_vcpu *vcpu, u64 ns);
u64 pvapf_round_trip_ns(struct kvm *kvm);

/* pvapf_host_main.c */
void pvapf_host_vcpu_cancel_all(struct kvm_vcpu *vcpu);

/* pvapf_host_work.c */
int pvapf_work_init(void);
void pvapf_work_exit(void);
void pvapf_work_vm_init(struct kvm *kvm);
struct pvapf_host_work *pvapf_work_alloc(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
void pvapf_work_queue(struct kvm_vcpu *vcpu, struct pvapf_host_work *w);
void pvapf_work_free(struct pvapf_host_work *w);
void pvapf_work_retire(struct pvapf_host_work *w);
void pvapf_work_cancel_all(struct kvm_vcpu *vcpu);

/* pvapf_host_ready.c */
void pvapf_drop_forwarded(struct kvm_vcpu *vcpu);

/* pvapf_host_inject.c */
bool pvapf_can_deliver_not_present(struct kvm_vcpu *vcpu);
bool pvapf_can_halt(struct kvm_vcpu *vcpu);
bool pvapf_inject_not_present(struct kvm_vcpu *vcpu, u32 token);
bool pvapf_inject_ready(struct kvm_vcpu *vcpu, u32 token);
bool pvapf_ready_slot_free(struct kvm_vcpu *vcpu);

/* pvapf_host_sysfs.c */
int pvapf_sysfs_init(void);
void pvapf_sysfs_exit(void);
int pvapf_sysfs_vm_add(struct kvm *kvm, const char *name);
void pvapf_sysfs_vm_del(struct kvm *kvm);

#endif /* _PVAPF_HOST_INTERNAL_H */
