// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: hold every thread of a process still, where its user state is
 * complete.
 *
 * Each thread is sent a task_work with TWA_SIGNAL, which interrupts a
 * sleep as a signal does.  The work runs on the thread's way back to user
 * mode, with its user registers saved, and parks the thread there until
 * the caller releases it.  A parked thread records its own registers: only
 * a task reads its own FPU state and TLS without races.  In a rollback the
 * group leader runs the commit in its park, since only a task can replace
 * its own mm and registers.
 *
 * The wait in the park is killable: a fatal signal, or de_thread() in a
 * rollback, takes a thread out of it.  A stopped thread does not see
 * TWA_SIGNAL; it is woken as SIGCONT would wake it, parks before it gets to
 * user mode, and is stopped again when it is released.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/jobctl.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include "internal.h"

/**
 * struct ckpt_park - one thread's place in a quiesce
 * @work: the task_work that parks the thread
 * @q: the quiesce
 * @task: the thread (a reference is held)
 * @node: in ckpt_quiesce.parks
 * @hnode: in ckpt_quiesce.by_task
 * @rec: the thread's THREAD and REGS records, written by itself
 * @rec_len: their bytes
 * @err: the error of writing them
 * @commit: run ckpt_quiesce.fn here (the leader, in a rollback)
 * @done: the thread has left the park, or never entered it
 */
struct ckpt_park {
	struct callback_head work;
	struct ckpt_quiesce *q;
	struct task_struct *task;
	struct list_head node;
	struct hlist_node hnode;
	void *rec;
	size_t rec_len;
	int err;
	bool commit;
	bool done;
};

/**
 * struct ckpt_quiesce - a process held still
 * @leader: its thread group leader (a reference is held)
 * @parks: a struct ckpt_park per thread sent the work
 * @by_task: the same, hashed by task, to find a thread's in constant time
 * @nr: entries in @parks
 * @parked: threads that reached their park
 * @gone: threads that ran the work while exiting
 * @ref: one for the caller, one per work not yet run or cancelled
 * @all_done: completed when @ref drops to zero
 * @wq: the caller waits here for the threads to park or leave
 * @park_wq: parked threads wait here for the caller: apart from @wq, so
 *	     that each thread parking wakes only the caller, not the others
 * @released: the threads may go on
 * @was_stopped: the process was in a group stop
 * @capture: what each parked thread writes of itself, or NULL
 * @fn: what the leader runs in its park, if set
 * @arg: its argument
 * @ret: what it returned
 */
struct ckpt_quiesce {
	struct task_struct *leader;
	struct list_head parks;
	DECLARE_HASHTABLE(by_task, 10);
	unsigned int nr;
	atomic_t parked;
	atomic_t gone;
	refcount_t ref;
	struct completion all_done;
	wait_queue_head_t wq;
	wait_queue_head_t park_wq;
	bool released;
	bool was_stopped;
	ckpt_capture_fn capture;
	long (*fn)(void *arg);
	void *arg;
	long ret;
};

static void ckpt_quiesce_put(struct ckpt_quiesce *q)
{
	if (refcount_dec_and_test(&q->ref))
		complete(&q->all_done);
}

/* In the parked thread: write what the dump asks of it, to memory. */
static int ckpt_park_capture(struct ckpt_park *p)
{
	struct ckpt_ctx c = { };
	int err;

	err = ckpt_ctx_init_mem(&c, ckpt_thread_recs_size());
	if (err)
		return err;
	err = p->q->capture(&c);
	if (err) {
		kvfree(c.buf);
		return err;
	}
	p->rec = c.buf;
	p->rec_len = c.len;
	return 0;
}

/*
 * task_work runs on the way to user mode, where the user registers are all
 * there is, and on the way out in do_exit(); but io_uring runs it inside
 * io_uring_enter() and in the io_uring cancellation of do_exit(), before
 * PF_EXITING.  A thread can only be there if it has used io_uring: such a
 * thread is never held nor dumped.
 */
static bool ckpt_park_in_syscall(void)
{
#ifdef CONFIG_IO_URING
	return current->io_uring;
#else
	return false;
#endif
}

static void ckpt_park_fn(struct callback_head *cb)
{
	struct ckpt_park *p = container_of(cb, struct ckpt_park, work);
	struct ckpt_quiesce *q = p->q;

	if (current->flags & PF_EXITING) {
		/* Run by exit_task_work(): the thread is gone. */
		atomic_inc(&q->gone);
		goto out;
	}
	if (ckpt_park_in_syscall()) {
		/* Not on its way to user mode: do not hold it here. */
		p->err = ckpt_refuse_task(current, "a thread using io_uring (tid %d)",
					  task_pid_vnr(current));
		atomic_inc(&q->parked);
		goto out;
	}
	if (!task_sigpending(current))
		ckpt_arch_park_eintr();
	if (q->capture)
		p->err = ckpt_park_capture(p);
	atomic_inc(&q->parked);
	wake_up(&q->wq);

	if (wait_event_killable(q->park_wq,
				READ_ONCE(q->released) || READ_ONCE(p->commit)))
		goto out;	/* killed: it exits */
	if (p->commit && !READ_ONCE(q->released))
		q->ret = q->fn(q->arg);
out:
	WRITE_ONCE(p->done, true);
	wake_up(&q->wq);
	ckpt_quiesce_put(q);
}

