// SPDX-License-Identifier: GPL-2.0
/*
 * token_table_scenarios.c - deterministic, single-threaded tests of the
 * guest token table: each protocol path driven step by step, with the
 * exact counters, callbacks and allocator traffic it must produce.
 */
#include <errno.h>
#include <string.h>

#include <linux/hash.h>
#include <linux/slab.h>

#include "pvapf_token_table.h"
#include "shim_alloc.h"
#include "shim_diag.h"
#include "tt_env.h"
#include "tt_report.h"

#define CHECK(cond, ...) TT_CHECK(&res, cond, __VA_ARGS__)

static struct pvapf_tt_counters counters(struct tt_env *env)
{
	struct pvapf_tt_counters c;

	pvapf_tt_read_counters(&env->tt, &c);
	return c;
}

static long live_blocks(void)
{
	struct shim_alloc_stats st;

	shim_alloc_read_stats(&st);
	return st.live;
}

/*
 * Destroy, then require no leaked nodes, blocks or warnings.  Blocks are
 * counted from the start of the test so one leak fails one test only.
 */
static void finish(struct tt_result *r, struct tt_env *env, long warns0,
		   unsigned long want_leaks, long live0)
{
	unsigned long leaks = tt_env_destroy(env);

	shim_alloc_inject_off();
	TT_CHECK(r, leaks == want_leaks, "destroy reported %lu leaks, want %lu",
		 leaks, want_leaks);
	TT_CHECK(r, env->nodes_live == 0, "%ld nodes not freed",
		 env->nodes_live);
	TT_CHECK(r, live_blocks() == live0, "%ld shim blocks still allocated",
		 live_blocks() - live0);
	TT_CHECK(r, env->order_errors == 0, "pause/resume out of order");
	TT_CHECK(r, shim_warn_count() == warns0, "unexpected WARN_ON");
}

static void test_wait_then_wake(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_counters c;
	struct pvapf_tt_node node;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &node, 42, 0, &p) ==
	      PVAPF_WAIT_SLEEP, "prepare_wait did not ask to sleep");
	CHECK(!pvapf_tt_node_woken(&node), "woken before READY");
	c = counters(&env);
	CHECK(c.sleepers_current == 1 && c.sleepers_peak == 1,
	      "sleepers %llu peak %llu", (unsigned long long)c.sleepers_current,
	      (unsigned long long)c.sleepers_peak);
	CHECK(pvapf_tt_wake(&env.tt, 42, 1) == PVAPF_WAKE_WOKEN,
	      "READY on another cpu did not wake");
	CHECK(pvapf_tt_node_woken(&node) == PVAPF_TT_WOKEN_READY,
	      "woken reason %u", pvapf_tt_node_woken(&node));
	CHECK(tt_parker_wakes(&p) == 1, "ops->wake called %ld times",
	      tt_parker_wakes(&p));
	CHECK(pvapf_tt_finish_wait(&env.tt, &node) == PVAPF_TT_WOKEN_READY,
	      "finish_wait reason");
	c = counters(&env);
	CHECK(c.not_present == 1 && c.ready == 1 && c.sleepers_current == 0 &&
	      c.woken_before_wait == 0 && c.dummies_current == 0 &&
	      c.spurious_tokens == 0, "counters off after one pair");
	CHECK(env.node_allocs == 0, "waking a sleeper allocated a node");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("wait_then_wake", &res, NULL);
}

static void test_wake_before_wait(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_counters c;
	struct pvapf_tt_node node;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	CHECK(pvapf_tt_wake(&env.tt, 7, 1) == PVAPF_WAKE_QUEUED,
	      "READY before wait did not queue a dummy");
	c = counters(&env);
	CHECK(c.dummies_current == 1 && c.ready == 1, "dummy not counted");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &node, 7, 0, &p) ==
	      PVAPF_WAIT_READY, "dummy not consumed");
	c = counters(&env);
	CHECK(c.woken_before_wait == 1 && c.dummies_current == 0 &&
	      c.sleepers_current == 0 && c.not_present == 1,
	      "counters off after wake-before-wait");
	CHECK(env.node_allocs == 1 && env.node_frees == 1,
	      "allocs %ld frees %ld", env.node_allocs, env.node_frees);
	CHECK(tt_parker_wakes(&p) == 0, "a non-sleeper was woken");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("wake_before_wait", &res, NULL);
}

