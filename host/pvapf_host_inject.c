// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_inject.c - putting NOT_PRESENT and READY into the guest.
 *
 * NOT_PRESENT is a #PF whose CR2 is the token, flagged by 'flags' in the
 * shared area; READY writes the token into 'token' and raises the vector
 * from MSR_KVM_ASYNC_PF_INT.  Only one READY is in flight: the guest clears
 * 'token' and writes the ACK MSR before the next one.
 */
#include <linux/kvm_host.h>

#include "x86.h"
#include "lapic.h"
#include "kvm_cache_regs.h"
#include "pvapf_host_internal.h"

/* The vCPU can take an interrupt now: in-kernel LAPIC, no event pending, IF on. */
static bool pvapf_interruptible(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && !kvm_event_needs_reinjection(vcpu) &&
	       !kvm_is_exception_pending(vcpu) && kvm_arch_interrupt_allowed(vcpu);
}

/*
 * The guest can take NOT_PRESENT now: APF enabled, local APIC enabled
 * (READY must be deliverable later), interrupts on (the guest schedules away
 * with them), CPL 3 unless it asked for kernel-mode faults too, no event
 * pending, paging on (the real-mode IDT has no #PF handler), and for a
 * nested guest only as a #PF vmexit that L1 opted into.  A restored INT
 * vector below 32 (msr.rst allows it) can carry no READY: nothing goes async.
 */
bool pvapf_can_deliver_not_present(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	if (!pv->enabled || !pvapf_vector_usable(pv) || !pvapf_interruptible(vcpu) ||
	    !kvm_lapic_enabled(vcpu))
		return false;
	if (!pv->send_always && kvm_x86_call(get_cpl)(vcpu) == 0)
		return false;
	if (is_guest_mode(vcpu))
		return pv->pf_vmexit;
	return is_paging(vcpu);
}

/*
 * No NOT_PRESENT, but the vCPU can wait for the page halted, taking
 * interrupts meanwhile (stock KVM's APF halt): interrupts on, no event
 * pending.  A vCPU that owns its cpu (HLT in the guest) spins instead, as
 * with stock KVM, unless it could have had NOT_PRESENT.
 */
bool pvapf_can_halt(struct kvm_vcpu *vcpu)
{
	if (kvm_hlt_in_guest(vcpu->kvm) && !pvapf_can_deliver_not_present(vcpu))
		return false;
	return pvapf_interruptible(vcpu);
}

bool pvapf_inject_not_present(struct kvm_vcpu *vcpu, u32 token)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	u32 reason = PVAPF_REASON_NOT_PRESENT;
	struct x86_exception fault = {
		.vector = PF_VECTOR,
		.error_code_valid = true,
		.address = token,
		.async_page_fault = true,
	};

	if (kvm_write_guest_offset_cached(vcpu->kvm, &pv->area, &reason,
					  offsetof(struct pvapf_shared_area, flags),
					  sizeof(reason)))
		return false;
	kvm_inject_page_fault(vcpu, &fault, false);
	return true;
}

bool pvapf_ready_slot_free(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	u32 token;

	if (kvm_read_guest_offset_cached(vcpu->kvm, &pv->area, &token,
					 offsetof(struct pvapf_shared_area, token),
					 sizeof(token)))
		return false;
	return token == PVAPF_TOKEN_NONE;
}

bool pvapf_inject_ready(struct kvm_vcpu *vcpu, u32 token)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	struct kvm_lapic_irq irq = {
		.delivery_mode = APIC_DM_FIXED,
		.vector = pv->vector,
	};

	if (kvm_write_guest_offset_cached(vcpu->kvm, &pv->area, &token,
					  offsetof(struct pvapf_shared_area, token),
					  sizeof(token)))
		return false;
	pv->ready_pending = true;
	/* Boot-time wake-alls wait for the guest to enable interrupts: not a sample. */
	pv->ready_t0 = token == PVAPF_TOKEN_WAKE_ALL ? 0 : ktime_get_ns();
	kvm_apic_set_irq(vcpu, &irq, NULL);
	return true;
}
