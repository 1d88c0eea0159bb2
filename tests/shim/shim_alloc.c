// SPDX-License-Identifier: GPL-2.0
/* Userspace shim: fault-injecting allocator (see shim_alloc.h). */
#include <stdlib.h>
#include <string.h>

#include "shim_alloc.h"

/*
 * Cache-line alignment for every block: types marked
 * ____cacheline_aligned_in_smp must really be aligned or UBSan objects.
 */
#define SHIM_ALLOC_ALIGN 64

static struct {
	gfp_t mask;
	unsigned long period;
	unsigned long fail_count;
	unsigned long seq;
} inject;

static struct shim_alloc_stats stats;

static int should_fail(gfp_t gfp)
{
	unsigned long period, count, k;

	if (!(gfp & __atomic_load_n(&inject.mask, __ATOMIC_ACQUIRE)))
		return 0;
	period = __atomic_load_n(&inject.period, __ATOMIC_RELAXED);
	count = __atomic_load_n(&inject.fail_count, __ATOMIC_RELAXED);
	if (!period || !count)
		return 0;
	k = __atomic_fetch_add(&inject.seq, 1, __ATOMIC_RELAXED);
	return k % period < count;
}

void *shim_alloc(size_t size, gfp_t gfp)
{
	size_t rounded = (size + SHIM_ALLOC_ALIGN - 1) &
			 ~(size_t)(SHIM_ALLOC_ALIGN - 1);
	void *p;

	__atomic_fetch_add(&stats.calls, 1, __ATOMIC_RELAXED);
	if (should_fail(gfp)) {
		__atomic_fetch_add(&stats.injected, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	p = aligned_alloc(SHIM_ALLOC_ALIGN, rounded ? rounded :
			  SHIM_ALLOC_ALIGN);
	if (!p)
		return NULL;
	if (gfp & __GFP_ZERO)
		memset(p, 0, rounded);
	__atomic_fetch_add(&stats.live, 1, __ATOMIC_RELAXED);
	return p;
}

void shim_free(const void *p)
{
	if (!p)
		return;
	__atomic_fetch_sub(&stats.live, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

void shim_alloc_inject(gfp_t mask, unsigned long period,
		       unsigned long fail_count)
{
	__atomic_store_n(&inject.mask, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&inject.period, period, __ATOMIC_RELAXED);
	__atomic_store_n(&inject.fail_count, fail_count, __ATOMIC_RELAXED);
	__atomic_store_n(&inject.seq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&inject.mask, fail_count ? mask : 0,
			 __ATOMIC_RELEASE);
}

void shim_alloc_inject_off(void)
{
	__atomic_store_n(&inject.mask, 0, __ATOMIC_RELEASE);
}

void shim_alloc_read_stats(struct shim_alloc_stats *out)
{
	out->calls = __atomic_load_n(&stats.calls, __ATOMIC_RELAXED);
	out->injected = __atomic_load_n(&stats.injected, __ATOMIC_RELAXED);
	out->live = __atomic_load_n(&stats.live, __ATOMIC_RELAXED);
}