static void test_spurious_tokens(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node a, b;
	struct pvapf_tt_counters c;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 1, 0) == 0, "init failed");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &a, PVAPF_TOKEN_NONE, 0, &p) ==
	      PVAPF_WAIT_INVALID, "token 0 accepted on NOT_PRESENT");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &a, PVAPF_TOKEN_WAKE_ALL, 0,
				    &p) == PVAPF_WAIT_INVALID,
	      "token ~0 accepted on NOT_PRESENT");
	CHECK(pvapf_tt_wake(&env.tt, PVAPF_TOKEN_NONE, 0) ==
	      PVAPF_WAKE_SPURIOUS, "READY with token 0 not spurious");
	CHECK(pvapf_tt_wake(&env.tt, 5, 0) == PVAPF_WAKE_QUEUED, "queue");
	CHECK(pvapf_tt_wake(&env.tt, 5, 0) == PVAPF_WAKE_SPURIOUS,
	      "repeated READY not spurious");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &a, 9, 0, &p) ==
	      PVAPF_WAIT_SLEEP, "sleep");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &b, 9, 0, &p) ==
	      PVAPF_WAIT_INVALID, "second NOT_PRESENT for a token slept");
	c = counters(&env);
	CHECK(c.spurious_tokens == 5, "spurious_tokens %llu, want 5",
	      (unsigned long long)c.spurious_tokens);
	CHECK(c.ready == 1 && c.dummies_current == 1 && c.not_present == 2,
	      "ready %llu dummies %llu not_present %llu",
	      (unsigned long long)c.ready,
	      (unsigned long long)c.dummies_current,
	      (unsigned long long)c.not_present);
	CHECK(pvapf_tt_wake(&env.tt, 9, 0) == PVAPF_WAKE_WOKEN, "wake");
	pvapf_tt_finish_wait(&env.tt, &a);
	CHECK(pvapf_tt_prepare_wait(&env.tt, &b, 5, 0, &p) ==
	      PVAPF_WAIT_READY, "dummy lost to the spurious READY");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("spurious_tokens", &res, NULL);
}

/*
 * A wake-all answers the READYs the host dropped on the cpu it arrives on:
 * it wakes that cpu's sleepers only.  The other cpus' READYs are still
 * owed; woken, their sleepers would retry and those READYs arrive late.
 */
static void test_wake_all_token(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node n0, n1, n2;
	struct pvapf_tt_counters c;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 4, 0) == 0, "init failed");
	pvapf_tt_prepare_wait(&env.tt, &n0, 100, 1, &p);
	pvapf_tt_prepare_wait(&env.tt, &n1, 101, 3, &p);
	CHECK(pvapf_tt_wake(&env.tt, 102, 2) == PVAPF_WAKE_QUEUED, "dummy");
	CHECK(pvapf_tt_wake(&env.tt, PVAPF_TOKEN_WAKE_ALL, 1) ==
	      PVAPF_WAKE_ALL, "~0 not treated as wake-all");
	CHECK(pvapf_tt_node_woken(&n0) == PVAPF_TT_WOKEN_ALL,
	      "wake-all on cpu 1 missed a sleeper of cpu 1");
	CHECK(!pvapf_tt_node_woken(&n1),
	      "wake-all on cpu 1 woke a sleeper of cpu 3, whose READY is owed");
	pvapf_tt_finish_wait(&env.tt, &n0);
	c = counters(&env);
	CHECK(c.wake_all == 1 && c.sleepers_current == 1,
	      "wake_all %llu sleepers %llu", (unsigned long long)c.wake_all,
	      (unsigned long long)c.sleepers_current);
	CHECK(c.dummies_current == 1, "wake-all dropped a dummy");
	/* cpu 3's sleeper gets its own READY, on time */
	CHECK(pvapf_tt_wake(&env.tt, 101, 3) == PVAPF_WAKE_WOKEN, "owed READY");
	pvapf_tt_finish_wait(&env.tt, &n1);
	CHECK(pvapf_tt_prepare_wait(&env.tt, &n2, 102, 0, &p) ==
	      PVAPF_WAIT_READY, "in-flight task lost its READY");
	/* A sleeper arriving after the wake-all still gets its own READY. */
	CHECK(pvapf_tt_prepare_wait(&env.tt, &n2, 103, 0, &p) ==
	      PVAPF_WAIT_SLEEP, "sleep after wake-all");
	CHECK(pvapf_tt_wake_all(&env.tt, 2) == 0, "wake-all on cpu 2 woke cpu 0");
	CHECK(pvapf_tt_wake_all(&env.tt, 0) == 1, "direct wake_all count");
	pvapf_tt_finish_wait(&env.tt, &n2);
	CHECK(counters(&env).late_readies == 0, "late READYs %llu",
	      (unsigned long long)counters(&env).late_readies);
	CHECK(tt_parker_wakes(&p) == 3, "ops->wake called %ld times, want 3",
	      tt_parker_wakes(&p));
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("wake_all_token", &res, NULL);
}

