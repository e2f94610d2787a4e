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
 *
 * With CKPT_DUMP_FILE_DATA, a regular file the process has open for
 * writing at a descriptor is recorded so too (CKPT_FILE_CONTENT), and a
 * restore rolls it back: all or nothing, as rename() replaces a file.
 * While staging, the new file is made as open(O_TMPFILE) in the directory
 * of the one at the path, filled, given that file's owner, group and
 * mode, and linked under a temporary name; at the point of no return the
 * two are exchanged (renameat2(RENAME_EXCHANGE)), each with the checks
 * of that call; once the restore is over, the temporary name, which then
 * holds the file the process had changed, or the new one if the restore
 * failed, is unlinked.  A process that has the old file open keeps it;
 * an open by path after the restore finds the new one.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/security.h>
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

	if (d_unlinked(file->f_path.dentry) && !ckpt_is_memfd(file) &&
	    inode->i_nlink)
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

/* Is @file's inode one whose content the dump writes? */
bool ckpt_has_file_data(const struct ckpt_ctx *ctx, struct file *file)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_data_inodes; i++)
		if (ctx->data_inodes[i] == file_inode(file))
			return true;
	return false;
}

/**
 * ckpt_charge_file_data - count a file's content against the bound
 * @ctx: the context
 * @size: the file's size, holes included
 * @fd: the descriptor it is open at, for messages; -1 for a mapped file
 * @path: its path
 *
 * Return: 0, or -EFBIG (logged) if @size is more than the bound of
 * %CKPT_DUMP_FILE_DATA leaves.
 */
int ckpt_charge_file_data(struct ckpt_ctx *ctx, loff_t size, int fd,
			  const char *path)
{
	char buf[24];

	if (size <= ctx->file_data_left) {
		ctx->file_data_left -= size;
		return 0;
	}
	pr_info_ratelimited("%s[%d]: %s%s (%lld bytes) does not fit in the bound on file content (%llu bytes of %llu left)\n",
			    ctx->task->comm, task_pid_nr(ctx->task),
			    ckpt_file_where(buf, sizeof(buf), fd), path, size,
			    ctx->file_data_left, ctx->file_data_max);
	return -EFBIG;
}

/**
 * ckpt_check_file_data - is a descriptor's file one whose content goes in?
 * @ctx: the context
 * @file: the file, open at a descriptor
 * @fd: the descriptor
 * @path: its path
 *
 * With %CKPT_DUMP_FILE_DATA, a regular file with a name that the process
 * has open for writing: entered in the table of such files, which every
 * open of the same file, at a descriptor or mapped, is then recorded by.
 * Called for each descriptor before the dump writes its first byte.
 *
 * Its content is read as ckpt_check_unlinked() allows.
 *
 * Return: 0; -EFBIG (logged) beyond the bound; the errors of
 * ckpt_check_unlinked(); -ENOMEM.
 */
int ckpt_check_file_data(struct ckpt_ctx *ctx, struct file *file, int fd,
			 const char *path)
{
	struct inode *inode = file_inode(file);
	int err;

	if (!(ctx->flags & CKPT_DUMP_FILE_DATA) || !S_ISREG(inode->i_mode) ||
	    !(file->f_mode & FMODE_WRITE) || ckpt_is_memfd(file) ||
	    d_unlinked(file->f_path.dentry) || ckpt_has_file_data(ctx, file))
		return 0;
	err = ckpt_check_unlinked(ctx, file, fd, path) ?:
	      ckpt_charge_file_data(ctx, i_size_read(inode), fd, path);
	if (err)
		return err;
	if (ctx->nr_data_inodes == ctx->max_data_inodes) {
		err = ckpt_grow((void **)&ctx->data_inodes,
				&ctx->max_data_inodes,
				sizeof(*ctx->data_inodes));
		if (err)
			return err;
	}
	ctx->data_inodes[ctx->nr_data_inodes++] = inode;
	return 0;
}

/**
 * struct ckpt_swap - a file that takes another's place at the commit
 * @dir: the directory both are in
 * @name: the name of the file it replaces
 * @tmpname: its own name until then, and the replaced file's after
 * @new: its inode
 * @old: the replaced file's inode, once exchanged; else NULL
 */
struct ckpt_swap {
	struct path dir;
	char *name;
	char *tmpname;
	struct inode *new;
	struct inode *old;
};

