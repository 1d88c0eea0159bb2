// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_guest_cpu.c - turning async page faults on and off per cpu.
 *
 * APF is enabled on a cpu only when three things hold: the host offers
 * interrupt-delivered READY (CPUID ASYNC_PF_INT) and "no-kvmapf" was not
 * given; the token table exists; and the cpu's local APIC is software
 * enabled. The last one matters because READY is an APIC interrupt: a guest
 * that enables APF with its LAPIC still disabled (as upstream does, from
 * smp_prepare_boot_cpu) can leave a host retrying an undeliverable READY
 * forever, which peers have seen as vCPUs spinning at 100%.
 *
 * So kvm.c's early call for the boot cpu only records that the cpu is up;
 * the table is built and APF enabled on every online cpu from an
 * early_initcall (LAPICs are set up by then); cpus that come online later
 * enable from kvm.c's cpu-online callback.
 *
 * A cpu is switched off (EN = 0) when it goes down (offline, suspend,
 * reboot, kexec, crash) and while its emergency node is out ("paused", see
 * pvapf_token_table.c). The host drops the READYs it owes a switched-off
 * cpu and sends a wake-all when the cpu re-enables, so every sleeper from a
 * switched-off cpu is woken here and simply retries its fault. A pause
 * starts in the READY interrupt with a bucket lock held, but EN = 0 can
 * wait in the host for page-ins in flight, so the pause work writes it in
 * process context and then ends the pause itself with a node allocated
 * where it may sleep: it lasts one allocation, whether or not the emergency
 * node's task ever comes. Coming up and the pause's end can race on two
 * cpus; pvapf_guest_switch.h has the one of them that sees both switch APF on.
 */
#include <linux/cpu.h>
#include <linux/init.h>
#include <linux/kvm_para.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>
#include <asm/apic.h>
#include <asm/idtentry.h>
#include <asm/irq_vectors.h>
#include <asm/set_memory.h>

#include "pvapf_guest.h"
#include "pvapf_guest_internal.h"
#include "pvapf_guest_trace.h"

DEFINE_STATIC_KEY_FALSE_RO(kvm_async_pf_enabled);
DEFINE_PER_CPU(struct pvapf_guest_cpu, pvapf_guest_cpu);
DEFINE_PER_CPU_DECRYPTED(struct pvapf_shared_area, pvapf_guest_area) __aligned(PVAPF_AREA_ALIGN);
struct pvapf_token_table pvapf_guest_table;
bool pvapf_guest_table_published;
atomic_long_t pvapf_guest_pause_retries;

static bool pvapf_param_on = true;

static int __init pvapf_parse_no_kvmapf(char *arg)
{
	pvapf_param_on = false;
	return 0;
}
early_param("no-kvmapf", pvapf_parse_no_kvmapf);

void __init pvapf_guest_init(void)
{
	if (!pvapf_param_on || !kvm_para_has_feature(PVAPF_FEATURE_ASYNC_PF_INT))
		return;
	static_branch_enable(&kvm_async_pf_enabled);
	sysvec_install(HYPERVISOR_CALLBACK_VECTOR, sysvec_kvm_asyncpf_interrupt);
}

void __init pvapf_guest_map_decrypted(int cpu)
{
	early_set_memory_decrypted((unsigned long)&per_cpu(pvapf_guest_area, cpu),
				   sizeof(struct pvapf_shared_area));
}

static bool pvapf_lapic_enabled(void)
{
	return boot_cpu_has(X86_FEATURE_APIC) &&
	       (apic_read(APIC_SPIV) & APIC_SPIV_APIC_ENABLED);
}

