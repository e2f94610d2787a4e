// SPDX-License-Identifier: GPL-2.0
/*
 * libckpt: syscall wrappers, CRC-32, image reader and reseal helper.
 * See libckpt.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "libckpt.h"

/* The layout of the image structs must be the same on every architecture. */
_Static_assert(sizeof(struct ckpt_image_hdr) == 96, "ckpt_image_hdr size");
_Static_assert(sizeof(struct ckpt_rec_hdr) == 16, "ckpt_rec_hdr size");
_Static_assert(sizeof(struct ckpt_file) == 72, "ckpt_file size");
_Static_assert(sizeof(struct ckpt_fd) == 16, "ckpt_fd size");
_Static_assert(sizeof(struct ckpt_mm) == 104, "ckpt_mm size");
_Static_assert(sizeof(struct ckpt_vma) == 40, "ckpt_vma size");
_Static_assert(sizeof(struct ckpt_pages) == 24, "ckpt_pages size");
_Static_assert(sizeof(struct ckpt_thread) == 80, "ckpt_thread size");
_Static_assert(sizeof(struct ckpt_regs_x86_64) == 224, "regs_x86_64 size");
_Static_assert(sizeof(struct ckpt_regs_arm64) == 800, "regs_arm64 size");
_Static_assert(sizeof(struct ckpt_regs_m68k) == 184, "regs_m68k size");
_Static_assert(sizeof(struct ckpt_proc) == 392, "ckpt_proc size");
_Static_assert(sizeof(struct ckpt_sigaction) == 32, "ckpt_sigaction size");
_Static_assert(sizeof(struct ckpt_siginfo) == 136, "ckpt_siginfo size");
_Static_assert(sizeof(struct ckpt_tcp) == 56, "ckpt_tcp size");
_Static_assert(sizeof(struct ckpt_sock_msg) == 16, "ckpt_sock_msg size");
_Static_assert(offsetof(struct ckpt_proc, rlim) == 88, "ckpt_proc layout");
_Static_assert(offsetof(struct ckpt_file, pos) == 16, "ckpt_file layout");
_Static_assert(offsetof(struct ckpt_image_hdr, crc) == 28, "hdr layout");

#define HDR_SIZE	((uint32_t)sizeof(struct ckpt_image_hdr))
#define REC_HDR_SIZE	((uint32_t)sizeof(struct ckpt_rec_hdr))
/* Largest payload of a non-PAGES record we are willing to buffer. */
#define MAX_SMALL_PAYLOAD	(16u << 20)
/* The kernel's NGROUPS_MAX. */
#define MAX_GROUPS		65536u
#define SIGHAND_SIZE	((uint32_t)(CKPT_NSIG * sizeof(struct ckpt_sigaction)))
/* The most bytes of a datagram in a SOCK_MSG record, as the kernel has it. */
#define MAX_SOCK_MSG	65535u

/* ------------------------------------------------------------------ */
/* System calls */

long ckpt_dump(pid_t pid, int fd, unsigned int flags,
	       const struct ckpt_dump_args *args, size_t size)
{
	return syscall(__NR_ckpt_dump, (long)pid, (long)fd, (long)flags,
		       args, size);
}

long ckpt_restore(pid_t pid, int fd, unsigned int flags)
{
	return syscall(__NR_ckpt_restore, (long)pid, (long)fd, (long)flags);
}

int ckpt_snapshot(pid_t pid)
{
	return (int)ckpt_dump(pid, -1, CKPT_DUMP_SNAPSHOT, NULL, 0);
}

int ckpt_base(pid_t pid, int fd, unsigned int flags)
{
	return (int)ckpt_dump(pid, fd, flags | CKPT_DUMP_BASE, NULL, 0);
}

int ckpt_diff(pid_t pid, int fd, unsigned int flags, int base_fd)
{
	struct ckpt_dump_args args = { .base_fd = base_fd };

	return (int)ckpt_dump(pid, fd, flags | CKPT_DUMP_DIFF, &args,
			      sizeof(args));
}

/* ------------------------------------------------------------------ */
/* CRC-32 (zlib) */

static uint32_t crc_table[256];
static int crc_table_ready;

static void crc_make_table(void)
{
	uint32_t c;
	int n, k;

	for (n = 0; n < 256; n++) {
		c = (uint32_t)n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
	crc_table_ready = 1;
}

uint32_t ckpt_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!crc_table_ready)
		crc_make_table();
	if (!p)
		return 0;
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void ckpt_crc_init(struct ckpt_crc *c)
{
	c->value = 0;
}

void ckpt_crc_update(struct ckpt_crc *c, const void *buf, size_t len)
{
	c->value = ckpt_crc32(c->value, buf, len);
}

uint32_t ckpt_crc_final(const struct ckpt_crc *c)
{
	return c->value;
}

/* ------------------------------------------------------------------ */
/* XXH64 (the page bytes of PAGES records), as the kernel's lib/xxhash.c */

#define XXH_P1	0x9E3779B185EBCA87ull
#define XXH_P2	0xC2B2AE3D27D4EB4Full
#define XXH_P3	0x165667B19E3779F9ull
#define XXH_P4	0x85EBCA77C2B2AE63ull
#define XXH_P5	0x27D4EB2F165667C5ull

static uint64_t xxh_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Little-endian, whatever the host: XXH64 is defined on those bytes. */
static uint64_t xxh_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t xxh_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t xxh_round(uint64_t acc, uint64_t input)
{
	acc += input * XXH_P2;
	acc = xxh_rotl(acc, 31);
	return acc * XXH_P1;
}

static uint64_t xxh_merge(uint64_t acc, uint64_t val)
{
	acc ^= xxh_round(0, val);
	return acc * XXH_P1 + XXH_P4;
}

void ckpt_xxh64_init(struct ckpt_xxh64 *x)
{
	memset(x, 0, sizeof(*x));
	x->v[0] = XXH_P1 + XXH_P2;
	x->v[1] = XXH_P2;
	x->v[2] = 0;
	x->v[3] = -XXH_P1;
}

static void xxh_stripe(struct ckpt_xxh64 *x, const unsigned char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		x->v[i] = xxh_round(x->v[i], xxh_le64(p + 8 * i));
}

void ckpt_xxh64_update(struct ckpt_xxh64 *x, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	x->total += len;
	if (x->memsize) {
		n = 32 - x->memsize < len ? 32 - x->memsize : len;
		memcpy(x->mem + x->memsize, p, n);
		x->memsize += n;
		p += n;
		len -= n;
		if (x->memsize < 32)
			return;
		xxh_stripe(x, x->mem);
		x->memsize = 0;
	}
	for (; len >= 32; p += 32, len -= 32)
		xxh_stripe(x, p);
	memcpy(x->mem, p, len);
	x->memsize = len;
}

uint64_t ckpt_xxh64_final(const struct ckpt_xxh64 *x)
{
	const unsigned char *p = x->mem, *end = x->mem + x->memsize;
	uint64_t h;
	int i;

	if (x->total >= 32) {
		h = xxh_rotl(x->v[0], 1) + xxh_rotl(x->v[1], 7) +
		    xxh_rotl(x->v[2], 12) + xxh_rotl(x->v[3], 18);
		for (i = 0; i < 4; i++)
			h = xxh_merge(h, x->v[i]);
	} else {
		h = XXH_P5;
	}
	h += x->total;
	for (; p + 8 <= end; p += 8)
		h = xxh_rotl(h ^ xxh_round(0, xxh_le64(p)), 27) * XXH_P1 + XXH_P4;
	if (p + 4 <= end) {
		h = xxh_rotl(h ^ (uint64_t)xxh_le32(p) * XXH_P1, 23) * XXH_P2 +
		    XXH_P3;
		p += 4;
	}
	for (; p < end; p++)
		h = xxh_rotl(h ^ *p * XXH_P5, 11) * XXH_P1;
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	h ^= h >> 32;
	return h;
}

uint64_t ckpt_xxh64(const void *buf, size_t len)
{
	struct ckpt_xxh64 x;

	ckpt_xxh64_init(&x);
	ckpt_xxh64_update(&x, buf, len);
	return ckpt_xxh64_final(&x);
}

/* XXH32 (the page bytes of PAGES records from a 32-bit kernel) */

#define XXH32_P1	0x9E3779B1u
#define XXH32_P2	0x85EBCA77u
#define XXH32_P3	0xC2B2AE3Du
#define XXH32_P4	0x27D4EB2Fu
#define XXH32_P5	0x165667B1u

