/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pvapf_abi.h - guest/host wire ABI of paravirtual async page faults.
 *
 * The one definition of the pvapf ABI, shared by the host and guest
 * kernels, the unit tests and userspace tools.  It is wire compatible with
 * the KVM x86 PV async-PF ABI with interrupt-delivered "page ready"
 * (Documentation/virt/kvm/x86/msr.rst), so a pvapf guest runs on a stock
 * KVM host and a stock guest runs on a pvapf host.  tests/unit/abi_check.c
 * fails the build if any value here drifts from <asm/kvm_para.h>.
 *
 * Everything is prefixed PVAPF_/pvapf_ and nothing comes from kvm_para.h,
 * so this header can be included next to it without clashes.
 *
 * Protocol summary (per vCPU):
 *  1. Guest writes the "page ready" vector to PVAPF_MSR_INT, then the GPA
 *     of its shared area plus PVAPF_EN_* bits to PVAPF_MSR_EN.  INT must
 *     come first or the host may inject vector 0.
 *  2. "Page not present": the host injects a synthetic #PF with error code
 *     0, CR2 = token (low 32 bits) and area.flags = PVAPF_REASON_NOT_PRESENT.
 *     The guest reads and zeroes flags before anything else can fault, then
 *     parks the faulting task on the token.
 *  3. "Page ready": the host writes the token to area.token and raises the
 *     vector.  The guest wakes the task, zeroes area.token, then writes
 *     PVAPF_ACK_VALUE to PVAPF_MSR_ACK so the host delivers the next one.
 *     The host only writes area.token while it is 0, so a token left in
 *     the slot (not yet ACKed) holds back further READYs on that vCPU.
 *  4. Disabling (EN without PVAPF_EN_ENABLED) makes the host drop all
 *     outstanding READYs for that vCPU; re-enabling makes it send
 *     PVAPF_TOKEN_WAKE_ALL.
 */
#ifndef _PVAPF_ABI_H
#define _PVAPF_ABI_H

#include <linux/const.h>
#include <linux/types.h>

/* ---- CPUID: KVM features leaf, EAX bit numbers ---- */

#define PVAPF_CPUID_FEATURES		0x40000001
/* Host can send "page not present" as #PF (base APF support). */
#define PVAPF_FEATURE_ASYNC_PF		4
/* PVAPF_EN_DELIVERY_AS_PF_VMEXIT may be set (nested: #PF vmexit to L1). */
#define PVAPF_FEATURE_ASYNC_PF_VMEXIT	10
/*
 * "Page ready" by interrupt: PVAPF_MSR_INT/ACK exist.  Required: hosts
 * since Linux 5.9 deliver nothing unless PVAPF_EN_DELIVERY_AS_INT is set.
 */
#define PVAPF_FEATURE_ASYNC_PF_INT	14

/* ---- MSRs (KVM's 0x4b564dxx range) ---- */

/* Enable/disable and shared area GPA. */
#define PVAPF_MSR_EN			0x4b564d02
/* "Page ready" interrupt vector; write before PVAPF_MSR_EN. */
#define PVAPF_MSR_INT			0x4b564d06
/* Guest has consumed area.token; host may deliver the next READY. */
#define PVAPF_MSR_ACK			0x4b564d07

/* ---- PVAPF_MSR_EN value ---- */

/* APF is on for this vCPU. */
#define PVAPF_EN_ENABLED		_BITULL(0)
/*
 * Host may also send "not present" while the vCPU is at CPL 0.  pvapf
 * guests leave it clear: a kernel-mode fault cannot sleep safely.
 */
#define PVAPF_EN_SEND_ALWAYS		_BITULL(1)
/* Deliver "not present" to L1 as a #PF vmexit while L2 runs. */
#define PVAPF_EN_DELIVERY_AS_PF_VMEXIT	_BITULL(2)
/* "Page ready" by PVAPF_MSR_INT vector; without it nothing is delivered. */
#define PVAPF_EN_DELIVERY_AS_INT	_BITULL(3)
/* Bits 5:4 are reserved and must be zero. */
#define PVAPF_EN_RESERVED_MASK		(_BITULL(4) | _BITULL(5))
/* Bits 63:6: GPA of the shared area, hence its 64-byte alignment. */
#define PVAPF_EN_GPA_MASK		(~0ULL << 6)

