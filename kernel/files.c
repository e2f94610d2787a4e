// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: open files, written once each and named by object id.
 *
 * A regular file, a directory or one of the memory devices (/dev/null,
 * zero, full, random, urandom) is recorded by path and identity (device,
 * inode, size, modification time) and reopened by path, with the
 * restoring caller's credentials, on restore.  A file that is not the one
 * recorded makes the restore fail with -ESTALE rather than map or read the
 * wrong contents.
 *
 * A pipe the process holds both ends of is rebuilt with its data (pipe.c);
 * a regular file unlinked while open, with its content (filedata.c).
 * A terminal, a FIFO or an end of another pipe is not reopened: it is
 * recorded by identity, and a restore takes the live object a descriptor
 * of the same number refers to (fdtable.c); a FIFO not found so is
 * reopened by its path.  Any other kind of file is
 * refused.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/dcache.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/eventpoll.h>	/* after linux/fs.h: it uses struct file */
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tty.h>

#include "internal.h"

/*
 * The open flags a reopen gives back: the access mode and the status
 * flags open() takes.  O_CLOEXEC is the descriptor's (CKPT_FD_CLOEXEC);
 * O_ASYNC needs an owner and a signal, which are not recorded.
 */
#define CKPT_REOPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
				 __O_SYNC | O_DIRECT | O_LARGEFILE | \
				 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH)

/* The memory devices, which hold no state: reopened by path. */
static bool ckpt_mem_device(dev_t rdev)
{
	if (MAJOR(rdev) != MEM_MAJOR)
		return false;
	switch (MINOR(rdev)) {
	case 3:		/* null */
	case 5:		/* zero */
	case 7:		/* full */
	case 8:		/* random */
	case 9:		/* urandom */
		return true;
	}
	return false;
}

/* CKPT_FILE_* of a file, or 0 for a kind ckpt does not support. */
static u32 ckpt_file_type(const struct ckpt_ctx *ctx, struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISREG(inode->i_mode) && d_unlinked(file->f_path.dentry) &&
	    !(file->f_path.mnt->mnt_flags & MNT_INTERNAL))
		return CKPT_FILE_UNLINKED;
	if (S_ISREG(inode->i_mode) && ckpt_is_memfd(file))
		return CKPT_FILE_MEMFD;
	if (S_ISREG(inode->i_mode) && !(file->f_flags & O_PATH) &&
	    ckpt_has_file_data(ctx, file))
		return CKPT_FILE_CONTENT;
	if (S_ISREG(inode->i_mode))
		return CKPT_FILE_REG;
	if (S_ISDIR(inode->i_mode))
		return CKPT_FILE_DIR;
	if (S_ISFIFO(inode->i_mode))
		return CKPT_FILE_PIPE;
	if (S_ISCHR(inode->i_mode) && tty_file_is_tty(file))
		return CKPT_FILE_TTY;
	if (S_ISCHR(inode->i_mode) && ckpt_mem_device(inode->i_rdev))
		return CKPT_FILE_CHR;
	if (ckpt_is_eventfd(file))
		return CKPT_FILE_EVENTFD;
	if (ckpt_is_epoll(file))
		return CKPT_FILE_EPOLL;
	if (ckpt_is_signalfd(file))
		return CKPT_FILE_SIGNALFD;
	if (ckpt_is_timerfd(file))
		return CKPT_FILE_TIMERFD;
	if (S_ISSOCK(inode->i_mode) && ckpt_is_socket(file))
		return CKPT_FILE_SOCKET;
	return 0;
}

/* What a file is, for a refusal. */
static const char *ckpt_file_kind(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link (O_PATH)";
	if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISFIFO(mode))
		return "an anonymous inode";
	return "a file";
}

/* Which descriptor or mapping a file is, for a refusal: "fd 5: ". */
const char *ckpt_file_where(char *buf, size_t len, int fd)
{
	if (fd < 0)
		return "a mapping: ";
	snprintf(buf, len, "fd %d: ", fd);
	return buf;
}

