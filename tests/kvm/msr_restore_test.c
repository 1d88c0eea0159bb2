// SPDX-License-Identifier: GPL-2.0
/*
 * msr_restore_test - runs in L1, built on KVM's selftest library from the
 * pinned tree.  An incoming migration or a state restore writes the APF MSRs
 * with KVM_SET_MSRS (host-initiated), in the VMM's order and with whatever a
 * stock source host accepted from its guest.  Those writes must succeed
 * wherever Documentation/virt/kvm/x86/msr.rst allows the value, or the
 * migration from a stock host aborts; only what msr.rst reserves is refused.
 * Each value is written to a new vCPU, so no case depends on another.
 *
 * Prints "RESULT msrrestore case=NAME rc=ok|refused readback=VALUE" per case.
 *
 * usage: msr_restore_test
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"

#include "pvapf_abi.h"

struct msr_case {
	const char *name;
	u32 msr;
	/* EN only: the area's address is added (a page of guest RAM) */
	u64 value;
	/* INT written first, as "never set" when 0 */
	u64 int_first;
};

#define EN_INT	(PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT)

static const struct msr_case cases[] = {
	/* msr.rst reserves only INT bits 8-63: a vector below 32 restores. */
	{ .name = "int_vector_below_32", .msr = PVAPF_MSR_INT, .value = 5 },
	{ .name = "int_reserved_bits", .msr = PVAPF_MSR_INT, .value = 0x1ec },
	/* ACK has no reserved bits in msr.rst; only bit 0 means anything. */
	{ .name = "ack_reserved_bits", .msr = PVAPF_MSR_ACK, .value = 0x2 },
	/* The VMM restores EN and INT in its own order. */
	{ .name = "en_before_int", .msr = PVAPF_MSR_EN, .value = EN_INT },
	{ .name = "en_after_int", .msr = PVAPF_MSR_EN, .value = EN_INT, .int_first = 0xec },
	{ .name = "en_reserved_bit4", .msr = PVAPF_MSR_EN, .value = EN_INT | (1 << 4),
	  .int_first = 0xec },
};

static void guest_code(void)
{
	GUEST_DONE();
}

static void run_case(const struct msr_case *c)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	u64 value = c->value;
	int set;

	if (c->msr == PVAPF_MSR_EN)
		value |= addr_gva2gpa(vm, vm_vaddr_alloc_page(vm));
	if (c->int_first)
		vcpu_set_msr(vcpu, PVAPF_MSR_INT, c->int_first);
	/* KVM_SET_MSRS returns how many it set: 1, or 0 for a refusal (#GP). */
	set = _vcpu_set_msr(vcpu, c->msr, value);
	printf("RESULT msrrestore case=%s rc=%s readback=%#llx\n", c->name,
	       set == 1 ? "ok" : "refused",
	       (unsigned long long)vcpu_get_msr(vcpu, c->msr));
	kvm_vm_free(vm);
}

int main(void)
{
	unsigned int i;

	setbuf(stdout, NULL);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	return 0;
}
