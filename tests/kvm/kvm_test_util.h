/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_test_util.h - what the L1 test programs on KVM's selftest library share.
 */
#ifndef PVAPF_KVM_TEST_UTIL_H
#define PVAPF_KVM_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "ucall_common.h"

/* The next ucall of the guest, which must be GUEST_SYNC2(@stage, ...). */
static inline struct ucall run_to_stage(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[0] == stage, "guest at stage %lu, want %lu",
			    (unsigned long)uc.args[0], (unsigned long)stage);
		break;
	default:
		TEST_FAIL("unexpected ucall %lu", (unsigned long)uc.cmd);
	}
	return uc;
}

/* A number from a "name value" file (pvapf counters), -1 if it is not there. */
static inline long file_value(const char *path, const char *key)
{
	char name[64];
	long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	fclose(f);
	return found;
}

#endif /* PVAPF_KVM_TEST_UTIL_H */