static uint32_t xxh32_rotl(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t xxh32_round(uint32_t acc, const unsigned char *p)
{
	acc += xxh_le32(p) * XXH32_P2;
	return xxh32_rotl(acc, 13) * XXH32_P1;
}

void ckpt_xxh32_init(struct ckpt_xxh32 *x)
{
	memset(x, 0, sizeof(*x));
	x->v[0] = XXH32_P1 + XXH32_P2;
	x->v[1] = XXH32_P2;
	x->v[2] = 0;
	x->v[3] = -XXH32_P1;
}

static void xxh32_stripe(struct ckpt_xxh32 *x, const unsigned char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		x->v[i] = xxh32_round(x->v[i], p + 4 * i);
}

void ckpt_xxh32_update(struct ckpt_xxh32 *x, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	x->total += len;
	if (x->memsize) {
		n = 16 - x->memsize < len ? 16 - x->memsize : len;
		memcpy(x->mem + x->memsize, p, n);
		x->memsize += n;
		p += n;
		len -= n;
		if (x->memsize < 16)
			return;
		xxh32_stripe(x, x->mem);
		x->memsize = 0;
	}
	for (; len >= 16; p += 16, len -= 16)
		xxh32_stripe(x, p);
	memcpy(x->mem, p, len);
	x->memsize = len;
}

uint32_t ckpt_xxh32_final(const struct ckpt_xxh32 *x)
{
	const unsigned char *p = x->mem, *end = x->mem + x->memsize;
	uint32_t h;

	if (x->total >= 16)
		h = xxh32_rotl(x->v[0], 1) + xxh32_rotl(x->v[1], 7) +
		    xxh32_rotl(x->v[2], 12) + xxh32_rotl(x->v[3], 18);
	else
		h = XXH32_P5;
	h += (uint32_t)x->total;
	for (; p + 4 <= end; p += 4)
		h = xxh32_rotl(h + xxh_le32(p) * XXH32_P3, 17) * XXH32_P4;
	for (; p < end; p++)
		h = xxh32_rotl(h + *p * XXH32_P5, 11) * XXH32_P1;
	h ^= h >> 15;
	h *= XXH32_P2;
	h ^= h >> 13;
	h *= XXH32_P3;
	h ^= h >> 16;
	return h;
}

uint32_t ckpt_xxh32(const void *buf, size_t len)
{
	struct ckpt_xxh32 x;

	ckpt_xxh32_init(&x);
	ckpt_xxh32_update(&x, buf, len);
	return ckpt_xxh32_final(&x);
}

/* A PAGES record's hash of its page bytes, of either type. */
struct pages_hash {
	uint32_t type;
	struct ckpt_xxh64 h64;
	struct ckpt_xxh32 h32;
};

static void pages_hash_init(struct pages_hash *x, uint32_t type)
{
	x->type = type;
	if (type == CKPT_PAGES_XXH32)
		ckpt_xxh32_init(&x->h32);
	else
		ckpt_xxh64_init(&x->h64);
}

static void pages_hash_update(struct pages_hash *x, const void *buf, size_t len)
{
	if (x->type == CKPT_PAGES_XXH32)
		ckpt_xxh32_update(&x->h32, buf, len);
	else
		ckpt_xxh64_update(&x->h64, buf, len);
}

static uint64_t pages_hash_final(const struct pages_hash *x)
{
	if (x->type == CKPT_PAGES_XXH32)
		return ckpt_xxh32_final(&x->h32);
	return ckpt_xxh64_final(&x->h64);
}

static uint64_t pages_hash(uint32_t type, const void *buf, size_t len)
{
	struct pages_hash x;

	pages_hash_init(&x, type);
	pages_hash_update(&x, buf, len);
	return pages_hash_final(&x);
}

/* ------------------------------------------------------------------ */
/* Byte order */

int ckpt_host_endian(void)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return CKPT_ENDIAN_BIG;
#else
	return CKPT_ENDIAN_LITTLE;
#endif
}

uint16_t ckpt_get16(const void *p, int endian)
{
	const unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG)
		return (uint16_t)(b[0] << 8 | b[1]);
	return (uint16_t)(b[1] << 8 | b[0]);
}

uint32_t ckpt_get32(const void *p, int endian)
{
	const unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		       (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[1] << 8 | b[0];
}

uint64_t ckpt_get64(const void *p, int endian)
{
	const unsigned char *b = p;
	uint64_t hi, lo;

	if (endian == CKPT_ENDIAN_BIG) {
		hi = ckpt_get32(b, endian);
		lo = ckpt_get32(b + 4, endian);
	} else {
		lo = ckpt_get32(b, endian);
		hi = ckpt_get32(b + 4, endian);
	}
	return hi << 32 | lo;
}

void ckpt_put16(void *p, int endian, uint16_t v)
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

void ckpt_put32(void *p, int endian, uint32_t v)
{
	unsigned char *b = p;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char byte = (unsigned char)(v >> (8 * i));

		if (endian == CKPT_ENDIAN_BIG)
			b[3 - i] = byte;
		else
			b[i] = byte;
	}
}

void ckpt_put64(void *p, int endian, uint64_t v)
{
	unsigned char *b = p;

	if (endian == CKPT_ENDIAN_BIG) {
		ckpt_put32(b, endian, (uint32_t)(v >> 32));
		ckpt_put32(b + 4, endian, (uint32_t)v);
	} else {
		ckpt_put32(b, endian, (uint32_t)v);
		ckpt_put32(b + 4, endian, (uint32_t)(v >> 32));
	}
}

#define SWAP(x) do {							\
	if (sizeof(x) == 2)						\
		(x) = __builtin_bswap16((uint16_t)(x));			\
	else if (sizeof(x) == 4)					\
		(x) = __builtin_bswap32((uint32_t)(x));			\
	else if (sizeof(x) == 8)					\
		(x) = __builtin_bswap64((uint64_t)(x));			\
} while (0)

#define SWAP_ARRAY(a) do {						\
	size_t _i;							\
	for (_i = 0; _i < sizeof(a) / sizeof((a)[0]); _i++)		\
		SWAP((a)[_i]);						\
} while (0)

static void swap_hdr(struct ckpt_image_hdr *h)
{
	SWAP(h->machine);
	SWAP(h->version);
	SWAP(h->page_size);
	SWAP(h->flags);
	SWAP(h->hdr_size);
	SWAP(h->crc);
}

static void swap_file(struct ckpt_file *f)
{
	SWAP(f->id); SWAP(f->type); SWAP(f->flags); SWAP(f->mode);
	SWAP(f->pos); SWAP(f->dev); SWAP(f->ino); SWAP(f->size);
	SWAP(f->mtime_sec); SWAP(f->mtime_nsec); SWAP(f->path_len);
	SWAP(f->rdev); SWAP(f->inode);
}

static void swap_signalfd(struct ckpt_signalfd *s)
{
	SWAP(s->id); SWAP(s->pad); SWAP(s->mask);
}

static void swap_memfd(struct ckpt_memfd *m)
{
	SWAP(m->id); SWAP(m->seals);
}

static void swap_timerfd(struct ckpt_timerfd *t)
{
	SWAP(t->id); SWAP(t->clockid); SWAP(t->flags); SWAP(t->pad);
	SWAP(t->ticks); SWAP(t->value_sec); SWAP(t->interval_sec);
	SWAP(t->value_nsec); SWAP(t->interval_nsec);
}

static void swap_socket(struct ckpt_socket *k)
{
	SWAP(k->id); SWAP(k->family); SWAP(k->type); SWAP(k->flags);
	SWAP(k->peer); SWAP(k->sndbuf); SWAP(k->rcvbuf); SWAP(k->rcvlowat);
	SWAP(k->protocol); SWAP(k->rcvtimeo_us); SWAP(k->sndtimeo_us);
	SWAP(k->cookie); SWAP(k->addr_len); SWAP(k->peer_len); SWAP(k->backlog);
	SWAP(k->linger_s); SWAP(k->keepidle_s); SWAP(k->keepintvl_s);
	SWAP(k->keepcnt);
}

static void swap_sock_data(struct ckpt_sock_data *d)
{
	SWAP(d->id); SWAP(d->len);
}

static void swap_sock_msg(struct ckpt_sock_msg *m)
{
	SWAP(m->id); SWAP(m->len); SWAP(m->addr_len);
	SWAP_ARRAY(m->pad);
}

static void swap_tcp(struct ckpt_tcp *t)
{
	SWAP(t->id); SWAP(t->flags); SWAP(t->snd_seq); SWAP(t->rcv_seq);
	SWAP(t->snd_len); SWAP(t->rcv_len); SWAP(t->timestamp); SWAP(t->mss);
	SWAP(t->snd_wl1); SWAP(t->snd_wnd); SWAP(t->max_window);
	SWAP(t->rcv_wnd); SWAP(t->rcv_wup); SWAP(t->pad);
}

static void swap_epoll_item(struct ckpt_epoll_item *e)
{
	SWAP(e->id); SWAP(e->fd); SWAP(e->file); SWAP(e->events);
	SWAP(e->data);
}

static void swap_eventfd(struct ckpt_eventfd *e)
{
	SWAP(e->id); SWAP(e->flags); SWAP(e->count);
}

static void swap_child(struct ckpt_child *c)
{
	SWAP(c->pid); SWAP(c->flags);
}

static void swap_file_data(struct ckpt_file_data *d)
{
	SWAP(d->id); SWAP(d->pad); SWAP(d->off);
}

static void swap_pipe(struct ckpt_pipe *p)
{
	SWAP(p->id); SWAP(p->size); SWAP(p->len); SWAP(p->pad);
}

static void swap_fd(struct ckpt_fd *f)
{
	SWAP(f->fd); SWAP(f->flags); SWAP(f->file); SWAP(f->pad);
}

static void swap_mm(struct ckpt_mm *m)
{
	SWAP(m->start_code); SWAP(m->end_code); SWAP(m->start_data);
	SWAP(m->end_data); SWAP(m->start_brk); SWAP(m->brk);
	SWAP(m->start_stack); SWAP(m->arg_start); SWAP(m->arg_end);
	SWAP(m->env_start); SWAP(m->env_end); SWAP(m->mmap_base);
	SWAP(m->exe_file); SWAP(m->nr_auxv);
}

static void swap_vma(struct ckpt_vma *v)
{
	SWAP(v->start); SWAP(v->end); SWAP(v->pgoff); SWAP(v->prot);
	SWAP(v->flags); SWAP(v->type); SWAP(v->file);
}

static void swap_pages(struct ckpt_pages *p)
{
	SWAP(p->addr); SWAP(p->nr_pages); SWAP(p->hash_type); SWAP(p->hash);
}

static void swap_base_pages(struct ckpt_base_pages *b)
{
	SWAP(b->addr); SWAP(b->offset); SWAP(b->nr_pages); SWAP(b->file);
	SWAP(b->hash_type); SWAP(b->pad); SWAP(b->hash);
}

