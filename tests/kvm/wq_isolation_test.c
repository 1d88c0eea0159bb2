// SPDX-License-Identifier: GPL-2.0
/*
 * wq_isolation_test - runs in L1 on the pvapf host, built on KVM's selftest
 * library.  VM A's guest touches A_PAGES pages whose page-ins its own
 * userfaultfd holds and never lets go while the test runs (its #PF handler
 * skips the access on NOT_PRESENT, so one vCPU piles them up), as a VMM with
 * slow or userfaultfd-backed memory does.  Then VM B, in the same process,
 * takes B_FAULTS async faults one by one, each page-in let go as soon as it
 * arrives: each must start and get its READY while A's are all still held.
 * Page-ins of every VM sharing one workqueue's limit wait behind A's, unless
 * a VM runs at most its share of the workers (A_RUN), its others waiting.
 * Then VMS VMs at once: the host's page-in workers keep one rescuer thread,
 * not one per VM.
 *
 * Prints "RESULT wq a_held=N a_run=N a_async=N b_started=N b_ready=N
 * b_faults=N global_outstanding=N vms=N rescuers=N": A's page-ins seen held
 * and how many may run at once, A's async faults (host counter), B's page-ins
 * that started and READYs that arrived, what is outstanding host-wide once
 * both VMs are gone, and the pvapf rescuer threads while VMS VMs exist.  A
 * step that cannot be done is a TEST_ASSERT failure (non-zero exit).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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
/* more than a workqueue's default limit of running items (WQ_DFL_ACTIVE) */
#define A_PAGES		300
/* the page-ins one VM may run at once: PVAPF_WORKERS_PER_VM (host/pvapf_host_state.h) */
#define A_RUN		128
#define VMS		20
#define B_FAULTS	4
/* Bounds for what is immediate on a working host (the failure is forever). */
#define A_LIMIT_MS	60000
#define B_LIMIT_MS	30000

static struct pvapf_shared_area apf_area __aligned(PVAPF_AREA_ALIGN);
static uint64_t apf_area_gpa;
/* VM A: a NOT_PRESENT skips the access, leaving its page-in held */
static bool skip_access;
static uint32_t ready_token;

static void guest_ready_handler(struct ex_regs *regs)
{
	uint32_t token = READ_ONCE(apf_area.token);

	WRITE_ONCE(apf_area.token, 0);
	wrmsr(PVAPF_MSR_ACK, PVAPF_ACK_VALUE);
	x2apic_write_reg(APIC_EOI, 0);
	/* the wake-all of the enable has no sleeper here */
	if (token != PVAPF_TOKEN_WAKE_ALL)
		WRITE_ONCE(ready_token, token);
}

static void guest_pf_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(READ_ONCE(apf_area.flags), PVAPF_REASON_NOT_PRESENT);
	WRITE_ONCE(apf_area.flags, 0);
	if (skip_access) {
		GUEST_ASSERT_EQ(regs->rip, (uint64_t)guest_touch);
		regs->rip = (uint64_t)guest_touch_done;
		return;
	}
	GUEST_SYNC2(1, 0);
	GUEST_WAIT_UNTIL(READ_ONCE(ready_token));
	GUEST_SYNC2(2, READ_ONCE(ready_token));
	WRITE_ONCE(ready_token, 0);
}

static void guest_code(uint64_t pages)
{
	uint64_t i;

	x2apic_enable();
	wrmsr(PVAPF_MSR_INT, READY_VECTOR);
	wrmsr(PVAPF_MSR_EN, apf_area_gpa | PVAPF_EN_ENABLED | PVAPF_EN_SEND_ALWAYS |
	      PVAPF_EN_DELIVERY_AS_INT);
	/* NOT_PRESENT needs interrupts on; the nop ends the sti shadow. */
	asm volatile("sti; nop");
	for (i = 0; i < pages; i++)
		guest_touch(TEST_GVA + i * PAGE_SIZE);
	GUEST_SYNC2(3, 0);
	GUEST_DONE();
}

/* This process's pvapf VM directory that is not @other (NULL: the only one). */
static void new_vm_dir(char *dir, size_t len, const char *other)
{
	glob_t g;
	size_t n = vm_dirs(getpid(), &g);

	TEST_ASSERT(n == (other ? 2u : 1u), "%zu pvapf VM directories (pvapf host?)", n);
	snprintf(dir, len, "%s", g.gl_pathv[other && !strcmp(g.gl_pathv[0], other)]);
	globfree(&g);
}

