// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the state a process's threads share: credentials (recorded and
 * checked, never granted), working and root directories, umask, resource
 * limits, personality and interval timers.  Signals are in signal.c.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/personality.h>
#include <linux/hrtimer.h>
#include <linux/kdev_t.h>
#include <linux/sched/cputime.h>
#include <linux/time.h>
#include <linux/posix-timers.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include <linux/tty.h>
#include "internal.h"

static u64 ckpt_rlim_u64(unsigned long v)
{
	return v == RLIM_INFINITY ? ~0ULL : v;
}

/*
 * Dump.
 */

/* Things no record holds yet: refuse them rather than drop them. */
static int ckpt_check_proc(struct task_struct *leader)
{
	struct signal_struct *sig = leader->signal;

	if (personality(leader->personality) != PER_LINUX)
		return ckpt_refuse_task(leader, "a personality other than PER_LINUX");
#ifdef CONFIG_POSIX_TIMERS
	if (!list_empty(&sig->posix_timers))
		return ckpt_refuse_task(leader, "POSIX timers (timer_create)");
#endif
	return 0;
}

#ifdef CONFIG_POSIX_TIMERS
/* The process CPU clock of ITIMER_VIRTUAL and ITIMER_PROF. */
static const int ckpt_itimer_clock[CKPT_ITIMERS] = {
	[ITIMER_VIRTUAL] = CPUCLOCK_VIRT,
	[ITIMER_PROF] = CPUCLOCK_PROF,
};
#endif

/*
 * The interval timers, as getitimer() in the process would see them; the
 * caller holds its siglock, as itimer_get_remtime() and get_cpu_itimer().
 * An interval is kept when the timer is not armed: an ITIMER_REAL that has
 * fired is re-armed from it when its SIGALRM is taken (dequeue_signal()),
 * and setitimer() with a zero value sets one too.
 */
/*
 * Only said, as the session is: whether the process had a controlling
 * terminal and was in its foreground, for the ckpt tool (a shell on a
 * terminal is not given a session of its own, which would have none).
 */
static u32 ckpt_proc_tty_flags(struct task_struct *leader)
{
	struct tty_struct *tty = NULL;
	unsigned long irqflags;
	struct pid *fg;
	u32 flags = 0;

	if (!IS_ENABLED(CONFIG_TTY))
		return 0;
	if (lock_task_sighand(leader, &irqflags)) {
		tty = tty_kref_get(leader->signal->tty);
		unlock_task_sighand(leader, &irqflags);
	}
	if (!tty)
		return 0;
	flags = CKPT_PROC_TTY;
	fg = tty_get_pgrp(tty);
	rcu_read_lock();
	if (fg && fg == task_pgrp(leader))
		flags |= CKPT_PROC_FOREGROUND;
	rcu_read_unlock();
	put_pid(fg);
	tty_kref_put(tty);
	return flags;
}

static void ckpt_snap_itimers(struct task_struct *leader,
			      struct ckpt_itimer *it)
{
	struct signal_struct *sig = leader->signal;

	if (hrtimer_active(&sig->real_timer)) {
		ktime_t rem = hrtimer_get_remaining(&sig->real_timer);

		it[ITIMER_REAL].value = rem > 0 ? rem : NSEC_PER_USEC;
	}
	it[ITIMER_REAL].interval = sig->it_real_incr;
#ifdef CONFIG_POSIX_TIMERS
	{
		u64 samples[CPUCLOCK_MAX];
		bool sampled = false;
		int i;

		for (i = ITIMER_VIRTUAL; i <= ITIMER_PROF; i++) {
			int clk = ckpt_itimer_clock[i];
			struct cpu_itimer *c = &sig->it[clk];

			it[i].interval = c->incr;
			if (!c->expires)
				continue;
			if (!sampled)
				thread_group_sample_cputime(leader, samples);
			sampled = true;
			it[i].value = c->expires > samples[clk] ?
				      c->expires - samples[clk] : TICK_NSEC;
		}
	}
#endif
}

/*
 * The path of a directory as the dumper resolves it, and its identity.  A
 * directory the dumper cannot name, because it is outside the dumper's
 * root (another mount namespace, a chroot) or covered by a mount since, is
 * refused rather than named by a path that leads elsewhere.
 */
