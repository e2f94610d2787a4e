/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt: trace events, one at the end of each dump and each restore, with
 * where its time went (struct ckpt_times): what make bench shows per phase.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ckpt

#if !defined(_CKPT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CKPT_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(ckpt_call,

	TP_PROTO(pid_t pid, unsigned int flags, long ret, u64 bytes,
		 const struct ckpt_times *t),

	TP_ARGS(pid, flags, ret, bytes, t),

	TP_STRUCT__entry(
		__field(pid_t,		pid)
		__field(unsigned int,	flags)
		__field(long,		ret)
		__field(u64,		bytes)
		__field(u64,		total)
		__field(u64,		stop)
		__field(u64,		held)
		__field(u64,		mm)
		__field(u64,		io)
		__field(u64,		hash)
		__field(u64,		commit)
	),

	TP_fast_assign(
		__entry->pid	= pid;
		__entry->flags	= flags;
		__entry->ret	= ret;
		__entry->bytes	= bytes;
		__entry->total	= t->total;
		__entry->stop	= t->stop;
		__entry->held	= t->held;
		__entry->mm	= t->mm;
		__entry->io	= t->io;
		__entry->hash	= t->hash;
		__entry->commit	= t->commit;
	),

	TP_printk("pid=%d flags=%#x ret=%ld bytes=%llu total_ns=%llu stop_ns=%llu held_ns=%llu mm_ns=%llu io_ns=%llu hash_ns=%llu commit_ns=%llu",
		  __entry->pid, __entry->flags, __entry->ret, __entry->bytes,
		  __entry->total, __entry->stop, __entry->held, __entry->mm,
		  __entry->io, __entry->hash, __entry->commit)
);

/*
 * ckpt_dump - a ckpt_dump() of @pid (a global pid) returned @ret, @bytes
 * of image written; ckpt_restore - a ckpt_restore() of @pid (the caller,
 * or the process rolled back in place) returned @ret, @bytes of image
 * read.  Times are in ns; only calls that start while the event is
 * enabled report.
 */
DEFINE_EVENT(ckpt_call, ckpt_dump,
	TP_PROTO(pid_t pid, unsigned int flags, long ret, u64 bytes,
		 const struct ckpt_times *t),
	TP_ARGS(pid, flags, ret, bytes, t)
);

DEFINE_EVENT(ckpt_call, ckpt_restore,
	TP_PROTO(pid_t pid, unsigned int flags, long ret, u64 bytes,
		 const struct ckpt_times *t),
	TP_ARGS(pid, flags, ret, bytes, t)
);

#endif /* _CKPT_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
