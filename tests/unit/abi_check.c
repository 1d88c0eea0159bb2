// SPDX-License-Identifier: GPL-2.0
/*
 * abi_check.c - compile-time proof that abi/pvapf_abi.h matches the pinned
 * kernel's KVM async-PF ABI (<asm/kvm_para.h> from an installed uapi dir).
 *
 * Nothing here runs: if any value or layout drifts, this file does not
 * compile and "make check" fails.  Built with -DPVAPF_ABI_CHECK_DRIFT it
 * perturbs one value on purpose; the Makefile requires that build to fail,
 * which proves the checks can fail.
 */
#include <stddef.h>

/* uapi bits.h uses these without including them; kvm_para.h needs it. */
#include <linux/const.h>
#include <asm/bitsperlong.h>
#include <linux/bits.h>
#include <asm/kvm_para.h>

#include "pvapf_abi.h"

#ifdef PVAPF_ABI_CHECK_DRIFT
#undef PVAPF_MSR_ACK
#define PVAPF_MSR_ACK 0x4b564d08
#endif

#define SAME(ours, theirs) \
	_Static_assert((ours) == (theirs), #ours " != " #theirs)

/* CPUID */
SAME(PVAPF_CPUID_FEATURES, KVM_CPUID_FEATURES);
SAME(PVAPF_FEATURE_ASYNC_PF, KVM_FEATURE_ASYNC_PF);
SAME(PVAPF_FEATURE_ASYNC_PF_VMEXIT, KVM_FEATURE_ASYNC_PF_VMEXIT);
SAME(PVAPF_FEATURE_ASYNC_PF_INT, KVM_FEATURE_ASYNC_PF_INT);
SAME(PVAPF_FEATURE_ASYNC_PF, 4);
SAME(PVAPF_FEATURE_ASYNC_PF_VMEXIT, 10);
SAME(PVAPF_FEATURE_ASYNC_PF_INT, 14);

/* MSR numbers */
SAME(PVAPF_MSR_EN, MSR_KVM_ASYNC_PF_EN);
SAME(PVAPF_MSR_INT, MSR_KVM_ASYNC_PF_INT);
SAME(PVAPF_MSR_ACK, MSR_KVM_ASYNC_PF_ACK);

/* EN bits */
SAME(PVAPF_EN_ENABLED, KVM_ASYNC_PF_ENABLED);
SAME(PVAPF_EN_SEND_ALWAYS, KVM_ASYNC_PF_SEND_ALWAYS);
SAME(PVAPF_EN_DELIVERY_AS_PF_VMEXIT, KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT);
SAME(PVAPF_EN_DELIVERY_AS_INT, KVM_ASYNC_PF_DELIVERY_AS_INT);
/* msr.rst: bits 5:4 reserved, bits 63:6 GPA. */
SAME(PVAPF_EN_RESERVED_MASK, __GENMASK_ULL(5, 4));
SAME(PVAPF_EN_GPA_MASK, __GENMASK_ULL(63, 6));

#define PVAPF_EN_FLAG_BITS (PVAPF_EN_ENABLED | PVAPF_EN_SEND_ALWAYS | \
			    PVAPF_EN_DELIVERY_AS_PF_VMEXIT | \
			    PVAPF_EN_DELIVERY_AS_INT)
/* Flags, reserved bits and GPA tile the 64-bit MSR without overlap. */
SAME(PVAPF_EN_FLAG_BITS & PVAPF_EN_RESERVED_MASK, 0);
SAME(PVAPF_EN_FLAG_BITS & PVAPF_EN_GPA_MASK, 0);
SAME(PVAPF_EN_RESERVED_MASK & PVAPF_EN_GPA_MASK, 0);
SAME(PVAPF_EN_FLAG_BITS | PVAPF_EN_RESERVED_MASK | PVAPF_EN_GPA_MASK, ~0ULL);
/* The GPA field's low bit is the area alignment. */
SAME(~PVAPF_EN_GPA_MASK + 1, PVAPF_AREA_ALIGN);

/* INT and ACK values */
SAME(PVAPF_INT_VECTOR_MASK, KVM_ASYNC_PF_VEC_MASK);
SAME(PVAPF_INT_VECTOR_MIN, 32);
SAME(PVAPF_ACK_VALUE, 1);	/* msr.rst: write '1' to bit 0 */

/* Reasons */
SAME(PVAPF_REASON_NOT_PRESENT, KVM_PV_REASON_PAGE_NOT_PRESENT);
SAME(PVAPF_REASON_READY, KVM_PV_REASON_PAGE_READY);

/* Tokens */
SAME(PVAPF_TOKEN_NONE, 0);
SAME(PVAPF_TOKEN_WAKE_ALL, (__u32)~0U);
SAME(sizeof(PVAPF_TOKEN_WAKE_ALL), sizeof(__u32));

/* Shared area layout vs struct kvm_vcpu_pv_apf_data's first 64 bytes */
SAME(sizeof(struct pvapf_shared_area), PVAPF_AREA_SIZE);
SAME(PVAPF_AREA_SIZE, 64);
SAME(_Alignof(struct pvapf_shared_area),
	_Alignof(struct kvm_vcpu_pv_apf_data));
_Static_assert(sizeof(struct kvm_vcpu_pv_apf_data) >= PVAPF_AREA_SIZE,
	       "kvm_vcpu_pv_apf_data shorter than the wire area");
SAME(offsetof(struct pvapf_shared_area, flags), 0);
SAME(offsetof(struct pvapf_shared_area, flags),
	offsetof(struct kvm_vcpu_pv_apf_data, flags));
SAME(sizeof(((struct pvapf_shared_area *)0)->flags),
	sizeof(((struct kvm_vcpu_pv_apf_data *)0)->flags));
SAME(offsetof(struct pvapf_shared_area, token), 4);
SAME(offsetof(struct pvapf_shared_area, token),
	offsetof(struct kvm_vcpu_pv_apf_data, token));
SAME(sizeof(((struct pvapf_shared_area *)0)->token),
	sizeof(((struct kvm_vcpu_pv_apf_data *)0)->token));
SAME(offsetof(struct pvapf_shared_area, pad),
	offsetof(struct kvm_vcpu_pv_apf_data, pad));
SAME(sizeof(((struct pvapf_shared_area *)0)->pad),
	sizeof(((struct kvm_vcpu_pv_apf_data *)0)->pad));
