// SPDX-License-Identifier: GPL-2.0
/*
 * apfmsr - L2 probe of the host's APF MSR checks: writes each value a guest must not be
 * allowed to write (and a few it may) to the async-PF MSRs through /dev/cpu/0/msr and
 * reports what happened. A #GP in the guest surfaces as EIO from the msr driver.
 * Run it on a guest booted with no-kvmapf, so the kernel's own APF state is not in use.
 *
 * usage: apfmsr
 * prints: RESULT apfmsr case=NAME rc=0|EIO|ERRNO   (one line per case)
 * exit: 0 when every case did what the ABI says, 1 otherwise, 2 on setup errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvapf_abi.h"

struct msr_case {
	const char *name;
	uint32_t msr;
	uint64_t value;
	int want_errno;		/* 0: accepted; EIO: #GP */
};

/* Guest RAM is a few hundred MiB: 64 GiB is certainly not backed. */
#define UNBACKED_GPA	(64ULL << 30)
#define VECTOR		0xec

static const struct msr_case cases[] = {
	{ "en_reserved_bit4", PVAPF_MSR_EN, PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT | (1ULL << 4), EIO },
	{ "en_reserved_bit5", PVAPF_MSR_EN, PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT | (1ULL << 5), EIO },
	{ "en_before_vector", PVAPF_MSR_EN, PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT, EIO },
	{ "int_vector_below_32", PVAPF_MSR_INT, 14, EIO },
	{ "int_reserved_bits", PVAPF_MSR_INT, 0x1ec, EIO },
	{ "int_valid_vector", PVAPF_MSR_INT, VECTOR, 0 },
	{ "en_unbacked_gpa", PVAPF_MSR_EN, UNBACKED_GPA | PVAPF_EN_ENABLED | PVAPF_EN_DELIVERY_AS_INT, EIO },
	{ "ack_reserved_bits", PVAPF_MSR_ACK, 2, EIO },
	{ "ack_nothing_pending", PVAPF_MSR_ACK, 1, 0 },
	{ "en_disable", PVAPF_MSR_EN, 0, 0 },
};

int main(void)
{
	int fd = open("/dev/cpu/0/msr", O_RDWR);
	int ok = 1;
	uint64_t back;

	if (fd < 0) {
		perror("apfmsr: /dev/cpu/0/msr");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct msr_case *c = &cases[i];
		int err = 0;

		if (pwrite(fd, &c->value, sizeof(c->value), c->msr) != sizeof(c->value))
			err = errno;
		printf("RESULT apfmsr case=%s rc=%s\n", c->name,
		       err == 0 ? "0" : err == EIO ? "EIO" : strerror(err));
		if (err != c->want_errno)
			ok = 0;
	}
	/* The accepted vector reads back; a rejected write changed nothing. */
	if (pread(fd, &back, sizeof(back), PVAPF_MSR_INT) != sizeof(back) || back != VECTOR) {
		printf("RESULT apfmsr case=int_readback rc=%llu\n", (unsigned long long)back);
		ok = 0;
	}
	close(fd);
	return ok ? 0 : 1;
}
