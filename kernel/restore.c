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

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "internal.h"

static int ckpt_read_image(struct ckpt_ctx *ctx, struct ckpt_mm_stage *mm_st,
			   struct ckpt_task_stage *task_st)
{
	struct ckpt_rec_hdr h;
	int err;

	err = ckpt_read_image_hdr(ctx);
	if (err)
		return err;
	for (;;) {
		err = ckpt_read_rec_hdr(ctx, &h);
		if (err)
			return err;
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
			err = ckpt_stage_mm_rec(ctx, mm_st, &h);
			break;
		case CKPT_REC_THREAD:
		case CKPT_REC_REGS:
			err = ckpt_stage_task_rec(ctx, task_st, &h);
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

/**
 * ckpt_restore_self - replace the calling process with an image
 * @file: the image, open for reading
 * @flags: the restore flags (0)
 *
 * Context: process context; no locks held.
 * Return: the restored thread's syscall return value, or -errno; after a
 * failure past the point of no return the caller has a fatal signal.
 */
long ckpt_restore_self(struct file *file, unsigned int flags)
{
	struct ckpt_ctx ctx = { .flags = flags };
	struct ckpt_mm_stage *mm_st = NULL;
	struct ckpt_task_stage *task_st = NULL;
	long ret;

	if (!thread_group_empty(current))
		return -EBUSY;
	ret = ckpt_ctx_init(&ctx, file);
	if (ret)
		goto out;
	ret = -ENOMEM;
	mm_st = ckpt_stage_mm_alloc();
	task_st = ckpt_stage_task_alloc();
	if (!mm_st || !task_st)
		goto out;

	ret = ckpt_read_image(&ctx, mm_st, task_st) ?:
	      ckpt_stage_mm_finish(&ctx, mm_st) ?:
	      ckpt_stage_task_finish(task_st);
	if (ret)
		goto out;
	ckpt_read_done(&ctx);

	/* The point of no return. */
	ret = ckpt_commit_mm(mm_st);
	if (ret) {
		if (!fatal_signal_pending(current))
			force_fatal_sig(SIGSEGV);
		goto out;
	}
	ret = ckpt_commit_task(task_st);
out:
	ckpt_stage_task_free(task_st);
	ckpt_stage_mm_free(mm_st);
	ckpt_ctx_fini(&ctx);
	return ret;
}