static void test_wake_cpu(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node n0, n1, n2;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	pvapf_tt_prepare_wait(&env.tt, &n0, 11, 0, &p);
	pvapf_tt_prepare_wait(&env.tt, &n1, 12, 1, &p);
	pvapf_tt_prepare_wait(&env.tt, &n2, 13, 1, &p);
	CHECK(pvapf_tt_wake_cpu(&env.tt, 1) == 2, "wake_cpu(1) count");
	CHECK(!pvapf_tt_node_woken(&n0), "wake_cpu(1) woke a cpu 0 sleeper");
	CHECK(pvapf_tt_node_woken(&n1) == PVAPF_TT_WOKEN_CPU &&
	      pvapf_tt_node_woken(&n2) == PVAPF_TT_WOKEN_CPU,
	      "cpu 1 sleepers not woken");
	CHECK(counters(&env).wake_all == 0, "wake_cpu counted as wake-all");
	pvapf_tt_finish_wait(&env.tt, &n1);
	pvapf_tt_finish_wait(&env.tt, &n2);
	CHECK(pvapf_tt_wake(&env.tt, 11, 1) == PVAPF_WAKE_WOKEN, "wake");
	pvapf_tt_finish_wait(&env.tt, &n0);
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("wake_cpu", &res, NULL);
}

/*
 * Allocator down: READY on cpu 1 with no sleeper takes cpu 1's emergency
 * node and pauses APF there: a new waiter of cpu 1 does not sleep, a
 * second such READY is deferred.  The pause work then switches APF off,
 * wakes cpu 1's sleepers and swaps a node allocated where it may sleep in
 * for the emergency node, ending the pause; the next pause is ended by the
 * task consuming the node, and its work then finds nothing to do.
 */
static void test_emergency_pause_resume(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node s0, s1, t;
	struct pvapf_tt_counters c;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	pvapf_tt_prepare_wait(&env.tt, &s0, 20, 0, &p);
	pvapf_tt_prepare_wait(&env.tt, &s1, 21, 1, &p);
	shim_alloc_inject(GFP_ATOMIC, 1, 1);

	CHECK(pvapf_tt_wake(&env.tt, 30, 1) == PVAPF_WAKE_QUEUED_EMERGENCY,
	      "allocation failure did not use the emergency node");
	CHECK(env.pauses[1] == 1 && env.paused[1] && env.pauses[0] == 0 &&
	      env.work_pending[1], "APF not paused on cpu 1 (and only there)");
	CHECK(!pvapf_tt_node_woken(&s1),
	      "sleeper woken while its READY can still come");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &t, 31, 1, &p) ==
	      PVAPF_WAIT_PAUSED, "new waiter slept on a paused cpu");
	CHECK(pvapf_tt_wake(&env.tt, 32, 1) == PVAPF_WAKE_DEFERRED,
	      "second miss on cpu 1 not deferred");
	CHECK(pvapf_tt_wake(&env.tt, 31, 1) == PVAPF_WAKE_LATE,
	      "READY of a paused wait not dropped");

	/* The pause work, with atomic allocations still failing. */
	tt_env_run_work(&env, 1);
	CHECK(pvapf_tt_node_woken(&s1) == PVAPF_TT_WOKEN_CPU,
	      "paused cpu's sleeper not woken");
	CHECK(!pvapf_tt_node_woken(&s0), "other cpu's sleeper woken");
	CHECK(env.resumes[1] == 1 && !env.paused[1] && env.reclaims == 1,
	      "pause work did not end the pause");
	pvapf_tt_finish_wait(&env.tt, &s1);
	CHECK(pvapf_tt_wake(&env.tt, 20, 1) == PVAPF_WAKE_WOKEN,
	      "READY with a sleeper needs no memory");
	pvapf_tt_finish_wait(&env.tt, &s0);

	/* Retry of the deferred token: still no memory, emergency again. */
	CHECK(pvapf_tt_wake(&env.tt, 32, 1) == PVAPF_WAKE_QUEUED_EMERGENCY,
	      "deferred retry did not reuse the reclaimed emergency node");
	CHECK(pvapf_tt_prepare_wait(&env.tt, &t, 30, 0, &p) ==
	      PVAPF_WAIT_READY, "swapped-in dummy not consumed");
	CHECK(env.resumes[1] == 1, "consuming a swapped dummy resumed");
	/* The faulting task consumes the emergency node on cpu 0. */
	CHECK(pvapf_tt_prepare_wait(&env.tt, &t, 32, 0, &p) ==
	      PVAPF_WAIT_READY, "emergency dummy not consumed");
	CHECK(env.resumes[1] == 2 && !env.paused[1], "cpu 1 not resumed");
	tt_env_run_work(&env, 1);
	CHECK(env.resumes[1] == 2 && env.reclaims == 1,
	      "pause work acted on an ended pause");

	c = counters(&env);
	CHECK(c.emergency_uses == 2 && c.paused_periods == 2,
	      "emergency_uses %llu paused_periods %llu",
	      (unsigned long long)c.emergency_uses,
	      (unsigned long long)c.paused_periods);
	CHECK(c.deferred_wakes == 1 && c.late_readies == 1,
	      "deferred_wakes %llu late_readies %llu",
	      (unsigned long long)c.deferred_wakes,
	      (unsigned long long)c.late_readies);
	CHECK(c.dummies_current == 0 && c.sleepers_current == 0,
	      "table not empty");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("emergency_pause_resume", &res, NULL);
}

