/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_guest_internal.h - state shared by the pvapf guest's own files.
 */
#ifndef _PVAPF_GUEST_INTERNAL_H
#define _PVAPF_GUEST_INTERNAL_H

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

#include "pvapf_abi.h"
#include "pvapf_guest_switch.h"
#include "pvapf_token_table.h"

/**
 * struct pvapf_guest_cpu - per-cpu APF state
 * @sw: on/off state (pvapf_guest_switch.h): enabled, paused, down
 * @resume_work: re-enables APF on this cpu when its emergency node returns
 *	(the return can happen on any cpu, the MSR write must happen here)
 * @pause_work: the pause's slow half, in process context on this cpu:
 *	EN = 0, wake this cpu's sleepers, end the pause with a new node (a
 *	tick later again if there is no memory)
 * @retry_work: retries a READY that found no node (token left un-ACKed)
 * @cpu: the cpu this state belongs to
 */
struct pvapf_guest_cpu {
	struct pvapf_switch sw;
	struct irq_work resume_work;
	struct delayed_work pause_work;
	struct delayed_work retry_work;
	int cpu;
};

DECLARE_PER_CPU(struct pvapf_guest_cpu, pvapf_guest_cpu);
/* Only SEV kernels have a decrypted per-cpu section (and its DECLARE_). */
#ifdef CONFIG_AMD_MEM_ENCRYPT
DECLARE_PER_CPU_DECRYPTED(struct pvapf_shared_area, pvapf_guest_area);
#else
DECLARE_PER_CPU(struct pvapf_shared_area, pvapf_guest_area);
#endif

extern struct pvapf_token_table pvapf_guest_table;
extern struct kmem_cache *pvapf_tt_node_cache;
/* Set (release) once the table exists and APF may be enabled on cpus. */
extern bool pvapf_guest_table_published;

/*
 * Guest events the token table does not see, in their append-only order:
 * the guest's debugfs lines show them after PVAPF_TT_COUNTERS
 * (guest/README.md "Counters").  struct pvapf_guest_events and the names of
 * those lines are both made from this list.
 */
#define PVAPF_GUEST_EVENTS							\
	PVAPF_LIST(/* NOT_PRESENT in kernel mode or with irqs off (retried) */	\
		   PVAPF_GUEST_EVENT(kernel_mode_faults),			\
		   /* sleeps ended by a fatal signal */				\
		   PVAPF_GUEST_EVENT(killed_waits),				\
		   /* enables skipped because the LAPIC was disabled */		\
		   PVAPF_GUEST_EVENT(lapic_disabled),				\
		   /* async #PF with an unknown reason (ignored) */		\
		   PVAPF_GUEST_EVENT(bad_reason),				\
		   /* READY interrupts with no token in the slot */		\
		   PVAPF_GUEST_EVENT(empty_ready),				\
		   /* deferred READYs retried from the work item */		\
		   PVAPF_GUEST_EVENT(retried_readies))

#define PVAPF_GUEST_EVENT(name)	name
struct pvapf_guest_events {
	atomic_long_t PVAPF_GUEST_EVENTS;
};

#undef PVAPF_GUEST_EVENT

extern struct pvapf_guest_events pvapf_guest_events;
/* Pause work allocations that found no memory (its debugfs line follows cpus_paused). */
extern atomic_long_t pvapf_guest_pause_retries;
/* Waits the watchdog reported (its debugfs line follows pause_retries). */
extern atomic_long_t pvapf_guest_long_waits;

struct dentry;

void pvapf_guest_stop_this_cpu(bool pause);
void pvapf_guest_pause_cpu(struct pvapf_token_table *tt, int cpu);
void pvapf_guest_resume_cpu(struct pvapf_token_table *tt, int cpu);
void pvapf_guest_retry_ready(struct work_struct *work);
bool pvapf_guest_take_ready(void);
int pvapf_guest_table_init(void);
int pvapf_guest_cpus_enabled(void);
int pvapf_guest_cpus_paused(void);
void pvapf_guest_watchdog_init(struct dentry *dir);

#endif /* _PVAPF_GUEST_INTERNAL_H */
