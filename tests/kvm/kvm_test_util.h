/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_test_util.h - what the L1 test programs on KVM's selftest library share.
 */
#ifndef PVAPF_KVM_TEST_UTIL_H
#define PVAPF_KVM_TEST_UTIL_H

#include <fcntl.h>
#include <glob.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

/*
 * Guest code: wait, interrupts on, until @cond (set by an interrupt handler).
 * It spins instead of "sti; hlt": QEMU's TCG SVM, which the nested lab runs
 * on, drops the STI shadow at VMRUN (it never reads int_state), so an
 * interrupt taken after a #VMEXIT between the two returns to the hlt and the
 * vCPU sleeps with nothing left to wake it (tests/nested/README.md).
 */
#define GUEST_WAIT_UNTIL(cond)				\
	do {						\
		while (!(cond))				\
			asm volatile("sti; nop; cli");	\
	} while (0)

/*
 * Guest code: one load from @gva that a #PF handler can skip, by resuming at
 * guest_touch_done (a NOT_PRESENT left with its page-in in flight).
 */
asm(".pushsection .text\n"
    "guest_touch:\n"
    "	movq (%rdi), %rax\n"
    "guest_touch_done:\n"
    "	ret\n"
    ".popsection");
void guest_touch(uint64_t gva);
extern char guest_touch_done[];

/* KVM's APIC bus runs at 1 GHz: with the divider at 1, a timer count per ns. */
#define GUEST_TIMER_COUNT_PER_MS	1000000
#define GUEST_TIMER_TDCR_DIV_1		0xb

/* Guest code: the ticks of the guest_timer_start() timer (guest_tick_handler()). */
static uint64_t guest_ticks;

static inline void guest_tick_handler(struct ex_regs *regs)
{
	WRITE_ONCE(guest_ticks, guest_ticks + 1);
	x2apic_write_reg(APIC_EOI, 0);
}

/* Guest code: a periodic LAPIC timer on @vector every @ms ms (x2APIC on). */
static inline void guest_timer_start(uint8_t vector, uint32_t ms)
{
	x2apic_enable();
	x2apic_write_reg(APIC_TDCR, GUEST_TIMER_TDCR_DIV_1);
	x2apic_write_reg(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | vector);
	x2apic_write_reg(APIC_TMICT, ms * GUEST_TIMER_COUNT_PER_MS);
}

/*
 * A VM of one vCPU running @code, with @ready on @ready_vector and @pf on #PF,
 * and @npages test pages at @gpa (memslot @slot), mapped at the same address.
 */
static inline struct kvm_vm *apf_test_vm(struct kvm_vcpu **vcpu, void *code,
					 uint8_t ready_vector, void (*ready)(struct ex_regs *),
					 void (*pf)(struct ex_regs *), uint64_t gpa,
					 uint32_t slot, uint64_t npages)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, code);

	vm_install_exception_handler(vm, ready_vector, ready);
	vm_install_exception_handler(vm, PF_VECTOR, pf);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, gpa, slot, npages, 0);
	virt_map(vm, gpa, gpa, npages);
	return vm;
}

/* The next ucall of the guest, which must be GUEST_SYNC2(@stage, ...). */
static inline struct ucall run_to_stage(struct kvm_vcpu *vcpu, uint64_t stage)
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

/*
 * From a "name value" file (pvapf counters): the value of @key, or with
 * @prefix the sum of every name starting with @key; -1 if none is there.
 */
static inline long file_scan(const char *path, const char *key, bool prefix)
{
	char name[64];
	long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!prefix && !strcmp(name, key))
			found = v;
		else if (prefix && !strncmp(name, key, strlen(key)))
			found = (found < 0 ? 0 : found) + v;
	}
	fclose(f);
	return found;
}

static inline long file_value(const char *path, const char *key)
{
	return file_scan(path, key, false);
}

/* A one-number file (KVM's debugfs statistics): its value, -1 if unreadable. */
static inline long file_number(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * One of a vCPU's KVM binary statistics (KVM_GET_STATS_FD), by name.  Open
 * it before the vCPU runs: the fd is a vCPU ioctl, which waits for KVM_RUN;
 * reading it later (vcpu_stat_read) does not, so another thread may watch a
 * running vCPU.
 */
struct vcpu_stat {
	int fd;
	struct kvm_stats_header header;
	struct kvm_stats_desc *desc;
};

static inline void vcpu_stat_open(struct kvm_vcpu *vcpu, const char *name, struct vcpu_stat *st)
{
	struct kvm_stats_desc *all, *d;
	uint32_t i;

	st->fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(st->fd, &st->header);
	all = read_stats_descriptors(st->fd, &st->header);
	st->desc = NULL;
	for (i = 0; i < st->header.num_desc && !st->desc; i++) {
		d = get_stats_descriptor(all, i, &st->header);
		if (!strcmp(d->name, name))
			st->desc = d;
	}
	TEST_ASSERT(st->desc, "vCPU statistic %s", name);
}

static inline uint64_t vcpu_stat_read(struct vcpu_stat *st)
{
	uint64_t v;

	read_stat_data(st->fd, &st->header, st->desc, &v, 1);
	return v;
}

/* Missing-page userfaultfd over [addr, addr + len): page-ins there wait for us. */
static inline int uffd_hold(void *addr, size_t len)
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

/* Block until the page-in of @addr waits on @uffd (a blocking one). */
static inline void uffd_wait_fault(int uffd, void *addr)
{
	struct uffd_msg msg;

	TEST_ASSERT(read(uffd, &msg, sizeof(msg)) == sizeof(msg), "read userfaultfd");
	TEST_ASSERT(msg.event == UFFD_EVENT_PAGEFAULT &&
		    msg.arg.pagefault.address == (unsigned long)addr,
		    "userfaultfd event %u at 0x%llx, want a page fault at %p", msg.event,
		    (unsigned long long)msg.arg.pagefault.address, addr);
}

/* The pvapf host's page-ins in flight, all VMs (-1: no pvapf host). */
static inline long global_outstanding(void)
{
	return file_number("/sys/kernel/pvapf/outstanding");
}

/* The pvapf sysfs directories of the VMs process @pid made (glob them into @g). */
static inline size_t vm_dirs(pid_t pid, glob_t *g)
{
	char pattern[64];

	snprintf(pattern, sizeof(pattern), "/sys/kernel/pvapf/vms/%d-*", pid);
	if (glob(pattern, 0, NULL, g))
		return 0;
	return g->gl_pathc;
}

/* Write @val to the pvapf sysfs file @name of VM directory @dir. */
static inline void vm_dir_write(const char *dir, const char *name, const char *val)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	TEST_ASSERT(fd >= 0, "open %s (pvapf host?)", path);
	TEST_ASSERT(write(fd, val, strlen(val)) == (ssize_t)strlen(val), "write %s", path);
	close(fd);
}

#endif /* PVAPF_KVM_TEST_UTIL_H */
