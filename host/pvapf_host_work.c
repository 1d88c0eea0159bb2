// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_work.c - the work item of an async fault, from allocation to
 * retirement or cancellation.
 *
 * A work item is created on the vCPU thread when a guest access needs a page
 * that must be read in, and the guest can be told NOT_PRESENT.  The work
 * faults the page into the VMM's address space with get_user_pages_remote()
 * and keeps no reference: whatever happens to the page afterwards (reclaim,
 * an mmu-notifier invalidation, memslot deletion) the guest mapping is only
 * ever made by KVM's normal fault path, which checks the invalidation
 * sequence.  The work then moves itself to the vCPU's done list; the vCPU
 * thread delivers READY (pvapf_host_ready.c) and retires it.
 */
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mmu.h"
#include "mmu/mmu_internal.h"
#include "pvapf_host_internal.h"

static struct kmem_cache *pvapf_host_work_cache;
atomic_t pvapf_host_outstanding_total = ATOMIC_INIT(0);

/*
 * One workqueue for every VM's page-ins, with one rescuer: swap-ins run under
 * memory pressure.  It runs at most PVAPF_WORKERS_MAX of them at once, and a
 * page-in can wait as long as its VMM likes (its own userfaultfd), so a VM
 * runs at most PVAPF_WORKERS_PER_VM and the rest wait in its backlog: one
 * VM's held page-ins never take every worker from the others.
 */
static struct workqueue_struct *pvapf_wq;

int pvapf_work_init(void)
{
	pvapf_host_work_cache = KMEM_CACHE(pvapf_host_work, 0);
	if (!pvapf_host_work_cache)
		return -ENOMEM;
	pvapf_wq = alloc_workqueue("pvapf", WQ_UNBOUND | WQ_MEM_RECLAIM, PVAPF_WORKERS_MAX);
	if (!pvapf_wq) {
		kmem_cache_destroy(pvapf_host_work_cache);
		return -ENOMEM;
	}
	return 0;
}

/* Every VM is gone, so every work item has been cancelled or freed. */
void pvapf_work_exit(void)
{
	destroy_workqueue(pvapf_wq);
	kmem_cache_destroy(pvapf_host_work_cache);
}

void pvapf_work_vm_init(struct kvm *kvm)
{
	struct pvapf_host_vm *vm = pvapf_vm(kvm);

	spin_lock_init(&vm->backlog_lock);
	INIT_LIST_HEAD(&vm->backlog);
	vm->running = 0;
}

/* Run @w now if its VM has a worker left, else after one of the VM's page-ins ends. */
static void pvapf_work_submit(struct pvapf_host_vm *vm, struct pvapf_host_work *w)
{
	spin_lock(&vm->backlog_lock);
	if (vm->running < PVAPF_WORKERS_PER_VM) {
		vm->running++;
		queue_work(pvapf_wq, &w->work);
	} else {
		list_add_tail(&w->backlog_link, &vm->backlog);
	}
	spin_unlock(&vm->backlog_lock);
}

/* A page-in of the VM ended, or was cancelled before it ran: its worker goes to the next. */
static void pvapf_work_slot_free(struct pvapf_host_vm *vm)
{
	struct pvapf_host_work *next;

	spin_lock(&vm->backlog_lock);
	next = list_first_entry_or_null(&vm->backlog, struct pvapf_host_work, backlog_link);
	if (next) {
		list_del_init(&next->backlog_link);
		queue_work(pvapf_wq, &next->work);
	} else {
		vm->running--;
	}
	spin_unlock(&vm->backlog_lock);
}

/* Take @w out of its VM's backlog: false if it was not there (queued, running or done). */
static bool pvapf_work_unbacklog(struct pvapf_host_vm *vm, struct pvapf_host_work *w)
{
	bool waiting;

	spin_lock(&vm->backlog_lock);
	waiting = !list_empty(&w->backlog_link);
	list_del_init(&w->backlog_link);
	spin_unlock(&vm->backlog_lock);
	return waiting;
}

