// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: signalfds.
 *
 * A signalfd is the set of signals it reads: its FILE record is followed
 * by a SIGNALFD record with the mask (signalfd_file_mask()), and the
 * restore makes a new signalfd with it (signalfd_file_create()).  What it
 * reads are the pending signals of whoever reads it, which the image has
 * with the rest of the signal state.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/signal.h>
#include <linux/signalfd.h>

#include "internal.h"

/* Is @file a signalfd? */
bool ckpt_is_signalfd(struct file *file)
{
	sigset_t mask;

	return !signalfd_file_mask(file, &mask);
}

/**
 * ckpt_dump_signalfd - write the SIGNALFD record of a signalfd
 * @ctx: the context
 * @file: the signalfd
 * @id: the object id of its FILE record, just written
 *
 * Return: 0, or a write error.
 */
int ckpt_dump_signalfd(struct ckpt_ctx *ctx, struct file *file, u32 id)
{
	struct ckpt_signalfd rec = { .id = id };
	sigset_t mask;
	int sig, err;

	err = signalfd_file_mask(file, &mask);
	if (err)
		return err;
	for (sig = 1; sig <= CKPT_NSIG && sig <= _NSIG; sig++)
		if (sigismember(&mask, sig))
			rec.mask |= 1ULL << (sig - 1);
	return ckpt_write_rec(ctx, CKPT_REC_SIGNALFD, &rec, sizeof(rec));
}

/**
 * ckpt_restore_signalfd - take in a CKPT_REC_SIGNALFD record
 * @ctx: the context
 * @h: the record's header
 *
 * Makes the signalfd of the FILE record just before.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one (a signal this kernel does not have); -EOPNOTSUPP
 * without CONFIG_SIGNALFD; -ENOMEM, -ENFILE.
 */
int ckpt_restore_signalfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_signalfd *rec;
	struct file *file;
	sigset_t mask;
	int sig, err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (rec->pad || !obj || obj->id != rec->id ||
	    obj->rec.type != CKPT_FILE_SIGNALFD || obj->file)
		goto out;
	sigemptyset(&mask);
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		if (!(rec->mask & 1ULL << (sig - 1)))
			continue;
		if (sig > _NSIG)
			goto out;
		sigaddset(&mask, sig);
	}
	file = signalfd_file_create(&mask, obj->rec.flags & O_NONBLOCK);
	err = PTR_ERR_OR_ZERO(file);
	if (!err)
		obj->file = file;
out:
	kvfree(rec);
	return err;
}
