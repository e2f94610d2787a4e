/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ckpt: checkpoint a process into an image and restore it from one.
 *
 *	long ckpt_dump(pid_t pid, int fd, unsigned int flags,
 *		       const struct ckpt_dump_args *args, size_t size);
 *	long ckpt_restore(pid_t pid, int fd, unsigned int flags);
 *
 * The image is a byte stream: a struct ckpt_image_hdr, then records, each a
 * struct ckpt_rec_hdr followed by its payload and zero padding up to a
 * multiple of 8 bytes, ending with a CKPT_REC_END record.  Every field is in
 * the byte order of the machine that wrote the image (ckpt_image_hdr.endian).
 *
 * Integrity: a running CRC-32 (the polynomial and conventions of zlib's
 * crc32()) covers the whole stream.  It starts over the image header, taken
 * with its crc field zero; ckpt_image_hdr.crc holds its value there.  Each
 * record continues it over its header (crc field zero), payload and padding,
 * and stores the value reached in ckpt_rec_hdr.crc, so a reader detects a
 * damaged, reordered or missing record as soon as it has read it.  Page
 * contents are the exception: the CRC of a PAGES record covers its header
 * and its struct ckpt_pages, whose @hash is a hash of the page bytes after
 * it (XXH64 or XXH32, as its @hash_type says), which a reader checks once
 * it has read them.
 *
 * The records come in this order: PROC; the FILEs, MM, VMAs, BASE_PAGES and
 * PAGES of the address space (a FILE before the first record that names
 * it); SIGHAND;
 * the pending SIGINFOs; the FILEs and FDs of the file descriptor table;
 * a THREAD and its REGS for each thread, the thread group leader first;
 * END.
 *
 * Shared kernel objects (a file mapped by several VMAs, or open at several
 * descriptors) are written once, with an image-local object id; later
 * records name them by that id.
 */
#ifndef _UAPI_LINUX_CKPT_H
#define _UAPI_LINUX_CKPT_H

#include <linux/types.h>

/* ckpt_dump() returns this in a process restored from its own image. */
#define CKPT_RESTORED		1

/* ckpt_dump() flags */
#define CKPT_DUMP_STOP		(1U << 0)	/* leave the target stopped */
#define CKPT_DUMP_KILL		(1U << 1)	/* kill the target after the dump */
#define CKPT_DUMP_FILE_DATA	(1U << 2)	/* with the files open for writing */
#define CKPT_DUMP_COW		(1U << 3)	/* let it run on while pages are written */
#define CKPT_DUMP_SNAPSHOT	(1U << 4)	/* kept in the kernel: returns an fd */
#define CKPT_DUMP_BASE		(1U << 5)	/* a base for diffs: returns an fd */
#define CKPT_DUMP_DIFF		(1U << 6)	/* what changed since a base */
#define CKPT_DUMP_FLAGS		(CKPT_DUMP_STOP | CKPT_DUMP_KILL | \
				 CKPT_DUMP_FILE_DATA | CKPT_DUMP_COW | \
				 CKPT_DUMP_SNAPSHOT | CKPT_DUMP_BASE | \
				 CKPT_DUMP_DIFF)

/**
 * struct ckpt_dump_args - ckpt_dump()'s arguments beyond its flags
 * @file_data_max: with %CKPT_DUMP_FILE_DATA, the most bytes of file
 *	content the image may carry, over all files; else 0
 * @base_fd: with %CKPT_DUMP_DIFF, the descriptor a dump with
 *	%CKPT_DUMP_BASE of the same process returned; else 0
 * @pad: zero
 *
 * Passed with its size, as clone3() and openat2() take theirs: a caller
 * built against an older, shorter struct passes its size, and the kernel
 * takes the fields it lacks as 0; a newer, longer one is accepted if the
 * fields this kernel does not know are 0.  NULL with size 0 stands for a
 * struct of zeros.
 */
struct ckpt_dump_args {
	__aligned_u64 file_data_max;
	__s32	base_fd;
	__u32	pad;
};

#define CKPT_DUMP_ARGS_SIZE_VER0 8	/* sizeof first published struct */
#define CKPT_DUMP_ARGS_SIZE_VER1 16	/* with @base_fd */

/* ckpt_restore() flags */
#define CKPT_RESTORE_CHANGED_FILES (1U << 0)	/* open files may have changed */
#define CKPT_RESTORE_WITHOUT_CHILDREN (1U << 1)	/* leave its children behind */
#define CKPT_RESTORE_FLAGS	(CKPT_RESTORE_CHANGED_FILES | \
				 CKPT_RESTORE_WITHOUT_CHILDREN)

/* Image header */
#define CKPT_MAGIC		"\177CKPTIM\n"
#define CKPT_MAGIC_LEN		8
#define CKPT_IMAGE_VERSION	15

#define CKPT_ENDIAN_LITTLE	1
#define CKPT_ENDIAN_BIG		2

/**
 * struct ckpt_image_hdr - the first bytes of an image
 * @magic: %CKPT_MAGIC
 * @endian: %CKPT_ENDIAN_LITTLE or %CKPT_ENDIAN_BIG: byte order of all fields
 * @word_size: sizeof(long) of the dumped process: 4 or 8
 * @machine: ELF machine of the dumped process (EM_X86_64, EM_AARCH64, EM_68K)
 * @version: %CKPT_IMAGE_VERSION
 * @page_size: page size of the dumping kernel
 * @flags: the ckpt_dump() flags
 * @hdr_size: sizeof(struct ckpt_image_hdr)
 * @crc: CRC-32 of this header, taken with @crc zero
 * @release: utsname release of the dumping kernel, NUL-padded (information)
 */
