// SPDX-License-Identifier: GPL-2.0
/*
 * pvapf_token_table.c - guest table of tasks parked on async-PF tokens.
 *
 * Design
 * ======
 *
 * A NOT_PRESENT event gives the faulting task a token to sleep on; a READY
 * event later names the token to wake.  The table matches the two in
 * either order, on any pair of cpus, without ever losing a wakeup.
 *
 * Table.  1 << hash_bits buckets (at least 256), indexed by hash_32(token),
 * each with its own raw spinlock and hlist; no global lock, so faults on
 * different cpus only meet when their tokens share a bucket.  Raw locks
 * because READY is handled in hard irq context, also on PREEMPT_RT.  The
 * bucket count scales with nr_cpus (host queue depth 64 per vCPU, mean
 * chain of 4 when every queue is full) so lookups stay O(1) as the guest
 * grows.  At most one node per token is hashed at any time.
 *
 * Waiter.  struct pvapf_tt_node on the sleeping task's stack: token, the
 * cpu its NOT_PRESENT arrived on, a woken word and an env handle (the
 * task).  pvapf_tt_prepare_wait() hashes it, the env sleeps until woken is
 * set, then calls pvapf_tt_finish_wait().  The waker unhashes the node,
 * stores woken with release semantics and calls ops->wake(env), all under
 * the bucket lock; finish_wait takes that lock once, so the node and env
 * cannot go away while a waker still uses them.
 *
 * Wake-before-wait.  READY may beat its task to the table (the task is
 * still on its way from the #PF entry, possibly on another cpu).  Then
 * pvapf_tt_wake() hashes a dummy node carrying the token, and the task's
 * prepare_wait consumes it and does not sleep.  Every NOT_PRESENT token
 * must reach prepare_wait exactly once, or its dummy stays hashed.
 *
 * Allocation failure.  The dummy comes from ops->alloc_node() (atomic, may
 * fail), called with no lock held.  If it fails, the READY cpu hashes its
 * own preallocated emergency node instead and pauses APF on itself
 * (ops->pause_apf()): from then on a new waiter of that cpu does not sleep
 * (PVAPF_WAIT_PAUSED).  The hook only records the pause; the env switches
 * APF off later, in process context on that cpu, since the host may wait
 * for page-ins in flight on EN = 0.  The host then sends that cpu neither
 * NOT_PRESENT nor the READYs it owes it, so it needs no second node, and
 * the env wakes that cpu's sleepers (pvapf_tt_wake_cpu()) to retry their
 * faults synchronously.  Whoever unhashes the emergency node (normally the
 * task consuming it, on any cpu) returns it to its cpu and calls
 * ops->resume_apf().  The env ends the pause itself, even if that task
 * never comes (see "Stale dummies"), by handing a node allocated where it
 * may sleep to pvapf_tt_reclaim_emergency(), which swaps it in for the
 * emergency node.  Emergency ownership is an atomic flag per cpu, taken
 * before the pause and released after the resume, so pause and resume
 * calls for one cpu strictly alternate.  If memory is short and the
 * emergency node is already out, pvapf_tt_wake() returns DEFERRED: the env
 * leaves the token un-ACKed in the shared slot (the host cannot deliver
 * more READYs to that vCPU meanwhile) and retries later.  Nothing spins
 * and no wakeup is dropped.
 *
 * Wake-all.  The host sends it on a vCPU whose APF was (re-)enabled, for
 * the READYs it dropped: those of NOT_PRESENTs it sent there.  So it wakes
 * the sleepers whose NOT_PRESENT came on the cpu it arrived on, as
 * upstream's guest does; waking every cpu's would make each cpu's pause
 * wake the whole guest, whose owed READYs then arrive late.  (A READY the
 * pvapf host delivered on another vCPU, and dropped there, gets a wake-all
 * on its NOT_PRESENT's vCPU; stock KVM never delivers one elsewhere.)
 * Dummies are kept: each one's task has its NOT_PRESENT but has not
 * reached the table yet, and will consume it; dropping it would make that
 * task sleep on a READY that already came.  pvapf_tt_wake_cpu() wakes the
 * same sleepers, for the env's own reasons: our pause, cpu offline,
 * suspend, kexec.
 *
 * Orphans.  A sleeper woken by wake-all or wake_cpu (or a cancelled wait)
 * may still get its READY later: a wake-all from one vCPU does not cancel
 * the READYs the host owes the others.  Hashed as a dummy, that READY
 * would never be consumed.  So the bucket remembers the last
 * PVAPF_TT_ORPHAN_SLOTS such tokens; a READY matching one is dropped
 * (PVAPF_WAKE_LATE) instead.  prepare_wait forgets an orphan whose token
 * comes back as a new fault.  Only a reused token whose READY beats its
 * own NOT_PRESENT to the table while the old orphan is still remembered
 * would be taken for late; that needs token reuse (stock KVM: a 20-bit
 * per-vCPU counter; pvapf host: 32-bit per VM) and cross-vCPU READY
 * delivery (KVM never does it) at once.
 *
 * Stale dummies.  Only an orphan pushed out of its bucket's slots, or a
 * READY in flight across a pause, still leaves a dummy no task consumes
 * (an emergency node among them is swapped out by the reclaim):
 * the price of never stranding a sleeper.  It costs one node, shows in
 * dummies_current, and is freed at destroy.
 *
 * Counters.  Frequent events are counted per bucket under the bucket lock
 * already held (no extra cache line); rare ones and the sleepers gauge,
 * whose peak needs one global value, are atomic_long_t.  Readers sum
 * without locks.
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "pvapf_token_table.h"

struct pvapf_tt_bucket {
	raw_spinlock_t lock;
	struct hlist_head chain;
	/* Event counts: written under @lock, summed without it. */
	unsigned long not_present;
	unsigned long ready;
	unsigned long woken_before_wait;
	unsigned long spurious;
	unsigned long dummies;
	unsigned long late;
	/* Tokens woken without their READY; 0 = empty.  Under @lock. */
	u32 orphans[PVAPF_TT_ORPHAN_SLOTS];
	unsigned int orphan_next;
} ____cacheline_aligned_in_smp;

