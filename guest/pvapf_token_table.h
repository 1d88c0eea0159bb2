/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_token_table.h - guest table of tasks parked on async-PF tokens.
 *
 * Kernel-agnostic core of the pvapf guest: it matches "page not present"
 * (a task must sleep on a token) with "page ready" (wake whoever sleeps on
 * the token), in either order and on any pair of cpus.  It uses kernel APIs
 * only; how a task sleeps and wakes, APF pause/resume (MSR writes) and node
 * allocation come from the environment through struct pvapf_tt_ops, so the
 * same source builds in the kernel and against the userspace shim in
 * tests/shim.  The design is described at the top of
 * pvapf_token_table.c.
 *
 * Include path: the ABI header is included as "pvapf_abi.h"; builds add
 * abi/ to the include path.
 */
#ifndef _PVAPF_TOKEN_TABLE_H
#define _PVAPF_TOKEN_TABLE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/types.h>
#include <asm/barrier.h>

#include "pvapf_abi.h"

struct pvapf_token_table;
struct pvapf_tt_bucket;
struct pvapf_tt_cpu;

/* What a node in the table stands for. */
enum pvapf_tt_node_kind {
	PVAPF_TT_WAITER = 1,	/* a task sleeping on the token (on its stack) */
	PVAPF_TT_DUMMY,		/* READY came first; from ops->alloc_node() */
	PVAPF_TT_EMERGENCY,	/* READY came first; a cpu's preallocated node */
};

/* Why a waiter was woken; stored in pvapf_tt_node.woken (0 = asleep). */
enum pvapf_tt_wake_reason {
	PVAPF_TT_WOKEN_READY = 1,	/* its READY token arrived */
	PVAPF_TT_WOKEN_CPU,		/* APF stopped on its cpu: READY lost */
	PVAPF_TT_WOKEN_ALL,		/* wake-all (host forgot its faults) */
	PVAPF_TT_WOKEN_TEARDOWN,	/* table destroyed under it (a bug) */
};

/**
 * struct pvapf_tt_node - one token in the table
 * @link: bucket chain linkage, protected by the bucket lock
 * @token: async-PF token (never PVAPF_TOKEN_NONE or PVAPF_TOKEN_WAKE_ALL)
 * @cpu: waiter: cpu its NOT_PRESENT arrived on; emergency: owning cpu;
 *	dummy: cpu the READY arrived on
 * @kind: enum pvapf_tt_node_kind
 * @woken: waiter only: 0 while asleep, then an enum pvapf_tt_wake_reason,
 *	stored with release semantics; read it with pvapf_tt_node_woken()
 * @env: waiter only: handle passed to ops->wake(), e.g. the task
 * @since: waiter only, the env's: when it began to wait (kernel: jiffies),
 *	set before pvapf_tt_prepare_wait(); the table never reads it
 * @reported: waiter only, the env's: its watchdog reported this wait
 *
 * A waiter lives on the sleeping task's stack and is filled in by
 * pvapf_tt_prepare_wait(); the caller only reads @woken.  The env's fields
 * are for its watchdog, which sees waiters through pvapf_tt_walk_waiters().
 */
struct pvapf_tt_node {
	struct hlist_node link;
	u32 token;
	int cpu;
	u32 kind;
	u32 woken;
	void *env;
	unsigned long since;
	bool reported;
};

/**
 * struct pvapf_tt_ops - environment hooks
 * @wake: make the task behind @env runnable so it rechecks its node.
 *	Called with a bucket lock held and irqs off: must not sleep.  The
 *	waiter cannot return from pvapf_tt_finish_wait() (and so cannot free
 *	@env) until the lock is dropped.
 * @pause_apf: @cpu's emergency node went out: record it and, later, in
 *	process context on @cpu, stop APF there (kernel: PVAPF_MSR_EN = 0,
 *	which may wait for the host's page-ins in flight), then call
 *	pvapf_tt_wake_cpu() (the host dropped the READYs it owed @cpu) and
 *	end the pause with pvapf_tt_reclaim_emergency().  Called on @cpu, in
 *	its READY handler, with a bucket lock held: must not block.
 * @resume_apf: re-enable APF on @cpu.  Called from any cpu with no table
 *	lock held; a remote cpu needs an IPI or deferred work in the kernel.
 *	pause/resume calls for one cpu strictly alternate.
 * @alloc_node: allocate a node in atomic context (kernel: GFP_ATOMIC);
 *	may return NULL.  Called without table locks (PREEMPT_RT safe).
 * @free_node: free a node from @alloc_node.  Called without table locks.
 *
 * Each hook gets the table so test environments can find their context
 * with pvapf_tt_priv().
 */
