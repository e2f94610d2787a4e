// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the image stream, written and read.
 *
 * The writer builds each record whole in a buffer, so that the record's
 * header can carry the running CRC that ends it, and writes the buffer out
 * when it fills.  The reader checks a record's CRC before anything in the
 * record is believed: a damaged image gives -EBADMSG wherever the damage is,
 * and -EINVAL is kept for images whose checksums hold but whose content
 * does not make sense (a crafted image).
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/bvec.h>
#include <linux/crc32.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swab.h>
#include <linux/uio.h>
#include <linux/utsname.h>

#include "internal.h"

/**
 * ckpt_ctx_init - set up a context on an image file
 * @ctx: the context, zeroed by the caller
 * @file: the image, open for writing (dump) or reading (restore)
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM.
 */
int ckpt_ctx_init(struct ckpt_ctx *ctx, struct file *file)
{
	/* The same layout on every architecture, m68k's 2-byte alignment too. */
	BUILD_BUG_ON(sizeof(struct ckpt_image_hdr) != 96);
	BUILD_BUG_ON(sizeof(struct ckpt_rec_hdr) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_file) != 72);
	BUILD_BUG_ON(sizeof(struct ckpt_fd) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_pipe) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_file_data) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_eventfd) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_epoll_item) != 24);
	BUILD_BUG_ON(sizeof(struct ckpt_signalfd) != 16);
	BUILD_BUG_ON(sizeof(struct ckpt_memfd) != 8);
	BUILD_BUG_ON(sizeof(struct ckpt_timerfd) != 48);
	BUILD_BUG_ON(sizeof(struct ckpt_mm) != 104);
	BUILD_BUG_ON(sizeof(struct ckpt_vma) != 40);
	BUILD_BUG_ON(sizeof(struct ckpt_pages) != 24);
	BUILD_BUG_ON(sizeof(struct ckpt_thread) != 80);
	BUILD_BUG_ON(sizeof(struct ckpt_regs_x86_64) != 224);
	BUILD_BUG_ON(sizeof(struct ckpt_regs_arm64) != 800);
	BUILD_BUG_ON(sizeof(struct ckpt_regs_m68k) != 184);
	BUILD_BUG_ON(CKPT_PAGES_PER_REC < 1);

	BUILD_BUG_ON(sizeof(struct ckpt_proc) != 392);
	BUILD_BUG_ON(sizeof(struct ckpt_sigaction) != 32);
	BUILD_BUG_ON(sizeof(struct ckpt_siginfo) != 136);

	ctx->file = get_file(file);
	ctx->crc = ~0U;
	ctx->size = CKPT_BUF_SIZE;
	ctx->buf = kvmalloc(CKPT_BUF_SIZE, GFP_KERNEL);
	return ctx->buf ? 0 : -ENOMEM;
}

/**
 * ckpt_ctx_lock_pos - hold the image file's position, as fdget_pos() does
 * @ctx: the context
 *
 * Taken only while the image is read or written, never while threads of
 * a process are being held: one of them may wait for it.
 *
 * Return: 0, or -EINTR for a fatal signal.
 */
int ckpt_ctx_lock_pos(struct ckpt_ctx *ctx)
{
	struct file *file = ctx->file;

	if ((file->f_mode & FMODE_ATOMIC_POS) && file_count(file) > 1) {
		if (mutex_lock_killable(&file->f_pos_lock))
			return -EINTR;
		ctx->pos_locked = true;
	}
	ctx->start = file->f_pos;
	return 0;
}

/**
 * ckpt_ctx_unlock_pos - release what ckpt_ctx_lock_pos() took
 * @ctx: the context
 */
void ckpt_ctx_unlock_pos(struct ckpt_ctx *ctx)
{
	if (ctx->pos_locked)
		mutex_unlock(&ctx->file->f_pos_lock);
	ctx->pos_locked = false;
}

