// SPDX-License-Identifier: GPL-2.0
/*
 * bench_token_table.c - cost of one async-PF wait+wake pair in the guest
 * token table while N other tasks sleep in it.
 *
 * A pair is what the table does for one fault: prepare_wait + wake +
 * finish_wait when the task sleeps first ("sleep-first"), or wake (dummy
 * allocated) + prepare_wait (dummy consumed and freed) when READY wins
 * ("ready-first").  N - 1 background sleepers stay hashed throughout, so
 * every lookup walks chains as loaded as they would be with N sleepers.
 * The goal is a flat cost as N grows: the table is sized from the vCPU
 * count (64 sleepers per vCPU at most), and N sleepers imply at least
 * N / 64 vCPUs.  A fixed 256-bucket table is shown for comparison.
 *
 * Single-threaded, so it measures the table, not the scheduler.
 * BENCH_PAIRS (default 1000000) pairs per measurement, best of 5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pvapf_token_table.h"
#include "tt_env.h"

#define REPEATS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct result {
	double sleep_first;
	double ready_first;
	unsigned int buckets;
};

static int measure(unsigned long sleepers, unsigned int hash_bits,
		   unsigned long pairs, struct result *out)
{
	unsigned int nr_cpus = (sleepers + PVAPF_TT_SLEEPERS_PER_CPU - 1) /
			       PVAPF_TT_SLEEPERS_PER_CPU;
	struct pvapf_tt_node *bg, node;
	struct tt_parker parker;
	struct tt_env env;
	unsigned long i;
	u32 token;
	int rep;

	if (nr_cpus > TT_ENV_MAX_CPUS)
		nr_cpus = TT_ENV_MAX_CPUS;
	if (!hash_bits)
		hash_bits = pvapf_tt_default_hash_bits(
			(sleepers + PVAPF_TT_SLEEPERS_PER_CPU - 1) /
			PVAPF_TT_SLEEPERS_PER_CPU);
	if (tt_env_init(&env, nr_cpus, hash_bits))
		return -1;
	tt_parker_init(&parker, false);
	bg = calloc(sleepers, sizeof(*bg));
	/* Background sleepers: odd tokens; measured pairs use even ones. */
	for (i = 0; i + 1 < sleepers; i++)
		pvapf_tt_prepare_wait(&env.tt, &bg[i], 2 * i + 1, i % nr_cpus,
				      &parker);

	out->buckets = 1U << env.tt.hash_bits;
	out->sleep_first = out->ready_first = 1e30;
	token = 2;
	for (rep = 0; rep < REPEATS; rep++) {
		double t0 = now_ns(), t;

		for (i = 0; i < pairs; i++, token += 2) {
			pvapf_tt_prepare_wait(&env.tt, &node, token, 0,
					      &parker);
			pvapf_tt_wake(&env.tt, token, 0);
			pvapf_tt_finish_wait(&env.tt, &node);
		}
		t = (now_ns() - t0) / pairs;
		if (t < out->sleep_first)
			out->sleep_first = t;

		t0 = now_ns();
		for (i = 0; i < pairs; i++, token += 2) {
			pvapf_tt_wake(&env.tt, token, 0);
			pvapf_tt_prepare_wait(&env.tt, &node, token, 0,
					      &parker);
		}
		t = (now_ns() - t0) / pairs;
		if (t < out->ready_first)
			out->ready_first = t;
	}

	pvapf_tt_wake_all(&env.tt);
	for (i = 0; i + 1 < sleepers; i++)
		pvapf_tt_finish_wait(&env.tt, &bg[i]);
	free(bg);
	tt_parker_destroy(&parker);
	return tt_env_destroy(&env) ? -1 : 0;
}

int main(void)
{
	static const unsigned long sizes[] = { 1, 100, 10000 };
	const char *v = getenv("BENCH_PAIRS");
	unsigned long pairs = v ? strtoul(v, NULL, 0) : 1000000;
	struct result sized[3], fixed[3];
	unsigned int i;

	if (!pairs)
		pairs = 1;
	for (i = 0; i < 3; i++) {
		if (measure(sizes[i], 0, pairs, &sized[i]) ||
		    measure(sizes[i], PVAPF_TT_MIN_HASH_BITS, pairs, &fixed[i])) {
			fprintf(stderr, "benchmark setup failed\n");
			return 1;
		}
	}

	printf("guest token table: ns per wait+wake pair (best of %d x %lu pairs, 1 thread)\n",
	       REPEATS, pairs);
	printf("%10s | %8s %12s %12s | %8s %12s %12s\n", "sleepers",
	       "buckets", "sleep-first", "ready-first", "buckets",
	       "sleep-first", "ready-first");
	printf("%10s | %34s | %34s\n", "", "sized by vCPUs (default)",
	       "fixed 256 buckets");
	for (i = 0; i < 3; i++)
		printf("%10lu | %8u %12.1f %12.1f | %8u %12.1f %12.1f\n",
		       sizes[i], sized[i].buckets, sized[i].sleep_first,
		       sized[i].ready_first, fixed[i].buckets,
		       fixed[i].sleep_first, fixed[i].ready_first);
	printf("flatness (10000 vs 1 sleepers, sleep-first): sized %.2fx, fixed %.2fx\n",
	       sized[2].sleep_first / sized[0].sleep_first,
	       fixed[2].sleep_first / fixed[0].sleep_first);
	return 0;
}