struct pvapf_tt_cpu {
	struct pvapf_tt_node emergency;
	/* 1 from claim (before pause) until returned (after resume). */
	atomic_t emergency_out;
	/* APF paused here by us: new waiters of this cpu must not sleep. */
	int paused;
} ____cacheline_aligned_in_smp;

/* tt_wake_locked() found nothing for the token. */
#define TT_NOT_FOUND 0

static void tt_inc(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

static void tt_dec(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter - 1);
}

static struct pvapf_tt_bucket *tt_bucket(struct pvapf_token_table *tt,
					 u32 token)
{
	return &tt->buckets[hash_32(token, tt->hash_bits)];
}

static bool tt_cpu_valid(struct pvapf_token_table *tt, int cpu)
{
	return cpu >= 0 && (unsigned int)cpu < tt->nr_cpus;
}

static struct pvapf_tt_node *tt_find(struct pvapf_tt_bucket *b, u32 token)
{
	struct pvapf_tt_node *n;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(n, &b->chain, link) {
		if (n->token == token)
			return n;
	}
	return NULL;
}

static void tt_sleepers_inc(struct pvapf_token_table *tt)
{
	long cur = atomic_long_inc_return(&tt->sleepers);
	long peak = atomic_long_read(&tt->sleepers_peak);

	/* Usually one compare: the peak is rarely exceeded once warm. */
	while (cur > peak) {
		if (atomic_long_try_cmpxchg(&tt->sleepers_peak, &peak, cur))
			break;
	}
}

/* Remember that @token's sleeper left without its READY. */
static void tt_add_orphan(struct pvapf_tt_bucket *b, u32 token)
{
	lockdep_assert_held(&b->lock);
	b->orphans[b->orphan_next] = token;
	b->orphan_next = (b->orphan_next + 1) % PVAPF_TT_ORPHAN_SLOTS;
}