/* @dentry's name in its parent. */
static char *ckpt_dentry_name(struct dentry *dentry)
{
	struct name_snapshot snap;
	char *name;

	take_dentry_name_snapshot(&snap, dentry);
	name = kstrdup(snap.name.name, GFP_KERNEL);
	release_dentry_name_snapshot(&snap);
	return name;
}

/*
 * Link the new file under @name, as linkat() would; the dentry it has
 * there, which the exchange moves to the replaced file's name.
 */
static struct dentry *ckpt_swap_link(struct ckpt_swap *sw, struct dentry *tmp,
				     const char *name)
{
	struct user_namespace *userns = mnt_user_ns(sw->dir.mnt);
	struct inode *dir = d_inode(sw->dir.dentry);
	struct dentry *new;
	int err;

	err = mnt_want_write(sw->dir.mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	new = lookup_one(userns, name, sw->dir.dentry, strlen(name));
	if (!IS_ERR(new)) {
		err = d_really_is_positive(new) ? -EEXIST :
		      security_path_link(tmp, &sw->dir, new) ?:
		      vfs_link(tmp, userns, dir, new, NULL);
		if (!err && d_inode(new) != sw->new)
			err = -ESTALE;	/* a file system that links elsewhere */
		if (err) {
			dput(new);
			new = ERR_PTR(err);
		}
	}
	inode_unlock(dir);
	mnt_drop_write(sw->dir.mnt);
	return new;
}

/*
 * Exchange the names of the new file and the one it replaces, as
 * renameat2(RENAME_EXCHANGE) would; back again to undo.  Each name must
 * still be the file expected: the old one a regular file with one link.
 */
static int ckpt_swap_exchange(struct ckpt_swap *sw, bool undo)
{
	struct user_namespace *userns = mnt_user_ns(sw->dir.mnt);
	struct renamedata rd = {
		.old_mnt_userns = userns,
		.old_dir = d_inode(sw->dir.dentry),
		.new_mnt_userns = userns,
		.new_dir = d_inode(sw->dir.dentry),
		.flags = RENAME_EXCHANGE,
	};
	struct dentry *a, *b = NULL;
	struct inode *old = NULL;
	int err;

	err = mnt_want_write(sw->dir.mnt);
	if (err)
		return err;
	lock_rename(sw->dir.dentry, sw->dir.dentry);
	a = lookup_one(userns, sw->name, sw->dir.dentry, strlen(sw->name));
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto out_unlock;
	}
	b = lookup_one(userns, sw->tmpname, sw->dir.dentry,
		       strlen(sw->tmpname));
	if (IS_ERR(b)) {
		err = PTR_ERR(b);
		b = NULL;
		goto out_dput;
	}
	err = -ESTALE;
	if (undo) {
		if (d_inode(a) != sw->new || d_inode(b) != sw->old)
			goto out_dput;
	} else {
		old = d_inode(a);
		if (d_inode(b) != sw->new || !old || !S_ISREG(old->i_mode) ||
		    old->i_nlink != 1)
			goto out_dput;
	}
	rd.old_dentry = b;
	rd.new_dentry = a;
	err = security_path_rename(&sw->dir, b, &sw->dir, a, RENAME_EXCHANGE) ?:
	      vfs_rename(&rd);
	if (err)
		goto out_dput;
	if (undo) {
		iput(sw->old);
		sw->old = NULL;
	} else {
		sw->old = old;
		ihold(old);
	}
out_dput:
	dput(b);
	dput(a);
out_unlock:
	unlock_rename(sw->dir.dentry, sw->dir.dentry);
	mnt_drop_write(sw->dir.mnt);
	return err;
}

/**
 * ckpt_swap_files - put every file with its content in place
 * @ctx: the restore
 *
 * In the committing task, just before the point of no return.
 *
 * Context: process context, no locks held.
 * Return: 0; or the first error (-ESTALE if a file was replaced since it
 * was staged, the errors of renameat2()), with every file put back.
 */
int ckpt_swap_files(struct ckpt_ctx *ctx)
{
	unsigned int i;
	int err;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_swap *sw = ctx->objs[i].swap;

		if (!sw)
			continue;
		err = ckpt_swap_exchange(sw, false);
		if (err) {
			pr_info_ratelimited("%s[%d]: cannot put %s back in place: error %d\n",
					    current->comm, task_pid_nr(current),
					    sw->name, err);
			ckpt_unswap_files(ctx);
			return err;
		}
	}
	return 0;
}

