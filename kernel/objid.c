// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: image-local object ids.
 *
 * A kernel object that several records refer to (a file mapped by several
 * VMAs) is written once with an id; the others name the id.  The image never
 * holds kernel addresses, so the table maps ids to objects in the kernel.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "internal.h"

/**
 * ckpt_obj_insert - enter an object under an id
 * @ctx: the context
 * @id: its id: not zero, not in the table yet
 * @file: the object, the table takes a reference of its own; or NULL for
 *	an object that is found on restore (a terminal, a pipe)
 *
 * Return: 0, -EINVAL for a bad or repeated id, -ENOMEM.
 */
int ckpt_obj_insert(struct ckpt_ctx *ctx, u32 id, struct file *file)
{
	if (!id || ckpt_obj_find(ctx, id))
		return -EINVAL;
	if (ctx->nr_objs == ctx->max_objs) {
		unsigned int max = ctx->max_objs ? 2 * ctx->max_objs : 16;
		struct ckpt_obj *objs;

		if (max > CKPT_MAX_OBJS)
			return -EINVAL;
		objs = krealloc_array(ctx->objs, max, sizeof(*objs), GFP_KERNEL);
		if (!objs)
			return -ENOMEM;
		ctx->objs = objs;
		ctx->max_objs = max;
	}
	memset(&ctx->objs[ctx->nr_objs], 0, sizeof(ctx->objs[0]));
	ctx->objs[ctx->nr_objs].id = id;
	ctx->objs[ctx->nr_objs].file = file ? get_file(file) : NULL;
	ctx->nr_objs++;
	return 0;
}

/**
 * ckpt_obj_find_id - the id of an object already in the table
 * @ctx: the context
 * @file: the object
 *
 * Return: its id, or 0.
 */
u32 ckpt_obj_find_id(struct ckpt_ctx *ctx, struct file *file)
{
	unsigned int i;

	if (!file)
		return 0;
	for (i = 0; i < ctx->nr_objs; i++)
		if (ctx->objs[i].file == file)
			return ctx->objs[i].id;
	return 0;
}

/**
 * ckpt_obj_find - the object entered under an id
 * @ctx: the context
 * @id: the id
 *
 * Return: the entry (the table keeps its reference to the file), or NULL.
 */
struct ckpt_obj *ckpt_obj_find(struct ckpt_ctx *ctx, u32 id)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++)
		if (ctx->objs[i].id == id)
			return &ctx->objs[i];
	return NULL;
}

/**
 * ckpt_obj_release - drop every object of the table
 * @ctx: the context
 */
void ckpt_obj_release(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++) {
		if (ctx->objs[i].file)
			fput(ctx->objs[i].file);
		if (ctx->objs[i].peer)
			fput(ctx->objs[i].peer);
		kfree(ctx->objs[i].path);
		ckpt_swap_release(ctx->objs[i].swap);
		ckpt_sock_stage_free(ctx->objs[i].sock);
	}
	kfree(ctx->objs);
	ctx->objs = NULL;
	ctx->nr_objs = 0;
	ctx->max_objs = 0;
}
