/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the ckpt selftests: syscall wrappers, CRC-32 (zlib), image
 * access in either byte order, reseal, record editing, fork/wait helpers.
 *
 * Self-contained (no dependency on the userspace/ library) so that each
 * test builds with a plain
 *   $CC -static -O2 -isystem <headers> -I <kernel>/tools/testing/selftests x.c
 */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <asm/unistd.h>
#include <linux/capability.h>
#include <linux/ckpt.h>

#ifndef __NR_ckpt_dump
#define __NR_ckpt_dump		451
#endif
#ifndef __NR_ckpt_restore
#define __NR_ckpt_restore	452
#endif
#ifndef __NR_memfd_create
#error "need __NR_memfd_create"
#endif

#define CK_EM_68K	4
#define CK_EM_X86_64	62
#define CK_EM_AARCH64	183

#if defined(__x86_64__)
#define CK_HOST_MACHINE	CK_EM_X86_64
#elif defined(__aarch64__)
#define CK_HOST_MACHINE	CK_EM_AARCH64
#elif defined(__m68k__)
#define CK_HOST_MACHINE	CK_EM_68K
#else
#error "ckpt selftests support x86_64, arm64 and m68k"
#endif

/* Exit codes of the processes the tests fork. */
#define CK_EXIT_OK		0	/* restored process: all values equal */
#define CK_EXIT_MISMATCH	1	/* restored process: some value differs */
#define CK_EXIT_SETUP		3	/* a child could not set itself up */
#define CK_EXIT_DUMP_FAILED	4	/* ckpt_dump() failed in P */
#define CK_EXIT_BAD_RETURN	5	/* ckpt_dump() returned neither 0 nor 1 */
#define CK_EXIT_NO_RESTORE	6	/* ckpt_restore() returned (failed) in R */
#define CK_EXIT_RESTORED	42	/* the sample image was restored */
#define CK_EXIT_RESTORE_RETURNED_0 200	/* ckpt_restore() returned 0 (!) */

/* ------------------------------------------------------------------ */
/* System calls */

#ifndef CK_HAVE_CKPT_WRAPPERS	/* (defined when used with libckpt) */
static inline long ckpt_dump(pid_t pid, int fd, unsigned int flags,
			     const struct ckpt_dump_args *args, size_t size)
{
	return syscall(__NR_ckpt_dump, (long)pid, (long)fd, (long)flags,
		       args, size);
}

static inline long ckpt_restore(pid_t pid, int fd, unsigned int flags)
{
	return syscall(__NR_ckpt_restore, (long)pid, (long)fd, (long)flags);
}
#endif

static inline int ck_memfd(const char *name)
{
	return (int)syscall(__NR_memfd_create, name, 0);
}

/* ------------------------------------------------------------------ */
/* CRC-32, zlib conventions: crc = ck_crc32(crc, buf, len), start 0 */

