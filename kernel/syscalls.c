// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the system calls.
 *
 *	long ckpt_dump(pid_t pid, int fd, unsigned int flags,
 *		       const struct ckpt_dump_args *args, size_t size);
 *	long ckpt_restore(pid_t pid, int fd, unsigned int flags);
 *
 * Both take the image as a file descriptor of any kind that can be written
 * or read in sequence: a file, a pipe, a socket.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/compat.h>
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * The thread group leader of process @pid, 0 for the caller's, with a
 * reference; or an ERR_PTR().
 */
static struct task_struct *ckpt_get_target(pid_t pid)
{
	struct task_struct *t;

	if (in_compat_syscall())
		return ERR_PTR(-EOPNOTSUPP);
	if (pid < 0)
		return ERR_PTR(-EINVAL);
	if (!pid) {
		get_task_struct(current->group_leader);
		return current->group_leader;
	}
	rcu_read_lock();
	t = pid_task(find_vpid(pid), PIDTYPE_TGID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		return ERR_PTR(-ESRCH);
	if (t->flags & PF_KTHREAD) {
		put_task_struct(t);
		return ERR_PTR(-EPERM);
	}
	/* A vfork() parent waits for the caller: it would never park. */
	if (current->vfork_done && same_thread_group(current->real_parent, t)) {
		put_task_struct(t);
		return ERR_PTR(-EDEADLK);
	}
	if (ckpt_may_access(t)) {
		put_task_struct(t);
		return ERR_PTR(-EPERM);
	}
	return t;
}

/*
 * ckpt_dump()'s struct ckpt_dump_args, as clone3() copies its struct:
 * any size from the first published one up to a page, the fields past
 * this kernel's struct zero.  NULL with size 0 is a struct of zeros.
 */
static int ckpt_copy_dump_args(struct ckpt_dump_args *args,
			       const struct ckpt_dump_args __user *uargs,
			       size_t usize)
{
	memset(args, 0, sizeof(*args));
	if (!usize)
		return uargs ? -EINVAL : 0;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if (usize < CKPT_DUMP_ARGS_SIZE_VER0)
		return -EINVAL;
	return copy_struct_from_user(args, sizeof(*args), uargs, usize);
}

/**
 * ckpt_do_dump - ckpt_dump() for every architecture's entry point
 * @pid: the process, 0 for the caller
 * @fd: the image, open for writing
 * @flags: CKPT_DUMP_*
 * @uargs: struct ckpt_dump_args, or NULL
 * @usize: its size, 0 with NULL
 *
 * Return: see sys_ckpt_dump().
 */
long ckpt_do_dump(pid_t pid, int fd, unsigned int flags,
		  const struct ckpt_dump_args __user *uargs, size_t usize)
{
	struct ckpt_dump_args args;
	struct task_struct *target;
	struct fd f;
	long ret;

	if (flags & ~CKPT_DUMP_FLAGS ||
	    (flags & CKPT_DUMP_STOP && flags & CKPT_DUMP_KILL) ||
	    (flags & CKPT_DUMP_COW &&
	     flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL)) ||
	    (flags & CKPT_DUMP_SNAPSHOT &&
	     flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL | CKPT_DUMP_COW |
		      CKPT_DUMP_BASE | CKPT_DUMP_DIFF)) ||
	    (flags & CKPT_DUMP_BASE &&
	     flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL | CKPT_DUMP_DIFF)))
		return -EINVAL;
	ret = ckpt_copy_dump_args(&args, uargs, usize);
	if (ret)
		return ret;
	/* A bound without the flag, or the flag without one. */
	if (!(flags & CKPT_DUMP_FILE_DATA) != !args.file_data_max)
		return -EINVAL;
	if ((!(flags & CKPT_DUMP_DIFF) && args.base_fd) || args.pad)
		return -EINVAL;
	target = ckpt_get_target(pid);
	if (IS_ERR(target))
		return PTR_ERR(target);
	/*
	 * Stopping or killing oneself after the dump makes no sense; nor
	 * holding a snapshot of oneself, whose descriptor it would not have.
	 */
	ret = -EINVAL;
	if (flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL | CKPT_DUMP_SNAPSHOT |
		     CKPT_DUMP_BASE) &&
	    same_thread_group(current, target))
		goto out;
	if (flags & CKPT_DUMP_SNAPSHOT) {
		ret = fd == -1 ? ckpt_snapshot_dump(target, flags,
						    args.file_data_max) : -EBADF;
		goto out;
	}

	/* Its position is locked only once the process is held. */
	ret = -EBADF;
	f = fdget(fd);
	if (!f.file)
		goto out;
	if (!(f.file->f_mode & FMODE_WRITE))
		ret = -EBADF;
	else if (flags & CKPT_DUMP_BASE)
		ret = ckpt_base_dump(target, f.file, flags, args.file_data_max);
	else if (flags & CKPT_DUMP_DIFF)
		ret = ckpt_diff_dump(target, f.file, flags, args.file_data_max,
				     args.base_fd);
	else
		ret = ckpt_dump_task(target, f.file, flags,
				     args.file_data_max, NULL, NULL);
	fdput(f);