/**
 * ckpt_ctx_init_mem - set up a context that builds records in memory only
 * @ctx: the context, zeroed by the caller
 * @size: room for the records
 *
 * A parked thread writes its own records so; the dump copies them into
 * the image with ckpt_write_recs(), which gives them their place in the
 * CRC chain.
 *
 * Return: 0, or -ENOMEM.
 */
int ckpt_ctx_init_mem(struct ckpt_ctx *ctx, size_t size)
{
	ctx->crc = ~0U;
	ctx->size = size;
	ctx->buf = kvmalloc(size, GFP_KERNEL);
	return ctx->buf ? 0 : -ENOMEM;
}

/**
 * ckpt_write_recs - write the records a memory context built
 * @ctx: the image's context
 * @recs: the records, as ckpt_rec_begin() and ckpt_rec_end() lay them out
 * @len: their bytes
 *
 * Return: 0 or -errno.
 */
int ckpt_write_recs(struct ckpt_ctx *ctx, const void *recs, size_t len)
{
	while (len) {
		const struct ckpt_rec_hdr *h = recs;
		size_t total = sizeof(*h) + ALIGN(h->len, 8);
		int err;

		if (WARN_ON_ONCE(len < total))
			return -EINVAL;
		err = ckpt_write_rec(ctx, h->type, h + 1, h->len);
		if (err)
			return err;
		recs += total;
		len -= total;
	}
	return 0;
}

/**
 * ckpt_grow - double an array (at least 16 entries)
 * @p: the array (kvmalloc()ed, or NULL); replaced on success
 * @max: its entries; updated on success
 * @size: bytes per entry
 *
 * Return: 0, or -ENOMEM with *@p and *@max unchanged.
 */
int ckpt_grow(void **p, unsigned int *max, size_t size)
{
	unsigned int n = *max ? 2 * *max : 16;
	void *q = kvrealloc(*p, *max * size, n * size, GFP_KERNEL_ACCOUNT);

	if (!q)
		return -ENOMEM;
	*p = q;
	*max = n;
	return 0;
}

/**
 * ckpt_ctx_fini - release what a context holds
 * @ctx: the context
 */
void ckpt_ctx_fini(struct ckpt_ctx *ctx)
{
	ckpt_obj_release(ctx);
	kvfree(ctx->pipes);
	ctx->pipes = NULL;
	kvfree(ctx->data_inodes);
	ctx->data_inodes = NULL;
	kvfree(ctx->epoll_items);
	ctx->epoll_items = NULL;
	kvfree(ctx->buf);
	ctx->buf = NULL;
	if (ctx->file)
		fput(ctx->file);
	ctx->file = NULL;
}

static loff_t *ckpt_ppos(struct file *file)
{
	return (file->f_mode & FMODE_STREAM) ? NULL : &file->f_pos;
}

/* A write or read a signal interrupted: -EINTR, as the dump reports it. */
static ssize_t ckpt_restart_is_eintr(ssize_t n)
{
	if (n == -ERESTARTSYS || n == -ERESTARTNOINTR ||
	    n == -ERESTARTNOHAND || n == -ERESTART_RESTARTBLOCK)
		return -EINTR;
	return n;
}

/**
 * ckpt_flush - write out the records built so far
 * @ctx: the context
 *
 * Context: process context, may sleep; no locks held.
 * Return: 0, -EINTR if a signal interrupted the write, or the write's error.
 */
int ckpt_flush(struct ckpt_ctx *ctx)
{
	size_t done = 0;
	ssize_t n = 0;
	u64 t0;

	if (!ctx->file)		/* a memory context: records must fit */
		return ctx->len ? -ENOSPC : 0;
	t0 = ckpt_clock(ctx);
	while (done < ctx->len) {
		loff_t dummy = 0, *ppos = ckpt_ppos(ctx->file);

		n = ckpt_restart_is_eintr(kernel_write(ctx->file,
						       ctx->buf + done,
						       ctx->len - done,
						       ppos ?: &dummy));
		if (n <= 0)
			break;
		done += n;
	}
	ctx->times.io += ckpt_clock(ctx) - t0;
	if (n < 0)
		return n;
	if (done < ctx->len)
		return -EIO;
	ctx->len = 0;
	return 0;
}

