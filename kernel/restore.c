// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: restore a process, as execve() does: validate and stage, then the
 * point of no return, then commit.
 *
 * Every record is read, checked and staged while the caller still runs on
 * its own address space: files are reopened, the new mm is built off to
 * the side and the registers are checked.  A bad image, a missing file or
 * a signal before the point of no return leaves the caller as it was.
 * After it, only a fatal signal or a failure to map the vDSO can stop the
 * restore, and then the caller is killed, as an execve() would kill it.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/binfmts.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "internal.h"

/**
 * struct ckpt_restore - a staged image
 * @ctx: the image
 * @mm: the address space, built off to the side
 * @proc: process-wide state
 * @task: the threads
 * @retval: what the restored current task's interrupted call returns
 */
struct ckpt_restore {
	struct ckpt_ctx ctx;
	struct ckpt_mm_stage *mm;
	struct ckpt_proc_stage *proc;
	struct ckpt_task_stage *task;
	long retval;
};

static int ckpt_read_image(struct ckpt_restore *r)
{
	struct ckpt_ctx *ctx = &r->ctx;
	struct ckpt_rec_hdr h;
	bool first = true, is_proc;
	int err;

	err = ckpt_read_image_hdr(ctx);
	if (err)
		return err;
	for (;;) {
		err = ckpt_read_rec_hdr(ctx, &h);
		if (err)
			return err;
		/* The PROC record comes first, once: whose the image is. */
		is_proc = h.type == CKPT_REC_PROC;
		if (first != is_proc)
			return ckpt_rec_fail(ctx, &h, -EINVAL);
		first = false;
		switch (h.type) {
		case CKPT_REC_END:
			if (h.len)
				return ckpt_rec_fail(ctx, &h, -EINVAL);
			return ckpt_read_rec_end(ctx, &h);
		case CKPT_REC_FILE:
			err = ckpt_restore_file(ctx, &h);
			break;
		case CKPT_REC_MM:
		case CKPT_REC_VMA:
		case CKPT_REC_PAGES:
			err = ckpt_stage_mm_rec(ctx, r->mm, &h);
			break;
		case CKPT_REC_PROC:
		case CKPT_REC_SIGHAND:
		case CKPT_REC_SIGINFO:
			err = ckpt_stage_proc_rec(ctx, r->proc, &h);
			break;
		case CKPT_REC_THREAD:
		case CKPT_REC_REGS:
			err = ckpt_stage_task_rec(ctx, r->task, &h);
			break;
		default:
			err = ckpt_rec_fail(ctx, &h, -EINVAL);
			break;
		}
		if (err)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/* Validate and stage the whole image, with the caller's rights. */
static int ckpt_stage(struct ckpt_restore *r)
{
	int err;

	r->mm = ckpt_stage_mm_alloc(r->ctx.task);
	r->proc = ckpt_stage_proc_alloc();
	r->task = ckpt_stage_task_alloc();
	if (!r->mm || !r->proc || !r->task)
		return -ENOMEM;
	err = ckpt_read_image(r) ?:
	      ckpt_stage_mm_finish(&r->ctx, r->mm) ?:
	      ckpt_stage_proc_finish(&r->ctx, r->proc) ?:
	      ckpt_stage_task_finish(r->task, r->proc);
	if (!err)
		ckpt_read_done(&r->ctx);
	return err;
}

static void ckpt_unstage(struct ckpt_restore *r)
{
	ckpt_stage_task_free(r->task);
	ckpt_stage_proc_free(r->proc);
	ckpt_stage_mm_free(r->mm);
	ckpt_ctx_fini(&r->ctx);
}

/*
 * Replace the current process with the staged image: in the caller's own
 * ckpt_restore(), or in the parked group leader of a process rolled back.
 */
static long ckpt_commit(void *arg)
{
	struct ckpt_restore *r = arg;
	int ret;

	/* The point of no return: the other threads are killed. */
	ret = de_thread(current);
	if (ret)
		return ret;
	ret = ckpt_commit_mm(r->mm);
	if (ret)
		goto fail;
	ckpt_commit_proc(r->proc);
	ret = ckpt_commit_threads(r->task, r->proc, &r->retval);
	if (ret)
		goto fail;
	if (ckpt_stage_proc(r->proc)->flags & CKPT_PROC_STOPPED)
		send_sig_info(SIGSTOP, SEND_SIG_PRIV, current);
	return 0;
fail:
	if (!fatal_signal_pending(current))
		force_fatal_sig(SIGSEGV);
	return ret;
}

/**
 * ckpt_restore_task - replace a process with an image
 * @leader: the process: the caller's group leader, or another process's
 * @file: the image, open for reading
 * @flags: the restore flags (0)
 *
 * The caller reads, checks and stages the whole image with its own rights
 * while the process runs on.  Then the caller itself, or the parked leader
 * of another process, passes the point of no return and commits.
 *
 * Context: process context, no locks held.
 * Return: for the caller, the restored thread's return value; for another
 * process, 0; or -errno, the process unchanged; after a failure past the
 * point of no return the process has a fatal signal.
 */
long ckpt_restore_task(struct task_struct *leader, struct file *file,
		       unsigned int flags)
{
	struct ckpt_restore *r;
	struct ckpt_quiesce *q;
	long ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->ctx.flags = flags;
	r->ctx.task = leader;
	ret = ckpt_ctx_init(&r->ctx, file);
	if (ret)
		goto out;
	ret = ckpt_stage(r);
	if (ret)
		goto out;

	if (same_thread_group(current, leader)) {
		/* As execve(): no ptrace attach or dump meanwhile. */
		if (mutex_lock_interruptible(&leader->signal->cred_guard_mutex)) {
			ret = -ERESTARTNOINTR;
			goto out;
		}
		ret = ckpt_commit(r) ?: r->retval;
		mutex_unlock(&leader->signal->cred_guard_mutex);
		goto out;
	}
	ret = mutex_lock_killable(&leader->signal->cred_guard_mutex);
	if (ret)
		goto out;
	q = ckpt_quiesce(leader, false);
	if (IS_ERR(q)) {
		ret = PTR_ERR(q);
	} else {
		/* Checked again with every thread held: no exec since. */
		ret = ckpt_may_access(leader) ?:
		      ckpt_quiesce_run(q, ckpt_commit, r);
		ckpt_quiesce_release(q, 0);
	}
	mutex_unlock(&leader->signal->cred_guard_mutex);
out:
	ckpt_unstage(r);
	kfree(r);
	return ret;
}
