// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: a thread: its name, signal mask, alternate signal stack, futex
 * addresses and, through regs-$(ARCH).c, its registers.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/rseq.h>

#include "internal.h"

/* The most REGS payload any architecture writes (x86 XSAVE included). */
#define CKPT_REGS_MAX		(64 * 1024)

static u64 ckpt_sigset_to_u64(const sigset_t *set)
{
	u64 mask = 0;
	int i;

	BUILD_BUG_ON(_NSIG > 64);
	for (i = 0; i < _NSIG_WORDS; i++)
		mask |= (u64)set->sig[i] << (i * _NSIG_BPW);
	return mask;
}

static void ckpt_u64_to_sigset(u64 mask, sigset_t *set)
{
	int i;

	for (i = 0; i < _NSIG_WORDS; i++)
		set->sig[i] = mask >> (i * _NSIG_BPW);
}

/**
 * ckpt_dump_thread - write the THREAD and REGS records of the current task
 * @ctx: the context
 * @t: the task: current
 *
 * Context: process context, in the task's own ckpt_dump() call.
 * Return: 0, -EOPNOTSUPP for state that cannot be restored, or -errno.
 */
int ckpt_dump_thread(struct ckpt_ctx *ctx, struct task_struct *t)
{
	struct ckpt_thread rec = { };
	int err;

	err = ckpt_arch_check_task(t);
	if (err)
		return err;
	rec.tid = task_pid_vnr(t);
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
	return ckpt_arch_dump_regs(ctx);
}

struct ckpt_task_stage {
	bool have_thread;
	struct ckpt_thread thread;
	void *regs;
	size_t regs_len;
};

/**
 * ckpt_stage_task_alloc - start staging the thread of an image
 *
 * Return: the stage, or NULL when out of memory.
 */
struct ckpt_task_stage *ckpt_stage_task_alloc(void)
{
	return kzalloc(sizeof(struct ckpt_task_stage), GFP_KERNEL);
}

/**
 * ckpt_stage_task_free - drop a staged thread
 * @st: the stage, or NULL
 */
void ckpt_stage_task_free(struct ckpt_task_stage *st)
{
	if (!st)
		return;
	kvfree(st->regs);
	kfree(st);
}

static int ckpt_check_thread(const struct ckpt_thread *t)
{
	if (!memchr(t->comm, 0, sizeof(t->comm)))
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

/**
 * ckpt_stage_task_rec - take a THREAD or REGS record
 * @ctx: the context
 * @st: the stage
 * @h: the record's header
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one;
 * -EOPNOTSUPP for an image of several threads.
 */
int ckpt_stage_task_rec(struct ckpt_ctx *ctx, struct ckpt_task_stage *st,
			const struct ckpt_rec_hdr *h)
{
	int err;

	if (h->type == CKPT_REC_THREAD) {
		err = ckpt_read(ctx, &st->thread, sizeof(st->thread));
		if (err || h->len != sizeof(st->thread))
			return ckpt_rec_fail(ctx, h, -EINVAL);
		err = ckpt_read_rec_end(ctx, h);
		if (err)
			return err;
		if (st->have_thread)
			return -EOPNOTSUPP;
		st->have_thread = true;
		return ckpt_check_thread(&st->thread);
	}
	if (h->type == CKPT_REC_REGS) {
		void *regs = ckpt_read_payload(ctx, h, 1, CKPT_REGS_MAX);

		if (IS_ERR(regs))
			return PTR_ERR(regs);
		if (!st->have_thread || st->regs) {
			kvfree(regs);
			return -EINVAL;
		}
		st->regs = regs;
		st->regs_len = h->len;
		return ckpt_arch_check_regs(regs, h->len);
	}
	return ckpt_rec_fail(ctx, h, -EINVAL);
}

/**
 * ckpt_stage_task_finish - check the staged thread is complete
 * @st: the stage
 *
 * Return: 0, or -EINVAL if the image had no thread or no registers.
 */
int ckpt_stage_task_finish(struct ckpt_task_stage *st)
{
	return st->have_thread && st->regs ? 0 : -EINVAL;
}

/**
 * ckpt_commit_task - give the current task the staged thread state
 * @st: the stage
 *
 * Called after the point of no return, on the new mm.  As after execve(),
 * handled signals revert to their default action, and the arch state that
 * belonged to the old program is flushed before the image's is loaded.
 *
 * Context: process context, the caller's own syscall.
 * Return: the value the restored thread's interrupted syscall returns.
 */
long ckpt_commit_task(struct ckpt_task_stage *st)
{
	const struct ckpt_thread *t = &st->thread;
	sigset_t blocked;

	flush_thread();
	flush_signal_handlers(current, 0);

	ckpt_u64_to_sigset(t->sigmask, &blocked);
	sigdelsetmask(&blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
	set_current_blocked(&blocked);

	current->sas_ss_sp = t->sas_sp;
	current->sas_ss_size = t->sas_size;
	current->sas_ss_flags = t->sas_flags;
#ifdef CONFIG_FUTEX
	current->robust_list = u64_to_user_ptr(t->robust_list);
#endif
	current->clear_child_tid = u64_to_user_ptr(t->clear_child_tid);
#ifdef CONFIG_RSEQ
	/* The restorer's registration points into the old mm: replace it. */
	current->rseq = u64_to_user_ptr(t->rseq);
	current->rseq_sig = t->rseq_sig;
	current->rseq_event_mask = 0;
	rseq_set_notify_resume(current);
#endif
	__set_task_comm(current, t->comm, false);

	return ckpt_arch_restore_regs(st->regs, st->regs_len);
}
