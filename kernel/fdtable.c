// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the file descriptor table.
 *
 * Dump: every descriptor of the process, in increasing order, as a FD
 * record naming the FILE record of its open file (files.c); two
 * descriptors sharing an open file (dup()) name the same one.  The
 * descriptor the image itself is written to is marked, not recorded.  A
 * descriptor ckpt cannot restore fails the dump: an image never holds part
 * of a table.
 *
 * Restore: the records are staged with the files (reopened while staging);
 * in the committing task, before the point of no return, each descriptor of
 * a terminal, a pipe or a socket kept by identity is matched with the live
 * object the descriptor of the same number refers to; at the point of
 * exec's unshare_files() the table is replaced by the image's, which can
 * then only fail for want of memory.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tty.h>

#include "internal.h"

static int ckpt_match_file(const void *p, struct file *file, unsigned int fd)
{
	return file == p ? fd + 1 : 0;
}

/**
 * ckpt_files_fd - the lowest descriptor a file is open at
 * @files: a file table
 * @file: the file
 *
 * Context: process context; takes @files->file_lock.
 * Return: the descriptor, or -1.
 */
int ckpt_files_fd(struct files_struct *files, struct file *file)
{
	return iterate_fd(files, 0, ckpt_match_file, file) - 1;
}

/**
 * ckpt_files_nr_fds - how many descriptors a file is open at
 * @files: a file table
 * @file: the file
 *
 * Context: process context; takes @files->file_lock.
 */
unsigned int ckpt_files_nr_fds(struct files_struct *files, struct file *file)
{
	unsigned int n = 0;
	int next = 0;

	while ((next = iterate_fd(files, next, ckpt_match_file, file)) > 0)
		n++;
	return n;
}

/* The most descriptors an image may have: fs.nr_open's default. */
#define CKPT_MAX_FDS		(1024 * 1024)

/**
 * struct ckpt_fd_stage - a file descriptor table staged for the commit
 * @fds: the FD records, by increasing descriptor
 * @files: what each descriptor gets, found by ckpt_stage_fds_precommit()
 * @nr: records in @fds
 * @max: room in @fds
 */
struct ckpt_fd_stage {
	struct ckpt_fd *fds;
	struct file **files;
	unsigned int nr;
	unsigned int max;
};

/*
 * The process's file table, with a reference: one table for all its
 * threads (an exited group leader has none), used by no other process.
 */
static struct files_struct *ckpt_get_files(struct task_struct *leader)
{
	struct files_struct *files = NULL;
	struct task_struct *t;
	int users = 0, own = 0;

	rcu_read_lock();
	for_each_thread(leader, t) {
		task_lock(t);
		if (t->files && !files) {
			files = t->files;
			atomic_inc(&files->count);
		}
		if (t->files && t->files == files)
			users++;
		else if (t->files && !own)
			own = task_pid_vnr(t);
		task_unlock(t);
	}
	rcu_read_unlock();
	if (!files)
		return ERR_PTR(-ESRCH);
	if (own) {
		put_files_struct(files);
		return ERR_PTR(ckpt_refuse_task(leader,
				"thread %d: a file table of its own (unshare(CLONE_FILES))",
				own));
	}
	/* each user holds a reference, and so do we */
	if (atomic_read(&files->count) > users + 1) {
		put_files_struct(files);
		return ERR_PTR(ckpt_refuse_task(leader,
				"a file table shared with another process (CLONE_FILES)"));
	}
	return files;
}

/* The next open descriptor from *fd on, with a reference; NULL past the last. */
static struct file *ckpt_next_fd(struct files_struct *files, unsigned int *fd,
				 bool *cloexec)
{
	struct file *file = NULL;
	struct fdtable *fdt;
	unsigned int n;

	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	for (n = *fd; n < fdt->max_fds; n++) {
		n = find_next_bit(fdt->open_fds, fdt->max_fds, n);
		if (n >= fdt->max_fds)
			break;
		file = files_lookup_fd_locked(files, n);
		if (file) {	/* not only reserved by an open() under way */
			get_file(file);
			*cloexec = close_on_exec(n, fdt);
			break;
		}
	}
	spin_unlock(&files->file_lock);
	*fd = n;
	return file;
}

