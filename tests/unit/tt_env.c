// SPDX-License-Identifier: GPL-2.0
/* Userspace pvapf_tt_ops for tests and benchmarks (see tt_env.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <linux/slab.h>

#include "tt_env.h"

static struct tt_env *env_of(struct pvapf_token_table *tt)
{
	return pvapf_tt_priv(tt);
}

static void add(long *counter, long v)
{
	__atomic_fetch_add(counter, v, __ATOMIC_RELAXED);
}

void tt_parker_init(struct tt_parker *p, bool blocking)
{
	p->wakes = 0;
	p->blocking = blocking;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
}

void tt_parker_destroy(struct tt_parker *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

long tt_parker_wakes(struct tt_parker *p)
{
	return __atomic_load_n(&p->wakes, __ATOMIC_ACQUIRE);
}

bool tt_parker_sleep(struct tt_parker *p, const struct pvapf_tt_node *node,
		     unsigned int timeout_ms)
{
	struct timespec deadline;
	bool woken = true;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	/* The waker sets woken before taking p->lock: no lost signal. */
	pthread_mutex_lock(&p->lock);
	while (!pvapf_tt_node_woken(node)) {
		if (pthread_cond_timedwait(&p->cond, &p->lock,
					   &deadline) == ETIMEDOUT) {
			woken = pvapf_tt_node_woken(node) != 0;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return woken;
}

static void env_wake(struct pvapf_token_table *tt, void *handle)
{
	struct tt_parker *p = handle;

	add(&env_of(tt)->wakes, 1);
	__atomic_fetch_add(&p->wakes, 1, __ATOMIC_RELEASE);
	if (p->blocking) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

static void env_pause_apf(struct pvapf_token_table *tt, int cpu)
{
	struct tt_env *env = env_of(tt);

	if (__atomic_exchange_n(&env->paused[cpu], 1, __ATOMIC_SEQ_CST))
		add(&env->order_errors, 1);
	add(&env->pauses[cpu], 1);
	__atomic_store_n(&env->work_pending[cpu], 1, __ATOMIC_RELEASE);
}

static void env_resume_apf(struct pvapf_token_table *tt, int cpu)
{
	struct tt_env *env = env_of(tt);

	if (!__atomic_exchange_n(&env->paused[cpu], 0, __ATOMIC_SEQ_CST))
		add(&env->order_errors, 1);
	add(&env->resumes[cpu], 1);
	if (env->on_resume)
		env->on_resume(env, cpu);
}

/* A counted node: the table's atomic dummies and the pause work's spare. */
static struct pvapf_tt_node *env_node_alloc(struct tt_env *env, gfp_t gfp)
{
	struct pvapf_tt_node *n = kmalloc(sizeof(*n), gfp);

	if (n) {
		add(&env->node_allocs, 1);
		add(&env->nodes_live, 1);
	}
	return n;
}

static struct pvapf_tt_node *env_alloc_node(struct pvapf_token_table *tt)
{
	return env_node_alloc(env_of(tt), GFP_ATOMIC);
}

static void env_free_node(struct pvapf_token_table *tt,
			  struct pvapf_tt_node *node)
{
	struct tt_env *env = env_of(tt);

	add(&env->node_frees, 1);
	add(&env->nodes_live, -1);
	kfree(node);
}

static const struct pvapf_tt_ops env_ops = {
	.wake = env_wake,
	.pause_apf = env_pause_apf,
	.resume_apf = env_resume_apf,
	.alloc_node = env_alloc_node,
	.free_node = env_free_node,
};

int tt_env_init(struct tt_env *env, unsigned int nr_cpus,
		unsigned int hash_bits)
{
	memset(env, 0, sizeof(*env));
	if (nr_cpus > TT_ENV_MAX_CPUS)
		return -EINVAL;
	env->nr_cpus = nr_cpus;
	return pvapf_tt_init(&env->tt, nr_cpus, hash_bits, &env_ops, env);
}

unsigned long tt_env_destroy(struct tt_env *env)
{
	return pvapf_tt_destroy(&env->tt);
}

static void cpu_enter(struct tt_env *env, int cpu)
{
	if (env->cpu_enter)
		env->cpu_enter(env, cpu);
}

static void cpu_exit(struct tt_env *env, int cpu)
{
	if (env->cpu_exit)
		env->cpu_exit(env, cpu);
}

/* As the kernel's pvapf_guest_pause_work(). */
static void pause_work(struct tt_env *env, int cpu)
{
	struct pvapf_tt_node *spare;
	bool off = false;

	cpu_enter(env, cpu);
	if (__atomic_load_n(&env->paused[cpu], __ATOMIC_SEQ_CST))
		off = env->switch_off ? env->switch_off(env, cpu) : true;
	cpu_exit(env, cpu);
	if (off)
		pvapf_tt_wake_cpu(&env->tt, cpu);
	spare = env_node_alloc(env, GFP_KERNEL);
	if (!spare) {
		/* The kernel's work re-queues itself. */
		__atomic_store_n(&env->work_pending[cpu], 1, __ATOMIC_RELEASE);
		return;
	}
	cpu_enter(env, cpu);
	if (pvapf_tt_reclaim_emergency(&env->tt, cpu, spare)) {
		add(&env->reclaims, 1);
		spare = NULL;
	}
	cpu_exit(env, cpu);
	if (spare)
		env_free_node(&env->tt, spare);
}

void tt_env_run_work(struct tt_env *env, int cpu)
{
	/* A work item never runs twice at once; a new queueing waits. */
	if (__atomic_exchange_n(&env->work_running[cpu], 1, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_exchange_n(&env->work_pending[cpu], 0, __ATOMIC_ACQUIRE))
		pause_work(env, cpu);
	__atomic_store_n(&env->work_running[cpu], 0, __ATOMIC_RELEASE);
}
