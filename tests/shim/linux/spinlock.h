/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: raw spinlocks with the kernel's irqsave signature.
 *
 * A pthread mutex stands in for the spinning lock: tests run more threads
 * than cores, and a preempted holder would make real spinners burn whole
 * time slices.  "irqs off" is a per-thread flag so code can assert it,
 * and the lock records its owner for lockdep_assert_held().
 */
#ifndef _PVAPF_SHIM_LINUX_SPINLOCK_H
#define _PVAPF_SHIM_LINUX_SPINLOCK_H

#include <pthread.h>
#include <stdlib.h>
#include "shim_diag.h"

typedef struct {
	pthread_mutex_t mutex;
	unsigned long owner;	/* shim_thread_id() of the holder, or 0 */
} raw_spinlock_t;

unsigned long shim_thread_id(void);
unsigned long shim_local_irq_save(void);
void shim_local_irq_restore(unsigned long flags);
int irqs_disabled(void);

static inline void raw_spin_lock_init(raw_spinlock_t *lock)
{
	pthread_mutex_init(&lock->mutex, NULL);
	lock->owner = 0;
}

static inline void shim_raw_spin_lock(raw_spinlock_t *lock)
{
	pthread_mutex_lock(&lock->mutex);
	__atomic_store_n(&lock->owner, shim_thread_id(), __ATOMIC_RELAXED);
}

static inline void shim_raw_spin_unlock(raw_spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock->mutex);
}

#define raw_spin_lock_irqsave(lock, flags) do {				\
	(flags) = shim_local_irq_save();				\
	shim_raw_spin_lock(lock);					\
} while (0)

#define raw_spin_unlock_irqrestore(lock, flags) do {			\
	shim_raw_spin_unlock(lock);					\
	shim_local_irq_restore(flags);					\
} while (0)

#define lockdep_assert_held(lock) do {					\
	if (__atomic_load_n(&(lock)->owner, __ATOMIC_RELAXED) !=	\
	    shim_thread_id()) {						\
		shim_warn(__FILE__, __LINE__,				\
			  "lockdep_assert_held(" #lock ")", 1);		\
		abort();						\
	}								\
} while (0)

#endif /* _PVAPF_SHIM_LINUX_SPINLOCK_H */
