// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: pipes the process holds both ends of.
 *
 * Such a pipe is the process's own: what is buffered in it is part of its
 * state as much as its memory is.  The dump reads the buffered bytes
 * without consuming them, so that a process dumped while it runs still
 * reads them all, and writes them in PIPE records before the FILE records
 * of the ends.  The restore makes a new pipe of the recorded capacity,
 * with the checks of fcntl(F_SETPIPE_SZ) for the caller, and writes the
 * bytes into it.
 *
 * Unless the pipe is still live: as for every object, a descriptor that
 * still refers to the very pipe recorded at its number, in the process
 * rolled back or in a caller restoring itself, keeps it, with what it
 * holds now (what was written to it meanwhile is not lost, what was read
 * is gone); the other end, if closed since, is opened again on it.  The
 * new pipe is then dropped.
 *
 * An end of a pipe whose other end is not in the process (a pipeline), or
 * of a FIFO, is a live object, found on restore (fdtable.c).
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * struct ckpt_pipe_seen - a pipe some descriptor of the dumped process is on
 * @pipe: the pipe, only compared: the process's descriptors hold it
 * @rd: the open file of its read end in the process, or NULL
 * @wr: and of its write end
 * @id: the object id of its PIPE records, once written
 */
struct ckpt_pipe_seen {
	struct pipe_inode_info *pipe;
	struct file *rd;
	struct file *wr;
	u32 id;
};

/* Is @file an end of a pipe made by pipe(), not of a FIFO? */
static bool ckpt_anon_pipe(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == PIPEFS_MAGIC;
}

static struct ckpt_pipe_seen *ckpt_pipe_find(struct ckpt_ctx *ctx,
					     struct pipe_inode_info *pipe)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_pipes; i++)
		if (ctx->pipes[i].pipe == pipe)
			return &ctx->pipes[i];
	return NULL;
}

/**
 * ckpt_check_pipe - note an end of a pipe or FIFO a descriptor is open on
 * @ctx: the context
 * @file: the end
 * @fd: the descriptor, for messages
 *
 * Called for every descriptor before the dump writes anything, so that a
 * pipe both of whose ends are found is known to be the process's own when
 * its first end is written.
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP (logged) for the other end of a pipe the image is
 * written to, a notification pipe, a packet-mode pipe (O_DIRECT), or an
 * end open twice (two open file descriptions of one end, or one open for
 * both reading and writing); -ENOMEM.
 */
int ckpt_check_pipe(struct ckpt_ctx *ctx, struct file *file, int fd)
{
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	struct ckpt_pipe_seen *seen;
	struct file **end;
	int err;

	if (!pipe)
		return 0;
	if (ctx->file && pipe == get_pipe_info(ctx->file, false))
		return ckpt_refuse_task(ctx->task,
				"fd %d: the pipe the image is being written to", fd);
	if (!ckpt_anon_pipe(file))
		return 0;
	if (pipe_has_watch_queue(pipe))
		return ckpt_refuse_task(ctx->task,
				"fd %d: a notification pipe (O_NOTIFICATION_PIPE) is not supported",
				fd);
	if (file->f_flags & O_DIRECT)
		return ckpt_refuse_task(ctx->task,
				"fd %d: a packet-mode pipe (O_DIRECT) is not supported",
				fd);
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) ==
	    (FMODE_READ | FMODE_WRITE))
		return ckpt_refuse_task(ctx->task,
				"fd %d: an end of a pipe open for reading and writing is not supported",
				fd);

	seen = ckpt_pipe_find(ctx, pipe);
	if (!seen) {
		if (ctx->nr_pipes == ctx->max_pipes) {
			err = ckpt_grow((void **)&ctx->pipes, &ctx->max_pipes,
					sizeof(*ctx->pipes));
			if (err)
				return err;
		}
		seen = &ctx->pipes[ctx->nr_pipes++];
		memset(seen, 0, sizeof(*seen));
		seen->pipe = pipe;
	}
	end = file->f_mode & FMODE_READ ? &seen->rd : &seen->wr;
	if (*end && *end != file)
		return ckpt_refuse_task(ctx->task,
				"fd %d: a second open file description of an end of a pipe is not supported",
				fd);
	*end = file;
	return 0;
}

