// SPDX-License-Identifier: GPL-2.0
/*
 * pending_fault_test - runs in L1 on the pvapf host, built on KVM's selftest
 * library from the pinned tree.  A guest touches a page whose page-in is held
 * by userfaultfd, so its async fault is certainly pending (the work item has
 * reached the page-in: the userfaultfd message says so) while the test
 *
 *   memslot  deletes and unmaps the memslot of that page, then lets the
 *            page-in go: the guest must get READY for its token, nothing may
 *            be mapped (its retry reaches KVM as MMIO to the deleted address)
 *            and nothing may be left outstanding;
 *   exit     kills the VMM process with the page-in still held: the process
 *            must go away and take its fault with it.
 *
 * Prints "RESULT pending case=NAME key=value ..." for the scenario to check;
 * a step that cannot be done is a TEST_ASSERT failure (non-zero exit).
 *
 * usage: pending_fault_test memslot|exit
 */
#include <fcntl.h>
#include <glob.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

#include "pvapf_abi.h"

#define TEST_SLOT	1
#define TEST_GPA	(1ULL << 30)
#define TEST_GVA	TEST_GPA
#define READY_VECTOR	0xec
/* How long a killed VMM, then its VM, may take to go before the test calls it stuck. */
#define EXIT_LIMIT_S	120
#define VM_GONE_LIMIT_MS	10000

/* Guest state: the host fills in apf_area_gpa before the first run. */
static struct pvapf_shared_area apf_area __aligned(PVAPF_AREA_ALIGN);
static uint64_t apf_area_gpa;
static uint32_t ready_token;
static uint32_t wake_alls;

static void guest_ready_handler(struct ex_regs *regs)
{
	uint32_t token = READ_ONCE(apf_area.token);

	WRITE_ONCE(apf_area.token, 0);
	wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	x2apic_write_reg(APIC_EOI, 0);
	/* The host sends a wake-all when APF is enabled: nothing sleeps on it here. */
	if (token == PVAPF_TOKEN_WAKE_ALL)
		WRITE_ONCE(wake_alls, wake_alls + 1);
	else
		WRITE_ONCE(ready_token, token);
}

static void guest_pf_handler(struct ex_regs *regs)
{
	uint64_t cr2;

	/* Only NOT_PRESENT is expected: any real #PF is a guest assert. */
	GUEST_ASSERT_EQ(READ_ONCE(apf_area.flags), PVAPF_REASON_NOT_PRESENT);
	WRITE_ONCE(apf_area.flags, 0);
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	GUEST_SYNC2(1, cr2);
	/* This "task" sleeps until its READY; the handler runs with IF=0. */
	while (!READ_ONCE(ready_token))
		asm volatile("sti; hlt; cli");
	GUEST_SYNC3(2, cr2, READ_ONCE(ready_token));
}

static void guest_code(void)
{
	x2apic_enable();
	wrmsr(PVAPF_MSR_INT, READY_VECTOR);
	wrmsr(PVAPF_MSR_EN, apf_area_gpa | PVAPF_EN_ENABLED | PVAPF_EN_SEND_ALWAYS |
	      PVAPF_EN_DELIVERY_AS_INT);
	/* NOT_PRESENT needs interrupts on; the nop ends the sti shadow. */
	asm volatile("sti; nop");
	(void)READ_ONCE(*(volatile uint64_t *)TEST_GVA);
	GUEST_SYNC2(3, READ_ONCE(wake_alls));
	GUEST_DONE();
}

/* The next ucall of the guest, which must be a SYNC of @stage. */
static struct ucall run_to_stage(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[0] == stage, "guest at stage %lu, want %lu",
			    (unsigned long)uc.args[0], (unsigned long)stage);
		break;
	default:
		TEST_FAIL("unexpected ucall %lu", (unsigned long)uc.cmd);
	}
	return uc;
}

/* Write @val to the pvapf sysfs file @name of the newest VM this process made. */
static void vm_sysfs_write(const char *name, const char *val)
{
	char pattern[64], path[256];
	glob_t g;
	int fd;

	snprintf(pattern, sizeof(pattern), "/sys/kernel/pvapf/vms/%d-*", getpid());
	TEST_ASSERT(!glob(pattern, 0, NULL, &g), "no %s: not the pvapf host?", pattern);
	/* Directory names end in a sequence number; the newest sorts last when as long. */
	snprintf(path, sizeof(path), "%s/%s", g.gl_pathv[g.gl_pathc - 1], name);
	globfree(&g);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, val, strlen(val)) == (ssize_t)strlen(val), "write %s", path);
	close(fd);
}

/* A number from a "name value" file (pvapf counters), -1 if it is not there. */
static long file_value(const char *path, const char *key)
{
	char name[64];
	long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	fclose(f);
	return found;
}

