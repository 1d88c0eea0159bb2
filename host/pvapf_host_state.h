/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_host_state.h - per-vCPU and per-VM state of the pvapf host.
 *
 * Embedded in struct kvm_vcpu_arch and struct kvm_arch (the tree links this
 * file as <asm/pvapf_host_state.h>), so creating a vCPU or a VM never has a
 * pvapf allocation that can fail.  Only the pvapf host files touch the
 * fields; the rest of KVM goes through pvapf_host.h.
 */
#ifndef _PVAPF_HOST_STATE_H
#define _PVAPF_HOST_STATE_H

#include <linux/kvm_types.h>
#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

/* Counter indices; the names and their order are in pvapf_host_stats.c. */
enum pvapf_host_counter {
	PVAPF_HC_ASYNC_STARTED,
	PVAPF_HC_SYNC_POLICY_OFF,
	PVAPF_HC_SYNC_CANNOT_DELIVER,
	PVAPF_HC_SYNC_QUEUE_FULL,
	PVAPF_HC_SYNC_REPEATED,
	PVAPF_HC_SYNC_ADAPTIVE,
	PVAPF_HC_SYNC_NOMEM,
	PVAPF_HC_INLINE_SWAPIN,
	PVAPF_HC_NOT_PRESENT,
	PVAPF_HC_READY,
	PVAPF_HC_READY_UNDELIVERED,
	PVAPF_HC_WAKE_ALL,
	PVAPF_HC_ACK,
	PVAPF_HC_ACK_SPURIOUS,
	PVAPF_HC_CANCELLED,
	PVAPF_HC_MAPPED_ON_COMPLETION,
	PVAPF_HC_REFAULT,
	PVAPF_HC_SWAPIN_SAMPLES,
	PVAPF_HC_SWAPIN_NS_TOTAL,
	PVAPF_HC_SWAPIN_NS_MAX,
	PVAPF_HC_BAD_MSR_WRITE,
	PVAPF_HC_ENABLE_LAPIC_DISABLED,
	PVAPF_HC_READY_FORWARDED,
	PVAPF_HC_RECLAIMED_BEFORE_MAP,
	PVAPF_HC_NR
};

/* Recently completed gfns per vCPU, to notice re-faults on reclaimed pages. */
#define PVAPF_HOST_RECENT	16
/* READY tokens another vCPU handed over (debug_ready_other_vcpu), a power of 2. */
#define PVAPF_HOST_FORWARDED	64

struct kvm_vcpu;

struct pvapf_host_forwarded {
	u32 token;
	struct kvm_vcpu *origin;
};

struct pvapf_host_vcpu {
	/* Guest-visible registers. */
	u64 msr_en;
	u64 msr_int;
	struct gfn_to_hva_cache area;
	bool enabled;		/* EN: ENABLED and DELIVERY_AS_INT set */
	bool send_always;
	bool pf_vmexit;
	u8 vector;
	bool ready_pending;	/* READY injected, ACK not yet seen */
	u64 ready_t0;		/* when that READY was injected, 0 for wake-all */
	bool wake_all_pending;

	/* Outstanding work: 'queued' is vCPU-thread only, 'done' is shared. */
	unsigned int outstanding;
	struct list_head queued;
	spinlock_t done_lock;	/* protects done: the work item adds to it */
	struct list_head done;
	struct pvapf_host_forwarded fwd[PVAPF_HOST_FORWARDED];	/* under done_lock */
	unsigned int fwd_head, fwd_tail;

	u64 sync_t0;		/* start of a timed synchronous swap-in */
	gfn_t recent[PVAPF_HOST_RECENT];
	unsigned int recent_next;
	unsigned int adaptive_sync_run;	/* adaptive sync choices since the last async */

	u64 counters[PVAPF_HC_NR];
};

struct pvapf_host_vm_sysfs;

struct pvapf_host_vm {
	int policy;		/* enum pvapf_host_policy */
	bool debug_ready_other_vcpu;	/* test aid: READY on the next vCPU */
	atomic_t debug_reclaim_left;	/* test aid: swap-ins to page out again */
	unsigned int max_outstanding;
	atomic_t next_token;
	/* Moving averages; racy updates from several vCPUs are tolerable. */
	u64 swapin_ewma_ns;
	u64 ready_ack_ewma_ns;
	pid_t pid;
	struct pvapf_host_vm_sysfs *sysfs;
};

#endif /* _PVAPF_HOST_STATE_H */