/*
 * Copy what is buffered in @pipe into a buffer of @size bytes, @size
 * growing as needed, and its capacity into @cap; the number of bytes
 * copied, or an error.
 */
static ssize_t ckpt_pipe_peek(struct ckpt_ctx *ctx,
			      struct pipe_inode_info *pipe, void **buf,
			      size_t *size, u32 *cap)
{
	unsigned int tail;
	size_t need, n = 0;
	int err;

	pipe_lock(pipe);
	need = (size_t)pipe->ring_size << PAGE_SHIFT;
	if (need > *size) {
		/* resized meanwhile: try again with room for a full ring */
		pipe_unlock(pipe);
		kvfree(*buf);
		*buf = kvmalloc(need, GFP_KERNEL_ACCOUNT);
		*size = *buf ? need : 0;
		return *buf ? -EAGAIN : -ENOMEM;
	}
	*cap = pipe->max_usage << PAGE_SHIFT;	/* F_GETPIPE_SZ */
	for (tail = pipe->tail; tail != pipe->head; tail++) {
		struct pipe_buffer *b = &pipe->bufs[tail & (pipe->ring_size - 1)];

		/* its message boundaries would be lost */
		if (b->flags & PIPE_BUF_FLAG_PACKET) {
			pipe_unlock(pipe);
			return ckpt_refuse_task(ctx->task,
					"a pipe holding packets (O_DIRECT) is not supported");
		}
		err = pipe_buf_confirm(pipe, b);
		if (err) {
			pipe_unlock(pipe);
			return err;
		}
		memcpy_from_page(*buf + n, b->page, b->offset, b->len);
		n += b->len;
	}
	pipe_unlock(pipe);
	return n;
}

/* Write the PIPE records of @pipe: its capacity and buffered bytes. */
static int ckpt_write_pipe(struct ckpt_ctx *ctx, struct pipe_inode_info *pipe,
			   u32 id)
{
	const size_t chunk = CKPT_REC_MAX - sizeof(struct ckpt_pipe);
	size_t size = 0, off = 0, len;
	void *buf = NULL;
	ssize_t n;
	u32 cap;
	int err;

	do {
		n = ckpt_pipe_peek(ctx, pipe, &buf, &size, &cap);
	} while (n == -EAGAIN);
	if (n < 0) {
		kvfree(buf);
		return n;
	}
	do {
		struct ckpt_pipe *rec;

		len = min_t(size_t, n - off, chunk);
		rec = ckpt_rec_begin(ctx, CKPT_REC_PIPE, sizeof(*rec) + len);
		if (IS_ERR(rec)) {
			err = PTR_ERR(rec);
			goto out;
		}
		rec->id = id;
		rec->size = cap;
		rec->len = len;
		rec->pad = 0;
		memcpy(rec + 1, buf + off, len);
		ckpt_rec_end(ctx, sizeof(*rec) + len);
		off += len;
	} while (off < n);
	err = 0;
out:
	kvfree(buf);
	return err;
}

/**
 * ckpt_dump_pipe - write a pipe's records, if it is the process's own
 * @ctx: the context
 * @file: an end of it
 * @id: set to the pipe's object id, or 0 for a pipe that is not in the
 *	image (one end elsewhere, a FIFO)
 *
 * The pipe's records are written with its first end.
 *
 * Context: process context, no locks held; every thread of the process
 * held, and ckpt_check_pipe() called for each of its descriptors.
 * Return: 0; -EOPNOTSUPP (logged) for a pipe that came to hold packets
 * since the check; -ENOMEM; or a write error.
 */
