// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: signals, both ways: the handlers (SIGHAND), the pending signals of
 * the process and of each thread with their siginfo (SIGINFO, in queue
 * order), and the image's signal sets.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "internal.h"

/**
 * ckpt_sigset_to_u64 - a signal set as the image has it
 * @set: the set
 *
 * Return: bit (n - 1) for signal n.
 */
u64 ckpt_sigset_to_u64(const sigset_t *set)
{
	u64 mask = 0;
	int i;

	BUILD_BUG_ON(_NSIG != CKPT_NSIG);
	for (i = 0; i < _NSIG_WORDS; i++)
		mask |= (u64)set->sig[i] << (i * _NSIG_BPW);
	return mask;
}

/**
 * ckpt_u64_to_sigset - a signal set from the image
 * @mask: bit (n - 1) for signal n
 * @set: set to it
 */
void ckpt_u64_to_sigset(u64 mask, sigset_t *set)
{
	int i;

	for (i = 0; i < _NSIG_WORDS; i++)
		set->sig[i] = mask >> (i * _NSIG_BPW);
}

/*
 * Dump.
 */

/* Copy a queue's signals, in order; the bits without a siginfo last. */
static unsigned int ckpt_snap_queue(struct sigpending *pending, u32 tid,
				    struct ckpt_siginfo *out, unsigned int room)
{
	struct sigqueue *q;
	sigset_t left = pending->signal;
	unsigned int n = 0;
	int sig;

	list_for_each_entry(q, &pending->list, list) {
		if (q->info.si_signo == SIGKILL)	/* dying: no image */
			continue;
		if (n < room) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].tid = tid;
			out[n].signo = q->info.si_signo;
			memcpy(out[n].info, &q->info, sizeof(q->info));
		}
		n++;
		sigdelset(&left, q->info.si_signo);
	}
	for (sig = 1; sig <= _NSIG; sig++) {
		kernel_siginfo_t info;

		if (!sigismember(&left, sig) || sig == SIGKILL)
			continue;
		if (n < room) {
			clear_siginfo(&info);
			info.si_signo = sig;
			info.si_code = SI_KERNEL;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].tid = tid;
			out[n].signo = sig;
			memcpy(out[n].info, &info, sizeof(info));
		}
		n++;
	}
	return n;
}

static unsigned int ckpt_snap_signals(struct task_struct *leader,
				      struct ckpt_siginfo *out,
				      unsigned int room)
{
	struct task_struct *t;
	unsigned int n;

	n = ckpt_snap_queue(&leader->signal->shared_pending, 0, out, room);
	for_each_thread(leader, t) {
		if (t->flags & PF_EXITING)
			continue;
		n += ckpt_snap_queue(&t->pending, task_pid_vnr(t), out + n,
				     room > n ? room - n : 0);
	}
	return n;
}

/**
 * ckpt_dump_signals - write the SIGHAND and SIGINFO records
 * @ctx: the image
 * @leader: the process's group leader; its threads are held still
 *
 * Return: 0 or -errno.
 */
int ckpt_dump_signals(struct ckpt_ctx *ctx, struct task_struct *leader)
{
	struct ckpt_sigaction *act;
	struct ckpt_siginfo *sigs = NULL;
	unsigned int i, n, room;
	unsigned long flags;
	int err = 0;

	act = ckpt_rec_begin(ctx, CKPT_REC_SIGHAND, CKPT_NSIG * sizeof(*act));
	if (IS_ERR(act))
		return PTR_ERR(act);
	/* A process killed meanwhile and reaped has no sighand. */
	if (!lock_task_sighand(leader, &flags))
		return -ESRCH;
	for (i = 0; i < CKPT_NSIG; i++) {
		const struct sigaction *sa = &leader->sighand->action[i].sa;

		act[i].handler = (unsigned long)sa->sa_handler;
		act[i].flags = sa->sa_flags & UAPI_SA_FLAGS;
#ifdef __ARCH_HAS_SA_RESTORER
		act[i].restorer = (unsigned long)sa->sa_restorer;
#else
		act[i].restorer = 0;
#endif
		act[i].mask = ckpt_sigset_to_u64(&sa->sa_mask);
	}
	n = ckpt_snap_signals(leader, NULL, 0);
	unlock_task_sighand(leader, &flags);
	ckpt_rec_end(ctx, CKPT_NSIG * sizeof(*act));

	/* Signals may come meanwhile: retry until the copy has room. */
	while (n) {
		room = n + 8;
		if (room > CKPT_MAX_SIGINFO)
			return ckpt_refuse_task(leader, "so many pending signals");
		sigs = kvcalloc(room, sizeof(*sigs), GFP_KERNEL);
		if (!sigs)
			return -ENOMEM;
		if (!lock_task_sighand(leader, &flags)) {
			kvfree(sigs);
			return -ESRCH;
		}
		n = ckpt_snap_signals(leader, sigs, room);
		unlock_task_sighand(leader, &flags);
		if (n <= room)
			break;
		kvfree(sigs);
		sigs = NULL;
	}
	for (i = 0; i < n && !err; i++)
		err = ckpt_write_rec(ctx, CKPT_REC_SIGINFO, &sigs[i],
				     sizeof(sigs[i]));
	kvfree(sigs);
	return err;
}

