/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: READ_ONCE/WRITE_ONCE as relaxed atomics.  Same codegen
 * intent as the kernel's volatile accesses, and ThreadSanitizer sees them
 * as the deliberate lockless accesses they are.
 */
#ifndef _PVAPF_SHIM_LINUX_COMPILER_H
#define _PVAPF_SHIM_LINUX_COMPILER_H

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#endif /* _PVAPF_SHIM_LINUX_COMPILER_H */
