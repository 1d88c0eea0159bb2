// SPDX-License-Identifier: GPL-2.0
/*
 * countwait - wait in one process until counters show something: the sums
 * of each KEY over the "KEY value" lines of the files matching GLOB are all
 * above zero.  L1 runs it while an L2 boots and pages; a shell loop there
 * would fork twice per poll, and that churn is what made L1 crash under
 * multi-threaded TCG (tests/nested/README.md, Known emulator artifacts).
 *
 * usage: countwait SECONDS PID GLOB KEY...
 * Polls every 10 ms until every KEY sums above zero (exit 0), or PID has
 * ended or SECONDS have passed (exit 1); prints "KEY=sum ..." as last read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYS 8

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Sum each key over the matching files; true if every sum is above zero. */
static int read_sums(const char *pattern, char **keys, int nkeys, unsigned long long *sum)
{
	char name[64];
	unsigned long long v;
	glob_t g;
	size_t i;
	int k, all = 1;

	memset(sum, 0, nkeys * sizeof(*sum));
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			FILE *f = fopen(g.gl_pathv[i], "r");

			if (!f)
				continue; /* a VM that went away meanwhile */
			while (fscanf(f, "%63s %llu", name, &v) == 2)
				for (k = 0; k < nkeys; k++)
					if (!strcmp(name, keys[k]))
						sum[k] += v;
			fclose(f);
		}
		globfree(&g);
	}
	for (k = 0; k < nkeys; k++)
		all &= sum[k] > 0;
	return all;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	unsigned long long sum[MAX_KEYS];
	double end;
	pid_t pid;
	int k, nkeys = argc - 4, met;

	if (argc < 5 || nkeys > MAX_KEYS) {
		fprintf(stderr, "usage: countwait SECONDS PID GLOB KEY... (at most %d keys)\n",
			MAX_KEYS);
		return 2;
	}
	end = now() + strtod(argv[1], NULL);
	pid = (pid_t)strtol(argv[2], NULL, 10);
	for (;;) {
		met = read_sums(argv[3], argv + 4, nkeys, sum);
		if (met || now() >= end || (kill(pid, 0) && errno == ESRCH))
			break;
		nanosleep(&tick, NULL);
	}
	for (k = 0; k < nkeys; k++)
		printf("%s%s=%llu", k ? " " : "", argv[4 + k], sum[k]);
	printf("\n");
	return met ? 0 : 1;
}
