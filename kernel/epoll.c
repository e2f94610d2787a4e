// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: epolls.
 *
 * An epoll is recorded with what it watches: after its FILE record, one
 * EPOLL_ITEM record per watched file, with the descriptor it was added
 * with, the object id of the file's own FILE record, its event mask and
 * its data (epoll_iterate_items()).  A watched file must still be open at
 * that descriptor, so that the restored table has it there too, and must
 * not be an epoll itself.  The FILE records of the watched files are
 * written before the epoll's.
 *
 * The restore makes a new epoll while staging and, in the committing task
 * before the point of no return, once every descriptor's file is known
 * (a live pipe or terminal included), adds each item as epoll_ctl(ADD)
 * would, with its checks (epoll_ctl_file()): for the caller's limits
 * (max_user_watches) and capabilities (EPOLLWAKEUP).  An epoll is always
 * rebuilt, in a rollback too: another process that shared it keeps the
 * old one.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/eventpoll.h>	/* after linux/fs.h: it uses struct file */
#include <linux/sched.h>
#include <linux/slab.h>

#include "internal.h"

/* Is @file an epoll? */
bool ckpt_is_epoll(struct file *file)
{
	return epoll_iterate_items(file, NULL, NULL) >= 0;
}

/**
 * struct ckpt_epoll_walk - the items of an epoll, noted under its mutex
 * @items: each item's record, but the epoll's id
 * @tfiles: each item's file, with a reference
 * @nr: items noted
 * @max: room in @items and @tfiles
 */
struct ckpt_epoll_walk {
	struct ckpt_epoll_item *items;
	struct file **tfiles;
	unsigned int nr;
	unsigned int max;
};

static int ckpt_epoll_note_item(void *arg, struct file *tfile, int fd,
				const struct epoll_event *ev)
{
	struct ckpt_epoll_walk *w = arg;

	if (w->nr == w->max)
		return -ENOSPC;		/* items added meanwhile: try again */
	w->items[w->nr].fd = fd;
	w->items[w->nr].events = ev->events;
	w->items[w->nr].data = ev->data;
	w->tfiles[w->nr++] = get_file(tfile);
	return 0;
}

static void ckpt_epoll_walk_clear(struct ckpt_epoll_walk *w)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++)
		fput(w->tfiles[i]);
	kvfree(w->tfiles);
	kvfree(w->items);
	w->tfiles = NULL;
	w->items = NULL;
	w->nr = 0;
}

void ckpt_epoll_walk_free(struct ckpt_epoll_walk *w)
{
	ckpt_epoll_walk_clear(w);
	kfree(w);
}

/* Note the items of @file, with a reference to each watched file. */
static int ckpt_epoll_note_items(struct ckpt_epoll_walk *w, struct file *file)
{
	int n, err;

	for (;;) {
		n = epoll_iterate_items(file, NULL, NULL);
		if (n < 0)
			return n;
		w->max = n + 8;
		w->items = kvcalloc(w->max, sizeof(*w->items), GFP_KERNEL);
		w->tfiles = kvcalloc(w->max, sizeof(*w->tfiles), GFP_KERNEL);
		err = !w->items || !w->tfiles ? -ENOMEM :
		      epoll_iterate_items(file, ckpt_epoll_note_item, w);
		if (err >= 0)
			return 0;
		ckpt_epoll_walk_clear(w);
		if (err != -ENOSPC)
			return err;
	}
}

/*
 * A watched file must be at the descriptor it was added with, and not be
 * an epoll: looked at with the epoll's mutex released.
 */
static int ckpt_epoll_check_item(struct ckpt_ctx *ctx,
				 struct files_struct *files,
				 const struct ckpt_epoll_walk *w,
				 unsigned int i, int fd)
{
	struct file *at;

	if (ckpt_is_epoll(w->tfiles[i]))
		return ckpt_refuse_task(ctx->task,
				"fd %d: an epoll watching another epoll (fd %u) is not supported",
				fd, w->items[i].fd);
	rcu_read_lock();
	at = files ? files_lookup_fd_rcu(files, w->items[i].fd) : w->tfiles[i];
	rcu_read_unlock();
	if (at != w->tfiles[i])
		return ckpt_refuse_task(ctx->task,
				"fd %d: an epoll watching a file no longer at fd %u is not supported",
				fd, w->items[i].fd);
	return 0;
}

/**
 * ckpt_check_epoll - can an epoll be recorded?
 * @ctx: the context
 * @files: the process's file table
 * @file: the epoll
 * @fd: its descriptor
 *
 * Return: 0; -EOPNOTSUPP (logged) for a watched file that is an epoll or
 * is not at the descriptor it was added with; -ENOMEM.
 */
