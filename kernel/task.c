// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: a thread: its name, signal mask, alternate signal stack, futex
 * addresses and, through regs-$(ARCH).c, its registers.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/capability.h>
#include <linux/freezer.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/time_namespace.h>
#include <linux/user_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ptrace.h>
#include <linux/uaccess.h>
#include <uapi/linux/rseq.h>

#include "internal.h"

/**
 * ckpt_dump_thread - write the THREAD and REGS records of the current task
 * @ctx: the context
 * @t: the task: current
 * @in_dump: @t is in its own ckpt_dump() call, else parked
 *
 * A parked task interrupted in sigsuspend(), ppoll() or pselect() has a
 * temporary signal mask; the image has the mask it will get back, since
 * the call is made again on restore.
 *
 * Context: process context, the task's own.
 * Return: 0, -EOPNOTSUPP for state that cannot be restored, or -errno.
 */
int ckpt_dump_thread(struct ckpt_ctx *ctx, struct task_struct *t, bool in_dump)
{
	struct ckpt_thread rec = { };
	int err;

	err = ckpt_arch_check_task(t);
	if (err)
		return err;
#ifdef CONFIG_SECCOMP
	/* Per thread: each may have its own filters. */
	if (t->seccomp.mode != SECCOMP_MODE_DISABLED)
		return ckpt_refuse_task(t, "seccomp filters");
#endif
	rec.tid = task_pid_vnr(t);
	if (!in_dump && test_restore_sigmask())
		rec.sigmask = ckpt_sigset_to_u64(&t->saved_sigmask);
	else
		rec.sigmask = ckpt_sigset_to_u64(&t->blocked);
	if (t->sas_ss_size) {
		rec.sas_sp = t->sas_ss_sp;
		rec.sas_size = t->sas_ss_size;
		rec.sas_flags = t->sas_ss_flags;
	}
#ifdef CONFIG_FUTEX
	rec.robust_list = (unsigned long)t->robust_list;
#endif
	rec.clear_child_tid = (unsigned long)t->clear_child_tid;
#ifdef CONFIG_RSEQ
	if (t->rseq) {
		rec.rseq = (unsigned long)t->rseq;
		rec.rseq_sig = t->rseq_sig;
		rec.rseq_len = sizeof(*t->rseq);
	}
#endif
	get_task_comm(rec.comm, t);

	err = ckpt_write_rec(ctx, CKPT_REC_THREAD, &rec, sizeof(rec));
	if (err)
		return err;
	return ckpt_arch_dump_regs(ctx, in_dump);
}

/**
 * ckpt_thread_recs_size - the bytes of one thread's THREAD and REGS records
 *
 * What a parked thread needs to build its records in memory: a few KiB,
 * not the most a REGS record may hold, since thousands may park at once.
 */
size_t ckpt_thread_recs_size(void)
{
	return 2 * sizeof(struct ckpt_rec_hdr) + ALIGN(sizeof(struct ckpt_thread), 8) +
	       ALIGN(ckpt_arch_regs_size(), 8);
}

/**
 * struct ckpt_thread_stage - a thread of the image, staged
 * @thread: its THREAD record
 * @regs: its REGS payload
 * @regs_len: its bytes
 * @set_tid: the tid to ask copy_process() for, 0 for any (decided before
 *	     the point of no return)
 */
struct ckpt_thread_stage {
	struct ckpt_thread thread;
	void *regs;
	size_t regs_len;
	pid_t set_tid;
};

struct ckpt_task_stage {
	struct ckpt_thread_stage *th;
	unsigned int nr;
	unsigned int max;
};

/**
 * ckpt_stage_task_alloc - start staging the threads of an image
 *
 * Return: the stage, or NULL when out of memory.
 */
struct ckpt_task_stage *ckpt_stage_task_alloc(void)
{
	return kzalloc(sizeof(struct ckpt_task_stage), GFP_KERNEL);
}

/**
 * ckpt_stage_task_free - drop staged threads
 * @st: the stage, or NULL
 */
