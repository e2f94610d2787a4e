/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libckpt: userspace side of the ckpt_dump()/ckpt_restore() system calls.
 *
 *  - raw syscall wrappers (ckpt_dump(), ckpt_restore())
 *  - zlib-compatible CRC-32 with a streaming API
 *  - an image reader working on a memory buffer, a FILE* or an fd, that
 *    handles images of either byte order, verifies magic, header CRC and the
 *    running CRC chain and yields records in host byte order
 *  - the record order of linux/ckpt.h is checked too (PROC first, the
 *    address space, SIGHAND, SIGINFOs, THREAD+REGS pairs, END; a TCP
 *    connection's SOCKET, TCP and SOCK_DATA records; a UDP socket's
 *    SOCKET and SOCK_MSG records)
 *  - ckpt_image_compatible(): can this machine restore an image at all?
 *  - ckpt_image_reseal(): recompute all CRCs of an edited image in memory
 *
 * All functions that can fail return a negative errno value, chosen like
 * the kernel's ckpt_restore() would for the same defect:
 *   -ENOEXEC  not an image (magic), or another machine/endianness/version
 *   -EBADMSG  header CRC wrong, record CRC chain broken, truncated image,
 *             data after the END record
 *   -EINVAL   a record whose size or content is inconsistent
 *   -EIO, -ENOMEM, -E2BIG  reading problems
 * and leave a readable explanation in reader->msg.
 */
#ifndef _LIBCKPT_H
#define _LIBCKPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <asm/unistd.h>
#include <linux/ckpt.h>

#ifndef __NR_ckpt_dump
#define __NR_ckpt_dump		451
#endif
#ifndef __NR_ckpt_restore
#define __NR_ckpt_restore	452
#endif

#ifndef EM_68K
#define EM_68K		4
#endif
#ifndef EM_X86_64
#define EM_X86_64	62
#endif
#ifndef EM_AARCH64
#define EM_AARCH64	183
#endif

/*
 * 5.0: struct ckpt_socket grew SO_LINGER and the TCP keepalive timers
 * 5.1: image version 10, TCP connections waiting in a listener's backlog
 * 5.2: image version 11, a PAGES record's page bytes under an XXH64 of their
 *      own (struct ckpt_pages grew @hash)
 * 5.3: image version 12, TCP connections shut down for writing (CKPT_TCP_FIN)
 * 5.4: image version 13, the address space after the threads (CKPT_DUMP_COW)
 * 5.5: ckpt_snapshot() (CKPT_DUMP_SNAPSHOT)
 * 5.6: image version 14, page bytes under XXH32 from 32-bit kernels
 *      (struct ckpt_pages' @pad became @hash_type); ckpt_xxh32()
 * 5.7: image version 15, differential dumps (CKPT_DUMP_BASE, CKPT_DUMP_DIFF,
 *      BASE_PAGES records); ckpt_base(), ckpt_diff()
 */
#define LIBCKPT_VERSION	"5.7"

