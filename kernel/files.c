// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: files, written once each and named by object id.
 *
 * A regular file is recorded by path and identity (device, inode, size,
 * modification time) and reopened by path, with the restoring caller's
 * credentials, on restore.  A file that is not the one recorded makes the
 * restore fail with -ESTALE rather than map the wrong contents.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/namei.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/**
 * ckpt_dump_file - write a file's record unless the image has it already
 * @ctx: the context
 * @file: the file
 * @id: set to the file's object id
 *
 * Context: process context, no locks held.
 * Return: 0; -EOPNOTSUPP for a file that cannot be reopened by path (not a
 * regular file, or deleted); -ENOMEM; or a write error.
 */
int ckpt_dump_file(struct ckpt_ctx *ctx, struct file *file, u32 *id)
{
	struct inode *inode = file_inode(file);
	struct ckpt_file *rec;
	char *buf, *path;
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
	if (!S_ISREG(inode->i_mode) || d_unlinked(file->f_path.dentry) ||
	    path[0] != '/') {
		err = ckpt_refuse_task(ctx->task,
				       "file %s: only regular files that have a path are supported",
				       path);
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
	rec->type = CKPT_FILE_REG;
	rec->flags = file->f_flags;
	rec->mode = inode->i_mode;
	rec->pos = file->f_pos;
	rec->dev = new_encode_dev(inode->i_sb->s_dev);
	rec->ino = inode->i_ino;
	rec->size = i_size_read(inode);
	rec->mtime_sec = inode->i_mtime.tv_sec;
	rec->mtime_nsec = inode->i_mtime.tv_nsec;
	rec->path_len = len;
	memcpy(rec + 1, path, len);
	ckpt_rec_end(ctx, sizeof(*rec) + len);

	err = ckpt_obj_insert(ctx, rec->id, file);
	if (!err)
		*id = rec->id;
out_free:
	kfree(buf);
	return err;
}

/* Is @inode the regular file @rec recorded? */
static bool ckpt_same_file(const struct ckpt_file *rec, struct inode *inode)
{
	return S_ISREG(inode->i_mode) &&
	       new_encode_dev(inode->i_sb->s_dev) == rec->dev &&
	       inode->i_ino == rec->ino;
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

/**
 * ckpt_restore_file - reopen the file of a CKPT_REC_FILE record
 * @ctx: the context
 * @h: the record's header
 *
 * The file is looked up first, and only a regular file that is the one
 * recorded is opened, with the caller's credentials; in a rollback the
 * process rolled back must be allowed to open it too.  It is entered in
 * the object table under its id.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one;
 * -ESTALE if the path names another file than the one recorded; or the
 * error of opening it (-ENOENT, -EACCES, ...).
 */
int ckpt_restore_file(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_file *rec;
	struct ckpt_obj *obj;
	struct file *file;
	const char *path;
	int flags, err;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec) + 2,
				sizeof(*rec) + PATH_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	path = (const char *)(rec + 1);
	err = -EINVAL;
	if (rec->type != CKPT_FILE_REG || !S_ISREG(rec->mode) ||
	    rec->path_len != h->len - sizeof(*rec) ||
	    strnlen(path, rec->path_len) != rec->path_len - 1 ||
	    path[0] != '/' || (rec->flags & O_ACCMODE) == O_ACCMODE ||
	    rec->mtime_nsec >= NSEC_PER_SEC || rec->pos > LLONG_MAX)
		goto out_free;

	/* Looked at before it is opened: no FIFO, no device node. */
	err = ckpt_check_identity(rec, path);
	if (err)
		goto out_free;
	/*
	 * Only the access mode: creating or truncating is not reopening.  A
	 * file swapped in meanwhile is neither waited for nor made a tty.
	 */
	flags = (rec->flags & O_ACCMODE) | O_LARGEFILE | O_NOFOLLOW |
		O_NONBLOCK | O_NOCTTY;
	file = filp_open(path, flags, 0);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		pr_info_ratelimited("%s[%d]: cannot reopen %s: error %d\n",
				    current->comm, task_pid_nr(current), path,
				    err);
		goto out_free;
	}
	err = -ESTALE;
	if (!ckpt_same_file(rec, file_inode(file))) {
		pr_info_ratelimited("%s[%d]: %s is not the file that was checkpointed\n",
				    current->comm, task_pid_nr(current), path);
		goto out_fput;
	}
	spin_lock(&file->f_lock);
	file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
	/* The process restored must be able to open it too. */
	err = ckpt_path_permission(ctx, &file->f_path,
				   ACC_MODE(flags) | MAY_OPEN);
	if (err)
		goto out_fput;
	err = ckpt_obj_insert(ctx, rec->id, file);
	if (err)
		goto out_fput;
	obj = ckpt_obj_find(ctx, rec->id);
	obj->rec = *rec;
	file->f_pos = rec->pos;
out_fput:
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

	return i_size_read(inode) == obj->rec.size &&
	       inode->i_mtime.tv_sec == (time64_t)obj->rec.mtime_sec &&
	       inode->i_mtime.tv_nsec == obj->rec.mtime_nsec;
}