struct ckpt_image_hdr {
	__u8	magic[CKPT_MAGIC_LEN];
	__u8	endian;
	__u8	word_size;
	__u16	machine;
	__u32	version;
	__u32	page_size;
	__u32	flags;
	__u32	hdr_size;
	__u32	crc;
	__u8	release[64];
};

/* Record types */
#define CKPT_REC_END		1	/* no payload; the last record */
#define CKPT_REC_FILE		2	/* struct ckpt_file + path */
#define CKPT_REC_MM		3	/* struct ckpt_mm + auxv words */
#define CKPT_REC_VMA		4	/* struct ckpt_vma */
#define CKPT_REC_PAGES		5	/* struct ckpt_pages + page contents */
#define CKPT_REC_THREAD		6	/* struct ckpt_thread */
#define CKPT_REC_REGS		7	/* struct ckpt_regs_<arch> (+ FPU data) */
#define CKPT_REC_PROC		8	/* struct ckpt_proc + groups + paths */
#define CKPT_REC_SIGHAND	9	/* struct ckpt_sigaction[CKPT_NSIG] */
#define CKPT_REC_SIGINFO	10	/* struct ckpt_siginfo */
#define CKPT_REC_FD		11	/* struct ckpt_fd */
#define CKPT_REC_PIPE		12	/* struct ckpt_pipe + buffered bytes */
#define CKPT_REC_FILE_DATA	13	/* struct ckpt_file_data + file content */
#define CKPT_REC_CHILD		14	/* struct ckpt_child */
#define CKPT_REC_EVENTFD	15	/* struct ckpt_eventfd */
#define CKPT_REC_EPOLL_ITEM	16	/* struct ckpt_epoll_item */
#define CKPT_REC_SIGNALFD	17	/* struct ckpt_signalfd */
#define CKPT_REC_MEMFD		18	/* struct ckpt_memfd */
#define CKPT_REC_TIMERFD	19	/* struct ckpt_timerfd */
#define CKPT_REC_SOCKET		20	/* struct ckpt_socket */
#define CKPT_REC_SOCK_DATA	21	/* struct ckpt_sock_data + bytes */
#define CKPT_REC_TCP		22	/* struct ckpt_tcp */
#define CKPT_REC_SOCK_MSG	23	/* struct ckpt_sock_msg + address + bytes */
#define CKPT_REC_BASE_PAGES	24	/* struct ckpt_base_pages + bitmap */

/**
 * struct ckpt_rec_hdr - the header of each record
 * @type: CKPT_REC_*
 * @len: payload bytes that follow, without the padding to 8 bytes
 * @crc: the running CRC-32 at the end of this record's padding
 * @pad: zero
 */
struct ckpt_rec_hdr {
	__u32	type;
	__u32	len;
	__u32	crc;
	__u32	pad;
};

/* struct ckpt_file.type */
#define CKPT_FILE_REG		1	/* a regular file, reopened by path */
#define CKPT_FILE_DIR		2	/* a directory, reopened by path */
#define CKPT_FILE_CHR		3	/* /dev/null, zero, full, random or urandom */
#define CKPT_FILE_TTY		4	/* a terminal: a live one, on restore */
#define CKPT_FILE_PIPE		5	/* an end of a pipe or FIFO */
#define CKPT_FILE_UNLINKED	6	/* a regular file unlinked while open */
#define CKPT_FILE_EVENTFD	7	/* an eventfd: CKPT_REC_EVENTFD follows */
#define CKPT_FILE_EPOLL		8	/* an epoll: CKPT_REC_EPOLL_ITEMs follow */
#define CKPT_FILE_SIGNALFD	9	/* a signalfd: CKPT_REC_SIGNALFD follows */
#define CKPT_FILE_MEMFD		10	/* a memfd: CKPT_REC_MEMFD follows */
#define CKPT_FILE_TIMERFD	11	/* a timerfd: CKPT_REC_TIMERFD follows */
#define CKPT_FILE_CONTENT	12	/* a regular file, with its content */
#define CKPT_FILE_SOCKET	13	/* a socket: CKPT_REC_SOCKET follows */

/**
 * struct ckpt_file - an open file (CKPT_REC_FILE)
 * @id: image-local object id, unique in the image, not zero
 * @type: CKPT_FILE_*
 * @flags: open flags (O_ACCMODE and status flags)
 * @mode: st_mode of the inode
 * @pos: file position
 * @dev: st_dev of the inode (new_encode_dev)
 * @ino: st_ino
 * @size: st_size at the checkpoint; of a pipe, the bytes unread in it
 * @mtime_sec: st_mtime at the checkpoint, seconds
 * @mtime_nsec: and nanoseconds
 * @path_len: bytes of path that follow, including its terminating NUL
 * @rdev: st_rdev of a device (new_encode_dev), else 0
 * @inode: of a file whose inode the image rebuilds, the object id of that
 *	inode's record: for an end of a pipe in the image, its PIPE record;
 *	for another open of an unlinked file, a memfd or a file with its
 *	content, the first one's
 *	FILE record; else 0
 *
 * The path is absolute, as seen from the dumped process's root; a pipe's
 * is its name ("pipe:[INO]").  Regular files, directories and the CHR
 * devices are reopened by path.  A pipe the process holds both ends of is
 * in the image (@inode) and rebuilt with its data.  An unlinked regular
 * file (path "DIR/NAME (deleted)", @size its size) is followed by its
 * content in FILE_DATA records and made again as an unlinked file in DIR.
 * A memfd (path "/memfd:NAME (deleted)") is followed by a MEMFD record,
 * then its content in FILE_DATA records, and made again by that name.
 * A regular file the process has open for writing, dumped with
 * %CKPT_DUMP_FILE_DATA (CKPT_FILE_CONTENT), is followed by its content in
 * FILE_DATA records; restore puts a new file with that content in its
 * place at its path, whatever the file there is now.  A terminal, a FIFO
 * or a pipe of which the process holds one end is a live object on restore:
 * in a rollback, the one the descriptor of the same number still refers
 * to; in a new process, the restorer's descriptor of that number, a pipe
 * or a terminal open the same way (a pipe only if none of its data was
 * unread), or for a terminal the restorer's first one on fds 0-2.
 */
