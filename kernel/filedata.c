// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: files whose content is in the image.
 *
 * A regular file unlinked while the process holds it open has no name to
 * be reopened by: its content goes into FILE_DATA records after its FILE
 * record, one run of data at a time (SEEK_DATA, SEEK_HOLE: holes stay
 * holes), and the restore makes a new unlinked file, as open(O_TMPFILE)
 * in the directory it was in, and writes the runs into it.  A second open
 * of the same file names the first one's record and is opened on the new
 * file, so that the two still see one content.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

#define CKPT_DELETED		" (deleted)"

/**
 * ckpt_check_unlinked - can an unlinked file's or a memfd's content be
 *	recorded?
 * @ctx: the context
 * @file: the file
 * @fd: the descriptor it is open at, for messages; -1 for a mapped file
 * @path: its path, as d_path() gives it
 *
 * The dumper reads the content as the process could: through a file the
 * process has open for reading, or else only if the dumper itself may
 * read the file.
 *
 * Return: 0; -EOPNOTSUPP (logged) for a deleted file that still has
 * another name or is out of the process's root; the permission error
 * (logged).
 */
int ckpt_check_unlinked(struct ckpt_ctx *ctx, struct file *file, int fd,
			const char *path)
{
	struct inode *inode = file_inode(file);
	char buf[24];
	const char *where = ckpt_file_where(buf, sizeof(buf), fd);
	int err;

	if (!ckpt_is_memfd(file) && inode->i_nlink)
		return ckpt_refuse_task(ctx->task,
				"%sa file deleted under one name but linked under another (%s) is not supported",
				where, path);
	if (path[0] != '/')
		return ckpt_refuse_task(ctx->task,
				"%sa deleted file out of the process's root (%s) is not supported",
				where, path);
	if (file->f_mode & FMODE_READ)
		return 0;
	err = inode_permission(file_mnt_user_ns(file), inode, MAY_READ);
	if (err)
		pr_info_ratelimited("%s[%d]: %sthe content of %s cannot be read for the image: error %d\n",
				    ctx->task->comm, task_pid_nr(ctx->task),
				    where, path, err);
	return err;
}

/* The object of a file open earlier on @file's (unlinked) inode, or NULL. */
struct ckpt_obj *ckpt_unlinked_first(struct ckpt_ctx *ctx, struct file *file)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++)
		if (ctx->objs[i].file &&
		    file_inode(ctx->objs[i].file) == file_inode(file))
			return &ctx->objs[i];
	return NULL;
}

/*
 * Write one run of data, [start, end), from @rf in FILE_DATA records.
 * The file may shrink meanwhile: a short read ends the run.
 */
