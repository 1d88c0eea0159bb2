// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_host_policy.c - when a fault that needs I/O goes async.
 *
 * The rule (host/README.md "Policy"):
 *  - Pages KVM can get without sleeping on I/O never reach the decision:
 *    resident pages, the swap cache, and swap devices that complete
 *    synchronously (zram: SWP_SYNCHRONOUS_IO reads finish inside the
 *    non-blocking fault), counted as inline_swapin.
 *  - 'off': always synchronous.  'always': async whenever the guest can take
 *    NOT_PRESENT.  'adaptive' (default): async while the VM's moving average
 *    of swap-in latency is at least PVAPF_BREAK_EVEN times the APF round trip,
 *    i.e. while putting one task to sleep and waking it costs clearly less
 *    than stalling the vCPU for the read.
 *  - The round trip is the VM's moving average of READY-to-ACK time (the
 *    guest's wake path) doubled for the NOT_PRESENT side, and at least
 *    PVAPF_RT_FLOOR_NS.  Both averages start at zero, which means async: the
 *    first faults measure the device.  Synchronous swap-ins are timed too, and
 *    one in PVAPF_PROBE_EVERY adaptive decisions goes async anyway, so that
 *    both averages stay current and a VM that went synchronous can switch back.
 *  - What does not go async ('off', adaptive's choice) still never blocks the
 *    vCPU's interrupts for a slow read: the vCPU halts while the page comes
 *    in (pvapf_host_fault.c), unless the VM's page-ins average under
 *    PVAPF_SYNC_CHEAP_NS, where the halt (a work item, a wake-up, a second
 *    exit) would cost about as much as the read.
 */
#include <linux/kvm_host.h>

#include "pvapf_host_internal.h"
#include "pvapf_host_trace.h"

#define PVAPF_BREAK_EVEN	2
#define PVAPF_PROBE_EVERY	32
#define PVAPF_RT_FLOOR_NS	(10 * NSEC_PER_USEC)
#define PVAPF_SYNC_CHEAP_NS	(2 * PVAPF_RT_FLOOR_NS)
/* Moving averages weigh a new sample 1/8. */
#define PVAPF_EWMA_SHIFT	3

static const char *const pvapf_policy_names[PVAPF_POLICY_NR] = {
	[PVAPF_POLICY_OFF] = "off",
	[PVAPF_POLICY_ALWAYS] = "always",
	[PVAPF_POLICY_ADAPTIVE] = "adaptive",
};

const char *pvapf_policy_name(int policy)
{
	if (policy < 0 || policy >= PVAPF_POLICY_NR)
		return "?";
	return pvapf_policy_names[policy];
}

/* The policy for "off\n" etc., or -EINVAL. */
int pvapf_policy_parse(const char *buf)
{
	int i = sysfs_match_string(pvapf_policy_names, buf);

	return i < 0 ? -EINVAL : i;
}

static void pvapf_ewma(u64 *avg, u64 sample)
{
	u64 old = READ_ONCE(*avg);

	if (!old)
		WRITE_ONCE(*avg, sample);
	else
		WRITE_ONCE(*avg, old - (old >> PVAPF_EWMA_SHIFT) +
				 (sample >> PVAPF_EWMA_SHIFT));
}

void pvapf_swapin_sample(struct kvm_vcpu *vcpu, u64 ns)
{
	u64 *c = vcpu->stat.pvapf;

	pvapf_ewma(&pvapf_vm(vcpu->kvm)->swapin_ewma_ns, ns);
	pvapf_count(vcpu, PVAPF_HC_SWAPIN_SAMPLES);
	c[PVAPF_HC_SWAPIN_NS_TOTAL] += ns;
	if (ns > c[PVAPF_HC_SWAPIN_NS_MAX])
		c[PVAPF_HC_SWAPIN_NS_MAX] = ns;
}

void pvapf_ready_ack_sample(struct kvm_vcpu *vcpu, u64 ns)
{
	pvapf_ewma(&pvapf_vm(vcpu->kvm)->ready_ack_ewma_ns, ns);
}

u64 pvapf_round_trip_ns(struct kvm *kvm)
{
	return max_t(u64, 2 * READ_ONCE(pvapf_vm(kvm)->ready_ack_ewma_ns),
		     PVAPF_RT_FLOOR_NS);
}

bool pvapf_adaptive_wants_async(struct kvm_vcpu *vcpu)
{
	struct pvapf_host_vcpu *pv = pvapf_vcpu(vcpu);
	u64 swapin = READ_ONCE(pvapf_vm(vcpu->kvm)->swapin_ewma_ns);
	u64 rt = pvapf_round_trip_ns(vcpu->kvm);
	unsigned int run = pv->adaptive_sync_run;
	bool async = !swapin || swapin >= PVAPF_BREAK_EVEN * rt ||
		     run + 1 >= PVAPF_PROBE_EVERY;

	pv->adaptive_sync_run = async ? 0 : run + 1;
	trace_pvapf_host_adaptive(vcpu->vcpu_id, swapin, rt, run, async);
	return async;
}

/*
 * A synchronous page-in costs less than halting for it: this VM's page-ins
 * measure under PVAPF_SYNC_CHEAP_NS (zram, the swap cache).  None measured
 * yet is not cheap.
 */
bool pvapf_sync_is_cheap(struct kvm_vcpu *vcpu)
{
	u64 swapin = READ_ONCE(pvapf_vm(vcpu->kvm)->swapin_ewma_ns);

	return swapin && swapin < PVAPF_SYNC_CHEAP_NS;
}
