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
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/posix-timers.h>
#include <linux/sched.h>
#include <linux/sched/numa_balancing.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/syscall_user_dispatch.h>

#include "internal.h"
#include "trace.h"

/**
 * struct ckpt_restore - a staged image
 * @ctx: the image
 * @mm: the address space, built off to the side
 * @proc: process-wide state
 * @sig: signal handlers and pending signals
 * @fds: the file descriptor table
 * @task: the threads
 * @retval: what the restored current task's interrupted call returns
 */
struct ckpt_restore {
	struct ckpt_ctx ctx;
	struct ckpt_mm_stage *mm;
	struct ckpt_proc_stage *proc;
	struct ckpt_signal_stage *sig;
	struct ckpt_fd_stage *fds;
	struct ckpt_task_stage *task;
	long retval;
};

static int ckpt_read_image(struct ckpt_restore *r)
{
	struct ckpt_ctx *ctx = &r->ctx;
	struct ckpt_rec_hdr h;
	bool first = true, is_proc;
	u32 last = 0;
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
		if (last == CKPT_REC_CHILD && h.type != CKPT_REC_CHILD) {
			err = ckpt_stage_children_done(ctx, r->proc);
			if (err)
				return err;
		}
		switch (h.type) {
		case CKPT_REC_END:
			if (h.len)
				return ckpt_rec_fail(ctx, &h, -EINVAL);
			return ckpt_read_rec_end(ctx, &h);
		case CKPT_REC_FILE:
			err = ckpt_restore_file(ctx, &h);
			break;
		case CKPT_REC_PIPE:
			err = ckpt_restore_pipe(ctx, &h);
			break;
		case CKPT_REC_FILE_DATA:
			err = ckpt_restore_file_data(ctx, &h);
			break;
		case CKPT_REC_EVENTFD:
			err = ckpt_restore_eventfd(ctx, &h);
			break;
		case CKPT_REC_EPOLL_ITEM:
			err = ckpt_restore_epoll_item(ctx, &h);
			break;
		case CKPT_REC_SIGNALFD:
			err = ckpt_restore_signalfd(ctx, &h);
			break;
		case CKPT_REC_MEMFD:
			err = ckpt_restore_memfd(ctx, &h);
			break;
		case CKPT_REC_TIMERFD:
			err = ckpt_restore_timerfd(ctx, &h);
			break;
		case CKPT_REC_SOCKET:
			err = ckpt_restore_socket(ctx, &h);
			break;
		case CKPT_REC_SOCK_DATA:
			err = ckpt_restore_sock_data(ctx, &h);
			break;
		case CKPT_REC_TCP:
			err = ckpt_restore_tcp(ctx, &h);
			break;
		case CKPT_REC_SOCK_MSG:
			err = ckpt_restore_sock_msg(ctx, &h);
			break;
		case CKPT_REC_MM:
		case CKPT_REC_VMA:
		case CKPT_REC_PAGES:
		case CKPT_REC_BASE_PAGES:
			err = ckpt_stage_mm_rec(ctx, r->mm, &h);
			break;
		case CKPT_REC_PROC:
			err = ckpt_stage_proc_rec(ctx, r->proc, &h);
			break;
		case CKPT_REC_CHILD:
			err = ckpt_stage_child_rec(ctx, r->proc, &h,
						   last == CKPT_REC_PROC ||
						   last == CKPT_REC_CHILD);
			break;
		case CKPT_REC_SIGHAND:
		case CKPT_REC_SIGINFO:
			err = ckpt_stage_signal_rec(ctx, r->sig, &h);
			break;
		case CKPT_REC_FD:
			err = ckpt_stage_fd_rec(ctx, r->fds, &h);
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
		last = h.type;
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
	r->sig = ckpt_stage_signal_alloc();
	r->fds = ckpt_stage_fds_alloc();
	r->task = ckpt_stage_task_alloc();
	if (!r->mm || !r->proc || !r->sig || !r->fds || !r->task)
		return -ENOMEM;
	err = ckpt_read_image(r);
	if (err)
		return err;
	err = ckpt_stage_mm_finish(&r->ctx, r->mm);
	if (err)
		return err;
	err = ckpt_stage_proc_finish(&r->ctx, r->proc);
	if (err)
		return err;
	err = ckpt_stage_task_finish(r->task, r->proc, r->sig);
	if (err)
		return err;
	ckpt_read_done(&r->ctx);
	return 0;
}

static void ckpt_unstage(struct ckpt_restore *r)
{
	ckpt_stage_task_free(r->task);
	ckpt_stage_fds_free(r->fds);
	ckpt_stage_signal_free(r->sig);
	ckpt_stage_proc_free(r->proc);
	ckpt_stage_mm_free(r->mm);
	ckpt_target_end(&r->ctx);
	ckpt_ctx_fini(&r->ctx);
}

/*
 * What a thread of the image needs that copy_process() would only find out
 * after the point of no return, and the live files of the file table:
 * checked in the committing task, before it.
 */
static int ckpt_precommit(struct ckpt_restore *r)
{
	int err;

	err = ckpt_stage_task_precommit(r->task, r->proc);
	if (err)
		return err;
	err = ckpt_stage_signal_precommit(r->sig,
			ckpt_stage_proc_rlimit(r->proc, RLIMIT_SIGPENDING));
	if (err)
		return err;
	/* Sealed once their mappings are made, as they were in the process. */
	err = ckpt_memfd_precommit(&r->ctx);
	if (err)
		return err;
	/* Made as the process would make them, in its network namespace. */
	err = ckpt_socket_precommit(&r->ctx);
	if (err)
		return err;
	/* The terminals and pipes of the image, in the committing task. */
	err = ckpt_stage_fds_precommit(&r->ctx, r->fds);
	if (err)
		return err;
	/* Last: the OOM reaper may take the staged pages until then. */
	return ckpt_stage_mm_precommit(r->mm);
}

/*
 * Replace the current process with the staged image: in the caller's own
 * ckpt_restore(), or in the parked group leader of a process rolled back.
 *
 * This is begin_new_exec() and setup_new_exec() for an image, in their
 * order.  Each of their steps is here, done or left out on purpose: an
 * image changes the program and the file table, not the credentials.
 * After de_thread() only a fatal signal or a lack of memory can end the
 * restore, and then the process is killed, as after execve().
 */
static long ckpt_commit(void *arg)
{
	struct ckpt_restore *r = arg;
	struct task_struct *me = current;
	int ret;

	ret = ckpt_precommit(r);
	if (ret)
		return ret;
	/* bprm_creds_from_file(): none, the credentials were checked. */

	/* The files rolled back, last: undone if de_thread() fails. */
	ret = ckpt_swap_files(&r->ctx);
	if (ret)
		return ret;
	/* The point of no return: the other threads are killed. */
	ret = de_thread(me);
	if (ret) {
		ckpt_unswap_files(&r->ctx);
		return ret;
	}
#ifdef CONFIG_POSIX_TIMERS
	/* The old program's timers: none may outlive it or its tid. */
	spin_lock_irq(&me->sighand->siglock);
	posix_cpu_timers_exit(me);
	spin_unlock_irq(&me->sighand->siglock);
	exit_itimers(me);
	flush_itimer_signals();
#endif
	/* Its io_uring requests would complete into the new mm. */
	io_uring_task_cancel();
	/* unshare_files(), do_close_on_exec(): the image's table instead. */
	ret = ckpt_commit_fds(&r->ctx, r->fds);
	if (ret)
		goto fail;
	/* set_mm_exe_file(): done when staged. */
	/* would_dump(): the process keeps its dumpability, as of now. */

	/* exec_mmap(); exec_update_lock is held until the commit ends. */
	ret = ckpt_commit_mm(r->mm);
	if (ret)
		goto fail;
	ret = ckpt_commit_vdso(r->mm);
	if (ret)
		goto fail_unlock;
	/* A CLONE_SIGHAND peer keeps the old handlers. */
	ret = unshare_sighand(me);
	if (ret)
		goto fail_unlock;
	/* PF_RANDOMIZE and the others describe the task: kept. */
	flush_thread();
	/* The personality is the image's: ckpt_commit_proc(). */
	clear_syscall_work_syscall_user_dispatch(me);
	/* secureexec: the credentials do not change, nor the pdeath signal. */
	/* The alternate stacks are the image's: ckpt_commit_threads(). */
	/* set_dumpable(): kept, see would_dump() above. */
	perf_event_exec();
	/* __set_task_comm(): each thread gets the image's name. */
	WRITE_ONCE(me->self_exec_id, me->self_exec_id + 1);
	/* flush_signal_handlers(): the image's replace them, below. */
	/* commit_creds() and the bprm LSM hooks: no new credentials. */

	/* setup_new_exec(): the mmap layout and task size were staged. */
	arch_setup_new_exec();
	/* bprm_execve(): rseq is the image's; the old mm's NUMA faults go. */
	task_numa_free(me, false);

	/* Not exec: a sigsuspend() or ppoll() parked in would put its mask back. */
	clear_restore_sigmask();
	me->restart_block.fn = do_no_restart_syscall;

	ckpt_commit_proc(r->proc);
	ckpt_commit_handlers(r->sig);
	ret = ckpt_commit_threads(r->task, r->proc, r->sig, &r->retval);
	if (ret)
		goto fail_unlock;
	/* Its TCP connections made again go back to their peers. */
	ckpt_socket_commit(&r->ctx);
	up_write(&me->signal->exec_update_lock);
	return 0;

fail_unlock:
	up_write(&me->signal->exec_update_lock);
fail:
	if (!fatal_signal_pending(me))
		force_fatal_sig(SIGSEGV);
	return ret;
}

/**
 * ckpt_restore_task - replace a process with an image
 * @leader: the process: the caller's group leader, or another process's
 * @file: the image, open for reading
 * @flags: the restore flags (0)
 * @held: for a snapshot's image, the copy of the address space it keeps;
 *	else NULL
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
		       unsigned int flags, struct mm_struct *held)
{
	struct ckpt_restore *r;
	struct ckpt_quiesce *q;
	u64 t;
	long ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ckpt_times_begin(&r->ctx, trace_ckpt_restore_enabled());
	r->ctx.flags = flags;
	r->ctx.task = leader;
	r->ctx.held_mm = held;
	r->ctx.in_place = !same_thread_group(current, leader);
	ret = ckpt_ctx_init(&r->ctx, file);
	if (ret)
		goto out;
	ret = ckpt_target_begin(&r->ctx);
	if (ret)
		goto out;
	ret = ckpt_ctx_lock_pos(&r->ctx);
	if (ret)
		goto out;
	ret = ckpt_stage(r);
	ckpt_ctx_unlock_pos(&r->ctx);
	if (ret)
		goto out;

	if (same_thread_group(current, leader)) {
		/*
		 * As execve(): no ptrace attach or dump meanwhile.  Killable, not
		 * interruptible: the image is consumed and cannot be read again.
		 */
		ret = mutex_lock_killable(&leader->signal->cred_guard_mutex);
		if (ret)
			goto out;
		t = ckpt_clock(&r->ctx);
		ret = ckpt_commit(r) ?: r->retval;
		r->ctx.times.commit = ckpt_clock(&r->ctx) - t;
		mutex_unlock(&leader->signal->cred_guard_mutex);
		goto out;
	}
	/* The image is consumed: a signal now can only fail the call. */
	if (mutex_lock_interruptible(&leader->signal->cred_guard_mutex)) {
		ret = -EINTR;
		goto out;
	}
	t = ckpt_clock(&r->ctx);
	q = ckpt_quiesce(leader, NULL);
	r->ctx.times.stop = ckpt_clock(&r->ctx) - t;
	t += r->ctx.times.stop;
	if (IS_ERR(q)) {
		ret = PTR_ERR(q);
		if (ret == -ERESTARTNOINTR)
			ret = -EINTR;
	} else {
		/* Checked again with every thread held: no exec since. */
		ret = ckpt_may_access(leader) ?:
		      ckpt_quiesce_run(q, ckpt_commit, r);
		r->ctx.times.commit = ckpt_clock(&r->ctx) - t;
		ckpt_quiesce_release(q, 0);
		r->ctx.times.held = ckpt_clock(&r->ctx) - t;
	}
	mutex_unlock(&leader->signal->cred_guard_mutex);
out:
	if (ckpt_times_end(&r->ctx))
		trace_ckpt_restore(task_tgid_nr(leader), flags, ret, r->ctx.pos,
				   &r->ctx.times);
	ckpt_unstage(r);
	kfree(r);
	return ret;
}
