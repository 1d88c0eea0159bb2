// SPDX-License-Identifier: GPL-2.0
/*
 * halt_wait_test - runs in L1 (the pvapf host, or Debian's for reference),
 * built on KVM's selftest library.  A guest with interrupts on touches a
 * page whose page-in a userfaultfd holds for HOLD_MS, in one of four modes:
 *  - cannot_deliver (default): it never enables APF and runs at CPL 0, so it
 *    cannot be told NOT_PRESENT;
 *  - off: it enables APF for CPL 0 faults, but its VM's policy is 'off';
 *  - repeated: it enables APF, takes NOT_PRESENT and retries the access at
 *    once, before READY (a kernel-mode retry);
 *  - completed: as cannot_deliver, but first an async fault on another page
 *    whose page-in is let go at once, and whose READY cannot go (the guest
 *    never ACKs the one before it).
 * In the first three its 1 ms LAPIC timer must keep ticking while the page-in
 * is held, as with stock KVM's APF halt: a vCPU held in a synchronous page-in
 * takes none, so the IPIs, TLB shootdowns and RCU of its other vCPUs would
 * wait on it too.  In 'completed' (no timer) the halt must wait for its own
 * page-in only: the other one's completion, which cannot end in a READY, must
 * not wake it (the retried access would halt again at once, at full CPU).
 *
 * Usage: halt_wait_test [cannot_deliver|off|repeated|completed]
 * Prints "RESULT halt mode=M ticks_held=N held_ms=N halted=N sync=N" (the
 * timer interrupts the guest took while the page-in was held, the VM's pvapf
 * halted counter and the sum of its sync_* counters, -1 where there are
 * none); a step that cannot be done is a TEST_ASSERT failure (non-zero exit).
 */
#include <fcntl.h>
#include <glob.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

#include "kvm_test_util.h"

#include "pvapf_abi.h"

#define TEST_SLOT	1
#define TEST_GPA	(1ULL << 30)
/* the page the measured fault touches; the one before it, 'completed''s async fault */
#define OTHER_GVA	TEST_GPA
#define HELD_GVA	(TEST_GPA + PAGE_SIZE)
#define TIMER_VECTOR	0xee
#define READY_VECTOR	0xec
#define HOLD_MS		100

enum mode { CANNOT_DELIVER, OFF, REPEATED, COMPLETED, NR_MODES };
static const char *const mode_names[NR_MODES] = {
	"cannot_deliver", "off", "repeated", "completed"
};

static struct pvapf_shared_area apf_area __aligned(PVAPF_AREA_ALIGN);
static uint64_t apf_area_gpa;
static enum mode mode;
static uint64_t readies, not_presents;

/* Every READY but in 'completed', where the enable's wake-all stays un-ACKed. */
static void guest_ready_handler(struct ex_regs *regs)
{
	WRITE_ONCE(readies, readies + 1);
	if (mode != COMPLETED) {
		WRITE_ONCE(apf_area.token, 0);
		wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	}
	x2apic_write_reg(APIC_EOI, 0);
}

/* NOT_PRESENT: retried at once ('repeated'), or skipped, its page-in left in flight. */
static void guest_pf_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(READ_ONCE(apf_area.flags), PVAPF_REASON_NOT_PRESENT);
	WRITE_ONCE(apf_area.flags, 0);
	WRITE_ONCE(not_presents, not_presents + 1);
	if (mode == COMPLETED) {
		GUEST_ASSERT_EQ(regs->rip, (uint64_t)guest_touch);
		regs->rip = (uint64_t)guest_touch_done;
	}
}

