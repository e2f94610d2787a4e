// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: dump a process.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "internal.h"

/**
 * ckpt_refuse - refuse to dump state that ckpt cannot restore
 * @what: the state, for the kernel log ("a 32-bit task")
 *
 * Return: -EOPNOTSUPP.
 */
int ckpt_refuse(const char *what)
{
	pr_info_ratelimited("%s[%d]: cannot checkpoint %s\n", current->comm,
			    task_pid_nr(current), what);
	return -EOPNOTSUPP;
}

/**
 * ckpt_dump_self - write an image of the calling process
 * @file: the image, open for writing
 * @flags: the dump flags (0)
 *
 * The caller is single-threaded and in this system call: nothing else can
 * change its address space or registers while they are read.
 *
 * Context: process context; no locks held.
 * Return: 0, or -errno.
 */
long ckpt_dump_self(struct file *file, unsigned int flags)
{
	struct ckpt_ctx ctx = { .flags = flags };
	int err;

	if (!thread_group_empty(current))
		return ckpt_refuse("a process with more than one thread");
	err = ckpt_ctx_init(&ctx, file);
	if (err)
		goto out;
	err = ckpt_write_image_hdr(&ctx) ?:
	      ckpt_dump_mm(&ctx, current->mm) ?:
	      ckpt_dump_thread(&ctx, current) ?:
	      ckpt_write_rec(&ctx, CKPT_REC_END, NULL, 0) ?:
	      ckpt_flush(&ctx);
out:
	ckpt_ctx_fini(&ctx);
	return err;
}
