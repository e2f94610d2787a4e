// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: memfds.
 *
 * A memfd is a name, seals and content.  Its FILE record (path
 * "/memfd:NAME (deleted)") is followed by a MEMFD record with the seals,
 * then by its content in FILE_DATA records, as an unlinked file's is
 * (filedata.c).  The restore makes it again with memfd_file_create(), as
 * memfd_create(NAME, MFD_ALLOW_SEALING) would, fills it, and adds the
 * seals once the whole image is read: after the mappings of the memfd are
 * made, as they were made before the seals in the process.  A memfd is
 * always made anew, in a rollback too: like an eventfd, it has no name
 * the image could find it by again.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/memfd.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

#define CKPT_MEMFD_PREFIX	"/memfd:"
#define CKPT_MEMFD_SUFFIX	" (deleted)"
#define CKPT_MEMFD_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/* Is @file a memfd (not a hugetlbfs one)? */
bool ckpt_is_memfd(struct file *file)
{
	return shmem_file(file) &&
	       file->f_path.mnt->mnt_flags & MNT_INTERNAL &&
	       !strncmp(file->f_path.dentry->d_name.name, CKPT_MEMFD_PREFIX + 1,
			strlen(CKPT_MEMFD_PREFIX) - 1);
}

/**
 * ckpt_dump_memfd - write the MEMFD record and the content of a memfd
 * @ctx: the context
 * @file: the memfd
 * @id: the object id of its FILE record, just written
 * @size: its size as that record has it
 *
 * Return: 0, or a read or write error.
 */
int ckpt_dump_memfd(struct ckpt_ctx *ctx, struct file *file, u32 id,
		    loff_t size)
{
	struct ckpt_memfd rec = {
		.id = id,
		.seals = memfd_file_seals(file),
	};

	return ckpt_write_rec(ctx, CKPT_REC_MEMFD, &rec, sizeof(rec)) ?:
	       ckpt_dump_file_data(ctx, file, id, size);
}

/* The NAME of "/memfd:NAME (deleted)"; NULL if @path is not a memfd's. */
static char *ckpt_memfd_name(const char *path)
{
	size_t len = strlen(path), pre = strlen(CKPT_MEMFD_PREFIX),
	       suf = strlen(CKPT_MEMFD_SUFFIX);

	if (len < pre + suf || strncmp(path, CKPT_MEMFD_PREFIX, pre) ||
	    strcmp(path + len - suf, CKPT_MEMFD_SUFFIX))
		return NULL;
	return kstrndup(path + pre, len - pre - suf, GFP_KERNEL);
}

/* Give the new memfd the recorded permission bits, as fchmod() would. */
static int ckpt_memfd_chmod(struct file *file, umode_t mode)
{
	struct inode *inode = file_inode(file);
	struct iattr ia = {
		.ia_valid = ATTR_MODE | ATTR_CTIME,
		.ia_mode = (mode & S_IALLUGO) | (inode->i_mode & ~S_IALLUGO),
	};
	int err;

	if ((inode->i_mode & S_IALLUGO) == (mode & S_IALLUGO))
		return 0;
	inode_lock(inode);
	err = security_path_chmod(&file->f_path, ia.ia_mode) ?:
	      notify_change(file_mnt_user_ns(file), file->f_path.dentry, &ia,
			    NULL);
	inode_unlock(inode);
	return err;
}

/**
 * ckpt_make_memfd - make the memfd of a memfd's FILE record
 * @ctx: the context
 * @rec: the FILE record
 * @path: its path, "/memfd:NAME (deleted)"
 * @maker: set to the new memfd, open for writing, through which the
 *	FILE_DATA records that follow fill it and the seals are added
 *
 * With the caller's rights, and in a rollback as the process, whose
 * memfd it becomes: memfd_create() makes it its caller's.  The size is
 * set as ftruncate() does, the mode as fchmod() does; the returned file
 * is opened on it with the recorded flags and position.
 *
 * Context: process context, no locks held.
 * Return: the file; ERR_PTR(-EINVAL) for a path that is not a memfd's or
 * a name too long; the error of making it, of the truncate, the chmod or
 * the seek.
 */
struct file *ckpt_make_memfd(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
			     const char *path, struct file **maker)
{
	const struct cred *old = NULL;
	struct file *tmp, *file;
	char *name;
	loff_t pos;
	int err;

	name = ckpt_memfd_name(path);
	if (!name)
		return ERR_PTR(-EINVAL);
	if (ctx->cred)
		old = override_creds(ctx->cred);
	tmp = memfd_file_create(name, MFD_ALLOW_SEALING);
	err = PTR_ERR_OR_ZERO(tmp);
	if (!err)
		err = vfs_truncate(&tmp->f_path, rec->size) ?:
		      ckpt_memfd_chmod(tmp, rec->mode);
	if (old)
		revert_creds(old);
	if (err)
		goto out;
	file = dentry_open(&tmp->f_path, rec->flags | O_LARGEFILE | O_NOCTTY,
			   current_cred());
	err = PTR_ERR_OR_ZERO(file);
	if (!err && rec->pos) {
		pos = vfs_llseek(file, rec->pos, SEEK_SET);
		err = pos < 0 ? pos : pos == rec->pos ? 0 : -EINVAL;
		if (err)
			fput(file);
	}
out:
	if (err) {
		pr_info_ratelimited("%s[%d]: cannot make the memfd %s again: error %d\n",
				    current->comm, task_pid_nr(current), name,
				    err);
		if (!IS_ERR(tmp))
			fput(tmp);
		kfree(name);
		return ERR_PTR(err);
	}
	kfree(name);
	*maker = tmp;
	return file;
}

/**
 * ckpt_restore_memfd - take in a CKPT_REC_MEMFD record
 * @ctx: the context
 * @h: the record's header
 *
 * The seals of the memfd made by the FILE record just before, kept until
 * ckpt_memfd_precommit() adds them.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one (a seal this kernel does not have).
 */
int ckpt_restore_memfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_memfd *rec;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (obj && obj->id == rec->id && obj->rec.type == CKPT_FILE_MEMFD &&
	    obj->peer && obj->seals < 0 && !(rec->seals & ~CKPT_MEMFD_SEALS)) {
		obj->seals = rec->seals;
		err = 0;
	}
	kvfree(rec);
	return err;
}

/**
 * ckpt_memfd_precommit - seal the memfds made
 * @ctx: the context, every record read
 *
 * As F_ADD_SEALS would, with its checks: F_SEAL_WRITE on a memfd mapped
 * shared and writable is -EBUSY.
 *
 * Return: 0; -EINVAL for a memfd without its MEMFD record; or the error
 * of F_ADD_SEALS.
 */
int ckpt_memfd_precommit(struct ckpt_ctx *ctx)
{
	unsigned int i;
	long err;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_obj *obj = &ctx->objs[i];

		if (obj->rec.type != CKPT_FILE_MEMFD || obj->rec.inode)
			continue;
		if (obj->seals < 0)
			return -EINVAL;
		if (!obj->seals)
			continue;
		err = memfd_fcntl(obj->peer, F_ADD_SEALS, obj->seals);
		if (err) {
			pr_info_ratelimited("%s[%d]: cannot seal a memfd again (seals %#x): error %ld\n",
					    current->comm, task_pid_nr(current),
					    obj->seals, err);
			return err;
		}
	}
	return 0;
}