static void guest_code(void)
{
	const uint64_t en = apf_area_gpa | PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT;

	if (mode != COMPLETED) {
		guest_timer_start(TIMER_VECTOR, 1);
		/* The timer works before the page is touched. */
		GUEST_WAIT_UNTIL(READ_ONCE(guest_ticks));
	} else {
		x2apic_enable();
	}
	if (mode != CANNOT_DELIVER) {
		wrmsr(PVAPF_MSR_INT, READY_VECTOR);
		wrmsr(PVAPF_MSR_EN, en | PVAPF_EN_SEND_ALWAYS);
		/* the enable's wake-all */
		GUEST_WAIT_UNTIL(READ_ONCE(readies));
	}
	if (mode == COMPLETED) {
		asm volatile("sti; nop");
		guest_touch(OTHER_GVA);
		GUEST_ASSERT_EQ(READ_ONCE(not_presents), 1);
		/* From here a CPL 0 fault cannot be told NOT_PRESENT. */
		wrmsr(PVAPF_MSR_EN, en);
	}
	asm volatile("sti; nop");
	GUEST_SYNC2(1, 0);
	(void)READ_ONCE(*(volatile uint64_t *)HELD_GVA);
	GUEST_SYNC2(2, READ_ONCE(not_presents));
	GUEST_DONE();
}

/* The vCPU's run through the held page-in, on its own thread. */
static void *vcpu_thread(void *arg)
{
	run_to_stage(arg, 2);
	return NULL;
}

static void release(int uffd, struct kvm_vm *vm, void *hva)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (unsigned long)hva, .len = vm->page_size },
	};

	TEST_ASSERT(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
}

int main(int argc, char *argv[])
{
	const struct timespec hold = { .tv_nsec = HOLD_MS * 1000000L };
	volatile uint64_t *ticks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char counters[128];
	uint64_t t0, t1;
	pthread_t thr;
	glob_t g;
	int uffd;

	setbuf(stdout, NULL);
	for (mode = 0; argc > 1 && mode < NR_MODES; mode++)
		if (!strcmp(argv[1], mode_names[mode]))
			break;
	TEST_ASSERT(mode < NR_MODES, "usage: halt_wait_test [cannot_deliver|off|repeated|completed]");
	vm = apf_test_vm(&vcpu, guest_code, READY_VECTOR, guest_ready_handler, guest_pf_handler,
			 TEST_GPA, TEST_SLOT, 2);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_tick_handler);
	apf_area_gpa = addr_gva2gpa(vm, (vm_vaddr_t)&apf_area);
	sync_global_to_guest(vm, apf_area_gpa);
	sync_global_to_guest(vm, mode);
	ticks = addr_gva2hva(vm, (vm_vaddr_t)&guest_ticks);
	if (mode == OFF) {
		TEST_ASSERT(vm_dirs(getpid(), &g) == 1, "one pvapf VM directory (pvapf host?)");
		vm_dir_write(g.gl_pathv[0], "policy", "off");
		globfree(&g);
	}

	uffd = uffd_hold(addr_gpa2hva(vm, TEST_GPA), 2 * vm->page_size);
	run_to_stage(vcpu, 1);
	if (mode == COMPLETED) {
		/* The async fault's page-in, let go at once: it completes while the next halt waits. */
		uffd_wait_fault(uffd, addr_gpa2hva(vm, OTHER_GVA));
		release(uffd, vm, addr_gpa2hva(vm, OTHER_GVA));
	}
	TEST_ASSERT(!pthread_create(&thr, NULL, vcpu_thread, vcpu), "pthread_create");
	/* The page-in waits on us now, whoever does it. */
	uffd_wait_fault(uffd, addr_gpa2hva(vm, HELD_GVA));
	t0 = *ticks;
	nanosleep(&hold, NULL);
	t1 = *ticks;
	release(uffd, vm, addr_gpa2hva(vm, HELD_GVA));
	TEST_ASSERT(!pthread_join(thr, NULL), "pthread_join");

	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm->fd);
	printf("RESULT halt mode=%s ticks_held=%lu held_ms=%d halted=%ld sync=%ld\n",
	       mode_names[mode], (unsigned long)(t1 - t0), HOLD_MS,
	       file_value(counters, "halted"), file_scan(counters, "sync_", true));
	close(uffd);
	kvm_vm_free(vm);
	return 0;
}