int ckpt_dump_pipe(struct ckpt_ctx *ctx, struct file *file, u32 *id)
{
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	struct ckpt_pipe_seen *seen = pipe ? ckpt_pipe_find(ctx, pipe) : NULL;
	int err;

	*id = 0;
	if (!seen || !seen->rd || !seen->wr)
		return 0;
	if (!seen->id) {
		err = ckpt_obj_insert(ctx, ctx->nr_objs + 1, NULL);
		if (err)
			return err;
		seen->id = ctx->nr_objs;
		err = ckpt_write_pipe(ctx, pipe, seen->id);
		if (err)
			return err;
	}
	*id = seen->id;
	return 0;
}

/* Add @len bytes to the pipe being rebuilt, through its write end. */
static int ckpt_fill_pipe(struct file *wr, const void *data, u32 len)
{
	loff_t pos = 0;
	ssize_t n;

	if (!len)
		return 0;
	/* non-blocking: bytes beyond the capacity are refused, not waited on */
	n = kernel_write(wr, data, len, &pos);
	if (n == len)
		return 0;
	pr_info_ratelimited("%s[%d]: a pipe of the image holds more than its capacity\n",
			    current->comm, task_pid_nr(current));
	return n < 0 && n != -EAGAIN ? n : -EINVAL;
}

/* A new pipe of @size bytes: its read end, its write end in *@wr. */
static struct file *ckpt_new_pipe(u32 size, struct file **wr)
{
	struct file *res[2];
	long cap;
	int err;

	err = create_pipe_files(res, O_NONBLOCK);
	if (err)
		return ERR_PTR(err);
	/* as fcntl(F_SETPIPE_SZ): the caller's limits and capabilities */
	cap = pipe_fcntl(res[1], F_GETPIPE_SZ, 0);
	if (cap >= 0 && cap != size)
		cap = pipe_fcntl(res[1], F_SETPIPE_SZ, size);
	if (cap >= 0 && cap != size)
		cap = -EINVAL;	/* not a size F_GETPIPE_SZ gives */
	if (cap < 0) {
		pr_info_ratelimited("%s[%d]: cannot make a pipe of %u bytes: error %ld\n",
				    current->comm, task_pid_nr(current), size, cap);
		fput(res[0]);
		fput(res[1]);
		return ERR_PTR(cap);
	}
	*wr = res[1];
	return res[0];
}

/**
 * ckpt_restore_pipe - take in a CKPT_REC_PIPE record
 * @ctx: the context
 * @h: the record's header
 *
 * The first record of an id makes the pipe, the next ones of the same id
 * (which must follow it) add to its data.  The pipe is entered in the
 * object table, its read end as the object's file and its write end as
 * its peer, for the FILE records of its ends.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one
 * (a capacity that is not a pipe's, more data than it, an id taken); the
 * error of fcntl(F_SETPIPE_SZ) (-EPERM over /proc/sys/fs/pipe-max-size);
 * -ENFILE, -ENOMEM.
 */
int ckpt_restore_pipe(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_pipe *rec;
	struct ckpt_obj *obj;
	struct file *rd, *wr;
	int err;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec) + CKPT_REC_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	err = -EINVAL;
	if (!rec->id || rec->pad || rec->len != h->len - sizeof(*rec))
		goto out;
	obj = ckpt_obj_find(ctx, rec->id);
	if (obj) {
		/* more of the pipe made by the previous record */
		if (obj != &ctx->objs[ctx->nr_objs - 1] || obj->rec.type || !obj->peer ||
		    obj->ends || obj->rec.size != rec->size)
			goto out;
		err = ckpt_fill_pipe(obj->peer, rec + 1, rec->len);
		goto out;
	}
	rd = ckpt_new_pipe(rec->size, &wr);
	if (IS_ERR(rd)) {
		err = PTR_ERR(rd);
		goto out;
	}
	err = ckpt_fill_pipe(wr, rec + 1, rec->len) ?:
	      ckpt_obj_insert(ctx, rec->id, rd);
	fput(rd);
	if (err) {
		fput(wr);
		goto out;
	}
	obj = &ctx->objs[ctx->nr_objs - 1];
	obj->peer = wr;
	obj->rec.size = rec->size;
out:
	kvfree(rec);
	return err;
}

