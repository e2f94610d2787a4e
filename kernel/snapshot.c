// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: snapshots, images kept in the kernel (%CKPT_DUMP_SNAPSHOT).
 *
 * A snapshot is a dump of another process whose records go to a tmpfs
 * file of the kernel's own and whose private pages are not copied at all:
 * the process's address space is copied on write, as fork() copies it
 * for a child, while the process is held, and the copy is kept for as
 * long as the snapshot.  The caller gets a file descriptor for it.
 *
 * ckpt_restore() takes that descriptor as it takes an image: it reads the
 * records from the start, each time, with every check a restore makes, and
 * takes the pages of each private mapping from the copy, copy-on-write
 * again.  So a process is rolled back, or copied into a new one, in about
 * the time fork() takes to copy its page tables, as often as wanted; what
 * the snapshot costs is the memory of the pages the process has written
 * since.  Those are charged where they were, to the process's memory
 * cgroup, but belong to no task the OOM killer could pick.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * struct ckpt_snapshot - an image kept in the kernel
 * @lock: one restore at a time reads @image
 * @image: the image's records, but for the private pages
 * @mm: the copy of the address space, which has them
 */
struct ckpt_snapshot {
	struct mutex lock;		/* one restore at a time */
	struct file *image;
	struct mm_struct *mm;
};

static int ckpt_snapshot_release(struct inode *inode, struct file *file)
{
	struct ckpt_snapshot *snap = file->private_data;

	mmput(snap->mm);
	fput(snap->image);
	kfree(snap);
	return 0;
}

static const struct file_operations ckpt_snapshot_fops = {
	.release	= ckpt_snapshot_release,
	.llseek		= noop_llseek,
};

/**
 * ckpt_is_snapshot - is @file a snapshot's descriptor?
 * @file: an open file
 */
bool ckpt_is_snapshot(const struct file *file)
{
	return file->f_op == &ckpt_snapshot_fops;
}

/**
 * ckpt_snapshot_dump - take a snapshot of a process
 * @leader: its thread group leader, not the caller's
 * @flags: the dump flags, %CKPT_DUMP_SNAPSHOT among them
 * @file_data_max: with %CKPT_DUMP_FILE_DATA, the bound on file content
 *
 * Context: process context; no locks held.
 * Return: a new file descriptor for the snapshot, close-on-exec; or
 * -errno, as ckpt_dump_task() and for the descriptor.
 */
long ckpt_snapshot_dump(struct task_struct *leader, unsigned int flags,
			u64 file_data_max)
{
	struct ckpt_snapshot *snap;
	long ret;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	mutex_init(&snap->lock);
	snap->image = shmem_kernel_file_setup("ckpt_snapshot", 0, VM_NORESERVE);
	if (IS_ERR(snap->image)) {
		ret = PTR_ERR(snap->image);
		goto out_free;
	}
	ret = ckpt_dump_task(leader, snap->image, flags, file_data_max,
			     &snap->mm, NULL);
	if (ret)
		goto out_fput;
	ret = anon_inode_getfd("[ckpt_snapshot]", &ckpt_snapshot_fops, snap,
			       O_RDONLY | O_CLOEXEC);
	if (ret >= 0)
		return ret;
	mmput(snap->mm);
out_fput:
	fput(snap->image);
out_free:
	kfree(snap);
	return ret;
}

/**
 * ckpt_snapshot_restore - restore a process from a snapshot
 * @leader: the process: the caller's group leader, or another process's
 * @file: the snapshot's descriptor (ckpt_is_snapshot())
 * @flags: the restore flags
 *
 * Context: process context; no locks held.
 * Return: as ckpt_restore_task(); -EINTR if a fatal signal came while
 * another restore from the snapshot read it.
 */
long ckpt_snapshot_restore(struct task_struct *leader, struct file *file,
			   unsigned int flags)
{
	struct ckpt_snapshot *snap = file->private_data;
	long ret;

	if (mutex_lock_killable(&snap->lock))
		return -EINTR;
	/* No one else has the file: its position is this restore's. */
	snap->image->f_pos = 0;
	ret = ckpt_restore_task(leader, snap->image, flags, snap->mm);
	mutex_unlock(&snap->lock);
	return ret;
}