static inline uint32_t ck_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const unsigned char *p = buf;

	if (!ready) {
		uint32_t c;
		int n, k;

		for (n = 0; n < 256; n++) {
			c = (uint32_t)n;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[n] = c;
		}
		ready = 1;
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* XXH64, seed 0: the hash of a PAGES record's page bytes (linux/ckpt.h). */
static inline uint64_t ck_xxh64_lane(uint64_t acc, const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	acc += v * 0xC2B2AE3D27D4EB4Full;
	acc = acc << 31 | acc >> 33;
	return acc * 0x9E3779B185EBCA87ull;
}

static inline uint64_t ck_rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline uint64_t ck_xxh64(const void *buf, size_t len)
{
	const uint64_t p1 = 0x9E3779B185EBCA87ull, p2 = 0xC2B2AE3D27D4EB4Full,
		       p3 = 0x165667B19E3779F9ull, p4 = 0x85EBCA77C2B2AE63ull,
		       p5 = 0x27D4EB2F165667C5ull;
	uint64_t v[4] = { p1 + p2, p2, 0, -p1 }, h = p5;
	const unsigned char *p = buf, *end = p + len;
	unsigned char b[8];
	int i, k;

	for (; p + 32 <= end; p += 32)
		for (i = 0; i < 4; i++)
			v[i] = ck_xxh64_lane(v[i], p + 8 * i);
	if (len >= 32) {
		h = ck_rotl64(v[0], 1) + ck_rotl64(v[1], 7) +
		    ck_rotl64(v[2], 12) + ck_rotl64(v[3], 18);
		for (i = 0; i < 4; i++) {
			for (k = 0; k < 8; k++)
				b[k] = (unsigned char)(v[i] >> (8 * k));
			h = (h ^ ck_xxh64_lane(0, b)) * p1 + p4;
		}
	}
	h += len;
	for (; p + 8 <= end; p += 8)
		h = ck_rotl64(h ^ ck_xxh64_lane(0, p), 27) * p1 + p4;
	if (p + 4 <= end) {
		uint64_t w = (uint64_t)p[0] | (uint64_t)p[1] << 8 |
			     (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;

		h = ck_rotl64(h ^ w * p1, 23) * p2 + p3;
		p += 4;
	}
	for (; p < end; p++)
		h = ck_rotl64(h ^ *p * p5, 11) * p1;
	h ^= h >> 33;
	h *= p2;
	h ^= h >> 29;
	h *= p3;
	h ^= h >> 32;
	return h;
}

/* XXH32, seed 0: the hash a 32-bit kernel gives page bytes (linux/ckpt.h). */
static inline uint32_t ck_rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static inline uint32_t ck_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint32_t ck_xxh32(const void *buf, size_t len)
{
	const uint32_t p1 = 0x9E3779B1u, p2 = 0x85EBCA77u, p3 = 0xC2B2AE3Du,
		       p4 = 0x27D4EB2Fu, p5 = 0x165667B1u;
	uint32_t v[4] = { p1 + p2, p2, 0, -p1 }, h = p5;
	const unsigned char *p = buf, *end = p + len;
	int i;

	for (; p + 16 <= end; p += 16)
		for (i = 0; i < 4; i++)
			v[i] = ck_rotl32(v[i] + ck_le32(p + 4 * i) * p2, 13) * p1;
	if (len >= 16)
		h = ck_rotl32(v[0], 1) + ck_rotl32(v[1], 7) +
		    ck_rotl32(v[2], 12) + ck_rotl32(v[3], 18);
	h += (uint32_t)len;
	for (; p + 4 <= end; p += 4)
		h = ck_rotl32(h + ck_le32(p) * p3, 17) * p4;
	for (; p < end; p++)
		h = ck_rotl32(h + *p * p5, 11) * p1;
	h ^= h >> 15;
	h *= p2;
	h ^= h >> 13;
	h *= p3;
	h ^= h >> 16;
	return h;
}

/* A PAGES record's hash of its page bytes, as its @hash_type says. */
static inline uint64_t ck_pages_hash(uint32_t type, const void *buf, size_t len)
{
	return type == CKPT_PAGES_XXH32 ? ck_xxh32(buf, len) : ck_xxh64(buf, len);
}

/* Of a record's payload, the bytes its CRC covers (PAGES: to its hash). */
static inline size_t ck_crc_len(uint32_t type, uint32_t rlen)
{
	if (type == CKPT_REC_PAGES && rlen > sizeof(struct ckpt_pages))
		return sizeof(struct ckpt_pages);
	return rlen;
}

/* ------------------------------------------------------------------ */
/* Byte order of image fields */

static inline int ck_host_endian(void)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return CKPT_ENDIAN_BIG;
#else
	return CKPT_ENDIAN_LITTLE;
#endif
}

static inline uint32_t ck_get32(const void *p, int endian)
{
	const unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		       (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[1] << 8 | b[0];
}

static inline uint16_t ck_get16(const void *p, int endian)
{
	const unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG)
		return (uint16_t)(b[0] << 8 | b[1]);
	return (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint64_t ck_get64(const void *p, int endian)
{
	const unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG)
		return (uint64_t)ck_get32(b, endian) << 32 | ck_get32(b + 4, endian);
	return (uint64_t)ck_get32(b + 4, endian) << 32 | ck_get32(b, endian);
}

static inline void ck_put32(void *p, int endian, uint32_t v)
{
	unsigned char *b = p;
	int i;

	for (i = 0; i < 4; i++) {
		if (endian == CKPT_ENDIAN_BIG)
			b[3 - i] = (unsigned char)(v >> (8 * i));
		else
			b[i] = (unsigned char)(v >> (8 * i));
	}
}

static inline void ck_put16(void *p, int endian, uint16_t v)
{
	unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG) {
		b[0] = (unsigned char)(v >> 8);
		b[1] = (unsigned char)v;
	} else {
		b[1] = (unsigned char)(v >> 8);
		b[0] = (unsigned char)v;
	}
}

static inline void ck_put64(void *p, int endian, uint64_t v)
{
	unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG) {
		ck_put32(b, endian, (uint32_t)(v >> 32));
		ck_put32(b + 4, endian, (uint32_t)v);
	} else {
		ck_put32(b, endian, (uint32_t)v);
		ck_put32(b + 4, endian, (uint32_t)(v >> 32));
	}
}

/* ------------------------------------------------------------------ */
/* Images in memory */

#define CK_HDR_SIZE	((size_t)sizeof(struct ckpt_image_hdr))
#define CK_RHDR_SIZE	((size_t)sizeof(struct ckpt_rec_hdr))
#define CK_PAD8(n)	(((n) + 7) & ~(size_t)7)

/* Field offsets inside payloads */
#define CK_OFF(type, field)	offsetof(struct type, field)

struct ck_img {
	unsigned char *buf;
	size_t len;
	size_t cap;
};

static inline int ck_img_endian(const struct ck_img *im)
{
	int e = im->buf[offsetof(struct ckpt_image_hdr, endian)];

	return (e == CKPT_ENDIAN_LITTLE || e == CKPT_ENDIAN_BIG) ?
		e : ck_host_endian();
}

static inline uint32_t ck_img_page_size(const struct ck_img *im)
{
	return ck_get32(im->buf + offsetof(struct ckpt_image_hdr, page_size),
			ck_img_endian(im));
}

/*
 * Recompute the header CRC and every record CRC (in the image's byte order
 * as named by its endian byte).  Stops at a record running past the end.
 * Returns the number of records resealed, -1 if no complete header.
 */