/**
 * ckpt_dump_fds - write the FILE and FD records of the file table
 * @ctx: the context
 * @leader: the process, all its threads held
 * @check: only check that every descriptor can be recorded, write nothing
 *
 * A dump checks first, before its first record: an image of a process with
 * a descriptor ckpt cannot restore is never begun.  The table cannot
 * change between the two calls: every thread is held.
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP (logged, naming the descriptor and the process)
 * for a table not the process's alone or a file ckpt cannot restore;
 * -ESRCH if the process is exiting; or a write error.
 */
int ckpt_dump_fds(struct ckpt_ctx *ctx, struct task_struct *leader, bool check)
{
	struct files_struct *files;
	unsigned int fd = 0;
	int err = 0;

	files = ckpt_get_files(leader);
	if (IS_ERR(files))
		return PTR_ERR(files);
	ctx->files = files;	/* a socket's peer is found in it */
	for (;; fd++) {
		struct ckpt_fd rec = { 0 };
		struct file *file;
		bool cloexec;

		file = ckpt_next_fd(files, &fd, &cloexec);
		if (!file)
			break;
		rec.fd = fd;
		rec.flags = cloexec ? CKPT_FD_CLOEXEC : 0;
		if (file == ctx->file)
			rec.flags |= CKPT_FD_IMAGE;
		else if (check)
			err = ckpt_check_file(ctx, file, fd) ?:
			      (ckpt_is_epoll(file) ?
			       ckpt_check_epoll(ctx, files, file, fd) : 0) ?:
			      (ckpt_is_socket(file) ?
			       ckpt_check_socket(ctx, file, fd) : 0);
		else
			err = ckpt_dump_file(ctx, file, fd, &rec.file);
		fput(file);
		if (!err && !check)
			err = ckpt_write_rec(ctx, CKPT_REC_FD, &rec, sizeof(rec));
		if (err)
			break;
	}
	ctx->files = NULL;
	put_files_struct(files);
	return err;
}

struct ckpt_fd_stage *ckpt_stage_fds_alloc(void)
{
	return kzalloc(sizeof(struct ckpt_fd_stage), GFP_KERNEL);
}

void ckpt_stage_fds_free(struct ckpt_fd_stage *st)
{
	unsigned int i;

	if (!st)
		return;
	if (st->files) {
		for (i = 0; i < st->nr; i++)
			if (st->files[i])
				fput(st->files[i]);
		kvfree(st->files);
	}
	kvfree(st->fds);
	kfree(st);
}

static void ckpt_log_changed(unsigned int nr, struct file *file)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	char *path = buf ? file_path(file, buf, PATH_MAX) : ERR_PTR(-ENOMEM);

	pr_info_ratelimited("%s[%d]: fd %u: %s has changed since the checkpoint (CKPT_RESTORE_CHANGED_FILES restores it anyway)\n",
			    current->comm, task_pid_nr(current), nr,
			    IS_ERR(path) ? "a file" : path);
	kfree(buf);
}

/**
 * ckpt_stage_fd_rec - take in a CKPT_REC_FD record
 * @ctx: the context
 * @st: the stage
 * @h: the record's header
 *
 * A regular file open at a descriptor must not have changed since the
 * checkpoint (size and modification time), unless the caller allows it
 * (CKPT_RESTORE_CHANGED_FILES): the process would read what it never
 * wrote.
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one
 * (a descriptor out of order or repeated, an unknown file); -ESTALE for a
 * changed file.
 */
