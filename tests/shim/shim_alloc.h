/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the allocator behind kmalloc() and friends, with
 * deterministic fault injection and leak accounting.
 *
 * Injection is a pattern over the global sequence of allocation calls
 * whose gfp flags match a mask: call k (0-based) fails when
 * k % period < fail_count.  So period 4, count 3 fails three calls in
 * four; period 1024, count 512 fails bursts of 512 in a row.  Which
 * caller gets call k varies between runs, the failure rate and burst
 * shape do not.
 */
#ifndef _PVAPF_SHIM_ALLOC_H
#define _PVAPF_SHIM_ALLOC_H

#include <stddef.h>

typedef unsigned int gfp_t;

#define GFP_KERNEL	0x01u
#define GFP_ATOMIC	0x02u
#define GFP_NOWAIT	0x04u
#define __GFP_ZERO	0x100u

struct shim_alloc_stats {
	long calls;		/* allocation calls made */
	long injected;		/* of which failed by injection */
	long live;		/* allocated and not yet freed */
};

void *shim_alloc(size_t size, gfp_t gfp);
void shim_free(const void *p);

/* Fail matching calls per the pattern above; count 0 turns it off. */
void shim_alloc_inject(gfp_t mask, unsigned long period,
		       unsigned long fail_count);
void shim_alloc_inject_off(void);
void shim_alloc_read_stats(struct shim_alloc_stats *out);

#endif /* _PVAPF_SHIM_ALLOC_H */
