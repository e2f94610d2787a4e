/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ckpt: definitions shared by the files of kernel/ckpt/.
 */
#ifndef _KERNEL_CKPT_INTERNAL_H
#define _KERNEL_CKPT_INTERNAL_H

#include <linux/errno.h>
#include <linux/types.h>
#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/xxhash.h>
#include <net/tcp_states.h>
#include <uapi/linux/ckpt.h>

/*
 * Records are built whole in the context buffer, so that the CRC in their
 * header covers them; a PAGES record holds as many pages as fit.
 */
#define CKPT_BUF_SIZE		(256 * 1024)
#define CKPT_REC_MAX		(CKPT_BUF_SIZE - sizeof(struct ckpt_rec_hdr) - 8)
#define CKPT_PAGES_PER_REC	((CKPT_REC_MAX - sizeof(struct ckpt_pages)) / PAGE_SIZE)

/* Limits on what an image may ask for. */
#define CKPT_MAX_OBJS		65536
#define CKPT_MAX_VMAS		65536
#define CKPT_MAX_THREADS	4096
#define CKPT_MAX_SIGINFO	65536

/* The most REGS payload any architecture writes (x86 XSAVE included). */
#define CKPT_REGS_MAX		(64 * 1024)

/**
 * struct ckpt_obj - an image-local object id and what it stands for
 * @id: the id in the image
 * @file: the file (a reference is held)
 * @rec: on restore, the file's record, for checks by its users
 * @peer: on restore, a rebuilt pipe's write end (@file is its read end);
 *	an unlinked file's file open for writing its content
 * @ends: the ends of that pipe given to FILE records: 1 read, 2 write
 * @live: the live open file that pipe's ends are kept on instead, if any
 *	(borrowed: the object of that end holds it)
 * @seals: on restore, a memfd's F_SEAL_* from its MEMFD record, added by
 *	ckpt_memfd_precommit(); -1 before that record
 * @path: on restore, a FIFO's path, reopened by when no live end of it is
 *	found at the descriptor (ckpt_reopen_fifo())
 * @swap: on restore, a file with its content: how it takes the place of
 *	the file at its path at the commit (filedata.c)
 * @sock: on restore, a socket staged, made by ckpt_socket_precommit()
 */
struct ckpt_obj {
	u32 id;
	struct file *file;
	struct ckpt_file rec;
	struct file *peer;
	unsigned int ends;
	struct file *live;
	int seals;
	char *path;
	struct ckpt_swap *swap;
	struct ckpt_sock_stage *sock;
};

struct ckpt_pipe_seen;
struct ckpt_tcp_held;

/**
 * struct ckpt_times - where the time of a dump or restore went, in ns
 * @on: the trace event is enabled: the clock is read (else all stay 0)
 * @start: the clock at the start of the call
 * @total: the whole call, once it ends (ckpt_times_end())
 * @stop: stopping the threads of the process (ckpt_quiesce())
 * @held: the threads held still, from stopped to released
 * @mm: the address space's records, but for their I/O and hashing
 * @io: reading or writing the image
 * @hash: the hash of page data
 * @commit: on restore, ckpt_commit()
 *
 * @stop, @mm, @io, @hash and @commit do not overlap; @held holds some of
 * each.  The ckpt_dump and ckpt_restore trace events show them (trace.h).
 */
struct ckpt_times {
	bool on;
	u64 start;
	u64 total;
	u64 stop;
	u64 held;
	u64 mm;
	u64 io;
	u64 hash;
	u64 commit;
};

/*
 * The hash of page data a dump writes (struct ckpt_pages): XXH64, but XXH32
 * where a long has 32 bits, since XXH64's 64-bit multiplies cost such a
 * CPU more than the copy (m68k: three quarters of a dump).  A restore
 * checks either.
 */
#if BITS_PER_LONG == 64
#define CKPT_PAGES_HASH		CKPT_PAGES_XXH64
#else
#define CKPT_PAGES_HASH		CKPT_PAGES_XXH32
#endif

/* The state of a hash of page data, of either type. */
struct ckpt_pages_hash {
	u32 type;
	union {
		struct xxh64_state h64;
		struct xxh32_state h32;
	};
};

/**
 * struct ckpt_base_run - where a PAGES record of a base image went
 * @addr: its struct ckpt_pages' fields
 * @offset: the file offset of its header
 * @hash: as @addr
 * @nr_pages: as @addr
 * @hash_type: as @addr
 */