struct ckpt_file {
	__u32	id;
	__u32	type;
	__u32	flags;
	__u32	mode;
	__aligned_u64 pos;
	__aligned_u64 dev;
	__aligned_u64 ino;
	__aligned_u64 size;
	__aligned_u64 mtime_sec;
	__u32	mtime_nsec;
	__u32	path_len;
	__u32	rdev;
	__u32	inode;
};

/**
 * struct ckpt_pipe - a pipe and the bytes buffered in it (CKPT_REC_PIPE)
 * @id: image-local object id, as in struct ckpt_file
 * @size: its capacity in bytes (F_GETPIPE_SZ)
 * @len: bytes of buffered data that follow
 * @pad: zero
 *
 * A pipe the process holds both ends of: its unread data, oldest first,
 * read at the dump without consuming it.  The data of a pipe larger than
 * a record spans several records of the same id, in order, before the
 * FILE records of its ends.  Restore makes a new pipe of @size (with the
 * checks of fcntl(F_SETPIPE_SZ)) holding the data.
 */
struct ckpt_pipe {
	__u32	id;
	__u32	size;
	__u32	len;
	__u32	pad;
};

/* struct ckpt_eventfd.flags */
#define CKPT_EVENTFD_SEMAPHORE	(1U << 0)	/* EFD_SEMAPHORE */

/**
 * struct ckpt_eventfd - an eventfd's state (CKPT_REC_EVENTFD)
 * @id: the object id of its FILE record, which comes just before
 * @flags: CKPT_EVENTFD_*
 * @count: its counter
 */
struct ckpt_eventfd {
	__u32	id;
	__u32	flags;
	__aligned_u64 count;
};

/**
 * struct ckpt_signalfd - the signals a signalfd reads (CKPT_REC_SIGNALFD)
 * @id: the object id of its FILE record, which comes just before
 * @pad: zero
 * @mask: bit (n - 1) for signal n, as signalfd4() was given them
 */
struct ckpt_signalfd {
	__u32	id;
	__u32	pad;
	__aligned_u64 mask;
};

/**
 * struct ckpt_memfd - a memfd's seals (CKPT_REC_MEMFD)
 * @id: the object id of its FILE record, which comes just before
 * @seals: F_SEAL_* as F_GET_SEALS gives them; F_SEAL_SEAL for a memfd
 *	made without MFD_ALLOW_SEALING
 *
 * Restore makes the memfd as memfd_create(NAME, MFD_ALLOW_SEALING) does,
 * fills it from the FILE_DATA records that follow, and adds @seals once
 * the whole image is read, the mappings of the memfd included.
 */
struct ckpt_memfd {
	__u32	id;
	__u32	seals;
};

#define CKPT_TIMERFD_ABSTIME		(1U << 0)	/* TFD_TIMER_ABSTIME */
#define CKPT_TIMERFD_CANCEL_ON_SET	(1U << 1)	/* TFD_TIMER_CANCEL_ON_SET */
#define CKPT_TIMERFD_FLAGS	(CKPT_TIMERFD_ABSTIME | CKPT_TIMERFD_CANCEL_ON_SET)

/**
 * struct ckpt_timerfd - a timerfd's clock and setting (CKPT_REC_TIMERFD)
 * @id: the object id of its FILE record, which comes just before
 * @clockid: its clock (CLOCK_MONOTONIC, CLOCK_REALTIME, ...)
 * @flags: CKPT_TIMERFD_*: the flags timerfd_settime() was last given
 * @pad: zero
 * @ticks: expirations not read yet
 * @value_sec: the time left until the next expiration, as
 *	timerfd_gettime() gives it; 0 and 0: disarmed
 * @interval_sec: its interval
 * @value_nsec: and nanoseconds
 * @interval_nsec: and nanoseconds
 *
 * The time left is kept, for an absolute timer too: restore sets it again
 * at the time left from its own now on the clock.
 */
struct ckpt_timerfd {
	__u32	id;
	__s32	clockid;
	__u32	flags;
	__u32	pad;
	__aligned_u64 ticks;
	__aligned_u64 value_sec;
	__aligned_u64 interval_sec;
	__u32	value_nsec;
	__u32	interval_nsec;
};

/* struct ckpt_socket.flags */
#define CKPT_SOCK_CONNECTED	(1U << 0)	/* its peer's SOCKET follows */
#define CKPT_SOCK_PASSCRED	(1U << 1)	/* SO_PASSCRED */
#define CKPT_SOCK_PASSSEC	(1U << 2)	/* SO_PASSSEC */
#define CKPT_SOCK_SNDBUF	(1U << 3)	/* @sndbuf set by SO_SNDBUF */
#define CKPT_SOCK_RCVBUF	(1U << 4)	/* @rcvbuf set by SO_RCVBUF */
#define CKPT_SOCK_SHUT_RD	(1U << 5)	/* shutdown(SHUT_RD), or the peer's SHUT_WR */
#define CKPT_SOCK_SHUT_WR	(1U << 6)	/* shutdown(SHUT_WR), or the peer's SHUT_RD */
#define CKPT_SOCK_LIVE		(1U << 7)	/* kept by identity: the live one on restore */
#define CKPT_SOCK_REMAKE	(1U << 8)	/* LIVE, or else made again from the record */
#define CKPT_SOCK_REUSEADDR	(1U << 9)	/* SO_REUSEADDR */
#define CKPT_SOCK_REUSEPORT	(1U << 10)	/* SO_REUSEPORT */
#define CKPT_SOCK_V6ONLY	(1U << 11)	/* IPV6_V6ONLY */
#define CKPT_SOCK_KEEPALIVE	(1U << 12)	/* SO_KEEPALIVE */
#define CKPT_SOCK_NODELAY	(1U << 13)	/* TCP_NODELAY */
#define CKPT_SOCK_LINGER	(1U << 14)	/* SO_LINGER on, for @linger_s */
#define CKPT_SOCK_CORK		(1U << 15)	/* TCP_CORK */
#define CKPT_SOCK_FLAGS		((1U << 16) - 1)