void ckpt_stage_task_free(struct ckpt_task_stage *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < st->nr; i++)
		kvfree(st->th[i].regs);
	kvfree(st->th);
	kfree(st);
}

static int ckpt_check_thread(const struct ckpt_thread *t)
{
	if (!t->tid || t->tid > PID_MAX_LIMIT || !memchr(t->comm, 0, sizeof(t->comm)))
		return -EINVAL;
	if (t->sas_size) {
		if (t->sas_flags & ~SS_FLAG_BITS || t->sas_size < MINSIGSTKSZ ||
		    t->sas_sp != (unsigned long)t->sas_sp ||
		    t->sas_size != (unsigned long)t->sas_size ||
		    t->sas_sp + t->sas_size < t->sas_sp)
			return -EINVAL;
	} else if (t->sas_sp || t->sas_flags) {
		return -EINVAL;
	}
	if (t->robust_list != (unsigned long)t->robust_list ||
	    t->clear_child_tid != (unsigned long)t->clear_child_tid)
		return -EINVAL;
	if (!t->rseq)
		return t->rseq_len || t->rseq_sig ? -EINVAL : 0;
	/* What sys_rseq() would accept; without CONFIG_RSEQ, nothing. */
	if (!IS_ENABLED(CONFIG_RSEQ) || t->rseq_len != sizeof(struct rseq) ||
	    !IS_ALIGNED(t->rseq, __alignof__(struct rseq)) ||
	    t->rseq != (unsigned long)t->rseq ||
	    !access_ok(u64_to_user_ptr(t->rseq), t->rseq_len))
		return -EINVAL;
	return 0;
}

static int ckpt_stage_thread(struct ckpt_task_stage *st,
			     const struct ckpt_thread *t)
{
	unsigned int i;
	int err;

	err = ckpt_check_thread(t);
	if (err)
		return err;
	for (i = 0; i < st->nr; i++)
		if (st->th[i].thread.tid == t->tid || !st->th[i].regs)
			return -EINVAL;
	if (st->nr == st->max) {
		if (st->max >= CKPT_MAX_THREADS)
			return -EINVAL;
		if (ckpt_grow((void **)&st->th, &st->max, sizeof(*st->th)))
			return -ENOMEM;
	}
	memset(&st->th[st->nr], 0, sizeof(*st->th));
	st->th[st->nr++].thread = *t;
	return 0;
}

/**
 * ckpt_stage_task_rec - take a THREAD or REGS record
 * @ctx: the context
 * @st: the stage
 * @h: the record's header
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one.
 */
int ckpt_stage_task_rec(struct ckpt_ctx *ctx, struct ckpt_task_stage *st,
			const struct ckpt_rec_hdr *h)
{
	struct ckpt_thread t;
	int err;

	if (h->type == CKPT_REC_THREAD) {
		err = ckpt_read(ctx, &t, sizeof(t));
		if (err || h->len != sizeof(t))
			return ckpt_rec_fail(ctx, h, -EINVAL);
		err = ckpt_read_rec_end(ctx, h);
		if (err)
			return err;
		return ckpt_stage_thread(st, &t);
	}
	if (h->type == CKPT_REC_REGS) {
		struct ckpt_thread_stage *ts = st->nr ? &st->th[st->nr - 1] : NULL;
		void *regs = ckpt_read_payload(ctx, h, 1, CKPT_REGS_MAX);

		if (IS_ERR(regs))
			return PTR_ERR(regs);
		if (!ts || ts->regs) {
			kvfree(regs);
			return -EINVAL;
		}
		ts->regs = regs;
		ts->regs_len = h->len;
		return ckpt_arch_check_regs(regs, h->len);
	}
	return ckpt_rec_fail(ctx, h, -EINVAL);
}

/**
 * ckpt_stage_task_finish - check the staged threads are complete
 * @st: the stage
 * @proc: the staged process-wide state
 * @sig: the staged signals
 *
 * Return: 0, or -EINVAL if the threads are not those the PROC record
 * announces, with their registers, the group leader first, or a pending
 * signal names another thread.
 */