/*
 * Test aid (sysfs debug_reclaim_after_swapin, CONFIG_KVM_PVAPF_TEST_AIDS):
 * page the page out again right after reading it in, so that reclaim and its
 * mmu-notifier invalidation land while the async fault is pending.
 * do_madvise() is not exported, so the aid exists only where KVM is built in.
 */
static void pvapf_debug_reclaim(struct kvm *kvm, struct mm_struct *mm, unsigned long hva)
{
#if IS_BUILTIN(CONFIG_KVM) && IS_ENABLED(CONFIG_KVM_PVAPF_TEST_AIDS)
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
	pvapf_work_slot_free(pvapf_vm(vcpu->kvm));

	spin_lock(&pv->done_lock);
	first = list_empty(&pv->done);
	list_add_tail(&w->done_link, &pv->done);
	spin_unlock(&pv->done_lock);
	/*
	 * The vCPU may take w now; it flushes this function before freeing w.
	 * A halted vCPU waits for its own page-in, even behind others (ready.c).
	 */
	if (first || READ_ONCE(w->halt_waits))
		pvapf_ready_kick(vcpu);
}

static u32 pvapf_new_token(struct kvm *kvm)
{
	u32 token;

	/* One counter per VM: unique for any vcpu_id, never NONE or WAKE_ALL. */
	do {
		token = (u32)atomic_inc_return(&pvapf_vm(kvm)->next_token);
	} while (token == PVAPF_TOKEN_NONE || token == PVAPF_TOKEN_WAKE_ALL);
	return token;
}

/* A work item for @fault, with its token; not queued yet. */
struct pvapf_host_work *pvapf_work_alloc(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct pvapf_host_work *w;

	/* No waiting for memory here: the synchronous path would wait anyway. */
	w = kmem_cache_zalloc(pvapf_host_work_cache, GFP_NOWAIT | __GFP_NOWARN);
	if (!w)
		return NULL;
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
	INIT_LIST_HEAD(&w->backlog_link);
	return w;
}

/* The guest was told NOT_PRESENT for @w: start the swap-in. */
void pvapf_work_queue(struct kvm_vcpu *vcpu, struct pvapf_host_work *w)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	list_add_tail(&w->queued_link, &pv->queued);
	pv->outstanding++;
	pvapf_work_submit(pvapf_vm(vcpu->kvm), w);
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

/*
 * Cancel every work item of @vcpu, queued, running or done.  Process
 * context, vCPU thread or VM teardown; afterwards no work of this vCPU runs
 * or will run.
 */
void pvapf_work_cancel_all(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct pvapf_host_vm *vm = pvapf_vm(vcpu->kvm);
	struct pvapf_host_work *w, *n;
	LIST_HEAD(done);

	list_for_each_entry_safe(w, n, &pv->queued, queued_link) {
		list_del(&w->queued_link);
		/* Not started: free it here; started: it ends on the done list. */
		if (pvapf_work_unbacklog(vm, w)) {
			/* waiting for a worker: it holds none */
		} else if (cancel_work_sync(&w->work)) {
			/* queued: the worker it was given goes to the next */
			pvapf_work_slot_free(vm);
		} else {
			continue;
		}
		pvapf_work_free(w);
		pvapf_count(vcpu, PVAPF_HC_CANCELLED);
	}
	spin_lock(&pv->done_lock);
	list_splice_init(&pv->done, &done);
	spin_unlock(&pv->done_lock);
	list_for_each_entry_safe(w, n, &done, done_link) {
		pvapf_work_retire(w);
		pvapf_count(vcpu, PVAPF_HC_CANCELLED);
	}
	pv->outstanding = 0;
	/*
	 * A halt waited for one of these: gone, the guest's retry decides anew.
	 * Also a halt asked for but not begun (a signal ended KVM_RUN right after
	 * the fault): after a reset it would stop the fresh vCPU, IF = 0 and
	 * nothing outstanding to wake it.
	 */
	kvm_clear_request(KVM_REQ_APF_HALT, vcpu);
	vcpu->arch.apf.halted = false;
}