struct ckpt_base_run {
	u64 addr;
	u64 offset;
	u64 hash;
	u32 nr_pages;
	u32 hash_type;
};

/**
 * struct ckpt_base - a base for differential dumps (base.c)
 * @mm: the copy of the address space the image's pages were written from
 * @image: the image, opened again for reading
 * @pid: the process
 * @runs: the image's PAGES records of anonymous mappings, in address order
 * @nr_runs: entries in @runs
 * @max_runs: room in @runs
 *
 * Nothing changes it once the dump is done.
 */
struct ckpt_base {
	struct mm_struct *mm;
	struct file *image;
	struct pid *pid;
	struct ckpt_base_run *runs;
	unsigned int nr_runs;
	unsigned int max_runs;
};

/**
 * struct ckpt_ctx - the state of one dump or restore
 * @file: the image (a reference is held)
 * @crc: running CRC-32 (the raw crc32_le() state) of the image so far
 * @pages_hash: the hash of the page bytes of the PAGES record being read
 * @pos: bytes of image written or consumed
 * @buf: record buffer (dump) or read buffer (restore)
 * @len: bytes used in @buf (dump) or bytes valid in @buf (restore)
 * @off: bytes of @buf consumed (restore)
 * @rec: offset of the record being built in @buf (dump)
 * @left: bytes of the current record's payload and padding not yet read
 * @start: file position of the image's first byte (restore)
 * @size: bytes of @buf
 * @task: the process dumped or restored (its group leader, or current)
 * @cred: in a rollback of another process, its credentials (a reference)
 * @flags: the syscall's flags
 * @in_place: a restore rolls back another process (ctx->task) in place
 * @pos_locked: @file's f_pos_lock is held
 * @objs: object table
 * @nr_objs: entries in @objs
 * @max_objs: room in @objs
 * @pipes: on dump, the pipes the descriptors are on (pipe.c)
 * @nr_pipes: entries in @pipes
 * @max_pipes: room in @pipes
 * @files: on dump, the process's file table, while ckpt_dump_fds() runs
 * @sock_bytes: the bytes queued in the sockets checked (dump) or staged
 *	(restore) so far
 * @file_data_max: on dump, the bound of %CKPT_DUMP_FILE_DATA, else 0
 * @file_data_left: on dump, the bytes of file content the bound still allows
 * @data_inodes: on dump, the files whose content the image carries
 *	(filedata.c)
 * @nr_data_inodes: entries in @data_inodes
 * @max_data_inodes: room in @data_inodes
 * @tcp_held: on a dump with %CKPT_DUMP_KILL, the TCP connections whose
 *	peers are held back (tcp.c)
 * @nr_tcp_held: entries in @tcp_held
 * @max_tcp_held: room in @tcp_held
 * @epoll_items: on restore, what the epolls made watch (epoll.c)
 * @nr_epoll_items: entries in @epoll_items
 * @max_epoll_items: room in @epoll_items
 * @held_mm: on restore from a snapshot, the copy of the address space it
 *	keeps, whence the private pages come (snapshot.c)
 * @base: on a dump with %CKPT_DUMP_BASE, the base it makes; with
 *	%CKPT_DUMP_DIFF, the base it is against (base.c)
 * @base_file: on a dump with %CKPT_DUMP_DIFF, the object id of the base
 *	image's FILE record
 * @diff: on restore, the image is one of %CKPT_DUMP_DIFF
 * @times: where the time went, while the trace event is enabled
 */
struct ckpt_ctx {
	struct file *file;
	u32 crc;
	struct ckpt_pages_hash pages_hash;
	u64 pos;
	void *buf;
	size_t len;
	size_t off;
	size_t rec;
	size_t left;
	loff_t start;
	size_t size;
	struct task_struct *task;
	const struct cred *cred;
	unsigned int flags;
	bool in_place;
	bool pos_locked;
	struct ckpt_obj *objs;
	unsigned int nr_objs;
	unsigned int max_objs;
	struct ckpt_pipe_seen *pipes;
	unsigned int nr_pipes;
	unsigned int max_pipes;
	struct files_struct *files;
	u64 sock_bytes;
	u64 file_data_max;
	u64 file_data_left;
	struct inode **data_inodes;
	unsigned int nr_data_inodes;
	unsigned int max_data_inodes;
	struct ckpt_tcp_held *tcp_held;
	unsigned int nr_tcp_held;
	unsigned int max_tcp_held;
	struct ckpt_epoll_item *epoll_items;
	unsigned int nr_epoll_items;
	unsigned int max_epoll_items;
	struct mm_struct *held_mm;
	struct ckpt_base *base;
	u32 base_file;
	bool diff;
	struct ckpt_times times;
};