/*
 * Can the file be recorded?  A file reopened by path must have one the
 * dumper can see (not deleted, under the process's root).
 */
static int ckpt_check_dump_file(struct ckpt_ctx *ctx, struct file *file,
				int fd, u32 type, const char *path)
{
	const char *kind = ckpt_file_kind(file);
	char where[24];

	ckpt_file_where(where, sizeof(where), fd);
	if (!type || (fd < 0 && type != CKPT_FILE_REG &&
		      !ckpt_file_in_image(type)))
		return ckpt_refuse_task(ctx->task, "%s%s (%s) is not supported",
					where, kind, path);
	/* The image is never copied into itself. */
	if (ckpt_file_in_image(type) && ctx->file &&
	    file_inode(file) == file_inode(ctx->file))
		return ckpt_refuse_task(ctx->task,
					"%sa second open of the file the image is written to (%s) is not supported",
					where, path);
	/* A kernel-internal mount (memfd, shmem) has no path to reopen. */
	if ((type == CKPT_FILE_REG || type == CKPT_FILE_DIR ||
	     type == CKPT_FILE_CHR || type == CKPT_FILE_CONTENT) &&
	    (d_unlinked(file->f_path.dentry) || path[0] != '/' ||
	     file->f_path.mnt->mnt_flags & MNT_INTERNAL))
		return ckpt_refuse_task(ctx->task,
					"%s%s that has no path (%s) is not supported",
					where, kind, path);
	/* A mapping is made again from the file; exec opens with __FMODE_EXEC. */
	if (fd >= 0 && file->f_flags & ~(CKPT_REOPEN_FLAGS | O_CLOEXEC))
		return ckpt_refuse_task(ctx->task,
					"%s%s: open flags %#o (O_ASYNC?) are not supported",
					where, path,
					file->f_flags & ~(CKPT_REOPEN_FLAGS | O_CLOEXEC));
	return 0;
}

/* Bytes written to a pipe and not read yet. */
static u64 ckpt_pipe_unread(struct file *file)
{
	struct pipe_inode_info *pipe = get_pipe_info(file, false);
	unsigned int tail;
	u64 n = 0;

	if (!pipe)
		return 0;
	pipe_lock(pipe);
	for (tail = pipe->tail; tail != pipe->head; tail++)
		n += pipe->bufs[tail & (pipe->ring_size - 1)].len;
	pipe_unlock(pipe);
	return n;
}

/**
 * ckpt_check_file - can a file be recorded?
 * @ctx: the context
 * @file: the file
 * @fd: the descriptor it is open at, for messages; -1 for a mapped file
 *
 * What ckpt_dump_file() refuses, without writing: a dump checks every
 * descriptor before it writes its first byte.
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP (logged); -ENOMEM.
 */
int ckpt_check_file(struct ckpt_ctx *ctx, struct file *file, int fd)
{
	char *buf, *path;
	u32 type;
	int err;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = file_path(file, buf, PATH_MAX);
	type = ckpt_file_type(ctx, file);
	err = IS_ERR(path) ? PTR_ERR(path) :
	      ckpt_check_dump_file(ctx, file, fd, type, path);
	if (!err && ckpt_file_in_image(type))
		err = ckpt_check_unlinked(ctx, file, fd, path);
	if (!err && type == CKPT_FILE_REG && fd >= 0)
		err = ckpt_check_file_data(ctx, file, fd, path);
	kfree(buf);
	if (!err && S_ISFIFO(file_inode(file)->i_mode))
		err = ckpt_check_pipe(ctx, file, fd);
	return err;
}

