// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_main.c - module, VM and vCPU lifecycle of the pvapf host.
 */
#include <linux/kvm_host.h>

#include "pvapf_host_internal.h"

#define CREATE_TRACE_POINTS
#include "pvapf_host_trace.h"

int pvapf_host_default_policy = PVAPF_POLICY_ADAPTIVE;

int pvapf_host_init(void)
{
	int r;

	r = pvapf_work_init();
	if (r)
		return r;
	r = pvapf_sysfs_init();
	if (r)
		pvapf_work_exit();
	return r;
}

void pvapf_host_exit(void)
{
	pvapf_sysfs_exit();
	pvapf_work_exit();
}

void pvapf_host_vm_init(struct kvm *kvm)
{
	struct pvapf_host_vm *vm = pvapf_vm(kvm);

	vm->policy = READ_ONCE(pvapf_host_default_policy);
	vm->max_outstanding = PVAPF_HOST_MAX_OUTSTANDING_DEFAULT;
	atomic_set(&vm->next_token, 0);
	atomic_set(&vm->debug_reclaim_left, 0);
	atomic_set(&vm->debug_lose_left, 0);
	vm->pid = task_tgid_nr(current);
	pvapf_work_vm_init(kvm);
}

/* The VM's name, "<pid>-<n>", for its policy directory. */
int pvapf_host_vm_post_init(struct kvm *kvm)
{
	static atomic_t seq = ATOMIC_INIT(0);
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", pvapf_vm(kvm)->pid, atomic_inc_return(&seq));
	return pvapf_sysfs_vm_add(kvm, name);
}

/*
 * No vCPU runs any more (also after a failed post-init): the policy files go,
 * then every page-in (each vCPU's, and what they left in the VM's backlog).
 */
void pvapf_host_vm_destroy(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	pvapf_sysfs_vm_del(kvm);
	kvm_for_each_vcpu(i, vcpu, kvm)
		pvapf_host_vcpu_cancel_all(vcpu);
}

void pvapf_host_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	memset(pv, 0, sizeof(*pv));
	INIT_LIST_HEAD(&pv->queued);
	INIT_LIST_HEAD(&pv->done);
	spin_lock_init(&pv->done_lock);
	memset(pv->recent, 0xff, sizeof(pv->recent));
}

/* vCPU reset (also INIT): registers to 0 and nothing outstanding. */
void pvapf_host_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	pvapf_host_vcpu_cancel_all(vcpu);
	pv->msr_en = 0;
	pv->msr_int = 0;
	pv->vector = 0;
	pv->enabled = false;
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

	pvapf_work_cancel_all(vcpu);
	pvapf_drop_forwarded(vcpu);
	pv->ready_pending = false;
	pv->wake_all_pending = false;
	pv->sync_t0 = 0;
}