/* The most bytes of an address in a SOCKET record (sockaddr_storage). */
#define CKPT_SOCK_ADDR_MAX	128

/**
 * struct ckpt_socket - a socket (CKPT_REC_SOCKET)
 * @id: the object id of its FILE record, which comes just before
 * @family: AF_UNIX, AF_INET or AF_INET6
 * @type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
 * @flags: CKPT_SOCK_*
 * @peer: the object id of its peer's FILE record, for the second socket
 *	of a connected pair (the first has %CKPT_SOCK_CONNECTED); else 0
 * @sndbuf: SO_SNDBUF, as getsockopt() reads it
 * @rcvbuf: SO_RCVBUF, as getsockopt() reads it
 * @rcvlowat: SO_RCVLOWAT
 * @protocol: SO_PROTOCOL (IPPROTO_TCP, IPPROTO_UDP; 0 for unix)
 * @state: the protocol's state (TCP_ESTABLISHED, TCP_LISTEN, TCP_CLOSE...)
 * @pad: zero
 * @rcvtimeo_us: SO_RCVTIMEO in microseconds; 0: none
 * @sndtimeo_us: SO_SNDTIMEO in microseconds; 0: none
 * @cookie: SO_COOKIE, the socket's identity
 * @addr_len: bytes of its address (getsockname()) that follow
 * @peer_len: bytes of its peer's address (getpeername()) that follow
 *	those; 0 if it has no peer
 * @backlog: a listener's backlog (listen()); for a unix client whose
 *	connection waited in its listener's backlog, or a TCP connection
 *	waiting in its listener's, its place there, from 1; else 0
 * @linger_s: SO_LINGER's l_linger, in seconds, as getsockopt() reads it,
 *	on (%CKPT_SOCK_LINGER) or not; 0 for a unix socket
 * @keepidle_s: TCP_KEEPIDLE as set (seconds); 0: not set, the sysctl's
 * @keepintvl_s: TCP_KEEPINTVL as set (seconds); 0: not set
 * @keepcnt: TCP_KEEPCNT as set; 0: not set
 *
 * Recorded by value: a unix socket without an address, made by socket(),
 * or an end of a pair made by socketpair() whose other end the process
 * holds too.  The two ends of a pair follow each other, FILE and SOCKET
 * records; then come the SOCK_DATA records of each end's receive queue.
 * Restore makes new sockets, a pair as socketpair() does, in the
 * committing task.  Such a record has no addresses.
 *
 * Kept by identity (%CKPT_SOCK_LIVE): any other unix socket (bound,
 * listening, connected to a socket outside the process or with an
 * address), and every TCP and UDP socket.  Only what names it is
 * recorded; nothing it holds.  A rollback keeps the very socket (@cookie)
 * at its descriptor, as it is then; a restore as a new process takes the
 * restorer's socket at that descriptor if it is the same one, or one of
 * the same family, type, protocol and state on the same addresses, which
 * the restorer hands over.  Failing that, a socket with %CKPT_SOCK_REMAKE
 * is made again: a TCP listener or unbound socket, a UDP socket, or a
 * unix socket on an abstract name or none (listening, unconnected, or a
 * datagram socket connected to a named one), that had nothing queued
 * (but a UDP socket's datagrams, or a unix datagram socket's on a name
 * from senders without one) and no option but the ones recorded here (buffers, timeouts, SO_PASSCRED,
 * SO_PASSSEC, %CKPT_SOCK_REUSEADDR to %CKPT_SOCK_CORK, SO_LINGER's time
 * and the TCP keepalive timers); it is
 * bound to its address, and listens or is connected as it did.  An
 * established TCP connection with %CKPT_SOCK_REMAKE is followed by its
 * TCP record, and is made again by TCP repair (struct ckpt_tcp); a UDP
 * socket with %CKPT_SOCK_REMAKE by the SOCK_MSG records of the datagrams
 * it had queued, and a unix datagram socket on a name by the SOCK_DATA
 * records of its messages, which they get again when made again.  A
 * unix listener on an abstract name whose waiting connections are all of
 * clients of the process without a name is made again, and so is each
 * client (%CKPT_SOCK_REMAKE, its place in @backlog, the listener's name
 * as its peer): connected to it again in that order, then sending again
 * what it had sent, its SOCK_DATA records after its SOCKET record.
 *
 * A TCP listener with %CKPT_SOCK_REMAKE is followed by the connections
 * waiting in its backlog, not accepted yet, in their order: each a SOCKET
 * record of its own with the listener's @id, %CKPT_SOCK_LIVE and
 * %CKPT_SOCK_REMAKE, state TCP_ESTABLISHED, its place in @backlog and its
 * addresses, then its TCP and SOCK_DATA records (what the peer sent
 * before the dump; it has sent nothing).  They go with the listener:
 * where the live listener is kept they are not looked at; a listener
 * made again gets them back in its backlog by TCP repair, for accept().
 */