/**
 * ckpt_dump_file - write a file's record unless the image has it already
 * @ctx: the context
 * @file: the file
 * @fd: the descriptor it is open at, for messages; -1 for a mapped file
 * @id: set to the file's object id
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP for a file ckpt cannot restore (a socket, an
 * anonymous inode, a device; only a regular file with a name can be
 * mapped); -ENOMEM; or a read or write error.
 */
int ckpt_dump_file(struct ckpt_ctx *ctx, struct file *file, int fd, u32 *id)
{
	struct inode *inode = file_inode(file);
	u32 type = ckpt_file_type(ctx, file);
	struct ckpt_epoll_walk *walk = NULL;
	struct ckpt_obj *first = NULL;
	struct ckpt_file *rec;
	char *buf, *path;
	u32 shared = 0;
	loff_t size;
	size_t len;
	int err;

	*id = ckpt_obj_find_id(ctx, file);
	if (*id)
		return 0;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	path = file_path(file, buf, PATH_MAX);
	if (IS_ERR(path)) {
		err = PTR_ERR(path);
		goto out_free;
	}
	err = ckpt_check_dump_file(ctx, file, fd, type, path);
	/* a descriptor's file was checked before the first byte was written */
	if (!err && fd < 0 && ckpt_file_in_image(type))
		err = ckpt_check_unlinked(ctx, file, fd, path);
	if (!err && type == CKPT_FILE_PIPE)
		err = ckpt_dump_pipe(ctx, file, &shared);
	if (err)
		goto out_free;
	/* what an epoll watches is written first */
	if (type == CKPT_FILE_EPOLL) {
		walk = ckpt_dump_epoll_files(ctx, file, fd);
		if (IS_ERR(walk)) {
			err = PTR_ERR(walk);
			walk = NULL;
			goto out_free;
		}
	}
	if (ckpt_file_in_image(type))
		first = ckpt_unlinked_first(ctx, file);
	if (first)
		shared = first->id;
	size = type == CKPT_FILE_PIPE ? ckpt_pipe_unread(file) :
	       i_size_read(inode);
	/* counted again as written: the file may have grown since the check */
	if (type == CKPT_FILE_CONTENT && !first) {
		err = ckpt_charge_file_data(ctx, size, fd, path);
		if (err)
			goto out_free;
	}
	len = strlen(path) + 1;

	rec = ckpt_rec_begin(ctx, CKPT_REC_FILE, sizeof(*rec) + len);
	if (IS_ERR(rec)) {
		err = PTR_ERR(rec);
		goto out_free;
	}
	memset(rec, 0, sizeof(*rec));
	rec->id = ctx->nr_objs + 1;
	rec->type = type;
	rec->flags = file->f_flags & CKPT_REOPEN_FLAGS;
	rec->mode = inode->i_mode;
	rec->pos = file->f_pos;
	rec->dev = new_encode_dev(inode->i_sb->s_dev);
	rec->ino = inode->i_ino;
	rec->size = size;
	rec->mtime_sec = inode->i_mtime.tv_sec;
	rec->mtime_nsec = inode->i_mtime.tv_nsec;
	rec->path_len = len;
	if (S_ISCHR(inode->i_mode))
		rec->rdev = new_encode_dev(inode->i_rdev);
	rec->inode = shared;
	memcpy(rec + 1, path, len);
	ckpt_rec_end(ctx, sizeof(*rec) + len);

	err = ckpt_obj_insert(ctx, ctx->nr_objs + 1, file);
	if (!err)
		*id = ctx->nr_objs;
	if (!err && (type == CKPT_FILE_UNLINKED || type == CKPT_FILE_CONTENT) &&
	    !first)
		err = ckpt_dump_file_data(ctx, file, *id, size);
	if (!err && type == CKPT_FILE_MEMFD && !first)
		err = ckpt_dump_memfd(ctx, file, *id, size);
	if (!err && type == CKPT_FILE_EVENTFD)
		err = ckpt_dump_eventfd(ctx, file, *id);
	if (!err && type == CKPT_FILE_SIGNALFD)
		err = ckpt_dump_signalfd(ctx, file, *id);
	if (!err && type == CKPT_FILE_TIMERFD)
		err = ckpt_dump_timerfd(ctx, file, *id);
	if (!err && type == CKPT_FILE_SOCKET)
		err = ckpt_dump_socket(ctx, file, *id);
	if (!err && walk) {
		err = ckpt_dump_epoll_items(ctx, walk, *id);
		walk = NULL;
	}
out_free:
	if (walk)
		ckpt_epoll_walk_free(walk);
	kfree(buf);
	return err;
}

