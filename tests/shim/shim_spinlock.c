// SPDX-License-Identifier: GPL-2.0
/* Userspace shim: per-thread identity and "irqs off" state for spinlocks. */
#include <stdint.h>
#include <asm/barrier.h>
#include <linux/spinlock.h>

/* The word every smp_mb() updates (asm/barrier.h). */
int shim_mb_word;

static _Thread_local char thread_tag;
static _Thread_local unsigned long irqs_off;

/* Nonzero and unique among live threads: the address of a TLS byte. */
unsigned long shim_thread_id(void)
{
	return (unsigned long)(uintptr_t)&thread_tag;
}

unsigned long shim_local_irq_save(void)
{
	unsigned long flags = irqs_off;

	irqs_off = 1;
	return flags;
}

void shim_local_irq_restore(unsigned long flags)
{
	irqs_off = flags;
}

int irqs_disabled(void)
{
	return irqs_off != 0;
}
