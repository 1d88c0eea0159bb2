/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: integer log2 helpers (non-constant forms only). */
#ifndef _PVAPF_SHIM_LINUX_LOG2_H
#define _PVAPF_SHIM_LINUX_LOG2_H

#include <stdbool.h>

static inline int ilog2(unsigned long n)
{
	return n ? (int)(sizeof(n) * 8 - 1) - __builtin_clzl(n) : -1;
}

/* ceil(log2(n)), 0 for n <= 1, as in the kernel. */
static inline int order_base_2(unsigned long n)
{
	return n > 1 ? ilog2(n - 1) + 1 : 0;
}

static inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

#endif /* _PVAPF_SHIM_LINUX_LOG2_H */