/* Forget @token as an orphan; true if it was one. */
static bool tt_take_orphan(struct pvapf_tt_bucket *b, u32 token)
{
	unsigned int i;

	lockdep_assert_held(&b->lock);
	for (i = 0; i < PVAPF_TT_ORPHAN_SLOTS; i++) {
		if (b->orphans[i] == token) {
			b->orphans[i] = PVAPF_TOKEN_NONE;
			return true;
		}
	}
	return false;
}

/* Unhash a waiter and wake it.  Must not touch @n after the release. */
static void tt_wake_waiter(struct pvapf_token_table *tt,
			   struct pvapf_tt_bucket *b, struct pvapf_tt_node *n,
			   u32 reason)
{
	void *env = n->env;

	lockdep_assert_held(&b->lock);
	hlist_del_init(&n->link);
	atomic_long_dec(&tt->sleepers);
	/* Pairs with pvapf_tt_node_woken(): unhash is seen before woken. */
	smp_store_release(&n->woken, reason);
	tt->ops->wake(tt, env);
}

/* Give an emergency node back to @cpu and end that cpu's APF pause. */
static void tt_return_emergency(struct pvapf_token_table *tt, int cpu)
{
	struct pvapf_tt_cpu *c = &tt->cpus[cpu];

	WRITE_ONCE(c->paused, 0);
	tt->ops->resume_apf(tt, cpu);
	atomic_long_inc(&tt->paused_periods);
	/* Release: the next claimer sees the node unhashed. */
	atomic_set_release(&c->emergency_out, 0);
}

/* Dispose of a dummy that was unhashed; no table lock held. */
static void tt_put_dummy(struct pvapf_token_table *tt, struct pvapf_tt_node *n)
{
	if (n->kind == PVAPF_TT_EMERGENCY)
		tt_return_emergency(tt, n->cpu);
	else
		tt->ops->free_node(tt, n);
}

/*
 * Take @cpu's emergency node and pause APF there.  The pause comes before
 * the node is hashed, so its consumer's resume always follows this pause.
 */
static struct pvapf_tt_node *tt_claim_emergency(struct pvapf_token_table *tt,
						struct pvapf_tt_bucket *b,
						int cpu)
{
	struct pvapf_tt_cpu *c = &tt->cpus[cpu];

	lockdep_assert_held(&b->lock);
	if (atomic_cmpxchg(&c->emergency_out, 0, 1) != 0)
		return NULL;
	WRITE_ONCE(c->paused, 1);
	tt->ops->pause_apf(tt, cpu);
	atomic_long_inc(&tt->emergency_uses);
	return &c->emergency;
}

/* READY for @token with @b locked: wake its sleeper if it has one. */
static int tt_wake_locked(struct pvapf_token_table *tt,
			  struct pvapf_tt_bucket *b, u32 token)
{
	struct pvapf_tt_node *n = tt_find(b, token);

	if (!n) {
		if (!tt_take_orphan(b, token))
			return TT_NOT_FOUND;
		tt_inc(&b->late);
		return PVAPF_WAKE_LATE;
	}
	if (n->kind != PVAPF_TT_WAITER) {
		/* A dummy already stands for this token: repeated READY. */
		tt_inc(&b->spurious);
		return PVAPF_WAKE_SPURIOUS;
	}
	tt_wake_waiter(tt, b, n, PVAPF_TT_WOKEN_READY);
	tt_inc(&b->ready);
	return PVAPF_WAKE_WOKEN;
}

