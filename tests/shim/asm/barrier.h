/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel SMP barriers mapped onto C11 memory orders. */
#ifndef _PVAPF_SHIM_ASM_BARRIER_H
#define _PVAPF_SHIM_ASM_BARRIER_H

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/*
 * A full barrier as a seq_cst read-modify-write of one shared word: every
 * smp_mb() is then ordered with every other and synchronises with the one
 * before it, which is what a store-then-load pairing needs; ThreadSanitizer
 * understands it, where it does not support fences.
 */
extern int shim_mb_word;
#define smp_mb()		((void)__atomic_fetch_add(&shim_mb_word, 0, __ATOMIC_SEQ_CST))

#endif /* _PVAPF_SHIM_ASM_BARRIER_H */