/* The bvecs of @nr pages from byte @off of the first on, at most @max. */
static unsigned int ckpt_bvecs(struct bio_vec *bv, unsigned int max,
			       struct page **pages, unsigned int nr,
			       size_t off, size_t *bytes)
{
	unsigned int i;

	*bytes = 0;
	for (i = 0; i < nr && i < max; i++) {
		bv[i].bv_page = pages[i];
		bv[i].bv_offset = i ? 0 : off;
		bv[i].bv_len = PAGE_SIZE - bv[i].bv_offset;
		*bytes += bv[i].bv_len;
	}
	return i;
}

/*
 * Write @nr pages to the image file, from where they are: as a core dump
 * writes a process's pages (dump_emit_page()), through the file's
 * write_iter with the checks of a write (vfs_iter_write()).
 */
static int ckpt_write_pages(struct ckpt_ctx *ctx, struct page **pages,
			    unsigned int nr)
{
	struct bio_vec bv[16];
	struct iov_iter iter;
	unsigned int n;
	size_t bytes;
	ssize_t k;

	while (nr) {
		n = ckpt_bvecs(bv, ARRAY_SIZE(bv), pages, nr, 0, &bytes);
		iov_iter_bvec(&iter, ITER_SOURCE, bv, n, bytes);
		while (iov_iter_count(&iter)) {
			loff_t dummy = 0, *ppos = ckpt_ppos(ctx->file);

			file_start_write(ctx->file);
			k = vfs_iter_write(ctx->file, &iter, ppos ?: &dummy, 0);
			file_end_write(ctx->file);
			k = ckpt_restart_is_eintr(k);
			if (k < 0)
				return k;
			if (k == 0)
				return -EIO;
		}
		pages += n;
		nr -= n;
	}
	return 0;
}

static void ckpt_hash_reset(struct ckpt_pages_hash *x, u32 type)
{
	x->type = type;
	if (type == CKPT_PAGES_XXH32)
		xxh32_reset(&x->h32, 0);
	else
		xxh64_reset(&x->h64, 0);
}