/*
 * A READY whose task will never come (killed, or its orphan record pushed
 * out) finds no memory: cpu 0's emergency node is hashed and APF paused
 * there.  Nothing ever consumes the node, so only the env's own work item
 * (run as the kernel queues it) can end the pause.
 */
static void test_pause_ends_without_consumer(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_counters c;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	CHECK(tt_env_init(&env, 1, 0) == 0, "init failed");
	shim_alloc_inject(GFP_ATOMIC, 1, 1);
	CHECK(pvapf_tt_wake(&env.tt, 40, 0) == PVAPF_WAKE_QUEUED_EMERGENCY,
	      "allocation failure did not use the emergency node");
	CHECK(env.pauses[0] == 1, "APF not paused");
	/* Atomic allocations still fail: the env's work must not need one. */
	tt_env_run_work(&env, 0);
	c = counters(&env);
	CHECK(env.resumes[0] == 1 && !env.paused[0],
	      "pause not ended by the env's work (%ld pauses, %ld resumes)",
	      env.pauses[0], env.resumes[0]);
	CHECK(c.paused_periods == 1 && c.dummies_current == 1,
	      "paused_periods %llu dummies %llu",
	      (unsigned long long)c.paused_periods,
	      (unsigned long long)c.dummies_current);
	/* The READY stays remembered: its task, if it comes, still finds it. */
	finish(&res, &env, warns, 1, live0);
	tt_report("pause_ends_without_consumer", &res, NULL);
}

/* The waiter hashes itself while the waker is allocating its dummy. */
static struct {
	struct tt_env *env;
	struct pvapf_tt_node *node;
	struct tt_parker *p;
	u32 token;
} race;

static struct pvapf_tt_node *race_alloc(struct pvapf_token_table *tt)
{
	pvapf_tt_prepare_wait(tt, race.node, race.token, 0, race.p);
	return kmalloc(sizeof(struct pvapf_tt_node), GFP_ATOMIC);
}

static void race_free(struct pvapf_token_table *tt, struct pvapf_tt_node *n)
{
	(void)tt;
	kfree(n);
}

static void test_waiter_arrives_during_alloc(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_ops ops;
	struct pvapf_tt_node node;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 1, 0) == 0, "init failed");
	ops = *env.tt.ops;
	ops.alloc_node = race_alloc;
	ops.free_node = race_free;
	env.tt.ops = &ops;
	race.env = &env;
	race.node = &node;
	race.p = &p;
	race.token = 77;
	CHECK(pvapf_tt_wake(&env.tt, 77, 0) == PVAPF_WAKE_WOKEN,
	      "recheck after allocation missed the new waiter");
	CHECK(pvapf_tt_node_woken(&node) == PVAPF_TT_WOKEN_READY, "not woken");
	pvapf_tt_finish_wait(&env.tt, &node);
	CHECK(counters(&env).dummies_current == 0, "unneeded dummy hashed");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("waiter_arrives_during_alloc", &res, NULL);
}

