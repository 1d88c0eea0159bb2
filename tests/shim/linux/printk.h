/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: pr_*() go through the counting shim_printk(). */
#ifndef _PVAPF_SHIM_LINUX_PRINTK_H
#define _PVAPF_SHIM_LINUX_PRINTK_H

#include "shim_diag.h"

#define pr_err(fmt, ...)	shim_printk("err", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	shim_printk("warn", fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	shim_printk("info", fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	shim_printk("debug", fmt, ##__VA_ARGS__)

#endif /* _PVAPF_SHIM_LINUX_PRINTK_H */
