// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_guest_fault.c - the two halves of an async page fault in the guest.
 *
 * NOT_PRESENT arrives as a #PF whose CR2 is a token and whose reason sits in
 * this cpu's shared area: the faulting task parks on the token in the token
 * table and sleeps (killable). READY arrives as the HYPERVISOR_CALLBACK_VECTOR
 * interrupt with the token in the shared area: the table wakes whoever sleeps
 * on it (or remembers it, if READY won the race), then the slot is cleared
 * and ACKed so the host can send the next one.
 *
 * We never set SEND_ALWAYS, so a conforming host injects NOT_PRESENT only
 * into user mode with interrupts on. Should one arrive in kernel mode or with
 * interrupts off anyway, sleeping is impossible: the token is forgotten (its
 * READY will be dropped as late) and the access is simply retried; the host
 * finds the same page still pending and halts the vCPU until it is in (taking
 * interrupts if they are on), instead of panicking.
 */
#include <linux/entry-common.h>
#include <linux/kvm_para.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <asm/apic.h>
#include <asm/hardirq.h>
#include <asm/idtentry.h>
#include <asm/irq_regs.h>

#include "pvapf_guest_internal.h"

#define CREATE_TRACE_POINTS
#include "pvapf_guest_trace.h"

struct pvapf_guest_events pvapf_guest_events;
/* Its own cache: seen in slabinfo, and failslab can target it alone. */
struct kmem_cache *pvapf_tt_node_cache;

static void pvapf_guest_wake_task(struct pvapf_token_table *tt, void *env)
{
	wake_up_process(env);
}

/* Failure is handled (the emergency node), so no allocation warning. */
static struct pvapf_tt_node *pvapf_guest_alloc_node(struct pvapf_token_table *tt)
{
	return kmem_cache_alloc(pvapf_tt_node_cache, GFP_ATOMIC | __GFP_NOWARN);
}

static void pvapf_guest_free_node(struct pvapf_token_table *tt, struct pvapf_tt_node *node)
{
	kmem_cache_free(pvapf_tt_node_cache, node);
}

static const struct pvapf_tt_ops pvapf_guest_tt_ops = {
	.wake = pvapf_guest_wake_task,
	.pause_apf = pvapf_guest_pause_cpu,
	.resume_apf = pvapf_guest_resume_cpu,
	.alloc_node = pvapf_guest_alloc_node,
	.free_node = pvapf_guest_free_node,
};

int pvapf_guest_table_init(void)
{
	pvapf_tt_node_cache = kmem_cache_create("pvapf_tt_node", sizeof(struct pvapf_tt_node), 0,
						SLAB_NO_MERGE, NULL);
	if (!pvapf_tt_node_cache)
		return -ENOMEM;
	if (!pvapf_tt_init(&pvapf_guest_table, nr_cpu_ids, 0, &pvapf_guest_tt_ops, NULL))
		return 0;
	kmem_cache_destroy(pvapf_tt_node_cache);
	return -ENOMEM;
}

/**
 * kvm_async_pf_task_wait_schedule - sleep until the page behind @token is in
 * @token: token from the NOT_PRESENT #PF
 *
 * Called with interrupts off, from the #PF entry below or from KVM when this
 * kernel is itself a nested host and took APF as a #PF vmexit.
 */
void kvm_async_pf_task_wait_schedule(u32 token)
{
	struct pvapf_tt_node node;
	int cpu = smp_processor_id();

	lockdep_assert_irqs_disabled();
	trace_pvapf_not_present(token, cpu);
	/* For the watchdog (pvapf_guest_watchdog.c). */
	node.since = jiffies;
	node.reported = false;
	if (pvapf_tt_prepare_wait(&pvapf_guest_table, &node, token, cpu, current) !=
	    PVAPF_WAIT_SLEEP)
		return;

	for (;;) {
		set_current_state(TASK_KILLABLE);
		if (pvapf_tt_node_woken(&node))
			break;
		/* A dying task need not wait for its page; its READY is dropped. */
		if (fatal_signal_pending(current)) {
			atomic_long_inc(&pvapf_guest_events.killed_waits);
			break;
		}
		local_irq_enable();
		schedule();
		local_irq_disable();
	}
	__set_current_state(TASK_RUNNING);
	pvapf_tt_finish_wait(&pvapf_guest_table, &node);
}
EXPORT_SYMBOL_GPL(kvm_async_pf_task_wait_schedule);

/* A NOT_PRESENT we cannot sleep on: forget the token and retry the access. */
static void pvapf_guest_forget(u32 token)
{
	struct pvapf_tt_node node;

	if (pvapf_tt_prepare_wait(&pvapf_guest_table, &node, token, smp_processor_id(),
				  current) == PVAPF_WAIT_SLEEP)
		pvapf_tt_finish_wait(&pvapf_guest_table, &node);
}

