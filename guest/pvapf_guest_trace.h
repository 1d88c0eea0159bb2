/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_guest_trace.h - tracepoints of the pvapf guest (events/pvapf_guest/).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pvapf_guest

#if !defined(_PVAPF_GUEST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PVAPF_GUEST_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(pvapf_not_present,
	    TP_PROTO(u32 token, int cpu),
	    TP_ARGS(token, cpu),
	    TP_STRUCT__entry(__field(u32, token)
			     __field(int, cpu)),
	    TP_fast_assign(__entry->token = token;
			   __entry->cpu = cpu;),
	    TP_printk("token %#x cpu %d", __entry->token, __entry->cpu)
);

TRACE_EVENT(pvapf_ready,
	    TP_PROTO(u32 token, int cpu, int result),
	    TP_ARGS(token, cpu, result),
	    TP_STRUCT__entry(__field(u32, token)
			     __field(int, cpu)
			     __field(int, result)),
	    TP_fast_assign(__entry->token = token;
			   __entry->cpu = cpu;
			   __entry->result = result;),
	    TP_printk("token %#x cpu %d result %d", __entry->token, __entry->cpu,
		      __entry->result)
);

/* APF switched off on @cpu: for a pause, or because the cpu goes down. */
TRACE_EVENT(pvapf_apf_off,
	    TP_PROTO(int cpu, bool pause),
	    TP_ARGS(cpu, pause),
	    TP_STRUCT__entry(__field(int, cpu)
			     __field(bool, pause)
			     __field(bool, hardirq)),
	    TP_fast_assign(__entry->cpu = cpu;
			   __entry->pause = pause;
			   __entry->hardirq = in_hardirq();),
	    TP_printk("cpu %d why %s hardirq %d", __entry->cpu,
		      __entry->pause ? "pause" : "down", __entry->hardirq)
);

#endif /* _PVAPF_GUEST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pvapf_guest_trace
#include <trace/define_trace.h>