static long global_outstanding(void)
{
	long v = -1;
	FILE *f = fopen("/sys/kernel/pvapf/outstanding", "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Whether a VM made by process @pid still has its pvapf sysfs directory. */
static bool vm_dir_exists(pid_t pid)
{
	char pattern[64];
	glob_t g;
	bool found;

	snprintf(pattern, sizeof(pattern), "/sys/kernel/pvapf/vms/%d-*", pid);
	found = !glob(pattern, 0, NULL, &g);
	if (found)
		globfree(&g);
	return found;
}

/* Missing-page userfaultfd over [addr, addr + len): page-ins there wait for us. */
static int uffd_hold(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	TEST_ASSERT(uffd >= 0, "userfaultfd (CONFIG_USERFAULTFD?)");
	TEST_ASSERT(!ioctl(uffd, UFFDIO_API, &api), "UFFDIO_API");
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER");
	return uffd;
}

/* Block until the page-in of @addr waits on @uffd: the async work is in it. */
static void uffd_wait_fault(int uffd, void *addr)
{
	struct uffd_msg msg;

	TEST_ASSERT(read(uffd, &msg, sizeof(msg)) == sizeof(msg), "read userfaultfd");
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT &&
		    msg.arg.pagefault.address == (unsigned long)addr,
		    "userfaultfd event %u at 0x%llx, want a page fault at %p", msg.event,
		    (unsigned long long)msg.arg.pagefault.address, addr);
}

/*
 * A VM whose vCPU has taken NOT_PRESENT for TEST_GVA and whose work item is
 * held in the page-in.  Returns the token; *uffd holds the page-in.
 */
static uint32_t start_held_fault(struct kvm_vm **vmp, struct kvm_vcpu **vcpup, int *uffd)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	void *hva;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_sysfs_write("policy", "always");
	vm_install_exception_handler(vm, PF_VECTOR, guest_pf_handler);
	vm_install_exception_handler(vm, READY_VECTOR, guest_ready_handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, 1, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, 1);
	hva = addr_gpa2hva(vm, TEST_GPA);
	*uffd = uffd_hold(hva, vm->page_size);
	apf_area_gpa = addr_gva2gpa(vm, (vm_vaddr_t)&apf_area);
	sync_global_to_guest(vm, apf_area_gpa);

	uc = run_to_stage(vcpu, 1);
	uffd_wait_fault(*uffd, hva);
	*vmp = vm;
	*vcpup = vcpu;
	return (uint32_t)uc.args[1];
}

static int test_memslot(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char counters[128];
	uint32_t token;
	struct ucall uc;
	int uffd, mmio;

	token = start_held_fault(&vm, &vcpu, &uffd);
	vm_mem_region_delete(vm, TEST_SLOT);
	/* Releasing the userfaultfd lets the page-in go: it finds nothing mapped. */
	close(uffd);

	uc = run_to_stage(vcpu, 2);
	/* The retry: no memslot at TEST_GPA any more, so KVM reports MMIO. */
	vcpu_run(vcpu);
	mmio = vcpu->run->exit_reason == KVM_EXIT_MMIO && !vcpu->run->mmio.is_write &&
	       vcpu->run->mmio.phys_addr == TEST_GPA;
	if (mmio)
		memset(vcpu->run->mmio.data, 0, sizeof(vcpu->run->mmio.data));
	TEST_ASSERT(mmio, "retry after READY: exit %u, want MMIO read of 0x%llx",
		    vcpu->run->exit_reason, TEST_GPA);
	run_to_stage(vcpu, 3);

	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm->fd);
	printf("RESULT pending case=memslot token=%u ready_matches=%d mmio_retry=%d "
	       "async_started=%ld ready=%ld ack=%ld mapped_on_completion=%ld outstanding=%ld\n",
	       token, uc.args[1] == token && uc.args[2] == token, mmio,
	       file_value(counters, "async_started"), file_value(counters, "ready"),
	       file_value(counters, "ack"), file_value(counters, "mapped_on_completion"),
	       file_value(counters, "outstanding"));
	kvm_vm_free(vm);
	printf("RESULT pending case=memslot global_outstanding=%ld\n", global_outstanding());
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("RESULT pending case=exit vmm_exited=0\n");
	fflush(stdout);
	_exit(1);
}

static int test_exit(void)
{
	int pipefd[2], status, waited;
	char c = 0;
	pid_t vmm;

	TEST_ASSERT(!pipe(pipefd), "pipe");
	vmm = fork();
	TEST_ASSERT(vmm >= 0, "fork");
	if (!vmm) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm;
		int uffd;

		start_held_fault(&vm, &vcpu, &uffd);
		TEST_ASSERT(write(pipefd[1], &c, 1) == 1, "pipe write");
		for (;;)
			pause();
	}
	close(pipefd[1]);
	TEST_ASSERT(read(pipefd[0], &c, 1) == 1, "the VMM child did not reach its held fault");
	printf("RESULT pending case=exit held=1 outstanding_before=%ld\n", global_outstanding());
	signal(SIGALRM, on_alarm);
	alarm(EXIT_LIMIT_S);
	kill(vmm, SIGKILL);
	TEST_ASSERT(waitpid(vmm, &status, 0) == vmm, "waitpid");
	alarm(0);
	printf("RESULT pending case=exit vmm_exited=1 killed=%d\n",
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/*
	 * KVM may destroy the VM after the process is reaped (its files can be
	 * released from another context): wait, bounded, for its sysfs directory.
	 */
	for (waited = 0; vm_dir_exists(vmm) && waited < VM_GONE_LIMIT_MS; waited += 10)
		usleep(10000);
	printf("RESULT pending case=exit vm_gone=%d vm_gone_ms=%d global_outstanding=%ld\n",
	       !vm_dir_exists(vmm), waited, global_outstanding());
	return 0;
}

int main(int argc, char **argv)
{
	setbuf(stdout, NULL);
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_USER_MEMORY));
	if (argc == 2 && !strcmp(argv[1], "memslot"))
		return test_memslot();
	if (argc == 2 && !strcmp(argv[1], "exit"))
		return test_exit();
	fprintf(stderr, "usage: %s memslot|exit\n", argv[0]);
	return 2;
}