struct ckpt_socket {
	__u32	id;
	__u16	family;
	__u16	type;
	__u32	flags;
	__u32	peer;
	__u32	sndbuf;
	__u32	rcvbuf;
	__u32	rcvlowat;
	__u16	protocol;
	__u8	state;
	__u8	pad;
	__aligned_u64 rcvtimeo_us;
	__aligned_u64 sndtimeo_us;
	__aligned_u64 cookie;
	__u16	addr_len;
	__u16	peer_len;
	__u32	backlog;
	__u32	linger_s;
	__u32	keepidle_s;
	__u32	keepintvl_s;
	__u32	keepcnt;
};

/**
 * struct ckpt_sock_data - data queued for a socket (CKPT_REC_SOCK_DATA)
 * @id: the object id of the socket's FILE record
 * @len: bytes that follow
 *
 * What the socket has received and not read yet, oldest first, read at
 * the dump without consuming it.  For a datagram or seqpacket socket one
 * record is one message; for a stream socket the bytes may be cut into
 * records anywhere.  Restore sends it again from the socket's peer; for
 * a unix datagram socket on a name (right after its SOCKET record), each
 * message from a new socket without a name, as its sender had none.  Of
 * a TCP connection (after its TCP record): its receive queue, then its
 * send queue.
 */
struct ckpt_sock_data {
	__u32	id;
	__u32	len;
};

/**
 * struct ckpt_sock_msg - a datagram queued for a socket, with its sender
 *	(CKPT_REC_SOCK_MSG)
 * @id: the object id of the socket's FILE record; its SOCKET record, with
 *	%CKPT_SOCK_REMAKE, comes before
 * @len: bytes of the datagram, after the address
 * @addr_len: bytes of the sender's address that follow, as recvfrom()
 *	gives it (a struct sockaddr_in or sockaddr_in6 of the socket's family)
 * @pad: zero
 *
 * What a UDP socket has received and not read yet, one record per
 * datagram, oldest first, read at the dump without consuming it (a
 * datagram whose checksum is wrong, which no reader would get, is left
 * out).  Restore queues each again as the network would have delivered
 * it, within the socket's receive buffer.
 */
struct ckpt_sock_msg {
	__u32	id;
	__u32	len;
	__u16	addr_len;
	__u16	pad[3];
};

/* struct ckpt_tcp.flags: the options the connection was set up with */
#define CKPT_TCP_SACK		(1U << 0)	/* SACK permitted (TCPOPT_SACK_PERM) */
#define CKPT_TCP_TIMESTAMP	(1U << 1)	/* timestamps (TCPOPT_TIMESTAMP) */
#define CKPT_TCP_WSCALE		(1U << 2)	/* window scaling (TCPOPT_WINDOW) */
#define CKPT_TCP_FIN		(1U << 3)	/* shutdown(SHUT_WR): a FIN ends the send queue */
#define CKPT_TCP_FLAGS		((1U << 4) - 1)

/**
 * struct ckpt_tcp - an established or half-closed TCP connection (CKPT_REC_TCP)
 * @id: the object id of the socket's FILE record; its SOCKET record, with
 *	%CKPT_SOCK_REMAKE, comes just before (for a connection waiting in a
 *	listener's backlog: the listener's, and the connection's own SOCKET)
 * @flags: CKPT_TCP_*
 * @snd_seq: the sequence number of the first byte of the send queue, the
 *	first not acknowledged (TCP_QUEUE_SEQ less the queue's length)
 * @rcv_seq: the sequence number of the first byte received and not read
 * @snd_len: bytes in the send queue: sent and not acknowledged, then not
 *	sent yet
 * @rcv_len: bytes received and not read
 * @timestamp: the connection's timestamp clock (TCP_TIMESTAMP)
 * @mss: the peer's MSS, as clamped (TCPOPT_MSS)
 * @snd_wscale: the peer's window scale, with %CKPT_TCP_WSCALE
 * @rcv_wscale: ours
 * @snd_wl1: the window, as TCP_REPAIR_WINDOW has it (struct
 *	tcp_repair_window)
 * @snd_wnd: see @snd_wl1
 * @max_window: see @snd_wl1
 * @rcv_wnd: see @snd_wl1
 * @rcv_wup: see @snd_wl1
 * @pad: zero
 *
 * The SOCK_DATA records of the socket follow: @rcv_len bytes of its
 * receive queue, then @snd_len bytes of its send queue, cut into records
 * anywhere.  Restore makes the connection again as TCP repair does: a
 * socket in repair mode gets the sequence numbers, is bound to its
 * address and connected to its peer without a handshake, gets the
 * options, the queues and the window, and leaves repair mode once the
 * restore has committed; what was not acknowledged is sent again.
 *
 * A connection whose process called shutdown(SHUT_WR) (state FIN_WAIT1,
 * or FIN_WAIT2 once its peer acknowledged the FIN) has %CKPT_TCP_FIN:
 * its FIN comes after the send queue, at @snd_seq + @snd_len, and is not
 * in @snd_len (a FIN acknowledged has @snd_seq on it, @snd_len 0).
 * Restore makes it as an established one, then shuts it down in repair
 * mode, where the FIN counts as sent; the peer's acknowledgment brings
 * it to FIN_WAIT2.
 */
struct ckpt_tcp {
	__u32	id;
	__u32	flags;
	__u32	snd_seq;
	__u32	rcv_seq;
	__u32	snd_len;
	__u32	rcv_len;
	__u32	timestamp;
	__u16	mss;
	__u8	snd_wscale;
	__u8	rcv_wscale;
	__u32	snd_wl1;
	__u32	snd_wnd;
	__u32	max_window;
	__u32	rcv_wnd;
	__u32	rcv_wup;
	__u32	pad;
};