int ckpt_stage_task_finish(struct ckpt_task_stage *st,
			   struct ckpt_proc_stage *proc,
			   struct ckpt_signal_stage *sig)
{
	const struct ckpt_proc *p = ckpt_stage_proc(proc);
	unsigned int i;
	u32 *tids;
	int err;

	if (!st->nr || st->nr != p->nr_threads || !st->th[st->nr - 1].regs ||
	    st->th[0].thread.tid != p->pid)
		return -EINVAL;
	tids = kvmalloc_array(st->nr, sizeof(*tids), GFP_KERNEL);
	if (!tids)
		return -ENOMEM;
	for (i = 0; i < st->nr; i++)
		tids[i] = st->th[i].thread.tid;
	err = ckpt_stage_signal_finish(sig, tids, st->nr);
	kvfree(tids);
	return err;
}

/* The per-thread state that clone() resets or copies from its parent. */
static void ckpt_set_thread(struct task_struct *tsk, const struct ckpt_thread *t)
{
	sigset_t blocked;

	ckpt_u64_to_sigset(t->sigmask, &blocked);
	sigdelsetmask(&blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
	if (tsk == current) {
		set_current_blocked(&blocked);
	} else {
		/* Not started yet: nothing else looks at it. */
		tsk->blocked = blocked;
	}
	tsk->sas_ss_sp = t->sas_sp;
	tsk->sas_ss_size = t->sas_size;
	tsk->sas_ss_flags = t->sas_flags;
#ifdef CONFIG_FUTEX
	tsk->robust_list = u64_to_user_ptr(t->robust_list);
#endif
	tsk->clear_child_tid = u64_to_user_ptr(t->clear_child_tid);
#ifdef CONFIG_RSEQ
	/* The restorer's registration points into the old mm: replace it. */
	tsk->rseq = u64_to_user_ptr(t->rseq);
	tsk->rseq_sig = t->rseq_sig;
	tsk->rseq_event_mask = 0;
	rseq_set_notify_resume(tsk);
#endif
	__set_task_comm(tsk, t->comm, false);
}

/**
 * ckpt_stage_task_precommit - can every thread of the image be created?
 * @st: the stage
 * @proc: the staged process-wide state
 *
 * What copy_process(CLONE_THREAD) would refuse after the point of no
 * return, checked in the task that will create the threads, before it:
 * a pid or time namespace unshared for children, RLIMIT_NPROC (the
 * image's limit; de_thread() releases the other threads first) and which
 * tids alloc_pid() would take.  Another process of the same user may still
 * fork meanwhile: then the thread fails as a fork would.
 *
 * Context: the committing task, before de_thread().
 * Return: 0, -EINVAL for a namespace clone() refuses threads in, -EAGAIN
 * over RLIMIT_NPROC.
 */
int ckpt_stage_task_precommit(struct ckpt_task_stage *st,
			      struct ckpt_proc_stage *proc)
{
	struct task_struct *me = current;
	struct nsproxy *ns = me->nsproxy;
	struct pid_namespace *pid_ns = task_active_pid_ns(me);
	unsigned long nr = st->nr - 1;
	bool may_set_tid;
	unsigned int i;

	if (!nr)
		return 0;
	if (pid_ns != ns->pid_ns_for_children ||
	    ns->time_ns != ns->time_ns_for_children)
		return -EINVAL;
	if (me->real_cred->user != INIT_USER && !capable(CAP_SYS_RESOURCE) &&
	    !capable(CAP_SYS_ADMIN)) {
		long now = get_rlimit_value(task_ucounts(me), UCOUNT_RLIMIT_NPROC) -
			   (get_nr_threads(me) - 1);

		if (now + nr > ckpt_stage_proc_rlimit(proc, RLIMIT_NPROC))
			return -EAGAIN;
	}
	/* alloc_pid(): set_tid below pid_max, with the capability. */
	may_set_tid = checkpoint_restore_ns_capable(pid_ns->user_ns);
	for (i = 1; i < st->nr; i++) {
		u32 tid = st->th[i].thread.tid;

		st->th[i].set_tid = may_set_tid && tid < READ_ONCE(pid_max) ?
				    tid : 0;
	}
	return 0;
}

/*
 * copy_process() fails with -ERESTARTNOINTR on a signal the creating task
 * does not block: the committing task blocks them all, but SIGSTOP cannot
 * be blocked.  One that comes meanwhile is taken off and sent again once
 * the threads exist, as if it had come a moment later.
 */
static bool ckpt_hold_sigstop(void)
{
	kernel_siginfo_t info;
	enum pid_type type;
	sigset_t mask;
	int sig;

	siginitsetinv(&mask, sigmask(SIGSTOP));
	spin_lock_irq(&current->sighand->siglock);
	sig = dequeue_signal(current, &mask, &info, &type);
	spin_unlock_irq(&current->sighand->siglock);
	return sig == SIGSTOP;
}

/* create_user_thread() for @tid, or any tid if @tid is taken meanwhile. */
static struct task_struct *ckpt_create_thread(pid_t tid, bool *stop)
{
	struct task_struct *p;

	for (;;) {
		p = create_user_thread(tid);
		if (tid && PTR_ERR(p) == -EEXIST) {
			tid = 0;
			continue;
		}
		if (PTR_ERR(p) != -ERESTARTNOINTR || fatal_signal_pending(current))
			return p;
		if (ckpt_hold_sigstop())
			*stop = true;
		else if (!try_to_freeze())
			return p;
	}
}

/*
 * A thread of the image other than the first: load its user state into the
 * current task, then clone it from there.
 */
static int ckpt_commit_thread(const struct ckpt_thread_stage *ts,
			      struct ckpt_signal_stage *sig, bool *stop)
{
	struct task_struct *p;
	struct pt_regs *regs;
	int err;

	ckpt_arch_restore_regs(ts->regs, ts->regs_len);
	p = ckpt_create_thread(ts->set_tid, stop);
	if (IS_ERR(p))
		return PTR_ERR(p);
	/* copy_thread() zeroed the return register: all of them, as loaded. */
	regs = current_pt_regs();
	*task_pt_regs(p) = *regs;
	ckpt_set_thread(p, &ts->thread);
	err = ckpt_commit_signals(sig, p, ts->thread.tid);
	wake_up_new_task(p);
	return err;
}

/**
 * ckpt_commit_threads - give the current task and new threads the image's
 * @st: the stage
 * @proc: the staged process-wide state
 * @sig: the staged signals
 * @retval: set to the value the current task's interrupted call returns
 *
 * Called after the point of no return, on the new mm, by the only thread
 * of the process, once ckpt_commit_handlers() has installed the handlers.  The
 * first thread of the image becomes the current task; the others are
 * created while the current task blocks every signal.  Then the pending
 * signals are queued, the interval timers armed, and a process stopped
 * at the checkpoint stops again.
 *
 * Context: process context, the task's own.
 * Return: 0, or -errno if a thread could not be created or a signal not
 * queued (the caller then kills the process).
 */
int ckpt_commit_threads(struct ckpt_task_stage *st,
			struct ckpt_proc_stage *proc,
			struct ckpt_signal_stage *sig, long *retval)
{
	bool stop = ckpt_stage_proc(proc)->flags & CKPT_PROC_STOPPED;
	sigset_t all;
	unsigned int i;
	int err;

	sigfillset(&all);
	set_current_blocked(&all);
	for (i = 1; i < st->nr; i++) {
		err = ckpt_commit_thread(&st->th[i], sig, &stop);
		if (err)
			return err;
	}
	ckpt_set_thread(current, &st->th[0].thread);
	err = ckpt_commit_signals(sig, current, st->th[0].thread.tid);
	if (!err)
		err = ckpt_commit_signals(sig, current, 0);
	if (err)
		return err;
	ckpt_commit_timers(proc);
	if (stop)
		send_sig_info(SIGSTOP, SEND_SIG_PRIV, current);
	*retval = ckpt_arch_restore_regs(st->th[0].regs, st->th[0].regs_len);
	return 0;
}
