// SPDX-License-Identifier: GPL-2.0
/*
 * switch_race.c - a cpu coming up raced against its emergency node coming
 * home (guest/pvapf_guest_switch.h), as pvapf_guest_cpu.c uses them.
 *
 * Each round starts a cpu that went down while paused (down, paused, APF
 * off).  One thread is the cpu coming online: pvapf_switch_up(), and if
 * that says no, its pause work, which runs at once and ends (the node is
 * home or its consumer has it) by switching APF on if it may.  The other
 * is the node's consumer on another cpu: pvapf_switch_resume(), and if
 * that says so, the resume irq_work on the cpu, which switches APF on if
 * it may.  After both, APF must be on, switched on exactly once.
 *
 * The header's window between each side's store and load is where the
 * race is decided.  Two rounds first stop one side there until the other
 * has finished (each order once); then random rounds spin in it a random
 * while.  PVAPF_STRESS_SCALE (default 1) scales the random rounds,
 * PVAPF_STRESS_SEED their delays.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_report.h"

static void window(void);
#define pvapf_switch_window()	window()
#include "pvapf_guest_switch.h"

#define ROUNDS	200000

struct race {
	struct pvapf_switch sw;
	unsigned long rounds;
	/* Round number each side may start, and has finished. */
	unsigned long go[2];
	unsigned long done[2];
	/* This round: the consumer asked the cpu to switch on. */
	bool kicked;
	/* Forced rounds: the side (0 or 1) held in its window, else -1. */
	int hold;
	int in_window;
	long starts;
	unsigned long seed;
};

static void start(struct race *r)
{
	WRITE_ONCE(r->sw.enabled, true);
	__atomic_fetch_add(&r->starts, 1, __ATOMIC_RELAXED);
}

static unsigned long rnd(unsigned long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void jitter(unsigned long *x)
{
	unsigned long n = rnd(x) % 64;

	while (n--)
		__asm__ __volatile__("" ::: "memory");
}

static struct race race;
static _Thread_local int side = -1;
static _Thread_local unsigned long jitter_state;

static void spin_until(const int *flag)
{
	unsigned int spins = 0;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (++spins % 256 == 0)
			sched_yield();
}

/* Held: let the other side run whole, then go on.  Random: a short spin. */
static void window(void)
{
	struct race *r = &race;

	if (r->hold < 0) {
		jitter(&jitter_state);
		return;
	}
	if (r->hold != side)
		return;
	__atomic_store_n(&r->in_window, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->done[!side], __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&r->go[side], __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Start the round; the side not held waits for the held one's window. */
static void wait_go(struct race *r, int me, unsigned long round)
{
	unsigned int spins = 0;

	while (__atomic_load_n(&r->go[me], __ATOMIC_ACQUIRE) != round)
		if (++spins % 256 == 0)
			sched_yield();
	if (r->hold >= 0 && r->hold != me)
		spin_until(&r->in_window);
}

/* The cpu coming online (irqs off on it), then its pause work there. */
static void *cpu_up(void *arg)
{
	struct race *r = arg;
	unsigned long round;

	side = 0;
	jitter_state = r->seed | 1;
	for (round = 1; round <= r->rounds; round++) {
		wait_go(r, 0, round);
		jitter(&jitter_state);
		if (pvapf_switch_up(&r->sw))
			start(r);
		else if (pvapf_switch_may_start(&r->sw))
			start(r);	/* the pause work's end */
		__atomic_store_n(&r->done[0], round, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The emergency node's consumer on another cpu. */
static void *node_home(void *arg)
{
	struct race *r = arg;
	unsigned long round;

	side = 1;
	jitter_state = (r->seed * 2654435761UL) | 1;
	for (round = 1; round <= r->rounds; round++) {
		wait_go(r, 1, round);
		jitter(&jitter_state);
		r->kicked = pvapf_switch_resume(&r->sw);
		__atomic_store_n(&r->done[1], round, __ATOMIC_RELEASE);
	}
	return NULL;
}

int main(void)
{
	const char *scale_env = getenv("PVAPF_STRESS_SCALE");
	const char *seed_env = getenv("PVAPF_STRESS_SEED");
	struct tt_result res = { 0 };
	struct race *r = &race;
	unsigned long round, lost = 0, twice = 0, kicks = 0, ups = 0;
	char held_lost[64] = "";
	pthread_t t[2];

	r->rounds = 2 + (unsigned long)(ROUNDS * (scale_env ? atof(scale_env) : 1.0));
	r->seed = seed_env ? strtoul(seed_env, NULL, 0) : 1;
	pthread_create(&t[0], NULL, cpu_up, r);
	pthread_create(&t[1], NULL, node_home, r);
	for (round = 1; round <= r->rounds; round++) {
		long before = r->starts;

		r->sw = (struct pvapf_switch){ .enabled = false, .paused = true, .down = true };
		r->kicked = false;
		/* Round 1 holds the consumer in its window, round 2 the bring-up. */
		r->hold = round <= 2 ? (int)(2 - round) : -1;
		r->in_window = 0;
		__atomic_store_n(&r->go[0], round, __ATOMIC_RELEASE);
		__atomic_store_n(&r->go[1], round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r->done[0], __ATOMIC_ACQUIRE) != round ||
		       __atomic_load_n(&r->done[1], __ATOMIC_ACQUIRE) != round)
			sched_yield();
		if (r->starts > before)
			ups++;
		/* The resume irq_work, on the cpu, after its bring-up. */
		if (r->kicked) {
			kicks++;
			if (pvapf_switch_may_start(&r->sw))
				start(r);
		}
		if (!r->sw.enabled) {
			lost++;
			if (r->hold >= 0)
				snprintf(held_lost + strlen(held_lost), sizeof(held_lost) - strlen(held_lost),
					 " %s held", r->hold ? "consumer" : "bring-up");
		}
		if (r->starts - before > 1)
			twice++;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);

	TT_CHECK(&res, !lost, "APF left off after %lu of %lu rounds (forced:%s)", lost,
		 r->rounds, held_lost[0] ? held_lost : " none");
	TT_CHECK(&res, !twice, "APF switched on twice in %lu rounds", twice);
	TT_CHECK(&res, ups && kicks,
		 "one side never switched APF on (bring-up %lu, consumer %lu rounds)", ups, kicks);
	tt_report("switch_up_vs_resume", &res, "%lu rounds: bring-up switched on %lu, consumer %lu",
		  r->rounds, ups, kicks);
	return tt_report_exit_code();
}