/* Wake the waiters whose NOT_PRESENT came on @cpu; dummies stay. */
static unsigned int tt_wake_matching(struct pvapf_token_table *tt, int cpu,
				     u32 reason)
{
	unsigned int i, woken = 0;

	for (i = 0; i < (1U << tt->hash_bits); i++) {
		struct pvapf_tt_bucket *b = &tt->buckets[i];
		struct pvapf_tt_node *n;
		struct hlist_node *tmp;
		unsigned long flags;

		/* Every bucket is locked: see the pause argument in wake. */
		raw_spin_lock_irqsave(&b->lock, flags);
		hlist_for_each_entry_safe(n, tmp, &b->chain, link) {
			if (n->kind != PVAPF_TT_WAITER)
				continue;
			if (n->cpu != cpu)
				continue;
			tt_add_orphan(b, n->token);
			tt_wake_waiter(tt, b, n, reason);
			woken++;
		}
		raw_spin_unlock_irqrestore(&b->lock, flags);
	}
	return woken;
}

/**
 * pvapf_tt_default_hash_bits - bucket count (log2) for a guest size
 * @nr_cpus: number of cpus (vCPUs) the table serves
 *
 * Sized for every vCPU's host queue full at a mean chain length of
 * PVAPF_TT_TARGET_LOAD, clamped to [PVAPF_TT_MIN_HASH_BITS,
 * PVAPF_TT_MAX_HASH_BITS].
 */
unsigned int pvapf_tt_default_hash_bits(unsigned int nr_cpus)
{
	unsigned long want = (unsigned long)nr_cpus *
			     PVAPF_TT_SLEEPERS_PER_CPU / PVAPF_TT_TARGET_LOAD;
	unsigned int bits = want > 1 ? order_base_2(want) : 0;

	if (bits < PVAPF_TT_MIN_HASH_BITS)
		return PVAPF_TT_MIN_HASH_BITS;
	if (bits > PVAPF_TT_MAX_HASH_BITS)
		return PVAPF_TT_MAX_HASH_BITS;
	return bits;
}

/**
 * pvapf_tt_init - set up an empty table
 * @tt: table to initialise
 * @nr_cpus: cpus 0 .. @nr_cpus - 1 may be passed to the other calls
 * @hash_bits: log2 of the bucket count, or 0 for
 *	pvapf_tt_default_hash_bits(@nr_cpus)
 * @ops: environment hooks, all mandatory; must outlive the table
 * @priv: environment context, returned by pvapf_tt_priv()
 *
 * Preallocates one emergency node per cpu.  Process context (GFP_KERNEL).
 *
 * Return: 0, -EINVAL for bad arguments or -ENOMEM.
 */
int pvapf_tt_init(struct pvapf_token_table *tt, unsigned int nr_cpus,
		  unsigned int hash_bits, const struct pvapf_tt_ops *ops,
		  void *priv)
{
	unsigned int i;

	if (!nr_cpus || !ops || !ops->wake || !ops->pause_apf ||
	    !ops->resume_apf || !ops->alloc_node || !ops->free_node)
		return -EINVAL;
	if (!hash_bits)
		hash_bits = pvapf_tt_default_hash_bits(nr_cpus);
	if (hash_bits < PVAPF_TT_MIN_HASH_BITS ||
	    hash_bits > PVAPF_TT_MAX_HASH_BITS)
		return -EINVAL;

	tt->buckets = kvcalloc(1U << hash_bits, sizeof(*tt->buckets),
			       GFP_KERNEL);
	if (!tt->buckets)
		return -ENOMEM;
	tt->cpus = kvcalloc(nr_cpus, sizeof(*tt->cpus), GFP_KERNEL);
	if (!tt->cpus) {
		kvfree(tt->buckets);
		tt->buckets = NULL;
		return -ENOMEM;
	}

	tt->ops = ops;
	tt->priv = priv;
	tt->hash_bits = hash_bits;
	tt->nr_cpus = nr_cpus;
	for (i = 0; i < (1U << hash_bits); i++) {
		raw_spin_lock_init(&tt->buckets[i].lock);
		INIT_HLIST_HEAD(&tt->buckets[i].chain);
	}
	for (i = 0; i < nr_cpus; i++) {
		struct pvapf_tt_node *e = &tt->cpus[i].emergency;

		INIT_HLIST_NODE(&e->link);
		e->kind = PVAPF_TT_EMERGENCY;
		e->cpu = i;
		atomic_set(&tt->cpus[i].emergency_out, 0);
	}
	atomic_long_set(&tt->sleepers, 0);
	atomic_long_set(&tt->sleepers_peak, 0);
	atomic_long_set(&tt->emergency_uses, 0);
	atomic_long_set(&tt->paused_periods, 0);
	atomic_long_set(&tt->wake_all, 0);
	atomic_long_set(&tt->deferred_wakes, 0);
	atomic_long_set(&tt->invalid_tokens, 0);
	return 0;
}