struct pvapf_tt_ops {
	void (*wake)(struct pvapf_token_table *tt, void *env);
	void (*pause_apf)(struct pvapf_token_table *tt, int cpu);
	void (*resume_apf)(struct pvapf_token_table *tt, int cpu);
	struct pvapf_tt_node *(*alloc_node)(struct pvapf_token_table *tt);
	void (*free_node)(struct pvapf_token_table *tt,
			  struct pvapf_tt_node *node);
};

/* Result of pvapf_tt_prepare_wait(). */
enum pvapf_wait_result {
	PVAPF_WAIT_SLEEP = 1,	/* hashed: sleep until woken, then finish */
	PVAPF_WAIT_READY,	/* READY already came: retry the fault now */
	PVAPF_WAIT_PAUSED,	/* APF paused on @cpu, no READY will come */
	PVAPF_WAIT_INVALID,	/* bad or already-waited token: retry now */
};

/* Result of pvapf_tt_wake(); ACK the token for all but DEFERRED. */
enum pvapf_wake_result {
	PVAPF_WAKE_WOKEN = 1,		/* the sleeper was woken */
	PVAPF_WAKE_QUEUED,		/* no sleeper yet: dummy hashed */
	PVAPF_WAKE_QUEUED_EMERGENCY,	/* same, with @cpu's emergency node;
					 * APF now paused on @cpu (see
					 * ops->pause_apf)
					 */
	PVAPF_WAKE_ALL,			/* token was PVAPF_TOKEN_WAKE_ALL */
	PVAPF_WAKE_SPURIOUS,		/* token 0 or repeated READY */
	PVAPF_WAKE_DEFERRED,		/* no node: keep the token un-ACKed
					 * in the slot, retry later
					 */
	PVAPF_WAKE_LATE,		/* its sleeper was already woken by a
					 * pause or wake-all: dropped
					 */
};

/*
 * The entries of an X-macro list, comma-separated.  A list written as one
 * call of this is a single expression, the form checkpatch asks of a macro.
 */
#define PVAPF_LIST(...)	__VA_ARGS__

/*
 * The table's counters, in their append-only order, which is also the order
 * of the guest's debugfs lines (guest/README.md "Counters"): struct
 * pvapf_tt_counters and the names of those lines are both made from this
 * list.  Event counts are monotonic; *_current are gauges.
 */
#define PVAPF_TT_COUNTERS							\
	PVAPF_LIST(/* valid tokens given to pvapf_tt_prepare_wait() */		\
		   PVAPF_TT_COUNTER(not_present),				\
		   /* READYs accepted (woke a sleeper or hashed a dummy) */	\
		   PVAPF_TT_COUNTER(ready),					\
		   /* prepare_wait found its READY already there */		\
		   PVAPF_TT_COUNTER(woken_before_wait),				\
		   /* emergency nodes handed out (each paused a cpu) */		\
		   PVAPF_TT_COUNTER(emergency_uses),				\
		   /* pauses ended; emergency_uses - this = paused now */	\
		   PVAPF_TT_COUNTER(paused_periods),				\
		   /* PVAPF_TOKEN_WAKE_ALL or pvapf_tt_wake_all() events */	\
		   PVAPF_TT_COUNTER(wake_all),					\
		   /* tasks hashed and asleep now */				\
		   PVAPF_TT_COUNTER(sleepers_current),				\
		   /* highest sleepers_current seen */				\
		   PVAPF_TT_COUNTER(sleepers_peak),				\
		   /* token 0/~0, repeated READY, repeated wait */		\
		   PVAPF_TT_COUNTER(spurious_tokens),				\
		   /* pvapf_tt_wake() calls that returned DEFERRED */		\
		   PVAPF_TT_COUNTER(deferred_wakes),				\
		   /* READY-before-wait nodes hashed now */			\
		   PVAPF_TT_COUNTER(dummies_current),				\
		   /* READYs dropped: sleeper already woken (see "Orphans") */	\
		   PVAPF_TT_COUNTER(late_readies))

/*
 * A snapshot of the table's counters, summed without locks: exact when the
 * table is quiescent, each field individually sane otherwise.
 */
