/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_guest.h - what the x86 KVM guest (arch/x86/kernel/kvm.c) calls in pvapf.
 *
 * kvm.c keeps owning the paravirt setup and the cpu lifecycle (online, offline,
 * suspend, reboot, kexec, crash); at each of those points it calls in here, and
 * pvapf owns everything about async page faults.
 */
#ifndef _PVAPF_GUEST_H
#define _PVAPF_GUEST_H

#include <linux/init.h>
#include <linux/types.h>

/* Early (kvm_guest_init): decide whether APF is used, install the READY vector. */
void __init pvapf_guest_init(void);
/* This cpu came up or resumed: enable APF here if possible (irqs off). */
void pvapf_guest_cpu_enable(void);
/*
 * This cpu goes offline, suspends or shuts down: disable APF here (irqs off).
 * Unless @shutdown, tasks asleep on tokens from this cpu are woken, because the
 * host drops the READYs it owed a disabled cpu.
 */
void pvapf_guest_cpu_disable(bool shutdown);
/* SEV: the shared area of @cpu must be mapped decrypted for the host to see it. */
void __init pvapf_guest_map_decrypted(int cpu);

#endif /* _PVAPF_GUEST_H */
