// SPDX-License-Identifier: GPL-2.0
/* Test verdict lines (see tt_report.h). */
#include <stdarg.h>
#include <stdlib.h>

#include "tt_report.h"

static int nr_failed;

void tt_report(const char *name, const struct tt_result *res,
	       const char *detail_fmt, ...)
{
	const char *variant = getenv("PVAPF_TEST_VARIANT");
	char detail[512] = "";
	va_list ap;

	if (!variant || !*variant)
		variant = "plain";
	if (res->failed) {
		nr_failed++;
		printf("FAIL: %s/%s \u2014 %s\n", variant, name, res->reason);
	} else {
		if (detail_fmt) {
			va_start(ap, detail_fmt);
			vsnprintf(detail, sizeof(detail), detail_fmt, ap);
			va_end(ap);
		}
		printf("PASS: %s/%s%s%s%s\n", variant, name,
		       *detail ? " (" : "", detail, *detail ? ")" : "");
	}
	fflush(stdout);
}

int tt_report_exit_code(void)
{
	return nr_failed ? 1 : 0;
}
