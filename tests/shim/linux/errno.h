/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kernel errno values are the uapi ones libc uses too. */
#ifndef _PVAPF_SHIM_LINUX_ERRNO_H
#define _PVAPF_SHIM_LINUX_ERRNO_H

#include_next <linux/errno.h>

#endif /* _PVAPF_SHIM_LINUX_ERRNO_H */