static int ckpt_write_run(struct ckpt_ctx *ctx, struct file *rf, u32 id,
			  loff_t start, loff_t end)
{
	const size_t chunk = CKPT_REC_MAX - sizeof(struct ckpt_file_data);
	struct ckpt_file_data *rec;
	loff_t pos = start;
	ssize_t n;

	while (pos < end) {
		size_t len = min_t(loff_t, end - pos, chunk);

		rec = ckpt_rec_begin(ctx, CKPT_REC_FILE_DATA, sizeof(*rec) + len);
		if (IS_ERR(rec))
			return PTR_ERR(rec);
		rec->id = id;
		rec->pad = 0;
		rec->off = pos;
		n = kernel_read(rf, rec + 1, len, &pos);
		if (n < 0)
			return n;
		if (!n)
			break;	/* record left unfinished: not written */
		ckpt_rec_end(ctx, sizeof(*rec) + n);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * ckpt_dump_file_data - write the content of a file, its holes left out
 * @ctx: the context
 * @file: the file
 * @id: its FILE record's id
 * @size: its size as the FILE record has it: nothing beyond is written
 *
 * Read through a file of its own, so that the process's position and
 * flags are untouched.
 *
 * Context: process context, no locks held.
 * Return: 0, or a read or write error.
 */
int ckpt_dump_file_data(struct ckpt_ctx *ctx, struct file *file, u32 id,
			loff_t size)
{
	struct file *rf;
	loff_t start, end = 0;
	int err = 0;

	rf = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(rf))
		return PTR_ERR(rf);
	while (end < size) {
		start = vfs_llseek(rf, end, SEEK_DATA);
		if (start == -ENXIO || start >= size)
			break;		/* only a hole is left */
		if (start < 0) {
			err = start;
			break;
		}
		end = vfs_llseek(rf, start, SEEK_HOLE);
		if (end < 0) {
			err = end;
			break;
		}
		end = min(end, size);
		err = ckpt_write_run(ctx, rf, id, start, end);
		if (err)
			break;
	}
	fput(rf);
	return err;
}

/* The directory an unlinked file was in, from its path; NULL if none. */
static char *ckpt_unlinked_dir(const char *path)
{
	size_t len = strlen(path), n = strlen(CKPT_DELETED);
	const char *slash;

	if (len <= n || strcmp(path + len - n, CKPT_DELETED))
		return NULL;
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	return kstrndup(path, slash == path ? 1 : slash - path, GFP_KERNEL);
}

/**
 * ckpt_make_unlinked - make the file of an unlinked file's record
 * @ctx: the context
 * @rec: the FILE record
 * @path: its path, "DIR/NAME (deleted)"
 * @maker: set to the new file, open for writing, through which the
 *	FILE_DATA records that follow fill it
 *
 * As open(DIR, O_TMPFILE | O_RDWR, mode), with the caller's rights; in a
 * rollback also with the process's, whose file it becomes.  The size is
 * set as ftruncate() does; the returned file is opened on it with the
 * recorded flags and position.
 *
 * Context: process context, no locks held.
 * Return: the file; ERR_PTR(-EINVAL) for a path that is not an unlinked
 * file's; the error of the open (-EOPNOTSUPP where the file system has
 * no O_TMPFILE, -ENOENT, -EACCES...), of the truncate or of the seek.
 */
struct file *ckpt_make_unlinked(struct ckpt_ctx *ctx,
				const struct ckpt_file *rec, const char *path,
				struct file **maker)
{
	const struct cred *old = NULL;
	struct file *tmp, *file;
	struct path dir;
	char *name;
	loff_t pos;
	int err;

	name = ckpt_unlinked_dir(path);
	if (!name)
		return ERR_PTR(-EINVAL);
	err = kern_path(name, LOOKUP_DIRECTORY, &dir);
	if (!err) {
		err = ckpt_path_permission(ctx, &dir, MAY_WRITE | MAY_EXEC);
		path_put(&dir);
	}
	if (err)
		goto out_log;
	if (ctx->cred)
		old = override_creds(ctx->cred);
	tmp = filp_open(name, O_TMPFILE | O_RDWR | O_LARGEFILE, rec->mode & 07777);
	if (old)
		revert_creds(old);
	err = PTR_ERR_OR_ZERO(tmp);
	if (err)
		goto out_log;
	err = vfs_truncate(&tmp->f_path, rec->size);
	if (err)
		goto out_tmp;
	file = dentry_open(&tmp->f_path, rec->flags | O_LARGEFILE | O_NOCTTY,
			   current_cred());
	err = PTR_ERR_OR_ZERO(file);
	if (err)
		goto out_tmp;
	if (rec->pos) {
		pos = vfs_llseek(file, rec->pos, SEEK_SET);
		err = pos < 0 ? pos : pos == rec->pos ? 0 : -EINVAL;
		if (err) {
			fput(file);
			goto out_tmp;
		}
	}
	kfree(name);
	*maker = tmp;
	return file;

out_tmp:
	fput(tmp);
out_log:
	pr_info_ratelimited("%s[%d]: cannot make the deleted file %s again in %s: error %d\n",
			    current->comm, task_pid_nr(current), path, name, err);
	kfree(name);
	return ERR_PTR(err);
}

/**
 * ckpt_reopen_unlinked - open an unlinked file of the image again
 * @ctx: the context
 * @rec: the FILE record of a second open of it
 *
 * Return: a file on the one ckpt_make_unlinked() made for @rec->inode,
 * with the recorded flags and position; ERR_PTR(-EINVAL) if that is not
 * an unlinked file's record; or the error of the open or the seek.
 */
struct file *ckpt_reopen_unlinked(struct ckpt_ctx *ctx,
				  const struct ckpt_file *rec)
{
	struct ckpt_obj *first = ckpt_obj_find(ctx, rec->inode);
	struct file *file;
	loff_t pos;

	if (!first || first->rec.type != rec->type || first->rec.inode)
		return ERR_PTR(-EINVAL);
	file = dentry_open(&first->file->f_path,
			   rec->flags | O_LARGEFILE | O_NOCTTY, current_cred());
	if (IS_ERR(file) || !rec->pos)
		return file;
	pos = vfs_llseek(file, rec->pos, SEEK_SET);
	if (pos == rec->pos)
		return file;
	fput(file);
	return ERR_PTR(pos < 0 ? pos : -EINVAL);
}

/**
 * ckpt_restore_file_data - take in a CKPT_REC_FILE_DATA record
 * @ctx: the context
 * @h: the record's header
 *
 * The data of the unlinked file made by the FILE record just before.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed one
 * (not after its file's record, data beyond the recorded size); or the
 * write error (-ENOSPC, -EDQUOT...).
 */
int ckpt_restore_file_data(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_file_data *rec;
	struct ckpt_obj *obj;
	loff_t pos;
	ssize_t n;
	u32 len;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec) + 1,
				sizeof(*rec) + CKPT_REC_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	len = h->len - sizeof(*rec);
	obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	if (rec->pad || !obj || obj->id != rec->id || !obj->peer ||
	    !ckpt_file_in_image(obj->rec.type) ||
	    rec->off > obj->rec.size || len > obj->rec.size - rec->off)
		goto out;
	pos = rec->off;
	n = kernel_write(obj->peer, rec + 1, len, &pos);
	err = n < 0 ? n : n == len ? 0 : -EIO;
out:
	kvfree(rec);
	return err;
}
