// SPDX-License-Identifier: GPL-2.0
/*
 * halt_wait_test - runs in L1 (the pvapf host, or Debian's for reference),
 * built on KVM's selftest library.  A guest that cannot be told NOT_PRESENT
 * (it never enables APF, and runs at CPL 0) but has interrupts on and a 1 ms
 * periodic LAPIC timer touches a page whose page-in a userfaultfd holds for
 * HOLD_MS.  Its timer interrupts must keep coming meanwhile, as with stock
 * KVM's APF halt: a vCPU held in a synchronous page-in takes none, so the
 * IPIs, TLB shootdowns and RCU of its other vCPUs would wait on it too.
 *
 * Prints "RESULT halt ticks_held=N held_ms=N halted=N sync_cannot_deliver=N"
 * (the timer interrupts the guest took while the page-in was held, and the
 * VM's pvapf counters, -1 where there are none); a step that cannot be done
 * is a TEST_ASSERT failure (non-zero exit).
 */
#include <fcntl.h>
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

#define TEST_SLOT	1
#define TEST_GPA	(1ULL << 30)
#define TEST_GVA	TEST_GPA
#define TIMER_VECTOR	0xee
#define HOLD_MS		100

static void guest_code(void)
{
	guest_timer_start(TIMER_VECTOR, 1);
	/* The timer works before the page is touched. */
	GUEST_WAIT_UNTIL(READ_ONCE(guest_ticks));
	asm volatile("sti; nop");
	GUEST_SYNC2(1, 0);
	/* CPL 0, APF off: no NOT_PRESENT can go; interrupts are on. */
	(void)READ_ONCE(*(volatile uint64_t *)TEST_GVA);
	GUEST_SYNC2(2, 0);
	GUEST_DONE();
}

/* The vCPU's run through the held page-in, on its own thread. */
static void *vcpu_thread(void *arg)
{
	run_to_stage(arg, 2);
	return NULL;
}

int main(void)
{
	struct uffdio_zeropage zero = { 0 };
	const struct timespec hold = { .tv_nsec = HOLD_MS * 1000000L };
	volatile uint64_t *ticks;
	struct kvm_vcpu *vcpu;
	struct uffd_msg msg;
	struct kvm_vm *vm;
	char counters[128];
	uint64_t t0, t1;
	pthread_t thr;
	void *hva;
	int uffd;

	setbuf(stdout, NULL);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, TIMER_VECTOR, guest_tick_handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, 1, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, 1);
	hva = addr_gpa2hva(vm, TEST_GPA);
	ticks = addr_gva2hva(vm, (vm_vaddr_t)&guest_ticks);

	uffd = uffd_hold(hva, vm->page_size);

	run_to_stage(vcpu, 1);
	TEST_ASSERT(!pthread_create(&thr, NULL, vcpu_thread, vcpu), "pthread_create");
	/* The page-in waits on us now, whoever does it. */
	TEST_ASSERT(read(uffd, &msg, sizeof(msg)) == sizeof(msg), "read userfaultfd");
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT &&
		    msg.arg.pagefault.address == (unsigned long)hva,
		    "userfaultfd event %u at 0x%llx, want a page fault at %p", msg.event,
		    (unsigned long long)msg.arg.pagefault.address, hva);
	t0 = *ticks;
	nanosleep(&hold, NULL);
	t1 = *ticks;
	zero.range.start = (unsigned long)hva;
	zero.range.len = vm->page_size;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
	TEST_ASSERT(!pthread_join(thr, NULL), "pthread_join");

	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm->fd);
	printf("RESULT halt ticks_held=%lu held_ms=%d halted=%ld sync_cannot_deliver=%ld\n",
	       (unsigned long)(t1 - t0), HOLD_MS, file_value(counters, "halted"),
	       file_value(counters, "sync_cannot_deliver"));
	close(uffd);
	kvm_vm_free(vm);
	return 0;
}