out:
	put_task_struct(target);
	return ret;
}

/**
 * ckpt_do_restore - ckpt_restore() for every architecture's entry point
 * @pid: the process, 0 for the caller
 * @fd: the image, open for reading
 * @flags: CKPT_RESTORE_*
 *
 * Return: see sys_ckpt_restore().
 */
long ckpt_do_restore(pid_t pid, int fd, unsigned int flags)
{
	struct task_struct *target;
	struct fd f;
	long ret;

	if (flags & ~CKPT_RESTORE_FLAGS)
		return -EINVAL;
	target = ckpt_get_target(pid);
	if (IS_ERR(target))
		return PTR_ERR(target);

	/* Its position is locked only while the image is read. */
	ret = -EBADF;
	f = fdget(fd);
	if (!f.file)
		goto out;
	if (ckpt_is_snapshot(f.file))
		ret = ckpt_snapshot_restore(target, f.file, flags);
	else if (f.file->f_mode & FMODE_READ)
		ret = ckpt_restore_task(target, f.file, flags, NULL);
	fdput(f);
out:
	put_task_struct(target);
	return ret;
}

/**
 * sys_ckpt_dump - write an image of a process
 * @pid: the process, 0 for the caller's
 * @fd: where the image goes: a file descriptor open for writing
 * @flags: %CKPT_DUMP_STOP or %CKPT_DUMP_KILL for another process;
 *	%CKPT_DUMP_FILE_DATA; %CKPT_DUMP_COW; %CKPT_DUMP_SNAPSHOT;
 *	%CKPT_DUMP_BASE or %CKPT_DUMP_DIFF
 * @uargs: struct ckpt_dump_args, or NULL
 * @usize: sizeof(*@uargs), or 0 with NULL
 *
 * Writes the process's credentials, directories, limits, address space,
 * signal handlers and pending signals, file descriptor table, and every
 * thread's registers (with FPU state and TLS), signal mask and alternate
 * stack, to @fd.  Another process is held still while it is read: each of
 * its threads parks on its way to user mode, and then resumes, or stays
 * stopped or is killed as @flags say.  A process restored from an image
 * of itself returns from this call with %CKPT_RESTORED.  With
 * %CKPT_DUMP_FILE_DATA the image also carries the content of every
 * regular file the process has open for writing, at most
 * @uargs->file_data_max bytes in all, and a restore puts it back.  With
 * %CKPT_DUMP_COW the process runs on once its address space is copied on
 * write, as fork() copies it, and its pages are written from the copy,
 * as they were: the address space comes last in the image.  With
 * %CKPT_DUMP_SNAPSHOT and @fd -1, the image stays in the kernel, its
 * private pages in that copy, which is kept: the call returns a new
 * close-on-exec file descriptor for it, which ckpt_restore() takes as
 * an image, as often as wanted, and which cannot be read.  With
 * %CKPT_DUMP_BASE the image goes to @fd, a regular file, as with
 * %CKPT_DUMP_COW, and the copy is kept as a base: the call returns a new
 * close-on-exec descriptor for it.  With %CKPT_DUMP_DIFF and that
 * descriptor in @uargs->base_fd, the image leaves out the pages the
 * process has not written since the base, and names them, for a restore
 * to read them from the base image.
 *
 * Context: process context; sleeps.
 * Return: 0 when the image is written, the snapshot's descriptor with
 * %CKPT_DUMP_SNAPSHOT, the base's with %CKPT_DUMP_BASE; %CKPT_RESTORED in
 * a process
 * restored from it; -EINVAL for unknown flags, both flags or
 * %CKPT_DUMP_COW or %CKPT_DUMP_SNAPSHOT with either, %CKPT_DUMP_STOP,
 * %CKPT_DUMP_KILL or %CKPT_DUMP_SNAPSHOT with the caller's pid, a negative pid,
 * %CKPT_DUMP_FILE_DATA without a bound or a bound without it, or @usize
 * too small; -E2BIG if @uargs has fields this kernel does not know, not 0;
 * -EFAULT if @uargs cannot be read; -ESRCH if there is no such process or
 * it exits during the dump (the image then has no END record); -EPERM if
 * the caller may not ptrace it; -EDEADLK if the caller is its vfork()
 * child, which it waits for; -EBADF if @fd is not open for writing;
 * -EOPNOTSUPP for a 32-bit compat caller or state the image cannot hold,
 * -EFBIG for file content beyond the bound (the kernel log names either);
 * -EINTR if interrupted; the error of writing to @fd; -ENOMEM; -EMFILE.
 * With %CKPT_DUMP_SNAPSHOT, -EBADF if @fd is not -1, and -EOPNOTSUPP for a
 * mapping with MADV_DONTFORK or MADV_WIPEONFORK; so with %CKPT_DUMP_BASE,
 * which is -EINVAL with %CKPT_DUMP_STOP, %CKPT_DUMP_KILL,
 * %CKPT_DUMP_SNAPSHOT or %CKPT_DUMP_DIFF, for the caller, or for an @fd
 * that is no regular file or is open for appending, and -EACCES if the
 * caller may not read it.  With %CKPT_DUMP_DIFF, -EBADF if
 * @uargs->base_fd is not open, -EINVAL if it is no base of the process;
 * a base_fd without the flag, or a pad not zero, is -EINVAL.
 */