/* Write the MSRs that turn APF on for this cpu; vector strictly before EN. */
static void pvapf_guest_start_this_cpu(struct pvapf_guest_cpu *c)
{
	struct pvapf_shared_area *area = this_cpu_ptr(&pvapf_guest_area);
	u64 en = PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT;

	if (!pvapf_lapic_enabled()) {
		atomic_long_inc(&pvapf_guest_events.lapic_disabled);
		return;
	}
	/*
	 * A READY deferred (no node) when APF went off is still owed to its
	 * task, which may sleep on another cpu: hand it to the table, never
	 * drop it.  Should it take the emergency node, this cpu is paused
	 * again and the pause's end switches APF on; without a node at all it
	 * stays un-ACKed for the retry work, as any deferred READY.
	 */
	if (READ_ONCE(area->token) != PVAPF_TOKEN_NONE) {
		if (!pvapf_guest_take_ready())
			schedule_delayed_work_on(c->cpu, &c->retry_work, 1);
		else if (READ_ONCE(c->sw.paused))
			return;
	}
	if (kvm_para_has_feature(PVAPF_FEATURE_ASYNC_PF_VMEXIT))
		en |= PVAPF_EN_DELIVERY_AS_PF_VMEXIT;
	WRITE_ONCE(area->flags, 0);
	wrmsrl(PVAPF_MSR_INT, HYPERVISOR_CALLBACK_VECTOR);
	wrmsrl(PVAPF_MSR_EN, pvapf_en_value(slow_virt_to_phys(area), en));
	WRITE_ONCE(c->sw.enabled, true);
}

void pvapf_guest_stop_this_cpu(bool pause)
{
	struct pvapf_guest_cpu *c = this_cpu_ptr(&pvapf_guest_cpu);

	if (!c->sw.enabled)
		return;
	trace_pvapf_apf_off(smp_processor_id(), pause);
	wrmsrl(PVAPF_MSR_EN, 0);
	WRITE_ONCE(c->sw.enabled, false);
}

void pvapf_guest_cpu_enable(void)
{
	struct pvapf_guest_cpu *c = this_cpu_ptr(&pvapf_guest_cpu);
	bool start;

	if (!static_branch_likely(&kvm_async_pf_enabled))
		return;
	start = pvapf_switch_up(&c->sw);
	/* Before the early_initcall (which enables this cpu); pairs with its release. */
	if (!smp_load_acquire(&pvapf_guest_table_published))
		return;
	if (start)
		pvapf_guest_start_this_cpu(c);
	else if (READ_ONCE(c->sw.paused))
		/* Paused while down: the pause work ends it and switches APF on. */
		queue_delayed_work_on(smp_processor_id(), system_highpri_wq, &c->pause_work, 0);
}

void pvapf_guest_cpu_disable(bool shutdown)
{
	struct pvapf_guest_cpu *c = this_cpu_ptr(&pvapf_guest_cpu);

	if (!static_branch_likely(&kvm_async_pf_enabled))
		return;
	WRITE_ONCE(c->sw.down, true);
	pvapf_guest_stop_this_cpu(false);
	/* On shutdown nothing will run the woken tasks anyway; acquire: table built. */
	if (!shutdown && smp_load_acquire(&pvapf_guest_table_published))
		pvapf_tt_wake_cpu(&pvapf_guest_table, smp_processor_id());
}

/*
 * Token table hook: this cpu's emergency node went out. Runs on @cpu in its
 * READY interrupt with a bucket lock held, so it only queues the pause work.
 */
void pvapf_guest_pause_cpu(struct pvapf_token_table *tt, int cpu)
{
	struct pvapf_guest_cpu *c = this_cpu_ptr(&pvapf_guest_cpu);

	WRITE_ONCE(c->sw.paused, true);
	queue_delayed_work_on(cpu, system_highpri_wq, &c->pause_work, 0);
}

static void pvapf_guest_pause_work(struct work_struct *work)
{
	struct pvapf_guest_cpu *c = container_of(to_delayed_work(work),
						 struct pvapf_guest_cpu, pause_work);
	struct pvapf_tt_node *spare;
	bool off = false;

	/* Irqs off on c->cpu: serialised with its READY and resume_work. */
	local_irq_disable();
	/* Elsewhere: the cpu went down (EN = 0, sleepers woken); it re-queues us when back. */
	if (smp_processor_id() == c->cpu && READ_ONCE(c->sw.paused) && c->sw.enabled) {
		pvapf_guest_stop_this_cpu(true);
		off = true;
	}
	local_irq_enable();
	/* The host has dropped the READYs it owed this cpu's sleepers. */
	if (off)
		pvapf_tt_wake_cpu(&pvapf_guest_table, c->cpu);

	/*
	 * Here allocation may reclaim, but not fail-proof: __GFP_NOFAIL could
	 * invoke the OOM killer just to end a pause.  Without memory the work
	 * tries again a tick later, while the pause lasts (its node's task may
	 * still end it); a cpu that went down re-queues it when it comes back.
	 */
	spare = kmem_cache_alloc(pvapf_tt_node_cache, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!spare) {
		atomic_long_inc(&pvapf_guest_pause_retries);
		if (READ_ONCE(c->sw.paused) && !READ_ONCE(c->sw.down))
			queue_delayed_work_on(c->cpu, system_highpri_wq, &c->pause_work, 1);
		return;
	}
	local_irq_disable();
	if (smp_processor_id() == c->cpu) {
		/* Only c->cpu's READY claims its node: the node's token is stable here. */
		if (pvapf_tt_reclaim_emergency(&pvapf_guest_table, c->cpu, spare))
			spare = NULL;
		/* The pause is over, by us or the node's consumer: APF back on. */
		if (pvapf_switch_may_start(&c->sw))
			pvapf_guest_start_this_cpu(c);
	}
	local_irq_enable();
	if (spare)
		kmem_cache_free(pvapf_tt_node_cache, spare);
}

