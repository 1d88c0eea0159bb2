// SPDX-License-Identifier: GPL-2.0
/*
 * halt_reset_test - runs in L1, built on KVM's selftest library.  A guest
 * that cannot be told NOT_PRESENT (APF off, CPL 0) but has interrupts on
 * touches a page whose page-in a userfaultfd holds: the host asks for a halt
 * (KVM_REQ_APF_HALT).  A signal ends KVM_RUN right after that fault, before
 * the halt begins, as a VMM's kick does when it resets a vCPU; the VMM then
 * resets the vCPU as QEMU does (host-initiated EN = 0, registers with IF = 0
 * at a new entry).  The next KVM_RUN must run the fresh vCPU: a halt left
 * pending from before the reset would stop it with IF = 0 and nothing
 * outstanding, for good.
 *
 * No timing: the signal is a perf SIGTRAP on the kvm:kvm_page_fault
 * tracepoint filtered to the held page, so it is pending when that fault's
 * handling returns; a monitor thread watches KVM's "blocking" statistic
 * while the reset vCPU runs (it executes no hlt) and kicks it out with a
 * signal if it ever blocks.
 *
 * Prints "RESULT haltreset signal_exit=0|1 halted=N held=0|1 reset_outstanding=N
 * blocked=0|1 stage=N global_outstanding=N": KVM_RUN ended by the signal, the
 * vCPU's pvapf halted counter after it, the page-in reached the userfaultfd,
 * what the vCPU had outstanding after the reset, whether the reset vCPU
 * blocked, the stage its next KVM_RUN reached (3: its ucall).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "pvapf_abi.h"
#include "kvm_test_util.h"

#define TEST_SLOT	1
#define TEST_GPA	(1ULL << 30)
#define TEST_GVA	TEST_GPA
/* The monitor gives up after this many 1 ms polls (a hang, not a verdict on time). */
#define MONITOR_POLLS	60000

static void guest_code(void)
{
	asm volatile("sti; nop");
	GUEST_SYNC2(1, 0);
	/* CPL 0, APF off, interrupts on: the host halts the vCPU for this page. */
	(void)READ_ONCE(*(volatile uint64_t *)TEST_GVA);
	GUEST_SYNC2(2, 0);
	GUEST_DONE();
}

/* Where the reset vCPU starts, interrupts off; it never halts. */
static void guest_reset_code(void)
{
	GUEST_SYNC2(3, 0);
	GUEST_DONE();
}

static void on_signal(int sig)
{
}

struct monitor {
	pthread_t vcpu_thread;
	struct vcpu_stat blocking;
	int done;
	int blocked;
};

/* Kick the vCPU out of KVM_RUN whenever it blocks (or at MONITOR_POLLS). */
static void *monitor_fn(void *arg)
{
	const struct timespec ms = { .tv_nsec = 1000000L };
	struct monitor *m = arg;
	long polls = 0;

	while (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE)) {
		if (vcpu_stat_read(&m->blocking) || ++polls > MONITOR_POLLS) {
			m->blocked = 1;
			pthread_kill(m->vcpu_thread, SIGUSR1);
		}
		nanosleep(&ms, NULL);
	}
	return NULL;
}

/* A SIGTRAP to this thread at the vCPU's nested page fault on @gpa. */
static int sigtrap_at_fault(uint64_t gpa)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.sigtrap = 1,
		.remove_on_exec = 1,
	};
	char filter[64];
	long id;
	FILE *f = fopen("/sys/kernel/tracing/events/kvm/kvm_page_fault/id", "r");
	int fd;

	TEST_ASSERT(f && fscanf(f, "%ld", &id) == 1, "kvm_page_fault tracepoint id (tracefs?)");
	fclose(f);
	attr.config = id;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	TEST_ASSERT(fd >= 0, "perf_event_open (sigtrap on kvm:kvm_page_fault)");
	snprintf(filter, sizeof(filter), "fault_address == %llu", (unsigned long long)gpa);
	TEST_ASSERT(!ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter), "perf filter '%s'", filter);
	return fd;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct uffdio_zeropage zero = { 0 };
	struct monitor m = { 0 };
	int signal_exit, held, stage = 0, perf, uffd, r;
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	char counters[128];
	struct uffd_msg msg;
	long halted, reset_outstanding;
	struct kvm_vm *vm;
	pthread_t mon;
	struct ucall uc;
	void *hva;

	setbuf(stdout, NULL);
	TEST_ASSERT(!sigaction(SIGTRAP, &sa, NULL) && !sigaction(SIGUSR1, &sa, NULL), "sigaction");
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, 1, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, 1);
	hva = addr_gpa2hva(vm, TEST_GPA);
	uffd = uffd_hold(hva, vm->page_size);
	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/vcpu0/pvapf_counters",
		 getpid(), vm->fd);

	run_to_stage(vcpu, 1);
	/* The halting fault, and a signal pending when its handling returns. */
	perf = sigtrap_at_fault(TEST_GPA);
	r = __vcpu_run(vcpu);
	signal_exit = r == -1 && errno == EINTR && vcpu->run->exit_reason == KVM_EXIT_INTR;
	close(perf);
	halted = file_value(counters, "halted");

	/* The halt's page-in waits on us: let it complete, then reset the vCPU. */
	held = read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	       msg.event == UFFD_EVENT_PAGEFAULT &&
	       msg.arg.pagefault.address == (unsigned long)hva;
	zero.range.start = (unsigned long)hva;
	zero.range.len = vm->page_size;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
	vcpu_set_msr(vcpu, PVAPF_MSR_EN, 0);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = (uint64_t)guest_reset_code;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
	reset_outstanding = file_value(counters, "outstanding");

	m.vcpu_thread = pthread_self();
	vcpu_stat_open(vcpu, "blocking", &m.blocking);
	TEST_ASSERT(!pthread_create(&mon, NULL, monitor_fn, &m), "pthread_create");
	r = __vcpu_run(vcpu);
	__atomic_store_n(&m.done, 1, __ATOMIC_RELEASE);
	TEST_ASSERT(!pthread_join(mon, NULL), "pthread_join");
	if (!r && vcpu->run->exit_reason == KVM_EXIT_IO && get_ucall(vcpu, &uc) == UCALL_SYNC)
		stage = uc.args[0];
	printf("RESULT haltreset signal_exit=%d halted=%ld held=%d", signal_exit, halted, held);
	printf(" reset_outstanding=%ld blocked=%d stage=%d", reset_outstanding, m.blocked, stage);
	close(uffd);
	kvm_vm_free(vm);
	printf(" global_outstanding=%ld\n", global_outstanding());
	return 0;
}