static inline int ck_reseal(void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t crcoff = offsetof(struct ckpt_image_hdr, crc), off;
	int endian, count = 0;
	uint32_t crc;

	if (len < CK_HDR_SIZE)
		return -1;
	endian = b[offsetof(struct ckpt_image_hdr, endian)];
	if (endian != CKPT_ENDIAN_LITTLE && endian != CKPT_ENDIAN_BIG)
		endian = ck_host_endian();
	memset(b + crcoff, 0, 4);
	crc = ck_crc32(0, b, CK_HDR_SIZE);
	ck_put32(b + crcoff, endian, crc);
	off = CK_HDR_SIZE;
	while (len - off >= CK_RHDR_SIZE) {
		uint32_t rlen = ck_get32(b + off + 4, endian);
		uint64_t need = CK_PAD8((uint64_t)rlen);
		unsigned char rh[sizeof(struct ckpt_rec_hdr)];

		if (need > len - off - CK_RHDR_SIZE)
			break;
		unsigned char *data = b + off + CK_RHDR_SIZE;
		uint32_t type = ck_get32(b + off, endian);
		size_t fixed = ck_crc_len(type, rlen);

		memcpy(rh, b + off, sizeof(rh));
		memset(rh + 8, 0, 4);
		if (fixed < rlen)
			ck_put64(data + offsetof(struct ckpt_pages, hash), endian,
				 ck_pages_hash(ck_get32(data +
					offsetof(struct ckpt_pages, hash_type),
					endian), data + fixed, rlen - fixed));
		crc = ck_crc32(crc, rh, sizeof(rh));
		crc = ck_crc32(crc, data, fixed);
		crc = ck_crc32(crc, data + rlen, (size_t)need - rlen);
		ck_put32(b + off + 8, endian, crc);
		off += CK_RHDR_SIZE + (size_t)need;
		count++;
	}
	return count;
}

static inline int ck_img_reseal(struct ck_img *im)
{
	return ck_reseal(im->buf, im->len);
}

/*
 * Verify an image the way the header comment of linux/ckpt.h describes:
 * returns 0 if magic, header CRC, the whole record chain and the hashes of
 * the page bytes are right and the image ends right after its END record,
 * else -ENOEXEC/-EBADMSG.
 */
static inline int ck_img_verify(const struct ck_img *im)
{
	unsigned char h[sizeof(struct ckpt_image_hdr)];
	size_t off = CK_HDR_SIZE;
	int endian;
	uint32_t crc;

	if (im->len < CKPT_MAGIC_LEN || memcmp(im->buf, CKPT_MAGIC, CKPT_MAGIC_LEN))
		return -ENOEXEC;
	if (im->len < CK_HDR_SIZE)
		return -EBADMSG;
	endian = ck_img_endian(im);
	memcpy(h, im->buf, sizeof(h));
	memset(h + offsetof(struct ckpt_image_hdr, crc), 0, 4);
	crc = ck_crc32(0, h, sizeof(h));
	if (crc != ck_get32(im->buf + offsetof(struct ckpt_image_hdr, crc), endian))
		return -EBADMSG;
	while (im->len - off >= CK_RHDR_SIZE) {
		unsigned char rh[sizeof(struct ckpt_rec_hdr)];
		uint32_t type = ck_get32(im->buf + off, endian);
		uint32_t rlen = ck_get32(im->buf + off + 4, endian);
		uint64_t need = CK_PAD8((uint64_t)rlen);

		if (need > im->len - off - CK_RHDR_SIZE)
			return -EBADMSG;
		const unsigned char *data = im->buf + off + CK_RHDR_SIZE;
		size_t fixed = ck_crc_len(type, rlen);

		memcpy(rh, im->buf + off, sizeof(rh));
		memset(rh + 8, 0, 4);
		crc = ck_crc32(crc, rh, sizeof(rh));
		crc = ck_crc32(crc, data, fixed);
		crc = ck_crc32(crc, data + rlen, (size_t)need - rlen);
		if (crc != ck_get32(im->buf + off + 8, endian))
			return -EBADMSG;
		if (fixed < rlen &&
		    ck_get64(data + offsetof(struct ckpt_pages, hash), endian) !=
		    ck_pages_hash(ck_get32(data +
				  offsetof(struct ckpt_pages, hash_type), endian),
				  data + fixed, rlen - fixed))
			return -EBADMSG;
		off += CK_RHDR_SIZE + (size_t)need;
		if (type == CKPT_REC_END)
			return off == im->len ? 0 : -EBADMSG;
	}
	return -EBADMSG;
}

/* A record of an image in memory, located by ck_img_next(). */
struct ck_rec {
	size_t off;		/* of the record header */
	size_t size;		/* header + payload + padding */
	uint32_t type;
	uint32_t len;
	unsigned char *p;	/* payload */
};

/*
 * Walk records: start with rec->off = 0, rec->size = 0.  Returns 1 and
 * fills *rec, 0 past the last complete record.
 */
static inline int ck_img_next(const struct ck_img *im, struct ck_rec *rec)
{
	int endian = ck_img_endian(im);
	size_t off = rec->size ? rec->off + rec->size : CK_HDR_SIZE;
	uint64_t need;

	if (off > im->len || im->len - off < CK_RHDR_SIZE)
		return 0;
	rec->off = off;
	rec->type = ck_get32(im->buf + off, endian);
	rec->len = ck_get32(im->buf + off + 4, endian);
	need = CK_PAD8((uint64_t)rec->len);
	if (need > im->len - off - CK_RHDR_SIZE)
		return 0;
	rec->size = CK_RHDR_SIZE + (size_t)need;
	rec->p = im->buf + off + CK_RHDR_SIZE;
	return 1;
}