/**
 * pvapf_tt_destroy - free the table
 * @tt: table; no other call may run concurrently
 *
 * Frees remaining dummies and returns emergency nodes without calling
 * ops->resume_apf(): the caller has stopped APF everywhere.  A waiter still
 * hashed is a bug; it is woken with PVAPF_TT_WOKEN_TEARDOWN.
 *
 * Return: number of nodes that were still hashed (0 if nothing leaked).
 */
unsigned long pvapf_tt_destroy(struct pvapf_token_table *tt)
{
	unsigned long leaked = 0;
	unsigned int i;

	if (!tt->buckets)
		return 0;
	for (i = 0; i < (1U << tt->hash_bits); i++) {
		struct pvapf_tt_bucket *b = &tt->buckets[i];
		struct pvapf_tt_node *n;
		struct hlist_node *tmp;
		HLIST_HEAD(to_free);
		unsigned long flags;

		raw_spin_lock_irqsave(&b->lock, flags);
		hlist_for_each_entry_safe(n, tmp, &b->chain, link) {
			leaked++;
			if (WARN_ON_ONCE(n->kind == PVAPF_TT_WAITER)) {
				tt_wake_waiter(tt, b, n,
					       PVAPF_TT_WOKEN_TEARDOWN);
				continue;
			}
			hlist_del_init(&n->link);
			tt_dec(&b->dummies);
			if (n->kind == PVAPF_TT_EMERGENCY)
				atomic_set(&tt->cpus[n->cpu].emergency_out, 0);
			else
				hlist_add_head(&n->link, &to_free);
		}
		raw_spin_unlock_irqrestore(&b->lock, flags);

		hlist_for_each_entry_safe(n, tmp, &to_free, link) {
			hlist_del_init(&n->link);
			tt->ops->free_node(tt, n);
		}
	}
	if (leaked)
		pr_warn("pvapf: token table destroyed with %lu nodes hashed\n",
			leaked);
	kvfree(tt->buckets);
	kvfree(tt->cpus);
	tt->buckets = NULL;
	tt->cpus = NULL;
	return leaked;
}

/**
 * pvapf_tt_prepare_wait - NOT_PRESENT: park a task on @token
 * @tt: table
 * @node: the task's waiter, normally on its stack; filled in here
 * @token: token from CR2
 * @cpu: cpu the NOT_PRESENT arrived on (the current cpu)
 * @env: handle for ops->wake(), e.g. current
 *
 * Call on @cpu before anything that can re-enable irqs there, so a pause
 * of @cpu (which runs in its READY handler) cannot slip in between the
 * NOT_PRESENT and this call.
 *
 * Return: PVAPF_WAIT_SLEEP: sleep until pvapf_tt_node_woken(@node), then
 * call pvapf_tt_finish_wait().  Anything else: do not sleep, just return
 * and let the fault be retried.
 */