static void test_cancel_wait(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node node;
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 1, 0) == 0, "init failed");
	pvapf_tt_prepare_wait(&env.tt, &node, 55, 0, &p);
	CHECK(pvapf_tt_finish_wait(&env.tt, &node) == 0,
	      "cancel reported a wake");
	CHECK(counters(&env).sleepers_current == 0, "cancel left a sleeper");
	/* Its READY now finds an orphan, not a reason to hash a dummy. */
	CHECK(pvapf_tt_wake(&env.tt, 55, 0) == PVAPF_WAKE_LATE,
	      "READY of a cancelled wait not recognised as late");
	CHECK(counters(&env).dummies_current == 0 &&
	      counters(&env).late_readies == 1, "late READY miscounted");
	CHECK(tt_parker_wakes(&p) == 0, "cancelled waiter woken");
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("cancel_wait", &res, NULL);
}

struct waiter_walk {
	unsigned int visits;
	unsigned long since_sum;
};

static void walk_visit(struct pvapf_tt_node *n, void *arg)
{
	struct waiter_walk *w = arg;

	w->visits++;
	w->since_sum += n->since;
	n->reported = true;
}

/*
 * The env's watchdog sees each sleeper once per walk, with the stamp the
 * env gave it, and nothing else: not a READY-before-wait dummy, not a
 * waiter already woken or cancelled.
 */
static void test_walk_waiters(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node n[3];
	struct waiter_walk w = { 0 };
	struct tt_parker p;
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();
	int i;

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	for (i = 0; i < 3; i++) {
		n[i].since = 100 + i;
		n[i].reported = false;
		CHECK(pvapf_tt_prepare_wait(&env.tt, &n[i], 70 + i, i % 2, &p) ==
		      PVAPF_WAIT_SLEEP, "waiter %d did not sleep", i);
	}
	/* A dummy (READY first), then one sleeper woken, one cancelled. */
	CHECK(pvapf_tt_wake(&env.tt, 90, 0) == PVAPF_WAKE_QUEUED, "no dummy");
	CHECK(pvapf_tt_wake(&env.tt, 70, 1) == PVAPF_WAKE_WOKEN, "70 not woken");
	pvapf_tt_finish_wait(&env.tt, &n[0]);
	CHECK(pvapf_tt_walk_waiters(&env.tt, walk_visit, &w) == 2,
	      "walk counted %u waiters, want 2", w.visits);
	CHECK(w.visits == 2 && w.since_sum == 101 + 102,
	      "visited %u with stamps summing %lu, want 2 and 203", w.visits,
	      w.since_sum);
	CHECK(!n[0].reported && n[1].reported && n[2].reported,
	      "reported flags %d %d %d, want 0 1 1", n[0].reported,
	      n[1].reported, n[2].reported);
	pvapf_tt_finish_wait(&env.tt, &n[1]);
	w = (struct waiter_walk){ 0 };
	CHECK(pvapf_tt_walk_waiters(&env.tt, walk_visit, &w) == 1 &&
	      w.since_sum == 102, "after a cancel: %u visits, stamps %lu",
	      w.visits, w.since_sum);
	pvapf_tt_finish_wait(&env.tt, &n[2]);
	CHECK(pvapf_tt_walk_waiters(&env.tt, walk_visit, &w) == 0,
	      "an empty table has waiters");
	/* The dummy for token 90 is still hashed: destroy reports it. */
	finish(&res, &env, warns, 1, live0);
	tt_parker_destroy(&p);
	tt_report("walk_waiters", &res, NULL);
}

/*
 * A wake-all wakes sleepers whose READYs the host still owes: those
 * READYs must be dropped as late, not hashed as dummies nobody consumes;
 * and a token that comes back as a new fault must not look late.
 */
