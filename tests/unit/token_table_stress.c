// SPDX-License-Identifier: GPL-2.0
/*
 * token_table_stress.c - multi-threaded stress of the guest token table
 * against a simulated host.
 *
 * Model.  Each simulated cpu has a lock standing for "this cpu runs with
 * irqs off": a vCPU thread holds it from receiving NOT_PRESENT to
 * prepare_wait() (as the #PF entry does), and host threads hold it while
 * delivering a READY there (the READY irq).  A vCPU thread runs many
 * simulated tasks; a sleeping task is polled for its woken word, as a
 * scheduler would run it again.  Host threads pop owed READYs in random
 * order and deliver them on the NOT_PRESENT cpu or, cross_pct of the time,
 * on another one (allowed by the ABI).  DEFERRED leaves the token in the
 * cpu's READY slot, blocking that cpu's READYs until a retry.  A pause
 * queues the env's pause work (tt_env_run_work(), as the kernel's), which
 * host threads run like a kworker: its switch-off makes the host drop
 * READYs owed for NOT_PRESENTs of that cpu and stop sending it NOT_PRESENT
 * (those faults then resolve synchronously); resume_apf() turns it back
 * on.  Nothing else ends a pause: no reclaim the kernel does not do.
 *
 * Every fault is recorded and checked at the end: each sleeper woken
 * exactly once, by its READY or else by a pause or wake-all; each READY
 * delivered once unless dropped by a pause; the table's counters equal the
 * tallies; dummies left equal the stale READYs; nothing leaks.  A sleeper
 * still asleep when the run has made no progress for the timeout is a lost
 * wakeup.
 *
 * PVAPF_STRESS_SCALE (default 1) scales the fault counts,
 * PVAPF_STRESS_SEED (default 1) seeds the generators,
 * PVAPF_STRESS_TIMEOUT (seconds, default 60) bounds each test's time
 * without progress,
 * PVAPF_STRESS_ONLY=NAME runs one test.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/hash.h>

#include "pvapf_token_table.h"
#include "shim_alloc.h"
#include "shim_diag.h"
#include "tt_env.h"
#include "tt_report.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_CPUS	8
#define MAX_TASKS	32
#define MAX_HOSTS	4
#define MAX_WORKERS	8
/* Result slots: enum pvapf_wait/wake_result and wake reasons are < 8. */
#define NR_RES		8
/* wait_res of a fault that never got NOT_PRESENT (APF paused there). */
#define W_SYNC		7

struct stress_cfg {
	const char *name;
	unsigned int nr_cpus;
	unsigned int tasks_per_cpu;	/* 0: blocking worker threads */
	unsigned int nr_workers;	/* blocking mode: sleeping threads */
	unsigned int nr_hosts;
	unsigned long faults;		/* at scale 1 */
	unsigned int collide_buckets;	/* >0: tokens only hit this many */
	unsigned int cross_pct;		/* READY on another cpu, percent */
	unsigned int delay_pct;		/* NOT_PRESENT held longer, percent */
	unsigned int delay_spin;	/* ... by up to this many spins */
	unsigned int newest_pct;	/* host delivers the newest READY */
	unsigned long fail_period;	/* GFP_ATOMIC injection pattern */
	unsigned long fail_count;
	unsigned int wake_all_us;	/* >0: inject wake-alls this often */
	unsigned int work_skip_pct;	/* kworker latency: a queued pause
					 * work waits this percent of the
					 * host loop's passes
					 */
	bool sloppy_host;		/* keeps delivering READYs to paused
					 * cpus: the only way to hit DEFERRED
					 */
	bool need_cross_wbw;		/* paths the run must have exercised */
	bool need_emergency;
	bool need_deferred;
	bool need_pause_wake;
	bool need_wake_all;
	unsigned int max_stale_pct;	/* >0: of late READYs that became
					 * stale dummies, at most this percent
					 */
};

struct fault_rec {
	u32 token;
	u8 np_cpu;
	u8 wait_res;
	u8 woken;
	u8 ready_res;
	u8 ready_cpu;
	u8 deliveries;
	u8 dropped;
};

struct owed {
	u32 token;
	u32 fault;
};

enum { T_IDLE, T_SLEEPING };

struct task {
	int state;
	u32 fault;
	long sleeps;
	struct pvapf_tt_node node;
	struct tt_parker parker;
};

struct stress {
	const struct stress_cfg *cfg;
	struct tt_env env;
	unsigned long nr_faults;
	unsigned long next_fault;
	struct fault_rec *recs;
	u32 *tokens;
	struct task tasks[MAX_CPUS][MAX_TASKS];
	pthread_mutex_t cpu_lock[MAX_CPUS];
	/* Host state, under host_lock. */
	pthread_mutex_t host_lock;
	struct owed *owed;
	size_t nr_owed;
	bool apf_on[MAX_CPUS];
	/* READY slot of each cpu, under cpu_lock; busy read locklessly. */
	struct owed slot[MAX_CPUS];
	int slot_busy[MAX_CPUS];
	/* Progress and tallies, atomics. */
	int producers_done;
	int abort;
	long wait_res[NR_RES];
	long wake_res[NR_RES];
	long pause_check_failures;
	int check_after_off[MAX_CPUS];	/* pause work: check at next enter */
	long exactly_once_failures;
	long wake_all_events;
	long lost_wakeups;
};

static double scale = 1.0;
static unsigned long seed = 1;
static unsigned int timeout_s = 60;