int ckpt_stage_fd_rec(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st,
		      const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = NULL;
	struct ckpt_fd *fd;
	int err;

	fd = ckpt_read_payload(ctx, h, sizeof(*fd), sizeof(*fd));
	if (IS_ERR(fd))
		return PTR_ERR(fd);
	err = -EINVAL;
	if (fd->pad || fd->flags & ~CKPT_FD_FLAGS || fd->fd >= sysctl_nr_open ||
	    (st->nr && fd->fd <= st->fds[st->nr - 1].fd) ||
	    st->nr == CKPT_MAX_FDS)
		goto out;
	if (fd->flags & CKPT_FD_IMAGE) {
		if (fd->file)
			goto out;
	} else {
		/*
		 * A FILE record's object, not a pipe's; with its file, but a
		 * terminal's or a live pipe's, found at the commit, and a
		 * socket's, made then.
		 */
		obj = ckpt_obj_find(ctx, fd->file);
		if (!obj || !obj->rec.type ||
		    (!obj->file && obj->rec.type != CKPT_FILE_TTY &&
		     obj->rec.type != CKPT_FILE_PIPE && !obj->sock))
			goto out;
	}
	if (obj && obj->rec.type == CKPT_FILE_REG &&
	    !(ctx->flags & CKPT_RESTORE_CHANGED_FILES) &&
	    !ckpt_file_unchanged(obj)) {
		ckpt_log_changed(fd->fd, obj->file);
		err = -ESTALE;
		goto out;
	}
	if (st->nr == st->max) {
		err = ckpt_grow((void **)&st->fds, &st->max, sizeof(*st->fds));
		if (err)
			goto out;
	}
	st->fds[st->nr++] = *fd;
	err = 0;
out:
	kvfree(fd);
	return err;
}

/* The access mode of open flags, as the FMODE_ bits of a file. */
static fmode_t ckpt_acc_fmode(unsigned int flags)
{
	return (flags & O_PATH) ? 0 : OPEN_FMODE(flags);
}

/* Is @file the kind of live object @obj records, open the same way? */
static bool ckpt_live_match(const struct ckpt_ctx *ctx,
			    const struct ckpt_obj *obj, struct file *file)
{
	const struct ckpt_file *rec = &obj->rec;
	bool same;

	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    ckpt_acc_fmode(rec->flags))
		return false;
	/* a socket's identity is its cookie, not its inode */
	if (rec->type == CKPT_FILE_SOCKET)
		return ckpt_sock_live_match(ctx, obj, file);
	same = ckpt_same_file(rec, file_inode(file));
	if (rec->type == CKPT_FILE_TTY && !tty_file_is_tty(file))
		return false;
	/* A rollback keeps the very object; a new process takes the caller's. */
	if (ctx->in_place || same)
		return same;
	if (rec->type == CKPT_FILE_TTY)
		return true;
	/* another pipe handed over: what was unread in this one is not carried */
	return S_ISFIFO(file_inode(file)->i_mode) && !rec->size;
}

/*
 * The live object for a terminal, a pipe or a socket kept by identity of
 * the image at descriptor @nr:
 * the current task's descriptor @nr if it refers to it (a rollback), or is
 * of its kind (a restore as a new process: the restorer hands over its own
 * pipe or terminal at that number).  A terminal of a new process falls
 * back on the restorer's first terminal among its descriptors 0, 1, 2,
 * as a shell's job gets its terminal.
 */
static struct file *ckpt_live_file(struct ckpt_ctx *ctx,
				   const struct ckpt_obj *obj, unsigned int nr)
{
	unsigned int i;
	struct file *file;

	file = fget_raw(nr);
	if (file && ckpt_live_match(ctx, obj, file))
		return file;
	if (file)
		fput(file);
	if (ctx->in_place || obj->rec.type != CKPT_FILE_TTY)
		return NULL;
	for (i = 0; i < 3; i++) {
		file = fget_raw(i);
		if (file && ckpt_live_match(ctx, obj, file))
			return file;
		if (file)
			fput(file);
	}
	return NULL;
}

/*
 * A FIFO no live end of which is at its descriptor: opened again by its
 * path, the very FIFO, without blocking.  Not one that had unread data:
 * that lived in the ends open at the dump, and is not in the image.
 */