static void test_late_ready_after_wake_all(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node n[PVAPF_TT_ORPHAN_SLOTS + 1];
	struct pvapf_tt_counters c;
	struct tt_parker p;
	struct tt_env env;
	u32 tokens[PVAPF_TT_ORPHAN_SLOTS + 1], t;
	long warns = shim_warn_count();
	long live0 = live_blocks();
	int i, k = 0, late;

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 2, 8) == 0, "init failed");
	/* One more orphan than a bucket remembers: the oldest overflows. */
	for (t = 1; k < PVAPF_TT_ORPHAN_SLOTS + 1; t++)
		if (hash_32(t, 8) == hash_32(1, 8))
			tokens[k++] = t;
	for (i = 0; i < k; i++)
		pvapf_tt_prepare_wait(&env.tt, &n[i], tokens[i], 0, &p);
	CHECK(pvapf_tt_wake(&env.tt, PVAPF_TOKEN_WAKE_ALL, 0) ==
	      PVAPF_WAKE_ALL, "wake-all");
	for (i = 0; i < k; i++)
		CHECK(pvapf_tt_finish_wait(&env.tt, &n[i]) ==
		      PVAPF_TT_WOKEN_ALL, "not woken by wake-all");
	late = 0;
	for (i = 0; i < k; i++) {
		enum pvapf_wake_result r = pvapf_tt_wake(&env.tt, tokens[i], 1);

		late += r == PVAPF_WAKE_LATE;
		CHECK(r == PVAPF_WAKE_LATE || r == PVAPF_WAKE_QUEUED,
		      "late READY result %d", r);
	}
	/* The bucket remembers SLOTS orphans; the one pushed out leaves a
	 * stale dummy, as without orphan tracking.
	 */
	CHECK(late == PVAPF_TT_ORPHAN_SLOTS, "%d late, want %d", late,
	      PVAPF_TT_ORPHAN_SLOTS);
	c = counters(&env);
	CHECK(c.late_readies == PVAPF_TT_ORPHAN_SLOTS &&
	      c.dummies_current == 1, "late %llu dummies %llu",
	      (unsigned long long)c.late_readies,
	      (unsigned long long)c.dummies_current);

	/* An orphaned token that comes back is a new fault, not a late one. */
	t = tokens[0] + 0x1000000;
	pvapf_tt_prepare_wait(&env.tt, &n[0], t, 0, &p);
	CHECK(pvapf_tt_wake_cpu(&env.tt, 0) == 1, "wake_cpu");
	pvapf_tt_finish_wait(&env.tt, &n[0]);
	CHECK(pvapf_tt_prepare_wait(&env.tt, &n[0], t, 1, &p) ==
	      PVAPF_WAIT_SLEEP, "reused token");
	CHECK(pvapf_tt_wake(&env.tt, t, 1) == PVAPF_WAKE_WOKEN,
	      "reused token's READY taken for a late one");
	pvapf_tt_finish_wait(&env.tt, &n[0]);
	CHECK(pvapf_tt_wake(&env.tt, t, 1) == PVAPF_WAKE_QUEUED,
	      "orphan not forgotten by the token's new fault");
	finish(&res, &env, warns, 2, live0);
	tt_parker_destroy(&p);
	tt_report("late_ready_after_wake_all", &res, NULL);
}

/* Tokens sharing one bucket: each wake must find exactly its own task. */
static void test_bucket_collisions(void)
{
	struct tt_result res = { 0 };
	struct pvapf_tt_node nodes[16];
	struct tt_parker p;
	struct tt_env env;
	u32 tokens[16], t;
	long warns = shim_warn_count();
	long live0 = live_blocks();
	int i, n = 0;

	tt_parker_init(&p, false);
	CHECK(tt_env_init(&env, 1, 8) == 0, "init failed");
	for (t = 1; n < 16; t++)
		if (hash_32(t, 8) == hash_32(1, 8))
			tokens[n++] = t;
	for (i = 0; i < 16; i += 2)
		CHECK(pvapf_tt_prepare_wait(&env.tt, &nodes[i], tokens[i], 0,
					    &p) == PVAPF_WAIT_SLEEP, "sleep");
	for (i = 1; i < 16; i += 2)
		CHECK(pvapf_tt_wake(&env.tt, tokens[i], 0) == PVAPF_WAKE_QUEUED,
		      "dummy");
	for (i = 14; i >= 0; i -= 4) {
		CHECK(pvapf_tt_wake(&env.tt, tokens[i], 0) == PVAPF_WAKE_WOKEN,
		      "wake %u", tokens[i]);
		CHECK(pvapf_tt_node_woken(&nodes[i]), "wrong task woken");
		if (i >= 2)
			CHECK(!pvapf_tt_node_woken(&nodes[i - 2]),
			      "neighbour woken");
	}
	for (i = 12; i >= 0; i -= 4)
		CHECK(pvapf_tt_wake(&env.tt, tokens[i], 0) == PVAPF_WAKE_WOKEN,
		      "wake %u", tokens[i]);
	for (i = 0; i < 16; i += 2)
		pvapf_tt_finish_wait(&env.tt, &nodes[i]);
	for (i = 1; i < 16; i += 2)
		CHECK(pvapf_tt_prepare_wait(&env.tt, &nodes[i], tokens[i], 0,
					    &p) == PVAPF_WAIT_READY, "consume");
	CHECK(tt_parker_wakes(&p) == 8, "%ld wakes, want 8",
	      tt_parker_wakes(&p));
	finish(&res, &env, warns, 0, live0);
	tt_parker_destroy(&p);
	tt_report("bucket_collisions", &res, NULL);
}