/*
 * Restore.
 */
/**
 * struct ckpt_signal_stage - the signal state of an image, staged
 * @have_sighand: the SIGHAND record was read
 * @act: the handlers, for signals 1..CKPT_NSIG
 * @sigs: the pending signals, in image order
 * @nr_sigs: entries in @sigs
 * @max_sigs: room in @sigs
 */
struct ckpt_signal_stage {
	bool have_sighand;
	struct k_sigaction act[CKPT_NSIG];
	struct ckpt_siginfo *sigs;
	unsigned int nr_sigs;
	unsigned int max_sigs;
};

/**
 * ckpt_stage_signal_alloc - start staging the signal state of an image
 *
 * Return: the stage, or NULL when out of memory.
 */
struct ckpt_signal_stage *ckpt_stage_signal_alloc(void)
{
	return kvzalloc(sizeof(struct ckpt_signal_stage), GFP_KERNEL);
}

/**
 * ckpt_stage_signal_free - drop staged signal state
 * @st: the stage, or NULL
 */
void ckpt_stage_signal_free(struct ckpt_signal_stage *st)
{
	if (!st)
		return;
	kvfree(st->sigs);
	kvfree(st);
}

static int ckpt_stage_sighand(struct ckpt_signal_stage *st,
			      const struct ckpt_sigaction *a)
{
	int i;

	for (i = 0; i < CKPT_NSIG; i++) {
		struct k_sigaction *k = &st->act[i];
		int sig = i + 1;

		if (a[i].handler != (unsigned long)a[i].handler ||
		    a[i].restorer != (unsigned long)a[i].restorer ||
		    a[i].flags & ~(u64)UAPI_SA_FLAGS ||
		    (sig_kernel_only(sig) && (a[i].handler || a[i].flags ||
					      a[i].restorer || a[i].mask)))
			return -EINVAL;
		k->sa.sa_handler = (__sighandler_t)(unsigned long)a[i].handler;
		k->sa.sa_flags = a[i].flags;
#ifdef __ARCH_HAS_SA_RESTORER
		k->sa.sa_restorer = (__sigrestore_t)(unsigned long)a[i].restorer;
#else
		if (a[i].restorer)
			return -EINVAL;
#endif
		ckpt_u64_to_sigset(a[i].mask, &k->sa.sa_mask);
	}
	return 0;
}

static int ckpt_stage_siginfo(struct ckpt_signal_stage *st,
			      const struct ckpt_siginfo *s)
{
	kernel_siginfo_t info;
	size_t i;

	/* A pending SIGSTOP is restored: the process stops, as it would have. */
	if (!s->signo || s->signo > CKPT_NSIG || s->signo == SIGKILL)
		return -EINVAL;
	memcpy(&info, s->info, sizeof(info));
	for (i = sizeof(info); i < sizeof(s->info); i++)
		if (s->info[i])
			return -EINVAL;
	if (info.si_signo != s->signo)
		return -EINVAL;
	if (st->nr_sigs == st->max_sigs) {
		if (st->max_sigs >= CKPT_MAX_SIGINFO)
			return -EINVAL;
		if (ckpt_grow((void **)&st->sigs, &st->max_sigs,
			      sizeof(*st->sigs)))
			return -ENOMEM;
	}
	st->sigs[st->nr_sigs++] = *s;
	return 0;
}

/**
 * ckpt_stage_signal_rec - take a SIGHAND or SIGINFO record
 * @ctx: the context
 * @st: the stage
 * @h: the record's header
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one,
 * or a SIGINFO before SIGHAND.
 */
int ckpt_stage_signal_rec(struct ckpt_ctx *ctx, struct ckpt_signal_stage *st,
			  const struct ckpt_rec_hdr *h)
{
	void *p;
	int err;

	switch (h->type) {
	case CKPT_REC_SIGHAND:
		p = ckpt_read_payload(ctx, h, CKPT_NSIG * sizeof(struct ckpt_sigaction),
				      CKPT_NSIG * sizeof(struct ckpt_sigaction));
		if (IS_ERR(p))
			return PTR_ERR(p);
		err = st->have_sighand ? -EINVAL : ckpt_stage_sighand(st, p);
		st->have_sighand = true;
		break;
	case CKPT_REC_SIGINFO:
		p = ckpt_read_payload(ctx, h, sizeof(struct ckpt_siginfo),
				      sizeof(struct ckpt_siginfo));
		if (IS_ERR(p))
			return PTR_ERR(p);
		err = !st->have_sighand ? -EINVAL : ckpt_stage_siginfo(st, p);
		break;
	default:
		return ckpt_rec_fail(ctx, h, -EINVAL);
	}
	kvfree(p);
	return err;
}