/* Is @file open on the pipe @pipe_obj made? */
static bool ckpt_on_new_pipe(const struct ckpt_obj *pipe_obj, struct file *file)
{
	return get_pipe_info(file, false) == get_pipe_info(pipe_obj->file, false);
}

/* Open the end of @live's pipe that @obj records, as opening /proc/self/fd/N would. */
static int ckpt_reopen_end(struct ckpt_ctx *ctx, struct ckpt_obj *obj,
			   struct file *live)
{
	int flags = (obj->rec.flags & O_ACCMODE) | O_NONBLOCK;
	struct file *file;
	int err;

	err = ckpt_path_permission(ctx, &live->f_path, ACC_MODE(flags) | MAY_OPEN);
	if (err)
		return err;
	/* non-blocking: fifo_open() never waits for the other end */
	file = dentry_open(&live->f_path, flags, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file) == -ENXIO ? -ESTALE : PTR_ERR(file);
	fput(obj->file);
	obj->file = file;
	return 0;
}

/**
 * ckpt_live_pipes - keep the pipes the committing task still has
 * @ctx: the context
 * @fds: the image's descriptors
 * @nr: how many
 *
 * A descriptor on the very pipe recorded, open the same way, keeps that
 * live open file; the ends of a live pipe no descriptor still has are
 * opened again on it.
 *
 * Context: the committing task, before the point of no return.
 * Return: 0; -ESTALE if a write end cannot be opened again (no reader
 * left); the error of the permission check or the open.
 */
int ckpt_live_pipes(struct ckpt_ctx *ctx, const struct ckpt_fd *fds,
		    unsigned int nr)
{
	struct ckpt_obj *obj, *pipe_obj;
	struct file *file;
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		if (fds[i].flags & CKPT_FD_IMAGE)
			continue;
		obj = ckpt_obj_find(ctx, fds[i].file);
		if (obj->rec.type != CKPT_FILE_PIPE || !obj->rec.inode)
			continue;
		pipe_obj = ckpt_obj_find(ctx, obj->rec.inode);
		if (!ckpt_on_new_pipe(pipe_obj, obj->file))
			continue;	/* a dup() of a live end found already */
		file = fget_raw(fds[i].fd);
		if (!file)
			continue;
		if (!ckpt_same_file(&obj->rec, file_inode(file)) ||
		    (file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
		    OPEN_FMODE(obj->rec.flags)) {
			fput(file);
			continue;
		}
		fput(obj->file);
		obj->file = file;
		pipe_obj->live = file;
	}
	for (i = 0; i < ctx->nr_objs; i++) {
		obj = &ctx->objs[i];
		if (obj->rec.type != CKPT_FILE_PIPE || !obj->rec.inode)
			continue;
		pipe_obj = ckpt_obj_find(ctx, obj->rec.inode);
		if (!pipe_obj->live || !ckpt_on_new_pipe(pipe_obj, obj->file))
			continue;
		err = ckpt_reopen_end(ctx, obj, pipe_obj->live);
		if (err) {
			pr_info_ratelimited("%s[%d]: cannot open the other end of a live pipe again: error %d\n",
					    current->comm, task_pid_nr(current), err);
			return err;
		}
	}
	return 0;
}

/**
 * ckpt_pipe_end - the end of a rebuilt pipe that a FILE record names
 * @ctx: the context
 * @rec: the FILE record, of a pipe end with a pipe id
 *
 * Each end is given to one FILE record.
 *
 * Return: the end, with a reference; ERR_PTR(-EINVAL) for an id that is
 * not a pipe's or an end given already.
 */
struct file *ckpt_pipe_end(struct ckpt_ctx *ctx, const struct ckpt_file *rec)
{
	struct ckpt_obj *obj = ckpt_obj_find(ctx, rec->inode);
	unsigned int end = (rec->flags & O_ACCMODE) == O_RDONLY ? 1 : 2;
	struct file *file;

	if (!obj || obj->rec.type || !obj->peer || obj->ends & end)
		return ERR_PTR(-EINVAL);
	obj->ends |= end;
	file = end == 1 ? obj->file : obj->peer;
	return get_file(file);
}
