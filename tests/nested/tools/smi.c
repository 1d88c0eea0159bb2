// SPDX-License-Identifier: GPL-2.0
/*
 * smi - runs in L2, on a machine with SMM and SeaBIOS (pc, smm=on): raises System Management
 * Interrupts by writing the APM control port (0xb2), as an OS asks its firmware for power
 * management. The chipset turns each write into an SMI on the writing vCPU; SeaBIOS's handler
 * finds a command it has nothing to do for and leaves SMM (RSM). Under KVM each is an SMM
 * entry (paging off) and exit (paging back on) of that vCPU with whatever async-PF work is in
 * flight: the case of the 2025 lost READY, where pages completed meanwhile were never
 * announced to the guest.
 *
 * The writes go through /dev/port, so the kernel does them: a user-mode OUT checks the TSS's
 * I/O bitmap, which faults (#GP) in an L2 under this machine's emulated SVM.
 *
 * usage: smi COUNT INTERVAL_US
 * prints "RESULT smi writes=N" after N writes, one every INTERVAL_US.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define APM_CNT 0xb2
/* Not ACPI enable/disable on either chipset (PIIX4 0xf0/0xf1, ICH9 0x02/0x03), nor one of
 * SeaBIOS's own commands: the handler only returns. */
#define SMI_CMD 0x7e

int main(int argc, char **argv)
{
	unsigned char cmd = SMI_CMD;
	long n, i, us;
	int fd;

	if (argc != 3 || (n = atol(argv[1])) <= 0 || (us = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: smi COUNT INTERVAL_US\n");
		return 2;
	}
	fd = open("/dev/port", O_WRONLY);
	if (fd < 0) {
		perror("smi: /dev/port");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (pwrite(fd, &cmd, 1, APM_CNT) != 1) {
			perror("smi: write to port 0xb2");
			return 1;
		}
		if (us)
			usleep(us);
	}
	printf("RESULT smi writes=%ld\n", n);
	return 0;
}