#define PVAPF_TT_COUNTER(name)	name
struct pvapf_tt_counters {
	u64 PVAPF_TT_COUNTERS;
};

#undef PVAPF_TT_COUNTER

/**
 * struct pvapf_token_table - the table; fields are private to the core
 * @buckets: 1 << @hash_bits buckets, each with its own raw spinlock
 * @cpus: per-cpu emergency node and pause state, @nr_cpus entries
 * @ops: environment hooks
 * @priv: environment context, see pvapf_tt_priv()
 * @hash_bits: log2 of the bucket count
 * @nr_cpus: valid cpu numbers are 0 .. @nr_cpus - 1
 * @sleepers: gauge behind pvapf_tt_counters.sleepers_current
 * @sleepers_peak: high-water mark of @sleepers
 * @emergency_uses: see struct pvapf_tt_counters; rare events are global
 * @paused_periods: ditto
 * @wake_all: ditto
 * @deferred_wakes: ditto
 * @invalid_tokens: token 0/~0 passed to prepare_wait or wake
 */
struct pvapf_token_table {
	struct pvapf_tt_bucket *buckets;
	struct pvapf_tt_cpu *cpus;
	const struct pvapf_tt_ops *ops;
	void *priv;
	unsigned int hash_bits;
	unsigned int nr_cpus;
	atomic_long_t sleepers;
	atomic_long_t sleepers_peak;
	atomic_long_t emergency_uses;
	atomic_long_t paused_periods;
	atomic_long_t wake_all;
	atomic_long_t deferred_wakes;
	atomic_long_t invalid_tokens;
};

/* Bucket count bounds (log2) and the sizing rule's inputs. */
#define PVAPF_TT_MIN_HASH_BITS		8
#define PVAPF_TT_MAX_HASH_BITS		16
/* Host queue depth per vCPU (KVM: ASYNC_PF_PER_VCPU); bounds sleepers. */
#define PVAPF_TT_SLEEPERS_PER_CPU	64
/* Target mean chain length with every vCPU's queue full. */
#define PVAPF_TT_TARGET_LOAD		4
/* Tokens per bucket remembered as woken without their READY. */
#define PVAPF_TT_ORPHAN_SLOTS		4

unsigned int pvapf_tt_default_hash_bits(unsigned int nr_cpus);

int pvapf_tt_init(struct pvapf_token_table *tt, unsigned int nr_cpus,
		  unsigned int hash_bits, const struct pvapf_tt_ops *ops,
		  void *priv);
unsigned long pvapf_tt_destroy(struct pvapf_token_table *tt);

enum pvapf_wait_result pvapf_tt_prepare_wait(struct pvapf_token_table *tt,
					     struct pvapf_tt_node *node,
					     u32 token, int cpu, void *env);
u32 pvapf_tt_finish_wait(struct pvapf_token_table *tt,
			 struct pvapf_tt_node *node);

enum pvapf_wake_result pvapf_tt_wake(struct pvapf_token_table *tt,
				     u32 token, int cpu);
unsigned int pvapf_tt_wake_all(struct pvapf_token_table *tt, int cpu);
unsigned int pvapf_tt_wake_cpu(struct pvapf_token_table *tt, int cpu);
bool pvapf_tt_reclaim_emergency(struct pvapf_token_table *tt, int cpu,
				struct pvapf_tt_node *spare);

void pvapf_tt_read_counters(struct pvapf_token_table *tt,
			    struct pvapf_tt_counters *out);
/* A visitor of pvapf_tt_walk_waiters(). */
typedef void (*pvapf_tt_visit_fn)(struct pvapf_tt_node *node, void *arg);
unsigned int pvapf_tt_walk_waiters(struct pvapf_token_table *tt,
				   pvapf_tt_visit_fn fn, void *arg);

/* Environment context given to pvapf_tt_init(). */
static inline void *pvapf_tt_priv(const struct pvapf_token_table *tt)
{
	return tt->priv;
}

/*
 * Nonzero (an enum pvapf_tt_wake_reason) once the waiter has been woken;
 * acquire pairs with the waker's release so the sleep loop needs no lock.
 */
static inline u32 pvapf_tt_node_woken(const struct pvapf_tt_node *node)
{
	/* Pairs with smp_store_release() in tt_wake_waiter(). */
	return smp_load_acquire(&node->woken);
}

#endif /* _PVAPF_TOKEN_TABLE_H */