/**
 * ckpt_unswap_files - undo ckpt_swap_files()
 * @ctx: the restore
 *
 * For a point of no return that was not passed after all.
 */
void ckpt_unswap_files(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_swap *sw = ctx->objs[i].swap;

		if (sw && sw->old && ckpt_swap_exchange(sw, true))
			pr_info_ratelimited("%s[%d]: cannot give %s back its changed content\n",
					    current->comm, task_pid_nr(current),
					    sw->name);
	}
}

/**
 * ckpt_swap_release - unlink the temporary name, free the swap
 * @sw: the swap, or NULL
 *
 * The name holds the replaced file, or, if the restore failed, the new
 * one: only that file is unlinked.
 */
void ckpt_swap_release(struct ckpt_swap *sw)
{
	struct user_namespace *userns;
	struct inode *dir, *expect;
	struct dentry *d;
	int err;

	if (!sw)
		return;
	if (!sw->tmpname || !sw->new)
		goto out_free;
	userns = mnt_user_ns(sw->dir.mnt);
	dir = d_inode(sw->dir.dentry);
	expect = sw->old ?: sw->new;
	err = mnt_want_write(sw->dir.mnt);
	if (err)
		goto out_log;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one(userns, sw->tmpname, sw->dir.dentry, strlen(sw->tmpname));
	err = PTR_ERR_OR_ZERO(d);
	if (!err) {
		err = d_inode(d) != expect ? -ESTALE :
		      security_path_unlink(&sw->dir, d) ?:
		      vfs_unlink(userns, dir, d, NULL);
		dput(d);
	}
	inode_unlock(dir);
	mnt_drop_write(sw->dir.mnt);
out_log:
	if (err)
		pr_info_ratelimited("%s[%d]: cannot remove %s, left over from a restore: error %d\n",
				    current->comm, task_pid_nr(current),
				    sw->tmpname, err);
out_free:
	if (sw->old)
		iput(sw->old);
	if (sw->new)
		iput(sw->new);
	path_put(&sw->dir);
	kfree(sw->tmpname);
	kfree(sw->name);
	kfree(sw);
}

/* The file at @name, a regular file with one link, and its directory. */
static int ckpt_content_lookup(struct ckpt_ctx *ctx, const char *name,
			       struct path *path, struct ckpt_swap *sw)
{
	const char *why = NULL;
	struct inode *inode;
	int err;

	err = kern_path(name, 0, path);
	if (err)
		return err;
	inode = d_inode(path->dentry);
	if (!S_ISREG(inode->i_mode)) {
		why = "is no longer a regular file";
		err = -ESTALE;
	} else if (inode->i_nlink != 1) {
		why = "has other hard links, which a new file in its place would not have";
		err = -EOPNOTSUPP;
	}
	if (why) {
		pr_info_ratelimited("%s[%d]: %s %s\n", current->comm,
				    task_pid_nr(current), name, why);
		goto out;
	}
	err = -ENOMEM;
	sw->name = ckpt_dentry_name(path->dentry);
	if (!sw->name)
		goto out;
	sw->dir.mnt = mntget(path->mnt);
	sw->dir.dentry = dget_parent(path->dentry);
	/* The process must be able to write it, and to rename in its directory. */
	err = ckpt_path_permission(ctx, path, MAY_WRITE) ?:
	      ckpt_path_permission(ctx, &sw->dir, MAY_WRITE | MAY_EXEC);
out:
	if (err)
		path_put(path);
	return err;
}

/* Give the new file the owner, group and mode of the one it replaces. */
static int ckpt_content_attrs(struct file *tmp, struct inode *like)
{
	struct inode *inode = file_inode(tmp);
	struct iattr attr = { };
	int err;

	if (!uid_eq(inode->i_uid, like->i_uid)) {
		attr.ia_valid |= ATTR_UID;
		attr.ia_uid = like->i_uid;
	}
	if (!gid_eq(inode->i_gid, like->i_gid)) {
		attr.ia_valid |= ATTR_GID;
		attr.ia_gid = like->i_gid;
	}
	if ((inode->i_mode ^ like->i_mode) & S_IALLUGO) {
		attr.ia_valid |= ATTR_MODE;
		attr.ia_mode = like->i_mode;
	}
	if (!attr.ia_valid)
		return 0;
	err = mnt_want_write(tmp->f_path.mnt);
	if (err)
		return err;
	inode_lock(inode);
	err = notify_change(file_mnt_user_ns(tmp), tmp->f_path.dentry, &attr,
			    NULL);
	inode_unlock(inode);
	mnt_drop_write(tmp->f_path.mnt);
	return err;
}

