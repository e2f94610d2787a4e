// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: dump a process.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* In a parked thread of the process dumped: its THREAD and REGS records. */
static int ckpt_dump_parked(struct ckpt_ctx *ctx)
{
	return ckpt_dump_thread(ctx, current, false);
}

/* The THREAD and REGS records of each thread, the group leader first. */
static int ckpt_dump_threads(struct ckpt_ctx *ctx, struct ckpt_quiesce *q,
			     struct task_struct *leader)
{
	struct task_struct *t, **tasks;
	unsigned int i, n = 0, max = ckpt_quiesce_nr_threads(q);
	int err = 0;

	tasks = kvmalloc_array(max, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	/* Every thread is held: the list only loses threads that are killed. */
	rcu_read_lock();
	for_each_thread(leader, t) {
		if (n == max || t->flags & PF_EXITING)
			continue;
		get_task_struct(t);
		tasks[n++] = t;
	}
	rcu_read_unlock();
	if (n != max)
		err = -ESRCH;
	for (i = 0; i < n; i++) {
		if (!err && tasks[i] == current)
			err = ckpt_dump_thread(ctx, current, true);
		else if (!err)
			err = ckpt_quiesce_dump_thread(ctx, q, tasks[i]);
		put_task_struct(tasks[i]);
	}
	kvfree(tasks);
	return err;
}

/*
 * The address space of a dump with %CKPT_DUMP_COW, written once the
 * process runs on: what ckpt_snap_mm() took, and the copy to read.
 */
struct ckpt_dump_cow {
	struct ckpt_mm_snap *snap;
	struct mm_struct *mm;
};

/*
 * Everything the process must be held for.  With %CKPT_DUMP_COW and an
 * address space ckpt_snap_mm_cow() copies, or %CKPT_DUMP_SNAPSHOT or
 * %CKPT_DUMP_BASE, whose copy is kept, that leaves out the address space,
 * which @cow holds for the caller to write after the threads' records,
 * then the END; else the whole image.
 */
static int ckpt_dump_held(struct ckpt_ctx *ctx, struct ckpt_quiesce *q,
			  struct task_struct *leader,
			  struct ckpt_dump_cow *cow)
{
	struct ckpt_mm_snap *snap = NULL;
	struct mm_struct *mm;
	int err;

	if (ckpt_group_exiting(leader))
		return -ESRCH;
	mm = get_task_mm(leader);
	if (!mm)
		return -ESRCH;
	/* Every descriptor can be recorded, or nothing is written. */
	err = ckpt_dump_fds(ctx, leader, true);
	/* file content is counted again as it is written */
	ctx->file_data_left = ctx->file_data_max;
	err = err ?:
	      ckpt_write_image_hdr(ctx) ?:
	      ckpt_dump_proc(ctx, leader, ckpt_quiesce_nr_threads(q),
			     ckpt_quiesce_was_stopped(q)) ?:
	      ckpt_dump_children(ctx, leader);
	if (!err) {
		snap = ckpt_snap_mm(ctx, mm);
		if (IS_ERR(snap))
			err = PTR_ERR(snap);
	}
	if (!err && ctx->flags & (CKPT_DUMP_SNAPSHOT | CKPT_DUMP_BASE)) {
		cow->mm = ckpt_snap_mm_hold(snap, mm);
		if (IS_ERR(cow->mm)) {
			err = PTR_ERR(cow->mm);
			cow->mm = NULL;
		}
	} else if (!err && ctx->flags & CKPT_DUMP_COW) {
		cow->mm = ckpt_snap_mm_cow(snap, mm);
	}
	if (!err && !cow->mm)
		err = ckpt_write_mm(ctx, snap, mm);
	else if (!err)
		cow->snap = snap;
	else if (!IS_ERR_OR_NULL(snap))
		ckpt_snap_mm_free(snap);
	err = err ?:
	      ckpt_dump_signals(ctx, leader) ?:
	      ckpt_dump_fds(ctx, leader, false) ?:
	      ckpt_dump_threads(ctx, q, leader);
	mmput(mm);
	if (err)
		return err;
	/* A process killed meanwhile gets no image: it has no END. */
	if (ckpt_group_exiting(leader))
		return -ESRCH;
	if (cow->mm)
		return 0;
	return ckpt_write_rec(ctx, CKPT_REC_END, NULL, 0) ?: ckpt_flush(ctx);
}

/* The address space from its copy, the process running on; the END. */
static int ckpt_dump_cow_mm(struct ckpt_ctx *ctx, struct ckpt_dump_cow *cow)
{
	int err = ckpt_write_mm(ctx, cow->snap, cow->mm);

	cow->snap = NULL;
	return err ?: ckpt_write_rec(ctx, CKPT_REC_END, NULL, 0) ?:
		      ckpt_flush(ctx);
}

/**
 * ckpt_dump_task - write an image of a process
 * @leader: its thread group leader; the caller's own, or another process's
 * @file: the image, open for writing
 * @flags: the dump flags
 * @file_data_max: with %CKPT_DUMP_FILE_DATA, the bound on file content
 * @held_mm: with %CKPT_DUMP_SNAPSHOT, where the copy of the address space
 *	goes, whose private pages the image leaves out; with %CKPT_DUMP_BASE,
 *	where the copy its pages were written from goes; else NULL
 * @base: with %CKPT_DUMP_BASE, the base being made, which notes where the
 *	pages go; with %CKPT_DUMP_DIFF, the base, whose pages the image
 *	names rather than writes while the process has not written them;
 *	else NULL
 *
 * Every thread but the caller is held still in its park while the image is
 * written, then released, stopped or killed as @flags say; with
 * %CKPT_DUMP_COW, %CKPT_DUMP_SNAPSHOT or %CKPT_DUMP_BASE released before
 * the address space is written, from its copy.
 *
 * Context: process context; no locks held.
 * Return: 0, or -errno.
 */
long ckpt_dump_task(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max,
		    struct mm_struct **held_mm, struct ckpt_base *base)
{
	struct ckpt_ctx ctx = {
		.flags = flags,
		.task = leader,
		.file_data_max = file_data_max,
		.file_data_left = file_data_max,
		.base = base,
	};
	struct ckpt_dump_cow cow = { };
	struct ckpt_quiesce *q;
	int sig = 0;
	u64 held;
	long err;

