// SPDX-License-Identifier: GPL-2.0
/*
 * userfault_policy_test - runs in L1 on the pvapf host, built on KVM's
 * selftest library.  Under the adaptive policy, a page a userfaultfd brings
 * (post-copy migration, a lazy restore) must go async whatever the VM's
 * swap-in average says: that average times a device, and the VMM's page
 * comes after a round trip no device average predicts.
 *
 * The guest makes the adaptive rule say "synchronous": its first async
 * fault's page comes at once (a short swap-in sample) while it ACKs that
 * READY only ACK_DELAY_MS later (a long APF round trip).  Then it touches a
 * second page the userfaultfd holds: it must be told NOT_PRESENT again, the
 * host counting both faults as adaptive_userfault, none halted or
 * synchronous.  Without the userfaultfd rule the second fault halts.
 *
 * Prints "RESULT userfault not_present=N async_started=N adaptive_userfault=N
 * halted=N sync=N sync_adaptive=N" (the guest's NOT_PRESENTs, the VM's pvapf
 * counters, the sum of its sync_* counters and the adaptive one); a step that cannot be done is a TEST_ASSERT
 * failure (non-zero exit).
 */
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
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
#define FIRST_GVA	TEST_GPA
#define SECOND_GVA	(TEST_GPA + PAGE_SIZE)
#define READY_VECTOR	0xec
/* Far above any page-in's time here, so the adaptive rule's 2x round trip is too. */
#define ACK_DELAY_MS	200
#define WAIT_LIMIT_MS	30000

static struct pvapf_shared_area apf_area __aligned(PVAPF_AREA_ALIGN);
static uint64_t apf_area_gpa;
static uint64_t readies, not_presents, ack_go;

/* READY: the first page's (after the enable's wake-all) is ACKed when the host says. */
static void guest_ready_handler(struct ex_regs *regs)
{
	uint32_t token = READ_ONCE(apf_area.token);

	WRITE_ONCE(readies, readies + 1);
	if (token != PVAPF_TOKEN_WAKE_ALL && READ_ONCE(readies) == 2)
		while (!READ_ONCE(ack_go))
			cpu_relax();
	WRITE_ONCE(apf_area.token, 0);
	wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	x2apic_write_reg(APIC_EOI, 0);
}

/* NOT_PRESENT: the load is skipped, its page-in left in flight. */
static void guest_pf_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(READ_ONCE(apf_area.flags), PVAPF_REASON_NOT_PRESENT);
	GUEST_ASSERT_EQ(regs->rip, (uint64_t)guest_touch);
	WRITE_ONCE(apf_area.flags, 0);
	WRITE_ONCE(not_presents, not_presents + 1);
	regs->rip = (uint64_t)guest_touch_done;
}

static void guest_code(void)
{
	x2apic_enable();
	wrmsr(PVAPF_MSR_INT, READY_VECTOR);
	wrmsr(PVAPF_MSR_EN, apf_area_gpa | PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT |
	      PVAPF_EN_SEND_ALWAYS);
	/* the enable's wake-all */
	GUEST_WAIT_UNTIL(READ_ONCE(readies));
	asm volatile("sti; nop");
	guest_touch(FIRST_GVA);
	GUEST_ASSERT_EQ(READ_ONCE(not_presents), 1);
	/* its READY, ACKed ACK_DELAY_MS after it came */
	GUEST_WAIT_UNTIL(READ_ONCE(readies) == 2);
	/* interrupts on: the guest can be told NOT_PRESENT, or halted for the page */
	asm volatile("sti; nop");
	guest_touch(SECOND_GVA);
	/* async: its READY too; halted: the load was done when the page came */
	GUEST_WAIT_UNTIL(READ_ONCE(readies) == 1 + READ_ONCE(not_presents));
	GUEST_SYNC2(1, READ_ONCE(not_presents));
	GUEST_DONE();
}

static struct ucall done;

static void *vcpu_thread(void *arg)
{
	done = run_to_stage(arg, 1);
	return NULL;
}

static void release(int uffd, struct kvm_vm *vm, uint64_t gpa)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (unsigned long)addr_gpa2hva(vm, gpa), .len = vm->page_size },
	};

	TEST_ASSERT(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
}

static void sleep_ms(long ms)
{
	const struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	nanosleep(&t, NULL);
}

int main(void)
{
	volatile uint64_t *g_readies, *g_ack_go;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char counters[128];
	pthread_t thr;
	glob_t g;
	long ms;
	int uffd;

	setbuf(stdout, NULL);
	vm = apf_test_vm(&vcpu, guest_code, READY_VECTOR, guest_ready_handler, guest_pf_handler,
			 TEST_GPA, TEST_SLOT, 2);
	apf_area_gpa = addr_gva2gpa(vm, (vm_vaddr_t)&apf_area);
	sync_global_to_guest(vm, apf_area_gpa);
	g_readies = addr_gva2hva(vm, (vm_vaddr_t)&readies);
	g_ack_go = addr_gva2hva(vm, (vm_vaddr_t)&ack_go);
	/* whatever the host's default for new VMs is */
	TEST_ASSERT(vm_dirs(getpid(), &g) == 1, "one pvapf VM directory (pvapf host?)");
	vm_dir_write(g.gl_pathv[0], "policy", "adaptive");
	globfree(&g);

	uffd = uffd_hold(addr_gpa2hva(vm, TEST_GPA), 2 * vm->page_size);
	TEST_ASSERT(!pthread_create(&thr, NULL, vcpu_thread, vcpu), "pthread_create");
	/* The first page comes at once: a short page-in for the VM's average. */
	uffd_wait_fault(uffd, addr_gpa2hva(vm, FIRST_GVA));
	release(uffd, vm, FIRST_GVA);
	/* its READY came: ACK it late, a long round trip for the VM's average */
	for (ms = 0; *g_readies < 2; ms++) {
		TEST_ASSERT(ms < WAIT_LIMIT_MS, "no READY for the first page in %d ms", WAIT_LIMIT_MS);
		sleep_ms(1);
	}
	sleep_ms(ACK_DELAY_MS);
	*g_ack_go = 1;
	/* The second page, wherever its page-in runs. */
	uffd_wait_fault(uffd, addr_gpa2hva(vm, SECOND_GVA));
	release(uffd, vm, SECOND_GVA);
	TEST_ASSERT(!pthread_join(thr, NULL), "pthread_join");

	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm->fd);
	printf("RESULT userfault not_present=%lu async_started=%ld adaptive_userfault=%ld halted=%ld sync=%ld sync_adaptive=%ld\n",
	       (unsigned long)done.args[1], file_value(counters, "async_started"),
	       file_value(counters, "adaptive_userfault"), file_value(counters, "halted"),
	       file_scan(counters, "sync_", true), file_value(counters, "sync_adaptive"));
	close(uffd);
	kvm_vm_free(vm);
	return 0;
}
