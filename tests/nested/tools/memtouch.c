// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch - L2 workload: fill a buffer, ask L1 to swap the guest out, re-read it from
 * several threads and verify every page. Each re-read of a swapped page is a fault the
 * host can turn into an async page fault.
 *
 * usage: memtouch --mib N [--threads T] [--rounds R]
 * prints: RESULT memtouch round=I ms=M swap_kb=K bad_pages=B
 * exit: 0 when every page read back intact, 1 otherwise, 2 on usage/setup errors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define REQ "@@PVAPF "

static unsigned char *buf;
static size_t npages;
static unsigned int nthreads = 4;

struct slice {
	size_t first;
	size_t bad;
};

static uint64_t stamp(size_t page, unsigned int round)
{
	return (page * 0x9e3779b97f4a7c15ULL) ^ round;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Thread t reads pages t, t+T, t+2T...: all threads fault concurrently across the buffer. */
static void *reread(void *arg)
{
	struct slice *s = arg;

	for (size_t p = s->first; p < npages; p += nthreads)
		if (*(volatile uint64_t *)(buf + p * PAGE) != stamp(p, 0))
			s->bad++;
	return NULL;
}

/* Ask L1 (via l2ctl) to page out our RAM; wait for its answer on the console. */
static long request_pageout(void)
{
	char line[256];
	long kb = -1;

	printf(REQ "PAGEOUT\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		if (sscanf(line, REQ "PAGEOUT-DONE swap_kb=%ld", &kb) == 1)
			return kb;
	fprintf(stderr, "memtouch: console closed before PAGEOUT-DONE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long mib = 0;
	unsigned int rounds = 1;
	size_t total_bad = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mib"))
			mib = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			nthreads = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = strtoul(argv[i + 1], NULL, 0);
	}
	if (!mib || !nthreads || nthreads > 256 || !rounds) {
		fprintf(stderr, "usage: memtouch --mib N [--threads T<=256] [--rounds R]\n");
		return 2;
	}
	npages = mib * (1UL << 20) / PAGE;
	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("memtouch: mmap");
		return 2;
	}
	for (size_t p = 0; p < npages; p++)
		*(uint64_t *)(buf + p * PAGE) = stamp(p, 0);

	for (unsigned int r = 1; r <= rounds; r++) {
		pthread_t tid[256];
		struct slice s[256];
		long kb = request_pageout();
		double t0 = now_ms();
		size_t bad = 0;

		for (unsigned int t = 0; t < nthreads; t++) {
			s[t] = (struct slice){ .first = t };
			if (pthread_create(&tid[t], NULL, reread, &s[t])) {
				perror("memtouch: pthread_create");
				return 2;
			}
		}
		for (unsigned int t = 0; t < nthreads; t++) {
			pthread_join(tid[t], NULL);
			bad += s[t].bad;
		}
		total_bad += bad;
		printf("RESULT memtouch round=%u ms=%.0f swap_kb=%ld bad_pages=%zu\n", r,
		       now_ms() - t0, kb, bad);
		fflush(stdout);
	}
	return total_bad ? 1 : 0;
}
