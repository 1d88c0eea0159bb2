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

/*
 * The entries of an X-macro list, comma-separated.  A list written as one
 * call of this is a single expression, the form checkpatch asks of a macro.
 */
#define PVAPF_LIST(...)	__VA_ARGS__

/*
 * The counters, in the order of their debugfs lines: PVAPF_HC(enum suffix,
 * name, kind: COUNT, NS or NS_PEAK, for KVM's binary statistics), each with
 * its meaning, the one place it is written down (host/README.md "Counters").
 * The layout is stable: append only, never rename, reorder or remove.  The
 * enum, the debugfs names and KVM's binary statistics (pvapf_host.h) are all
 * made from this list, so they cannot disagree.  A fault that needs I/O is
 * counted once: async_started, halted or one sync_* reason.
 */
#define PVAPF_HOST_COUNTERS                                                                     \
	PVAPF_LIST(/* async faults started: work queued, NOT_PRESENT injected */                \
		   PVAPF_HC(ASYNC_STARTED, async_started, COUNT),                               \
		   /* sync: policy off, and page-ins quick (< 20 us) or no halt possible */     \
		   PVAPF_HC(SYNC_POLICY_OFF, sync_policy_off, COUNT),                           \
		   /* sync: the guest can take neither NOT_PRESENT nor interrupts */            \
		   PVAPF_HC(SYNC_CANNOT_DELIVER, sync_cannot_deliver, COUNT),                   \
		   /* sync: the vCPU has max_outstanding page-ins in flight */                  \
		   PVAPF_HC(SYNC_QUEUE_FULL, sync_queue_full, COUNT),                           \
		   /* sync: gfn outstanding, and the guest cannot take interrupts */            \
		   PVAPF_HC(SYNC_REPEATED, sync_repeated, COUNT),                               \
		   /* sync: adaptive, and page-ins quick (< 20 us) or no halt possible */       \
		   PVAPF_HC(SYNC_ADAPTIVE, sync_adaptive, COUNT),                               \
		   /* sync: no memory for the work item, or the injection failed */             \
		   PVAPF_HC(SYNC_NOMEM, sync_nomem, COUNT),                                     \
		   /* swap-ins done inside the non-blocking fault (zram) */                     \
		   PVAPF_HC(INLINE_SWAPIN, inline_swapin, COUNT),                               \
		   /* NOT_PRESENT injected */                                                   \
		   PVAPF_HC(NOT_PRESENT, not_present, COUNT),                                   \
		   /* READY delivered, forwarded tokens delivered here included */              \
		   PVAPF_HC(READY, ready, COUNT),                                               \
		   /* async faults done whose READY could not go (APF off, bad write) */        \
		   PVAPF_HC(READY_UNDELIVERED, ready_undelivered, COUNT),                       \
		   /* wake-all tokens delivered */                                              \
		   PVAPF_HC(WAKE_ALL, wake_all, COUNT),                                         \
		   /* ACKs of a pending READY */                                                \
		   PVAPF_HC(ACK, ack, COUNT),                                                   \
		   /* ACKs with nothing pending (accepted) */                                   \
		   PVAPF_HC(ACK_SPURIOUS, ack_spurious, COUNT),                                 \
		   /* work items cancelled: disable, reset, VM destruction */                   \
		   PVAPF_HC(CANCELLED, cancelled, COUNT),                                       \
		   /* completed page-ins mapped by the vCPU thread */                           \
		   PVAPF_HC(MAPPED_ON_COMPLETION, mapped_on_completion, COUNT),                 \
		   /* faults needing I/O on a recently completed gfn */                         \
		   PVAPF_HC(REFAULT, refault, COUNT),                                           \
		   /* page-ins timed, async, halted and synchronous */                          \
		   PVAPF_HC(SWAPIN_SAMPLES, swapin_samples, COUNT),                             \
		   /* their time, summed */                                                     \
		   PVAPF_HC(SWAPIN_NS_TOTAL, swapin_ns_total, NS),                              \
		   /* the longest; over vCPUs and VMs the largest, never a sum */               \
		   PVAPF_HC(SWAPIN_NS_MAX, swapin_ns_max, NS_PEAK),                             \
		   /* guest MSR writes refused with #GP */                                      \
		   PVAPF_HC(BAD_MSR_WRITE, bad_msr_write, COUNT),                               \
		   /* APF enabled while the LAPIC was disabled */                               \
		   PVAPF_HC(ENABLE_LAPIC_DISABLED, enable_lapic_disabled, COUNT),               \
		   /* READYs handed to another vCPU (test aid) */                               \
		   PVAPF_HC(READY_FORWARDED, ready_forwarded, COUNT),                           \
		   /* completed page-ins not mapped: the page was reclaimed again */            \
		   PVAPF_HC(RECLAIMED_BEFORE_MAP, reclaimed_before_map, COUNT),                 \
		   /* faults that halted the vCPU (interrupts on) until the page came in */     \
		   PVAPF_HC(HALTED, halted, COUNT))

#define PVAPF_HC(id, ...)	PVAPF_HC_##id
enum pvapf_host_counter {
	PVAPF_HOST_COUNTERS,
	PVAPF_HC_NR
};

#undef PVAPF_HC

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
};

struct pvapf_host_vm_sysfs;

/* Page-in workers, host-wide and per VM (pvapf_host_work.c). */
#define PVAPF_WORKERS_MAX	512
#define PVAPF_WORKERS_PER_VM	(PVAPF_WORKERS_MAX / 4)

struct pvapf_host_vm {
	int policy;		/* enum pvapf_host_policy */
	bool debug_ready_other_vcpu;	/* test aid: READY on the next vCPU */
	atomic_t debug_reclaim_left;	/* test aid: swap-ins to page out again */
	atomic_t debug_lose_left;	/* test aid: READYs to lose */
	unsigned int max_outstanding;
	atomic_t next_token;
	/* Moving averages; racy updates from several vCPUs are tolerable. */
	u64 swapin_ewma_ns;
	u64 ready_ack_ewma_ns;
	pid_t pid;
	struct pvapf_host_vm_sysfs *sysfs;
	/* Its page-ins on the host's workqueue: PVAPF_WORKERS_PER_VM run at most. */
	spinlock_t backlog_lock;
	unsigned int running;		/* under backlog_lock */
	struct list_head backlog;	/* under backlog_lock: work waiting for a worker */
};

#endif /* _PVAPF_HOST_STATE_H */
