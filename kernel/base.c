// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: bases and the differential dumps made against them
 * (%CKPT_DUMP_BASE, %CKPT_DUMP_DIFF).
 *
 * A base is an ordinary image of another process, written as
 * %CKPT_DUMP_COW writes one, from the copy-on-write copy of its address
 * space made while it was held; but the copy is kept, with where each
 * PAGES record of an anonymous mapping went in the image, and the caller
 * gets a file descriptor for them.  A later dump of the process with
 * %CKPT_DUMP_DIFF and that descriptor writes a whole image but for the
 * pages the process has not written since: a page the process maps is
 * the very page the copy maps at the same address only as long as
 * neither has written it, since a write to a page both map copies it
 * first.  Those pages are named, a bitmap per base record, by BASE_PAGES
 * records, which a restore reads from the base image; the others are
 * written as any dump writes them.  So no bit of the page tables, nor
 * anything else of the arch, tracks what changed: what it costs the
 * process is the copy fork() would have cost it, a fault for the first
 * write to each page, and the memory of the pages it writes.
 *
 * A diff is always against the base, never against another diff: a
 * restore needs the diff and the base image, no chain.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "internal.h"

/* Free what ckpt_base_dump() made of @base, all or part. */
static void ckpt_base_free(struct ckpt_base *base)
{
	if (base->mm)
		mmput(base->mm);
	if (base->image)
		fput(base->image);
	put_pid(base->pid);
	kvfree(base->runs);
	kfree(base);
}

static int ckpt_base_release(struct inode *inode, struct file *file)
{
	struct ckpt_base *base = file->private_data;

	ckpt_base_free(base);
	return 0;
}

static const struct file_operations ckpt_base_fops = {
	.release	= ckpt_base_release,
	.llseek		= noop_llseek,
};

/**
 * ckpt_base_dump - write a base image of a process, and keep the base
 * @leader: its thread group leader, not the caller's
 * @file: the image: a regular file, open for writing, not for appending
 * @flags: the dump flags, %CKPT_DUMP_BASE among them
 * @file_data_max: with %CKPT_DUMP_FILE_DATA, the bound on file content
 *
 * The image goes to @file as any image; the base keeps the copy of the
 * address space its pages came from, the place of each PAGES record, and
 * @file opened again for reading with the caller's rights, which later
 * diffs name and a restore of them opens by its path.
 *
 * Context: process context; no locks held.
 * Return: a new close-on-exec file descriptor for the base; -EINVAL for a
 * file that is not a regular one or is open for appending; -EACCES if the
 * caller may not read it; -errno as ckpt_dump_task().
 */
long ckpt_base_dump(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max)
{
	struct ckpt_base *base;
	long ret;

	if (!S_ISREG(file_inode(file)->i_mode) || file->f_flags & O_APPEND)
		return -EINVAL;
	ret = inode_permission(file_mnt_user_ns(file), file_inode(file),
			       MAY_READ);
	if (ret)
		return ret;
	base = kzalloc(sizeof(*base), GFP_KERNEL_ACCOUNT);
	if (!base)
		return -ENOMEM;
	base->pid = get_task_pid(leader, PIDTYPE_TGID);
	base->image = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE,
				  current_cred());
	if (IS_ERR(base->image)) {
		ret = PTR_ERR(base->image);
		base->image = NULL;
		goto out_free;
	}
	ret = ckpt_dump_task(leader, file, flags, file_data_max, &base->mm,
			     base);
	if (ret)
		goto out_free;
	ret = anon_inode_getfd("[ckpt_base]", &ckpt_base_fops, base,
			       O_RDONLY | O_CLOEXEC);
	if (ret >= 0)
		return ret;
out_free:
	ckpt_base_free(base);
	return ret;
}

/**
 * ckpt_diff_dump - write what changed in a process since a base
 * @leader: its thread group leader
 * @file: the image, open for writing
 * @flags: the dump flags, %CKPT_DUMP_DIFF among them
 * @file_data_max: with %CKPT_DUMP_FILE_DATA, the bound on file content
 * @base_fd: the base's descriptor (ckpt_base_dump())
 *
 * Context: process context; no locks held.
 * Return: 0; -EBADF if @base_fd is not open, -EINVAL if it is not a base
 * of this process; -ESTALE if the base image has been removed since, which
 * a restore of the diff could not read; -errno as ckpt_dump_task().
 */
long ckpt_diff_dump(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max, int base_fd)
{
	struct fd f = fdget(base_fd);
	struct ckpt_base *base;
	long ret = -EBADF;

	if (!f.file)
		return ret;
	ret = -EINVAL;
	if (f.file->f_op != &ckpt_base_fops)
		goto out;
	base = f.file->private_data;
	if (base->pid != task_tgid(leader))
		goto out;
	ret = -ESTALE;
	if (d_unlinked(base->image->f_path.dentry)) {
		pr_info_ratelimited("%s[%d]: the base image has been removed: no diff against it\n",
				    current->comm, task_pid_nr(current));
		goto out;
	}
	ret = ckpt_dump_task(leader, file, flags, file_data_max, NULL, base);
out:
	fdput(f);
	return ret;
}