static void swap_thread(struct ckpt_thread *t)
{
	SWAP(t->tid); SWAP(t->sas_flags); SWAP(t->sigmask);
	SWAP(t->sas_sp); SWAP(t->sas_size); SWAP(t->robust_list);
	SWAP(t->clear_child_tid);
	SWAP(t->rseq); SWAP(t->rseq_sig); SWAP(t->rseq_len);
}

static void swap_proc(struct ckpt_proc *p)
{
	size_t i;

	SWAP(p->pid); SWAP(p->nr_threads); SWAP(p->umask);
	SWAP(p->personality); SWAP(p->uid); SWAP(p->euid); SWAP(p->suid);
	SWAP(p->fsuid); SWAP(p->gid); SWAP(p->egid); SWAP(p->sgid);
	SWAP(p->fsgid); SWAP(p->ngroups); SWAP(p->cwd_len);
	SWAP(p->root_len); SWAP(p->flags); SWAP(p->cwd_dev); SWAP(p->root_dev);
	SWAP(p->cwd_ino); SWAP(p->root_ino);
	for (i = 0; i < CKPT_NLIMITS; i++) {
		SWAP(p->rlim[i].cur);
		SWAP(p->rlim[i].max);
	}
	for (i = 0; i < CKPT_ITIMERS; i++) {
		SWAP(p->itimer[i].value);
		SWAP(p->itimer[i].interval);
	}
}

static void swap_sigaction(struct ckpt_sigaction *a)
{
	SWAP(a->handler); SWAP(a->flags); SWAP(a->restorer); SWAP(a->mask);
}

static void swap_siginfo(struct ckpt_siginfo *s)
{
	SWAP(s->tid); SWAP(s->signo);
}

static void swap_regs_x86_64(struct ckpt_regs_x86_64 *r)
{
	SWAP(r->r15); SWAP(r->r14); SWAP(r->r13); SWAP(r->r12);
	SWAP(r->bp); SWAP(r->bx); SWAP(r->r11); SWAP(r->r10);
	SWAP(r->r9); SWAP(r->r8); SWAP(r->ax); SWAP(r->cx); SWAP(r->dx);
	SWAP(r->si); SWAP(r->di); SWAP(r->orig_ax); SWAP(r->ip);
	SWAP(r->cs); SWAP(r->flags); SWAP(r->sp); SWAP(r->ss);
	SWAP(r->fs_base); SWAP(r->gs_base); SWAP(r->ds); SWAP(r->es);
	SWAP(r->fs); SWAP(r->gs); SWAP(r->xstate_size); SWAP(r->pad);
}

static void swap_regs_arm64(struct ckpt_regs_arm64 *r)
{
	SWAP_ARRAY(r->regs);
	SWAP(r->sp); SWAP(r->pc); SWAP(r->pstate); SWAP(r->tpidr_el0);
	SWAP_ARRAY(r->vregs);
	SWAP(r->fpsr); SWAP(r->fpcr);
}

static void swap_regs_m68k(struct ckpt_regs_m68k *r)
{
	SWAP_ARRAY(r->d);
	SWAP_ARRAY(r->a);
	SWAP(r->pc); SWAP(r->sr); SWAP(r->tls); SWAP(r->fpcr);
	SWAP(r->fpsr); SWAP(r->fpiar);
	SWAP_ARRAY(r->fp);
}

/* ------------------------------------------------------------------ */
/* Names */

const char *ckpt_machine_name(unsigned int machine)
{
	switch (machine) {
	case EM_X86_64:	return "x86_64";
	case EM_AARCH64: return "aarch64";
	case EM_68K:	return "m68k";
	case 3:		return "i386";
	case 40:	return "arm";
	case 8:		return "mips";
	case 20:	return "ppc";
	case 21:	return "ppc64";
	case 22:	return "s390";
	case 243:	return "riscv";
	default:	return "unknown";
	}
}

const char *ckpt_rec_type_name(uint32_t type)
{
	switch (type) {
	case CKPT_REC_END:	return "END";
	case CKPT_REC_FILE:	return "FILE";
	case CKPT_REC_MM:	return "MM";
	case CKPT_REC_VMA:	return "VMA";
	case CKPT_REC_PAGES:	return "PAGES";
	case CKPT_REC_THREAD:	return "THREAD";
	case CKPT_REC_REGS:	return "REGS";
	case CKPT_REC_PROC:	return "PROC";
	case CKPT_REC_SIGHAND:	return "SIGHAND";
	case CKPT_REC_SIGINFO:	return "SIGINFO";
	case CKPT_REC_FD:	return "FD";
	case CKPT_REC_PIPE:	return "PIPE";
	case CKPT_REC_FILE_DATA: return "FILE_DATA";
	case CKPT_REC_CHILD:	return "CHILD";
	case CKPT_REC_EVENTFD:	return "EVENTFD";
	case CKPT_REC_EPOLL_ITEM: return "EPOLL_ITEM";
	case CKPT_REC_SIGNALFD:	return "SIGNALFD";
	case CKPT_REC_MEMFD:	return "MEMFD";
	case CKPT_REC_TIMERFD:	return "TIMERFD";
	case CKPT_REC_SOCKET:	return "SOCKET";
	case CKPT_REC_SOCK_DATA: return "SOCK_DATA";
	case CKPT_REC_TCP:	return "TCP";
	case CKPT_REC_SOCK_MSG:	return "SOCK_MSG";
	case CKPT_REC_BASE_PAGES: return "BASE_PAGES";
	default:		return "UNKNOWN";
	}
}

const char *ckpt_signal_name(unsigned int sig)
{
	static const char *const names[] = {
		NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
		"SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
		"SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
		"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
		"SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
		"SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
		"SIGSYS",
	};

	if (sig < sizeof(names) / sizeof(names[0]))
		return names[sig];
	return NULL;
}

const char *ckpt_rlimit_name(unsigned int res)
{
	static const char *const names[CKPT_NLIMITS] = {
		"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC",
		"NOFILE", "MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE",
		"NICE", "RTPRIO", "RTTIME",
	};

	return res < CKPT_NLIMITS ? names[res] : NULL;
}

const char *ckpt_errno_name(int err)
{
	switch (err) {
	case 0:		return "0";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case ESRCH:	return "ESRCH";
	case EINTR:	return "EINTR";
	case EIO:	return "EIO";
	case E2BIG:	return "E2BIG";
	case ENOEXEC:	return "ENOEXEC";
	case EBADF:	return "EBADF";
	case ECHILD:	return "ECHILD";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case ENODEV:	return "ENODEV";
	case EISDIR:	return "EISDIR";
	case EINVAL:	return "EINVAL";
	case ENFILE:	return "ENFILE";
	case EMFILE:	return "EMFILE";
	case EFBIG:	return "EFBIG";
	case ENOSPC:	return "ENOSPC";
	case ESPIPE:	return "ESPIPE";
	case EROFS:	return "EROFS";
	case EPIPE:	return "EPIPE";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case EOVERFLOW:	return "EOVERFLOW";
	case EBADMSG:	return "EBADMSG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ESTALE:	return "ESTALE";
	case ETXTBSY:	return "ETXTBSY";
	case EDQUOT:	return "EDQUOT";
	case ENOBUFS:	return "ENOBUFS";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ECONNREFUSED: return "ECONNREFUSED";
	default:	return "E?";
	}
}

/* ------------------------------------------------------------------ */
/* Reader */

enum { ST_HDR, ST_RECORDS, ST_DONE, ST_ERROR };

static void reader_init(struct ckpt_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->state = ST_HDR;
}

void ckpt_reader_init_mem(struct ckpt_reader *r, const void *buf, size_t len)
{
	reader_init(r);
	r->mem = buf;
	r->mem_len = len;
}

void ckpt_reader_init_fp(struct ckpt_reader *r, FILE *fp)
{
	reader_init(r);
	r->fp = fp;
}

void ckpt_reader_init_fd(struct ckpt_reader *r, int fd)
{
	reader_init(r);
	r->fd = fd;
}