static struct file *ckpt_reopen_fifo(struct ckpt_ctx *ctx,
				     const struct ckpt_obj *obj, unsigned int nr)
{
	if (obj->rec.size) {
		pr_info_ratelimited("%s[%d]: fd %u: the FIFO %s had unread data, which only its open ends keep\n",
				    current->comm, task_pid_nr(current), nr,
				    obj->path);
		return ERR_PTR(-ESTALE);
	}
	return ckpt_reopen_path(ctx, &obj->rec, obj->path);
}

/* Why no live object was found, for the log. */
static const char *ckpt_live_missing(const struct ckpt_ctx *ctx,
				     const struct ckpt_file *rec)
{
	if (rec->type == CKPT_FILE_TTY)
		return ctx->in_place ?
		       "the terminal checkpointed is no longer open there" :
		       "the restoring process has no terminal there nor on fds 0-2";
	if (rec->type == CKPT_FILE_SOCKET)
		return ctx->in_place ?
		       "the socket checkpointed is gone, nor can its record make it" :
		       "no socket handed over there is it or like it, nor can its record make it";
	if (ctx->in_place)
		return "the pipe checkpointed is no longer open there";
	if (rec->size)
		return "the pipe checkpointed had unread data, which only it can keep";
	return "the restoring process has no pipe there, open the same way";
}

