// SPDX-License-Identifier: GPL-2.0
/*
 * apfbm - L2 workload of the overcommit benchmark, after the "bm" of the 2010 async-PF
 * series: T toucher threads read random pages of a large array while C counter threads
 * do pure CPU work, for a fixed time; the result is the work both kinds got done. When
 * the host has swapped the array out, a toucher's fault stalls the whole vCPU without
 * async page faults; with them only the toucher sleeps and the counters keep running.
 *
 * usage: apfbm --mib N --touchers T --counters C --seconds S [--call "HOOK ARGS"]
 *   --mib 0 with --touchers 0 runs counters only (the CPU co-runner of the fio phase).
 *   --call: after filling the array, ask L1 to run a hook (over the console, as l1_call
 *   does) and start the timed phase only once it answered 0; the benchmark uses it to
 *   cap the VMM's memory once the array is resident.
 * prints: RESULT apfbm mib=N touchers=T counters=C ms=M touches=X counts=Y bad_pages=B
 *   counts are blocks of COUNT_BLOCK loop turns, so the number stays small.
 * exit: 0 when every page read was intact, 1 otherwise, 2 on usage/setup errors.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define REQ "@@PVAPF "
#define COUNT_BLOCK 1000
#define MAX_THREADS 64

static uint64_t *buf;
static size_t npages;
static atomic_int stop;

struct worker {
	pthread_t tid;
	uint64_t rng;
	uint64_t done;
	uint64_t bad;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Word 0 of every page names the page, so a read-back checks the swap round trip. */
static uint64_t stamp(size_t page)
{
	return page * 0x9e3779b97f4a7c15ULL + 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *toucher(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		size_t p = xorshift(&w->rng) % npages;

		if (((volatile uint64_t *)buf)[p * WORDS] != stamp(p))
			w->bad++;
		w->done++;
	}
	return NULL;
}

static void *counter(void *arg)
{
	struct worker *w = arg;
	volatile uint64_t sink = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int i = 0; i < COUNT_BLOCK; i++)
			sink = sink + 1;
		w->done++;
	}
	return NULL;
}

/* The rest of each page is random, so zram cannot store it as a same-filled page. */
static void fill(void)
{
	uint64_t rng = 88172645463325252ULL;

	for (size_t p = 0; p < npages; p++) {
		buf[p * WORDS] = stamp(p);
		for (size_t i = 1; i < WORDS; i++)
			buf[p * WORDS + i] = xorshift(&rng);
	}
}

/* Run an L1 hook through l2ctl and wait for its status (see tests/nested/lib/l2.sh l1_call). */
static int call_l1(const char *hook)
{
	char line[256];
	int rc;

	printf(REQ "CALL %s\n", hook);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		if (sscanf(line, REQ "RET %d", &rc) == 1)
			return rc;
	return 255;
}

static int start(struct worker *w, unsigned int n, void *(*fn)(void *), uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++) {
		w[i] = (struct worker){ .rng = seed + i * 0x2545f4914f6cdd1dULL };
		if (pthread_create(&w[i].tid, NULL, fn, &w[i])) {
			perror("apfbm: pthread_create");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = 0, seconds = 0;
	unsigned int ntouch = 0, ncount = 0;
	const char *hook = NULL;
	struct worker tw[MAX_THREADS], cw[MAX_THREADS];
	uint64_t touches = 0, counts = 0, bad = 0;
	struct timespec dur;
	double t0, ms;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mib"))
			mib = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--touchers"))
			ntouch = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--counters"))
			ncount = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--call"))
			hook = argv[i + 1];
	}
	if (!seconds || ntouch > MAX_THREADS || ncount > MAX_THREADS || ntouch + ncount == 0 ||
	    (ntouch && !mib)) {
		fprintf(stderr, "usage: apfbm --mib N --touchers T<=%d --counters C<=%d --seconds S [--call \"HOOK ARGS\"]\n",
			MAX_THREADS, MAX_THREADS);
		return 2;
	}
	if (mib) {
		npages = mib * (1UL << 20) / PAGE;
		buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (buf == MAP_FAILED) {
			perror("apfbm: mmap");
			return 2;
		}
		fill();
	}
	if (hook && call_l1(hook) != 0) {
		fprintf(stderr, "apfbm: L1 hook '%s' failed\n", hook);
		return 2;
	}

	t0 = now_ms();
	if (start(tw, ntouch, toucher, 0x1234567ULL) || start(cw, ncount, counter, 0x7654321ULL))
		return 2;
	dur = (struct timespec){ .tv_sec = seconds };
	while (nanosleep(&dur, &dur))
		;
	atomic_store(&stop, 1);
	for (unsigned int i = 0; i < ntouch; i++) {
		pthread_join(tw[i].tid, NULL);
		touches += tw[i].done;
		bad += tw[i].bad;
	}
	for (unsigned int i = 0; i < ncount; i++) {
		pthread_join(cw[i].tid, NULL);
		counts += cw[i].done;
	}
	ms = now_ms() - t0;
	printf("RESULT apfbm mib=%lu touchers=%u counters=%u ms=%.0f touches=%llu counts=%llu bad_pages=%llu\n",
	       mib, ntouch, ncount, ms, (unsigned long long)touches, (unsigned long long)counts,
	       (unsigned long long)bad);
	fflush(stdout);
	return bad ? 1 : 0;
}