void ckpt_reader_fini(struct ckpt_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

static int fail(struct ckpt_reader *r, int err, uint64_t off,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct ckpt_reader *r, int err, uint64_t off,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = err;
	r->err_off = off;
	r->state = ST_ERROR;
	return err;
}

/*
 * Read up to len bytes into dst (or just skip them when dst is NULL with a
 * memory source).  For memory sources *ptr is set to point into the image.
 * Returns bytes obtained (short only at end of image) or a negative errno.
 */
static long long src_read(struct ckpt_reader *r, void *dst, size_t len,
			  const unsigned char **ptr)
{
	size_t got = 0;

	if (r->mem) {
		size_t avail = r->off < r->mem_len ?
			r->mem_len - (size_t)r->off : 0;

		got = len < avail ? len : avail;
		if (ptr)
			*ptr = r->mem + r->off;
		if (dst && got)
			memcpy(dst, r->mem + r->off, got);
	} else if (r->fp) {
		got = fread(dst, 1, len, r->fp);
		if (got < len && ferror(r->fp))
			return -EIO;
		if (ptr)
			*ptr = dst;
	} else {
		while (got < len) {
			ssize_t n = read(r->fd, (char *)dst + got, len - got);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (ptr)
			*ptr = dst;
	}
	r->off += got;
	return (long long)got;
}

static int ensure_buf(struct ckpt_reader *r, size_t len)
{
	unsigned char *nb;

	if (len <= r->cap)
		return 0;
	nb = realloc(r->buf, len);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	r->cap = len;
	return 0;
}

int ckpt_reader_header(struct ckpt_reader *r)
{
	unsigned char raw[sizeof(struct ckpt_image_hdr)];
	const unsigned char *p = NULL;
	struct ckpt_image_hdr h;
	uint32_t crc, stored_le, stored_be, stored;
	long long n;
	int endian;

	if (r->state == ST_ERROR)
		return r->err;
	if (r->state != ST_HDR)
		return 0;

	n = src_read(r, raw, sizeof(raw), &p);
	if (n < 0)
		return fail(r, (int)n, 0, "read error: %s", strerror((int)-n));
	if (p != raw)
		memcpy(raw, p, (size_t)n);
	if (n == 0)
		return fail(r, -EBADMSG, 0, "empty image");
	if (memcmp(raw, CKPT_MAGIC, (size_t)n < CKPT_MAGIC_LEN ?
		   (size_t)n : CKPT_MAGIC_LEN))
		return fail(r, -ENOEXEC, 0, "not a ckpt image (bad magic)");
	if (n < (long long)sizeof(raw))
		return fail(r, -EBADMSG, 0,
			    "image truncated inside its header (%lld of %u bytes)",
			    n, HDR_SIZE);

	memcpy(&h, raw, sizeof(h));
	endian = h.endian;
	stored_le = ckpt_get32(raw + offsetof(struct ckpt_image_hdr, crc),
			       CKPT_ENDIAN_LITTLE);
	stored_be = ckpt_get32(raw + offsetof(struct ckpt_image_hdr, crc),
			       CKPT_ENDIAN_BIG);
	memset(raw + offsetof(struct ckpt_image_hdr, crc), 0, 4);
	crc = ckpt_crc32(0, raw, sizeof(raw));
	if (endian == CKPT_ENDIAN_LITTLE)
		stored = stored_le;
	else if (endian == CKPT_ENDIAN_BIG)
		stored = stored_be;
	else
		stored = crc == stored_le ? stored_le : stored_be;
	if (crc != stored)
		return fail(r, -EBADMSG, 0,
			    "header checksum mismatch (stored %08x, computed %08x)",
			    stored, crc);
	if (endian != CKPT_ENDIAN_LITTLE && endian != CKPT_ENDIAN_BIG)
		return fail(r, -ENOEXEC, 0, "unknown byte order %u", endian);

	r->swap = endian != ckpt_host_endian();
	if (r->swap)
		swap_hdr(&h);
	r->hdr = h;
	r->crc = crc;

	if (h.version != CKPT_IMAGE_VERSION)
		return fail(r, -ENOEXEC, 0, "unsupported image version %u",
			    h.version);
	if (h.word_size != 4 && h.word_size != 8)
		return fail(r, -ENOEXEC, 0, "unsupported word size %u",
			    h.word_size);
	if (h.hdr_size != HDR_SIZE)
		return fail(r, -ENOEXEC, 0, "unsupported header size %u",
			    h.hdr_size);
	if (h.page_size < 1024 || h.page_size > (1u << 24) ||
	    (h.page_size & (h.page_size - 1)))
		return fail(r, -ENOEXEC, 0, "unsupported page size %u",
			    h.page_size);
	r->state = ST_RECORDS;
	return 0;
}

uint64_t ckpt_record_auxv(const struct ckpt_reader *r,
			  const struct ckpt_record *rec, uint32_t i)
{
	if (!rec->auxv || rec->type != CKPT_REC_MM || i >= rec->u.mm.nr_auxv)
		return 0;
	return ckpt_get64(rec->auxv + (size_t)i * 8, r->hdr.endian);
}

uint32_t ckpt_record_group(const struct ckpt_reader *r,
			   const struct ckpt_record *rec, uint32_t i)
{
	if (!rec->groups || rec->type != CKPT_REC_PROC ||
	    i >= rec->u.proc.ngroups)
		return 0;
	return ckpt_get32(rec->groups + (size_t)i * 4, r->hdr.endian);
}

/* A string of len bytes (len >= 1) with its only NUL at the end? */
static int is_c_string(const unsigned char *p, uint32_t len)
{
	return len && memchr(p, 0, len) == p + len - 1;
}

static int parse_proc(struct ckpt_reader *r, struct ckpt_record *rec,
		      const unsigned char *p)
{
	const struct ckpt_proc *pr = &rec->u.proc;
	uint32_t len = rec->len;
	uint64_t off = rec->offset, tail;

	if (len < sizeof(struct ckpt_proc))
		return fail(r, -EINVAL, off, "PROC record too short (%u bytes)",
			    len);
	memcpy(&rec->u.proc, p, sizeof(struct ckpt_proc));
	if (r->swap)
		swap_proc(&rec->u.proc);
	tail = (uint64_t)pr->ngroups * 4 + pr->cwd_len + pr->root_len;
	if (tail != len - sizeof(struct ckpt_proc))
		return fail(r, -EINVAL, off,
			    "PROC record: %u groups, cwd of %u and root of %u bytes do not match its length %u",
			    pr->ngroups, pr->cwd_len, pr->root_len, len);
	if (pr->ngroups > MAX_GROUPS)
		return fail(r, -EINVAL, off,
			    "PROC record: %u supplementary groups (at most %u)",
			    pr->ngroups, MAX_GROUPS);
	if (pr->nr_threads == 0)
		return fail(r, -EINVAL, off, "PROC record: no threads");
	rec->groups = p + sizeof(struct ckpt_proc);
	rec->cwd = (const char *)rec->groups + (size_t)pr->ngroups * 4;
	rec->root = rec->cwd + pr->cwd_len;
	if (!is_c_string((const unsigned char *)rec->cwd, pr->cwd_len))
		return fail(r, -EINVAL, off,
			    "PROC record: cwd is not one NUL-terminated string of %u bytes",
			    pr->cwd_len);
	if (!is_c_string((const unsigned char *)rec->root, pr->root_len))
		return fail(r, -EINVAL, off,
			    "PROC record: root is not one NUL-terminated string of %u bytes",
			    pr->root_len);
	return 0;
}

static int parse_sighand(struct ckpt_reader *r, struct ckpt_record *rec,
			 const unsigned char *p)
{
	uint64_t limit = r->hdr.word_size == 4 ? 0xffffffffull : ~0ull;
	int i;

	if (rec->len != SIGHAND_SIZE)
		return fail(r, -EINVAL, rec->offset,
			    "SIGHAND record of %u bytes, not %u", rec->len,
			    SIGHAND_SIZE);
	memcpy(rec->u.sighand, p, SIGHAND_SIZE);
	for (i = 0; i < CKPT_NSIG; i++) {
		struct ckpt_sigaction *a = &rec->u.sighand[i];

		if (r->swap)
			swap_sigaction(a);
		if (a->handler > limit || a->restorer > limit)
			return fail(r, -EINVAL, rec->offset,
				    "SIGHAND record: signal %d has a handler or restorer beyond the %u-bit address space",
				    i + 1, r->hdr.word_size * 8);
	}
	return 0;
}

static int parse_siginfo(struct ckpt_reader *r, struct ckpt_record *rec,
			 const unsigned char *p)
{
	const struct ckpt_siginfo *si = &rec->u.siginfo;
	int e = r->hdr.endian;

	if (rec->len != sizeof(struct ckpt_siginfo))
		return fail(r, -EINVAL, rec->offset,
			    "SIGINFO record of %u bytes, not %zu", rec->len,
			    sizeof(struct ckpt_siginfo));
	memcpy(&rec->u.siginfo, p, sizeof(struct ckpt_siginfo));
	if (r->swap)
		swap_siginfo(&rec->u.siginfo);
	if (si->signo < 1 || si->signo > CKPT_NSIG)
		return fail(r, -EINVAL, rec->offset,
			    "SIGINFO record: signal %u out of range 1..%d",
			    si->signo, CKPT_NSIG);
	rec->si_signo = (int32_t)ckpt_get32(si->info, e);
	rec->si_errno = (int32_t)ckpt_get32(si->info + 4, e);
	rec->si_code = (int32_t)ckpt_get32(si->info + 8, e);
	return 0;
}

/* Parse the fixed part of a record into rec->u (host order). */
static int parse_payload(struct ckpt_reader *r, struct ckpt_record *rec,
			 const unsigned char *p, uint32_t avail)
{
	uint32_t len = rec->len;
	uint64_t off = rec->offset;

	switch (rec->type) {
	case CKPT_REC_END:
		if (len != 0)
			return fail(r, -EINVAL, off, "END record with payload");
		break;
	case CKPT_REC_FILE:
		if (len < sizeof(struct ckpt_file))
			return fail(r, -EINVAL, off, "FILE record too short");
		memcpy(&rec->u.file, p, sizeof(struct ckpt_file));
		if (r->swap)
			swap_file(&rec->u.file);
		if (rec->u.file.path_len != len - sizeof(struct ckpt_file) ||
		    rec->u.file.path_len == 0)
			return fail(r, -EINVAL, off,
				    "FILE record path length %u does not match record",
				    rec->u.file.path_len);
		rec->path = (const char *)p + sizeof(struct ckpt_file);
		if (rec->path[rec->u.file.path_len - 1] != '\0' ||
		    strlen(rec->path) + 1 != rec->u.file.path_len)
			return fail(r, -EINVAL, off,
				    "FILE record path not NUL-terminated");
		if (rec->u.file.id == 0)
			return fail(r, -EINVAL, off, "FILE record with id 0");
		break;
	case CKPT_REC_PIPE:
		if (len < sizeof(struct ckpt_pipe))
			return fail(r, -EINVAL, off, "PIPE record too short");
		memcpy(&rec->u.pipe, p, sizeof(struct ckpt_pipe));
		if (r->swap)
			swap_pipe(&rec->u.pipe);
		if (rec->u.pipe.len != len - sizeof(struct ckpt_pipe))
			return fail(r, -EINVAL, off,
				    "PIPE record: %u bytes of data do not match record length",
				    rec->u.pipe.len);
		if (rec->u.pipe.id == 0)
			return fail(r, -EINVAL, off, "PIPE record with id 0");
		if (rec->u.pipe.len > rec->u.pipe.size)
			return fail(r, -EINVAL, off,
				    "PIPE record: %u bytes in a pipe of %u",
				    rec->u.pipe.len, rec->u.pipe.size);
		rec->pipe_data = p + sizeof(struct ckpt_pipe);
		break;
	case CKPT_REC_SIGNALFD:
		if (len != sizeof(struct ckpt_signalfd))
			return fail(r, -EINVAL, off, "SIGNALFD record of wrong size");
		memcpy(&rec->u.signalfd, p, sizeof(struct ckpt_signalfd));
		if (r->swap)
			swap_signalfd(&rec->u.signalfd);
		break;
	case CKPT_REC_MEMFD:
		if (len != sizeof(struct ckpt_memfd))
			return fail(r, -EINVAL, off, "MEMFD record of wrong size");
		memcpy(&rec->u.memfd, p, sizeof(struct ckpt_memfd));
		if (r->swap)
			swap_memfd(&rec->u.memfd);
		break;
	case CKPT_REC_TIMERFD:
		if (len != sizeof(struct ckpt_timerfd))
			return fail(r, -EINVAL, off, "TIMERFD record of wrong size");
		memcpy(&rec->u.timerfd, p, sizeof(struct ckpt_timerfd));
		if (r->swap)
			swap_timerfd(&rec->u.timerfd);
		break;
	case CKPT_REC_SOCKET:
		if (len < sizeof(struct ckpt_socket))
			return fail(r, -EINVAL, off, "SOCKET record too short");
		memcpy(&rec->u.socket, p, sizeof(struct ckpt_socket));
		if (r->swap)
			swap_socket(&rec->u.socket);
		if (rec->u.socket.addr_len > CKPT_SOCK_ADDR_MAX ||
		    rec->u.socket.peer_len > CKPT_SOCK_ADDR_MAX ||
		    len != sizeof(struct ckpt_socket) + rec->u.socket.addr_len +
			   rec->u.socket.peer_len)
			return fail(r, -EINVAL, off,
				    "SOCKET record: addresses of %u and %u bytes do not match record length",
				    rec->u.socket.addr_len, rec->u.socket.peer_len);
		rec->sock_addr = p + sizeof(struct ckpt_socket);
		break;
	case CKPT_REC_SOCK_DATA:
		if (len < sizeof(struct ckpt_sock_data))
			return fail(r, -EINVAL, off, "SOCK_DATA record too short");
		memcpy(&rec->u.sock_data, p, sizeof(struct ckpt_sock_data));
		if (r->swap)
			swap_sock_data(&rec->u.sock_data);
		if (rec->u.sock_data.len != len - sizeof(struct ckpt_sock_data))
			return fail(r, -EINVAL, off,
				    "SOCK_DATA record: %u bytes of data do not match record length",
				    rec->u.sock_data.len);
		break;
	case CKPT_REC_SOCK_MSG: {
		const struct ckpt_sock_msg *m = &rec->u.sock_msg;

		if (len < sizeof(struct ckpt_sock_msg))
			return fail(r, -EINVAL, off, "SOCK_MSG record too short");
		memcpy(&rec->u.sock_msg, p, sizeof(struct ckpt_sock_msg));
		if (r->swap)
			swap_sock_msg(&rec->u.sock_msg);
		if (len != sizeof(struct ckpt_sock_msg) + (uint64_t)m->addr_len +
			   m->len)
			return fail(r, -EINVAL, off,
				    "SOCK_MSG record: an address of %u and %u bytes of data do not match record length",
				    m->addr_len, m->len);
		if (m->pad[0] || m->pad[1] || m->pad[2])
			return fail(r, -EINVAL, off, "SOCK_MSG record: non-zero pad");
		if (m->len > MAX_SOCK_MSG)
			return fail(r, -EINVAL, off,
				    "SOCK_MSG record: a datagram of %u bytes (at most %u)",
				    m->len, MAX_SOCK_MSG);
		rec->sock_addr = p + sizeof(struct ckpt_sock_msg);
		rec->msg_data = rec->sock_addr + m->addr_len;
		break;
	}
	case CKPT_REC_TCP:
		if (len != sizeof(struct ckpt_tcp))
			return fail(r, -EINVAL, off, "TCP record of wrong size");
		memcpy(&rec->u.tcp, p, sizeof(struct ckpt_tcp));
		if (r->swap)
			swap_tcp(&rec->u.tcp);
		if (rec->u.tcp.flags & ~CKPT_TCP_FLAGS)
			return fail(r, -EINVAL, off, "TCP record: unknown flags %#x",
				    rec->u.tcp.flags);
		if (rec->u.tcp.pad)
			return fail(r, -EINVAL, off, "TCP record: non-zero pad");
		break;
	case CKPT_REC_EPOLL_ITEM:
		if (len != sizeof(struct ckpt_epoll_item))
			return fail(r, -EINVAL, off, "EPOLL_ITEM record of wrong size");
		memcpy(&rec->u.epoll_item, p, sizeof(struct ckpt_epoll_item));
		if (r->swap)
			swap_epoll_item(&rec->u.epoll_item);
		break;
	case CKPT_REC_EVENTFD:
		if (len != sizeof(struct ckpt_eventfd))
			return fail(r, -EINVAL, off, "EVENTFD record of wrong size");
		memcpy(&rec->u.eventfd, p, sizeof(struct ckpt_eventfd));
		if (r->swap)
			swap_eventfd(&rec->u.eventfd);
		break;
	case CKPT_REC_CHILD:
		if (len != sizeof(struct ckpt_child))
			return fail(r, -EINVAL, off, "CHILD record of wrong size");
		memcpy(&rec->u.child, p, sizeof(struct ckpt_child));
		if (r->swap)
			swap_child(&rec->u.child);
		if (!memchr(rec->u.child.comm, 0, sizeof(rec->u.child.comm)))
			return fail(r, -EINVAL, off,
				    "CHILD record: command name not NUL-terminated");
		break;
	case CKPT_REC_FILE_DATA:
		if (len <= sizeof(struct ckpt_file_data))
			return fail(r, -EINVAL, off, "FILE_DATA record without data");
		memcpy(&rec->u.file_data, p, sizeof(struct ckpt_file_data));
		if (r->swap)
			swap_file_data(&rec->u.file_data);
		rec->file_bytes = p + sizeof(struct ckpt_file_data);
		break;
	case CKPT_REC_FD:
		if (len != sizeof(struct ckpt_fd))
			return fail(r, -EINVAL, off, "FD record of wrong size");
		memcpy(&rec->u.fd, p, sizeof(struct ckpt_fd));
		if (r->swap)
			swap_fd(&rec->u.fd);
		if (rec->u.fd.flags & ~CKPT_FD_FLAGS)
			return fail(r, -EINVAL, off, "FD record: unknown flags %#x",
				    rec->u.fd.flags);
		if (!(rec->u.fd.flags & CKPT_FD_IMAGE) == !rec->u.fd.file)
			return fail(r, -EINVAL, off,
				    "FD record: fd %u names file %u%s", rec->u.fd.fd,
				    rec->u.fd.file, rec->u.fd.file ?
				    " but is the image" : ", none");
		break;
	case CKPT_REC_MM:
		if (len < sizeof(struct ckpt_mm))
			return fail(r, -EINVAL, off, "MM record too short");
		memcpy(&rec->u.mm, p, sizeof(struct ckpt_mm));
		if (r->swap)
			swap_mm(&rec->u.mm);
		if ((uint64_t)rec->u.mm.nr_auxv * 8 !=
		    len - sizeof(struct ckpt_mm))
			return fail(r, -EINVAL, off,
				    "MM record: %u auxv words do not match record length",
				    rec->u.mm.nr_auxv);
		rec->auxv = p + sizeof(struct ckpt_mm);
		break;
	case CKPT_REC_VMA:
		if (len != sizeof(struct ckpt_vma))
			return fail(r, -EINVAL, off, "VMA record of wrong size");
		memcpy(&rec->u.vma, p, sizeof(struct ckpt_vma));
		if (r->swap)
			swap_vma(&rec->u.vma);
		break;
	case CKPT_REC_PAGES:
		if (avail < sizeof(struct ckpt_pages) ||
		    len < sizeof(struct ckpt_pages))
			return fail(r, -EINVAL, off, "PAGES record too short");
		memcpy(&rec->u.pages, p, sizeof(struct ckpt_pages));
		if (r->swap)
			swap_pages(&rec->u.pages);
		if (rec->u.pages.hash_type != CKPT_PAGES_XXH64 &&
		    rec->u.pages.hash_type != CKPT_PAGES_XXH32)
			return fail(r, -EINVAL, off,
				    "PAGES record: unknown hash type %u",
				    rec->u.pages.hash_type);
		if ((uint64_t)rec->u.pages.nr_pages * r->hdr.page_size !=
		    len - sizeof(struct ckpt_pages))
			return fail(r, -EINVAL, off,
				    "PAGES record: %u pages do not match record length",
				    rec->u.pages.nr_pages);
		if (avail == len)
			rec->page_data = p + sizeof(struct ckpt_pages);
		break;
	case CKPT_REC_BASE_PAGES: {
		const struct ckpt_base_pages *b = &rec->u.base_pages;
		uint64_t bits;
		int i;

		if (len != sizeof(*b) + 8)
			return fail(r, -EINVAL, off,
				    "BASE_PAGES record of wrong size");
		memcpy(&rec->u.base_pages, p, sizeof(*b));
		if (r->swap)
			swap_base_pages(&rec->u.base_pages);
		bits = ckpt_get64(p + sizeof(*b), r->hdr.endian);
		if (!b->nr_pages || b->nr_pages > 64 || b->pad ||
		    (b->nr_pages < 64 && bits >> b->nr_pages) ||
		    (b->hash_type != CKPT_PAGES_XXH64 &&
		     b->hash_type != CKPT_PAGES_XXH32))
			return fail(r, -EINVAL, off,
				    "BASE_PAGES record: bad count, bits or hash type");
		if (b->offset % 8 || b->offset < sizeof(struct ckpt_image_hdr))
			return fail(r, -EINVAL, off,
				    "BASE_PAGES record: offset %#llx is no record's",
				    (unsigned long long)b->offset);
		rec->base_bits = bits;
		for (i = 0; i < 64; i++)
			rec->base_kept += (bits >> i) & 1;
		break;
	}
	case CKPT_REC_THREAD:
		if (len != sizeof(struct ckpt_thread))
			return fail(r, -EINVAL, off, "THREAD record of wrong size");
		memcpy(&rec->u.thread, p, sizeof(struct ckpt_thread));
		if (r->swap)
			swap_thread(&rec->u.thread);
		break;
	case CKPT_REC_REGS:
		switch (r->hdr.machine) {
		case EM_X86_64:
			if (len < sizeof(struct ckpt_regs_x86_64))
				return fail(r, -EINVAL, off, "REGS record too short");
			memcpy(&rec->u.x86_64, p, sizeof(struct ckpt_regs_x86_64));
			if (r->swap)
				swap_regs_x86_64(&rec->u.x86_64);
			if (rec->u.x86_64.xstate_size !=
			    len - sizeof(struct ckpt_regs_x86_64))
				return fail(r, -EINVAL, off,
					    "REGS record: xstate size %u does not match record length",
					    rec->u.x86_64.xstate_size);
			rec->xstate = p + sizeof(struct ckpt_regs_x86_64);
			rec->xstate_size = rec->u.x86_64.xstate_size;
			break;
		case EM_AARCH64:
			if (len != sizeof(struct ckpt_regs_arm64))
				return fail(r, -EINVAL, off, "REGS record of wrong size");
			memcpy(&rec->u.arm64, p, sizeof(struct ckpt_regs_arm64));
			if (r->swap)
				swap_regs_arm64(&rec->u.arm64);
			break;
		case EM_68K:
			if (len != sizeof(struct ckpt_regs_m68k))
				return fail(r, -EINVAL, off, "REGS record of wrong size");
			memcpy(&rec->u.m68k, p, sizeof(struct ckpt_regs_m68k));
			if (r->swap)
				swap_regs_m68k(&rec->u.m68k);
			break;
		default:
			/* unknown machine: raw payload only */
			break;
		}
		break;
	case CKPT_REC_PROC:
		return parse_proc(r, rec, p);
	case CKPT_REC_SIGHAND:
		return parse_sighand(r, rec, p);
	case CKPT_REC_SIGINFO:
		return parse_siginfo(r, rec, p);
	default:
		return fail(r, -EINVAL, off, "unknown record type %u",
			    rec->type);
	}
	return 0;
}

int ckpt_socket_has_tcp(const struct ckpt_socket *k)
{
	return (k->family == AF_INET || k->family == AF_INET6) &&
	       k->type == SOCK_STREAM && k->protocol == IPPROTO_TCP &&
	       (k->state == 1 /* TCP_ESTABLISHED */ ||
		k->state == 4 /* TCP_FIN_WAIT1 */ ||
		k->state == 5 /* TCP_FIN_WAIT2 */) &&
	       (k->flags & CKPT_SOCK_LIVE) && (k->flags & CKPT_SOCK_REMAKE) &&
	       k->addr_len && k->peer_len;
}

unsigned int ckpt_socket_waiting(const struct ckpt_socket *k)
{
	return ckpt_socket_has_tcp(k) ? k->backlog : 0;
}

/* Is the SOCKET record that of a TCP listener made again? */
static int socket_remade_listener(const struct ckpt_socket *k)
{
	return (k->family == AF_INET || k->family == AF_INET6) &&
	       k->type == SOCK_STREAM && k->protocol == IPPROTO_TCP &&
	       k->state == 10 /* TCP_LISTEN */ &&
	       (k->flags & CKPT_SOCK_REMAKE);
}

int ckpt_socket_has_msgs(const struct ckpt_socket *k)
{
	return (k->family == AF_INET || k->family == AF_INET6) &&
	       k->type == SOCK_DGRAM && k->protocol == IPPROTO_UDP &&
	       (k->flags & CKPT_SOCK_REMAKE);
}

unsigned int ckpt_record_msg_family(const struct ckpt_reader *r,
				    const struct ckpt_record *rec)
{
	if (rec->type != CKPT_REC_SOCK_MSG || !rec->sock_addr ||
	    rec->u.sock_msg.addr_len < 2)
		return 0;
	return ckpt_get16(rec->sock_addr, r->hdr.endian);
}

/*
 * The sender of a SOCK_MSG record, right after the SOCKET of its UDP
 * socket or its other SOCK_MSG records: an address of the socket's
 * family, as recvfrom() gives it there.
 */
static int check_sock_msg(struct ckpt_reader *r, const struct ckpt_record *rec)
{
	const struct ckpt_sock_msg *m = &rec->u.sock_msg;
	const char *fam = r->sock_family == AF_INET ? "AF_INET" : "AF_INET6";
	unsigned int want = r->sock_family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6);
	unsigned int family;

	if (m->addr_len != want)
		return fail(r, -EINVAL, rec->offset,
			    "SOCK_MSG record: a sender's address of %u bytes for an %s socket, not %u",
			    m->addr_len, fam, want);
	family = ckpt_record_msg_family(r, rec);
	if (family != r->sock_family)
		return fail(r, -EINVAL, rec->offset,
			    "SOCK_MSG record: a sender of family %u for an %s socket",
			    family, fam);
	return 0;
}

/* Where in the record order of linux/ckpt.h the reader is. */
enum { PH_PROC, PH_MM, PH_SIGNALS, PH_FDS, PH_THREADS, PH_MM_LAST };

static int out_of_order(struct ckpt_reader *r, const struct ckpt_record *rec,
			const char *why)
{
	return fail(r, -EINVAL, rec->offset, "%s record after %s: %s",
		    ckpt_rec_type_name(rec->type),
		    r->last_type ? ckpt_rec_type_name(r->last_type) :
		    "the header", why);
}

/*
 * The order: PROC; FILE, MM, VMA, PAGES; SIGHAND; SIGINFO...; FILE, FD...;
 * THREAD REGS for each thread, the leader first; END.  A dump with
 * CKPT_DUMP_COW writes the address space (FILE, MM, VMA, PAGES) after the
 * threads instead, before END (since 5.4, image version 13).  An established TCP
 * connection's SOCKET is followed by its TCP record, then by exactly the
 * bytes of its queues in SOCK_DATA records; so are those of the
 * connections waiting in a TCP listener's backlog, after the listener's
 * SOCKET in their order; the SOCK_MSG records of a UDP socket made again
 * follow its SOCKET.
 */
static int check_order(struct ckpt_reader *r, const struct ckpt_record *rec)
{
	uint32_t type = rec->type;

	if (r->phase == PH_PROC && type != CKPT_REC_PROC)
		return out_of_order(r, rec, "the first record must be PROC");
	if (r->last_type == CKPT_REC_THREAD && type != CKPT_REC_REGS)
		return out_of_order(r, rec, "a THREAD must be followed by its REGS");
	if (r->last_type == CKPT_REC_SOCKET && r->sock_tcp &&
	    type != CKPT_REC_TCP)
		return out_of_order(r, rec,
				    "an established TCP SOCKET with REMAKE must be followed by its TCP record");
	if (r->tcp_data && type != CKPT_REC_SOCK_DATA) {
		if (r->tcp_left)
			return fail(r, -EINVAL, rec->offset,
				    "%s record: the TCP connection of socket %u still has %llu bytes of SOCK_DATA to come",
				    ckpt_rec_type_name(type), r->sock_id,
				    (unsigned long long)r->tcp_left);
		r->tcp_data = 0;
	}
	/* a listener's waiting connections come right after it */
	if (type != CKPT_REC_SOCKET && type != CKPT_REC_TCP &&
	    type != CKPT_REC_SOCK_DATA)
		r->listener_id = 0;

	switch (type) {
	case CKPT_REC_PROC:
		if (r->phase != PH_PROC)
			return out_of_order(r, rec, "only one PROC record, the first");
		r->proc_pid = rec->u.proc.pid;
		r->proc_threads = rec->u.proc.nr_threads;
		r->phase = PH_MM;
		break;
	case CKPT_REC_PIPE:
		if (r->phase != PH_SIGNALS && r->phase != PH_FDS)
			return out_of_order(r, rec,
					    "pipes come with the file table");
		r->phase = PH_FDS;
		break;
	case CKPT_REC_CHILD:
		if (r->last_type != CKPT_REC_PROC &&
		    r->last_type != CKPT_REC_CHILD)
			return out_of_order(r, rec,
					    "CHILD records come right after PROC");
		break;
	case CKPT_REC_EVENTFD:
	case CKPT_REC_SIGNALFD:
	case CKPT_REC_MEMFD:
	case CKPT_REC_TIMERFD:
	case CKPT_REC_SOCKET:
		if (type == CKPT_REC_SOCKET &&
		    ckpt_socket_waiting(&rec->u.socket)) {
			const struct ckpt_socket *k = &rec->u.socket;

			if (!r->listener_id || k->id != r->listener_id)
				return out_of_order(r, rec,
						    "a TCP connection waiting in a backlog follows its listener's SOCKET or the connection before it");
			if (k->backlog != r->nr_waiting + 1)
				return fail(r, -EINVAL, rec->offset,
					    "SOCKET record: a TCP connection at place %u in the backlog of socket %u, after %u",
					    k->backlog, k->id, r->nr_waiting);
			r->nr_waiting++;
		} else if (r->last_type != CKPT_REC_FILE) {
			return out_of_order(r, rec,
					    "EVENTFD, SIGNALFD, MEMFD, TIMERFD and SOCKET follow their FILE");
		} else if (type == CKPT_REC_SOCKET &&
			   socket_remade_listener(&rec->u.socket)) {
			r->listener_id = rec->u.socket.id;
			r->nr_waiting = 0;
		}
		if (type == CKPT_REC_SOCKET) {
			r->sock_id = rec->u.socket.id;
			r->sock_tcp = ckpt_socket_has_tcp(&rec->u.socket);
			r->sock_family = rec->u.socket.family;
			r->sock_udp = ckpt_socket_has_msgs(&rec->u.socket);
		}
		break;
	case CKPT_REC_SOCK_MSG: {
		int ret;

		if ((r->last_type != CKPT_REC_SOCKET &&
		     r->last_type != CKPT_REC_SOCK_MSG) || !r->sock_udp)
			return out_of_order(r, rec,
					    "SOCK_MSG follows the SOCKET of a UDP socket with REMAKE or its other SOCK_MSG records");
		if (rec->u.sock_msg.id != r->sock_id)
			return fail(r, -EINVAL, rec->offset,
				    "SOCK_MSG record of socket %u after the SOCKET record of %u",
				    rec->u.sock_msg.id, r->sock_id);
		ret = check_sock_msg(r, rec);
		if (ret)
			return ret;
		break;
	}
	case CKPT_REC_TCP:
		if (r->last_type != CKPT_REC_SOCKET || !r->sock_tcp)
			return out_of_order(r, rec,
					    "TCP follows the SOCKET of an established TCP connection with REMAKE");
		if (rec->u.tcp.id != r->sock_id)
			return fail(r, -EINVAL, rec->offset,
				    "TCP record of socket %u after the SOCKET record of %u",
				    rec->u.tcp.id, r->sock_id);
		r->tcp_data = 1;
		r->tcp_left = (uint64_t)rec->u.tcp.rcv_len + rec->u.tcp.snd_len;
		break;
	case CKPT_REC_SOCK_DATA:
		if (r->tcp_data) {
			const struct ckpt_sock_data *d = &rec->u.sock_data;

			if (d->id != r->sock_id)
				return fail(r, -EINVAL, rec->offset,
					    "SOCK_DATA record of socket %u after the TCP record of %u",
					    d->id, r->sock_id);
			if (d->len > r->tcp_left)
				return fail(r, -EINVAL, rec->offset,
					    "SOCK_DATA record: %u bytes, but the TCP record of socket %u has %llu more",
					    d->len, d->id,
					    (unsigned long long)r->tcp_left);
			r->tcp_left -= d->len;
			break;
		}
		if (r->last_type != CKPT_REC_SOCKET &&
		    r->last_type != CKPT_REC_SOCK_DATA)
			return out_of_order(r, rec,
					    "SOCK_DATA follows its pair's SOCKET records or its TCP record");
		break;
	case CKPT_REC_EPOLL_ITEM:
		if (r->last_type != CKPT_REC_FILE &&
		    r->last_type != CKPT_REC_EPOLL_ITEM)
			return out_of_order(r, rec,
					    "EPOLL_ITEM must follow its epoll's FILE");
		break;
	case CKPT_REC_FILE_DATA:
		if (r->last_type != CKPT_REC_FILE &&
		    r->last_type != CKPT_REC_MEMFD &&
		    r->last_type != CKPT_REC_FILE_DATA)
			return out_of_order(r, rec,
					    "FILE_DATA must follow its FILE");
		break;
	case CKPT_REC_FILE:
		if (r->phase == PH_SIGNALS || r->phase == PH_FDS) {
			r->phase = PH_FDS;	/* the files of the fd table */
			break;
		}
		/* fall through */
	case CKPT_REC_MM:
	case CKPT_REC_VMA:
	case CKPT_REC_PAGES:
	case CKPT_REC_BASE_PAGES:
		/* or after the threads, from a copy-on-write dump */
		if (r->phase == PH_THREADS && !r->seen_mm)
			r->phase = PH_MM_LAST;
		if (r->phase != PH_MM && r->phase != PH_MM_LAST)
			return out_of_order(r, rec,
					    "the address space comes before SIGHAND or after the threads");
		if (type == CKPT_REC_MM) {
			if (r->seen_mm)
				return out_of_order(r, rec, "only one MM record");
			r->seen_mm = 1;
		} else if (type == CKPT_REC_VMA) {
			if (rec->u.vma.start >= rec->u.vma.end)
				return fail(r, -EINVAL, rec->offset,
					    "VMA record with end %#llx not above start %#llx",
					    (unsigned long long)rec->u.vma.end,
					    (unsigned long long)rec->u.vma.start);
			r->vma_start = rec->u.vma.start;
			r->vma_end = rec->u.vma.end;
		} else if (type == CKPT_REC_BASE_PAGES) {
			uint64_t a = rec->u.base_pages.addr;
			uint64_t n = (uint64_t)rec->u.base_pages.nr_pages *
				     r->hdr.page_size;

			if (!(r->hdr.flags & CKPT_DUMP_DIFF))
				return out_of_order(r, rec,
						    "BASE_PAGES only in a diff (CKPT_DUMP_DIFF)");
			if (r->last_type != CKPT_REC_VMA &&
			    r->last_type != CKPT_REC_BASE_PAGES)
				return out_of_order(r, rec,
						    "BASE_PAGES must follow their VMA, before its PAGES");
			if (a < r->vma_start || a > r->vma_end ||
			    n > r->vma_end - a)
				return fail(r, -EINVAL, rec->offset,
					    "BASE_PAGES record at %#llx outside its VMA",
					    (unsigned long long)a);
		} else if (type == CKPT_REC_PAGES) {
			uint64_t a = rec->u.pages.addr;
			uint64_t n = (uint64_t)rec->u.pages.nr_pages *
				     r->hdr.page_size;

			if (r->last_type != CKPT_REC_VMA &&
			    r->last_type != CKPT_REC_PAGES &&
			    r->last_type != CKPT_REC_BASE_PAGES)
				return out_of_order(r, rec,
						    "PAGES must follow their VMA");
			if (a < r->vma_start || a > r->vma_end ||
			    n > r->vma_end - a)
				return fail(r, -EINVAL, rec->offset,
					    "PAGES record at %#llx (%u pages) outside its VMA %#llx-%#llx",
					    (unsigned long long)a,
					    rec->u.pages.nr_pages,
					    (unsigned long long)r->vma_start,
					    (unsigned long long)r->vma_end);
		}
		break;
	case CKPT_REC_SIGHAND:
		if (r->phase != PH_MM)
			return out_of_order(r, rec,
					    "one SIGHAND record, after the address space");
		r->phase = PH_SIGNALS;
		break;
	case CKPT_REC_SIGINFO:
		if (r->phase != PH_SIGNALS)
			return out_of_order(r, rec,
					    "pending signals come after SIGHAND, before the file table");
		break;
	case CKPT_REC_FD:
		if (r->phase != PH_SIGNALS && r->phase != PH_FDS)
			return out_of_order(r, rec,
					    "the file table comes after the signals, before the threads");
		if (r->nr_fds && rec->u.fd.fd <= r->last_fd)
			return fail(r, -EINVAL, rec->offset,
				    "FD record: fd %u after fd %u", rec->u.fd.fd,
				    r->last_fd);
		r->last_fd = rec->u.fd.fd;
		r->nr_fds++;
		r->phase = PH_FDS;
		break;
	case CKPT_REC_THREAD:
		if (r->phase != PH_SIGNALS && r->phase != PH_FDS &&
		    r->phase != PH_THREADS)
			return out_of_order(r, rec,
					    "threads come after SIGHAND and the pending signals");
		if (r->nr_threads == 0 && rec->u.thread.tid != r->proc_pid)
			return fail(r, -EINVAL, rec->offset,
				    "first THREAD is tid %u, not the process's pid %u",
				    rec->u.thread.tid, r->proc_pid);
		r->nr_threads++;
		r->phase = PH_THREADS;
		break;
	case CKPT_REC_REGS:
		if (r->last_type != CKPT_REC_THREAD)
			return out_of_order(r, rec,
					    "REGS must follow their THREAD");
		break;
	case CKPT_REC_END:
		if (r->phase != PH_THREADS && r->phase != PH_MM_LAST)
			return out_of_order(r, rec, "the image has no threads");
		if (!r->seen_mm)
			return out_of_order(r, rec, "the image has no MM record");
		if (r->nr_threads != r->proc_threads)
			return fail(r, -EINVAL, rec->offset,
				    "the image has %u THREAD records, its PROC record says %u",
				    r->nr_threads, r->proc_threads);
		break;
	}
	r->last_type = type;
	return 0;
}

/* The bytes of a record of @type and @len the CRC covers, padding aside. */
static size_t pages_crc_len(uint32_t type, uint32_t len)
{
	if (type == CKPT_REC_PAGES && len > sizeof(struct ckpt_pages))
		return sizeof(struct ckpt_pages);
	return len;
}

static int pages_hash_mismatch(struct ckpt_reader *r, uint64_t off)
{
	return fail(r, -EBADMSG, off,
		    "PAGES record: the page bytes do not match their hash (damaged image)");
}

int ckpt_reader_next(struct ckpt_reader *r, struct ckpt_record *rec)
{
	unsigned char rh[sizeof(struct ckpt_rec_hdr)];
	const unsigned char *p = NULL;
	uint64_t off;
	uint32_t type, len, stored, crc, padded_extra;
	static const unsigned char zeros[8];
	struct pages_hash data_hash;
	long long n;
	int ret;

	if (r->state == ST_HDR) {
		ret = ckpt_reader_header(r);
		if (ret)
			return ret;
	}
	if (r->state == ST_ERROR)
		return r->err;
	if (r->state == ST_DONE)
		return 0;

	memset(rec, 0, sizeof(*rec));
	off = r->off;
	rec->offset = off;

	n = src_read(r, rh, sizeof(rh), &p);
	if (n < 0)
		return fail(r, (int)n, off, "read error: %s", strerror((int)-n));
	if (n == 0)
		return fail(r, -EBADMSG, off,
			    "image ends without an END record (truncated?)");
	if (n < (long long)sizeof(rh))
		return fail(r, -EBADMSG, off, "image truncated in a record header");
	if (p != rh)
		memcpy(rh, p, sizeof(rh));

	type = ckpt_get32(rh, r->hdr.endian);
	len = ckpt_get32(rh + 4, r->hdr.endian);
	stored = ckpt_get32(rh + 8, r->hdr.endian);
	memset(rh + 8, 0, 4);
	crc = ckpt_crc32(r->crc, rh, sizeof(rh));
	rec->type = type;
	rec->len = len;
	rec->crc = stored;
	padded_extra = (8 - (len & 7)) & 7;

	if (r->mem) {
		uint64_t need = (uint64_t)len + padded_extra;
		uint64_t avail = r->mem_len - r->off;

		if (need > avail)
			return fail(r, -EBADMSG, off,
				    "%s record of %u bytes runs past the end of the image (truncated?)",
				    ckpt_rec_type_name(type), len);
		p = r->mem + r->off;
		/* of PAGES, the CRC stops at struct ckpt_pages: @hash goes on */
		crc = ckpt_crc32(crc, p, pages_crc_len(type, len));
		crc = ckpt_crc32(crc, p + len, padded_extra);
		r->off += need;
		if (crc != stored)
			return fail(r, -EBADMSG, off,
				    "%s record: checksum mismatch (damaged image)",
				    ckpt_rec_type_name(type));
		if (padded_extra && memcmp(p + len, zeros, padded_extra))
			return fail(r, -EINVAL, off, "non-zero record padding");
		ret = parse_payload(r, rec, p, len);
		if (ret)
			return ret;
		if (type == CKPT_REC_PAGES &&
		    pages_hash(rec->u.pages.hash_type,
			       p + sizeof(struct ckpt_pages),
			       len - sizeof(struct ckpt_pages)) !=
		    rec->u.pages.hash)
			return pages_hash_mismatch(r, off);
		rec->payload = p;
	} else {
		/* stream: buffer small payloads, stream page contents */
		uint32_t keep = len;
		unsigned char pad[8];

		if (type == CKPT_REC_PAGES)
			keep = len < sizeof(struct ckpt_pages) ?
				len : (uint32_t)sizeof(struct ckpt_pages);
		else if (len > MAX_SMALL_PAYLOAD)
			return fail(r, -EINVAL, off,
				    "%s record of %u bytes is implausibly large",
				    ckpt_rec_type_name(type), len);
		if (ensure_buf(r, (size_t)keep + 1) < 0)
			return fail(r, -ENOMEM, off, "out of memory");
		n = src_read(r, r->buf, keep, NULL);
		if (n < 0)
			return fail(r, (int)n, off, "read error: %s",
				    strerror((int)-n));
		if ((uint64_t)n < keep)
			return fail(r, -EBADMSG, off,
				    "%s record truncated (image ends after %llu bytes)",
				    ckpt_rec_type_name(type),
				    (unsigned long long)r->off);
		crc = ckpt_crc32(crc, r->buf, keep);
		/* its type is checked by parse_payload(), once the CRC is */
		if (type == CKPT_REC_PAGES && keep == sizeof(struct ckpt_pages))
			pages_hash_init(&data_hash, ckpt_get32(r->buf +
					offsetof(struct ckpt_pages, hash_type),
					r->hdr.endian));
		if (keep < len) {
			uint32_t left = len - keep;
			unsigned char chunk[16384];

			while (left) {
				size_t c = left < sizeof(chunk) ? left : sizeof(chunk);

				n = src_read(r, chunk, c, NULL);
				if (n < 0)
					return fail(r, (int)n, off, "read error: %s",
						    strerror((int)-n));
				if ((size_t)n < c)
					return fail(r, -EBADMSG, off,
						    "%s record truncated (image ends after %llu bytes)",
						    ckpt_rec_type_name(type),
						    (unsigned long long)r->off);
				pages_hash_update(&data_hash, chunk, c);
				left -= (uint32_t)c;
			}
		}
		n = src_read(r, pad, padded_extra, NULL);
		if (n < 0)
			return fail(r, (int)n, off, "read error: %s",
				    strerror((int)-n));
		if (n < padded_extra)
			return fail(r, -EBADMSG, off,
				    "%s record truncated in its padding",
				    ckpt_rec_type_name(type));
		crc = ckpt_crc32(crc, pad, padded_extra);
		if (crc != stored)
			return fail(r, -EBADMSG, off,
				    "%s record: checksum mismatch (damaged image)",
				    ckpt_rec_type_name(type));
		if (padded_extra && memcmp(pad, zeros, padded_extra))
			return fail(r, -EINVAL, off, "non-zero record padding");
		r->buf[keep] = 0;
		ret = parse_payload(r, rec, r->buf, keep);
		if (ret)
			return ret;
		if (type == CKPT_REC_PAGES &&
		    pages_hash_final(&data_hash) != rec->u.pages.hash)
			return pages_hash_mismatch(r, off);
		rec->payload = type == CKPT_REC_PAGES ? NULL : r->buf;
	}
	ret = check_order(r, rec);
	if (ret)
		return ret;
	r->crc = crc;
	r->nr_records++;
	if (type == CKPT_REC_PAGES)
		r->nr_pages += rec->u.pages.nr_pages;

	if (type == CKPT_REC_END) {
		unsigned char extra;

		n = src_read(r, &extra, 1, NULL);
		if (n < 0)
			return fail(r, (int)n, r->off, "read error: %s",
				    strerror((int)-n));
		if (n > 0)
			return fail(r, -EBADMSG, r->off - 1,
				    "data after the END record");
		r->state = ST_DONE;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Compatibility with the running machine */

unsigned int ckpt_host_machine(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return EM_X86_64;
#elif defined(__aarch64__) && !defined(__ILP32__)
	return EM_AARCH64;
#elif defined(__m68k__)
	return EM_68K;
#else
	return 0;
#endif
}

static const char *endian_name(int endian)
{
	return endian == CKPT_ENDIAN_BIG ? "big-endian" : "little-endian";
}

int ckpt_image_compatible(const struct ckpt_image_hdr *h, unsigned int machine,
			  int endian, unsigned int word_size,
			  unsigned int page_size, char *msg, size_t msg_len)
{
	if (h->machine != machine || h->endian != endian ||
	    h->word_size != word_size) {
		snprintf(msg, msg_len,
			 "the image was made on %s (%s, %u-bit); this machine is %s (%s, %u-bit)",
			 ckpt_machine_name(h->machine), endian_name(h->endian),
			 h->word_size * 8u, ckpt_machine_name(machine),
			 endian_name(endian), word_size * 8u);
		return -ENOEXEC;
	}
	if (h->page_size != page_size) {
		snprintf(msg, msg_len,
			 "the image was made with %u-byte pages; this kernel uses %u-byte pages",
			 h->page_size, page_size);
		return -ENOEXEC;
	}
	if (msg_len)
		msg[0] = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reseal */

int ckpt_image_reseal(void *buf, size_t len)
{
	unsigned char *b = buf;
	struct ckpt_image_hdr *h = buf;
	size_t off, fixed, crcoff = offsetof(struct ckpt_image_hdr, crc);
	uint32_t crc, rlen, type;
	unsigned char *data;
	int endian, count = 0;

	if (len < HDR_SIZE)
		return -EBADMSG;
	endian = h->endian;
	if (endian != CKPT_ENDIAN_LITTLE && endian != CKPT_ENDIAN_BIG)
		endian = ckpt_host_endian();
	memset(b + crcoff, 0, 4);
	crc = ckpt_crc32(0, b, HDR_SIZE);
	ckpt_put32(b + crcoff, endian, crc);

	off = HDR_SIZE;
	while (len - off >= REC_HDR_SIZE) {
		uint64_t need;
		unsigned char rh[sizeof(struct ckpt_rec_hdr)];

		rlen = ckpt_get32(b + off + 4, endian);
		need = (uint64_t)rlen + ((8 - (rlen & 7)) & 7);
		if (need > len - off - REC_HDR_SIZE)
			break;
		memcpy(rh, b + off, sizeof(rh));
		memset(rh + 8, 0, 4);
		type = ckpt_get32(rh, endian);
		data = b + off + REC_HDR_SIZE;
		fixed = pages_crc_len(type, rlen);
		/* a PAGES record's hash of its page bytes, then the CRC */
		if (fixed < rlen)
			ckpt_put64(data + offsetof(struct ckpt_pages, hash),
				   endian, pages_hash(ckpt_get32(data +
					offsetof(struct ckpt_pages, hash_type),
					endian), data + fixed, rlen - fixed));
		crc = ckpt_crc32(crc, rh, sizeof(rh));
		crc = ckpt_crc32(crc, data, fixed);
		crc = ckpt_crc32(crc, data + rlen, (size_t)need - rlen);
		ckpt_put32(b + off + 8, endian, crc);
		off += REC_HDR_SIZE + (size_t)need;
		count++;
	}
	return count;
}