/* The clock for ctx->times: 0 unless its trace event was enabled. */
static inline u64 ckpt_clock(const struct ckpt_ctx *ctx)
{
	return ctx->times.on ? ktime_get_ns() : 0;
}

/* Start timing a call if its trace event is @enabled. */
static inline void ckpt_times_begin(struct ckpt_ctx *ctx, bool enabled)
{
	ctx->times.on = enabled;
	ctx->times.start = ckpt_clock(ctx);
}

/* The call ends: its total time; whether it was timed, for its event. */
static inline bool ckpt_times_end(struct ckpt_ctx *ctx)
{
	ctx->times.total = ckpt_clock(ctx) - ctx->times.start;
	return ctx->times.on;
}

/*
 * Time a phase that may read or write the image and hash pages: what
 * ckpt_phase_end() adds to @phase leaves out the time those took.
 */
static inline u64 ckpt_phase_begin(const struct ckpt_ctx *ctx)
{
	return ckpt_clock(ctx) - ctx->times.io - ctx->times.hash;
}

static inline void ckpt_phase_end(struct ckpt_ctx *ctx, u64 *phase, u64 begin)
{
	*phase += ckpt_phase_begin(ctx) - begin;
}

/* image.c */
int ckpt_ctx_init(struct ckpt_ctx *ctx, struct file *file);
int ckpt_ctx_init_mem(struct ckpt_ctx *ctx, size_t size);
int ckpt_ctx_lock_pos(struct ckpt_ctx *ctx);
void ckpt_ctx_unlock_pos(struct ckpt_ctx *ctx);
int ckpt_write_recs(struct ckpt_ctx *ctx, const void *recs, size_t len);
int ckpt_grow(void **p, unsigned int *max, size_t size);
void ckpt_ctx_fini(struct ckpt_ctx *ctx);
int ckpt_write_image_hdr(struct ckpt_ctx *ctx);
void *ckpt_rec_begin(struct ckpt_ctx *ctx, u32 type, size_t max_len);
void ckpt_rec_end(struct ckpt_ctx *ctx, size_t len);
int ckpt_rec_end_pages(struct ckpt_ctx *ctx, size_t len, struct page **pages,
		       unsigned int nr, u64 *hash);
int ckpt_write_rec(struct ckpt_ctx *ctx, u32 type, const void *data, size_t len);
int ckpt_flush(struct ckpt_ctx *ctx);
int ckpt_read_image_hdr(struct ckpt_ctx *ctx);
int ckpt_read_rec_hdr(struct ckpt_ctx *ctx, struct ckpt_rec_hdr *h);
int ckpt_read(struct ckpt_ctx *ctx, void *dst, size_t len);
int ckpt_read_pages(struct ckpt_ctx *ctx, struct page **pages,
		    unsigned int nr);
int ckpt_read_pages_begin(struct ckpt_ctx *ctx, u32 hash_type);
int ckpt_pages_hash_begin(struct ckpt_pages_hash *x, u32 hash_type);
u64 ckpt_pages_hash_end(const struct ckpt_pages_hash *x);
int ckpt_read_base_pages(struct ckpt_ctx *ctx, struct file *file, loff_t *pos,
			 struct page **pages, unsigned int nr,
			 struct ckpt_pages_hash *x);
