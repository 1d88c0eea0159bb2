// SPDX-License-Identifier: GPL-2.0
/*
 * restore_idle_test - runs in L1, built on KVM's selftest library.  A state
 * restore writes the APF MSRs host-initiated: INT with a vector below 32
 * (msr.rst allows it; no READY can go by it) and EN enabled.  An enable
 * owes the guest a wake-all, which cannot go until the guest writes a real
 * vector; meanwhile the idle vCPU must sleep in hlt until its interrupts
 * come, not see a wake-all it cannot take as a reason to run and return
 * from every hlt at once.
 *
 * The guest, with a 100 ms periodic LAPIC timer, does "sti; hlt" until
 * TICKS ticks; the test counts the hlt exits (KVM's halt_exits), not time.
 * Then the guest writes a usable vector: the wake-all it was owed must come.
 *
 * Prints "RESULT restoreidle ticks=N halt_exits=N wake_all_token=N wake_all=N".
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

#include "pvapf_abi.h"
#include "kvm_test_util.h"

#define TIMER_VECTOR	0xee
#define READY_VECTOR	0xec
#define TICK_MS		100
#define TICKS		10
/* What the restore writes to INT: below 32, no interrupt. */
#define RESTORED_VECTOR	5

static uint64_t readies;
static uint32_t ready_token;
static struct pvapf_shared_area *area;

static void guest_ready_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ready_token, READ_ONCE(area->token));
	WRITE_ONCE(area->token, PVAPF_TOKEN_NONE);
	wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	WRITE_ONCE(readies, readies + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

static void guest_code(void)
{
	guest_timer_start(TIMER_VECTOR, TICK_MS);
	/* Idle: each hlt should end with a tick and nothing else. */
	while (READ_ONCE(guest_ticks) < TICKS)
		asm volatile("sti; hlt; cli");
	x2apic_write_reg(APIC_TMICT, 0);
	GUEST_SYNC2(1, guest_ticks);
	/* A usable vector: the wake-all the restore owed comes now. */
	wrmsr(PVAPF_MSR_INT, READY_VECTOR);
	GUEST_WAIT_UNTIL(READ_ONCE(readies));
	GUEST_SYNC2(2, ready_token);
	GUEST_DONE();
}

int main(void)
{
	struct vcpu_stat halt_exits;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char counters[128];
	vm_vaddr_t gva;
	struct ucall uc;
	uint64_t n, t;

	setbuf(stdout, NULL);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_tick_handler);
	vm_install_exception_handler(vm, READY_VECTOR, guest_ready_handler);
	gva = vm_vaddr_alloc_page(vm);
	area = (struct pvapf_shared_area *)gva;
	sync_global_to_guest(vm, area);

	/* The restore, host-initiated: INT below 32, then EN enabled. */
	vcpu_set_msr(vcpu, PVAPF_MSR_INT, RESTORED_VECTOR);
	vcpu_set_msr(vcpu, PVAPF_MSR_EN,
		     pvapf_en_value(addr_gva2gpa(vm, gva),
				    PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT));

	vcpu_stat_open(vcpu, "halt_exits", &halt_exits);
	uc = run_to_stage(vcpu, 1);
	t = uc.args[1];
	n = vcpu_stat_read(&halt_exits);
	uc = run_to_stage(vcpu, 2);
	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm->fd);
	printf("RESULT restoreidle ticks=%lu halt_exits=%lu wake_all_token=%lu wake_all=%ld\n",
	       (unsigned long)t, (unsigned long)n, (unsigned long)uc.args[1],
	       file_value(counters, "wake_all"));
	kvm_vm_free(vm);
	return 0;
}