int ckpt_check_epoll(struct ckpt_ctx *ctx, struct files_struct *files,
		     struct file *file, int fd)
{
	struct ckpt_epoll_walk w = { };
	unsigned int i;
	int err;

	err = ckpt_epoll_note_items(&w, file);
	for (i = 0; !err && i < w.nr; i++)
		err = ckpt_epoll_check_item(ctx, files, &w, i, fd);
	ckpt_epoll_walk_clear(&w);
	return err;
}

/**
 * ckpt_dump_epoll_files - write the FILE records of what an epoll watches
 * @ctx: the context
 * @file: the epoll
 * @fd: its descriptor
 *
 * Return: its items, for ckpt_dump_epoll_items(); ERR_PTR(-EOPNOTSUPP)
 * for a watched file that cannot be recorded, -ENOMEM, a write error.
 */
struct ckpt_epoll_walk *ckpt_dump_epoll_files(struct ckpt_ctx *ctx,
					      struct file *file, int fd)
{
	struct ckpt_epoll_walk *w;
	unsigned int i;
	int err;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return ERR_PTR(-ENOMEM);
	err = ckpt_epoll_note_items(w, file);
	/* changed since the check (an epoll shared with another process)? */
	for (i = 0; !err && i < w->nr; i++)
		err = ckpt_epoll_check_item(ctx, NULL, w, i, fd) ?:
		      ckpt_dump_file(ctx, w->tfiles[i], w->items[i].fd,
				     &w->items[i].file);
	if (err) {
		ckpt_epoll_walk_free(w);
		return ERR_PTR(err);
	}
	return w;
}

/**
 * ckpt_dump_epoll_items - write the EPOLL_ITEM records of an epoll
 * @ctx: the context
 * @w: what ckpt_dump_epoll_files() found, freed
 * @id: the object id of the epoll's FILE record, just written
 *
 * Return: 0, or a write error.
 */
int ckpt_dump_epoll_items(struct ckpt_ctx *ctx, struct ckpt_epoll_walk *w,
			  u32 id)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < w->nr; i++) {
		w->items[i].id = id;
		err = ckpt_write_rec(ctx, CKPT_REC_EPOLL_ITEM, &w->items[i],
				     sizeof(w->items[i]));
	}
	ckpt_epoll_walk_free(w);
	return err;
}

/**
 * ckpt_restore_epoll_item - take in a CKPT_REC_EPOLL_ITEM record
 * @ctx: the context
 * @h: the record's header
 *
 * Kept for ckpt_epoll_precommit(): the file it names may be a live one,
 * found only then.
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one (not after its epoll's FILE record); -ENOMEM.
 */
int ckpt_restore_epoll_item(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_epoll_item *rec;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!obj || obj->id != rec->id || obj->rec.type != CKPT_FILE_EPOLL ||
	    rec->fd >= sysctl_nr_open)
		goto out;
	if (ctx->nr_epoll_items == ctx->max_epoll_items) {
		err = ckpt_grow((void **)&ctx->epoll_items, &ctx->max_epoll_items,
				sizeof(*ctx->epoll_items));
		if (err)
			goto out;
	}
	ctx->epoll_items[ctx->nr_epoll_items++] = *rec;
	err = 0;
out:
	kvfree(rec);
	return err;
}

/**
 * ckpt_epoll_precommit - add the items to the epolls made
 * @ctx: the context
 * @has_fd: tells whether the image has descriptor @fd on @file
 * @arg: for @has_fd
 *
 * Context: the committing task, before the point of no return, after
 * every descriptor's file is known.
 * Return: 0; -EINVAL for an item naming a file that is not at its
 * descriptor in the image; epoll_ctl()'s errors (-ENOSPC over
 * max_user_watches, -EPERM for a file that cannot be polled, -EEXIST).
 */
int ckpt_epoll_precommit(struct ckpt_ctx *ctx,
			 bool (*has_fd)(void *arg, u32 fd, u32 file), void *arg)
{
	unsigned int i;
	int err;

	for (i = 0; i < ctx->nr_epoll_items; i++) {
		const struct ckpt_epoll_item *it = &ctx->epoll_items[i];
		struct ckpt_obj *ep = ckpt_obj_find(ctx, it->id);
		struct ckpt_obj *t = ckpt_obj_find(ctx, it->file);
		struct epoll_event ev = {
			.events = it->events,
			.data = it->data,
		};

		if (!t || !t->file || !has_fd(arg, it->fd, it->file))
			return -EINVAL;
		err = epoll_ctl_file(ep->file, EPOLL_CTL_ADD, t->file, it->fd,
				     &ev, false);
		if (err) {
			pr_info_ratelimited("%s[%d]: cannot watch fd %u with an epoll again: error %d\n",
					    current->comm, task_pid_nr(current),
					    it->fd, err);
			return err;
		}
	}
	return 0;
}