	ckpt_times_begin(&ctx, trace_ckpt_dump_enabled());
	/* No exec, ptrace attach or other dump of it meanwhile. */
	err = mutex_lock_interruptible(&leader->signal->cred_guard_mutex);
	if (err)
		return -ERESTARTNOINTR;
	/* Checked again under the lock: no exec since, nor during. */
	err = ckpt_may_access(leader);
	if (err)
		goto out_unlock;
	err = ckpt_ctx_init(&ctx, file);
	if (err)
		goto out_unlock;
	held = ckpt_clock(&ctx);
	q = ckpt_quiesce(leader, ckpt_dump_parked);
	ctx.times.stop = ckpt_clock(&ctx) - held;
	held += ctx.times.stop;
	if (IS_ERR(q)) {
		err = PTR_ERR(q);
		goto out_fini;
	}
	/* No thread of the process holds the image's position now. */
	err = ckpt_ctx_lock_pos(&ctx);
	if (err)
		goto out_release;
	err = ckpt_dump_held(&ctx, q, leader, &cow);
	if (!err && flags & CKPT_DUMP_KILL)
		sig = SIGKILL;
	else if (!err && flags & CKPT_DUMP_STOP)
		sig = SIGSTOP;
	if (err || !cow.mm)
		ckpt_ctx_unlock_pos(&ctx);
out_release:
	/* its TCP connections close silently, their peers held back */
	ckpt_tcp_dump_end(&ctx, sig == SIGKILL);
	ckpt_quiesce_release(q, sig);
	ctx.times.held = ckpt_clock(&ctx) - held;
	/* its pages as they were, from their copy, while it runs on */
	if (cow.mm) {
		if (!err) {
			err = ckpt_dump_cow_mm(&ctx, &cow);
			ckpt_ctx_unlock_pos(&ctx);
		}
		if (cow.snap)
			ckpt_snap_mm_free(cow.snap);
		if (!err && held_mm)
			*held_mm = cow.mm;
		else
			mmput(cow.mm);
	}
out_fini:
	ckpt_ctx_fini(&ctx);
out_unlock:
	mutex_unlock(&leader->signal->cred_guard_mutex);
	if (ckpt_times_end(&ctx))
		trace_ckpt_dump(task_tgid_nr(leader), flags, err, ctx.pos,
				&ctx.times);
	return err;
}