/**
 * struct ckpt_epoll_item - a file an epoll watches (CKPT_REC_EPOLL_ITEM)
 * @id: the object id of the epoll's FILE record, which comes before
 * @fd: the descriptor the file was added with, at which it is open
 * @file: the object id of the file's FILE record, written before the
 *	epoll's
 * @events: its event mask (EPOLLIN, EPOLLET, EPOLLONESHOT...)
 * @data: its data
 *
 * Restore adds it to the epoll made again as epoll_ctl(EPOLL_CTL_ADD)
 * would, before the point of no return.
 */
struct ckpt_epoll_item {
	__u32	id;
	__u32	fd;
	__u32	file;
	__u32	events;
	__aligned_u64 data;
};

/**
 * struct ckpt_file_data - a run of a file's content (CKPT_REC_FILE_DATA)
 * @id: the object id of the file, whose FILE record comes just before
 * @pad: zero
 * @off: the offset of the run in the file
 *
 * The bytes of the run follow, within the file's recorded size; what no
 * record covers is a hole.
 */
struct ckpt_file_data {
	__u32	id;
	__u32	pad;
	__aligned_u64 off;
};

/* struct ckpt_fd.flags */
#define CKPT_FD_CLOEXEC		(1U << 0)	/* FD_CLOEXEC */
#define CKPT_FD_IMAGE		(1U << 1)	/* the image being written: closed */
#define CKPT_FD_FLAGS		(CKPT_FD_CLOEXEC | CKPT_FD_IMAGE)

/* struct ckpt_child.flags */
#define CKPT_CHILD_ZOMBIE	(1U << 0)	/* exited, not waited for */

/**
 * struct ckpt_child - a child process (CKPT_REC_CHILD)
 * @pid: its pid, in the dumper's pid namespace
 * @flags: CKPT_CHILD_*
 * @comm: its command name, NUL-terminated
 *
 * The children are not in the image: these records, right after the PROC
 * record, say that they existed.  A restore as a new process refuses an
 * image with children (EOPNOTSUPP, naming them) unless the caller passes
 * CKPT_RESTORE_WITHOUT_CHILDREN; a rollback keeps the live children.
 */
struct ckpt_child {
	__u32	pid;
	__u32	flags;
	char	comm[16];
};

/**
 * struct ckpt_fd - a file descriptor (CKPT_REC_FD)
 * @fd: its number; the records come in increasing order
 * @flags: CKPT_FD_*
 * @file: object id of the CKPT_REC_FILE it refers to; 0 with CKPT_FD_IMAGE
 * @pad: zero
 *
 * Every descriptor of the process has a record; two that share an open
 * file (dup()) name the same object.  The descriptor a process wrote its
 * own image to is CKPT_FD_IMAGE, and is closed after a restore: the image
 * is not copied into itself, and what a restore reads it from stays the
 * restorer's.
 */
struct ckpt_fd {
	__u32	fd;
	__u32	flags;
	__u32	file;
	__u32	pad;
};

/**
 * struct ckpt_mm - the address space layout (CKPT_REC_MM)
 * @start_code: see struct mm_struct, as in prctl(PR_SET_MM_MAP)
 * @end_code: ...
 * @start_data: ...
 * @end_data: ...
 * @start_brk: ...
 * @brk: ...
 * @start_stack: ...
 * @arg_start: ...
 * @arg_end: ...
 * @env_start: ...
 * @env_end: ...
 * @mmap_base: where the next mmap() looks for room
 * @exe_file: object id of the executable's CKPT_REC_FILE, or 0
 * @nr_auxv: __u64 words of saved auxv that follow (pairs, ending in AT_NULL)
 */
struct ckpt_mm {
	__aligned_u64 start_code;
	__aligned_u64 end_code;
	__aligned_u64 start_data;
	__aligned_u64 end_data;
	__aligned_u64 start_brk;
	__aligned_u64 brk;
	__aligned_u64 start_stack;
	__aligned_u64 arg_start;
	__aligned_u64 arg_end;
	__aligned_u64 env_start;
	__aligned_u64 env_end;
	__aligned_u64 mmap_base;
	__u32	exe_file;
	__u32	nr_auxv;
};

/* struct ckpt_vma.type */
#define CKPT_VMA_ANON		1	/* private anonymous (heap, stack, ...) */
#define CKPT_VMA_FILE		2	/* a mapping of CKPT_REC_FILE @file */
#define CKPT_VMA_SHMEM		3	/* shared anonymous */
#define CKPT_VMA_VDSO		4	/* the vDSO with its data pages */

/* struct ckpt_vma.flags */
#define CKPT_VMA_SHARED		(1U << 0)
#define CKPT_VMA_GROWSDOWN	(1U << 1)
#define CKPT_VMA_NORESERVE	(1U << 2)
#define CKPT_VMA_ACCOUNT	(1U << 3)
#define CKPT_VMA_DONTCOPY	(1U << 4)
#define CKPT_VMA_DONTDUMP	(1U << 5)
#define CKPT_VMA_WIPEONFORK	(1U << 6)
#define CKPT_VMA_SEQ_READ	(1U << 7)
#define CKPT_VMA_RAND_READ	(1U << 8)
#define CKPT_VMA_HUGEPAGE	(1U << 9)
#define CKPT_VMA_NOHUGEPAGE	(1U << 10)
#define CKPT_VMA_MAYSHARE	(1U << 11)
#define CKPT_VMA_FLAGS		((1U << 12) - 1)