enum pvapf_wait_result pvapf_tt_prepare_wait(struct pvapf_token_table *tt,
					     struct pvapf_tt_node *node,
					     u32 token, int cpu, void *env)
{
	struct pvapf_tt_bucket *b;
	struct pvapf_tt_node *n;
	unsigned long flags;

	if (unlikely(!pvapf_token_valid(token))) {
		atomic_long_inc(&tt->invalid_tokens);
		return PVAPF_WAIT_INVALID;
	}
	if (WARN_ON_ONCE(!tt_cpu_valid(tt, cpu)))
		return PVAPF_WAIT_INVALID;

	b = tt_bucket(tt, token);
	raw_spin_lock_irqsave(&b->lock, flags);
	tt_inc(&b->not_present);
	/* A token seen again is a new fault, not an orphan's late READY. */
	tt_take_orphan(b, token);
	n = tt_find(b, token);
	if (n) {
		if (unlikely(n->kind == PVAPF_TT_WAITER)) {
			/* Second NOT_PRESENT for a token: only one would wake. */
			tt_inc(&b->spurious);
			raw_spin_unlock_irqrestore(&b->lock, flags);
			return PVAPF_WAIT_INVALID;
		}
		hlist_del_init(&n->link);
		tt_dec(&b->dummies);
		tt_inc(&b->woken_before_wait);
		raw_spin_unlock_irqrestore(&b->lock, flags);
		tt_put_dummy(tt, n);
		return PVAPF_WAIT_READY;
	}
	/*
	 * Paused: the host drops this token's READY once the env switches
	 * APF off, or may still send it before: an orphan, so it is dropped.
	 * paused is set before the env's wake_cpu scan takes this bucket's
	 * lock, so a waiter hashed behind the scan sees it.
	 */
	if (unlikely(READ_ONCE(tt->cpus[cpu].paused))) {
		tt_add_orphan(b, token);
		raw_spin_unlock_irqrestore(&b->lock, flags);
		return PVAPF_WAIT_PAUSED;
	}
	node->token = token;
	node->cpu = cpu;
	node->kind = PVAPF_TT_WAITER;
	node->woken = 0;
	node->env = env;
	hlist_add_head(&node->link, &b->chain);
	tt_sleepers_inc(tt);
	raw_spin_unlock_irqrestore(&b->lock, flags);
	return PVAPF_WAIT_SLEEP;
}

/**
 * pvapf_tt_finish_wait - end a wait started by PVAPF_WAIT_SLEEP
 * @tt: table
 * @node: the waiter
 *
 * Mandatory before @node goes out of scope: it waits for a concurrent
 * waker to let go of @node.  If @node was not woken yet the wait is
 * cancelled and its token becomes an orphan.
 *
 * Return: the enum pvapf_tt_wake_reason, or 0 if cancelled.
 */
u32 pvapf_tt_finish_wait(struct pvapf_token_table *tt,
			 struct pvapf_tt_node *node)
{
	struct pvapf_tt_bucket *b = tt_bucket(tt, node->token);
	unsigned long flags;
	u32 reason;

	raw_spin_lock_irqsave(&b->lock, flags);
	reason = node->woken;
	if (!reason && !hlist_unhashed(&node->link)) {
		hlist_del_init(&node->link);
		atomic_long_dec(&tt->sleepers);
		tt_add_orphan(b, node->token);
	}
	raw_spin_unlock_irqrestore(&b->lock, flags);
	return reason;
}

/**
 * pvapf_tt_wake - READY: wake the task parked on @token
 * @tt: table
 * @token: token from the shared area's READY slot
 * @cpu: cpu the READY arrived on (the current cpu)
 *
 * PVAPF_TOKEN_WAKE_ALL wakes @cpu's sleepers.  Called from the READY
 * handler on @cpu, serialised with pvapf_tt_reclaim_emergency(@cpu).
 *
 * Return: an enum pvapf_wake_result; for PVAPF_WAKE_DEFERRED leave @token
 * in the slot un-ACKed and call again later, else clear the slot and ACK.
 */