/* ---- Shared area ---- */

#define PVAPF_AREA_SIZE			64
#define PVAPF_AREA_ALIGN		64

/* Values of pvapf_shared_area.flags (an enumerator, not a bitmask). */
#define PVAPF_REASON_NOT_PRESENT	1
/* READY via #PF is deprecated; only ever seen from pre-5.9 hosts. */
#define PVAPF_REASON_READY		2

/*
 * struct pvapf_shared_area - per-vCPU area registered via PVAPF_MSR_EN
 * @flags: PVAPF_REASON_NOT_PRESENT while a "not present" #PF is being
 *	delivered, else 0.  The guest zeroes it once it has read it so the
 *	next event can be sent and real #PFs are not mistaken for APF.
 * @token: token of a "page ready" event; 0 means the slot is free.  The
 *	guest zeroes it and then writes PVAPF_MSR_ACK.
 * @pad: reserved, keeps the area at exactly PVAPF_AREA_SIZE bytes.
 *
 * Upstream's guest keeps a private "enabled" word after these 64 bytes in
 * its copy of the struct; that word is guest bookkeeping, never read or
 * written by the host, and is NOT part of this wire area.  A pvapf guest
 * keeps such state elsewhere.
 *
 * PVAPF_MSR_EN takes GPA bits 63:6 only, so each instance must be placed
 * on a PVAPF_AREA_ALIGN boundary (kernel: __aligned(PVAPF_AREA_ALIGN)).
 * The type itself carries no alignment, exactly like KVM's.
 */
struct pvapf_shared_area {
	__u32 flags;
	__u32 token;
	__u8 pad[56];
};

/* ---- PVAPF_MSR_INT value ---- */

/* Bits 7:0: vector of the "page ready" interrupt. */
#define PVAPF_INT_VECTOR_MASK		0xffULL
/* Vectors 0-31 are exceptions; the host rejects them. */
#define PVAPF_INT_VECTOR_MIN		32

/* ---- PVAPF_MSR_ACK value ---- */

/* Bit 0: "token consumed, rescan the queue". */
#define PVAPF_ACK_VALUE			1ULL

/* ---- Tokens ---- */

/*
 * A token names one outstanding async fault from "not present" to "page
 * ready".  Guests must treat it as opaque: stock KVM packs
 * (per-vCPU counter << 12) | vcpu_id, which repeats across vCPUs once
 * vcpu_id >= 4096, while a pvapf host hands out a per-VM counter so tokens
 * are unique across all vCPUs.  Either way a token is never
 * PVAPF_TOKEN_NONE and never PVAPF_TOKEN_WAKE_ALL, and READY may arrive on
 * a different vCPU than its "not present".
 */
/* area.token == 0: READY slot free; never a valid token. */
#define PVAPF_TOKEN_NONE		0U
/* READY with ~0: host forgot its outstanding faults; wake every sleeper. */
#define PVAPF_TOKEN_WAKE_ALL		0xffffffffU

/* True if @token can name an outstanding fault. */
static inline int pvapf_token_valid(__u32 token)
{
	return token != PVAPF_TOKEN_NONE && token != PVAPF_TOKEN_WAKE_ALL;
}

/* Build a PVAPF_MSR_EN value; @gpa must be PVAPF_AREA_ALIGN aligned. */
static inline __u64 pvapf_en_value(__u64 gpa, __u64 en_bits)
{
	return (gpa & PVAPF_EN_GPA_MASK) | (en_bits & ~PVAPF_EN_GPA_MASK &
					    ~PVAPF_EN_RESERVED_MASK);
}

#endif /* _PVAPF_ABI_H */
