/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: kernel integer types on top of the uapi __u32 family,
 * so the same header serves pvapf_abi.h (uapi types) and kernel C (u32).
 */
#ifndef _PVAPF_SHIM_LINUX_TYPES_H
#define _PVAPF_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#endif /* _PVAPF_SHIM_LINUX_TYPES_H */