enum pvapf_wake_result pvapf_tt_wake(struct pvapf_token_table *tt,
				     u32 token, int cpu)
{
	struct pvapf_tt_bucket *b;
	struct pvapf_tt_node *dummy;
	bool emergency = false;
	unsigned long flags;
	int res;

	if (token == PVAPF_TOKEN_WAKE_ALL) {
		pvapf_tt_wake_all(tt, cpu);
		return PVAPF_WAKE_ALL;
	}
	if (unlikely(token == PVAPF_TOKEN_NONE)) {
		atomic_long_inc(&tt->invalid_tokens);
		return PVAPF_WAKE_SPURIOUS;
	}
	b = tt_bucket(tt, token);
	raw_spin_lock_irqsave(&b->lock, flags);
	res = tt_wake_locked(tt, b, token);
	raw_spin_unlock_irqrestore(&b->lock, flags);
	if (res != TT_NOT_FOUND)
		return res;

	/* Wake-before-wait.  Allocate unlocked: raw locks forbid it on RT. */
	dummy = tt->ops->alloc_node(tt);

	raw_spin_lock_irqsave(&b->lock, flags);
	/* The task may have hashed itself while we allocated. */
	res = tt_wake_locked(tt, b, token);
	if (res == TT_NOT_FOUND) {
		if (dummy) {
			dummy->kind = PVAPF_TT_DUMMY;
			dummy->cpu = cpu;
		} else if (!WARN_ON_ONCE(!tt_cpu_valid(tt, cpu))) {
			dummy = tt_claim_emergency(tt, b, cpu);
			emergency = !!dummy;
		}
		if (dummy) {
			dummy->token = token;
			hlist_add_head(&dummy->link, &b->chain);
			tt_inc(&b->dummies);
			tt_inc(&b->ready);
			dummy = NULL;
			res = emergency ? PVAPF_WAKE_QUEUED_EMERGENCY :
					  PVAPF_WAKE_QUEUED;
		} else {
			res = PVAPF_WAKE_DEFERRED;
		}
	}
	raw_spin_unlock_irqrestore(&b->lock, flags);

	if (dummy)
		tt->ops->free_node(tt, dummy);
	if (res == PVAPF_WAKE_DEFERRED)
		atomic_long_inc(&tt->deferred_wakes);
	return res;
}

/**
 * pvapf_tt_wake_all - wake-all: wake sleepers whose NOT_PRESENT came on @cpu
 * @tt: table
 * @cpu: the cpu the wake-all arrived on
 *
 * For PVAPF_TOKEN_WAKE_ALL (see "Wake-all").  Dummies are kept: each
 * belongs to a task that already has its NOT_PRESENT and will consume it
 * on arrival.
 *
 * Return: number of tasks woken.
 */
unsigned int pvapf_tt_wake_all(struct pvapf_token_table *tt, int cpu)
{
	atomic_long_inc(&tt->wake_all);
	if (WARN_ON_ONCE(!tt_cpu_valid(tt, cpu)))
		return 0;
	return tt_wake_matching(tt, cpu, PVAPF_TT_WOKEN_ALL);
}

/**
 * pvapf_tt_wake_cpu - wake sleepers whose NOT_PRESENT came on @cpu
 * @tt: table
 * @cpu: the cpu
 *
 * For when APF stops on @cpu (offline, suspend, kexec, reboot, a pause):
 * the host will never send their READYs.  Call after APF is off there.
 *
 * Return: number of tasks woken.
 */
unsigned int pvapf_tt_wake_cpu(struct pvapf_token_table *tt, int cpu)
{
	if (WARN_ON_ONCE(!tt_cpu_valid(tt, cpu)))
		return 0;
	return tt_wake_matching(tt, cpu, PVAPF_TT_WOKEN_CPU);
}

/**
 * pvapf_tt_reclaim_emergency - end @cpu's APF pause without its consumer
 * @tt: table
 * @cpu: cpu whose emergency node may be out
 * @spare: a node from the env's allocator, e.g. allocated where it could
 *	sleep; the table keeps it only if this returns true
 *
 * Swaps @spare in for @cpu's hashed emergency node, returns that node and
 * resumes APF, without waiting for the node's consumer (which may never
 * come, see "Stale dummies").  Call serialised with pvapf_tt_wake(@cpu),
 * the only claimer of the node (kernel: on @cpu with irqs off), so its
 * token cannot change under us; that it is still hashed is checked under
 * its bucket's lock.
 *
 * Return: true if the emergency node was reclaimed (@spare is the table's
 * now); false if it was home or its consumer has it (free @spare).
 */