static void ckpt_hash_pages(struct ckpt_pages_hash *x, struct page **pages,
			    unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		void *kaddr = kmap_local_page(pages[i]);

		if (x->type == CKPT_PAGES_XXH32)
			xxh32_update(&x->h32, kaddr, PAGE_SIZE);
		else
			xxh64_update(&x->h64, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
}

/* The hash of the page data since ckpt_pages_hash_begin(). */
u64 ckpt_pages_hash_end(const struct ckpt_pages_hash *x)
{
	if (x->type == CKPT_PAGES_XXH32)
		return xxh32_digest(&x->h32);
	return xxh64_digest(&x->h64);
}

/**
 * ckpt_rec_end_pages - finish a record whose payload ends with pages
 * @ctx: the context
 * @len: payload bytes the caller filled in, a multiple of 8
 * @pages: the pages whose bytes follow those, PAGE_SIZE each
 * @nr: how many
 * @hash: in the payload, set to the %CKPT_PAGES_HASH of the pages' bytes
 *
 * The record is that of ckpt_rec_end() with the pages' bytes after the
 * @len, but its CRC covers the header and those @len bytes only, @hash
 * the pages (a fraction of a CRC's cost, and of a copy's), and the pages
 * go from where they are straight to the image, after what the buffer
 * holds: one copy of each byte, not two.  The caller keeps its references
 * to the pages until this returns.
 *
 * Return: 0, -ENOSPC for a memory context, or a write error.
 */
int ckpt_rec_end_pages(struct ckpt_ctx *ctx, size_t len, struct page **pages,
		       unsigned int nr, u64 *hash)
{
	struct ckpt_rec_hdr *h = ctx->buf + ctx->rec;
	struct ckpt_pages_hash x;
	u64 t0;
	int err;

	if (!ctx->file)
		return -ENOSPC;
	t0 = ckpt_clock(ctx);
	ckpt_hash_reset(&x, CKPT_PAGES_HASH);
	ckpt_hash_pages(&x, pages, nr);
	*hash = ckpt_pages_hash_end(&x);
	ctx->times.hash += ckpt_clock(ctx) - t0;
	h->len = len + (size_t)nr * PAGE_SIZE;
	h->crc = 0;
	h->pad = 0;
	ctx->crc = crc32_le(ctx->crc, (void *)h, sizeof(*h) + len);
	h->crc = ~ctx->crc;
	ctx->len = ctx->rec + sizeof(*h) + len;
	ctx->pos += sizeof(*h) + h->len;
	err = ckpt_flush(ctx);
	if (err)
		return err;
	t0 = ckpt_clock(ctx);
	err = ckpt_write_pages(ctx, pages, nr);
	ctx->times.io += ckpt_clock(ctx) - t0;
	return err;
}

/**
 * ckpt_write_image_hdr - start an image with its header
 * @ctx: the context
 *
 * Return: 0 (the header only goes into the buffer).
 */
int ckpt_write_image_hdr(struct ckpt_ctx *ctx)
{
	struct ckpt_image_hdr *hdr = ctx->buf;

	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->magic, CKPT_MAGIC, CKPT_MAGIC_LEN);
	hdr->endian = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ? CKPT_ENDIAN_BIG :
							  CKPT_ENDIAN_LITTLE;
	hdr->word_size = sizeof(long);
	hdr->machine = ckpt_arch_machine;
	hdr->version = CKPT_IMAGE_VERSION;
	hdr->page_size = PAGE_SIZE;
	hdr->flags = ctx->flags;
	hdr->hdr_size = sizeof(*hdr);
	strscpy(hdr->release, utsname()->release, sizeof(hdr->release));
	ctx->crc = crc32_le(~0U, (void *)hdr, sizeof(*hdr));
	hdr->crc = ~ctx->crc;
	ctx->len = sizeof(*hdr);
	ctx->pos = sizeof(*hdr);
	return 0;
}

/**
 * ckpt_rec_begin - start a record in the buffer
 * @ctx: the context
 * @type: CKPT_REC_*
 * @max_len: the most payload bytes the record will have, <= CKPT_REC_MAX
 *
 * The caller fills the payload and calls ckpt_rec_end() with its length.
 *
 * Return: where the payload goes, or an ERR_PTR() from flushing.
 */
void *ckpt_rec_begin(struct ckpt_ctx *ctx, u32 type, size_t max_len)
{
	struct ckpt_rec_hdr *h;
	size_t room = sizeof(*h) + ALIGN(max_len, 8);

	if (max_len > CKPT_REC_MAX)
		return ERR_PTR(-EINVAL);
	if (ctx->len + room > ctx->size) {
		int err = ckpt_flush(ctx);

		if (err)
			return ERR_PTR(err);
	}
	ctx->rec = ctx->len;
	h = ctx->buf + ctx->rec;
	h->type = type;
	return h + 1;
}

/**
 * ckpt_rec_end - finish the record started by ckpt_rec_begin()
 * @ctx: the context
 * @len: payload bytes the caller filled in
 */
void ckpt_rec_end(struct ckpt_ctx *ctx, size_t len)
{
	struct ckpt_rec_hdr *h = ctx->buf + ctx->rec;
	size_t total = sizeof(*h) + ALIGN(len, 8);

	memset((void *)(h + 1) + len, 0, ALIGN(len, 8) - len);
	h->len = len;
	h->crc = 0;
	h->pad = 0;
	ctx->crc = crc32_le(ctx->crc, (void *)h, total);
	h->crc = ~ctx->crc;
	ctx->len = ctx->rec + total;
	ctx->pos += total;
}