/**
 * ckpt_same_file - is @inode the file @rec recorded?
 * @rec: the record
 * @inode: the inode found
 *
 * Return: true if it is the same object: device, inode, kind and, for a
 * device node, the device it stands for.
 */
bool ckpt_same_file(const struct ckpt_file *rec, struct inode *inode)
{
	return (inode->i_mode & S_IFMT) == (rec->mode & S_IFMT) &&
	       new_encode_dev(inode->i_sb->s_dev) == rec->dev &&
	       inode->i_ino == rec->ino &&
	       (!S_ISCHR(inode->i_mode) ||
		new_encode_dev(inode->i_rdev) == rec->rdev);
}

/* Does @name lead to the file @rec recorded?  -ESTALE if not. */
static int ckpt_check_identity(const struct ckpt_file *rec, const char *name)
{
	struct path path;
	int err;

	err = kern_path(name, 0, &path);
	if (err) {
		pr_info_ratelimited("%s[%d]: cannot reopen %s: error %d\n",
				    current->comm, task_pid_nr(current), name,
				    err);
		return err;
	}
	err = ckpt_same_file(rec, d_inode(path.dentry)) ? 0 : -ESTALE;
	path_put(&path);
	if (err)
		pr_info_ratelimited("%s[%d]: %s is not the file that was checkpointed\n",
				    current->comm, task_pid_nr(current), name);
	return err;
}

/* Is the record one of a kind and mode that go together? */
static bool ckpt_file_rec_ok(const struct ckpt_file *rec)
{
	umode_t fmt = rec->mode & S_IFMT;

	if (rec->flags & ~CKPT_REOPEN_FLAGS ||
	    (rec->flags & O_ACCMODE) == O_ACCMODE ||
	    rec->mtime_nsec >= NSEC_PER_SEC || rec->pos > LLONG_MAX)
		return false;
	switch (rec->type) {
	case CKPT_FILE_REG:
		return fmt == S_IFREG && !rec->rdev;
	case CKPT_FILE_UNLINKED:
	case CKPT_FILE_MEMFD:
	case CKPT_FILE_CONTENT:
		return fmt == S_IFREG && !rec->rdev && rec->size <= LLONG_MAX &&
		       !(rec->flags & (O_PATH | O_DIRECTORY));
	case CKPT_FILE_DIR:
		return fmt == S_IFDIR && !rec->rdev;
	case CKPT_FILE_CHR:
		return fmt == S_IFCHR && ckpt_mem_device(new_decode_dev(rec->rdev));
	case CKPT_FILE_TTY:
		return fmt == S_IFCHR;
	case CKPT_FILE_EPOLL:
		return !fmt && !rec->rdev &&
		       !(rec->flags & ~(O_ACCMODE | O_LARGEFILE)) &&
		       (rec->flags & O_ACCMODE) == O_RDWR;
	case CKPT_FILE_SOCKET:
	case CKPT_FILE_SIGNALFD:
	case CKPT_FILE_EVENTFD:
	case CKPT_FILE_TIMERFD:
		/*
		 * socket(), eventfd2(), signalfd4(), timerfd_create(): O_RDWR,
		 * maybe O_NONBLOCK; an anonymous inode but for a socket
		 */
		return fmt == (rec->type == CKPT_FILE_SOCKET ? S_IFSOCK : 0) &&
		       !rec->rdev &&
		       !(rec->flags & ~(O_ACCMODE | O_NONBLOCK | O_LARGEFILE)) &&
		       (rec->flags & O_ACCMODE) == O_RDWR;
	case CKPT_FILE_PIPE:
		/* a pipe rebuilt has an end open one way, as pipe() makes */
		return fmt == S_IFIFO && !rec->rdev &&
		       (!rec->inode || ((rec->flags & O_ACCMODE) != O_RDWR &&
				       !(rec->flags & (O_DIRECT | O_PATH))));
	}
	return false;
}