static long ld(const long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void inc(long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

static int ldi(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void sti(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static u64 rnd(u64 *state)
{
	u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* What a run has done so far: faults taken, READYs handled, sleepers woken. */
static long progress(struct stress *s)
{
	long p = (long)__atomic_load_n(&s->next_fault, __ATOMIC_RELAXED) + ld(&s->env.wakes);
	int r;

	for (r = 0; r < NR_RES; r++)
		p += ld(&s->wake_res[r]);
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static u32 token_of(struct stress *s, unsigned long f)
{
	return s->tokens ? s->tokens[f] : (u32)(f + 1);
}

/* ---- host model ---- */

/* The host forgets the READYs it owes for NOT_PRESENTs of @cpu. */
static void drop_owed_locked(struct stress *s, int cpu)
{
	size_t i = 0;

	while (i < s->nr_owed) {
		struct owed *o = &s->owed[i];

		if (s->recs[o->fault].np_cpu == cpu) {
			s->recs[o->fault].dropped = 1;
			*o = s->owed[--s->nr_owed];
		} else {
			i++;
		}
	}
}

static void drop_owed(struct stress *s, int cpu)
{
	pthread_mutex_lock(&s->host_lock);
	drop_owed_locked(s, cpu);
	pthread_mutex_unlock(&s->host_lock);
}

/* The pause work's EN = 0 (cpu_lock held); not if the pause ended. */
static bool host_switch_off(struct tt_env *env, int cpu)
{
	struct stress *s = env->ctx;
	bool off;

	pthread_mutex_lock(&s->host_lock);
	/* A resume clears paused before it takes host_lock to turn APF on. */
	off = __atomic_load_n(&env->paused[cpu], __ATOMIC_SEQ_CST);
	if (off) {
		s->apf_on[cpu] = false;
		if (!s->cfg->sloppy_host)
			drop_owed_locked(s, cpu);
		s->check_after_off[cpu] = 1;
	}
	pthread_mutex_unlock(&s->host_lock);
	return off;
}

static void host_on_resume(struct tt_env *env, int cpu)
{
	struct stress *s = env->ctx;

	pthread_mutex_lock(&s->host_lock);
	s->apf_on[cpu] = true;
	pthread_mutex_unlock(&s->host_lock);
}

/* After a pause of @cpu (cpu_lock held): none of its tasks may sleep on. */
static void check_paused_cpu(struct stress *s, int cpu)
{
	unsigned int k;

	pthread_mutex_lock(&s->host_lock);
	/* Still off since the switch-off: its wake_cpu scan is done. */
	if (s->apf_on[cpu] || !s->check_after_off[cpu]) {
		pthread_mutex_unlock(&s->host_lock);
		return;
	}
	s->check_after_off[cpu] = 0;
	pthread_mutex_unlock(&s->host_lock);
	for (k = 0; k < s->cfg->tasks_per_cpu; k++) {
		struct task *t = &s->tasks[cpu][k];

		if (ldi(&t->state) == T_SLEEPING &&
		    !pvapf_tt_node_woken(&t->node))
			inc(&s->pause_check_failures);
	}
}

/* Account a READY delivery of @o on @cpu (cpu_lock held). */
static void record_wake(struct stress *s, struct owed o, int cpu,
			enum pvapf_wake_result r)
{
	struct fault_rec *rec = &s->recs[o.fault];

	inc(&s->wake_res[r]);
	if (r == PVAPF_WAKE_DEFERRED) {
		s->slot[cpu] = o;
		sti(&s->slot_busy[cpu], 1);
		return;
	}
	rec->deliveries++;
	rec->ready_res = r;
	rec->ready_cpu = cpu;
}

/* The pause work's irqs-off sections on @cpu. */
static void work_cpu_enter(struct tt_env *env, int cpu)
{
	struct stress *s = env->ctx;

	pthread_mutex_lock(&s->cpu_lock[cpu]);
	/* The second section follows the switch-off's wake_cpu scan. */
	check_paused_cpu(s, cpu);
}

static void work_cpu_exit(struct tt_env *env, int cpu)
{
	struct stress *s = env->ctx;

	pthread_mutex_unlock(&s->cpu_lock[cpu]);
}

/* The env's deferred-READY retry for @cpu (cpu_lock held). */
static void retry_slot(struct stress *s, int cpu)
{
	struct owed o = s->slot[cpu];
	enum pvapf_wake_result r;

	sti(&s->slot_busy[cpu], 0);
	r = pvapf_tt_wake(&s->env.tt, o.token, cpu);
	record_wake(s, o, cpu, r);
}

/* May the host raise READY on @cpu now?  host_lock held. */
static bool deliverable(struct stress *s, int cpu)
{
	return s->apf_on[cpu] || s->cfg->sloppy_host;
}

static bool deliver_one(struct stress *s, u64 *rng)
{
	unsigned int n = s->cfg->nr_cpus, i;
	int cpu, np, locked;
	struct owed o;
	size_t idx;

	pthread_mutex_lock(&s->host_lock);
	if (!s->nr_owed) {
		pthread_mutex_unlock(&s->host_lock);
		return false;
	}
	/* Newest half the time: READY racing its own NOT_PRESENT. */
	idx = rnd(rng) % 100 < s->cfg->newest_pct ? s->nr_owed - 1 :
						     rnd(rng) % s->nr_owed;
	o = s->owed[idx];
	np = s->recs[o.fault].np_cpu;
	cpu = rnd(rng) % 100 < s->cfg->cross_pct ? (int)(rnd(rng) % n) : np;
	for (i = 0; i < n && !deliverable(s, cpu); i++)
		cpu = (cpu + 1) % n;
	if (!deliverable(s, cpu) || ldi(&s->slot_busy[cpu])) {
		pthread_mutex_unlock(&s->host_lock);
		return false;
	}
	s->owed[idx] = s->owed[--s->nr_owed];
	pthread_mutex_unlock(&s->host_lock);

	locked = cpu;
	pthread_mutex_lock(&s->cpu_lock[locked]);
	pthread_mutex_lock(&s->host_lock);
	if (!deliverable(s, cpu) || s->slot_busy[cpu]) {
		/* Paused or blocked meanwhile: put it back, or drop it if
		 * its own cpu is paused (the host forgot it).
		 */
		if (s->apf_on[np] || s->cfg->sloppy_host)
			s->owed[s->nr_owed++] = o;
		else
			s->recs[o.fault].dropped = 1;
		cpu = -1;
	}
	pthread_mutex_unlock(&s->host_lock);
	if (cpu >= 0)
		record_wake(s, o, cpu, pvapf_tt_wake(&s->env.tt, o.token, cpu));
	pthread_mutex_unlock(&s->cpu_lock[locked]);
	return cpu >= 0;
}

static bool host_idle(struct stress *s)
{
	unsigned int c;
	bool idle;

	if (!ldi(&s->producers_done))
		return false;
	for (c = 0; c < s->cfg->nr_cpus; c++)
		if (ldi(&s->slot_busy[c]) || ldi(&s->env.work_pending[c]))
			return false;
	pthread_mutex_lock(&s->host_lock);
	idle = !s->nr_owed;
	pthread_mutex_unlock(&s->host_lock);
	return idle;
}

struct thread_arg {
	struct stress *s;
	int id;
};

static void *host_thread(void *arg)
{
	struct thread_arg *ta = arg;
	struct stress *s = ta->s;
	u64 rng = seed * 7919 + ta->id * 104729 + 1;
	unsigned int c;

	while (!ldi(&s->abort)) {
		bool did = false;

		for (c = 0; c < s->cfg->nr_cpus; c++) {
			if (!ldi(&s->slot_busy[c]))
				continue;
			pthread_mutex_lock(&s->cpu_lock[c]);
			if (s->slot_busy[c]) {
				retry_slot(s, c);
				did = true;
			}
			pthread_mutex_unlock(&s->cpu_lock[c]);
		}
		/* The kworkers: each cpu's pause work, when queued. */
		for (c = 0; c < s->cfg->nr_cpus; c++) {
			if (ldi(&s->env.work_pending[c]) &&
			    rnd(&rng) % 100 >= s->cfg->work_skip_pct) {
				tt_env_run_work(&s->env, c);
				did = true;
			}
		}
		if (deliver_one(s, &rng))
			did = true;
		if (!did) {
			if (host_idle(s))
				break;
			sched_yield();
		}
	}
	return NULL;
}

static void *wake_all_thread(void *arg)
{
	struct thread_arg *ta = arg;
	struct stress *s = ta->s;
	u64 rng = seed * 31 + 5;

	while (!ldi(&s->producers_done) && !ldi(&s->abort)) {
		int cpu = rnd(&rng) % s->cfg->nr_cpus;

		usleep(s->cfg->wake_all_us);
		pthread_mutex_lock(&s->cpu_lock[cpu]);
		/* Delivered through the READY slot like any token. */
		if (!s->slot_busy[cpu]) {
			/* As KVM on EN rewrite: this cpu's queue is gone. */
			drop_owed(s, cpu);
			if (pvapf_tt_wake(&s->env.tt, PVAPF_TOKEN_WAKE_ALL,
					  cpu) == PVAPF_WAKE_ALL)
				inc(&s->wake_all_events);
		}
		pthread_mutex_unlock(&s->cpu_lock[cpu]);
	}
	return NULL;
}

/* ---- guest side ---- */

/*
 * NOT_PRESENT for fault @f on @cpu, up to prepare_wait, as the #PF entry
 * does it: with the cpu "irqs off".  Returns the wait result.
 */
static int start_fault(struct stress *s, int cpu, unsigned long f,
		       struct pvapf_tt_node *node, struct tt_parker *p,
		       u64 *rng)
{
	struct fault_rec *rec = &s->recs[f];
	u32 token = token_of(s, f);
	int r;

	rec->token = token;
	rec->np_cpu = cpu;
	pthread_mutex_lock(&s->cpu_lock[cpu]);
	pthread_mutex_lock(&s->host_lock);
	if (!s->apf_on[cpu]) {
		pthread_mutex_unlock(&s->host_lock);
		pthread_mutex_unlock(&s->cpu_lock[cpu]);
		rec->wait_res = W_SYNC;
		inc(&s->wait_res[W_SYNC]);
		/* The vCPU is halted until the host has the page. */
		usleep(20);
		return W_SYNC;
	}
	s->owed[s->nr_owed++] = (struct owed){ token, (u32)f };
	pthread_mutex_unlock(&s->host_lock);
	/* Widen the window in which READY can beat the task from elsewhere. */
	if (rnd(rng) % 100 < s->cfg->delay_pct) {
		unsigned int spin = rnd(rng) % s->cfg->delay_spin;

		while (spin--)
			__asm__ __volatile__("" ::: "memory");
		if (!(rnd(rng) % 8))
			sched_yield();
	}
	r = pvapf_tt_prepare_wait(&s->env.tt, node, token, cpu, p);
	rec->wait_res = r;
	inc(&s->wait_res[r]);
	return r;
}

/* A sleeper saw woken: finish and check it was woken exactly once. */
static void end_sleep(struct stress *s, unsigned long f,
		      struct pvapf_tt_node *node, struct tt_parker *p,
		      long sleeps)
{
	s->recs[f].woken = pvapf_tt_finish_wait(&s->env.tt, node);
	if (tt_parker_wakes(p) != sleeps)
		inc(&s->exactly_once_failures);
}

static bool take_fault(struct stress *s, unsigned long *f)
{
	if (__atomic_load_n(&s->next_fault, __ATOMIC_RELAXED) >= s->nr_faults)
		return false;
	*f = __atomic_fetch_add(&s->next_fault, 1, __ATOMIC_RELAXED);
	return *f < s->nr_faults;
}

static void *vcpu_thread(void *arg)
{
	struct thread_arg *ta = arg;
	struct stress *s = ta->s;
	int cpu = ta->id;
	u64 rng = seed * 1000003 + cpu * 7 + 3;

	while (!ldi(&s->abort)) {
		bool progress = false, sleeping = false;
		unsigned int k;

		for (k = 0; k < s->cfg->tasks_per_cpu; k++) {
			struct task *t = &s->tasks[cpu][k];
			unsigned long f;

			if (t->state == T_SLEEPING) {
				if (!pvapf_tt_node_woken(&t->node)) {
					sleeping = true;
					continue;
				}
				end_sleep(s, t->fault, &t->node, &t->parker,
					  t->sleeps);
				sti(&t->state, T_IDLE);
				progress = true;
			}
			if (!take_fault(s, &f))
				continue;
			progress = true;
			/* Returns with cpu_lock held unless W_SYNC. */
			if (start_fault(s, cpu, f, &t->node, &t->parker,
					&rng) == PVAPF_WAIT_SLEEP) {
				t->fault = f;
				t->sleeps++;
				/* Published with the cpu still "irqs off". */
				sti(&t->state, T_SLEEPING);
			}
			if (s->recs[f].wait_res != W_SYNC)
				pthread_mutex_unlock(&s->cpu_lock[cpu]);
		}
		if (!progress) {
			if (!sleeping &&
			    __atomic_load_n(&s->next_fault, __ATOMIC_RELAXED) >=
			    s->nr_faults)
				break;
			sched_yield();
		}
	}
	return NULL;
}

/* Blocking mode: a real thread per task, sleeping on a condvar. */
static void *worker_thread(void *arg)
{
	struct thread_arg *ta = arg;
	struct stress *s = ta->s;
	u64 rng = seed * 6364136223846793005ULL + ta->id + 11;
	struct pvapf_tt_node node;
	struct tt_parker p;
	unsigned long f;
	long sleeps = 0;

	tt_parker_init(&p, true);
	while (!ldi(&s->abort) && take_fault(s, &f)) {
		int cpu = rnd(&rng) % s->cfg->nr_cpus;

		if (start_fault(s, cpu, f, &node, &p, &rng) == W_SYNC)
			continue;
		pthread_mutex_unlock(&s->cpu_lock[cpu]);
		if (s->recs[f].wait_res != PVAPF_WAIT_SLEEP)
			continue;
		sleeps++;
		if (!tt_parker_sleep(&p, &node, timeout_s * 1000)) {
			inc(&s->lost_wakeups);
			pvapf_tt_finish_wait(&s->env.tt, &node);
			break;
		}
		end_sleep(s, f, &node, &p, sleeps);
	}
	tt_parker_destroy(&p);
	return NULL;
}

/* ---- driver and verdict ---- */

static void make_colliding_tokens(struct stress *s)
{
	unsigned int bits = s->env.tt.hash_bits;
	unsigned long f = 0;
	u32 t;

	for (t = 1; f < s->nr_faults; t++)
		if (hash_32(t, bits) < s->cfg->collide_buckets)
			s->tokens[f++] = t;
}

static unsigned long count_faults(struct stress *s, int wait_res,
				  int woken)
{
	unsigned long f, n = 0;

	for (f = 0; f < s->nr_faults; f++)
		if (s->recs[f].wait_res == wait_res &&
		    (woken < 0 || s->recs[f].woken == woken))
			n++;
	return n;
}

static void verify(struct stress *s, struct tt_result *res,
		   unsigned long *stale_out)
{
	const struct stress_cfg *cfg = s->cfg;
	unsigned long f, stale = 0, accepted = 0, cross_wbw = 0, late_n = 0;
	unsigned long np = 0, sleeps = 0;
	struct pvapf_tt_counters c;
	unsigned int cpu;

	for (f = 0; f < s->nr_faults && !res->failed; f++) {
		struct fault_rec *r = &s->recs[f];
		bool queued = r->ready_res == PVAPF_WAKE_QUEUED ||
			      r->ready_res == PVAPF_WAKE_QUEUED_EMERGENCY;
		bool late = r->ready_res == PVAPF_WAKE_LATE;

		if (r->wait_res == W_SYNC)
			continue;
		np++;
		if (r->deliveries && !late)
			accepted++;
		if (r->deliveries && late)
			late_n++;
		TT_CHECK(res, r->deliveries <= 1, "token %u READY delivered %u times",
			 r->token, r->deliveries);
		TT_CHECK(res, r->deliveries == 1 || r->dropped,
			 "token %u READY never delivered", r->token);
		TT_CHECK(res, r->wait_res == PVAPF_WAIT_SLEEP ||
			 r->wait_res == PVAPF_WAIT_READY ||
			 r->wait_res == PVAPF_WAIT_PAUSED,
			 "token %u: prepare_wait result %u", r->token,
			 r->wait_res);
		if (r->wait_res == PVAPF_WAIT_PAUSED) {
			/* Paused before switched off: READY late or stale. */
			TT_CHECK(res, !r->deliveries || queued || late,
				 "token %u: paused wait's READY result %u",
				 r->token, r->ready_res);
			if (r->deliveries && queued)
				stale++;
			continue;
		}
		if (r->wait_res == PVAPF_WAIT_READY) {
			TT_CHECK(res, r->deliveries == 1 && queued,
				 "token %u consumed a dummy nobody queued",
				 r->token);
			if (r->ready_cpu != r->np_cpu)
				cross_wbw++;
			continue;
		}
		sleeps++;
		TT_CHECK(res, r->woken == PVAPF_TT_WOKEN_READY ||
			 r->woken == PVAPF_TT_WOKEN_CPU ||
			 r->woken == PVAPF_TT_WOKEN_ALL,
			 "token %u sleeper never woken (reason %u)", r->token,
			 r->woken);
		if (r->woken == PVAPF_TT_WOKEN_READY)
			TT_CHECK(res, r->deliveries == 1 &&
				 r->ready_res == PVAPF_WAKE_WOKEN,
				 "token %u woken by READY it never got",
				 r->token);
		else if (r->deliveries)
			TT_CHECK(res, queued || late,
				 "token %u: late READY result %u", r->token,
				 r->ready_res);
		if (r->deliveries && queued)
			stale++;
	}

	pvapf_tt_read_counters(&s->env.tt, &c);
	TT_CHECK(res, c.not_present == np, "not_present %llu, want %lu",
		 (unsigned long long)c.not_present, np);
	TT_CHECK(res, c.ready == accepted, "ready %llu, want %lu",
		 (unsigned long long)c.ready, accepted);
	TT_CHECK(res, c.late_readies == late_n, "late_readies %llu, want %lu",
		 (unsigned long long)c.late_readies, late_n);
	TT_CHECK(res, c.woken_before_wait ==
		 (u64)ld(&s->wait_res[PVAPF_WAIT_READY]),
		 "woken_before_wait %llu, want %ld",
		 (unsigned long long)c.woken_before_wait,
		 ld(&s->wait_res[PVAPF_WAIT_READY]));
	TT_CHECK(res, c.emergency_uses ==
		 (u64)ld(&s->wake_res[PVAPF_WAKE_QUEUED_EMERGENCY]),
		 "emergency_uses %llu, want %ld",
		 (unsigned long long)c.emergency_uses,
		 ld(&s->wake_res[PVAPF_WAKE_QUEUED_EMERGENCY]));
	TT_CHECK(res, c.paused_periods == c.emergency_uses,
		 "paused_periods %llu != emergency_uses %llu",
		 (unsigned long long)c.paused_periods,
		 (unsigned long long)c.emergency_uses);
	TT_CHECK(res, c.deferred_wakes ==
		 (u64)ld(&s->wake_res[PVAPF_WAKE_DEFERRED]),
		 "deferred_wakes %llu, want %ld",
		 (unsigned long long)c.deferred_wakes,
		 ld(&s->wake_res[PVAPF_WAKE_DEFERRED]));
	TT_CHECK(res, c.wake_all == (u64)ld(&s->wake_all_events),
		 "wake_all %llu, want %ld", (unsigned long long)c.wake_all,
		 ld(&s->wake_all_events));
	TT_CHECK(res, c.spurious_tokens == 0 &&
		 !ld(&s->wake_res[PVAPF_WAKE_SPURIOUS]),
		 "%llu spurious tokens with unique tokens",
		 (unsigned long long)c.spurious_tokens);
	TT_CHECK(res, c.sleepers_current == 0, "%llu sleepers left",
		 (unsigned long long)c.sleepers_current);
	TT_CHECK(res, c.sleepers_peak > 0 &&
		 c.sleepers_peak <= (u64)cfg->nr_cpus * MAX_TASKS +
		 cfg->nr_workers, "sleepers_peak %llu",
		 (unsigned long long)c.sleepers_peak);
	TT_CHECK(res, c.dummies_current == stale,
		 "dummies_current %llu, want %lu stale",
		 (unsigned long long)c.dummies_current, stale);
	TT_CHECK(res, (u64)ld(&s->env.wakes) == sleeps,
		 "ops->wake called %ld times for %lu sleeps", ld(&s->env.wakes),
		 sleeps);
	TT_CHECK(res, !ld(&s->exactly_once_failures),
		 "%ld sleepers not woken exactly once",
		 ld(&s->exactly_once_failures));
	TT_CHECK(res, !ld(&s->pause_check_failures),
		 "%ld sleepers of a paused cpu left asleep",
		 ld(&s->pause_check_failures));
	TT_CHECK(res, !ld(&s->env.order_errors), "pause/resume out of order");
	for (cpu = 0; cpu < cfg->nr_cpus; cpu++)
		TT_CHECK(res, s->env.pauses[cpu] == s->env.resumes[cpu],
			 "cpu %u: %ld pauses, %ld resumes", cpu,
			 s->env.pauses[cpu], s->env.resumes[cpu]);

	/* The run must have exercised what it is named after. */
	TT_CHECK(res, c.woken_before_wait > 0, "no wake-before-wait happened");
	TT_CHECK(res, !cfg->need_cross_wbw || cross_wbw > 0,
		 "no cross-cpu wake-before-wait happened");
	TT_CHECK(res, !cfg->need_emergency || c.emergency_uses > 0,
		 "injected failures never reached the emergency node");
	TT_CHECK(res, !cfg->need_deferred || c.deferred_wakes > 0,
		 "no wake was deferred");
	TT_CHECK(res, !cfg->need_pause_wake ||
		 count_faults(s, PVAPF_WAIT_SLEEP, PVAPF_TT_WOKEN_CPU) > 0,
		 "no pause woke a sleeper");
	TT_CHECK(res, !cfg->need_wake_all ||
		 count_faults(s, PVAPF_WAIT_SLEEP, PVAPF_TT_WOKEN_ALL) > 0,
		 "no wake-all woke a sleeper");
	TT_CHECK(res, !cfg->max_stale_pct ||
		 stale * 100 <= (stale + late_n) * cfg->max_stale_pct,
		 "%lu of %lu late READYs left stale dummies", stale,
		 stale + late_n);
	*stale_out = stale;
}

static void run_stress(const struct stress_cfg *cfg)
{
	pthread_t vcpus[MAX_WORKERS], hosts[MAX_HOSTS], waller;
	struct thread_arg vargs[MAX_WORKERS], hargs[MAX_HOSTS], warg;
	unsigned int producers = cfg->tasks_per_cpu ? cfg->nr_cpus :
				 cfg->nr_workers;
	struct tt_result res = { 0 };
	struct shim_alloc_stats st0, st1;
	struct pvapf_tt_counters c;
	unsigned long stale = 0, leaks, ops;
	long warns = shim_warn_count();
	struct stress *s;
	double t0, deadline;
	unsigned int i, k;
	long done = 0;

	s = calloc(1, sizeof(*s));
	s->cfg = cfg;
	s->nr_faults = (unsigned long)(cfg->faults * scale);
	if (s->nr_faults < 2000)
		s->nr_faults = 2000;
	s->recs = calloc(s->nr_faults, sizeof(*s->recs));
	s->owed = calloc(s->nr_faults, sizeof(*s->owed));
	shim_alloc_read_stats(&st0);
	if (tt_env_init(&s->env, cfg->nr_cpus, 0)) {
		TT_CHECK(&res, false, "tt_env_init failed");
		goto out;
	}
	s->env.switch_off = host_switch_off;
	s->env.cpu_enter = work_cpu_enter;
	s->env.cpu_exit = work_cpu_exit;
	s->env.on_resume = host_on_resume;
	s->env.ctx = s;
	if (cfg->collide_buckets) {
		s->tokens = calloc(s->nr_faults, sizeof(*s->tokens));
		make_colliding_tokens(s);
	}
	pthread_mutex_init(&s->host_lock, NULL);
	for (i = 0; i < cfg->nr_cpus; i++) {
		pthread_mutex_init(&s->cpu_lock[i], NULL);
		s->apf_on[i] = true;
		for (k = 0; k < cfg->tasks_per_cpu; k++)
			tt_parker_init(&s->tasks[i][k].parker, false);
	}
	if (cfg->fail_count)
		shim_alloc_inject(GFP_ATOMIC, cfg->fail_period, cfg->fail_count);

	t0 = now();
	for (i = 0; i < producers; i++) {
		vargs[i] = (struct thread_arg){ s, (int)i };
		pthread_create(&vcpus[i], NULL, cfg->tasks_per_cpu ?
			       vcpu_thread : worker_thread, &vargs[i]);
	}
	for (i = 0; i < cfg->nr_hosts; i++) {
		hargs[i] = (struct thread_arg){ s, (int)i };
		pthread_create(&hosts[i], NULL, host_thread, &hargs[i]);
	}
	warg = (struct thread_arg){ s, 0 };
	if (cfg->wake_all_us)
		pthread_create(&waller, NULL, wake_all_thread, &warg);

	/*
	 * Watchdog: producers finish only when every sleeper was woken.  A lost
	 * wakeup is timeout_s with no progress at all, however slow the machine
	 * (a loaded one ran this eight times slower than a quiet one).
	 */
	deadline = t0 + timeout_s;
	for (i = 0; i < producers; i++) {
		while (pthread_tryjoin_np(vcpus[i], NULL)) {
			if (progress(s) != done) {
				done = progress(s);
				deadline = now() + timeout_s;
			}
			if (now() > deadline) {
				sti(&s->abort, 1);
				pthread_join(vcpus[i], NULL);
				break;
			}
			usleep(2000);
		}
	}
	sti(&s->producers_done, 1);
	for (i = 0; i < cfg->nr_hosts; i++)
		pthread_join(hosts[i], NULL);
	if (cfg->wake_all_us)
		pthread_join(waller, NULL);
	shim_alloc_inject_off();

	if (ldi(&s->abort)) {
		unsigned long asleep = 0;

		for (i = 0; i < cfg->nr_cpus; i++)
			for (k = 0; k < cfg->tasks_per_cpu; k++)
				asleep += s->tasks[i][k].state == T_SLEEPING &&
					  !pvapf_tt_node_woken(&s->tasks[i][k].node);
		TT_CHECK(&res, false,
			 "lost wakeup: %lu tasks (+%ld threads) still asleep, no progress for %us",
			 asleep, ld(&s->lost_wakeups), timeout_s);
	}
	TT_CHECK(&res, !ld(&s->lost_wakeups), "lost wakeup: %ld threads timed out",
		 ld(&s->lost_wakeups));
	if (!res.failed)
		verify(s, &res, &stale);
	pvapf_tt_read_counters(&s->env.tt, &c);
	ops = c.not_present + ld(&s->env.wakes) +
	      ld(&s->wake_res[PVAPF_WAKE_WOKEN]) +
	      ld(&s->wake_res[PVAPF_WAKE_QUEUED]) +
	      ld(&s->wake_res[PVAPF_WAKE_QUEUED_EMERGENCY]) +
	      ld(&s->wake_res[PVAPF_WAKE_DEFERRED]) +
	      ld(&s->wake_res[PVAPF_WAKE_LATE]) + c.wake_all;

	leaks = tt_env_destroy(&s->env);
	shim_alloc_read_stats(&st1);
	TT_CHECK(&res, ldi(&s->abort) || leaks == stale,
		 "destroy found %lu nodes, want %lu stale dummies", leaks,
		 stale);
	TT_CHECK(&res, ld(&s->env.nodes_live) == 0, "%ld nodes leaked",
		 ld(&s->env.nodes_live));
	TT_CHECK(&res, st1.live == st0.live, "%ld shim blocks leaked",
		 st1.live - st0.live);
	TT_CHECK(&res, shim_warn_count() == warns, "WARN_ON fired");

	tt_report(cfg->name, &res,
		  "%lu faults, %lu ops, %.2fs: wbw %llu, emergency %llu (reclaimed %ld, paused waits %ld), deferred %llu, pause-woken %lu, wake-all %llu (woke %lu), late %llu, stale %lu, peak %llu, sync %ld",
		  s->nr_faults, ops, now() - t0,
		  (unsigned long long)c.woken_before_wait,
		  (unsigned long long)c.emergency_uses, ld(&s->env.reclaims),
		  ld(&s->wait_res[PVAPF_WAIT_PAUSED]),
		  (unsigned long long)c.deferred_wakes,
		  count_faults(s, PVAPF_WAIT_SLEEP, PVAPF_TT_WOKEN_CPU),
		  (unsigned long long)c.wake_all,
		  count_faults(s, PVAPF_WAIT_SLEEP, PVAPF_TT_WOKEN_ALL),
		  (unsigned long long)c.late_readies, stale, (unsigned long long)c.sleepers_peak,
		  ld(&s->wait_res[W_SYNC]));
out:
	for (i = 0; i < cfg->nr_cpus; i++)
		for (k = 0; k < cfg->tasks_per_cpu; k++)
			tt_parker_destroy(&s->tasks[i][k].parker);
	free(s->tokens);
	free(s->owed);
	free(s->recs);
	free(s);
}

/* ---- reclaim racing the emergency node's consumer and its next claim ---- */

/*
 * Cpu 1's READY handler (cpu_lock[1] held) hashes its emergency node for
 * token i while allocation fails; a task on cpu 0 consumes it, which
 * returns the node, and the next READY claims it again for token i + 1,
 * in another bucket.  Meanwhile cpu 1's work item reclaims the node the
 * way the kernel's does.  A reclaim that reads the node's token outside
 * the READY handler's serialisation locks the wrong bucket.
 */
struct reclaim_race {
	struct tt_env env;
	pthread_mutex_t cpu_lock;	/* cpu 1 "irqs off" */
	u32 published;			/* token of the last READY, or 0 */
	u32 last;
	int done;
	long bad_waits;
};

static void race_cpu_enter(struct tt_env *env, int cpu)
{
	struct reclaim_race *r = env->ctx;

	(void)cpu;
	pthread_mutex_lock(&r->cpu_lock);
}

static void race_cpu_exit(struct tt_env *env, int cpu)
{
	struct reclaim_race *r = env->ctx;

	(void)cpu;
	pthread_mutex_unlock(&r->cpu_lock);
}

static void *race_ready_thread(void *arg)
{
	struct reclaim_race *r = arg;
	u32 token;

	for (token = 1; token <= r->last; token++) {
		/* One READY in flight: wait until its task took it. */
		while (__atomic_load_n(&r->published, __ATOMIC_ACQUIRE))
			sched_yield();
		pthread_mutex_lock(&r->cpu_lock);
		pvapf_tt_wake(&r->env.tt, token, 1);
		pthread_mutex_unlock(&r->cpu_lock);
		__atomic_store_n(&r->published, token, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *race_task_thread(void *arg)
{
	struct reclaim_race *r = arg;
	struct pvapf_tt_node node;
	struct tt_parker p;
	u32 token = 0;

	tt_parker_init(&p, false);
	while (token < r->last) {
		token = __atomic_load_n(&r->published, __ATOMIC_ACQUIRE);
		if (!token) {
			sched_yield();
			continue;
		}
		if (pvapf_tt_prepare_wait(&r->env.tt, &node, token, 0, &p) !=
		    PVAPF_WAIT_READY) {
			inc(&r->bad_waits);
			pvapf_tt_finish_wait(&r->env.tt, &node);
		}
		__atomic_store_n(&r->published, 0, __ATOMIC_RELEASE);
	}
	sti(&r->done, 1);
	tt_parker_destroy(&p);
	return NULL;
}

static void *race_work_thread(void *arg)
{
	struct reclaim_race *r = arg;

	/* Cpu 1's kworker. */
	while (!ldi(&r->done))
		tt_env_run_work(&r->env, 1);
	return NULL;
}

static void run_reclaim_race(void)
{
	struct reclaim_race *r = calloc(1, sizeof(*r));
	struct tt_result res = { 0 };
	pthread_t t[3];
	struct pvapf_tt_counters c;
	long warns = shim_warn_count();
	unsigned long leaks;
	double t0 = now();

	r->last = (u32)(200000 * scale);
	pthread_mutex_init(&r->cpu_lock, NULL);
	if (tt_env_init(&r->env, 2, 0)) {
		TT_CHECK(&res, false, "tt_env_init failed");
		goto out;
	}
	r->env.cpu_enter = race_cpu_enter;
	r->env.cpu_exit = race_cpu_exit;
	r->env.ctx = r;
	/* Every other atomic allocation fails: claims and reclaims both run. */
	shim_alloc_inject(GFP_ATOMIC, 2, 1);
	pthread_create(&t[0], NULL, race_ready_thread, r);
	pthread_create(&t[1], NULL, race_task_thread, r);
	pthread_create(&t[2], NULL, race_work_thread, r);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_join(t[2], NULL);
	shim_alloc_inject_off();
	pvapf_tt_read_counters(&r->env.tt, &c);
	TT_CHECK(&res, !r->bad_waits, "%ld tasks found no node for their READY",
		 r->bad_waits);
	TT_CHECK(&res, c.woken_before_wait == r->last,
		 "woken_before_wait %llu, want %u",
		 (unsigned long long)c.woken_before_wait, r->last);
	TT_CHECK(&res, c.dummies_current == 0, "%llu dummies left",
		 (unsigned long long)c.dummies_current);
	TT_CHECK(&res, c.emergency_uses > 0 && ld(&r->env.reclaims) > 0,
		 "emergency uses %llu, reclaims %ld: the race never ran",
		 (unsigned long long)c.emergency_uses, ld(&r->env.reclaims));
	TT_CHECK(&res, r->env.pauses[1] == r->env.resumes[1] &&
		 !r->env.order_errors, "cpu 1: %ld pauses, %ld resumes",
		 r->env.pauses[1], r->env.resumes[1]);
	leaks = tt_env_destroy(&r->env);
	TT_CHECK(&res, !leaks, "destroy found %lu nodes", leaks);
	TT_CHECK(&res, !ld(&r->env.nodes_live), "%ld nodes leaked",
		 ld(&r->env.nodes_live));
	TT_CHECK(&res, shim_warn_count() == warns, "WARN_ON fired");
	tt_report("stress_reclaim_race", &res,
		  "%u READYs, %.2fs: emergency %llu, reclaimed %ld",
		  r->last, now() - t0, (unsigned long long)c.emergency_uses,
		  ld(&r->env.reclaims));
out:
	free(r);
}

static const struct stress_cfg tests[] = {
	{
		.name = "stress_wake_before_wait",
		.nr_cpus = 4, .tasks_per_cpu = 16, .nr_hosts = 2,
		.faults = 1200000, .cross_pct = 50, .delay_pct = 25,
		.delay_spin = 2000, .newest_pct = 50, .need_cross_wbw = true,
	},
	{
		.name = "stress_bucket_collisions",
		.nr_cpus = 4, .tasks_per_cpu = 16, .nr_hosts = 3,
		.faults = 600000, .collide_buckets = 2, .cross_pct = 50,
		.delay_pct = 25, .delay_spin = 2000, .newest_pct = 50,
		.need_cross_wbw = true,
	},
	{
		.name = "stress_emergency_exhaustion",
		.nr_cpus = 4, .tasks_per_cpu = 16, .nr_hosts = 2,
		.faults = 600000, .cross_pct = 100, .delay_pct = 100,
		.delay_spin = 20000, .newest_pct = 100,
		.fail_period = 8, .fail_count = 7,
		.need_emergency = true, .need_pause_wake = true,
	},
	{
		.name = "stress_deferred_retry",
		.nr_cpus = 4, .tasks_per_cpu = 16, .nr_hosts = 2,
		.faults = 300000, .cross_pct = 100, .delay_pct = 100,
		.delay_spin = 20000, .newest_pct = 100,
		.fail_period = 1024, .fail_count = 768, .sloppy_host = true,
		.work_skip_pct = 80,
		.need_emergency = true, .need_deferred = true,
	},
	{
		.name = "stress_wake_all_race",
		.nr_cpus = 4, .tasks_per_cpu = 16, .nr_hosts = 2,
		.faults = 600000, .cross_pct = 50, .delay_pct = 25,
		.delay_spin = 2000, .newest_pct = 50,
		.wake_all_us = 200, .need_wake_all = true,
		.max_stale_pct = 5,
	},
	{
		.name = "stress_blocking_threads",
		.nr_cpus = 4, .nr_workers = 6, .nr_hosts = 2,
		.faults = 90000, .cross_pct = 50, .delay_pct = 25,
		.delay_spin = 2000, .newest_pct = 50,
		.fail_period = 16, .fail_count = 4,
	},
};

int main(void)
{
	const char *v, *only;
	unsigned int i;

	v = getenv("PVAPF_STRESS_SCALE");
	if (v && atof(v) > 0)
		scale = atof(v);
	v = getenv("PVAPF_STRESS_SEED");
	if (v)
		seed = strtoul(v, NULL, 0);
	v = getenv("PVAPF_STRESS_TIMEOUT");
	if (v && atoi(v) > 0)
		timeout_s = atoi(v);
	only = getenv("PVAPF_STRESS_ONLY");
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		if (!only || !strcmp(only, tests[i].name))
			run_stress(&tests[i]);
	if (!only || !strcmp(only, "stress_reclaim_race"))
		run_reclaim_race();
	return tt_report_exit_code();
}
