// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_fault.c - starting async faults, the swap-in work, and
 * cancelling it.
 *
 * A work item is created on the vCPU thread when a guest access needs a page
 * that must be read in, and the guest can be told NOT_PRESENT.  The work
 * faults the page into the VMM's address space with get_user_pages_remote()
 * and keeps no reference: whatever happens to the page afterwards (reclaim,
 * an mmu-notifier invalidation, memslot deletion) the guest mapping is only
 * ever made by KVM's normal fault path, which checks the invalidation
 * sequence.  The work then moves itself to the vCPU's done list; the vCPU
 * thread delivers READY and frees it (pvapf_host_ready.c).
 */
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "x86.h"
#include "mmu.h"
#include "mmu/mmu_internal.h"
#include "pvapf_host_internal.h"
#include "pvapf_host_trace.h"

/*
 * Test aid (sysfs debug_reclaim_after_swapin): page the page out again right
 * after reading it in, so that reclaim and its mmu-notifier invalidation land
 * while the async fault is pending.  do_madvise() is not exported, so the aid
 * exists only where KVM is built in.
 */
static void pvapf_debug_reclaim(struct kvm *kvm, struct mm_struct *mm, unsigned long hva)
{
#if IS_BUILTIN(CONFIG_KVM)
	if (atomic_add_unless(&pvapf_vm(kvm)->debug_reclaim_left, -1, 0))
		do_madvise(mm, hva & PAGE_MASK, PAGE_SIZE, MADV_PAGEOUT);
#endif
}

static void pvapf_work_fn(struct work_struct *work)
{
	struct pvapf_host_work *w = container_of(work, struct pvapf_host_work, work);
	struct kvm_vcpu *vcpu = w->vcpu;
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct mm_struct *mm = vcpu->kvm->mm;
	unsigned int flags = (w->error_code & PFERR_WRITE_MASK) ? FOLL_WRITE : 0;
	int locked = 1;
	bool first;

	/* An exiting VMM has no address space left to fault into. */
	if (mmget_not_zero(mm)) {
		mmap_read_lock(mm);
		get_user_pages_remote(mm, w->hva, 1, flags, NULL, &locked);
		if (locked)
			mmap_read_unlock(mm);
		pvapf_debug_reclaim(vcpu->kvm, mm, w->hva);
		mmput(mm);
	}
	w->t_done = ktime_get_ns();

	spin_lock(&pv->done_lock);
	first = list_empty(&pv->done);
	list_add_tail(&w->done_link, &pv->done);
	spin_unlock(&pv->done_lock);
	/* The vCPU may take w now; it flushes this function before freeing w. */
	if (first)
		pvapf_ready_kick(vcpu);
}

void pvapf_work_free(struct pvapf_host_work *w)
{
	kmem_cache_free(pvapf_host_work_cache, w);
	atomic_dec(&pvapf_host_outstanding_total);
}

/*
 * Free a work item taken off the done list.  Its function may still be
 * between putting it there and returning (the kick): wait for that, so that
 * no work of a VM runs once the VM has freed all of its items.
 */
void pvapf_work_retire(struct pvapf_host_work *w)
{
	flush_work(&w->work);
	pvapf_work_free(w);
}

static bool pvapf_gfn_outstanding(struct pvapf_host_vcpu *pv, gfn_t gfn)
{
	struct pvapf_host_work *w;

	/* At most max_outstanding entries, and only walked for faults that need I/O. */
	list_for_each_entry(w, &pv->queued, queued_link)
		if (w->gfn == gfn)
			return true;
	return false;
}

static bool pvapf_gfn_recent(struct pvapf_host_vcpu *pv, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < PVAPF_HOST_RECENT; i++)
		if (pv->recent[i] == gfn)
			return true;
	return false;
}

static enum pvapf_host_decision pvapf_decide(struct kvm_vcpu *vcpu,
					     struct kvm_page_fault *fault)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_vm *vm = pvapf_vm(vcpu->kvm);

	if (READ_ONCE(vm->policy) == PVAPF_POLICY_OFF)
		return PVAPF_DECIDE_OFF;
	if (!pvapf_can_deliver_not_present(vcpu))
		return PVAPF_DECIDE_CANNOT_DELIVER;
	/* The guest touched it again before READY (e.g. a kernel-mode retry). */
	if (pvapf_gfn_outstanding(pv, fault->gfn))
		return PVAPF_DECIDE_REPEATED;
	if (pv->outstanding >= READ_ONCE(vm->max_outstanding))
		return PVAPF_DECIDE_QUEUE_FULL;
	if (READ_ONCE(vm->policy) == PVAPF_POLICY_ADAPTIVE &&
	    !pvapf_adaptive_wants_async(vcpu))
		return PVAPF_DECIDE_ADAPTIVE;
	return PVAPF_DECIDE_ASYNC;
}