/* Does the image have descriptor @nr on object @file?  For epoll.c. */
static bool ckpt_stage_has_fd(void *arg, u32 nr, u32 file)
{
	const struct ckpt_fd_stage *st = arg;
	unsigned int lo = 0, hi = st->nr;

	while (lo < hi) {	/* the records are in increasing order */
		unsigned int mid = lo + (hi - lo) / 2;

		if (st->fds[mid].fd == nr)
			return st->fds[mid].file == file;
		if (st->fds[mid].fd < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Find the file of descriptor @i: the first descriptor of a live object
 * finds it.  A FIFO reopened write-only waits for the second @pass, so
 * that a read end of its own is open by then, and a TCP connection made
 * again, so that a listener on its port is; a unix client made again
 * into a listener's backlog waits for the third, whose @pos is its place
 * there, so that the backlog is in its order (the last pass takes any).
 */
static int ckpt_fd_file(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st,
			unsigned int i, unsigned int pass, unsigned int pos)
{
	const struct ckpt_fd *fd = &st->fds[i];
	struct ckpt_obj *obj;
	struct file *file;

	if (st->files[i] || fd->flags & CKPT_FD_IMAGE)
		return 0;	/* the image's is closed: see ckpt_commit_fds() */
	obj = ckpt_obj_find(ctx, fd->file);
	if (!obj->file)
		obj->file = ckpt_live_file(ctx, obj, fd->fd);
	if (!obj->file && obj->sock) {
		/* a connection waits for the listener on its port, if any */
		if (!pass && ckpt_sock_remake_late(obj))
			return 0;
		if (pass < 3 && ckpt_sock_backlog_pos(obj) &&
		    ckpt_sock_backlog_pos(obj) != pos)
			return 0;
		/* a socket kept by identity, made again if its record allows */
		file = ckpt_sock_remake(ctx, obj, fd->fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
		obj->file = file;
	}
	if (!obj->file && obj->path) {
		if (!pass && (obj->rec.flags & O_ACCMODE) == O_WRONLY)
			return 0;
		file = ckpt_reopen_fifo(ctx, obj, fd->fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
		obj->file = file;
	}
	if (!obj->file) {
		char what[96] = "";

		if (obj->sock)
			ckpt_sock_describe(obj, what, sizeof(what));
		pr_info_ratelimited("%s[%d]: fd %u: %s%s%s\n",
				    current->comm, task_pid_nr(current),
				    fd->fd, what, what[0] ? ": " : "",
				    ckpt_live_missing(ctx, &obj->rec));
		return -ESTALE;
	}
	st->files[i] = get_file(obj->file);
	return 0;
}

/* How many descriptors still have no file: a bound on backlog places. */
static unsigned int ckpt_fds_waiting(const struct ckpt_fd_stage *st)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nr; i++)
		n += !st->files[i] && !(st->fds[i].flags & CKPT_FD_IMAGE);
	return n;
}

/**
 * ckpt_stage_fds_precommit - find the file of every descriptor
 * @ctx: the context
 * @st: the stage
 *
 * Context: the committing task (the caller, or the parked leader of the
 * process rolled back), before the point of no return.
 * A terminal, a pipe or a socket kept by identity is the live one at its
 * number; a FIFO that is not there is opened again by its path.
 *
 * Return: 0; -EMFILE for a descriptor at or above the task's
 * RLIMIT_NOFILE; -ESTALE for a terminal, pipe or socket not open at its
 * number;
 * the errors of ckpt_live_pipes() and of reopening a FIFO (-ENXIO for a
 * write end without a reader, -ENOENT, -EACCES, -ESTALE); -ENOMEM.
 */
int ckpt_stage_fds_precommit(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st)
{
	unsigned int i, pass, pos, last;
	int err;

	if (!st->nr)
		return 0;
	/* replace_fd() refuses a descriptor at or above the limit */
	if (st->fds[st->nr - 1].fd >= rlimit(RLIMIT_NOFILE)) {
		pr_info_ratelimited("%s[%d]: fd %u is over RLIMIT_NOFILE\n",
				    current->comm, task_pid_nr(current),
				    st->fds[st->nr - 1].fd);
		return -EMFILE;
	}
	err = ckpt_live_pipes(ctx, st->fds, st->nr);
	if (err)
		return err;
	st->files = kvcalloc(st->nr, sizeof(*st->files), GFP_KERNEL);
	if (!st->files)
		return -ENOMEM;
	/* a FIFO's write ends are opened again after its read ends */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < st->nr; i++) {
			err = ckpt_fd_file(ctx, st, i, pass, 0);
			if (err)
				return err;
		}
	}
	/* unix clients into their listeners' backlogs, in their order */
	last = ckpt_fds_waiting(st);
	for (pos = 1; pos <= last; pos++) {
		for (i = 0; i < st->nr; i++) {
			err = ckpt_fd_file(ctx, st, i, 2, pos);
			if (err)
				return err;
		}
	}
	for (i = 0; i < st->nr; i++) {
		err = ckpt_fd_file(ctx, st, i, 3, 0);
		if (err)
			return err;
	}
	/* the epolls watch the files now known, live ones included */
	return ckpt_epoll_precommit(ctx, ckpt_stage_has_fd, st);
}

/**
 * ckpt_commit_fds - make the image's file table the process's
 * @ctx: the context
 * @st: the stage
 *
 * As exec's unshare_files(): a table shared with another process is left
 * to it.  Every descriptor is closed, then each of the image's is
 * installed but the image's own (CKPT_FD_IMAGE), which stays closed; a
 * live terminal, pipe or socket gets the image's O_NONBLOCK.
 *
 * Context: the restored process's only thread, after the point of no
 * return.
 * Return: 0, or -ENOMEM.
 */
int ckpt_commit_fds(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st)
{
	unsigned int i;
	int err;

	err = unshare_files();
	if (err)
		return err;
	__close_range(0, ~0U, 0);
	for (i = 0; i < st->nr; i++) {
		const struct ckpt_fd *fd = &st->fds[i];
		struct file *file = st->files[i];
		struct ckpt_obj *obj;

		/*
		 * The descriptor a process wrote its own image to is closed:
		 * what the restore read the image from is the restorer's.
		 */
		if (fd->flags & CKPT_FD_IMAGE)
			continue;
		err = replace_fd(fd->fd, file,
				 fd->flags & CKPT_FD_CLOEXEC ? O_CLOEXEC : 0);
		if (err)
			return err;
		obj = ckpt_obj_find(ctx, fd->file);
		if (obj->rec.type == CKPT_FILE_TTY ||
		    obj->rec.type == CKPT_FILE_PIPE ||
		    obj->rec.type == CKPT_FILE_SOCKET) {
			spin_lock(&file->f_lock);
			file->f_flags = (file->f_flags & ~O_NONBLOCK) |
					(obj->rec.flags & O_NONBLOCK);
			spin_unlock(&file->f_lock);
		}
	}
	return 0;
}