/* Queued signals of @pending charged to RLIMIT_SIGPENDING. */
static long ckpt_count_queued(struct sigpending *pending)
{
	struct sigqueue *q;
	long n = 0;

	list_for_each_entry(q, &pending->list, list)
		if (!(q->flags & SIGQUEUE_PREALLOC))
			n++;
	return n;
}

/**
 * ckpt_stage_signal_precommit - can every pending signal be queued?
 * @st: the stage
 * @limit: the image's RLIMIT_SIGPENDING
 *
 * send_signal_locked() queues a real-time signal, or one with a negative
 * si_code, only below RLIMIT_SIGPENDING (the image's); it fails or loses
 * the siginfo past it.  The signals the process has queued now are
 * flushed by the commit and do not count.
 *
 * Context: the committing task, before de_thread().
 * Return: 0, or -EAGAIN over the limit.
 */
int ckpt_stage_signal_precommit(struct ckpt_signal_stage *st,
				unsigned long limit)
{
	struct task_struct *me = current, *t;
	long need = 0, queued;
	unsigned int i;

	for (i = 0; i < st->nr_sigs; i++) {
		kernel_siginfo_t info;

		memcpy(&info, st->sigs[i].info, sizeof(info));
		if (info.si_signo >= SIGRTMIN || info.si_code < 0)
			need++;
	}
	if (!need)
		return 0;
	spin_lock_irq(&me->sighand->siglock);
	queued = ckpt_count_queued(&me->signal->shared_pending);
	for_each_thread(me, t)
		queued += ckpt_count_queued(&t->pending);
	spin_unlock_irq(&me->sighand->siglock);
	if (get_rlimit_value(task_ucounts(me), UCOUNT_RLIMIT_SIGPENDING) -
	    queued + need > limit)
		return -EAGAIN;
	return 0;
}

/**
 * ckpt_commit_handlers - the image's handlers, and no pending signal
 * @st: the stage
 *
 * The pending signals are flushed; the image's are queued with the
 * threads (ckpt_commit_signals()).
 *
 * Context: the restored process's only thread, after the point of no
 * return and unshare_sighand(); cannot fail.
 */
void ckpt_commit_handlers(struct ckpt_signal_stage *st)
{
	struct task_struct *tsk = current;
	unsigned int i;

	spin_lock_irq(&tsk->sighand->siglock);
	if (!fatal_signal_pending(tsk)) {
		flush_sigqueue(&tsk->pending);
		flush_sigqueue(&tsk->signal->shared_pending);
		recalc_sigpending();
	}
	spin_unlock_irq(&tsk->sighand->siglock);

	/* Checked when staged: do_sigaction() cannot fail. */
	for (i = 0; i < CKPT_NSIG; i++) {
		struct k_sigaction k = st->act[i];

		if (!sig_kernel_only(i + 1))
			do_sigaction(i + 1, &k, NULL);
	}
}

/**
 * ckpt_commit_signals - queue the staged signals of one queue
 * @st: the stage
 * @t: the thread, or the group leader for the process's queue
 * @tid: the thread's id in the image, or 0 for the process's queue
 *
 * Return: 0, or the error of queueing (-EAGAIN over RLIMIT_SIGPENDING).
 */
int ckpt_commit_signals(struct ckpt_signal_stage *st, struct task_struct *t,
			u32 tid)
{
	enum pid_type type = tid ? PIDTYPE_PID : PIDTYPE_TGID;
	unsigned long flags;
	unsigned int i;
	int err = 0;

	for (i = 0; i < st->nr_sigs && !err; i++) {
		kernel_siginfo_t info;

		if (st->sigs[i].tid != tid)
			continue;
		memcpy(&info, st->sigs[i].info, sizeof(info));
		if (!lock_task_sighand(t, &flags))
			return -ESRCH;
		err = send_signal_locked(info.si_signo, &info, t, type);
		unlock_task_sighand(t, &flags);
	}
	return err;
}

/**
 * ckpt_stage_signal_finish - is the signal state complete?
 * @st: the stage
 * @tids: the image's thread ids
 * @nr: their number
 *
 * Return: 0, or -EINVAL without a SIGHAND record or for a signal queued to
 * a thread not in the image.
 */
int ckpt_stage_signal_finish(const struct ckpt_signal_stage *st,
			     const u32 *tids, unsigned int nr)
{
	unsigned int i, j;

	if (!st->have_sighand)
		return -EINVAL;
	for (i = 0; i < st->nr_sigs; i++) {
		if (!st->sigs[i].tid)
			continue;
		for (j = 0; j < nr; j++)
			if (tids[j] == st->sigs[i].tid)
				break;
		if (j == nr)
			return -EINVAL;
	}
	return 0;
}