/**
 * ckpt_write_rec - write a whole record
 * @ctx: the context
 * @type: CKPT_REC_*
 * @data: the payload
 * @len: its length
 *
 * Return: 0 or -errno.
 */
int ckpt_write_rec(struct ckpt_ctx *ctx, u32 type, const void *data, size_t len)
{
	void *p = ckpt_rec_begin(ctx, type, len);

	if (IS_ERR(p))
		return PTR_ERR(p);
	if (len)
		memcpy(p, data, len);
	ckpt_rec_end(ctx, len);
	return 0;
}

/*
 * Reading.  ctx->buf holds bytes read ahead from the image: ctx->off of its
 * ctx->len bytes are consumed.  Large reads go straight to their destination.
 */
static ssize_t ckpt_read_file(struct ckpt_ctx *ctx, void *dst, size_t len)
{
	loff_t dummy = 0, *ppos = ckpt_ppos(ctx->file);
	u64 t0 = ckpt_clock(ctx);
	ssize_t n;

	if (fatal_signal_pending(current))
		return -EINTR;
	n = ckpt_restart_is_eintr(kernel_read(ctx->file, dst, len,
					      ppos ?: &dummy));
	ctx->times.io += ckpt_clock(ctx) - t0;
	return n;
}

/*
 * A seekable image is read ahead freely (ckpt_read_done() sets the file
 * position after END); a pipe or socket never past the current record, so
 * that what follows the image stays there for the next reader.
 */
static int ckpt_read_raw(struct ckpt_ctx *ctx, void *dst, size_t len)
{
	size_t bound = ckpt_ppos(ctx->file) ? SIZE_MAX : max(len, ctx->left);

	while (len) {
		size_t have = ctx->len - ctx->off;
		ssize_t n;

		if (have) {
			n = min(have, len);
			memcpy(dst, ctx->buf + ctx->off, n);
			ctx->off += n;
		} else if (len >= CKPT_BUF_SIZE / 2) {
			n = ckpt_read_file(ctx, dst, len);
			if (n < 0)
				return n;
			if (n == 0)
				return -EBADMSG;	/* truncated */
		} else {
			n = ckpt_read_file(ctx, ctx->buf,
					   min_t(size_t, bound, CKPT_BUF_SIZE));
			if (n < 0)
				return n;
			if (n == 0)
				return -EBADMSG;	/* truncated */
			ctx->len = n;
			ctx->off = 0;
			continue;
		}
		ctx->pos += n;
		dst += n;
		len -= n;
		bound -= n;
	}
	return 0;
}

/**
 * ckpt_read_image_hdr - read and check the image header
 * @ctx: the context
 *
 * Return: 0; -ENOEXEC if this is not an image, or not one for this kernel
 * and machine; -EBADMSG if the header is damaged or cut short; -EINVAL for
 * unknown flags, or a snapshot's records read from anything but their
 * snapshot.
 */
