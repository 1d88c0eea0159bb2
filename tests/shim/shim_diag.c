// SPDX-License-Identifier: GPL-2.0
/* Userspace shim: counted WARN_ON()/printk() (see shim_diag.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_diag.h"

static long warn_count;
static long printk_count;

static int verbose(void)
{
	const char *v = getenv("PVAPF_SHIM_VERBOSE");

	return v && strcmp(v, "0") != 0;
}

void shim_warn(const char *file, int line, const char *cond, int print)
{
	__atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
	if (print)
		fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, cond);
}

void shim_printk(const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "err") || !strcmp(level, "warn"))
		__atomic_fetch_add(&printk_count, 1, __ATOMIC_RELAXED);
	if (!verbose())
		return;
	fprintf(stderr, "[%s] ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

long shim_warn_count(void)
{
	return __atomic_load_n(&warn_count, __ATOMIC_RELAXED);
}

long shim_printk_count(void)
{
	return __atomic_load_n(&printk_count, __ATOMIC_RELAXED);
}
