/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace environment for the guest token table: implements
 * struct pvapf_tt_ops for tests and benchmarks and records what the core
 * asked of it (wakes, APF pause/resume, node allocations) so tests can
 * check the core's side of every contract.
 */
#ifndef _PVAPF_TT_ENV_H
#define _PVAPF_TT_ENV_H

#include <pthread.h>
#include <stdbool.h>

#include "pvapf_token_table.h"

#define TT_ENV_MAX_CPUS 64

/*
 * What a sleeping "task" is to the env: ops->wake() counts here and, for
 * blocking parkers, signals the thread sleeping in tt_parker_sleep().
 */
struct tt_parker {
	long wakes;
	bool blocking;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

void tt_parker_init(struct tt_parker *p, bool blocking);
void tt_parker_destroy(struct tt_parker *p);
long tt_parker_wakes(struct tt_parker *p);
/* Block until @node is woken; false after @timeout_ms without a wake. */
bool tt_parker_sleep(struct tt_parker *p, const struct pvapf_tt_node *node,
		     unsigned int timeout_ms);

struct tt_env {
	struct pvapf_token_table tt;
	unsigned int nr_cpus;
	/* Per cpu: 1 while the core has APF paused there. */
	int paused[TT_ENV_MAX_CPUS];
	long pauses[TT_ENV_MAX_CPUS];
	long resumes[TT_ENV_MAX_CPUS];
	/* Pause while paused, resume while running: core contract broken. */
	long order_errors;
	/* ops->wake() calls and node allocator traffic. */
	long wakes;
	long nodes_live;
	long node_allocs;
	long node_frees;
	/* Per cpu: 1 while the kernel would have its pause work queued. */
	int work_pending[TT_ENV_MAX_CPUS];
	int work_running[TT_ENV_MAX_CPUS];
	/* Emergency nodes the pause work swapped out. */
	long reclaims;
	/*
	 * Optional test hooks.  cpu_enter/cpu_exit bracket what the kernel
	 * runs on the cpu with irqs off; switch_off is APF going off there
	 * (EN = 0), false if the pause already ended; on_resume runs inside
	 * resume_apf.
	 */
	void (*cpu_enter)(struct tt_env *env, int cpu);
	void (*cpu_exit)(struct tt_env *env, int cpu);
	bool (*switch_off)(struct tt_env *env, int cpu);
	void (*on_resume)(struct tt_env *env, int cpu);
	void *ctx;
};

int tt_env_init(struct tt_env *env, unsigned int nr_cpus,
		unsigned int hash_bits);
/*
 * Run @cpu's pause work if pause_apf queued it, as the kernel's
 * (guest/pvapf_guest_cpu.c) runs it: switch APF off, wake the cpu's
 * sleepers, end the pause with a node allocated where it may sleep.
 * A deferred READY's retry is the caller's to drive.
 */
void tt_env_run_work(struct tt_env *env, int cpu);
/* Destroys the table; returns pvapf_tt_destroy()'s leak count. */
unsigned long tt_env_destroy(struct tt_env *env);

static inline long tt_env_read(const long *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif /* _PVAPF_TT_ENV_H */
