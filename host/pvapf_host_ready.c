// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_ready.c - completing async faults on the vCPU thread: map the
 * page while it is known to be resident, deliver READY, free the work.
 */
#include <linux/kvm_host.h>

#include "x86.h"
#include "lapic.h"
#include "mmu.h"
#include "mmu/mmu_internal.h"
#include "pvapf_host_internal.h"
#include "pvapf_host_trace.h"

/* Mapped in the VMM right now (vCPU thread: current->mm is the VM's). */
static bool pvapf_hva_resident(unsigned long hva)
{
	struct page *page;

	if (!get_user_page_fast_only(hva, 0, &page))
		return false;
	put_page(page);
	return true;
}

/*
 * Install the guest mapping now, through KVM's own fault path (which retries
 * if an mmu-notifier invalidation raced with us), so that the guest's retry
 * does not fault again.  Skipped when the translation the fault was taken
 * under is gone (another MMU, another guest CR3 under shadow paging, no
 * memslot at the address any more), and when the page was reclaimed again
 * since the work read it: mapping it would mean a synchronous read on the
 * vCPU thread, while the guest's retry can take a new async fault instead.
 */
static void pvapf_map_completed(struct kvm_vcpu *vcpu, struct pvapf_host_work *w)
{
	struct kvm_mmu *mmu = vcpu->arch.mmu;
	int r;

	if (w->error_code & PFERR_PRIVATE_ACCESS)
		return;
	if (mmu->root_role.direct != w->direct || kvm_mmu_reload(vcpu))
		return;
	if (!w->direct && w->pgd != mmu->get_guest_pgd(vcpu))
		return;
	if (!kvm_vcpu_gfn_to_memslot(vcpu, w->gfn))
		return;
	if (!pvapf_hva_resident(w->hva)) {
		pvapf_count(vcpu, PVAPF_HC_RECLAIMED_BEFORE_MAP);
		return;
	}
	r = kvm_mmu_do_page_fault(vcpu, w->cr2_or_gpa, w->error_code, true, NULL, NULL);
	if (r == RET_PF_FIXED) {
		vcpu->stat.pf_fixed++;
		pvapf_count(vcpu, PVAPF_HC_MAPPED_ON_COMPLETION);
	}
}

static struct pvapf_host_work *pvapf_pop_done(struct pvapf_host_vcpu *pv)
{
	struct pvapf_host_work *w;

	spin_lock(&pv->done_lock);
	w = list_first_entry_or_null(&pv->done, struct pvapf_host_work, done_link);
	if (w)
		list_del(&w->done_link);
	spin_unlock(&pv->done_lock);
	return w;
}

/*
 * The guest can take a READY now (only one is in flight at a time, and a
 * restored vector below 32 is no interrupt: it waits for the guest's INT).
 */
static bool pvapf_ready_deliverable(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	return !pv->ready_pending && pvapf_vector_usable(pv) &&
	       kvm_lapic_enabled(vcpu) && pvapf_ready_slot_free(vcpu);
}

/*
 * Test aid (sysfs debug_ready_other_vcpu, CONFIG_KVM_PVAPF_TEST_AIDS): hand
 * the READY to the next vCPU, as the ABI allows and a stock host never does,
 * so that a guest's READY-on-another-cpu paths run.  The token goes into the
 * target's ring, which only the target's thread drains: no vCPU touches
 * another's state.
 */
static bool pvapf_forward_ready(struct kvm_vcpu *vcpu, u32 token)
{
	struct kvm *kvm = vcpu->kvm;
	int n = atomic_read(&kvm->online_vcpus);
	struct pvapf_host_vcpu *tpv;
	struct kvm_vcpu *target;
	bool queued = false;

	if (n < 2)
		return false;
	target = kvm_get_vcpu(kvm, (vcpu->vcpu_idx + 1) % n);
	if (!target || target == vcpu)
		return false;
	tpv = pvapf_vcpu(target);
	spin_lock(&tpv->done_lock);
	if (tpv->fwd_head - tpv->fwd_tail < PVAPF_HOST_FORWARDED) {
		tpv->fwd[tpv->fwd_head % PVAPF_HOST_FORWARDED] =
			(struct pvapf_host_forwarded){ .token = token, .origin = vcpu };
		tpv->fwd_head++;
		queued = true;
	}
	spin_unlock(&tpv->done_lock);
	if (queued)
		pvapf_ready_kick(target);
	return queued;
}

static bool pvapf_pop_forwarded(struct pvapf_host_vcpu *pv, struct pvapf_host_forwarded *f)
{
	bool any;

	spin_lock(&pv->done_lock);
	any = pv->fwd_head != pv->fwd_tail;
	if (any)
		*f = pv->fwd[pv->fwd_tail++ % PVAPF_HOST_FORWARDED];
	spin_unlock(&pv->done_lock);
	return any;
}

/*
 * Test aid (sysfs debug_lose_ready, CONFIG_KVM_PVAPF_TEST_AIDS): drop the
 * next READYs without a wake-all, the lost wakeup behind every public
 * async-PF hang, so that the guest's watchdog and a killed sleeper are seen.
 */
static bool pvapf_debug_lose_ready(struct kvm_vcpu *vcpu)
{
	return IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS) &&
	       atomic_add_unless(&pvapf_vm(vcpu->kvm)->debug_lose_left, -1, 0);
}

/* A forwarded token that cannot be delivered: wake all of its origin's sleepers. */
static void pvapf_wake_origin(const struct pvapf_host_forwarded *f)
{
	WRITE_ONCE(pvapf_vcpu(f->origin)->wake_all_pending, true);
	pvapf_ready_kick(f->origin);
}