bool ckpt_read_pages_end(struct ckpt_ctx *ctx, u64 hash);
int ckpt_read_rec_end(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_rec_fail(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h, int err);
void *ckpt_read_payload(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h,
			size_t min, size_t max);
void ckpt_read_done(struct ckpt_ctx *ctx);

/* objid.c */
int ckpt_obj_insert(struct ckpt_ctx *ctx, u32 id, struct file *file);
u32 ckpt_obj_find_id(struct ckpt_ctx *ctx, struct file *file);
struct ckpt_obj *ckpt_obj_find(struct ckpt_ctx *ctx, u32 id);
void ckpt_obj_release(struct ckpt_ctx *ctx);

/* files.c */
int ckpt_check_file(struct ckpt_ctx *ctx, struct file *file, int fd);
int ckpt_dump_file(struct ckpt_ctx *ctx, struct file *file, int fd, u32 *id);
int ckpt_restore_file(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
bool ckpt_same_file(const struct ckpt_file *rec, struct inode *inode);
bool ckpt_file_unchanged(const struct ckpt_obj *obj);
const char *ckpt_file_where(char *buf, size_t len, int fd);
struct file *ckpt_reopen_path(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
			      const char *path);

/* filedata.c: files whose content is in the image */
int ckpt_check_unlinked(struct ckpt_ctx *ctx, struct file *file, int fd,
			const char *path);
struct ckpt_obj *ckpt_unlinked_first(struct ckpt_ctx *ctx, struct file *file);
int ckpt_dump_file_data(struct ckpt_ctx *ctx, struct file *file, u32 id,
			loff_t size);
struct file *ckpt_make_unlinked(struct ckpt_ctx *ctx,
				const struct ckpt_file *rec, const char *path,
				struct file **maker);
struct file *ckpt_reopen_unlinked(struct ckpt_ctx *ctx,
				  const struct ckpt_file *rec);
int ckpt_restore_file_data(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_check_file_data(struct ckpt_ctx *ctx, struct file *file, int fd,
			 const char *path);
bool ckpt_has_file_data(const struct ckpt_ctx *ctx, struct file *file);
int ckpt_charge_file_data(struct ckpt_ctx *ctx, loff_t size, int fd,
			  const char *path);
struct file *ckpt_make_content(struct ckpt_ctx *ctx,
			       const struct ckpt_file *rec, const char *path,
			       struct file **maker, struct ckpt_swap **swap);
int ckpt_swap_files(struct ckpt_ctx *ctx);
void ckpt_unswap_files(struct ckpt_ctx *ctx);
void ckpt_swap_release(struct ckpt_swap *sw);

/* epoll.c */
struct ckpt_epoll_walk;
struct files_struct;
bool ckpt_is_epoll(struct file *file);
int ckpt_check_epoll(struct ckpt_ctx *ctx, struct files_struct *files,
		     struct file *file, int fd);
struct ckpt_epoll_walk *ckpt_dump_epoll_files(struct ckpt_ctx *ctx,
					      struct file *file, int fd);
int ckpt_dump_epoll_items(struct ckpt_ctx *ctx, struct ckpt_epoll_walk *w,
			  u32 id);
void ckpt_epoll_walk_free(struct ckpt_epoll_walk *w);
int ckpt_restore_epoll_item(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_epoll_precommit(struct ckpt_ctx *ctx,
			 bool (*has_fd)(void *arg, u32 fd, u32 file), void *arg);

/* memfd.c */
bool ckpt_is_memfd(struct file *file);
int ckpt_dump_memfd(struct ckpt_ctx *ctx, struct file *file, u32 id,
		    loff_t size);
struct file *ckpt_make_memfd(struct ckpt_ctx *ctx, const struct ckpt_file *rec,
			     const char *path, struct file **maker);
int ckpt_restore_memfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_memfd_precommit(struct ckpt_ctx *ctx);

/* Is the content of a file of this CKPT_FILE_* in the image? */
static inline bool ckpt_file_in_image(u32 type)
{
	return type == CKPT_FILE_UNLINKED || type == CKPT_FILE_MEMFD ||
	       type == CKPT_FILE_CONTENT;
}

/* socket.c: unix sockets by value, and sockets kept by identity */
struct ckpt_sock_stage;
#if IS_BUILTIN(CONFIG_UNIX)
bool ckpt_is_socket(struct file *file);
int ckpt_check_socket(struct ckpt_ctx *ctx, struct file *file, int fd);
int ckpt_dump_socket(struct ckpt_ctx *ctx, struct file *file, u32 id);
int ckpt_restore_socket(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_restore_sock_data(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_socket_precommit(struct ckpt_ctx *ctx);
bool ckpt_sock_live_match(const struct ckpt_ctx *ctx,
			  const struct ckpt_obj *obj, struct file *file);
struct file *ckpt_sock_remake(struct ckpt_ctx *ctx, struct ckpt_obj *obj,
			      unsigned int fd);
bool ckpt_sock_remake_late(const struct ckpt_obj *obj);
unsigned int ckpt_sock_backlog_pos(const struct ckpt_obj *obj);
int ckpt_restore_tcp(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
int ckpt_restore_sock_msg(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
void ckpt_socket_commit(struct ckpt_ctx *ctx);
void ckpt_sock_describe(const struct ckpt_obj *obj, char *buf, size_t size);
void ckpt_sock_stage_free(struct ckpt_sock_stage *st);
#else
static inline bool ckpt_is_socket(struct file *file)
{
	return false;
}

static inline int ckpt_check_socket(struct ckpt_ctx *ctx, struct file *file,
				    int fd)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_dump_socket(struct ckpt_ctx *ctx, struct file *file,
				   u32 id)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_restore_socket(struct ckpt_ctx *ctx,
				      const struct ckpt_rec_hdr *h)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_restore_sock_data(struct ckpt_ctx *ctx,
					 const struct ckpt_rec_hdr *h)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_socket_precommit(struct ckpt_ctx *ctx)
{
	return 0;
}

static inline bool ckpt_sock_live_match(const struct ckpt_ctx *ctx,
					const struct ckpt_obj *obj,
					struct file *file)
{
	return false;
}

static inline struct file *ckpt_sock_remake(struct ckpt_ctx *ctx,
					    struct ckpt_obj *obj,
					    unsigned int fd)
{
	return NULL;
}

static inline bool ckpt_sock_remake_late(const struct ckpt_obj *obj)
{
	return false;
}

static inline unsigned int ckpt_sock_backlog_pos(const struct ckpt_obj *obj)
{
	return 0;
}

static inline int ckpt_restore_tcp(struct ckpt_ctx *ctx,
				   const struct ckpt_rec_hdr *h)
{
	return -EOPNOTSUPP;
}

static inline int ckpt_restore_sock_msg(struct ckpt_ctx *ctx,
					const struct ckpt_rec_hdr *h)
{
	return -EOPNOTSUPP;
}

static inline void ckpt_socket_commit(struct ckpt_ctx *ctx)
{
}

static inline void ckpt_sock_describe(const struct ckpt_obj *obj, char *buf,
				      size_t size)
{
}

static inline void ckpt_sock_stage_free(struct ckpt_sock_stage *st)
{
}
#endif

/* tcp.c: established TCP connections by value, through TCP repair */
struct request_sock;
struct sock;
struct socket;

/**
 * struct ckpt_udp_snap - the datagrams a UDP socket has queued, read for
 *	their records
 * @buf: each one's SOCK_MSG record (its @id left 0), address and bytes,
 *	one after the other at 8-byte boundaries
 * @nr: datagrams in @buf
 * @bytes: their bytes
 */
struct ckpt_udp_snap {
	void *buf;
	unsigned int nr;
	u64 bytes;
};

/* udp.c: the datagrams a UDP socket has queued; built with socket.c */
u64 ckpt_udp_queued(struct sock *sk);
int ckpt_udp_snapshot(struct sock *sk, struct ckpt_udp_snap *snap, u64 room);
int ckpt_udp_write(struct ckpt_ctx *ctx, const struct ckpt_udp_snap *snap,
		   u32 id);
bool ckpt_udp_msg_valid(const struct ckpt_socket *rec,
			const struct ckpt_sock_msg *m);
int ckpt_udp_requeue(struct socket *sock, struct ckpt_sock_msg **msgs,
		     unsigned int nr);

/**
 * struct ckpt_tcp_snap - an established connection, read for its record
 * @rec: its TCP record
 * @data: its receive queue's bytes, then its send queue's
 * @state: its state as read, for its SOCKET record
 */
struct ckpt_tcp_snap {
	struct ckpt_tcp rec;
	u8 *data;
	u8 state;
};

/*
 * The states of a connection a TCP record holds: established, or shut
 * down for writing with the peer's FIN not received yet.
 */
static inline bool ckpt_tcp_conn_state(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 ||
	       state == TCP_FIN_WAIT2;
}

#if IS_BUILTIN(CONFIG_UNIX) && IS_ENABLED(CONFIG_INET) && \
	IS_ENABLED(CONFIG_NETFILTER)
bool ckpt_tcp_by_value(struct sock *sk);
int ckpt_tcp_snapshot(struct ckpt_ctx *ctx, struct sock *sk,
		      struct file *file, struct ckpt_tcp_snap *snap, u32 room);
void ckpt_tcp_unhold_from(struct ckpt_ctx *ctx, unsigned int from);
int ckpt_tcp_waiting(struct sock *sk, struct sock **conns, unsigned int max);
bool ckpt_tcp_waiting_same(struct sock *sk, struct sock **conns,
			   unsigned int n);
int ckpt_tcp_write(struct ckpt_ctx *ctx, struct ckpt_tcp_snap *snap, u32 id);
void ckpt_tcp_dump_end(struct ckpt_ctx *ctx, bool kill);
int ckpt_tcp_remake(struct socket *sock, const struct ckpt_socket *rec,
		    const void *addr, const void *peer,
		    const struct ckpt_tcp *tcp,
		    struct ckpt_sock_data **msgs, unsigned int nr);
void ckpt_tcp_commit(struct socket *sock, bool reuseaddr);
struct request_sock *ckpt_tcp_req_alloc(struct sock *lsk);
void ckpt_tcp_req_free(struct request_sock *req);
void ckpt_tcp_enqueue(struct sock *lsk, struct socket *sock,
		      struct request_sock *req);
#else
static inline bool ckpt_tcp_by_value(struct sock *sk)
{
	return false;
}

static inline int ckpt_tcp_snapshot(struct ckpt_ctx *ctx, struct sock *sk,
				    struct file *file,
				    struct ckpt_tcp_snap *snap, u32 room)
{
	return -EAGAIN;
}

static inline void ckpt_tcp_unhold_from(struct ckpt_ctx *ctx,
					unsigned int from)
{
}

static inline int ckpt_tcp_waiting(struct sock *sk, struct sock **conns,
				   unsigned int max)
{
	return -EAGAIN;
}

static inline bool ckpt_tcp_waiting_same(struct sock *sk, struct sock **conns,
					 unsigned int n)
{
	return false;
}

static inline int ckpt_tcp_write(struct ckpt_ctx *ctx,
				 struct ckpt_tcp_snap *snap, u32 id)
{
	return -EOPNOTSUPP;
}

static inline void ckpt_tcp_dump_end(struct ckpt_ctx *ctx, bool kill)
{
}

static inline int ckpt_tcp_remake(struct socket *sock,
				  const struct ckpt_socket *rec,
				  const void *addr, const void *peer,
				  const struct ckpt_tcp *tcp,
				  struct ckpt_sock_data **msgs,
				  unsigned int nr)
{
	return -EOPNOTSUPP;
}

static inline void ckpt_tcp_commit(struct socket *sock, bool reuseaddr)
{
}

static inline struct request_sock *ckpt_tcp_req_alloc(struct sock *lsk)
{
	return NULL;
}

static inline void ckpt_tcp_req_free(struct request_sock *req)
{
}

static inline void ckpt_tcp_enqueue(struct sock *lsk, struct socket *sock,
				    struct request_sock *req)
{
}
#endif

/* timerfd.c */
bool ckpt_is_timerfd(struct file *file);
int ckpt_dump_timerfd(struct ckpt_ctx *ctx, struct file *file, u32 id);
int ckpt_restore_timerfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);

/* signalfd.c */
bool ckpt_is_signalfd(struct file *file);
int ckpt_dump_signalfd(struct ckpt_ctx *ctx, struct file *file, u32 id);
int ckpt_restore_signalfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);

/* eventfd.c */
bool ckpt_is_eventfd(struct file *file);
int ckpt_dump_eventfd(struct ckpt_ctx *ctx, struct file *file, u32 id);
int ckpt_restore_eventfd(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);

/* pipe.c: pipes the process holds both ends of */
int ckpt_check_pipe(struct ckpt_ctx *ctx, struct file *file, int fd);
int ckpt_dump_pipe(struct ckpt_ctx *ctx, struct file *file, u32 *id);
int ckpt_restore_pipe(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h);
struct file *ckpt_pipe_end(struct ckpt_ctx *ctx, const struct ckpt_file *rec);
int ckpt_live_pipes(struct ckpt_ctx *ctx, const struct ckpt_fd *fds,
		    unsigned int nr);

/* fdtable.c: the file descriptor table */
struct ckpt_fd_stage;
int ckpt_dump_fds(struct ckpt_ctx *ctx, struct task_struct *leader, bool check);
struct ckpt_fd_stage *ckpt_stage_fds_alloc(void);
void ckpt_stage_fds_free(struct ckpt_fd_stage *st);
int ckpt_stage_fd_rec(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st,
		      const struct ckpt_rec_hdr *h);
int ckpt_stage_fds_precommit(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st);
int ckpt_commit_fds(struct ckpt_ctx *ctx, struct ckpt_fd_stage *st);
int ckpt_files_fd(struct files_struct *files, struct file *file);
unsigned int ckpt_files_nr_fds(struct files_struct *files, struct file *file);

/* mm.c */
struct ckpt_mm_stage;
struct ckpt_mm_snap;
struct ckpt_mm_snap *ckpt_snap_mm(struct ckpt_ctx *ctx, struct mm_struct *mm);
void ckpt_snap_mm_free(struct ckpt_mm_snap *snap);
struct mm_struct *ckpt_snap_mm_hold(struct ckpt_mm_snap *snap,
				    struct mm_struct *mm);
struct mm_struct *ckpt_snap_mm_cow(struct ckpt_mm_snap *snap,
				   struct mm_struct *mm);
int ckpt_write_mm(struct ckpt_ctx *ctx, struct ckpt_mm_snap *snap,
		  struct mm_struct *mm);
struct ckpt_mm_stage *ckpt_stage_mm_alloc(struct task_struct *task);
int ckpt_stage_mm_rec(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
		      const struct ckpt_rec_hdr *h);
int ckpt_stage_mm_finish(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st);
int ckpt_stage_mm_precommit(struct ckpt_mm_stage *st);
void ckpt_stage_mm_free(struct ckpt_mm_stage *st);
int ckpt_commit_mm(struct ckpt_mm_stage *st);
int ckpt_commit_vdso(struct ckpt_mm_stage *st);

/* process.c: process-wide state */
struct ckpt_proc_stage;
int ckpt_dump_children(struct ckpt_ctx *ctx, struct task_struct *leader);
int ckpt_dump_proc(struct ckpt_ctx *ctx, struct task_struct *leader,
		   unsigned int nr_threads, bool stopped);
struct ckpt_proc_stage *ckpt_stage_proc_alloc(void);
int ckpt_stage_proc_rec(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st,
			const struct ckpt_rec_hdr *h);
int ckpt_stage_child_rec(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st,
			 const struct ckpt_rec_hdr *h, bool after_proc);
int ckpt_stage_children_done(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st);
int ckpt_stage_proc_finish(struct ckpt_ctx *ctx, struct ckpt_proc_stage *st);
void ckpt_stage_proc_free(struct ckpt_proc_stage *st);
const struct ckpt_proc *ckpt_stage_proc(const struct ckpt_proc_stage *st);
unsigned long ckpt_stage_proc_rlimit(const struct ckpt_proc_stage *st,
				     unsigned int res);
void ckpt_commit_proc(struct ckpt_proc_stage *st);
void ckpt_commit_timers(struct ckpt_proc_stage *st);

/* signal.c: handlers, pending signals, signal sets */
struct ckpt_signal_stage;
u64 ckpt_sigset_to_u64(const sigset_t *set);
void ckpt_u64_to_sigset(u64 mask, sigset_t *set);
int ckpt_dump_signals(struct ckpt_ctx *ctx, struct task_struct *leader);
struct ckpt_signal_stage *ckpt_stage_signal_alloc(void);
void ckpt_stage_signal_free(struct ckpt_signal_stage *st);
int ckpt_stage_signal_rec(struct ckpt_ctx *ctx, struct ckpt_signal_stage *st,
			  const struct ckpt_rec_hdr *h);
int ckpt_stage_signal_finish(const struct ckpt_signal_stage *st,
			     const u32 *tids, unsigned int nr);
int ckpt_stage_signal_precommit(struct ckpt_signal_stage *st,
				unsigned long limit);
void ckpt_commit_handlers(struct ckpt_signal_stage *st);
int ckpt_commit_signals(struct ckpt_signal_stage *st, struct task_struct *t,
			u32 tid);

/* task.c: threads */
struct ckpt_task_stage;
int ckpt_dump_thread(struct ckpt_ctx *ctx, struct task_struct *t,
		     bool in_dump);
size_t ckpt_thread_recs_size(void);
struct ckpt_task_stage *ckpt_stage_task_alloc(void);
int ckpt_stage_task_rec(struct ckpt_ctx *ctx, struct ckpt_task_stage *st,
			const struct ckpt_rec_hdr *h);
int ckpt_stage_task_finish(struct ckpt_task_stage *st,
			   struct ckpt_proc_stage *proc,
			   struct ckpt_signal_stage *sig);
void ckpt_stage_task_free(struct ckpt_task_stage *st);
int ckpt_stage_task_precommit(struct ckpt_task_stage *st,
			      struct ckpt_proc_stage *proc);
int ckpt_commit_threads(struct ckpt_task_stage *st,
			struct ckpt_proc_stage *proc,
			struct ckpt_signal_stage *sig, long *retval);

/* quiesce.c */
struct ckpt_quiesce;
typedef int (*ckpt_capture_fn)(struct ckpt_ctx *ctx);
struct ckpt_quiesce *ckpt_quiesce(struct task_struct *leader,
				  ckpt_capture_fn capture);
int ckpt_quiesce_dump_thread(struct ckpt_ctx *ctx, struct ckpt_quiesce *q,
			     struct task_struct *t);
unsigned int ckpt_quiesce_nr_threads(struct ckpt_quiesce *q);
bool ckpt_quiesce_was_stopped(struct ckpt_quiesce *q);
long ckpt_quiesce_run(struct ckpt_quiesce *q, long (*fn)(void *), void *arg);
void ckpt_quiesce_release(struct ckpt_quiesce *q, int sig);

/* access.c */
int ckpt_may_access(struct task_struct *leader);
__printf(2, 3) int ckpt_refuse_task(struct task_struct *t, const char *fmt, ...);
int ckpt_target_begin(struct ckpt_ctx *ctx);
void ckpt_target_end(struct ckpt_ctx *ctx);
struct user_namespace *ckpt_target_user_ns(const struct ckpt_ctx *ctx);
bool ckpt_capable(const struct ckpt_ctx *ctx, int cap);
bool ckpt_checkpoint_restore_capable(const struct ckpt_ctx *ctx);
int ckpt_path_permission(const struct ckpt_ctx *ctx, const struct path *path,
			 int mask);
int ckpt_mmap_permission(const struct ckpt_ctx *ctx, struct file *file,
			 unsigned long prot, unsigned long flags);

/* syscalls.c, dump.c, restore.c */
long ckpt_do_dump(pid_t pid, int fd, unsigned int flags,
		  const struct ckpt_dump_args __user *uargs, size_t usize);
long ckpt_do_restore(pid_t pid, int fd, unsigned int flags);
long ckpt_dump_task(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max,
		    struct mm_struct **held_mm, struct ckpt_base *base);
long ckpt_restore_task(struct task_struct *leader, struct file *file,
		       unsigned int flags, struct mm_struct *held);

/* snapshot.c */
long ckpt_snapshot_dump(struct task_struct *leader, unsigned int flags,
			u64 file_data_max);
bool ckpt_is_snapshot(const struct file *file);
long ckpt_snapshot_restore(struct task_struct *leader, struct file *file,
			   unsigned int flags);

/* base.c */
long ckpt_base_dump(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max);
long ckpt_diff_dump(struct task_struct *leader, struct file *file,
		    unsigned int flags, u64 file_data_max, int base_fd);

/* Is the process exiting as a whole, or being replaced by an exec? */
static inline bool ckpt_group_exiting(struct task_struct *leader)
{
	return READ_ONCE(leader->signal->flags) & SIGNAL_GROUP_EXIT ||
	       READ_ONCE(leader->signal->group_exec_task);
}

/* -ERESTART*: a system call interrupted, to be restarted if no handler runs */
static inline bool ckpt_restart_errno(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
	       ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK;
}

/*
 * regs-$(ARCH).c: the user register state of the current task, which is in
 * ckpt_dump() or ckpt_restore() and so has its user state saved on entry.
 */
extern const u16 ckpt_arch_machine;
int ckpt_arch_check_task(struct task_struct *t);
int ckpt_arch_dump_regs(struct ckpt_ctx *ctx, bool in_dump);
size_t ckpt_arch_regs_size(void);
void ckpt_arch_park_eintr(void);
int ckpt_arch_check_regs(const void *regs, size_t len);
long ckpt_arch_restore_regs(const void *regs, size_t len);
bool ckpt_arch_vdso_range(struct mm_struct *mm, unsigned long *start,
			  unsigned long *end);
unsigned long ckpt_arch_vdso_size(void);
int ckpt_arch_map_vdso(unsigned long start);

#ifdef CONFIG_M68K
asmlinkage long m68k_ckpt_dump(struct pt_regs *regs);
asmlinkage long m68k_ckpt_restore(struct pt_regs *regs);
#endif

#endif /* _KERNEL_CKPT_INTERNAL_H */
