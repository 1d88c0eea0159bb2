/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kmalloc family on the fault-injecting shim allocator. */
#ifndef _PVAPF_SHIM_LINUX_SLAB_H
#define _PVAPF_SHIM_LINUX_SLAB_H

#include <stddef.h>
#include "shim_alloc.h"

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return shim_alloc(size, gfp | __GFP_ZERO);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > (size_t)-1 / size)
		return NULL;
	return shim_alloc(n * size, gfp | __GFP_ZERO);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kcalloc(n, size, gfp);
}

static inline void kfree(const void *p)
{
	shim_free(p);
}

static inline void kvfree(const void *p)
{
	shim_free(p);
}

#endif /* _PVAPF_SHIM_LINUX_SLAB_H */