/*
 * Forwarded tokens this vCPU cannot deliver any more (APF disabled, reset):
 * their sleepers are on other vCPUs, which get a wake-all so none sleeps on.
 */
void pvapf_drop_forwarded(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_forwarded f;

	while (pvapf_pop_forwarded(pvapf_vcpu(vcpu), &f))
		pvapf_wake_origin(&f);
}

static void pvapf_complete(struct kvm_vcpu *vcpu, struct pvapf_host_work *w)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	u64 ns = w->t_done - w->t_queued;

	list_del(&w->queued_link);
	pv->outstanding--;
	pvapf_swapin_sample(vcpu, ns);
	pvapf_map_completed(vcpu, w);
	pv->recent[pv->recent_next++ % PVAPF_HOST_RECENT] = w->gfn;

	/* A halt's work (pvapf_host_fault.c): waking the vCPU was all it owed. */
	if (!w->injected) {
		pvapf_work_retire(w);
		return;
	}
	if (pv->enabled && pvapf_debug_lose_ready(vcpu)) {
		pvapf_count(vcpu, PVAPF_HC_READY_UNDELIVERED);
	} else if (pv->enabled && IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS) &&
		   READ_ONCE(pvapf_vm(vcpu->kvm)->debug_ready_other_vcpu) &&
	    pvapf_forward_ready(vcpu, w->token)) {
		pvapf_count(vcpu, PVAPF_HC_READY_FORWARDED);
	} else if (pv->enabled && pvapf_inject_ready(vcpu, w->token)) {
		pvapf_count(vcpu, PVAPF_HC_READY);
		trace_pvapf_host_ready(vcpu->vcpu_id, w->token, w->cr2_or_gpa, ns);
	} else {
		pvapf_count(vcpu, PVAPF_HC_READY_UNDELIVERED);
	}
	pvapf_work_retire(w);
}

/*
 * A halt's work items owe no READY: they complete even while a READY cannot
 * go, or the halted vCPU would wake for them again and again.  A halt that
 * waited for an async fault's page-in (a repeated fault) is over too: that
 * one stays for its READY, and wakes no later halt.
 */
static void pvapf_complete_halts(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_work *w, *n;
	LIST_HEAD(halts);

	spin_lock(&pv->done_lock);
	list_for_each_entry_safe(w, n, &pv->done, done_link) {
		if (!w->injected)
			list_move_tail(&w->done_link, &halts);
		else
			WRITE_ONCE(w->halt_waits, false);
	}
	spin_unlock(&pv->done_lock);
	list_for_each_entry_safe(w, n, &halts, done_link) {
		list_del(&w->done_link);
		pvapf_complete(vcpu, w);
	}
}

void pvapf_host_deliver_ready(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_forwarded f;
	struct pvapf_host_work *w;

	pvapf_complete_halts(vcpu);
	if (!pv->enabled)
		pvapf_drop_forwarded(vcpu);
	for (;;) {
		if (pv->enabled && !pvapf_ready_deliverable(vcpu))
			return;
		if (pv->wake_all_pending) {
			pv->wake_all_pending = false;
			if (pv->enabled && pvapf_inject_ready(vcpu, PVAPF_TOKEN_WAKE_ALL)) {
				pvapf_count(vcpu, PVAPF_HC_WAKE_ALL);
				trace_pvapf_host_ready(vcpu->vcpu_id, PVAPF_TOKEN_WAKE_ALL, 0, 0);
			}
			continue;
		}
		if (pv->enabled && pvapf_pop_forwarded(pv, &f)) {
			if (pvapf_inject_ready(vcpu, f.token)) {
				pvapf_count(vcpu, PVAPF_HC_READY);
				trace_pvapf_host_ready(vcpu->vcpu_id, f.token, 0, 0);
			} else {
				pvapf_wake_origin(&f);
			}
			continue;
		}
		w = pvapf_pop_done(pv);
		if (!w)
			return;
		pvapf_complete(vcpu, w);
	}
}

/* The page-in a halt waits for is done (pvapf_host_fault.c). */
static bool pvapf_halt_wait_done(struct pvapf_host_vcpu *pv)
{
	struct pvapf_host_work *w;
	bool done = false;

	if (list_empty_careful(&pv->done))
		return false;
	spin_lock(&pv->done_lock);
	list_for_each_entry(w, &pv->done, done_link) {
		if (READ_ONCE(w->halt_waits)) {
			done = true;
			break;
		}
	}
	spin_unlock(&pv->done_lock);
	return done;
}

bool pvapf_host_has_ready(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	/*
	 * Halted for a page-in: its completion ends the halt, not another's
	 * whose READY cannot go (waking for that one, the retried access would
	 * halt again at once, and again, at full CPU).
	 */
	if (vcpu->arch.apf.halted && pvapf_halt_wait_done(pv))
		return true;
	/*
	 * While a READY awaits its ACK the guest must run, not the queue; and
	 * nothing can go to a disabled LAPIC or by a restored vector below 32
	 * (a wake-all owed since the enable waits for the guest's INT write),
	 * so none of it is a reason to wake: every hlt would return at once.
	 */
	if (pv->ready_pending ||
	    (pv->enabled && (!kvm_lapic_enabled(vcpu) || !pvapf_vector_usable(pv))))
		return false;
	return READ_ONCE(pv->wake_all_pending) || !list_empty_careful(&pv->done) ||
	       READ_ONCE(pv->fwd_head) != READ_ONCE(pv->fwd_tail);
}