SYSCALL_DEFINE5(ckpt_dump, pid_t, pid, int, fd, unsigned int, flags,
		const struct ckpt_dump_args __user *, uargs, size_t, usize)
{
	return ckpt_do_dump(pid, fd, flags, uargs, usize);
}

/**
 * sys_ckpt_restore - rebuild a process from an image
 * @pid: the process, 0 for the caller's
 * @fd: the image: a file descriptor open for reading, or a snapshot's
 * @flags: 0
 *
 * Replaces the process with the image, as execve() replaces it with a
 * program: its address space, threads, signal state, directories and
 * limits.  The whole image is read and checked, files and directories
 * opened with the caller's rights and the new address space built, before
 * the process is touched: a failure leaves it as it was.  The process
 * keeps its pid, parent, children, credentials and open files.  For
 * another process, its group leader makes the change in its own context
 * and the call returns 0 to the caller.
 *
 * Context: process context; sleeps.
 * Return: for the caller's own process, does not return on success; for
 * another, 0.  -EINVAL for unknown flags, a negative pid or a malformed
 * image; -ESRCH if there is no such process; -EDEADLK if the caller is its
 * vfork() child; -EAGAIN if its threads or pending signals would exceed
 * RLIMIT_NPROC or RLIMIT_SIGPENDING; -EPERM if the caller may not
 * ptrace it, or the image's credentials differ from the process's and the
 * caller lacks CAP_CHECKPOINT_RESTORE, or raises a hard limit without
 * CAP_SYS_RESOURCE, or changes the root without CAP_SYS_CHROOT; -EBADF if
 * @fd is not open for reading; -ENOEXEC if @fd holds no image, or one for
 * another machine or format version; -EBADMSG if the image is damaged or
 * truncated; -ESTALE if a file it maps, or its working or root directory,
 * is not the one recorded; -EOPNOTSUPP for a compat caller; the errors of
 * opening a file or directory; -EINTR; -ENOMEM.
 */
SYSCALL_DEFINE3(ckpt_restore, pid_t, pid, int, fd, unsigned int, flags)
{
	return ckpt_do_restore(pid, fd, flags);
}
