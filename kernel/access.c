// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: who may dump or roll back a process, what a restore may do for
 * it, and the message that names what a dump refuses.
 *
 * A rollback acts on another process: what it opens, maps or changes is
 * checked for that process as well as for the caller, as if each had
 * asked for it, and capabilities are those the caller has in the user
 * namespace of the process.  A restore of the caller itself is checked
 * once, for the caller.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/namei.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/security.h>

#include "internal.h"

/**
 * ckpt_may_access - may the caller dump or roll back this process?
 * @leader: the process's thread group leader
 *
 * The right to attach to it with ptrace, as process_vm_readv() needs.
 *
 * Return: 0, or -EPERM.
 */
int ckpt_may_access(struct task_struct *leader)
{
	return ptrace_may_access(leader, PTRACE_MODE_ATTACH_REALCREDS) ?
	       0 : -EPERM;
}

/**
 * ckpt_refuse_task - refuse to dump state of a process ckpt cannot restore
 * @t: the process dumped, or one of its threads, for the kernel log
 * @fmt: printf() format of what is refused ("a traced thread")
 *
 * Every refusal goes through here, so that the message names the process
 * dumped, never the dumper, and the tool can find it: "ckpt: COMM[PID]:
 * cannot checkpoint WHAT".
 *
 * Return: -EOPNOTSUPP.
 */
int ckpt_refuse_task(struct task_struct *t, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info_ratelimited("%s[%d]: cannot checkpoint %pV\n",
			    t->group_leader->comm, task_tgid_nr(t), &vaf);
	va_end(args);
	return -EOPNOTSUPP;
}

/**
 * ckpt_target_begin - take the credentials of the process restored
 * @ctx: the restore; ctx->task is the process
 *
 * For a rollback of another process, its credentials are kept in the
 * context, so that each check can be made for it as well.
 *
 * Return: 0.
 */
int ckpt_target_begin(struct ckpt_ctx *ctx)
{
	if (!same_thread_group(ctx->task, current))
		ctx->cred = get_task_cred(ctx->task);
	return 0;
}

/**
 * ckpt_target_end - drop what ckpt_target_begin() took
 * @ctx: the restore
 */
void ckpt_target_end(struct ckpt_ctx *ctx)
{
	if (ctx->cred)
		put_cred(ctx->cred);
	ctx->cred = NULL;
}

/**
 * ckpt_target_user_ns - the user namespace of the process restored
 * @ctx: the restore
 *
 * Image ids are read, and the caller's capabilities checked, in it.
 */
struct user_namespace *ckpt_target_user_ns(const struct ckpt_ctx *ctx)
{
	return ctx->cred ? ctx->cred->user_ns : current_user_ns();
}

/**
 * ckpt_capable - has the caller @cap for the process restored?
 * @ctx: the restore
 * @cap: the capability
 *
 * In the process's user namespace, as ptrace checks a capability.
 */
bool ckpt_capable(const struct ckpt_ctx *ctx, int cap)
{
	return ns_capable(ckpt_target_user_ns(ctx), cap);
}

/**
 * ckpt_checkpoint_restore_capable - may the caller restore what it cannot
 * otherwise give the process: other ids, another executable, chosen tids?
 * @ctx: the restore
 */
bool ckpt_checkpoint_restore_capable(const struct ckpt_ctx *ctx)
{
	return checkpoint_restore_ns_capable(ckpt_target_user_ns(ctx));
}

/**
 * ckpt_path_permission - may the caller and the process use @path so?
 * @ctx: the restore
 * @path: a file or directory the restore opens for the process
 * @mask: MAY_* as path_permission() takes it
 *
 * Return: 0, or the error of the first check that fails (-EACCES).
 */
int ckpt_path_permission(const struct ckpt_ctx *ctx, const struct path *path,
			 int mask)
{
	const struct cred *old;
	int err;

	err = path_permission(path, mask);
	if (err || !ctx->cred)
		return err;
	old = override_creds(ctx->cred);
	err = path_permission(path, mask);
	revert_creds(old);
	return err;
}

/**
 * ckpt_mmap_permission - the LSM's mmap() check, for the caller and the
 * process
 * @ctx: the restore
 * @file: the file mapped, or NULL for anonymous memory
 * @prot: PROT_*
 * @flags: MAP_SHARED or MAP_PRIVATE
 *
 * Return: 0, or the LSM's error.
 */
int ckpt_mmap_permission(const struct ckpt_ctx *ctx, struct file *file,
			 unsigned long prot, unsigned long flags)
{
	const struct cred *old;
	int err;

	err = security_mmap_file(file, prot, flags);
	if (err || !ctx->cred)
		return err;
	old = override_creds(ctx->cred);
	err = security_mmap_file(file, prot, flags);
	revert_creds(old);
	return err;
}