/**
 * ckpt_make_content - make the file of a CKPT_FILE_CONTENT record
 * @ctx: the context
 * @rec: the FILE record
 * @path: its path
 * @maker: set to the new file, open for writing, through which the
 *	FILE_DATA records that follow fill it
 * @swap: set to how it takes the place of the file at @path
 *
 * The file at @path must be a regular file with one link, which the
 * caller, and in a rollback the process, may write, in a directory they
 * may write; it need not be the file recorded.  The new file is made as
 * open(O_TMPFILE) in that directory with the caller's rights (in a
 * rollback the process's, whose file it becomes), sized as ftruncate()
 * does, given the replaced file's owner, group and mode as fchown() and
 * fchmod() would, and linked under a temporary name.  The returned file
 * is opened on it with the recorded flags and position.
 *
 * Context: process context, no locks held.
 * Return: the file; ERR_PTR(-ESTALE) if @path is not a regular file;
 * ERR_PTR(-EOPNOTSUPP) if it has other links, or its file system has no
 * O_TMPFILE; the error of the lookup (-ENOENT), a check (-EACCES,
 * -EPERM), the open, the truncate or the link (all logged).
 */
struct file *ckpt_make_content(struct ckpt_ctx *ctx,
			       const struct ckpt_file *rec, const char *path,
			       struct file **maker, struct ckpt_swap **swap)
{
	const struct cred *old = NULL;
	struct file *tmp = NULL, *file = NULL;
	struct ckpt_swap *sw;
	struct dentry *linked;
	struct path cur;
	char *tmpname;
	loff_t pos;
	int err;

	sw = kzalloc(sizeof(*sw), GFP_KERNEL);
	if (!sw)
		return ERR_PTR(-ENOMEM);
	err = ckpt_content_lookup(ctx, path, &cur, sw);
	if (err)
		goto out;
	err = mnt_want_write(sw->dir.mnt);
	if (err)
		goto out_cur;
	if (ctx->cred)
		old = override_creds(ctx->cred);
	tmp = vfs_tmpfile_open(mnt_user_ns(sw->dir.mnt), &sw->dir,
			       S_IFREG | (d_inode(cur.dentry)->i_mode & S_IALLUGO),
			       O_RDWR | O_LARGEFILE, current_cred());
	if (old)
		revert_creds(old);
	mnt_drop_write(sw->dir.mnt);
	err = PTR_ERR_OR_ZERO(tmp);
	if (err) {
		tmp = NULL;
		goto out_cur;
	}
	sw->new = file_inode(tmp);
	ihold(sw->new);
	err = vfs_truncate(&tmp->f_path, rec->size) ?:
	      ckpt_content_attrs(tmp, d_inode(cur.dentry));
	if (err)
		goto out_cur;
	err = -ENOMEM;
	tmpname = kasprintf(GFP_KERNEL, ".ckpt-restore.%d.%u",
			    task_pid_nr(current), rec->id);
	if (!tmpname)
		goto out_cur;
	linked = ckpt_swap_link(sw, tmp->f_path.dentry, tmpname);
	err = PTR_ERR_OR_ZERO(linked);
	if (err) {
		kfree(tmpname);
		goto out_cur;
	}
	sw->tmpname = tmpname;	/* unlinked by ckpt_swap_release() */
	/* Opened by its name, which the exchange makes the replaced one's. */
	file = dentry_open(&(struct path){ .mnt = sw->dir.mnt, .dentry = linked },
			   rec->flags | O_LARGEFILE | O_NOCTTY, current_cred());
	dput(linked);
	err = PTR_ERR_OR_ZERO(file);
	if (err) {
		file = NULL;
		goto out_cur;
	}
	if (rec->pos) {
		pos = vfs_llseek(file, rec->pos, SEEK_SET);
		err = pos < 0 ? pos : pos == rec->pos ? 0 : -EINVAL;
	}
out_cur:
	path_put(&cur);
out:
	if (err) {
		pr_info_ratelimited("%s[%d]: cannot roll %s back: error %d\n",
				    current->comm, task_pid_nr(current), path,
				    err);
		if (file)
			fput(file);
		if (tmp)
			fput(tmp);
		ckpt_swap_release(sw);
		return ERR_PTR(err);
	}
	*maker = tmp;
	*swap = sw;
	return file;
}
