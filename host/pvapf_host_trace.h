/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvapf_host_trace.h - tracepoints of the pvapf host (events/pvapf_host/).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pvapf_host

#if !defined(_PVAPF_HOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PVAPF_HOST_TRACE_H

#include <linux/tracepoint.h>

#include "pvapf_host_internal.h"

/*
 * The format file names the sync reasons by enum constant: these give tools
 * the values, one per PVAPF_HOST_SYNC_REASONS entry (a macro cannot make
 * them from the list: each needs its own ';').
 */
TRACE_DEFINE_ENUM(PVAPF_DECIDE_POLICY_OFF);
TRACE_DEFINE_ENUM(PVAPF_DECIDE_CANNOT_DELIVER);
TRACE_DEFINE_ENUM(PVAPF_DECIDE_QUEUE_FULL);
TRACE_DEFINE_ENUM(PVAPF_DECIDE_REPEATED);
TRACE_DEFINE_ENUM(PVAPF_DECIDE_ADAPTIVE);
TRACE_DEFINE_ENUM(PVAPF_DECIDE_NOMEM);

TRACE_EVENT(pvapf_host_not_present,
	    TP_PROTO(unsigned int vcpu_id, u32 token, u64 gpa),
	    TP_ARGS(vcpu_id, token, gpa),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u32, token)
			     __field(u64, gpa)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->token = token;
			   __entry->gpa = gpa;),
	    TP_printk("vcpu %u token %#x gpa %#llx", __entry->vcpu_id,
		      __entry->token, __entry->gpa)
);

TRACE_EVENT(pvapf_host_ready,
	    TP_PROTO(unsigned int vcpu_id, u32 token, u64 gpa, u64 swapin_ns),
	    TP_ARGS(vcpu_id, token, gpa, swapin_ns),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u32, token)
			     __field(u64, gpa)
			     __field(u64, swapin_ns)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->token = token;
			   __entry->gpa = gpa;
			   __entry->swapin_ns = swapin_ns;),
	    TP_printk("vcpu %u token %#x gpa %#llx swapin_ns %llu", __entry->vcpu_id,
		      __entry->token, __entry->gpa, __entry->swapin_ns)
);

#define PVAPF_SYNC(id, name)	{ PVAPF_DECIDE_##id, #name }
TRACE_EVENT(pvapf_host_sync,
	    TP_PROTO(unsigned int vcpu_id, u64 gpa, int reason),
	    TP_ARGS(vcpu_id, gpa, reason),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u64, gpa)
			     __field(int, reason)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->gpa = gpa;
			   __entry->reason = reason;),
	    TP_printk("vcpu %u gpa %#llx reason %s", __entry->vcpu_id, __entry->gpa,
		      __print_symbolic(__entry->reason, PVAPF_HOST_SYNC_REASONS))
);

#undef PVAPF_SYNC

/* An adaptive decision with its inputs, so a test can check each against the rule. */
TRACE_EVENT(pvapf_host_adaptive,
	    TP_PROTO(unsigned int vcpu_id, u64 swapin_ewma_ns, u64 round_trip_ns,
		     unsigned int sync_run, bool async),
	    TP_ARGS(vcpu_id, swapin_ewma_ns, round_trip_ns, sync_run, async),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u64, swapin_ewma_ns)
			     __field(u64, round_trip_ns)
			     __field(unsigned int, sync_run)
			     __field(bool, async)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->swapin_ewma_ns = swapin_ewma_ns;
			   __entry->round_trip_ns = round_trip_ns;
			   __entry->sync_run = sync_run;
			   __entry->async = async;),
	    TP_printk("vcpu %u swapin_ewma_ns %llu round_trip_ns %llu sync_run %u async %d",
		      __entry->vcpu_id, __entry->swapin_ewma_ns, __entry->round_trip_ns,
		      __entry->sync_run, __entry->async)
);

TRACE_EVENT(pvapf_host_bad_msr,
	    TP_PROTO(unsigned int vcpu_id, u32 msr, u64 data, const char *why),
	    TP_ARGS(vcpu_id, msr, data, why),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u32, msr)
			     __field(u64, data)
			     __string(why, why)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->msr = msr;
			   __entry->data = data;
			   __assign_str(why);),
	    TP_printk("vcpu %u msr %#x data %#llx: %s", __entry->vcpu_id,
		      __entry->msr, __entry->data, __get_str(why))
);

#endif /* _PVAPF_HOST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pvapf_host_trace
#include <trace/define_trace.h>