static void test_teardown_reports_leaks(void)
{
	struct tt_result res = { 0 };
	struct tt_env env;
	long warns = shim_warn_count();
	long live0 = live_blocks();
	long printks = shim_printk_count();

	CHECK(tt_env_init(&env, 2, 0) == 0, "init failed");
	pvapf_tt_wake(&env.tt, 1, 0);
	pvapf_tt_wake(&env.tt, 2, 0);
	shim_alloc_inject(GFP_ATOMIC, 1, 1);
	CHECK(pvapf_tt_wake(&env.tt, 3, 1) == PVAPF_WAKE_QUEUED_EMERGENCY,
	      "emergency");
	finish(&res, &env, warns, 3, live0);
	CHECK(shim_printk_count() == printks + 1, "leaks not reported once");
	tt_report("teardown_reports_leaks", &res, NULL);
}

static const struct pvapf_tt_ops no_ops;

static void test_init_errors(void)
{
	struct tt_result res = { 0 };
	struct shim_alloc_stats st;
	struct pvapf_token_table tt;
	long live0 = live_blocks();
	struct tt_env env;

	CHECK(pvapf_tt_init(&tt, 1, 0, &no_ops, NULL) == -EINVAL,
	      "missing ops accepted");
	CHECK(tt_env_init(&env, 0, 0) == -EINVAL, "0 cpus accepted");
	CHECK(tt_env_init(&env, 1, 7) == -EINVAL, "7 hash bits accepted");
	CHECK(tt_env_init(&env, 1, 17) == -EINVAL, "17 hash bits accepted");
	shim_alloc_inject(GFP_KERNEL, 1, 1);
	CHECK(tt_env_init(&env, 1, 0) == -ENOMEM, "bucket alloc failure");
	/* Fail calls 0, 2, ...: burn call 0 so call 2, the cpu array, fails. */
	shim_alloc_inject(GFP_KERNEL | GFP_ATOMIC, 2, 1);
	CHECK(!kmalloc(1, GFP_ATOMIC), "injection pattern");
	CHECK(tt_env_init(&env, 1, 0) == -ENOMEM, "cpu array alloc failure");
	shim_alloc_inject_off();
	shim_alloc_read_stats(&st);
	CHECK(st.live == live0, "failed init leaked %ld blocks",
	      st.live - live0);
	CHECK(pvapf_tt_default_hash_bits(1) == 8, "bits(1)");
	CHECK(pvapf_tt_default_hash_bits(64) == 10, "bits(64) = %u",
	      pvapf_tt_default_hash_bits(64));
	CHECK(pvapf_tt_default_hash_bits(157) == 12, "bits(157)");
	CHECK(pvapf_tt_default_hash_bits(1U << 20) == 16, "bits(1M)");
	tt_report("init_errors", &res, NULL);
}

int main(void)
{
	test_wait_then_wake();
	test_wake_before_wait();
	test_spurious_tokens();
	test_wake_all_token();
	test_wake_cpu();
	test_emergency_pause_resume();
	test_pause_ends_without_consumer();
	test_waiter_arrives_during_alloc();
	test_cancel_wait();
	test_walk_waiters();
	test_late_ready_after_wake_all();
	test_bucket_collisions();
	test_teardown_reports_leaks();
	test_init_errors();
	return tt_report_exit_code();
}