#ifdef __cplusplus
extern "C" {
#endif

/* System calls: return -1 and set errno on failure, like libc. */
long ckpt_dump(pid_t pid, int fd, unsigned int flags,
	       const struct ckpt_dump_args *args, size_t size);
long ckpt_restore(pid_t pid, int fd, unsigned int flags);

/*
 * A snapshot of process @pid (not the caller's) kept in the kernel
 * (CKPT_DUMP_SNAPSHOT): a new close-on-exec descriptor that ckpt_restore()
 * takes as an image, as often as wanted, or -1 with errno.
 */
int ckpt_snapshot(pid_t pid);

/*
 * An image of process @pid (not the caller's) written to @fd, a regular
 * file, that is also a base for differential dumps (CKPT_DUMP_BASE, with
 * @flags' other dump flags): a new close-on-exec descriptor for the base,
 * or -1 with errno.  ckpt_diff() writes to @fd an image of @pid in which
 * the pages it has not written since the base are named, to be read from
 * the base image at restore (CKPT_DUMP_DIFF): 0, or -1 with errno.
 */
int ckpt_base(pid_t pid, int fd, unsigned int flags);
int ckpt_diff(pid_t pid, int fd, unsigned int flags, int base_fd);

/*
 * CRC-32 as zlib's crc32(): ckpt_crc32(0, NULL, 0) == 0 is the start value,
 * ckpt_crc32(ckpt_crc32(0, a, la), b, lb) == ckpt_crc32(0, ab, la + lb).
 */
uint32_t ckpt_crc32(uint32_t crc, const void *buf, size_t len);

struct ckpt_crc {
	uint32_t value;		/* the running, finalized value (zlib style) */
};
void ckpt_crc_init(struct ckpt_crc *c);
void ckpt_crc_update(struct ckpt_crc *c, const void *buf, size_t len);
uint32_t ckpt_crc_final(const struct ckpt_crc *c);

/*
 * XXH64 with seed 0, as the kernel's xxh64(): what a PAGES record's hash
 * holds of its page bytes (since 5.2, image version 11) when its @hash_type
 * is CKPT_PAGES_XXH64.  One call, or init, any updates, final.
 */
uint64_t ckpt_xxh64(const void *buf, size_t len);

struct ckpt_xxh64 {
	uint64_t v[4];
	uint64_t total;
	unsigned char mem[32];
	unsigned int memsize;
};
void ckpt_xxh64_init(struct ckpt_xxh64 *x);
void ckpt_xxh64_update(struct ckpt_xxh64 *x, const void *buf, size_t len);
uint64_t ckpt_xxh64_final(const struct ckpt_xxh64 *x);

/*
 * XXH32 with seed 0, as the kernel's xxh32(): what it holds when the
 * record's @hash_type is CKPT_PAGES_XXH32 (since 5.6, image version 14:
 * what a kernel with 32-bit longs writes).
 */
uint32_t ckpt_xxh32(const void *buf, size_t len);

struct ckpt_xxh32 {
	uint32_t v[4];
	uint64_t total;
	unsigned char mem[16];
	unsigned int memsize;
};
void ckpt_xxh32_init(struct ckpt_xxh32 *x);
void ckpt_xxh32_update(struct ckpt_xxh32 *x, const void *buf, size_t len);
uint32_t ckpt_xxh32_final(const struct ckpt_xxh32 *x);

/* One record, as yielded by ckpt_reader_next(). */
struct ckpt_record {
	uint64_t offset;		/* of the record header in the image */
	uint32_t type;			/* CKPT_REC_* */
	uint32_t len;			/* payload bytes */
	uint32_t crc;			/* stored (and verified) chain value */
	const unsigned char *payload;	/* raw payload in image byte order,
					 * NULL for PAGES read from a stream */
	union {
		struct ckpt_file file;
		struct ckpt_fd fd;
		struct ckpt_pipe pipe;
		struct ckpt_file_data file_data;
		struct ckpt_child child;
		struct ckpt_eventfd eventfd;
		struct ckpt_epoll_item epoll_item;
		struct ckpt_signalfd signalfd;
		struct ckpt_memfd memfd;
		struct ckpt_timerfd timerfd;
		struct ckpt_socket socket;
		struct ckpt_sock_data sock_data;
		struct ckpt_tcp tcp;
		struct ckpt_sock_msg sock_msg;
		struct ckpt_mm mm;
		struct ckpt_vma vma;
		struct ckpt_pages pages;
		struct ckpt_base_pages base_pages;	/* bitmap in base_bits */
		struct ckpt_thread thread;
		struct ckpt_regs_x86_64 x86_64;
		struct ckpt_regs_arm64 arm64;
		struct ckpt_regs_m68k m68k;
		struct ckpt_proc proc;
		struct ckpt_sigaction sighand[CKPT_NSIG];	/* signal n at [n - 1] */
		struct ckpt_siginfo siginfo;	/* info[] stays raw */
	} u;				/* fixed part, in host byte order */
	const char *path;		/* FILE: NUL-terminated path */
	const unsigned char *pipe_data;	/* PIPE: u.pipe.len buffered bytes */
	const unsigned char *sock_addr;	/* SOCKET: u.socket.addr_len bytes of its
					 * address (getsockname()), then
					 * u.socket.peer_len of its peer's,
					 * as the dumping kernel has them;
					 * SOCK_MSG: u.sock_msg.addr_len bytes
					 * of its sender's (recvfrom()), see
					 * ckpt_record_msg_family() */
	const unsigned char *file_bytes; /* FILE_DATA: len - 16 bytes of content */
	const unsigned char *groups;	/* PROC: raw groups; see ckpt_record_group() */
	const char *cwd;		/* PROC: NUL-terminated working directory */
	const char *root;		/* PROC: NUL-terminated root directory */
	int32_t si_signo;		/* SIGINFO: first three ints of info[], */
	int32_t si_errno;		/* in host byte order */
	int32_t si_code;
	const unsigned char *auxv;	/* MM: nr_auxv raw words; see ckpt_record_auxv() */
	const unsigned char *xstate;	/* REGS x86_64: XSAVE data (little endian) */
	uint32_t xstate_size;
	const unsigned char *page_data;	/* PAGES: contents (memory images only) */
	/* since 4.2: after the fields of 4.1 */
	const unsigned char *msg_data;	/* SOCK_MSG: u.sock_msg.len bytes of the
					 * datagram */
	/* since 5.7 */
	uint64_t base_bits;		/* BASE_PAGES: bit i, page i is the base's */
	uint32_t base_kept;		/* BASE_PAGES: bits set */
};

struct ckpt_reader {
	/* source: exactly one of mem, fp, fd >= 0 */
	const unsigned char *mem;
	size_t mem_len;
	FILE *fp;
	int fd;

	uint64_t off;			/* bytes of the image consumed */
	int swap;			/* image byte order != host byte order */
	int state;			/* internal */
	uint32_t crc;			/* running CRC chain */
	struct ckpt_image_hdr hdr;	/* header, host byte order */

	unsigned char *buf;		/* payload buffer for stream sources */
	size_t cap;

	/* record order (internal) */
	int phase;
	uint32_t last_type;
	uint32_t proc_pid;
	uint32_t proc_threads;
	uint32_t nr_threads;
	uint32_t nr_fds;		/* FD records so far */
	uint32_t last_fd;		/* the last one's fd */
	int seen_mm;
	uint64_t vma_start, vma_end;

	/* statistics */
	uint64_t nr_records;
	uint64_t nr_pages;

	/* last error */
	int err;			/* negative errno, 0 if none */
	uint64_t err_off;		/* offset of the offending record/header */
	char msg[200];

	/* record order (internal), since 4.1: after the fields of 4.0 */
	uint32_t sock_id;		/* the last SOCKET record's id */
	int sock_tcp;			/* its TCP record follows */
	int tcp_data;			/* SOCK_DATA now: the last TCP record's */
	uint64_t tcp_left;		/* bytes of them still to come */

	/* record order (internal), since 4.2: after the fields of 4.1 */
	uint16_t sock_family;		/* the last SOCKET record's family */
	int sock_udp;			/* its SOCK_MSG records may follow */

	/* record order (internal), since 5.1: after the fields of 4.2 */
	uint32_t listener_id;		/* a TCP listener made again, or 0 */
	uint32_t nr_waiting;		/* its waiting connections so far */
};

/* Open a reader; nothing is read until ckpt_reader_header()/next(). */
void ckpt_reader_init_mem(struct ckpt_reader *r, const void *buf, size_t len);
void ckpt_reader_init_fp(struct ckpt_reader *r, FILE *fp);
void ckpt_reader_init_fd(struct ckpt_reader *r, int fd);
void ckpt_reader_fini(struct ckpt_reader *r);

/* Read and check the image header (done by the first next() otherwise). */
int ckpt_reader_header(struct ckpt_reader *r);

/*
 * Yield the next record: returns 1 with *rec filled in; 0 once the END
 * record has been read and the image is known to end right after it;
 * a negative errno on error (r->msg, r->err_off explain it).  Pointers in
 * *rec stay valid until the next call.
 */
int ckpt_reader_next(struct ckpt_reader *r, struct ckpt_record *rec);

/* Auxv word i (0 <= i < nr_auxv) of an MM record, host byte order. */
uint64_t ckpt_record_auxv(const struct ckpt_reader *r,
			  const struct ckpt_record *rec, uint32_t i);

/* Supplementary group i (0 <= i < ngroups) of a PROC record. */
uint32_t ckpt_record_group(const struct ckpt_reader *r,
			   const struct ckpt_record *rec, uint32_t i);

/*
 * Is the socket of a SOCKET record (host byte order) an established TCP
 * connection made again by TCP repair, which its TCP record follows (as
 * the reader checks)?  1 if so, else 0.  Since 4.1; since 5.3 one shut
 * down for writing too (FIN_WAIT1, FIN_WAIT2: CKPT_TCP_FIN).
 */
int ckpt_socket_has_tcp(const struct ckpt_socket *k);

/*
 * Is the socket of a SOCKET record (host byte order) a UDP socket made
 * again, whose queued datagrams the SOCK_MSG records that follow it hold
 * (as the reader checks)?  1 if so, else 0.  Since 4.2.
 */
int ckpt_socket_has_msgs(const struct ckpt_socket *k);

/*
 * Is the SOCKET record (host byte order) that of a TCP connection waiting
 * in the backlog of the listener whose SOCKET record, with the same id,
 * comes before it (as the reader checks)?  Its place there, from 1, if
 * so, else 0.  Since 5.1.
 */
unsigned int ckpt_socket_waiting(const struct ckpt_socket *k);

/*
 * The family of the sender's address of a SOCK_MSG record (AF_INET or
 * AF_INET6, the socket's, as the reader checks), host byte order; 0 for
 * another record.  Since 4.2.
 */
unsigned int ckpt_record_msg_family(const struct ckpt_reader *r,
				    const struct ckpt_record *rec);

/*
 * Can a kernel of this machine restore an image with header h (host byte
 * order)?  0 if machine, byte order, word size and page size all match,
 * else -ENOEXEC with a sentence naming both sides in msg.
 * ckpt_host_machine() etc. give the values of the machine running this.
 */
int ckpt_image_compatible(const struct ckpt_image_hdr *h, unsigned int machine,
			  int endian, unsigned int word_size,
			  unsigned int page_size, char *msg, size_t msg_len);
unsigned int ckpt_host_machine(void);	/* EM_*, 0 if not a ckpt arch */

/*
 * Recompute the header CRC and every record's CRC of an image in memory,
 * in the image's own byte order (taken from its endian byte; the host's if
 * that byte is invalid).  Records are walked by their len fields; a record
 * running past the end of the buffer is left alone and ends the walk.
 * Returns the number of records resealed, or -EBADMSG if the buffer is
 * shorter than a header.
 */
int ckpt_image_reseal(void *buf, size_t len);

/* Names for display. */
const char *ckpt_machine_name(unsigned int machine);
const char *ckpt_rec_type_name(uint32_t type);
const char *ckpt_errno_name(int err);	/* "EBADMSG" for EBADMSG (positive) */
/* "SIGINT" for 2 (numbering of x86_64, arm64, m68k), NULL from 32 on. */
const char *ckpt_signal_name(unsigned int sig);
/* "NOFILE" for 7 (RLIMIT_* of x86_64, arm64, m68k), NULL if unknown. */
const char *ckpt_rlimit_name(unsigned int res);

/* Endian helpers for images in memory (endian: CKPT_ENDIAN_*). */
uint16_t ckpt_get16(const void *p, int endian);
uint32_t ckpt_get32(const void *p, int endian);
uint64_t ckpt_get64(const void *p, int endian);
void ckpt_put16(void *p, int endian, uint16_t v);
void ckpt_put32(void *p, int endian, uint32_t v);
void ckpt_put64(void *p, int endian, uint64_t v);
int ckpt_host_endian(void);

#ifdef __cplusplus
}
#endif

#endif /* _LIBCKPT_H */