/**
 * ckpt_reopen_path - reopen a file recorded by path
 * @ctx: the context
 * @rec: its record
 * @path: its path
 *
 * Only the very file recorded (device, inode, kind) is opened: looked up
 * first, then opened without blocking (a FIFO with no reader is -ENXIO,
 * never a wait) and checked again; with the caller's rights, and the
 * process's too (ckpt_path_permission()).  The recorded flags and
 * position are set.
 *
 * Return: the file; ERR_PTR(-ESTALE) for another file; the error of the
 * lookup, the open, the check or the seek (logged).
 */
struct file *ckpt_reopen_path(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
			      const char *path)
{
	struct file *file;
	loff_t pos;
	int flags, err;

	/* Looked at before it is opened: no FIFO, no other device node. */
	err = ckpt_check_identity(rec, path);
	if (err)
		return ERR_PTR(err);
	/*
	 * As recorded, but never creating or truncating; a file swapped in
	 * meanwhile is neither waited for nor made a tty.
	 */
	flags = rec->flags | O_LARGEFILE | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	file = filp_open(path, flags, 0);
	if (IS_ERR(file)) {
		pr_info_ratelimited("%s[%d]: cannot reopen %s: error %ld\n",
				    current->comm, task_pid_nr(current), path,
				    PTR_ERR(file));
		return file;
	}
	err = -ESTALE;
	if (!ckpt_same_file(rec, file_inode(file))) {
		pr_info_ratelimited("%s[%d]: %s is not the file that was checkpointed\n",
				    current->comm, task_pid_nr(current), path);
		goto out_fput;
	}
	if (!(rec->flags & O_NONBLOCK)) {
		spin_lock(&file->f_lock);
		file->f_flags &= ~O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
	/* The process restored must be able to open it too. */
	if (!(flags & O_PATH)) {
		err = ckpt_path_permission(ctx, &file->f_path,
					   ACC_MODE(flags) | MAY_OPEN);
		if (err)
			goto out_fput;
	}
	/* As lseek() would set it: a directory's position is its own. */
	if (rec->type != CKPT_FILE_CHR && !(flags & O_PATH) && rec->pos) {
		pos = vfs_llseek(file, rec->pos, SEEK_SET);
		err = pos < 0 ? pos : pos == rec->pos ? 0 : -EINVAL;
		if (err)
			goto out_fput;
	}
	return file;

out_fput:
	fput(file);
	return ERR_PTR(err);
}

/**
 * ckpt_restore_file - take in a CKPT_REC_FILE record
 * @ctx: the context
 * @h: the record's header
 *
 * A file recorded by path is looked up first, and only the very file
 * recorded is opened, with the caller's credentials; in a rollback the
 * process rolled back must be allowed to open it too.  An end of a pipe
 * of the image is taken from the pipe rebuilt (ckpt_restore_pipe()); an
 * unlinked file or a memfd is made again, empty but for its size until its
 * FILE_DATA records (filedata.c, memfd.c); an eventfd, a signalfd or a
 * timerfd by the record that follows (eventfd.c, signalfd.c, timerfd.c);
 * an epoll is made empty, and watches its files from the commit on
 * (epoll.c).  Another terminal or pipe is only checked: the live one is
 * found when the file table is committed (a FIFO not found so is reopened
 * by its path).  Each is entered in the object table under its id.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one;
 * -ESTALE if the path names another file than the one recorded; or the
 * error of opening it (-ENOENT, -EACCES, ...).
 */
int ckpt_restore_file(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_file *rec;
	struct file *file = NULL, *maker = NULL;
	struct ckpt_swap *swap = NULL;
	struct ckpt_obj *obj;
	const char *path;
	int err;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec) + 2,
				sizeof(*rec) + PATH_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	path = (const char *)(rec + 1);
	err = -EINVAL;
	if (!ckpt_file_rec_ok(rec) ||
	    (rec->inode && rec->type != CKPT_FILE_PIPE &&
	     !ckpt_file_in_image(rec->type)) ||
	    rec->path_len != h->len - sizeof(*rec) ||
	    strnlen(path, rec->path_len) != rec->path_len - 1)
		goto out_free;
	if (rec->type == CKPT_FILE_PIPE && rec->inode) {
		file = ckpt_pipe_end(ctx, rec);
	} else if (ckpt_file_in_image(rec->type) && rec->inode) {
		file = ckpt_reopen_unlinked(ctx, rec);
	} else if (rec->type == CKPT_FILE_UNLINKED) {
		file = ckpt_make_unlinked(ctx, rec, path, &maker);
	} else if (rec->type == CKPT_FILE_MEMFD) {
		file = ckpt_make_memfd(ctx, rec, path, &maker);
	} else if (rec->type == CKPT_FILE_CONTENT) {
		if (path[0] != '/')
			goto out_free;
		file = ckpt_make_content(ctx, rec, path, &maker, &swap);
	} else if (rec->type == CKPT_FILE_EPOLL) {
		/* its items are added at the commit */
		file = epoll_file_create(0);
	} else if (rec->type != CKPT_FILE_TTY && rec->type != CKPT_FILE_PIPE &&
		   rec->type != CKPT_FILE_EVENTFD &&
		   rec->type != CKPT_FILE_SIGNALFD &&
		   rec->type != CKPT_FILE_TIMERFD &&
		   rec->type != CKPT_FILE_SOCKET) {
		if (path[0] != '/')
			goto out_free;
		file = ckpt_reopen_path(ctx, rec, path);
	}
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out_free;
	}
	err = ckpt_obj_insert(ctx, rec->id, file);
	if (!err) {
		obj = ckpt_obj_find(ctx, rec->id);
		obj->rec = *rec;
		obj->peer = maker;	/* filled by the FILE_DATA records */
		obj->swap = swap;	/* put in place at the commit */
		obj->seals = -1;	/* a memfd's, from its MEMFD record */
		/* a FIFO, if no live end of it is found */
		if (rec->type == CKPT_FILE_PIPE && !rec->inode && path[0] == '/') {
			obj->path = kstrdup(path, GFP_KERNEL);
			if (!obj->path)
				err = -ENOMEM;
		}
	} else {
		if (maker)
			fput(maker);
		ckpt_swap_release(swap);
	}
	if (file)
		fput(file);
out_free:
	kvfree(rec);
	return err;
}

/**
 * ckpt_file_unchanged - is a reopened file's content as at the checkpoint?
 * @obj: the file's table entry
 *
 * Size and modification time stand for the content: a private mapping of a
 * file that has changed would show content the process never saw.
 *
 * Return: true if size and modification time are as recorded.
 */
bool ckpt_file_unchanged(const struct ckpt_obj *obj)
{
	struct inode *inode = file_inode(obj->file);

	/* made by the restore, with the content of the image */
	if (ckpt_file_in_image(obj->rec.type))
		return true;
	return i_size_read(inode) == obj->rec.size &&
	       inode->i_mtime.tv_sec == (time64_t)obj->rec.mtime_sec &&
	       inode->i_mtime.tv_nsec == obj->rec.mtime_nsec;
}
