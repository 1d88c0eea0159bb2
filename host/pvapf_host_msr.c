// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_msr.c - MSR_KVM_ASYNC_PF_EN, _INT and _ACK.
 *
 * Guest writes are checked against the ABI and a bad value is a #GP (and
 * counted), never a host warning; pvapf also refuses a guest an INT vector
 * below 32, reserved ACK bits and EN before INT.  Host-initiated writes (VMM
 * reset, state restore, incoming migration) may set the registers in any
 * order and with any value msr.rst allows, as a stock source accepted them:
 * only the bits msr.rst reserves are refused there.
 */
#include <linux/kvm_host.h>

#include "x86.h"
#include "cpuid.h"
#include "lapic.h"
#include "pvapf_host_internal.h"
#include "pvapf_host_trace.h"

static int pvapf_bad_write(struct kvm_vcpu *vcpu, u32 msr, u64 data, const char *why)
{
	pvapf_count(vcpu, PVAPF_HC_BAD_MSR_WRITE);
	trace_pvapf_host_bad_msr(vcpu->vcpu_id, msr, data, why);
	return 1;
}

static int pvapf_write_en(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	bool was_enabled = pv->enabled;
	bool enable;

	if (data & PVAPF_EN_RESERVED_MASK)
		return pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "reserved bits");
	if ((data & PVAPF_EN_DELIVERY_AS_PF_VMEXIT) &&
	    !guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_VMEXIT))
		return pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "pf-vmexit not offered");
	if ((data & PVAPF_EN_DELIVERY_AS_INT) &&
	    !guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
		return pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "int delivery not offered");
	if (!lapic_in_kernel(vcpu))
		return data ? pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "no in-kernel lapic") : 0;

	/* Page-ready events go only by interrupt; #PF-delivered READY is gone. */
	enable = (data & PVAPF_EN_ENABLED) && (data & PVAPF_EN_DELIVERY_AS_INT);
	if (enable && !host && !pvapf_vector_usable(pv))
		return pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "vector not set");
	if (enable && kvm_gfn_to_hva_cache_init(vcpu->kvm, &pv->area,
						data & PVAPF_EN_GPA_MASK,
						PVAPF_AREA_SIZE))
		return pvapf_bad_write(vcpu, PVAPF_MSR_EN, data, "area not in guest ram");

	pv->msr_en = data;
	if (!enable) {
		pv->enabled = false;
		pvapf_host_vcpu_cancel_all(vcpu);
		return 0;
	}
	if (!kvm_lapic_enabled(vcpu))
		pvapf_count(vcpu, PVAPF_HC_ENABLE_LAPIC_DISABLED);
	pv->send_always = data & PVAPF_EN_SEND_ALWAYS;
	pv->pf_vmexit = data & PVAPF_EN_DELIVERY_AS_PF_VMEXIT;
	pv->enabled = true;
	/*
	 * A guest (re-)enabling after reset, kexec or migration may have tasks
	 * asleep on tokens that will never complete here: wake them all.
	 */
	if (!was_enabled || host) {
		pv->wake_all_pending = true;
		pvapf_ready_kick(vcpu);
	}
	return 0;
}

static int pvapf_write_int(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	if (data & ~PVAPF_INT_VECTOR_MASK)
		return pvapf_bad_write(vcpu, PVAPF_MSR_INT, data, "reserved bits");
	if (!lapic_in_kernel(vcpu))
		return pvapf_bad_write(vcpu, PVAPF_MSR_INT, data, "no in-kernel lapic");
	/* Vectors 0-31 are exceptions: nothing is delivered by one (inject.c). */
	if (data < PVAPF_INT_VECTOR_MIN && !host)
		return pvapf_bad_write(vcpu, PVAPF_MSR_INT, data, "vector below 32");
	pv->msr_int = data;
	pv->vector = data & PVAPF_INT_VECTOR_MASK;
	/* READYs held while a restored vector was below 32 can go now. */
	if (pv->enabled && pvapf_vector_usable(pv))
		pvapf_ready_kick(vcpu);
	return 0;
}

static int pvapf_write_ack(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	if ((data & ~PVAPF_ACK_VALUE) && !host)
		return pvapf_bad_write(vcpu, PVAPF_MSR_ACK, data, "reserved bits");
	if (!(data & PVAPF_ACK_VALUE))
		return 0;
	if (pv->ready_pending) {
		pvapf_count(vcpu, PVAPF_HC_ACK);
		if (pv->ready_t0)
			pvapf_ready_ack_sample(vcpu, ktime_get_ns() - pv->ready_t0);
	} else {
		/* Harmless (the queue is re-scanned anyway) but worth seeing. */
		pvapf_count(vcpu, PVAPF_HC_ACK_SPURIOUS);
	}
	pv->ready_pending = false;
	pvapf_host_deliver_ready(vcpu);
	return 0;
}

int pvapf_host_set_msr(struct kvm_vcpu *vcpu, u32 msr, u64 data, bool host_initiated)
{
	switch (msr) {
	case PVAPF_MSR_EN:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF))
			return KVM_MSR_RET_UNSUPPORTED;
		return pvapf_write_en(vcpu, data, host_initiated);
	case PVAPF_MSR_INT:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return KVM_MSR_RET_UNSUPPORTED;
		return pvapf_write_int(vcpu, data, host_initiated);
	case PVAPF_MSR_ACK:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return KVM_MSR_RET_UNSUPPORTED;
		return pvapf_write_ack(vcpu, data, host_initiated);
	}
	return KVM_MSR_RET_UNSUPPORTED;
}

int pvapf_host_get_msr(struct kvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);

	switch (msr) {
	case PVAPF_MSR_EN:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF))
			return KVM_MSR_RET_UNSUPPORTED;
		*data = pv->msr_en;
		return 0;
	case PVAPF_MSR_INT:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return KVM_MSR_RET_UNSUPPORTED;
		*data = pv->msr_int;
		return 0;
	case PVAPF_MSR_ACK:
		if (!guest_pv_has(vcpu, KVM_FEATURE_ASYNC_PF_INT))
			return KVM_MSR_RET_UNSUPPORTED;
		*data = 0;
		return 0;
	}
	return KVM_MSR_RET_UNSUPPORTED;
}
