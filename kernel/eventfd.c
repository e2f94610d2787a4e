// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: eventfds.
 *
 * An eventfd is a counter: its FILE record is followed by an EVENTFD
 * record with the counter and EFD_SEMAPHORE, read without consuming them
 * (eventfd_file_peek()), and the restore makes a new eventfd with them
 * (eventfd_file_create()), in a rollback too.  Unlike a pipe, a live
 * eventfd cannot be recognized: its kernel id is reused once it is
 * closed, so the one at the descriptor may be a later one.  Another
 * process that shared it keeps the old one.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "internal.h"

/* Is @file an eventfd? */
bool ckpt_is_eventfd(struct file *file)
{
	unsigned int flags;
	__u64 count;

	return !eventfd_file_peek(file, &count, &flags);
}

/**
 * ckpt_dump_eventfd - write the EVENTFD record of an eventfd
 * @ctx: the context
 * @file: the eventfd
 * @id: the object id of its FILE record, just written
 *
 * Return: 0, or a write error.
 */
int ckpt_dump_eventfd(struct ckpt_ctx *ctx, struct file *file, u32 id)
{
	struct ckpt_eventfd rec = { .id = id };
	unsigned int flags;
	int err;

	err = eventfd_file_peek(file, &rec.count, &flags);
	if (err)
		return err;
	rec.flags = flags & EFD_SEMAPHORE ? CKPT_EVENTFD_SEMAPHORE : 0;
	return ckpt_write_rec(ctx, CKPT_REC_EVENTFD, &rec, sizeof(rec));
}

/**
 * ckpt_restore_eventfd - take in a CKPT_REC_EVENTFD record
 * @ctx: the context
 * @h: the record's header
 *
 * Makes the eventfd of the FILE record just before.
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one; -EOPNOTSUPP without CONFIG_EVENTFD; -ENOMEM, -ENFILE.
 */
int ckpt_restore_eventfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_eventfd *rec;
	struct file *file;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (rec->flags & ~CKPT_EVENTFD_SEMAPHORE || !obj ||
	    obj->id != rec->id || obj->rec.type != CKPT_FILE_EVENTFD || obj->file)
		goto out;
	file = eventfd_file_create(rec->count,
				   (rec->flags & CKPT_EVENTFD_SEMAPHORE ?
				    EFD_SEMAPHORE : 0) |
				   (obj->rec.flags & O_NONBLOCK));
	err = PTR_ERR_OR_ZERO(file);
	if (!err)
		obj->file = file;
out:
	kvfree(rec);
	return err;
}
