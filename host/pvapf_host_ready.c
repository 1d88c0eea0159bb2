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

/* A work item completed (or a wake-all is due): get the vCPU to look. */
void pvapf_ready_kick(struct kvm_vcpu *vcpu)
{
	kvm_make_request(KVM_REQ_APF_READY, vcpu);
	kvm_vcpu_kick(vcpu);
}

/*
 * Install the guest mapping now, through KVM's own fault path (which retries
 * if an mmu-notifier invalidation raced with us), so that the guest's retry
 * does not fault again on a page reclaimed in between.  Skipped when the
 * translation the fault was taken under is gone: another MMU, another guest
 * CR3 under shadow paging, or no memslot at the address any more.
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

/* The guest can take a READY now (only one is in flight at a time). */
static bool pvapf_ready_deliverable(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	return !pv->ready_pending && kvm_lapic_enabled(vcpu) &&
	       pvapf_ready_slot_free(vcpu);
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

	if (pv->enabled && w->injected && pvapf_inject_ready(vcpu, w->token)) {
		pvapf_count(vcpu, PVAPF_HC_READY);
		trace_pvapf_host_ready(vcpu->vcpu_id, w->token, w->cr2_or_gpa, ns);
	} else {
		pvapf_count(vcpu, PVAPF_HC_READY_UNDELIVERED);
	}
	pvapf_work_free(w);
}

void pvapf_host_deliver_ready(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_work *w;

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
		w = pvapf_pop_done(pv);
		if (!w)
			return;
		pvapf_complete(vcpu, w);
	}
}

bool pvapf_host_has_ready(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	/* While a READY awaits its ACK the guest must run, not the queue. */
	if (pv->ready_pending || (pv->enabled && !kvm_lapic_enabled(vcpu)))
		return false;
	return READ_ONCE(pv->wake_all_pending) || !list_empty_careful(&pv->done);
}
