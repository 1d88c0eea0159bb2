/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel SMP barriers mapped onto C11 memory orders. */
#ifndef _PVAPF_SHIM_ASM_BARRIER_H
#define _PVAPF_SHIM_ASM_BARRIER_H

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* _PVAPF_SHIM_ASM_BARRIER_H */