int ckpt_read_image_hdr(struct ckpt_ctx *ctx)
{
	struct ckpt_image_hdr hdr;
	bool foreign;
	u32 crc;
	int err;

	err = ckpt_read_raw(ctx, &hdr, CKPT_MAGIC_LEN);
	if (err)
		return err;
	if (memcmp(hdr.magic, CKPT_MAGIC, CKPT_MAGIC_LEN))
		return -ENOEXEC;
	err = ckpt_read_raw(ctx, (void *)&hdr + CKPT_MAGIC_LEN,
			    sizeof(hdr) - CKPT_MAGIC_LEN);
	if (err)
		return err;
	/* An image of the other byte order has its CRC in that order. */
	foreign = hdr.endian == (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				 CKPT_ENDIAN_LITTLE : CKPT_ENDIAN_BIG);
	crc = foreign ? swab32(hdr.crc) : hdr.crc;
	hdr.crc = 0;
	ctx->crc = crc32_le(~0U, (void *)&hdr, sizeof(hdr));
	if (~ctx->crc != crc)
		return -EBADMSG;
	if (foreign || hdr.endian != (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				      CKPT_ENDIAN_BIG : CKPT_ENDIAN_LITTLE) ||
	    hdr.word_size != sizeof(long) ||
	    hdr.machine != ckpt_arch_machine ||
	    hdr.version != CKPT_IMAGE_VERSION ||
	    hdr.page_size != PAGE_SIZE || hdr.hdr_size != sizeof(hdr)) {
		pr_info_ratelimited("%s[%d]: image is for another machine or format (machine %u, version %u, page size %u)\n",
				    current->comm, task_pid_nr(current),
				    hdr.machine, hdr.version, hdr.page_size);
		return -ENOEXEC;
	}
	/* The dump's flags, for information; ctx->flags are the restore's. */
	if (hdr.flags & ~CKPT_DUMP_FLAGS)
		return -EINVAL;
	/*
	 * A snapshot's records leave its private pages in the copy it keeps:
	 * from a file, they would be restored as zeros.
	 */
	if (!(hdr.flags & CKPT_DUMP_SNAPSHOT) != !ctx->held_mm)
		return -EINVAL;
	/* BASE_PAGES records: only in a diff */
	ctx->diff = hdr.flags & CKPT_DUMP_DIFF;
	return 0;
}

/**
 * ckpt_read_rec_hdr - read the header of the next record
 * @ctx: the context
 * @h: filled with the header
 *
 * The header is only believed once the record's CRC has been checked by
 * ckpt_read_rec_end() or ckpt_rec_fail().
 *
 * Return: 0, -EBADMSG if the image ends here, or a read error.
 */
int ckpt_read_rec_hdr(struct ckpt_ctx *ctx, struct ckpt_rec_hdr *h)
{
	struct ckpt_rec_hdr zero;
	int err;

	err = ckpt_read_raw(ctx, h, sizeof(*h));
	if (err)
		return err;
	/* The CRC covers the header with its crc field zero. */
	zero = *h;
	zero.crc = 0;
	ctx->crc = crc32_le(ctx->crc, (void *)&zero, sizeof(zero));
	ctx->left = ALIGN((size_t)h->len, 8);
	return 0;
}

/*
 * Read @file at *@ppos (NULL: a stream's) into @pages, from byte @done of
 * them to their end, straight into them: vfs_iter_read(), with the checks
 * of a read.  0, -EBADMSG if the file ends first, -EINTR, or the error.
 */
static int ckpt_iter_read_pages(struct file *file, loff_t *ppos,
				struct page **pages, unsigned int nr,
				size_t done)
{
	size_t len = (size_t)nr * PAGE_SIZE, n;
	struct bio_vec bv[16];
	struct iov_iter iter;
	unsigned int i, cnt;
	loff_t dummy = 0;
	ssize_t k;

	while (done < len) {
		if (fatal_signal_pending(current))
			return -EINTR;
		i = done / PAGE_SIZE;
		cnt = ckpt_bvecs(bv, ARRAY_SIZE(bv), pages + i, nr - i,
				 done % PAGE_SIZE, &n);
		iov_iter_bvec(&iter, ITER_DEST, bv, cnt, n);
		k = ckpt_restart_is_eintr(vfs_iter_read(file, &iter,
							ppos ?: &dummy, 0));
		if (k < 0)
			return k;
		if (!k)
			return -EBADMSG;	/* truncated */
		done += k;
	}
	return 0;
}

/**
 * ckpt_read_pages - read payload bytes of the current record into pages
 * @ctx: the context
 * @pages: where to, PAGE_SIZE bytes each
 * @nr: how many
 *
 * As ckpt_read() of each page in turn, with its checks, but the bytes
 * go into the hash of the record's pages (ckpt_read_pages_begin()), not
 * the CRC, and those the buffer does not hold yet go from the image
 * straight into the pages (vfs_iter_read(), the checks of a read), not
 * through the buffer; no more is read than the pages take.
 *
 * Return: 0, -EINVAL if the record has fewer bytes left, -EBADMSG if the
 * image ends, or a read error.
 */
