/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test verdicts: one "PASS: variant/name (detail)" or
 * "FAIL: variant/name — reason" line per test.  The variant comes from
 * $PVAPF_TEST_VARIANT so the plain and sanitizer runs stay distinct.
 */
#ifndef _PVAPF_TT_REPORT_H
#define _PVAPF_TT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct tt_result {
	bool failed;
	char reason[512];
};

/* Record the first failed check; later ones would only be fallout. */
#define TT_CHECK(res, cond, ...) do {					\
	if (!(cond) && !(res)->failed) {				\
		(res)->failed = true;					\
		snprintf((res)->reason, sizeof((res)->reason),		\
			 __VA_ARGS__);					\
	}								\
} while (0)

void tt_report(const char *name, const struct tt_result *res,
	       const char *detail_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Exit status for main(): nonzero if any test failed. */
int tt_report_exit_code(void);

#endif /* _PVAPF_TT_REPORT_H */
