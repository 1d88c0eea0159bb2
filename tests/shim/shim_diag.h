/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: diagnostics.  WARN_ON*() and pr_*() are counted so tests
 * can assert that none fired (or that an expected one did); messages go to
 * stderr only with PVAPF_SHIM_VERBOSE=1, warnings always.
 */
#ifndef _PVAPF_SHIM_DIAG_H
#define _PVAPF_SHIM_DIAG_H

void shim_warn(const char *file, int line, const char *cond, int print);
void shim_printk(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Number of WARN_ON()/WARN_ON_ONCE() conditions that were true. */
long shim_warn_count(void);
/* Number of pr_warn()/pr_err() messages. */
long shim_printk_count(void);

#endif /* _PVAPF_SHIM_DIAG_H */
