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
 *            must go away and take its fault with it;
 *   tokens   lets vCPU 1 take two faults and vCPU 4097 one: their tokens must
 *            differ (packing the vcpu_id into 12 bits, as upstream does, makes
 *            vCPU 1's second token equal vCPU 4097's first); then the peak
 *            pvapf_swapin_ns_max as each vCPU's counters and KVM's debugfs
 *            (the VM's file and the global one) and the VM's pvapf_counters
 *            show it ("case=peak").
 *
 * Prints "RESULT pending case=NAME key=value ..." for the scenario to check;
 * a step that cannot be done is a TEST_ASSERT failure (non-zero exit).
 *
 * usage: pending_fault_test memslot|exit|tokens
 */
#include <fcntl.h>
#include <glob.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
#define TEST_GVA	TEST_GPA
#define READY_VECTOR	0xec
/* Above 4095: needs CONFIG_KVM_MAX_NR_VCPUS=4096 (vCPU ids up to 16383). */
#define TOKENS_VCPU_B	4097
/* How long a killed VMM, then its VM, may take to go before the test calls it stuck. */
#define EXIT_LIMIT_S	120
#define VM_GONE_LIMIT_MS	10000

/*
 * Guest state, one slot per vCPU (slot 1 is vCPU TOKENS_VCPU_B): the host
 * fills in apf_area_gpa before the first run.
 */
static struct pvapf_shared_area apf_area[2] __aligned(PVAPF_AREA_ALIGN);
static uint64_t apf_area_gpa[2];
static uint32_t ready_token[2];
static uint32_t wake_alls[2];

/* x2APIC mode: the APIC ID is the vcpu_id. */
static int guest_slot(void)
{
	return x2apic_read_reg(APIC_ID) == TOKENS_VCPU_B;
}

static void guest_ready_handler(struct ex_regs *regs)
{
	int s = guest_slot();
	uint32_t token = READ_ONCE(apf_area[s].token);

	WRITE_ONCE(apf_area[s].token, 0);
	wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	x2apic_write_reg(APIC_EOI, 0);
	/* The host sends a wake-all when APF is enabled: nothing sleeps on it here. */
	if (token == PVAPF_TOKEN_WAKE_ALL)
		WRITE_ONCE(wake_alls[s], wake_alls[s] + 1);
	else
		WRITE_ONCE(ready_token[s], token);
}

static void guest_pf_handler(struct ex_regs *regs)
{
	int s = guest_slot();
	uint64_t cr2;

	/* Only NOT_PRESENT is expected: any real #PF is a guest assert. */
	GUEST_ASSERT_EQ(READ_ONCE(apf_area[s].flags), PVAPF_REASON_NOT_PRESENT);
	WRITE_ONCE(apf_area[s].flags, 0);
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	GUEST_SYNC2(1, cr2);
	/* This "task" waits for its READY; the handler runs with IF=0. */
	GUEST_WAIT_UNTIL(READ_ONCE(ready_token[s]));
	GUEST_SYNC3(2, cr2, READ_ONCE(ready_token[s]));
	WRITE_ONCE(ready_token[s], 0);
}

/* Touch @pages pages from @gva on, each one an async fault. */
static void guest_code(uint64_t gva, uint64_t pages)
{
	uint64_t i;
	int s;

	x2apic_enable();
	s = guest_slot();
	wrmsr(PVAPF_MSR_INT, READY_VECTOR);
	wrmsr(PVAPF_MSR_EN, apf_area_gpa[s] | PVAPF_EN_ENABLED | PVAPF_EN_SEND_ALWAYS |
	      PVAPF_EN_DELIVERY_AS_INT);
	/* NOT_PRESENT needs interrupts on; the nop ends the sti shadow. */
	asm volatile("sti; nop");
	for (i = 0; i < pages; i++)
		(void)READ_ONCE(*(volatile uint64_t *)(gva + i * PAGE_SIZE));
	GUEST_SYNC2(3, READ_ONCE(wake_alls[s]));
	GUEST_DONE();
}

/* Write @val to the pvapf sysfs file @name of the one VM this process has. */
static void vm_sysfs_write(const char *name, const char *val)
{
	glob_t g;
	size_t n = vm_dirs(getpid(), &g);

	TEST_ASSERT(n == 1, "%zu pvapf VM directories for this process, want 1 (pvapf host?)", n);
	vm_dir_write(g.gl_pathv[0], name, val);
	globfree(&g);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Whether a VM made by process @pid still has its pvapf sysfs directory. */
static bool vm_dir_exists(pid_t pid)
{
	glob_t g;

	if (!vm_dirs(pid, &g))
		return false;
	globfree(&g);
	return true;
}

/*
 * The VM's pvapf policy to always, the guest's handlers, @pages pages at
 * TEST_GPA held by a userfaultfd (returned).
 */
static int setup_vm(struct kvm_vm *vm, int pages)
{
	int i;

	vm_sysfs_write("policy", "always");
	vm_install_exception_handler(vm, PF_VECTOR, guest_pf_handler);
	vm_install_exception_handler(vm, READY_VECTOR, guest_ready_handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, pages, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, pages);
	for (i = 0; i < 2; i++)
		apf_area_gpa[i] = addr_gva2gpa(vm, (vm_vaddr_t)&apf_area[i]);
	sync_global_to_guest(vm, apf_area_gpa);
	return uffd_hold(addr_gpa2hva(vm, TEST_GPA), pages * vm->page_size);
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
	vcpu_args_set(vcpu, 2, TEST_GVA, 1);
	*uffd = setup_vm(vm, 1);
	hva = addr_gpa2hva(vm, TEST_GPA);

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

/* One async fault of @vcpu on @page, page-in let go at once: its token. */
static uint32_t one_fault(struct kvm_vm *vm, struct kvm_vcpu *vcpu, int uffd, int page)
{
	void *hva = addr_gpa2hva(vm, TEST_GPA + page * vm->page_size);
	struct uffdio_zeropage zero = {
		.range = { .start = (unsigned long)hva, .len = vm->page_size },
	};
	uint32_t token;
	struct ucall uc;

	uc = run_to_stage(vcpu, 1);
	token = uc.args[1];
	uffd_wait_fault(uffd, hva);
	TEST_ASSERT(!ioctl(uffd, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
	uc = run_to_stage(vcpu, 2);
	TEST_ASSERT(uc.args[2] == token, "READY token %lu for NOT_PRESENT token %u",
		    (unsigned long)uc.args[2], token);
	return token;
}

/* A peak statistic, per vCPU and as KVM's debugfs combines it per VM and over all VMs. */
static void print_peak(struct kvm_vm *vm, int a, int b)
{
	const char *stat = "swapin_ns_max";
	char dir[64], path[128];
	long v[2];
	int i;

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d", getpid(), vm->fd);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/vcpu%d/pvapf_counters", dir, i ? b : a);
		v[i] = file_value(path, stat);
	}
	snprintf(path, sizeof(path), "%s/pvapf_%s", dir, stat);
	printf("RESULT pending case=peak vcpu_a=%ld vcpu_b=%ld kvm_vm=%ld", v[0], v[1],
	       file_number(path));
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/pvapf_%s", stat);
	printf(" kvm_all=%ld", file_number(path));
	snprintf(path, sizeof(path), "%s/pvapf_counters", dir);
	printf(" pvapf_vm=%ld\n", file_value(path, stat));
}

static int test_tokens(void)
{
	struct kvm_vcpu *a, *b;
	struct kvm_vm *vm;
	uint32_t t[3];
	int uffd;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_MAX_VCPU_ID) > TOKENS_VCPU_B);
	vm = vm_create(2);
	a = vm_vcpu_add(vm, 1, guest_code);
	b = vm_vcpu_add(vm, TOKENS_VCPU_B, guest_code);
	uffd = setup_vm(vm, 3);
	vcpu_args_set(a, 2, TEST_GVA, 2);
	vcpu_args_set(b, 2, TEST_GVA + 2 * vm->page_size, 1);

	t[0] = one_fault(vm, a, uffd, 0);
	t[1] = one_fault(vm, a, uffd, 1);
	run_to_stage(a, 3);
	t[2] = one_fault(vm, b, uffd, 2);
	run_to_stage(b, 3);
	printf("RESULT pending case=tokens vcpu_b=%d tokens=%u,%u,%u distinct=%d\n",
	       TOKENS_VCPU_B, t[0], t[1], t[2], t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
	print_peak(vm, 1, TOKENS_VCPU_B);
	close(uffd);
	kvm_vm_free(vm);
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
	long t0;
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
	 * released from another context): wait, bounded by the clock, for its
	 * sysfs directory, then for its vCPUs' teardown, which comes after the
	 * directory goes, to drop the held fault from the global count.
	 */
	t0 = now_ms();
	while (vm_dir_exists(vmm) && now_ms() - t0 < VM_GONE_LIMIT_MS)
		usleep(10000);
	waited = now_ms() - t0;
	while (global_outstanding() != 0 && now_ms() - t0 < VM_GONE_LIMIT_MS)
		usleep(10000);
	printf("RESULT pending case=exit vm_gone=%d vm_gone_ms=%d settled_ms=%d global_outstanding=%ld\n",
	       !vm_dir_exists(vmm), waited, (int)(now_ms() - t0), global_outstanding());
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
	if (argc == 2 && !strcmp(argv[1], "tokens"))
		return test_tokens();
	fprintf(stderr, "usage: %s memslot|exit|tokens\n", argv[0]);
	return 2;
}