/* The nth (0-based) record of a type; returns 1 if found. */
static inline int ck_img_find(const struct ck_img *im, uint32_t type, int nth,
			      struct ck_rec *rec)
{
	struct ck_rec r = { 0 };

	while (ck_img_next(im, &r)) {
		if (r.type == type && nth-- == 0) {
			*rec = r;
			return 1;
		}
	}
	return 0;
}

static inline int ck_img_reserve(struct ck_img *im, size_t len)
{
	unsigned char *nb;

	if (len <= im->cap)
		return 0;
	nb = realloc(im->buf, len);
	if (!nb)
		return -1;
	im->buf = nb;
	im->cap = len;
	return 0;
}

/* Insert n bytes at off (moving the rest up). */
static inline int ck_img_insert(struct ck_img *im, size_t off,
				const void *bytes, size_t n)
{
	if (off > im->len || ck_img_reserve(im, im->len + n))
		return -1;
	memmove(im->buf + off + n, im->buf + off, im->len - off);
	memcpy(im->buf + off, bytes, n);
	im->len += n;
	return 0;
}

static inline void ck_img_remove(struct ck_img *im, size_t off, size_t n)
{
	if (off >= im->len)
		return;
	if (n > im->len - off)
		n = im->len - off;
	memmove(im->buf + off, im->buf + off + n, im->len - off - n);
	im->len -= n;
}

/*
 * Build a record (header with crc 0, payload, zero padding) in the image's
 * byte order into out (size CK_RHDR_SIZE + CK_PAD8(len)); returns its size.
 */
static inline size_t ck_make_rec(const struct ck_img *im, uint32_t type,
				 const void *payload, uint32_t len,
				 unsigned char *out)
{
	int endian = ck_img_endian(im);

	memset(out, 0, CK_RHDR_SIZE + CK_PAD8((size_t)len));
	ck_put32(out, endian, type);
	ck_put32(out + 4, endian, len);
	if (len)
		memcpy(out + CK_RHDR_SIZE, payload, len);
	return CK_RHDR_SIZE + CK_PAD8((size_t)len);
}

/* A VMA payload in the image's byte order. */
static inline void ck_make_vma(const struct ck_img *im, unsigned char *p,
			       uint64_t start, uint64_t end, uint64_t pgoff,
			       uint32_t prot, uint32_t flags, uint32_t type,
			       uint32_t file)
{
	int e = ck_img_endian(im);

	memset(p, 0, sizeof(struct ckpt_vma));
	ck_put64(p + CK_OFF(ckpt_vma, start), e, start);
	ck_put64(p + CK_OFF(ckpt_vma, end), e, end);
	ck_put64(p + CK_OFF(ckpt_vma, pgoff), e, pgoff);
	ck_put32(p + CK_OFF(ckpt_vma, prot), e, prot);
	ck_put32(p + CK_OFF(ckpt_vma, flags), e, flags);
	ck_put32(p + CK_OFF(ckpt_vma, type), e, type);
	ck_put32(p + CK_OFF(ckpt_vma, file), e, file);
}

#define CK_VMA_GET64(im, rec, field) \
	ck_get64((rec)->p + CK_OFF(ckpt_vma, field), ck_img_endian(im))
#define CK_VMA_GET32(im, rec, field) \
	ck_get32((rec)->p + CK_OFF(ckpt_vma, field), ck_img_endian(im))

/*
 * Insert a record so that VMAs stay sorted by start address: before the
 * first VMA record starting above 'start', else after the last VMA's
 * PAGES.  Returns the offset where it went, or (size_t)-1.
 */
static inline size_t ck_img_insert_sorted(struct ck_img *im, uint64_t start,
					  const void *rec, size_t n)
{
	struct ck_rec r = { 0 };
	size_t where = (size_t)-1, after_last = (size_t)-1;
	int in_vma = 0;

	while (ck_img_next(im, &r)) {
		if (r.type == CKPT_REC_VMA) {
			if (CK_VMA_GET64(im, &r, start) > start) {
				where = r.off;
				break;
			}
			in_vma = 1;
			after_last = r.off + r.size;
		} else if (r.type == CKPT_REC_PAGES && in_vma) {
			after_last = r.off + r.size;
		} else {
			in_vma = 0;
		}
	}
	if (where == (size_t)-1)
		where = after_last;
	if (where == (size_t)-1 || ck_img_insert(im, where, rec, n))
		return (size_t)-1;
	return where;
}

/* The widest gap between VMAs of the image: a free place for a new one. */
static inline int ck_free_gap(const struct ck_img *im, uint64_t *start, uint64_t len)
{
	struct ck_rec r = { 0 };
	uint64_t prev_end = 0, best = 0, best_start = 0;
	uint64_t limit = sizeof(long) == 8 ? (1ull << 46) : 0xc0000000ull;
	uint32_t page = ck_img_page_size(im);

	while (ck_img_next(im, &r)) {
		uint64_t s;

		if (r.type != CKPT_REC_VMA)
			continue;
		s = CK_VMA_GET64(im, &r, start);
		if (prev_end && s > prev_end && s - prev_end > best &&
		    s <= limit) {
			best = s - prev_end;
			best_start = prev_end;
		}
		prev_end = CK_VMA_GET64(im, &r, end);
	}
	if (best < len + 4ull * page)
		return -1;
	*start = (best_start + best / 2) & ~(uint64_t)(page - 1);
	return 0;
}