static int ckpt_path_name(struct task_struct *leader, const struct path *path,
			  char *buf, const char *what, char **name, u32 *dev,
			  u64 *ino)
{
	struct inode *inode = d_inode(path->dentry);
	struct path root, found;
	char *p;
	int err;

	if (d_unlinked(path->dentry))
		return ckpt_refuse_task(leader, "a deleted %s", what);
	get_fs_root(current->fs, &root);
	p = __d_path(path, &root, buf, PATH_MAX);
	path_put(&root);
	if (IS_ERR_OR_NULL(p))
		return ckpt_refuse_task(leader,
					"a %s out of the dumper's reach (another mount namespace or root)",
					what);
	err = kern_path(p, LOOKUP_DIRECTORY, &found);
	if (err)
		return ckpt_refuse_task(leader, "a %s the dumper cannot look up: %s",
					what, p);
	err = path_equal(&found, path) ? 0 :
	      ckpt_refuse_task(leader,
			       "a %s whose path leads elsewhere (covered by a mount): %s",
			       what, p);
	path_put(&found);
	*name = p;
	*dev = new_encode_dev(inode->i_sb->s_dev);
	*ino = inode->i_ino;
	return err;
}

/**
 * ckpt_dump_proc - write the PROC record of a held process
 * @ctx: the image
 * @leader: the process's group leader; its threads are held still
 * @nr_threads: the THREAD records that will follow
 * @stopped: the process was in a group stop
 *
 * Return: 0, -EOPNOTSUPP for state the image cannot hold, or -errno.
 */
