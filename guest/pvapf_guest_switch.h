/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_guest_switch.h - who switches a cpu's APF back on.
 *
 * A cpu runs with APF off while it is down (offline, suspended) or paused
 * (its emergency node is out).  Two events can end that, on different
 * cpus and in either order: the cpu coming up (on it) and its emergency
 * node coming home (on any cpu).  Each side stores its own fact, then,
 * after a full barrier, loads the other's: of two racing sides at least
 * one sees both facts and has APF switched on, so neither can leave it off
 * for good.  The MSR writes stay with the caller (pvapf_guest_cpu.c); this
 * header is kernel-agnostic so the userspace tests race the same code.
 */
#ifndef _PVAPF_GUEST_SWITCH_H
#define _PVAPF_GUEST_SWITCH_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>

/* Between a side's store and its load; the tests widen it, nothing else does. */
#ifndef pvapf_switch_window
#define pvapf_switch_window()	do { } while (0)
#endif

/**
 * struct pvapf_switch - one cpu's APF on/off state
 * @enabled: PVAPF_MSR_EN has ENABLED set on the cpu (written only there)
 * @paused: the cpu's emergency node is out; APF stays off until it returns
 * @down: offline, suspended or shutting down; only pvapf_switch_up()
 *	clears it
 */
struct pvapf_switch {
	bool enabled;
	bool paused;
	bool down;
};

/* On the cpu, irqs off: may it switch APF on now? */
static inline bool pvapf_switch_may_start(const struct pvapf_switch *s)
{
	return !READ_ONCE(s->paused) && !READ_ONCE(s->down) &&
	       !READ_ONCE(s->enabled);
}

/*
 * The cpu is up again (on it, irqs off).  True: switch APF on now.  False
 * and still paused: the pause's end (its work or its node's consumer) has
 * it switched on.
 */
static inline bool pvapf_switch_up(struct pvapf_switch *s)
{
	WRITE_ONCE(s->down, false);
	/* Pairs with pvapf_switch_resume(): one of us sees both stores. */
	smp_mb();
	pvapf_switch_window();
	return pvapf_switch_may_start(s);
}

/*
 * The emergency node came home (any cpu).  True: have the cpu switch APF on
 * (pvapf_switch_may_start() there); false: it is down and will on coming up.
 */
static inline bool pvapf_switch_resume(struct pvapf_switch *s)
{
	WRITE_ONCE(s->paused, false);
	/* Pairs with pvapf_switch_up(). */
	smp_mb();
	pvapf_switch_window();
	return !READ_ONCE(s->down);
}

#endif /* _PVAPF_GUEST_SWITCH_H */