static void pvapf_guest_resume_work(struct irq_work *work)
{
	struct pvapf_guest_cpu *c = container_of(work, struct pvapf_guest_cpu, resume_work);

	/* Still on if the pause ended before the pause work switched it off. */
	if (pvapf_switch_may_start(&c->sw))
		pvapf_guest_start_this_cpu(c);
}

/*
 * Token table hook: @cpu's emergency node is back (any cpu, any context).
 * The MSR write has to happen on @cpu, hence the irq_work; a cpu that is
 * down switches APF on when it comes up (pvapf_guest_switch.h).
 */
void pvapf_guest_resume_cpu(struct pvapf_token_table *tt, int cpu)
{
	struct pvapf_guest_cpu *c = per_cpu_ptr(&pvapf_guest_cpu, cpu);

	if (pvapf_switch_resume(&c->sw) && cpu_online(cpu))
		irq_work_queue_on(&c->resume_work, cpu);
}

int pvapf_guest_cpus_enabled(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(pvapf_guest_cpu, cpu).sw.enabled);
	return n;
}

int pvapf_guest_cpus_paused(void)
{
	int cpu, n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu(pvapf_guest_cpu, cpu).sw.paused);
	return n;
}

static void pvapf_guest_enable_cb(void *unused)
{
	pvapf_guest_cpu_enable();
}

static int __init pvapf_guest_late_init(void)
{
	int cpu;

	if (!static_branch_likely(&kvm_async_pf_enabled))
		return 0;
	for_each_possible_cpu(cpu) {
		struct pvapf_guest_cpu *c = per_cpu_ptr(&pvapf_guest_cpu, cpu);

		c->cpu = cpu;
		init_irq_work(&c->resume_work, pvapf_guest_resume_work);
		INIT_DELAYED_WORK(&c->pause_work, pvapf_guest_pause_work);
		INIT_DELAYED_WORK(&c->retry_work, pvapf_guest_retry_ready);
	}
	if (pvapf_guest_table_init()) {
		pr_err("pvapf: no memory for the token table, async page faults stay off\n");
		static_branch_disable(&kvm_async_pf_enabled);
		return -ENOMEM;
	}
	/* Publish the table before any cpu can take a READY into it. */
	smp_store_release(&pvapf_guest_table_published, true);
	cpus_read_lock();
	on_each_cpu(pvapf_guest_enable_cb, NULL, 1);
	cpus_read_unlock();
	pr_info("pvapf: async page faults enabled on %d of %d cpus\n",
		pvapf_guest_cpus_enabled(), num_online_cpus());
	return 0;
}
early_initcall(pvapf_guest_late_init);

/*
 * Resume from suspend or hibernation: kvm.c's syscore resume (registered in
 * setup_arch) runs before the LAPIC's (core_initcall), so it finds the boot
 * cpu's LAPIC disabled and skips the enable. Syscore resumes run in
 * registration order, so this one, registered later, comes after the LAPIC's.
 */
static void pvapf_guest_syscore_resume(void *data)
{
	pvapf_guest_cpu_enable();
}

static const struct syscore_ops pvapf_guest_syscore_ops = {
	.resume = pvapf_guest_syscore_resume,
};

static struct syscore pvapf_guest_syscore = {
	.ops = &pvapf_guest_syscore_ops,
};

static int __init pvapf_guest_syscore_init(void)
{
	if (static_branch_likely(&kvm_async_pf_enabled))
		register_syscore(&pvapf_guest_syscore);
	return 0;
}
device_initcall(pvapf_guest_syscore_init);