/**
 * struct ckpt_vma - a virtual memory area (CKPT_REC_VMA)
 * @start: first address
 * @end: first address after it
 * @pgoff: offset in the file, in pages (CKPT_VMA_FILE, CKPT_VMA_SHMEM)
 * @prot: PROT_READ, PROT_WRITE, PROT_EXEC
 * @flags: CKPT_VMA_*
 * @type: CKPT_VMA_ANON, CKPT_VMA_FILE, CKPT_VMA_SHMEM or CKPT_VMA_VDSO
 * @file: object id of the mapped file (CKPT_VMA_FILE), else 0
 *
 * The CKPT_REC_PAGES records of a VMA follow it.  Private file mappings
 * carry only the pages the process has written (copied on write); shared
 * file mappings carry none (the file holds them).
 */
struct ckpt_vma {
	__aligned_u64 start;
	__aligned_u64 end;
	__aligned_u64 pgoff;
	__u32	prot;
	__u32	flags;
	__u32	type;
	__u32	file;
};

/* struct ckpt_pages.hash_type */
#define CKPT_PAGES_XXH64	0	/* XXH64, seed 0 */
#define CKPT_PAGES_XXH32	1	/* XXH32, seed 0, in @hash's low 32 bits */

/**
 * struct ckpt_pages - a run of page contents (CKPT_REC_PAGES)
 * @addr: address of the first page, inside the preceding VMA
 * @nr_pages: pages of page_size bytes that follow
 * @hash_type: %CKPT_PAGES_XXH64, or %CKPT_PAGES_XXH32 (what a kernel with
 *	32-bit longs writes: XXH64's 64-bit multiplies cost such a CPU more
 *	than the copy)
 * @hash: that hash of those @nr_pages * page_size bytes (the record's CRC
 *	covers the record up to here)
 *
 * Pages without a record read as zero (anonymous) or as the file.
 */
struct ckpt_pages {
	__aligned_u64 addr;
	__u32	nr_pages;
	__u32	hash_type;
	__aligned_u64 hash;
};

/**
 * struct ckpt_base_pages - pages of the base image (CKPT_REC_BASE_PAGES)
 * @addr: address of the base's PAGES record's first page, inside the
 *	preceding VMA, as are all its pages
 * @offset: file offset of that record's header in the base image
 * @nr_pages: its pages
 * @file: id of the FILE record of the base image
 * @hash_type: that record's
 * @pad: zero
 * @hash: that record's
 *
 * Only in an image of %CKPT_DUMP_DIFF, where it comes after its VMA,
 * before the VMA's PAGES.  A bitmap of @nr_pages bits follows, in __u64
 * words (bit i of word i / 64 is (word >> (i % 64)) & 1): bit i set, the
 * page at @addr + i * page_size is the base's page i, which the process
 * has not written since; bit i clear, it is what the image's own PAGES
 * say, or zero.  Restore reads the record, whose fields must match these,
 * and all its pages, whose hash must be @hash.
 */
struct ckpt_base_pages {
	__aligned_u64 addr;
	__aligned_u64 offset;
	__u32	nr_pages;
	__u32	file;
	__u32	hash_type;
	__u32	pad;
	__aligned_u64 hash;
};

/* Signals 1..CKPT_NSIG; a sigset has bit (n - 1) for signal n. */
#define CKPT_NSIG		64

/* Resource limits, indexed as RLIMIT_* of the dumping kernel. */
#define CKPT_NLIMITS		16

/* struct ckpt_proc.flags */
#define CKPT_PROC_STOPPED	(1U << 0)	/* in a group stop at the dump */
#define CKPT_PROC_SESSION_LEADER (1U << 1)	/* led its session (setsid()) */
#define CKPT_PROC_GROUP_LEADER	(1U << 2)	/* led its process group */
#define CKPT_PROC_TTY		(1U << 3)	/* had a controlling terminal */
#define CKPT_PROC_FOREGROUND	(1U << 4)	/* in its terminal's foreground */
#define CKPT_PROC_FLAGS		(CKPT_PROC_STOPPED | CKPT_PROC_SESSION_LEADER | \
				 CKPT_PROC_GROUP_LEADER | CKPT_PROC_TTY | \
				 CKPT_PROC_FOREGROUND)

/**
 * struct ckpt_rlimit - one resource limit; ~0 is RLIM_INFINITY
 * @cur: soft limit
 * @max: hard limit
 */
struct ckpt_rlimit {
	__aligned_u64 cur;
	__aligned_u64 max;
};

/* struct ckpt_proc.itimer[]: as setitimer() numbers them */
#define CKPT_ITIMERS		3	/* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */

/**
 * struct ckpt_itimer - an interval timer, as getitimer() would return it
 * @value: nanoseconds until it expires (real time, or the process's CPU
 *	time for ITIMER_VIRTUAL and ITIMER_PROF); 0 if disarmed
 * @interval: nanoseconds it is re-armed with
 */
struct ckpt_itimer {
	__aligned_u64 value;
	__aligned_u64 interval;
};

/**
 * struct ckpt_proc - the process (CKPT_REC_PROC), the image's first record
 * @pid: thread group id in the dumper's pid namespace
 * @nr_threads: CKPT_REC_THREAD records in the image; the first is @pid's
 * @umask: file mode creation mask
 * @personality: personality(2) value
 * @uid: real user id, in the dumper's user namespace
 * @euid: effective user id
 * @suid: saved user id
 * @fsuid: filesystem user id
 * @gid: real group id
 * @egid: effective group id
 * @sgid: saved group id
 * @fsgid: filesystem group id
 * @ngroups: supplementary groups (__u32 each) that follow this struct
 * @cwd_len: bytes of the working directory's path, with its NUL
 * @root_len: bytes of the root directory's path, with its NUL
 * @flags: CKPT_PROC_*
 * @cwd_dev: device of the working directory (new_encode_dev())
 * @root_dev: device of the root directory
 * @cwd_ino: inode number of the working directory
 * @root_ino: inode number of the root directory
 * @rlim: resource limits
 * @itimer: the interval timers, at the dump
 *
 * The groups, then the two NUL-terminated paths, follow, in that order.
 * The paths are as the dumper resolves them, from its root; restore
 * resolves them from the restorer's and refuses a directory that is not
 * the one recorded.  Credentials are checked on restore, never granted.
 */
