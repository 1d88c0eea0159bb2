// SPDX-License-Identifier: GPL-2.0
/*
 * asuser - run a command as an unprivileged user, for L1 checks of what a
 * non-root user can see (busybox's setpriv cannot change uid, su wants a
 * passwd file).
 *
 * usage: asuser UID COMMAND [ARGS...]   (gid = uid, no supplementary groups)
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t id;

	if (argc < 3) {
		fprintf(stderr, "usage: asuser UID COMMAND [ARGS...]\n");
		return 2;
	}
	id = (uid_t)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("asuser");
		return 125;
	}
	execvp(argv[2], argv + 2);
	perror("asuser: exec");
	return 127;
}