static struct ckpt_park *ckpt_park_find(struct ckpt_quiesce *q,
					struct task_struct *t)
{
	struct ckpt_park *p;

	hash_for_each_possible(q->by_task, p, hnode, (unsigned long)t)
		if (p->task == t)
			return p;
	return NULL;
}

/* Send @t the work.  Return: 0, or -errno to abandon the quiesce. */
static int ckpt_quiesce_add(struct ckpt_quiesce *q, struct task_struct *t)
{
	unsigned long flags;
	struct ckpt_park *p;

	if (t->flags & PF_IO_WORKER)
		return ckpt_refuse_task(q->leader, "io_uring worker threads");
#ifdef CONFIG_IO_URING
	if (READ_ONCE(t->io_uring))
		return ckpt_refuse_task(q->leader, "a thread using io_uring (tid %d)",
					task_pid_vnr(t));
#endif
	if (t->ptrace)
		return ckpt_refuse_task(q->leader, "a traced thread");

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->q = q;
	p->task = t;
	get_task_struct(t);
	init_task_work(&p->work, ckpt_park_fn);
	list_add_tail(&p->node, &q->parks);
	hash_add(q->by_task, &p->hnode, (unsigned long)t);
	q->nr++;
	refcount_inc(&q->ref);
	if (task_work_add(t, &p->work, TWA_SIGNAL)) {
		/* Exiting: it has no user state left to park. */
		p->done = true;
		atomic_inc(&q->gone);
		ckpt_quiesce_put(q);
		return 0;
	}

	if (lock_task_sighand(t, &flags)) {
		if (t->jobctl & JOBCTL_STOPPED) {
			t->jobctl &= ~JOBCTL_STOPPED;
			wake_up_state(t, __TASK_STOPPED);
		}
		unlock_task_sighand(t, &flags);
	}
	return 0;
}

/*
 * One pass over the threads: send the work to each that has none yet.
 * Threads created meanwhile are found by the next pass.
 */
static int ckpt_quiesce_round(struct ckpt_quiesce *q, unsigned int *added)
{
	unsigned int i, n = 0, max = get_nr_threads(q->leader) + 1;
	struct task_struct *t, **batch;
	int err = 0;

	batch = kvmalloc_array(max, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	rcu_read_lock();
	for_each_thread(q->leader, t) {
		if (n == max)
			break;
		if (t == current || t->flags & PF_EXITING || ckpt_park_find(q, t))
			continue;
		get_task_struct(t);
		batch[n++] = t;
	}
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
		if (!err)
			err = ckpt_quiesce_add(q, batch[i]);
		put_task_struct(batch[i]);
	}
	kvfree(batch);
	*added = n;
	return err;
}

static bool ckpt_quiesce_all_parked(struct ckpt_quiesce *q)
{
	return atomic_read(&q->parked) + atomic_read(&q->gone) == q->nr;
}

/*
 * Wait until every thread sent the work has parked.  Killable; and a
 * request to park the caller itself (A dumps B while B dumps A) ends the
 * wait, so that the caller can park and try again: neither waits for the
 * other forever.  Return: 0, -EINTR, or -ERESTARTNOINTR.
 */
static int ckpt_quiesce_wait(struct ckpt_quiesce *q)
{
	while (!ckpt_quiesce_all_parked(q)) {
		long left = wait_event_killable_timeout(q->wq,
							ckpt_quiesce_all_parked(q),
							HZ / 20);

		if (left < 0)
			return -EINTR;
		if (test_thread_flag(TIF_NOTIFY_SIGNAL))
			return -ERESTARTNOINTR;
	}
	return 0;
}

/* The first error a parked thread had, or 0. */
static int ckpt_quiesce_err(struct ckpt_quiesce *q)
{
	struct ckpt_park *p;

	list_for_each_entry(p, &q->parks, node)
		if (p->err)
			return p->err;
	return 0;
}

static bool match_work(struct callback_head *cb, void *data)
{
	return cb == data;
}

static void ckpt_quiesce_free(struct ckpt_quiesce *q)
{
	struct ckpt_park *p, *n;

	list_for_each_entry_safe(p, n, &q->parks, node) {
		put_task_struct(p->task);
		kvfree(p->rec);
		kfree(p);
	}
	put_task_struct(q->leader);
	kfree(q);
}

/**
 * ckpt_quiesce_release - let the threads of a quiesced process go on
 * @q: the quiesce, freed here
 * @sig: a signal for the process first (SIGSTOP, SIGKILL), or 0
 *
 * A process that was stopped is stopped again.  Waits until no thread runs
 * the park any more, so that nothing refers to @q.
 *
 * Context: process context, no locks held.
 */
