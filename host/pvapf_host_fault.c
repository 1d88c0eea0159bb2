// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_fault.c - a fault that needs I/O: decide whether it goes async
 * (the policy is in pvapf_host_policy.c) and start it, halt the vCPU while
 * the page comes in, or time the synchronous swap-in.  The async fault's
 * work item is in pvapf_host_work.c.
 */
#include <linux/kvm_host.h>

#include "x86.h"
#include "mmu.h"
#include "mmu/mmu_internal.h"
#include "pvapf_host_internal.h"
#include "pvapf_host_trace.h"

/*
 * The vCPU's work item for @gfn; with @inflight only one still on its way: a
 * page-in that is done brought the page in, and the fault says it is gone
 * again (reclaimed before the guest's retry), so it is nothing to wait for.
 */
static struct pvapf_host_work *pvapf_gfn_work(struct pvapf_host_vcpu *pv, gfn_t gfn,
					      bool inflight)
{
	struct pvapf_host_work *w;

	/* At most max_outstanding entries, and only walked for faults that need I/O. */
	list_for_each_entry(w, &pv->queued, queued_link)
		if (w->gfn == gfn && !(inflight && READ_ONCE(w->t_done)))
			return w;
	return NULL;
}

static bool pvapf_gfn_recent(struct pvapf_host_vcpu *pv, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < PVAPF_HOST_RECENT; i++)
		if (pv->recent[i] == gfn)
			return true;
	return false;
}

/* The vCPU has as many page-ins in flight as its VM allows. */
static bool pvapf_queue_full(struct kvm_vcpu *vcpu)
{
	return pvapf_vcpu(vcpu)->outstanding >= READ_ONCE(pvapf_vm(vcpu->kvm)->max_outstanding);
}

static enum pvapf_host_decision pvapf_decide(struct kvm_vcpu *vcpu,
					     struct kvm_page_fault *fault)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_vm *vm = pvapf_vm(vcpu->kvm);

	if (READ_ONCE(vm->policy) == PVAPF_POLICY_OFF)
		return PVAPF_DECIDE_POLICY_OFF;
	if (!pvapf_can_deliver_not_present(vcpu))
		return PVAPF_DECIDE_CANNOT_DELIVER;
	/* The guest touched it again before READY (e.g. a kernel-mode retry). */
	if (pvapf_gfn_work(pv, fault->gfn, false))
		return PVAPF_DECIDE_REPEATED;
	if (pvapf_queue_full(vcpu))
		return PVAPF_DECIDE_QUEUE_FULL;
	if (READ_ONCE(vm->policy) == PVAPF_POLICY_ADAPTIVE &&
	    !pvapf_adaptive_wants_async(vcpu))
		return PVAPF_DECIDE_ADAPTIVE;
	return PVAPF_DECIDE_ASYNC;
}

#define PVAPF_SYNC(id, ...)	\
	[PVAPF_DECIDE_##id] = PVAPF_HC_SYNC_##id
static const enum pvapf_host_counter pvapf_sync_counter[PVAPF_DECIDE_NR] = {
	PVAPF_HOST_SYNC_REASONS
};

#undef PVAPF_SYNC

static bool pvapf_start_async(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct pvapf_host_work *w = pvapf_work_alloc(vcpu, fault);

	if (!w)
		return false;
	if (!pvapf_inject_not_present(vcpu, w->token)) {
		pvapf_work_free(w);
		return false;
	}
	w->injected = true;
	pvapf_count(vcpu, PVAPF_HC_ASYNC_STARTED);
	pvapf_count(vcpu, PVAPF_HC_NOT_PRESENT);
	trace_pvapf_host_not_present(vcpu->vcpu_id, w->token, w->cr2_or_gpa);
	pvapf_work_queue(vcpu, w);
	return true;
}

/*
 * Why a fault halts the vCPU instead of a synchronous page-in: the guest
 * cannot be told NOT_PRESENT, or already was for this gfn; or it was not
 * told by choice ('off', adaptive) and the read is not a quick one: stock
 * KVM halts too, taking interrupts, where it sends no NOT_PRESENT.  A full
 * queue or no memory leaves no work item to wait for: synchronous.
 */
static bool pvapf_halt_reason(struct kvm_vcpu *vcpu, enum pvapf_host_decision d)
{
	switch (d) {
	case PVAPF_DECIDE_CANNOT_DELIVER:
	case PVAPF_DECIDE_REPEATED:
		return true;
	case PVAPF_DECIDE_POLICY_OFF:
	case PVAPF_DECIDE_ADAPTIVE:
		return !pvapf_sync_is_cheap(vcpu);
	default:
		return false;
	}
}

/*
 * Read the page in the background (a work item with no NOT_PRESENT, so no
 * READY is owed) and halt the vCPU: interrupts and the work's completion
 * wake it, and the guest's retry halts again until the page is in.  Timer
 * ticks, IPIs and TLB shootdowns reach the guest meanwhile, as with stock
 * KVM, instead of waiting for the whole page-in.  False: synchronous, for
 * the reason left in *d.
 */
static bool pvapf_halt(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault,
		       enum pvapf_host_decision *d)
{
	struct pvapf_host_work *w;

	if (!pvapf_can_halt(vcpu))
		return false;
	/* A work item for this gfn is already on its way: wait for that one. */
	w = pvapf_gfn_work(pvapf_vcpu(vcpu), fault->gfn, true);
	if (!w) {
		if (pvapf_queue_full(vcpu)) {
			*d = PVAPF_DECIDE_QUEUE_FULL;
			return false;
		}
		w = pvapf_work_alloc(vcpu, fault);
		if (!w) {
			*d = PVAPF_DECIDE_NOMEM;
			return false;
		}
		pvapf_work_queue(vcpu, w);
	}
	/* Only its completion ends the halt (pvapf_host_has_ready()). */
	WRITE_ONCE(w->halt_waits, true);
	pvapf_count(vcpu, PVAPF_HC_HALTED);
	kvm_make_request(KVM_REQ_APF_HALT, vcpu);
	return true;
}

bool pvapf_host_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	enum pvapf_host_decision d;

	if (fault->prefetch || kvm_is_error_hva(fault->hva))
		return false;
	if (pvapf_gfn_recent(pv, fault->gfn))
		pvapf_count(vcpu, PVAPF_HC_REFAULT);
	d = pvapf_decide(vcpu, fault);
	if (d == PVAPF_DECIDE_ASYNC) {
		if (pvapf_start_async(vcpu, fault))
			return true;
		d = PVAPF_DECIDE_NOMEM;
	}
	if (pvapf_halt_reason(vcpu, d) && pvapf_halt(vcpu, fault, &d))
		return true;
	pvapf_count(vcpu, pvapf_sync_counter[d]);
	trace_pvapf_host_sync(vcpu->vcpu_id, fault->addr, d);
	/* The synchronous swap-in is timed too: it feeds the adaptive policy. */
	pv->sync_t0 = ktime_get_ns();
	return false;
}

void pvapf_host_sync_done(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	if (!pv->sync_t0)
		return;
	pvapf_swapin_sample(vcpu, ktime_get_ns() - pv->sync_t0);
	pv->sync_t0 = 0;
}

/*
 * The non-blocking fault got the page.  If that took a major fault it was a
 * swap-in from a device that completes synchronously (zram): handled inline,
 * as the policy says, and counted so that it is visible.
 */
void pvapf_host_fault_inline(struct kvm_vcpu *vcpu, unsigned long majflt_before)
{
	if (current->maj_flt != majflt_before)
		pvapf_count(vcpu, PVAPF_HC_INLINE_SWAPIN);
}