/* Wake the task sleeping on @token (or remember the READY). Interrupts off. */
void kvm_async_pf_task_wake(u32 token)
{
	pvapf_tt_wake(&pvapf_guest_table, token, smp_processor_id());
}
EXPORT_SYMBOL_GPL(kvm_async_pf_task_wake);

noinstr u32 kvm_read_and_reset_apf_flags(void)
{
	u32 flags = 0;

	if (__this_cpu_read(pvapf_guest_cpu.sw.enabled)) {
		flags = __this_cpu_read(pvapf_guest_area.flags);
		__this_cpu_write(pvapf_guest_area.flags, 0);
	}
	return flags;
}
EXPORT_SYMBOL_GPL(kvm_read_and_reset_apf_flags);

static void pvapf_guest_not_present(struct pt_regs *regs, u32 token, u32 reason)
{
	if (reason != PVAPF_REASON_NOT_PRESENT) {
		/* READY via #PF is the pre-5.9 ABI, which we never enable. */
		atomic_long_inc(&pvapf_guest_events.bad_reason);
		pr_warn_once("pvapf: ignoring async #PF reason %u\n", reason);
		return;
	}
	if (!user_mode(regs) || !(regs->flags & X86_EFLAGS_IF)) {
		atomic_long_inc(&pvapf_guest_events.kernel_mode_faults);
		pvapf_guest_forget(token);
		return;
	}
	kvm_async_pf_task_wait_schedule(token);
}

noinstr bool __kvm_handle_async_pf(struct pt_regs *regs, u32 token)
{
	irqentry_state_t state;
	u32 reason;

	if (!__this_cpu_read(pvapf_guest_cpu.sw.enabled) ||
	    !__this_cpu_read(pvapf_guest_area.flags))
		return false;
	/*
	 * An NMI (say, perf reading a user stack) can fault in kernel mode
	 * between the host's injection and the read of the reason: that
	 * fault is a real one and the reason belongs to the outer #PF.
	 */
	if (!user_mode(regs) && in_nmi())
		return false;
	reason = kvm_read_and_reset_apf_flags();
	if (!reason)
		return false;

	state = irqentry_enter(regs);
	instrumentation_begin();
	pvapf_guest_not_present(regs, token, reason);
	instrumentation_end();
	irqentry_exit(regs, state);
	return true;
}

/*
 * Hand the token in this cpu's slot to the table. Returns false when it has
 * to stay un-ACKed (no node could be had), which holds back the host's next
 * READY for this vCPU until the retry work gets a node.
 */
bool pvapf_guest_take_ready(void)
{
	struct pvapf_shared_area *area = this_cpu_ptr(&pvapf_guest_area);
	int cpu = smp_processor_id();
	u32 token = READ_ONCE(area->token);
	enum pvapf_wake_result res;

	if (token == PVAPF_TOKEN_NONE) {
		atomic_long_inc(&pvapf_guest_events.empty_ready);
		return true;
	}
	res = pvapf_tt_wake(&pvapf_guest_table, token, cpu);
	trace_pvapf_ready(token, cpu, res);
	if (res == PVAPF_WAKE_DEFERRED)
		return false;
	WRITE_ONCE(area->token, PVAPF_TOKEN_NONE);
	wrmsrl(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	return true;
}

DEFINE_IDTENTRY_SYSVEC(sysvec_kvm_asyncpf_interrupt)
{
	struct pt_regs *old_regs = set_irq_regs(regs);

	apic_eoi();
	/* Also what stock guests count: keeps the HYP line of /proc/interrupts. */
	inc_irq_stat(irq_hv_callback_count);
	/* A READY can still be in the slot from just before a pause: take it. */
	if (smp_load_acquire(&pvapf_guest_table_published) && !pvapf_guest_take_ready())
		schedule_delayed_work_on(smp_processor_id(),
					 &this_cpu_ptr(&pvapf_guest_cpu)->retry_work, 1);
	set_irq_regs(old_regs);
}

void pvapf_guest_retry_ready(struct work_struct *work)
{
	struct pvapf_guest_cpu *c = container_of(to_delayed_work(work),
						 struct pvapf_guest_cpu, retry_work);
	bool done = true;

	local_irq_disable();
	/* If the cpu went offline meanwhile, it takes the slot's READY when back. */
	if (smp_processor_id() == c->cpu) {
		atomic_long_inc(&pvapf_guest_events.retried_readies);
		done = pvapf_guest_take_ready();
	}
	local_irq_enable();
	if (!done)
		schedule_delayed_work_on(c->cpu, &c->retry_work, 1);
}