/* A VM running guest_code over @pages pages held by a userfaultfd (in *uffd). */
static struct kvm_vm *make_vm(struct kvm_vcpu **vcpu, int pages, bool skip, int *uffd)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vcpu_args_set(*vcpu, 1, pages);
	vm_install_exception_handler(vm, PF_VECTOR, guest_pf_handler);
	vm_install_exception_handler(vm, READY_VECTOR, guest_ready_handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT, pages, 0);
	virt_map(vm, TEST_GVA, TEST_GPA, pages);
	apf_area_gpa = addr_gva2gpa(vm, (vm_vaddr_t)&apf_area);
	skip_access = skip;
	sync_global_to_guest(vm, apf_area_gpa);
	sync_global_to_guest(vm, skip_access);
	*uffd = uffd_hold(addr_gpa2hva(vm, TEST_GPA), pages * vm->page_size);
	/* poll() on a blocking userfaultfd reports POLLERR at once */
	TEST_ASSERT(!fcntl(*uffd, F_SETFL, O_NONBLOCK), "F_SETFL O_NONBLOCK");
	return vm;
}

/* The next page-in held by @uffd within @limit_ms: its address, 0 if none came. */
static unsigned long next_held(int uffd, int limit_ms)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, limit_ms) != 1 || !(p.revents & POLLIN))
		return 0;
	TEST_ASSERT(read(uffd, &msg, sizeof(msg)) == sizeof(msg), "read userfaultfd");
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT, "userfaultfd event %u", msg.event);
	return msg.arg.pagefault.address;
}

/* Threads named @comm (kernel threads too), from /proc. */
static int threads_named(const char *comm)
{
	char path[300], name[64];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	TEST_ASSERT(d, "opendir /proc");
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* @comm, or a workqueue's "@comm/..." as /proc shows a worker's */
		if (fgets(name, sizeof(name), f) && !strncmp(name, comm, strlen(comm)) &&
		    strchr("\n/", name[strlen(comm)]))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

int main(void)
{
	int uffd_a, uffd_b, a_held = 0, b_started = 0, b_ready = 0, i, rescuers;
	struct kvm_vcpu *vcpu_a, *vcpu_b;
	struct kvm_vm *vm_a, *vm_b, *vms[VMS];
	char dir_a[128], dir_b[128], counters[128];
	struct ucall uc;
	long a_async;

	setbuf(stdout, NULL);
	vm_a = make_vm(&vcpu_a, A_PAGES, true, &uffd_a);
	new_vm_dir(dir_a, sizeof(dir_a), NULL);
	vm_dir_write(dir_a, "policy", "always");
	vm_dir_write(dir_a, "max_outstanding", "1024");
	run_to_stage(vcpu_a, 3);
	snprintf(counters, sizeof(counters), "/sys/kernel/debug/kvm/%d-%d/pvapf_counters",
		 getpid(), vm_a->fd);
	a_async = file_value(counters, "async_started");
	while (a_held < A_RUN && next_held(uffd_a, A_LIMIT_MS))
		a_held++;

	vm_b = make_vm(&vcpu_b, B_FAULTS, false, &uffd_b);
	new_vm_dir(dir_b, sizeof(dir_b), dir_a);
	vm_dir_write(dir_b, "policy", "always");
	for (i = 0; i < B_FAULTS; i++) {
		struct uffdio_zeropage zero = { .range.len = vm_b->page_size };

		run_to_stage(vcpu_b, 1);
		zero.range.start = next_held(uffd_b, B_LIMIT_MS);
		if (!zero.range.start)
			break;
		b_started++;
		TEST_ASSERT(!ioctl(uffd_b, UFFDIO_ZEROPAGE, &zero), "UFFDIO_ZEROPAGE");
		uc = run_to_stage(vcpu_b, 2);
		b_ready += uc.args[1] != 0;
	}
	/* A's page-ins held: none was let go, and none beyond its share started meanwhile */
	while (next_held(uffd_a, 0))
		a_held++;
	/* Releasing the userfaultfds lets every held page-in end. */
	close(uffd_a);
	close(uffd_b);
	kvm_vm_free(vm_b);
	kvm_vm_free(vm_a);
	printf("RESULT wq a_held=%d a_run=%d a_async=%ld b_started=%d b_ready=%d b_faults=%d "
	       "global_outstanding=%ld", a_held, A_RUN, a_async, b_started, b_ready, B_FAULTS,
	       global_outstanding());

	for (i = 0; i < VMS; i++)
		vms[i] = vm_create_barebones();
	/* a rescuer is named after its workqueue: "kworker/R-pvapf", "kworker/R-pvapf/<vm>" */
	rescuers = threads_named("kworker/R-pvapf");
	for (i = 0; i < VMS; i++)
		kvm_vm_free(vms[i]);
	printf(" vms=%d rescuers=%d\n", VMS, rescuers);
	return 0;
}