void ckpt_quiesce_release(struct ckpt_quiesce *q, int sig)
{
	struct ckpt_park *p;

	if (!sig && q->was_stopped)
		sig = SIGSTOP;
	if (sig)
		do_send_sig_info(sig, SEND_SIG_PRIV, q->leader, PIDTYPE_TGID);
	WRITE_ONCE(q->released, true);
	wake_up_all(&q->park_wq);
	list_for_each_entry(p, &q->parks, node) {
		if (!p->done && task_work_cancel_match(p->task, match_work,
						       &p->work))
			ckpt_quiesce_put(q);
	}
	ckpt_quiesce_put(q);
	wait_for_completion(&q->all_done);
	ckpt_quiesce_free(q);
}

/**
 * ckpt_quiesce - hold every thread of a process still
 * @leader: the thread group leader
 * @capture: what each parked thread writes of itself (its THREAD and REGS
 *	     records), into a buffer the dump copies into the image; or NULL
 *
 * The calling thread, if it is of the process, is left out: it is in its
 * own system call.  Threads created while the others park are parked too.
 *
 * Context: process context, no locks held; the caller holds the process's
 * cred_guard_mutex, so that no exec or other ckpt call runs meanwhile.
 * Return: the quiesce, or an ERR_PTR(): -ESRCH if the process exits,
 * -EINTR if the caller is killed, -ERESTARTNOINTR if the caller is asked to
 * park itself meanwhile, -EOPNOTSUPP for threads that cannot be parked,
 * -ENOMEM.
 */
struct ckpt_quiesce *ckpt_quiesce(struct task_struct *leader,
				  ckpt_capture_fn capture)
{
	struct ckpt_quiesce *q;
	int err;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->leader = leader;
	get_task_struct(leader);
	INIT_LIST_HEAD(&q->parks);
	refcount_set(&q->ref, 1);
	init_completion(&q->all_done);
	init_waitqueue_head(&q->wq);
	init_waitqueue_head(&q->park_wq);
	q->capture = capture;
	q->was_stopped = READ_ONCE(leader->signal->flags) & SIGNAL_STOP_STOPPED;

	hash_init(q->by_task);
	/* Until a pass finds no thread without the work. */
	for (;;) {
		unsigned int added;

		err = ckpt_quiesce_round(q, &added);
		if (err || !added)
			break;
		err = ckpt_quiesce_wait(q);
		if (err)
			break;
	}
	if (!err)
		err = ckpt_quiesce_err(q);
	if (!err && (ckpt_group_exiting(leader) ||
		     leader->exit_state || (leader->flags & PF_EXITING)))
		err = -ESRCH;
	if (err) {
		/* A process that was stopped is stopped again. */
		ckpt_quiesce_release(q, 0);
		return ERR_PTR(err);
	}
	return q;
}

/**
 * ckpt_quiesce_nr_threads - threads the dump holds, the caller included
 * @q: the quiesce
 */
unsigned int ckpt_quiesce_nr_threads(struct ckpt_quiesce *q)
{
	unsigned int n = q->nr - atomic_read(&q->gone);

	return same_thread_group(current, q->leader) ? n + 1 : n;
}

/**
 * ckpt_quiesce_was_stopped - was the process in a group stop?
 * @q: the quiesce
 */
bool ckpt_quiesce_was_stopped(struct ckpt_quiesce *q)
{
	return q->was_stopped;
}

/**
 * ckpt_quiesce_dump_thread - write a parked thread's records to the image
 * @ctx: the image
 * @q: the quiesce
 * @t: the thread
 *
 * Return: 0; -ESRCH if the thread is gone (killed since it parked); the
 * error it had writing its records; or a write error.
 */
int ckpt_quiesce_dump_thread(struct ckpt_ctx *ctx, struct ckpt_quiesce *q,
			     struct task_struct *t)
{
	struct ckpt_park *p = ckpt_park_find(q, t);

	if (!p)
		return -ESRCH;
	if (READ_ONCE(p->done) || !p->rec)
		return p->err ?: -ESRCH;
	return ckpt_write_recs(ctx, p->rec, p->rec_len);
}

/**
 * ckpt_quiesce_run - run @fn in the parked group leader and wait for it
 * @q: the quiesce
 * @fn: the function, given @arg
 * @arg: its argument
 *
 * Return: what @fn returned, or -ESRCH if the leader left its park first.
 */
long ckpt_quiesce_run(struct ckpt_quiesce *q, long (*fn)(void *), void *arg)
{
	struct ckpt_park *p;

	list_for_each_entry(p, &q->parks, node) {
		if (p->task != q->leader)
			continue;
		if (READ_ONCE(p->done))
			return -ESRCH;
		q->fn = fn;
		q->arg = arg;
		q->ret = -ESRCH;
		WRITE_ONCE(p->commit, true);
		wake_up_all(&q->park_wq);
		/* @fn uses the caller's state: wait for it, even if killed. */
		wait_event(q->wq, READ_ONCE(p->done));
		/* The process is now what @fn made it: do not stop it again. */
		q->was_stopped = false;
		return q->ret;
	}
	return -ESRCH;
}
