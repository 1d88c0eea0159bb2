/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: WARN/BUG that count and report instead of oopsing. */
#ifndef _PVAPF_SHIM_LINUX_BUG_H
#define _PVAPF_SHIM_LINUX_BUG_H

#include <stdlib.h>
#include "shim_diag.h"

#define WARN_ON(condition) __extension__ ({				\
	int __ret_warn_on = !!(condition);				\
	if (__ret_warn_on)						\
		shim_warn(__FILE__, __LINE__, #condition, 1);		\
	__ret_warn_on;							\
})

#define WARN_ON_ONCE(condition) __extension__ ({			\
	static int __warned;						\
	int __ret_warn_once = !!(condition);				\
	if (__ret_warn_once)						\
		shim_warn(__FILE__, __LINE__, #condition,		\
			  !__atomic_exchange_n(&__warned, 1,		\
					       __ATOMIC_RELAXED));	\
	__ret_warn_once;						\
})

#define BUG_ON(condition) do {						\
	if (condition) {						\
		shim_warn(__FILE__, __LINE__, #condition, 1);		\
		abort();						\
	}								\
} while (0)

#define BUILD_BUG_ON(condition) \
	_Static_assert(!(condition), "BUILD_BUG_ON(" #condition ")")

#endif /* _PVAPF_SHIM_LINUX_BUG_H */