struct ckpt_proc {
	__u32	pid;
	__u32	nr_threads;
	__u32	umask;
	__u32	personality;
	__u32	uid;
	__u32	euid;
	__u32	suid;
	__u32	fsuid;
	__u32	gid;
	__u32	egid;
	__u32	sgid;
	__u32	fsgid;
	__u32	ngroups;
	__u32	cwd_len;
	__u32	root_len;
	__u32	flags;
	__u32	cwd_dev;
	__u32	root_dev;
	__aligned_u64 cwd_ino;
	__aligned_u64 root_ino;
	struct ckpt_rlimit rlim[CKPT_NLIMITS];
	struct ckpt_itimer itimer[CKPT_ITIMERS];
};

/**
 * struct ckpt_sigaction - one signal's disposition (CKPT_REC_SIGHAND)
 * @handler: SIG_DFL (0), SIG_IGN (1) or the handler's user address
 * @flags: SA_* flags, as the dumped architecture defines them
 * @restorer: sa_restorer, where the architecture has it, else 0
 * @mask: signals blocked while the handler runs
 *
 * CKPT_REC_SIGHAND holds CKPT_NSIG of them, for signals 1..CKPT_NSIG.
 */
struct ckpt_sigaction {
	__aligned_u64 handler;
	__aligned_u64 flags;
	__aligned_u64 restorer;
	__aligned_u64 mask;
};

/**
 * struct ckpt_siginfo - a pending signal (CKPT_REC_SIGINFO)
 * @tid: the thread whose private queue holds it, or 0 for the process's
 * @signo: the signal
 * @info: its siginfo, laid out as the dumped architecture's siginfo_t
 *
 * Each queue's signals are written in the order they were queued.
 */
struct ckpt_siginfo {
	__u32	tid;
	__u32	signo;
	__u8	info[128];
};

/**
 * struct ckpt_thread - a thread (CKPT_REC_THREAD), followed by its REGS
 * @tid: thread id in the dumper's pid namespace
 * @sas_flags: alternate signal stack flags (SS_AUTODISARM)
 * @sigmask: blocked signals, bit (n - 1) for signal n
 * @sas_sp: alternate signal stack base, 0 if none
 * @sas_size: alternate signal stack size
 * @robust_list: user address of the robust futex list head, or 0
 * @clear_child_tid: user address cleared and woken at exit, or 0
 * @rseq: user address of the registered struct rseq, or 0
 * @rseq_sig: the signature registered with it
 * @rseq_len: its registered length, 0 if none
 * @comm: the thread's name, NUL-padded
 */
struct ckpt_thread {
	__u32	tid;
	__u32	sas_flags;
	__aligned_u64 sigmask;
	__aligned_u64 sas_sp;
	__aligned_u64 sas_size;
	__aligned_u64 robust_list;
	__aligned_u64 clear_child_tid;
	__aligned_u64 rseq;
	__u32	rseq_sig;
	__u32	rseq_len;
	__u8	comm[16];
};

/**
 * struct ckpt_regs_x86_64 - x86_64 user registers (CKPT_REC_REGS)
 *
 * General registers in the order of struct user_regs_struct, then
 * @xstate_size bytes of standard-format XSAVE data as PTRACE_GETREGSET
 * NT_X86_XSTATE gives it (legacy FXSAVE area, xstate header, components).
 */
struct ckpt_regs_x86_64 {
	__aligned_u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__aligned_u64 ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
	__aligned_u64 fs_base, gs_base, ds, es, fs, gs;
	__u32	xstate_size;
	__u32	pad;
};

/**
 * struct ckpt_regs_arm64 - arm64 user registers (CKPT_REC_REGS)
 * @regs: x0 to x30
 * @sp: stack pointer
 * @pc: program counter
 * @pstate: PSTATE (NZCV and the other user-visible bits)
 * @tpidr_el0: the TLS register
 * @vregs: V0 to V31, each as two __u64, low half first
 * @fpsr: floating-point status register
 * @fpcr: floating-point control register
 */
struct ckpt_regs_arm64 {
	__aligned_u64 regs[31];
	__aligned_u64 sp;
	__aligned_u64 pc;
	__aligned_u64 pstate;
	__aligned_u64 tpidr_el0;
	__aligned_u64 vregs[64];
	__u32	fpsr;
	__u32	fpcr;
};

/**
 * struct ckpt_regs_m68k - m68k user registers (CKPT_REC_REGS)
 * @d: d0 to d7
 * @a: a0 to a6, then the user stack pointer
 * @pc: program counter
 * @sr: status register (only its condition codes are user state)
 * @tls: the thread pointer (set_thread_area)
 * @fpcr: FPU control register
 * @fpsr: FPU status register
 * @fpiar: FPU instruction address register
 * @fp: fp0 to fp7, 96-bit extended precision, three __u32 each
 */
struct ckpt_regs_m68k {
	__u32	d[8];
	__u32	a[8];
	__u32	pc;
	__u32	sr;
	__u32	tls;
	__u32	fpcr;
	__u32	fpsr;
	__u32	fpiar;
	__u32	fp[24];
};

#endif /* _UAPI_LINUX_CKPT_H */