bool pvapf_tt_reclaim_emergency(struct pvapf_token_table *tt, int cpu,
				struct pvapf_tt_node *spare)
{
	struct pvapf_tt_node *e;
	struct pvapf_tt_bucket *b;
	unsigned long flags;
	bool swapped;

	if (WARN_ON_ONCE(!tt_cpu_valid(tt, cpu)))
		return false;
	if (!atomic_read(&tt->cpus[cpu].emergency_out))
		return false;

	e = &tt->cpus[cpu].emergency;
	b = tt_bucket(tt, e->token);
	raw_spin_lock_irqsave(&b->lock, flags);
	/* Not found: its consumer has it and will return it itself. */
	swapped = tt_find(b, e->token) == e;
	if (swapped) {
		spare->token = e->token;
		spare->cpu = cpu;
		spare->kind = PVAPF_TT_DUMMY;
		hlist_add_before(&spare->link, &e->link);
		hlist_del_init(&e->link);
	}
	raw_spin_unlock_irqrestore(&b->lock, flags);

	if (swapped)
		tt_return_emergency(tt, cpu);
	return swapped;
}

/**
 * pvapf_tt_walk_waiters - visit every task asleep in the table
 * @tt: table
 * @fn: called for each waiter with its bucket lock held and irqs off: must
 *	not sleep or call into the table; may write the node's env fields
 *	(@since, @reported), nothing else
 * @arg: passed to @fn
 *
 * For the env's watchdog: a lost READY leaves its task asleep with nothing
 * to show for it, so how long each sleeper has waited is the env's to
 * judge.  Dummies and emergency nodes are not visited.
 *
 * Return: number of waiters visited.
 */
unsigned int pvapf_tt_walk_waiters(struct pvapf_token_table *tt,
				   pvapf_tt_visit_fn fn, void *arg)
{
	unsigned int i, seen = 0;

	for (i = 0; i < (1U << tt->hash_bits); i++) {
		struct pvapf_tt_bucket *b = &tt->buckets[i];
		struct pvapf_tt_node *n;
		unsigned long flags;

		raw_spin_lock_irqsave(&b->lock, flags);
		hlist_for_each_entry(n, &b->chain, link) {
			if (n->kind != PVAPF_TT_WAITER)
				continue;
			fn(n, arg);
			seen++;
		}
		raw_spin_unlock_irqrestore(&b->lock, flags);
	}
	return seen;
}

/**
 * pvapf_tt_read_counters - snapshot the statistics
 * @tt: table
 * @out: filled in; see struct pvapf_tt_counters
 */
void pvapf_tt_read_counters(struct pvapf_token_table *tt,
			    struct pvapf_tt_counters *out)
{
	unsigned long spurious = 0;
	unsigned int i;
	long sleepers;

	*out = (struct pvapf_tt_counters){ 0 };
	for (i = 0; i < (1U << tt->hash_bits); i++) {
		struct pvapf_tt_bucket *b = &tt->buckets[i];

		out->not_present += READ_ONCE(b->not_present);
		out->ready += READ_ONCE(b->ready);
		out->woken_before_wait += READ_ONCE(b->woken_before_wait);
		out->dummies_current += READ_ONCE(b->dummies);
		out->late_readies += READ_ONCE(b->late);
		spurious += READ_ONCE(b->spurious);
	}
	sleepers = atomic_long_read(&tt->sleepers);
	out->sleepers_current = sleepers > 0 ? sleepers : 0;
	out->sleepers_peak = atomic_long_read(&tt->sleepers_peak);
	out->emergency_uses = atomic_long_read(&tt->emergency_uses);
	out->paused_periods = atomic_long_read(&tt->paused_periods);
	out->wake_all = atomic_long_read(&tt->wake_all);
	out->deferred_wakes = atomic_long_read(&tt->deferred_wakes);
	out->spurious_tokens = spurious +
			       atomic_long_read(&tt->invalid_tokens);
}