static const enum pvapf_host_counter pvapf_sync_counter[] = {
	[PVAPF_DECIDE_OFF] = PVAPF_HC_SYNC_POLICY_OFF,
	[PVAPF_DECIDE_CANNOT_DELIVER] = PVAPF_HC_SYNC_CANNOT_DELIVER,
	[PVAPF_DECIDE_QUEUE_FULL] = PVAPF_HC_SYNC_QUEUE_FULL,
	[PVAPF_DECIDE_REPEATED] = PVAPF_HC_SYNC_REPEATED,
	[PVAPF_DECIDE_ADAPTIVE] = PVAPF_HC_SYNC_ADAPTIVE,
	[PVAPF_DECIDE_NOMEM] = PVAPF_HC_SYNC_NOMEM,
};

static u32 pvapf_new_token(struct kvm *kvm)
{
	u32 token;

	/* One counter per VM: unique for any vcpu_id, never NONE or WAKE_ALL. */
	do {
		token = (u32)atomic_inc_return(&pvapf_vm(kvm)->next_token);
	} while (token == PVAPF_TOKEN_NONE || token == PVAPF_TOKEN_WAKE_ALL);
	return token;
}

static bool pvapf_start_async(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_work *w;

	/* No waiting for memory here: the synchronous path would wait anyway. */
	w = kmem_cache_zalloc(pvapf_host_work_cache, GFP_NOWAIT | __GFP_NOWARN);
	if (!w)
		return false;
	atomic_inc(&pvapf_host_outstanding_total);
	w->vcpu = vcpu;
	w->cr2_or_gpa = fault->addr;
	w->gfn = fault->gfn;
	w->hva = fault->hva;
	w->error_code = fault->error_code;
	w->direct = vcpu->arch.mmu->root_role.direct;
	w->pgd = w->direct ? 0 : vcpu->arch.mmu->get_guest_pgd(vcpu);
	w->token = pvapf_new_token(vcpu->kvm);
	w->t_queued = ktime_get_ns();
	INIT_WORK(&w->work, pvapf_work_fn);

	if (!pvapf_inject_not_present(vcpu, w->token)) {
		pvapf_work_free(w);
		return false;
	}
	w->injected = true;
	list_add_tail(&w->queued_link, &pv->queued);
	pv->outstanding++;
	pvapf_count(vcpu, PVAPF_HC_ASYNC_STARTED);
	pvapf_count(vcpu, PVAPF_HC_NOT_PRESENT);
	trace_pvapf_host_not_present(vcpu->vcpu_id, w->token, w->cr2_or_gpa);
	queue_work(pvapf_host_wq, &w->work);
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
 * Drop every outstanding fault of @vcpu without telling the guest: used when
 * the guest disables APF (its sleepers are woken by the guest itself), on
 * vCPU reset and when the VM goes away.  Process context, vCPU thread or VM
 * teardown; afterwards no work of this vCPU runs or will run.
 */
void pvapf_host_vcpu_cancel_all(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_work *w, *n;
	LIST_HEAD(done);

	list_for_each_entry_safe(w, n, &pv->queued, queued_link) {
		list_del(&w->queued_link);
		/* Not started: free it here; started: it ends on the done list. */
		if (cancel_work_sync(&w->work)) {
			pvapf_work_free(w);
			pvapf_count(vcpu, PVAPF_HC_CANCELLED);
		}
	}
	spin_lock(&pv->done_lock);
	list_splice_init(&pv->done, &done);
	spin_unlock(&pv->done_lock);
	list_for_each_entry_safe(w, n, &done, done_link) {
		pvapf_work_retire(w);
		pvapf_count(vcpu, PVAPF_HC_CANCELLED);
	}
	pvapf_drop_forwarded(vcpu);
	pv->outstanding = 0;
	pv->ready_pending = false;
	pv->wake_all_pending = false;
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
