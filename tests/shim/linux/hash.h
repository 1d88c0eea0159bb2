/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: hash_32() with the kernel's multiplier, so bucket
 * indices (and the collision sets the tests build) match the kernel.
 */
#ifndef _PVAPF_SHIM_LINUX_HASH_H
#define _PVAPF_SHIM_LINUX_HASH_H

#include <linux/types.h>

#define GOLDEN_RATIO_32 0x61C88647

static inline u32 hash_32(u32 val, unsigned int bits)
{
	return (u32)(val * GOLDEN_RATIO_32) >> (32 - bits);
}

#endif /* _PVAPF_SHIM_LINUX_HASH_H */