/*
 * Insert a read-write VMA record (sorted by start) with the given flags
 * and reseal; returns 0 if done.
 */
static inline int ck_add_vma(struct ck_img *c, uint64_t start, uint64_t end,
			     uint32_t type, uint32_t flags, uint32_t file)
{
	unsigned char payload[sizeof(struct ckpt_vma)];
	unsigned char rec[CK_RHDR_SIZE + sizeof(struct ckpt_vma)];
	size_t n;

	ck_make_vma(c, payload, start, end, 0, PROT_READ | PROT_WRITE, flags,
		    type, file);
	n = ck_make_rec(c, CKPT_REC_VMA, payload, sizeof(payload), rec);
	if (ck_img_insert_sorted(c, start, rec, n) == (size_t)-1)
		return -1;
	ck_img_reseal(c);
	return 0;
}

/* A "Key:" value of /proc/meminfo, in kB, or -1. */
static inline long ck_meminfo_kb(const char *key)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open("/proc/meminfo", O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ------------------------------------------------------------------ */
/* Files and processes */

/* Read all of fd from its current offset (pipe) or from 0 (pread). */
static inline int ck_slurp(int fd, int from_start, struct ck_img *im)
{
	off_t pos = 0;

	memset(im, 0, sizeof(*im));
	for (;;) {
		ssize_t n;

		if (ck_img_reserve(im, im->len + 65536 + 1))
			return -1;
		if (from_start)
			n = pread(fd, im->buf + im->len, 65536, pos);
		else
			n = read(fd, im->buf + im->len, 65536);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		im->len += (size_t)n;
		pos += n;
	}
}

static inline int ck_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A memfd holding buf, offset 0. */
static inline int ck_memfd_from(const void *buf, size_t len)
{
	int fd = ck_memfd("ckpt-img");

	if (fd < 0)
		return -1;
	if (ck_write_all(fd, buf, len) || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read /proc/PID/NAME into buf (NUL-terminated, at most size - 1 bytes).
 * Returns the bytes read, or -1.
 */
static inline ssize_t ck_read_proc(pid_t pid, const char *name, char *buf,
				   size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* In a freshly forked child: die with the parent. */
static inline void ck_child_init(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(CK_EXIT_SETUP);
}

/* Move fd to the number 'want' (closing what was there). */
static inline int ck_move_fd(int fd, int want)
{
	if (fd == want)
		return fd;
	if (dup2(fd, want) != want)
		return -1;
	close(fd);
	return want;
}

/*
 * waitpid() and describe: returns the exit code, or 1000 + signal number
 * if killed, or -1 on error.
 */
static inline int ck_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return -1;
}

#ifndef __NR_close_range
#define __NR_close_range	436
#endif

/*
 * In a child about to be checkpointed: close every descriptor the test
 * left it but stdin, stdout, stderr and the nkeep in keep[] (increasing;
 * the image's, its pipes).  Every descriptor is in the image, so a stray
 * one inherited from the test would be too.
 */
static inline void ck_only_fds_of(const int *keep, int nkeep)
{
	unsigned int from = 3;
	int i;

	for (i = 0; i < nkeep; i++) {
		if (keep[i] < (int)from)
			continue;
		if (keep[i] > (int)from)
			syscall(__NR_close_range, from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	syscall(__NR_close_range, from, ~0U, 0);
}

/* The same for one descriptor to keep (-1: none). */
static inline void ck_only_fds(int keep)
{
	ck_only_fds_of(&keep, 1);
}

/*
 * Fork a child that closes what the test left it, runs setup() (nonzero:
 * it exits CK_EXIT_SETUP), says it is ready and pauses.  Returns its pid
 * once it is ready and has closed the pipe it said so on (its descriptors
 * are setup()'s alone, as a rollback expects them), or -1.
 */
static inline pid_t ck_spawn_paused(int (*setup)(void))
{
	pid_t parent = getpid(), pid;
	int ready[2];
	char c;

	if (pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		ck_only_fds(ready[1]);
		if (setup() || write(ready[1], "r", 1) != 1)
			_exit(CK_EXIT_SETUP);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid > 0 && (read(ready[0], &c, 1) != 1 ||
			read(ready[0], &c, 1) != 0)) {
		kill(pid, SIGKILL);
		ck_wait(pid);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* In a child of ck_spawn_run(): its pid before any restore gave it another. */
static pid_t ck_original;

/*
 * Fork a child: it runs setup() (nonzero: exit CK_EXIT_SETUP), keeps the
 * @nkeep descriptors of @keep, says it is ready and runs run(), which must
 * not return.  Returns its pid once it is ready, or -1.
 */
static inline pid_t ck_spawn_run(int (*setup)(void), const int *keep,
				 int nkeep, void (*run)(void))
{
	pid_t parent = getpid(), pid;
	int ready[2];
	char c;

	if (pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		close(ready[0]);
		ck_original = getpid();
		if (setup())
			_exit(CK_EXIT_SETUP);
		if (write(ready[1], "k", 1) != 1)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, nkeep);	/* the ready pipe too */
		run();
		_exit(CK_EXIT_SETUP);
	}
	close(ready[1]);
	/* ready, and it closed the pipe: nothing but @keep is open */
	if (pid > 0 && (read(ready[0], &c, 1) != 1 ||
			read(ready[0], &c, 1) != 0)) {
		ck_wait(pid);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* The kernel log from its end on, for ck_kmsg_says(); -1 if unreadable. */
static inline int ck_kmsg_open(void)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	return kmsg;
}

/* Has the kernel log, read from kmsg on, a line with needle? */
static inline int ck_kmsg_says(int kmsg, const char *needle)
{
	char rec[1024];
	int found = 0;
	ssize_t n;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;	/* overwritten: go on */
		rec[n] = 0;
		if (strstr(rec, needle))
			found = 1;
	}
	return found;
}

/* The loopback interface up, as at boot on most systems: 0 or -1. */
static inline int ck_loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (s < 0)
		return -1;
	err = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err ?: ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return err;
}

/*
 * In a child: dump itself into fd.  The dumping run exits 0 (or
 * CK_EXIT_DUMP_FAILED); only the restored run returns.
 */
static inline void ck_dump_self_or_exit(int fd)
{
	long ret = ckpt_dump(0, fd, 0, NULL, 0);

	if (ret == 0)
		_exit(0);
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
}

/*
 * In a child: ckpt_restore(0, fd, flags), which must fail; check that the
 * caller survived untouched (memory, pid, fd, allocator) and exit with the
 * errno (CK_EXIT_CALLER_HURT if the caller was damaged).
 */
#define CK_EXIT_CALLER_HURT	250
static inline void __attribute__((noreturn))
ck_restore_and_exit(int fd, unsigned int flags)
{
	static volatile uint64_t canary[64];
	volatile uint64_t stack_canary = 0x5743C4A9ull;
	pid_t me = getpid();
	void *p;
	long ret;
	int i, err;

	for (i = 0; i < 64; i++)
		canary[i] = 0xCA11E40000000000ull + (uint64_t)i;
	ret = ckpt_restore(0, fd, flags);
	err = errno;
	if (ret != -1)
		_exit(CK_EXIT_RESTORE_RETURNED_0);
	for (i = 0; i < 64; i++)
		if (canary[i] != 0xCA11E40000000000ull + (uint64_t)i)
			_exit(CK_EXIT_CALLER_HURT);
	p = malloc(100000);
	if (!p || stack_canary != 0x5743C4A9ull || getpid() != me ||
	    fcntl(fd, F_GETFD) < 0)
		_exit(CK_EXIT_CALLER_HURT);
	free(p);
	_exit(err & 0xff);
}

/*
 * Fork a child that calls ckpt_restore(0, fd, flags) on a memfd holding
 * the given bytes.  Returns what ck_wait() gives: the errno of a failed
 * restore as exit code (the caller survived), or the exit code of the
 * restored process if the restore succeeded.
 */
static inline int ck_try_restore_flags(const void *buf, size_t len,
				       unsigned int flags)
{
	pid_t parent = getpid(), pid;
	int i, status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		ck_child_init(parent);
		fd = ck_memfd_from(buf, len);
		if (fd < 0)
			_exit(CK_EXIT_SETUP);
		ck_restore_and_exit(fd, flags);
	}
	/*
	 * A restored program that loops (a damaged image) is killed after a
	 * minute: the restore replaces its timers and limits, so only the
	 * parent can bound it.
	 */
	for (i = 0; i < 6000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return ck_wait(pid);
}

static inline int ck_try_restore(const void *buf, size_t len)
{
	return ck_try_restore_flags(buf, len, 0);
}

/*
 * Restore a copy of im whose field at byte at (of bytes 1, 4 or 8) is set
 * to v, resealed: what ck_try_restore() says, or -1.
 */
static inline int ck_try_patched(const struct ck_img *im, size_t at,
				 uint64_t v, int bytes)
{
	struct ck_img c = *im;
	int st;

	c.buf = malloc(im->len);
	if (!c.buf)
		return -1;
	memcpy(c.buf, im->buf, im->len);
	if (bytes == 8)
		ck_put64(c.buf + at, ck_img_endian(&c), v);
	else if (bytes == 1)
		c.buf[at] = (uint8_t)v;
	else
		ck_put32(c.buf + at, ck_img_endian(&c), (uint32_t)v);
	ck_img_reseal(&c);
	st = ck_try_restore(c.buf, c.len);
	free(c.buf);
	return st;
}

/*
 * Fork a child linked to the test by two pipes.  In the child (which gets
 * 0, after ck_child_init()) *cmd is the end it reads commands from and
 * *rep the end it reports to; in the test (which gets the pid) *cmd is
 * the end to write commands to and *rep the end to read reports from.
 * Returns -1 if a pipe or the fork fails.
 */
static inline pid_t ck_fork_piped(int *cmd, int *rep)
{
	pid_t parent = getpid(), pid;
	int c[2], r[2];

	*cmd = *rep = -1;
	if (pipe(c))
		return -1;
	if (pipe(r)) {
		close(c[0]);
		close(c[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		close(c[1]);
		close(r[0]);
		*cmd = c[0];
		*rep = r[1];
		return 0;
	}
	close(c[0]);
	close(r[1]);
	if (pid < 0) {
		close(c[1]);
		close(r[0]);
		return -1;
	}
	*cmd = c[1];
	*rep = r[0];
	return pid;
}

/* Where a commanded child (ck_spawn_commanded()) reads and reports. */
#define CK_CMD_FD	100
#define CK_REP_FD	101

/*
 * Fork a child commanded through two pipes: it reads its commands at
 * CK_CMD_FD and reports at CK_REP_FD, runs setup() (NULL: none; nonzero:
 * it exits CK_EXIT_SETUP), keeps only stdin, stdout, stderr, the nkeep
 * descriptors keep[] (increasing, below CK_CMD_FD) and those two, says it
 * is ready with one byte 'k' on CK_REP_FD and runs run(), which does not
 * return.  The test gets the other ends: *cmd to write commands to, *rep
 * to read reports from.  Returns the pid, or -1.
 */
static inline pid_t ck_spawn_commanded(int (*setup)(void), const int *keep,
				       int nkeep, void (*run)(void),
				       int *cmd, int *rep)
{
	pid_t pid = ck_fork_piped(cmd, rep);
	int i;

	if (pid == 0) {
		int all[16];

		if (nkeep > 14 || ck_move_fd(*cmd, CK_CMD_FD) != CK_CMD_FD ||
		    ck_move_fd(*rep, CK_REP_FD) != CK_REP_FD ||
		    (setup && setup()))
			_exit(CK_EXIT_SETUP);
		for (i = 0; i < nkeep; i++)
			all[i] = keep[i];
		all[nkeep] = CK_CMD_FD;
		all[nkeep + 1] = CK_REP_FD;
		ck_only_fds_of(all, nkeep + 2);
		if (write(CK_REP_FD, "k", 1) != 1)
			_exit(CK_EXIT_SETUP);
		run();
		_exit(CK_EXIT_SETUP);
	}
	return pid;
}

/*
 * Dump a paused child set up by setup() (ck_spawn_paused()), which must be
 * refused: the dump's errno (EOPNOTSUPP...) if nothing was written and the
 * child runs on; 0 if the dump succeeded; -1 if the child could not be
 * made, -2 if bytes were written, -3 if the child is gone.
 */
static inline int ck_dump_refused(const char *name, int (*setup)(void))
{
	int img = ck_memfd(name), err;
	pid_t pid;

	if (img < 0)
		return -1;
	pid = ck_spawn_paused(setup);
	if (pid < 0) {
		close(img);
		return -1;
	}
	err = ckpt_dump(pid, img, 0, NULL, 0) ? errno : 0;
	if (err && lseek(img, 0, SEEK_END) != 0)
		err = -2;
	else if (err && waitpid(pid, NULL, WNOHANG) != 0)
		err = -3;
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(img);
	return err;
}

/*
 * Fork a child that runs run(img), img a fresh memfd it is to dump itself
 * into (run() never returns).  Returns the memfd at offset 0, or -1; the
 * child's exit status (ck_wait()) in *status.
 */
static inline int ck_dump_child(const char *name, void (*run)(int img),
				int *status)
{
	pid_t parent = getpid(), pid;
	int img = ck_memfd(name);

	*status = -1;
	if (img < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		run(img);
	}
	if (pid > 0)
		*status = ck_wait(pid);
	if (pid < 0 || lseek(img, 0, SEEK_SET) != 0) {
		close(img);
		return -1;
	}
	return img;
}

/*
 * ck_dump_child() with the image read into *im (ck_slurp()): 0, or the
 * child's status (ck_wait()) if it did not exit 0, or -1 if it could not
 * run or its image could not be read.
 */
static inline int ck_dump_child_img(const char *name, void (*run)(int img),
				    struct ck_img *im)
{
	int st, img = ck_dump_child(name, run, &st);

	if (img < 0)
		return -1;
	if (!st && ck_slurp(img, 1, im))
		st = -1;
	close(img);
	return st;
}

/*
 * Fork a restorer that holds nothing but stdin, stdout, stderr and the
 * image, moved to fd at, and restores it with flags (which must not
 * return): what ck_wait() says, the restored process's exit status; its
 * pid (the restorer's, which the restored process keeps) in *pid.
 */
static inline int ck_restore_fresh_pid(int img, int at, unsigned int flags,
				       pid_t *pid)
{
	pid_t parent = getpid();

	fflush(NULL);
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		ck_child_init(parent);
		if (ck_move_fd(img, at) != at)
			_exit(CK_EXIT_SETUP);
		ck_only_fds(at);
		ck_restore_and_exit(at, flags);
	}
	return ck_wait(*pid);
}

static inline int ck_restore_fresh(int img, int at, unsigned int flags)
{
	pid_t pid;

	return ck_restore_fresh_pid(img, at, flags, &pid);
}

/*
 * For ck_dump_child(): a process with two children, "ckpt-kid" (paused)
 * and "ckpt-zombie" (exited, not waited for), and /dev/null at 0-2, dumps
 * itself into img.  The original then kills and reaps them and exits 0;
 * a restored copy exits CK_EXIT_RESTORED if it has no child (ECHILD),
 * else 10.
 */
static inline void __attribute__((noreturn)) ck_run_with_children(int img)
{
	int ready[2], null = open("/dev/null", O_RDWR);
	siginfo_t si;
	pid_t kid, zombie;
	long ret;
	char c;

	if (null < 0 || dup2(null, 0) || dup2(null, 1) != 1 ||
	    dup2(null, 2) != 2 || pipe(ready))
		_exit(CK_EXIT_SETUP);
	zombie = fork();
	if (zombie == 0) {
		prctl(PR_SET_NAME, "ckpt-zombie");
		_exit(0);
	}
	kid = fork();
	if (kid == 0) {
		prctl(PR_SET_NAME, "ckpt-kid");
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	if (zombie < 0 || kid < 0 || read(ready[0], &c, 1) != 1 ||
	    waitid(P_PID, zombie, &si, WEXITED | WNOWAIT))
		_exit(CK_EXIT_SETUP);
	ck_only_fds(img);
	ret = ckpt_dump(0, img, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD ?
		      CK_EXIT_RESTORED : 10);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	waitpid(zombie, NULL, 0);
	_exit(ret == 0 ? 0 : CK_EXIT_DUMP_FAILED);
}

/*
 * The sample image: a child dumps itself into a memfd and _exit(0)s; when
 * restored it _exit(CK_EXIT_RESTORED)s.  Returns 0 and the image in *im.
 */
static inline int ck_sample_image(struct ck_img *im)
{
	pid_t parent = getpid(), pid;
	int fd = ck_memfd("ckpt-sample"), st;

	if (fd < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		long ret;

		ck_child_init(parent);
		ck_only_fds(fd);
		ret = ckpt_dump(0, fd, 0, NULL, 0);
		if (ret == 0)
			_exit(0);
		if (ret == CKPT_RESTORED)
			_exit(CK_EXIT_RESTORED);
		fprintf(stderr, "sample image: ckpt_dump: %s\n", strerror(errno));
		_exit(CK_EXIT_DUMP_FAILED);
	}
	st = ck_wait(pid);
	if (st != 0) {
		close(fd);
		return -1;
	}
	st = ck_slurp(fd, 1, im);
	close(fd);
	return st;
}

static inline const char *ck_status_str(int st, char *buf, size_t n)
{
	if (st >= 1000)
		snprintf(buf, n, "killed by signal %d", st - 1000);
	else if (st >= 0)
		snprintf(buf, n, "exit %d (%s)", st, strerror(st));
	else
		snprintf(buf, n, "wait failed");
	return buf;
}

/* A temporary file in /tmp with given content; returns fd, name in path. */
static inline int ck_tmpfile(char *path, size_t n, const void *buf, size_t len)
{
	int fd;

	snprintf(path, n, "/tmp/ckpt-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (ck_write_all(fd, buf, len)) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* Restore @im in a child without capability @cap: what ck_wait() says. */
static inline int ck_restore_without_cap(const struct ck_img *im, int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = ck_memfd_from(im->buf, im->len);

		if (fd < 0 || syscall(SYS_capget, &h, d))
			_exit(CK_EXIT_SETUP);
		d[cap / 32].effective &= ~(1U << (cap % 32));
		if (syscall(SYS_capset, &h, d))
			_exit(CK_EXIT_SETUP);
		ck_restore_and_exit(fd, 0);
	}
	return pid < 0 ? -1 : ck_wait(pid);
}

/*
 * Sockets on the loopback interface (ck_loopback_up()): the address of
 * @family and @port, a socket's port and cookie, a bound socket, a
 * listener and a client.
 */
#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif

static inline socklen_t ck_inet_addr(int family, uint16_t port,
				     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	in6->sin6_addr = in6addr_loopback;
	return sizeof(*in6);
}

static inline uint16_t ck_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET ?
		     ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket of @type bound to the loopback address of @family, @port. */
static inline int ck_inet_bound(int family, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = ck_inet_addr(family, port, &ss);
	int fd = socket(family, type, 0), one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int ck_listener(int family, uint16_t port)
{
	int fd = ck_inet_bound(family, SOCK_STREAM, port);

	if (fd >= 0 && listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int ck_connect_to(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = ck_inet_addr(family, port, &ss);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline uint64_t ck_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) ? 0 : c;
}

/* @fd moved out of the way, above what a test places (-1 stays -1). */
static inline int ck_hi(int fd)
{
	int h = fd < 0 ? -1 : fcntl(fd, F_DUPFD, 40);

	if (fd >= 0)
		close(fd);
	return h;
}

/* The ckpt tool, as the guest has it. */
#define CK_TOOL		"/bin/ckpt"

/* What `ckpt show` says of the image @im (malloc()ed), or NULL. */
static inline char *ck_show(const struct ck_img *im)
{
	char path[64], *out = malloc(65536);
	size_t len = 0;
	int fd, p[2];
	ssize_t k;
	pid_t pid;

	fd = ck_tmpfile(path, sizeof(path), im->buf, im->len);
	if (!out || fd < 0 || pipe(p)) {
		free(out);
		return NULL;
	}
	close(fd);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(CK_TOOL, "ckpt", "show", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < 65535 && (k = read(p[0], out + len, 65535 - len)) > 0)
		len += k;
	out[len] = 0;
	close(p[0]);
	unlink(path);
	if (pid < 0 || ck_wait(pid)) {
		free(out);
		return NULL;
	}
	return out;
}

/* Send one command, read @n bytes of report. */
static inline int ck_ask(int cmd, int rep, char c, void *buf, size_t n)
{
	return write(cmd, &c, 1) == 1 && read(rep, buf, n) == (ssize_t)n ? 0 : -1;
}

#endif /* CKPT_UTIL_H */