int ckpt_read_pages(struct ckpt_ctx *ctx, struct page **pages,
		    unsigned int nr)
{
	size_t len = (size_t)nr * PAGE_SIZE, done = 0, n;
	u64 t0, t1;
	int err;

	if (len > ctx->left)
		return -EINVAL;
	t0 = ckpt_clock(ctx);
	while (done < len && ctx->off < ctx->len) {
		void *kaddr = kmap_local_page(pages[done / PAGE_SIZE]);

		n = min3(ctx->len - ctx->off, len - done,
			 PAGE_SIZE - done % PAGE_SIZE);
		memcpy(kaddr + done % PAGE_SIZE, ctx->buf + ctx->off, n);
		kunmap_local(kaddr);
		ctx->off += n;
		done += n;
	}
	err = ckpt_iter_read_pages(ctx->file, ckpt_ppos(ctx->file), pages, nr,
				   done);
	t1 = ckpt_clock(ctx);
	ctx->times.io += t1 - t0;
	if (err)
		return err;
	ckpt_hash_pages(&ctx->pages_hash, pages, nr);
	ctx->times.hash += ckpt_clock(ctx) - t1;
	ctx->pos += len;
	ctx->left -= len;
	return 0;
}

/**
 * ckpt_read_pages_begin - start the hash of a PAGES record's pages
 * @ctx: the context
 * @hash_type: the record's (struct ckpt_pages), of whichever kernel wrote it
 *
 * The pages ckpt_read_pages() reads from now go into it.
 *
 * Return: 0, or -EINVAL for a type unknown.
 */
int ckpt_read_pages_begin(struct ckpt_ctx *ctx, u32 hash_type)
{
	return ckpt_pages_hash_begin(&ctx->pages_hash, hash_type);
}

/* Are the pages read since ckpt_read_pages_begin() those of @hash? */
bool ckpt_read_pages_end(struct ckpt_ctx *ctx, u64 hash)
{
	return ckpt_pages_hash_end(&ctx->pages_hash) == hash;
}

/**
 * ckpt_pages_hash_begin - start a hash of page data
 * @x: its state
 * @hash_type: %CKPT_PAGES_XXH64 or %CKPT_PAGES_XXH32, of some record
 *
 * Return: 0, or -EINVAL for a type unknown.
 */
int ckpt_pages_hash_begin(struct ckpt_pages_hash *x, u32 hash_type)
{
	if (hash_type != CKPT_PAGES_XXH64 && hash_type != CKPT_PAGES_XXH32)
		return -EINVAL;
	ckpt_hash_reset(x, hash_type);
	return 0;
}

/**
 * ckpt_read_base_pages - read pages of a base image's PAGES record
 * @ctx: the context, whose times count the reads and the hash
 * @file: the base image, open for reading
 * @pos: where the pages are in it; advanced past them
 * @pages: where to, PAGE_SIZE bytes each
 * @nr: how many
 * @x: the hash they go into, in order
 *
 * Through vfs_iter_read(), with the checks of a read, straight into the
 * pages.
 *
 * Return: 0, -EBADMSG if the file ends first, -EINTR, or a read error.
 */
int ckpt_read_base_pages(struct ckpt_ctx *ctx, struct file *file, loff_t *pos,
			 struct page **pages, unsigned int nr,
			 struct ckpt_pages_hash *x)
{
	u64 t0 = ckpt_clock(ctx), t1;
	int err = ckpt_iter_read_pages(file, pos, pages, nr, 0);

	t1 = ckpt_clock(ctx);
	ctx->times.io += t1 - t0;
	if (err)
		return err;
	ckpt_hash_pages(x, pages, nr);
	ctx->times.hash += ckpt_clock(ctx) - t1;
	return 0;
}

/**
 * ckpt_read - read payload bytes of the current record
 * @ctx: the context
 * @dst: where to
 * @len: how many
 *
 * Return: 0, -EINVAL if the record has fewer bytes left, -EBADMSG if the
 * image ends, or a read error.
 */