int ckpt_dump_proc(struct ckpt_ctx *ctx, struct task_struct *leader,
		   unsigned int nr_threads, bool stopped)
{
	struct user_namespace *ns = current_user_ns();
	struct ckpt_proc *rec;
	const struct cred *cred;
	unsigned long flags;
	struct group_info *gi;
	struct path pwd, root;
	char *buf, *cwd_name, *root_name;
	size_t cwd_len, root_len, len;
	u32 cwd_dev, root_dev;
	u64 cwd_ino, root_ino;
	unsigned int i, umask;
	int err;

	err = ckpt_check_proc(leader);
	if (err)
		return err;
	buf = kmalloc(2 * PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	task_lock(leader);
	if (!leader->fs) {
		task_unlock(leader);
		kfree(buf);
		return -ESRCH;
	}
	get_fs_pwd(leader->fs, &pwd);
	get_fs_root(leader->fs, &root);
	umask = leader->fs->umask;
	task_unlock(leader);
	err = ckpt_path_name(leader, &pwd, buf, "working directory", &cwd_name,
			     &cwd_dev, &cwd_ino);
	if (!err)
		err = ckpt_path_name(leader, &root, buf + PATH_MAX,
				     "root directory", &root_name, &root_dev,
				     &root_ino);
	if (err)
		goto out;
	cwd_len = strlen(cwd_name) + 1;
	root_len = strlen(root_name) + 1;

	cred = get_task_cred(leader);
	gi = cred->group_info;
	len = sizeof(*rec) + gi->ngroups * sizeof(u32) + cwd_len + root_len;
	rec = ckpt_rec_begin(ctx, CKPT_REC_PROC, len);
	if (IS_ERR(rec)) {
		put_cred(cred);
		err = PTR_ERR(rec);
		goto out;
	}
	memset(rec, 0, sizeof(*rec));
	rec->pid = task_tgid_vnr(leader);
	rec->nr_threads = nr_threads;
	rec->umask = umask;
	rec->personality = leader->personality;
	rec->uid = from_kuid_munged(ns, cred->uid);
	rec->euid = from_kuid_munged(ns, cred->euid);
	rec->suid = from_kuid_munged(ns, cred->suid);
	rec->fsuid = from_kuid_munged(ns, cred->fsuid);
	rec->gid = from_kgid_munged(ns, cred->gid);
	rec->egid = from_kgid_munged(ns, cred->egid);
	rec->sgid = from_kgid_munged(ns, cred->sgid);
	rec->fsgid = from_kgid_munged(ns, cred->fsgid);
	rec->ngroups = gi->ngroups;
	for (i = 0; i < gi->ngroups; i++)
		((u32 *)(rec + 1))[i] = from_kgid_munged(ns, gi->gid[i]);
	put_cred(cred);
	rec->cwd_len = cwd_len;
	rec->root_len = root_len;
	rec->cwd_dev = cwd_dev;
	rec->cwd_ino = cwd_ino;
	rec->root_dev = root_dev;
	rec->root_ino = root_ino;
	rec->flags = stopped ? CKPT_PROC_STOPPED : 0;
	/*
	 * Only said: a restored process is in the restorer's session and
	 * group, as after execve(); the ckpt tool makes it lead them again.
	 */
	rcu_read_lock();
	if (task_session(leader) == task_pid(leader))
		rec->flags |= CKPT_PROC_SESSION_LEADER;
	if (task_pgrp(leader) == task_pid(leader))
		rec->flags |= CKPT_PROC_GROUP_LEADER;
	rcu_read_unlock();
	rec->flags |= ckpt_proc_tty_flags(leader);
	task_lock(leader);
	for (i = 0; i < CKPT_NLIMITS; i++) {
		rec->rlim[i].cur = ckpt_rlim_u64(leader->signal->rlim[i].rlim_cur);
		rec->rlim[i].max = ckpt_rlim_u64(leader->signal->rlim[i].rlim_max);
	}
	task_unlock(leader);
	if (lock_task_sighand(leader, &flags)) {
		ckpt_snap_itimers(leader, rec->itimer);
		unlock_task_sighand(leader, &flags);
	}
	memcpy((void *)(rec + 1) + rec->ngroups * sizeof(u32), cwd_name, cwd_len);
	memcpy((void *)(rec + 1) + rec->ngroups * sizeof(u32) + cwd_len,
	       root_name, root_len);
	ckpt_rec_end(ctx, len);
out:
	path_put(&pwd);
	path_put(&root);
	kfree(buf);
	return err;
}

/*
 * Gather the children of every thread of @leader into @kids, at most
 * @max; the number there are, which may be more.  A ptrace tracer is
 * refused: the image cannot make it trace again.
 */
static int ckpt_gather_children(struct task_struct *leader,
				struct ckpt_child *kids, unsigned int max)
{
	struct task_struct *t, *c;
	int n = 0;

	read_lock(&tasklist_lock);
	for_each_thread(leader, t) {
		if (!list_empty(&t->ptraced)) {
			read_unlock(&tasklist_lock);
			return ckpt_refuse_task(leader,
					"thread %d: tracing another process (ptrace)",
					task_pid_vnr(t));
		}
		list_for_each_entry(c, &t->children, sibling) {
			if (n < max) {
				kids[n].pid = task_tgid_vnr(c);
				kids[n].flags = c->exit_state ? CKPT_CHILD_ZOMBIE : 0;
				memset(kids[n].comm, 0, sizeof(kids[n].comm));
				get_task_comm(kids[n].comm, c);
			}
			n++;
		}
	}
	read_unlock(&tasklist_lock);
	return n;
}

/**
 * ckpt_dump_children - write a CHILD record for each child of the process
 * @ctx: the context
 * @leader: the process, all its threads held
 *
 * Held threads neither fork nor wait, but children may still come (as to
 * a subreaper) or go (reaped by the kernel with SIGCHLD ignored):
 * gathered again with more room until they fit.
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP (logged) for a tracer; -ENOMEM; a write error.
 */
int ckpt_dump_children(struct ckpt_ctx *ctx, struct task_struct *leader)
{
	struct ckpt_child *kids = NULL;
	unsigned int max = 0;
	int i, n, err = 0;

	for (;;) {
		n = ckpt_gather_children(leader, kids, max);
		if (n <= (int)max)
			break;
		kvfree(kids);
		max = n + 16;
		kids = kvmalloc_array(max, sizeof(*kids), GFP_KERNEL);
		if (!kids)
			return -ENOMEM;
	}
	for (i = 0; !err && i < n; i++)
		err = ckpt_write_rec(ctx, CKPT_REC_CHILD, &kids[i], sizeof(*kids));
	kvfree(kids);
	return n < 0 ? n : err;
}

/*
 * Restore.
 */
struct ckpt_proc_stage {
	unsigned int nr_children;
	char children[96];
	bool have_proc;
	bool set_root;
	struct ckpt_proc proc;
	struct path pwd;
	struct path root;
	struct rlimit rlim[CKPT_NLIMITS];
};

/**
 * ckpt_stage_proc_alloc - start staging the process-wide state
 *
 * Return: the stage, or NULL when out of memory.
 */
struct ckpt_proc_stage *ckpt_stage_proc_alloc(void)
{
	return kvzalloc(sizeof(struct ckpt_proc_stage), GFP_KERNEL);
}

/**
 * ckpt_stage_proc_free - drop staged process-wide state
 * @st: the stage, or NULL
 */
void ckpt_stage_proc_free(struct ckpt_proc_stage *st)
{
	if (!st)
		return;
	path_put(&st->pwd);
	path_put(&st->root);
	kvfree(st);
}

/**
 * ckpt_stage_proc - the PROC record of a stage
 * @st: the stage, finished
 */
const struct ckpt_proc *ckpt_stage_proc(const struct ckpt_proc_stage *st)
{
	return &st->proc;
}

/* The ids of the image must be those of @cred, unless the caller may differ. */
static int ckpt_check_creds(const struct ckpt_ctx *ctx,
			    const struct ckpt_proc *p, const u32 *groups,
			    const struct cred *cred)
{
	struct user_namespace *ns = ckpt_target_user_ns(ctx);
	const struct group_info *gi = cred->group_info;
	unsigned int i;

	if (ckpt_checkpoint_restore_capable(ctx))
		return 0;
	if (p->uid != from_kuid_munged(ns, cred->uid) ||
	    p->euid != from_kuid_munged(ns, cred->euid) ||
	    p->suid != from_kuid_munged(ns, cred->suid) ||
	    p->fsuid != from_kuid_munged(ns, cred->fsuid) ||
	    p->gid != from_kgid_munged(ns, cred->gid) ||
	    p->egid != from_kgid_munged(ns, cred->egid) ||
	    p->sgid != from_kgid_munged(ns, cred->sgid) ||
	    p->fsgid != from_kgid_munged(ns, cred->fsgid) ||
	    p->ngroups != gi->ngroups)
		return -EPERM;
	for (i = 0; i < gi->ngroups; i++)
		if (groups[i] != from_kgid_munged(ns, gi->gid[i]))
			return -EPERM;
	return 0;
}

static int ckpt_stage_rlimits(struct ckpt_proc_stage *st,
			      struct task_struct *task)
{
	unsigned int i;
	int err;

	for (i = 0; i < CKPT_NLIMITS; i++) {
		const struct ckpt_rlimit *r = &st->proc.rlim[i];
		struct rlimit *new = &st->rlim[i];
		struct rlimit old;

		if ((r->cur != ~0ULL && r->cur >= RLIM_INFINITY) ||
		    (r->max != ~0ULL && r->max >= RLIM_INFINITY))
			return -EINVAL;
		new->rlim_cur = r->cur == ~0ULL ? RLIM_INFINITY : r->cur;
		new->rlim_max = r->max == ~0ULL ? RLIM_INFINITY : r->max;
		if (new->rlim_cur > new->rlim_max)
			return -EINVAL;
		if (i == RLIMIT_NOFILE && new->rlim_max > sysctl_nr_open)
			return -EPERM;
		task_lock(task->group_leader);
		old = task->signal->rlim[i];
		task_unlock(task->group_leader);
		if (new->rlim_max > old.rlim_max && !capable(CAP_SYS_RESOURCE))
			return -EPERM;
		err = security_task_setrlimit(task, i, new);
		if (err)
			return err;
	}
	return 0;
}

/* Look up a recorded directory: the one recorded, or -ESTALE. */
static int ckpt_stage_dir(const char *name, u32 dev, u64 ino, const char *what,
			  struct path *path)
{
	struct inode *inode;
	int err;

	err = kern_path(name, LOOKUP_DIRECTORY, path);
	if (err)
		return err;
	inode = d_inode(path->dentry);
	if (new_encode_dev(inode->i_sb->s_dev) != dev || inode->i_ino != ino) {
		pr_info_ratelimited("%s[%d]: %s %s is not the directory that was checkpointed\n",
				    current->comm, task_pid_nr(current), what,
				    name);
		return -ESTALE;
	}
	return 0;
}

/*
 * The directories, as chdir() and chroot() in the process would take them,
 * checked for the caller and for the process.
 */
static int ckpt_stage_dirs(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st,
			   const char *cwd, const char *root)
{
	struct task_struct *task = ctx->task;
	const struct ckpt_proc *p = &st->proc;
	struct path cur_root;
	int err;

	err = ckpt_stage_dir(root, p->root_dev, p->root_ino, "root", &st->root);
	if (err)
		return err;
	task_lock(task);
	if (!task->fs) {
		task_unlock(task);
		return -ESRCH;
	}
	get_fs_root(task->fs, &cur_root);
	task_unlock(task);
	st->set_root = !path_equal(&cur_root, &st->root);
	path_put(&cur_root);
	if (st->set_root) {
		/* What chroot() checks. */
		err = ckpt_path_permission(ctx, &st->root, MAY_EXEC | MAY_CHDIR);
		if (err)
			return err;
		if (!ckpt_capable(ctx, CAP_SYS_CHROOT))
			return -EPERM;
		err = security_path_chroot(&st->root);
		if (err)
			return err;
	}
	err = ckpt_stage_dir(cwd, p->cwd_dev, p->cwd_ino, "working directory",
			     &st->pwd);
	if (err)
		return err;
	return ckpt_path_permission(ctx, &st->pwd, MAY_EXEC | MAY_CHDIR);
}

static int ckpt_stage_proc_payload(struct ckpt_ctx *ctx,
				   struct ckpt_proc_stage *st,
				   const void *payload, size_t len)
{
	const struct ckpt_proc *p = payload;
	const u32 *groups = payload + sizeof(*p);
	const char *cwd, *root;
	const struct cred *cred;
	int i, err;

	if (p->ngroups > NGROUPS_MAX || !p->nr_threads ||
	    p->nr_threads > CKPT_MAX_THREADS || p->flags & ~CKPT_PROC_FLAGS ||
	    p->umask & ~0777 || personality(p->personality) != PER_LINUX ||
	    !p->cwd_len || !p->root_len || p->cwd_len > PATH_MAX ||
	    p->root_len > PATH_MAX ||
	    len != sizeof(*p) + p->ngroups * sizeof(u32) + p->cwd_len +
		   p->root_len)
		return -EINVAL;
	for (i = 0; i < CKPT_ITIMERS; i++)
		if (p->itimer[i].value > KTIME_MAX ||
		    p->itimer[i].interval > KTIME_MAX)
			return -EINVAL;
	cwd = (const char *)(groups + p->ngroups);
	root = cwd + p->cwd_len;
	if (strnlen(cwd, p->cwd_len) != p->cwd_len - 1 ||
	    strnlen(root, p->root_len) != p->root_len - 1 ||
	    cwd[0] != '/' || root[0] != '/')
		return -EINVAL;
	st->proc = *p;

	cred = get_task_cred(ctx->task);
	err = ckpt_check_creds(ctx, p, groups, cred);
	put_cred(cred);
	return err ?: ckpt_stage_rlimits(st, ctx->task) ?:
	       ckpt_stage_dirs(ctx, st, cwd, root);
}

/**
 * ckpt_stage_proc_rec - take the PROC record
 * @ctx: the context; ctx->task is the process restored
 * @st: the stage
 * @h: the record's header
 *
 * Checks the credentials and opens the directories with the caller's
 * rights, and in a rollback the target's too, before the point of no
 * return.
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one;
 * -EPERM for credentials or limits the caller may not have; -ESTALE for a
 * directory that is not the one recorded; the errors of looking up the
 * directories.
 */
int ckpt_stage_proc_rec(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st,
			const struct ckpt_rec_hdr *h)
{
	void *p;
	int err;

	p = ckpt_read_payload(ctx, h, sizeof(struct ckpt_proc),
			      sizeof(struct ckpt_proc) +
			      NGROUPS_MAX * sizeof(u32) + 2 * PATH_MAX);
	if (IS_ERR(p))
		return PTR_ERR(p);
	err = st->have_proc ? -EINVAL :
	      ckpt_stage_proc_payload(ctx, st, p, h->len);
	st->have_proc = true;
	kvfree(p);
	return err;
}

/**
 * ckpt_stage_child_rec - take in a CKPT_REC_CHILD record
 * @ctx: the context
 * @st: the stage
 * @h: the record's header
 * @after_proc: the record follows the PROC record or another CHILD
 *
 * The first few are kept for the message of a refusal.
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one.
 */
int ckpt_stage_child_rec(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st,
			 const struct ckpt_rec_hdr *h, bool after_proc)
{
	size_t len = strlen(st->children);
	struct ckpt_child *c;
	int err = -EINVAL;

	c = ckpt_read_payload(ctx, h, sizeof(*c), sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (!after_proc || c->flags & ~CKPT_CHILD_ZOMBIE ||
	    strnlen(c->comm, sizeof(c->comm)) == sizeof(c->comm))
		goto out;
	if (st->nr_children++ < 3)
		snprintf(st->children + len, sizeof(st->children) - len,
			 "%s%u (%s%s)", len ? ", " : "", c->pid, c->comm,
			 c->flags & CKPT_CHILD_ZOMBIE ? ", a zombie" : "");
	err = 0;
out:
	kvfree(c);
	return err;
}

/**
 * ckpt_stage_children_done - the CHILD records have all been read
 * @ctx: the context
 * @st: the stage
 *
 * A new process cannot have the children the image's had: it is made
 * without them only if the caller says so.  Called on the record after
 * the last CHILD record, before the image's memory is staged.
 *
 * Return: 0; -EOPNOTSUPP (logged, naming them) for children.
 */
int ckpt_stage_children_done(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st)
{
	if (ctx->in_place || ctx->flags & CKPT_RESTORE_WITHOUT_CHILDREN)
		return 0;
	pr_info_ratelimited("%s[%d]: the checkpointed process had %u child%s, which a restore cannot bring back: %s%s (CKPT_RESTORE_WITHOUT_CHILDREN restores it without them)\n",
			    current->comm, task_pid_nr(current), st->nr_children,
			    st->nr_children == 1 ? "" : "ren", st->children,
			    st->nr_children > 3 ? ", ..." : "");
	return -EOPNOTSUPP;
}

/**
 * ckpt_stage_proc_finish - check the process-wide state is complete
 * @ctx: the context
 * @st: the stage
 *
 * Return: 0, or -EINVAL.
 */
int ckpt_stage_proc_finish(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st)
{
	return st->have_proc ? 0 : -EINVAL;
}

/* Arm the interval timers as setitimer() in the process would. */
static void ckpt_commit_itimers(struct task_struct *tsk,
				const struct ckpt_itimer *it)
{
	struct signal_struct *sig = tsk->signal;
	struct hrtimer *timer = &sig->real_timer;

	for (;;) {
		spin_lock_irq(&tsk->sighand->siglock);
		/* As do_setitimer(): it_real_fn() takes siglock too. */
		if (hrtimer_try_to_cancel(timer) >= 0)
			break;
		spin_unlock_irq(&tsk->sighand->siglock);
		hrtimer_cancel_wait_running(timer);
	}
	sig->it_real_incr = it[ITIMER_REAL].interval;
	if (it[ITIMER_REAL].value)
		hrtimer_start(timer, it[ITIMER_REAL].value, HRTIMER_MODE_REL);
#ifdef CONFIG_POSIX_TIMERS
	{
		int i;

		for (i = ITIMER_VIRTUAL; i <= ITIMER_PROF; i++) {
			int clk = ckpt_itimer_clock[i];
			struct cpu_itimer *c = &sig->it[clk];
			u64 nval = it[i].value, oval = c->expires;

			/* No extra tick: the value has the one setitimer() added. */
			if (oval || nval)
				set_process_cpu_timer(tsk, clk, &nval, &oval);
			c->expires = nval;
			c->incr = it[i].interval;
		}
	}
#endif
	spin_unlock_irq(&tsk->sighand->siglock);
}

/**
 * ckpt_commit_timers - arm the staged interval timers
 * @st: the stage
 *
 * Context: the restored process, once its threads exist; cannot fail.
 */
void ckpt_commit_timers(struct ckpt_proc_stage *st)
{
	ckpt_commit_itimers(current, st->proc.itimer);
}

/**
 * ckpt_stage_proc_rlimit - a resource limit of the image
 * @st: the stage, finished
 * @res: the RLIMIT_* resource
 *
 * Return: its soft limit.
 */
unsigned long ckpt_stage_proc_rlimit(const struct ckpt_proc_stage *st,
				     unsigned int res)
{
	return st->rlim[res].rlim_cur;
}

/**
 * ckpt_commit_proc - give the current process the staged shared state
 * @st: the stage
 *
 * Directories, umask, personality and limits.
 *
 * Context: the restored process's only thread, after the point of no
 * return; cannot fail.
 */
void ckpt_commit_proc(struct ckpt_proc_stage *st)
{
	struct task_struct *tsk = current;
	unsigned int i;

	if (st->set_root)
		set_fs_root(tsk->fs, &st->root);
	set_fs_pwd(tsk->fs, &st->pwd);
	tsk->fs->umask = st->proc.umask;
	tsk->personality = st->proc.personality;

	task_lock(tsk->group_leader);
	for (i = 0; i < CKPT_NLIMITS; i++)
		tsk->signal->rlim[i] = st->rlim[i];
	task_unlock(tsk->group_leader);
	if (IS_ENABLED(CONFIG_POSIX_TIMERS) &&
	    st->rlim[RLIMIT_CPU].rlim_cur != RLIM_INFINITY)
		update_rlimit_cpu(tsk, st->rlim[RLIMIT_CPU].rlim_cur);
}