int ckpt_read(struct ckpt_ctx *ctx, void *dst, size_t len)
{
	int err;

	if (len > ctx->left)
		return -EINVAL;
	err = ckpt_read_raw(ctx, dst, len);
	if (err)
		return err;
	ctx->crc = crc32_le(ctx->crc, dst, len);
	ctx->left -= len;
	return 0;
}

static int ckpt_check_crc(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	return ~ctx->crc == h->crc ? 0 : -EBADMSG;
}

/**
 * ckpt_rec_fail - give up on the current record
 * @ctx: the context
 * @h: its header
 * @err: why
 *
 * Reads the rest of the record to check its CRC: a damaged record gives
 * -EBADMSG whatever made the caller give up, an intact one @err.  The
 * page bytes of a PAGES record are not in its CRC (its @hash covers them,
 * which a record given up on need not match).
 *
 * Return: -EBADMSG, a read error, or @err.
 */
int ckpt_rec_fail(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h, int err)
{
	const size_t fixed = sizeof(struct ckpt_pages);
	size_t total = ALIGN((size_t)h->len, 8), data_end = 0;
	u8 tmp[256];

	if (h->type == CKPT_REC_PAGES && h->len > fixed)
		data_end = h->len;
	while (ctx->left) {
		size_t at = total - ctx->left, n = min(ctx->left, sizeof(tmp));
		int ret;

		if (at >= fixed && at < data_end) {
			n = min(n, data_end - at);
			ret = ckpt_read_raw(ctx, tmp, n);
			if (!ret)
				ctx->left -= n;
		} else {
			if (at < fixed && data_end)
				n = min(n, fixed - at);
			ret = ckpt_read(ctx, tmp, n);
		}
		if (ret)
			return ret;
	}
	return ckpt_check_crc(ctx, h) ?: err;
}

/**
 * ckpt_read_rec_end - finish a record: its padding and its CRC
 * @ctx: the context
 * @h: its header
 *
 * Return: 0; -EBADMSG if the record is damaged; -EINVAL if payload is left
 * over or the padding is not zero in an intact record.
 */
int ckpt_read_rec_end(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	size_t pad = ALIGN(h->len, 8) - h->len;
	u8 tmp[8];
	int err;

	if (ctx->left != pad)
		return ckpt_rec_fail(ctx, h, -EINVAL);
	err = ckpt_read(ctx, tmp, pad);
	if (err)
		return err;
	err = ckpt_check_crc(ctx, h);
	if (err)
		return err;
	if (h->pad || memchr_inv(tmp, 0, pad))
		return -EINVAL;
	return 0;
}

/**
 * ckpt_read_payload - read a whole record's payload and check it
 * @ctx: the context
 * @h: its header
 * @min: the least payload the record type may have
 * @max: the most
 *
 * Return: the payload (kvfree() it), or an ERR_PTR(): -EBADMSG if the
 * record is damaged, -EINVAL if its length is out of range.
 */
void *ckpt_read_payload(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h,
			size_t min, size_t max)
{
	void *p;
	int err;

	if (h->len < min || h->len > max)
		return ERR_PTR(ckpt_rec_fail(ctx, h, -EINVAL));
	p = kvmalloc(max(h->len, 1U), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	err = ckpt_read(ctx, p, h->len) ?: ckpt_read_rec_end(ctx, h);
	if (err) {
		kvfree(p);
		return ERR_PTR(err);
	}
	return p;
}

/**
 * ckpt_read_done - the image has been read up to its END record
 * @ctx: the context
 *
 * A seekable image is left positioned just after its END record, so that a
 * stream of several images in one file can be read one after the other.
 */
void ckpt_read_done(struct ckpt_ctx *ctx)
{
	if (!(ctx->file->f_mode & FMODE_STREAM))
		ctx->file->f_pos = ctx->start + ctx->pos;
}
