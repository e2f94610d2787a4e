// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: sockets.
 *
 * A unix socket without an address is the process's own, recorded by
 * value: one made by socket() and never bound or connected, or an end of
 * a pair made by socketpair() whose other end the process holds too.  Its
 * FILE record is followed by a SOCKET record with its type, options and
 * shutdown state; the two ends of a pair follow each other, and then come
 * the bytes or messages queued in each end's receive queue, read without
 * consuming them.  Restore makes new sockets in the committing task, as
 * the process would: socket() or socketpair(), setsockopt() for the
 * options, the queued data sent again from each end's peer (so that a
 * queue longer than the socket's limits fails as send() would) and
 * shutdown(); a rollback too, and another process that shared a socket
 * keeps the old one.  What else such a socket can hold (a descriptor in
 * flight, out-of-band data, credentials a receiver would read) is refused
 * by name.
 *
 * Any other socket is part of something outside the process: a name in
 * the filesystem or the abstract namespace that others connect to, a peer
 * in another process or on the network.  A unix socket with an address or
 * an outside peer, and a TCP or UDP socket, is kept by identity, as a
 * terminal or a pipeline's pipe is: the record names it (its cookie, kind,
 * state and addresses) and holds nothing of it.  A rollback keeps the very
 * socket, live, at its descriptor; a restore as a new process takes the
 * one the restorer hands over at that descriptor, which must be the same
 * or of the same kind on the same addresses.  Failing that, a TCP listener
 * or unconnected socket, a UDP socket, or a unix socket on an abstract
 * name, on an absolute path that still names its socket file, or on none
 * (listening, unconnected, or a datagram socket connected to a named
 * one), is made again if the image holds all of it (nothing was
 * queued but a UDP socket's datagrams, which udp.c records and queues
 * again, or the messages of a unix datagram socket on a name from
 * senders without one, sent to it again each from a new socket without
 * one; no option but those recorded): socket(), setsockopt(), bind(),
 * listen() or connect(), with their checks, in the committing task; an
 * established TCP connection is made again by TCP repair (tcp.c).  A
 * socket file that bind() makes is removed again if the restore fails;
 * one the original process left must be removed first, as a server
 * removes it before it binds.  Other families and types (netlink,
 * packet, raw) are refused by name.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/math64.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sockptr.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/af_unix.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "internal.h"

/* The most bytes an image may queue in its sockets, in all. */
#define CKPT_MAX_SOCK_DATA	(64 << 20)

/* The most bytes of one message in a SOCK_DATA record. */
#define CKPT_SOCK_MSG_MAX	(CKPT_REC_MAX - sizeof(struct ckpt_sock_data))

/**
 * struct ckpt_sock_stage - a socket staged for the commit
 * @rec: its SOCKET record
 * @msgs: the SOCK_DATA records of its receive queue, in order
 * @nr_msgs: entries in @msgs
 * @max_msgs: room in @msgs
 * @peer: for the first end of a pair, the object id of the second, once
 *	its SOCKET record is read
 * @addr: the address of a socket kept by identity, @rec.addr_len bytes
 * @peer_addr: its peer's, @rec.peer_len bytes
 * @tcp: an established TCP connection's TCP record, or NULL
 * @tcp_bytes: the bytes of its queues in @msgs
 * @repaired: the connection was made again by ckpt_tcp_remake()
 * @made: the socket file a unix socket made again was bound to, until
 *	the commit: removed if the restore fails
 * @dgrams: a UDP socket's SOCK_MSG records, in order
 * @nr_dgrams: entries in @dgrams
 * @max_dgrams: room in @dgrams
 * @waiting: a TCP listener's connections waiting in its backlog, in
 *	order, each staged as an established connection is
 * @nr_waiting: entries in @waiting
 * @max_waiting: room in @waiting
 * @conn: such a connection, made again by TCP repair, until the commit
 * @req: the request it is to wait with (ckpt_tcp_req_alloc())
 */
struct ckpt_sock_stage {
	struct ckpt_socket rec;
	u8 addr[CKPT_SOCK_ADDR_MAX];
	u8 peer_addr[CKPT_SOCK_ADDR_MAX];
	struct ckpt_sock_data **msgs;
	unsigned int nr_msgs;
	unsigned int max_msgs;
	u32 peer;
	struct ckpt_tcp *tcp;
	u64 tcp_bytes;
	bool repaired;
	struct path made;
	struct ckpt_sock_msg **dgrams;
	unsigned int nr_dgrams;
	unsigned int max_dgrams;
	struct ckpt_sock_stage **waiting;
	unsigned int nr_waiting;
	unsigned int max_waiting;
	struct socket *conn;
	struct request_sock *req;
};

/* Is @file a socket? */
bool ckpt_is_socket(struct file *file)
{
	return sock_from_file(file);
}

/*
 * Undo the bind() of a unix socket made again, for a restore that failed:
 * unlink() its socket file, if it is still there, with unlink()'s checks.
 */
static void ckpt_unix_unbind(struct path *made)
{
	struct dentry *dentry = made->dentry;
	struct path dir = { .mnt = made->mnt };
	int err;

	dir.dentry = dget_parent(dentry);
	err = mnt_want_write(dir.mnt);
	if (!err) {
		inode_lock_nested(d_inode(dir.dentry), I_MUTEX_PARENT);
		err = -ENOENT;
		if (dentry->d_parent == dir.dentry && !d_unhashed(dentry) &&
		    d_really_is_positive(dentry) &&
		    S_ISSOCK(d_inode(dentry)->i_mode))
			err = security_path_unlink(&dir, dentry) ?:
			      vfs_unlink(mnt_user_ns(dir.mnt),
					 d_inode(dir.dentry), dentry, NULL);
		inode_unlock(d_inode(dir.dentry));
		mnt_drop_write(dir.mnt);
	}
	if (err)
		pr_info_ratelimited("%s[%d]: cannot remove the socket file %pd a failed restore made: error %d\n",
				    current->comm, task_pid_nr(current),
				    dentry, err);
	dput(dir.dentry);
	path_put(made);
}

void ckpt_sock_stage_free(struct ckpt_sock_stage *st)
{
	unsigned int i;

	if (!st)
		return;
	if (st->made.dentry)
		ckpt_unix_unbind(&st->made);
	for (i = 0; i < st->nr_msgs; i++)
		kvfree(st->msgs[i]);
	kvfree(st->msgs);
	for (i = 0; i < st->nr_dgrams; i++)
		kvfree(st->dgrams[i]);
	kvfree(st->dgrams);
	for (i = 0; i < st->nr_waiting; i++)
		ckpt_sock_stage_free(st->waiting[i]);
	kvfree(st->waiting);
	/* closed in repair mode: silently, its peer still held back */
	if (st->conn)
		sock_release(st->conn);
	if (st->req)
		ckpt_tcp_req_free(st->req);
	kvfree(st->tcp);
	kfree(st);
}

/* The file of a socket, with a reference; NULL if it has none (closed). */
static struct file *ckpt_sock_file(struct sock *sk)
{
	struct file *file = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket && sk->sk_socket->file)
		file = get_file(sk->sk_socket->file);
	read_unlock_bh(&sk->sk_callback_lock);
	return file;
}

/* Why the receive queue of @sk cannot be recorded, or NULL. */
static const char *ckpt_sock_queue_refusal(struct ckpt_ctx *ctx,
					   struct socket *sock)
{
	struct sock *sk = sock->sk;
	const char *why = NULL;
	struct sk_buff *skb;
	u64 bytes = 0;

	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (UNIXCB(skb).fp)
			why = "a descriptor in flight to it (SCM_RIGHTS)";
		else if (test_bit(SOCK_PASSCRED, &sock->flags) ||
			 test_bit(SOCK_PASSSEC, &sock->flags))
			why = "data queued with SO_PASSCRED or SO_PASSSEC (senders' credentials)";
		else if (sk->sk_type != SOCK_STREAM &&
			 skb->len > CKPT_SOCK_MSG_MAX)
			why = "a queued message larger than an image record";
		bytes += skb->len;
		if (why)
			break;
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	ctx->sock_bytes += bytes;
	if (!why && ctx->sock_bytes > CKPT_MAX_SOCK_DATA)
		why = "more than 64 MiB queued in its sockets";
	return why;
}

/* The bytes of the messages queued for the unix datagram socket @sk. */
static u64 ckpt_unix_queued(struct sock *sk)
{
	struct sk_buff *skb;
	u64 bytes = 0;

	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb)
		bytes += skb->len;
	spin_unlock(&sk->sk_receive_queue.lock);
	return bytes;
}

/*
 * Is the unix socket @sk kept by identity: with an address, listening, or
 * connected otherwise than to the other end of a pair without addresses
 * the process holds?  *@why says if it cannot be recorded at all.
 */
static bool ckpt_unix_kept(struct ckpt_ctx *ctx, struct sock *sk,
			   const char **why)
{
	struct file *pfile = NULL;
	struct sock *peer;
	bool kept = false;

	if (READ_ONCE(unix_sk(sk)->addr) || READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return true;
	peer = unix_peer_get(sk);
	if (!peer)
		return false;
	pfile = ckpt_sock_file(peer);
	if (pfile && pfile == ctx->file)
		*why = "the other end of the socket the image is written to";
	else if (!pfile || unix_peer(peer) != sk ||
		 READ_ONCE(unix_sk(peer)->addr) ||
		 ckpt_files_fd(ctx->files, pfile) < 0)
		kept = true;
	if (pfile)
		fput(pfile);
	sock_put(peer);
	return kept;
}

/*
 * Is @sock recorded by identity rather than by value?  *@why says if its
 * family or type cannot be recorded at all.
 */
static bool ckpt_sock_kept(struct ckpt_ctx *ctx, struct socket *sock,
			   const char **why)
{
	struct sock *sk = sock->sk;
	bool kept;

	*why = NULL;
	switch (sk->sk_family) {
	case AF_UNIX:
		break;
	case AF_INET:
	case AF_INET6:
		kept = (sk->sk_type == SOCK_STREAM &&
			sk->sk_protocol == IPPROTO_TCP) ||
		       (sk->sk_type == SOCK_DGRAM &&
			sk->sk_protocol == IPPROTO_UDP);
		if (!kept)
			*why = sk->sk_family == AF_INET ?
			       "an IPv4 socket other than TCP and UDP (raw, ICMP, SCTP...)" :
			       "an IPv6 socket other than TCP and UDP (raw, ICMP, SCTP...)";
		return kept;
	case AF_NETLINK:
		*why = "a netlink socket";
		return false;
	case AF_PACKET:
		*why = "a packet socket";
		return false;
	default:
		*why = "a socket of a family other than unix, IPv4 and IPv6";
		return false;
	}
	if (sk->sk_type != SOCK_STREAM && sk->sk_type != SOCK_DGRAM &&
	    sk->sk_type != SOCK_SEQPACKET) {
		*why = "a unix socket of this type";
		return false;
	}
	return ckpt_unix_kept(ctx, sk, why);
}

/*
 * Why @sock cannot be recorded, or NULL; *@kept says if it is recorded
 * by identity rather than by value.
 */
static const char *ckpt_sock_refusal(struct ckpt_ctx *ctx, struct socket *sock,
				     bool *kept)
{
	struct sock *sk = sock->sk;
	const char *why;

	*kept = ckpt_sock_kept(ctx, sock, &why);
	if (why)
		return why;
	if (*kept) {
		/* its queues, if it is made again from the image */
		if (sk->sk_family != AF_UNIX && sk->sk_protocol == IPPROTO_TCP &&
		    ckpt_tcp_conn_state(READ_ONCE(sk->sk_state))) {
			const struct tcp_sock *tp = tcp_sk(sk);

			ctx->sock_bytes += (u32)(READ_ONCE(tp->write_seq) -
						 READ_ONCE(tp->snd_una)) +
					   (u32)(READ_ONCE(tp->rcv_nxt) -
						 READ_ONCE(tp->copied_seq));
		} else if (sk->sk_family != AF_UNIX &&
			   sk->sk_protocol == IPPROTO_UDP) {
			ctx->sock_bytes += ckpt_udp_queued(sk);
		} else if (sk->sk_family == AF_UNIX &&
			   sk->sk_type == SOCK_DGRAM) {
			ctx->sock_bytes += ckpt_unix_queued(sk);
		}
		if (ctx->sock_bytes > CKPT_MAX_SOCK_DATA)
			return "more than 64 MiB queued in its sockets";
		return NULL;
	}
	if (READ_ONCE(sk->sk_err))
		return "a unix socket with an error pending";
	if (READ_ONCE(sk->sk_peek_off) >= 0)
		return "a unix socket with SO_PEEK_OFF";
	if (READ_ONCE(sk->sk_mark) || READ_ONCE(sk->sk_priority))
		return "a unix socket with SO_MARK or SO_PRIORITY";
	if (rcu_access_pointer(sk->sk_filter))
		return "a unix socket with a filter (SO_ATTACH_FILTER)";
	if (sock_flag(sk, SOCK_RCVTSTAMP) || sock_flag(sk, SOCK_RCVTSTAMPNS) ||
	    sock_flag(sk, SOCK_RXQ_OVFL))
		return "a unix socket with SO_TIMESTAMP* or SO_RXQ_OVFL";
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	if (READ_ONCE(unix_sk(sk)->oob_skb))
		return "a unix socket with out-of-band data (MSG_OOB)";
#endif
	return ckpt_sock_queue_refusal(ctx, sock);
}

static const char *const ckpt_sock_states[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",
	[TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

/* The name of a socket's state, for the log. */
static const char *ckpt_sock_state_name(int state)
{
	if (state < 0 || state >= ARRAY_SIZE(ckpt_sock_states) ||
	    !ckpt_sock_states[state])
		return "?";
	return ckpt_sock_states[state];
}

static bool ckpt_inet_remake(struct sock *sk, struct ckpt_socket *rec);

/*
 * Would a dump with %CKPT_DUMP_KILL lose the TCP connection @sock, kept
 * by identity only, that no other process holds (@refs: the dump's own
 * references to its file)?  A restore can be handed a listener or an
 * unconnected socket on the same address, but not a connection: one the
 * image cannot make again lives only in the process the dump kills.
 * *@why says what keeps it out of the image.
 */
static bool ckpt_tcp_kill_loses(struct ckpt_ctx *ctx, struct socket *sock,
				unsigned int refs, const char **why)
{
	struct sock *sk = sock->sk;
	struct ckpt_socket rec = { };
	int state = READ_ONCE(sk->sk_state);

	if (!(ctx->flags & CKPT_DUMP_KILL) || sk->sk_family == AF_UNIX ||
	    sk->sk_protocol != IPPROTO_TCP || state == TCP_LISTEN ||
	    state == TCP_CLOSE || ckpt_inet_remake(sk, &rec) ||
	    file_count(sock->file) > ckpt_files_nr_fds(ctx->files, sock->file) +
				     refs)
		return false;
	if (!ckpt_tcp_conn_state(state))
		*why = "a state TCP repair cannot make again";
	else if (!ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		*why = "no CAP_NET_ADMIN to read it in repair mode";
	else
		*why = "an option, a shutdown or data the TCP record cannot hold";
	return true;
}

/**
 * ckpt_check_socket - can a socket be recorded?
 * @ctx: the context, in ckpt_dump_fds() (@ctx->files)
 * @file: the socket
 * @fd: its descriptor
 *
 * By value, a unix socket without an address, unconnected or with its
 * peer, without an address either, open at a descriptor of the process
 * too (its pair's other end); by identity, another unix socket, or a TCP
 * or UDP one.
 *
 * Return: 0, or -EOPNOTSUPP (logged, naming the descriptor and why).
 */
int ckpt_check_socket(struct ckpt_ctx *ctx, struct file *file, int fd)
{
	struct socket *sock = sock_from_file(file);
	const char *why;
	bool kept;

	why = ckpt_sock_refusal(ctx, sock, &kept);
	if (!why && kept && ckpt_tcp_kill_loses(ctx, sock, 1, &why))
		return ckpt_refuse_task(ctx->task,
					"fd %d: a TCP connection in state %s, kept by identity only (%s), would be lost with CKPT_DUMP_KILL",
					fd, ckpt_sock_state_name(sock->sk->sk_state),
					why);
	if (!why)
		return 0;
	return ckpt_refuse_task(ctx->task, "fd %d: %s is not supported", fd,
				why);
}

/**
 * struct ckpt_queue_snap - what a unix socket has received and not read
 * @buf: the bytes, message after message
 * @lens: each message's length
 * @n: entries in @lens
 */
struct ckpt_queue_snap {
	u8 *buf;
	u32 *lens;
	unsigned int n;
};

/* Does the message @skb name its sender, or carry descriptors? */
static bool ckpt_unix_skb_named(struct sk_buff *skb)
{
	if (UNIXCB(skb).fp)
		return true;
	/* pairs with the bind's smp_store_release(), as in unix_copy_addr() */
	return skb->sk && smp_load_acquire(&unix_sk(skb->sk)->addr);
}

/*
 * Read what @sk has received and not read into @q, without consuming it;
 * with @unnamed, only if no message names its sender (a reader would get
 * its address) or carries descriptors: -EAGAIN else.  -E2BIG if it grew
 * past CKPT_MAX_SOCK_DATA since the check (ckpt_sock_queue_err()).
 */
static int ckpt_sock_queue_read(struct sock *sk, struct ckpt_queue_snap *q,
				bool unnamed)
{
	bool stream = sk->sk_type == SOCK_STREAM;
	struct unix_sock *u = unix_sk(sk);
	size_t bytes = 0, cap = 0, off, len;
	unsigned int n = 0, ncap = 0, i;
	struct sk_buff *skb;
	int err = 0;

	memset(q, 0, sizeof(*q));
	/* no reader meanwhile; the data copied under the queue's lock */
	mutex_lock(&u->iolock);
	for (;;) {
		spin_lock(&sk->sk_receive_queue.lock);
		bytes = 0;
		n = 0;
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			bytes += skb->len - (stream ? UNIXCB(skb).consumed : 0);
			n++;
		}
		if (bytes <= cap && n <= ncap)
			break;
		spin_unlock(&sk->sk_receive_queue.lock);
		kvfree(q->buf);
		kvfree(q->lens);
		q->lens = NULL;
		cap = bytes;
		ncap = n;
		q->buf = NULL;
		err = -E2BIG;		/* grown since the check */
		if (cap > CKPT_MAX_SOCK_DATA)
			goto out;
		err = -ENOMEM;
		q->buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
		q->lens = kvmalloc_array(ncap, sizeof(*q->lens),
					 GFP_KERNEL_ACCOUNT);
		if (!q->buf || !q->lens)
			goto out;
		err = 0;
	}
	off = 0;
	i = 0;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		unsigned int skip = stream ? UNIXCB(skb).consumed : 0;

		if (unnamed && ckpt_unix_skb_named(skb))
			err = -EAGAIN;
		len = skb->len - skip;
		if (!err)
			err = skb_copy_bits(skb, skip, q->buf + off, len);
		q->lens[i++] = len;
		off += len;
	}
	q->n = n;
	spin_unlock(&sk->sk_receive_queue.lock);
out:
	mutex_unlock(&u->iolock);
	return err;
}

static void ckpt_queue_snap_free(struct ckpt_queue_snap *q)
{
	kvfree(q->buf);
	kvfree(q->lens);
}

/* A queue read by ckpt_sock_queue_read() that grew past the limit: refused. */
static int ckpt_sock_queue_err(struct ckpt_ctx *ctx, int err)
{
	if (err == -E2BIG)
		return ckpt_refuse_task(ctx->task,
					"a unix socket whose queue grew past 64 MiB during the dump");
	return err;
}

/* Write a unix socket's queue, read by ckpt_sock_queue_read(), for @id. */
static int ckpt_sock_queue_write(struct ckpt_ctx *ctx, struct sock *sk,
				 const struct ckpt_queue_snap *q, u32 id)
{
	bool stream = sk->sk_type == SOCK_STREAM;
	struct ckpt_sock_data *rec;
	size_t off, len;
	unsigned int i;

	/* a stream's bytes in records as large as they come */
	for (off = 0, i = 0; i < q->n; i++) {
		size_t left = q->lens[i];

		if (stream && !left)
			continue;
		do {
			len = min_t(size_t, left, CKPT_SOCK_MSG_MAX);
			if (!stream && left > CKPT_SOCK_MSG_MAX)
				return -EOPNOTSUPP;
			rec = ckpt_rec_begin(ctx, CKPT_REC_SOCK_DATA,
					     sizeof(*rec) + len);
			if (IS_ERR(rec))
				return PTR_ERR(rec);
			rec->id = id;
			rec->len = len;
			memcpy(rec + 1, q->buf + off, len);
			ckpt_rec_end(ctx, sizeof(*rec) + len);
			off += len;
			left -= len;
		} while (left);
	}
	return 0;
}

/* Write what @sk has received and not read, as SOCK_DATA records of @id. */
static int ckpt_dump_sock_queue(struct ckpt_ctx *ctx, struct sock *sk, u32 id)
{
	struct ckpt_queue_snap q;
	int err;

	err = ckpt_sock_queue_err(ctx, ckpt_sock_queue_read(sk, &q, false)) ?:
	      ckpt_sock_queue_write(ctx, sk, &q, id);
	ckpt_queue_snap_free(&q);
	return err;
}

/* SO_RCVTIMEO and SO_SNDTIMEO in microseconds, 0 for none. */
static u64 ckpt_timeo_us(long timeo)
{
	if (timeo == MAX_SCHEDULE_TIMEOUT)
		return 0;
	return div_u64(jiffies64_to_nsecs(timeo), NSEC_PER_USEC) ?: 1;
}

/*
 * The flags of the options every socket's record has: the buffers set by
 * SO_SNDBUF and SO_RCVBUF, and for a unix socket SO_PASSCRED and
 * SO_PASSSEC (which mean nothing to TCP and UDP).
 */
static void ckpt_sock_opt_flags(struct socket *sock, struct ckpt_socket *rec)
{
	struct sock *sk = sock->sk;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		rec->flags |= CKPT_SOCK_SNDBUF;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		rec->flags |= CKPT_SOCK_RCVBUF;
	if (sk->sk_family != AF_UNIX)
		return;
	if (test_bit(SOCK_PASSCRED, &sock->flags))
		rec->flags |= CKPT_SOCK_PASSCRED;
	if (test_bit(SOCK_PASSSEC, &sock->flags))
		rec->flags |= CKPT_SOCK_PASSSEC;
}

/* getsockname(), or getpeername() if @peer, into @addr; 0 if none. */
static int ckpt_sock_name(struct socket *sock, bool peer,
			  struct sockaddr_storage *addr)
{
	int len;

	memset(addr, 0, sizeof(*addr));
	len = peer ? kernel_getpeername(sock, (struct sockaddr *)addr) :
		     kernel_getsockname(sock, (struct sockaddr *)addr);
	return clamp_t(int, len, 0, CKPT_SOCK_ADDR_MAX);
}

/*
 * Can restore make the TCP or UDP socket @sk again from its record, when
 * the live one is not there?  Only if the image holds all of it: a TCP
 * listener with no connection half made (those waiting to be accepted
 * follow it, ckpt_dump_waiting()) or an unconnected TCP socket; an
 * established TCP connection its TCP record can hold
 * (ckpt_tcp_by_value()); a UDP socket, its datagrams in SOCK_MSG records
 * after its own (ckpt_udp_snapshot()); and no option
 * but those the record has: ckpt_sock_opt_flags()'s, and the TCP and UDP
 * ones this fills in.
 */
static bool ckpt_inet_remake(struct sock *sk, struct ckpt_socket *rec)
{
	struct inet_sock *inet = inet_sk(sk);
	bool ok;

	lock_sock(sk);
	if (sk->sk_reuse == SK_CAN_REUSE)
		rec->flags |= CKPT_SOCK_REUSEADDR;
	if (sk->sk_reuseport)
		rec->flags |= CKPT_SOCK_REUSEPORT;
	if (sk->sk_family == AF_INET6 && sk->sk_ipv6only)
		rec->flags |= CKPT_SOCK_V6ONLY;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		rec->flags |= CKPT_SOCK_KEEPALIVE;
	/* as getsockopt(SO_LINGER) reads it, on or off */
	if (sock_flag(sk, SOCK_LINGER))
		rec->flags |= CKPT_SOCK_LINGER;
	rec->linger_s = sk->sk_lingertime / HZ;
	ok = !sk->sk_mark && !sk->sk_priority && !sk->sk_bound_dev_if &&
	     !sk->sk_err && !rcu_access_pointer(sk->sk_filter) &&
	     !sock_flag(sk, SOCK_RCVTSTAMP) && !sock_flag(sk, SOCK_RXQ_OVFL) &&
	     !sk->sk_tsflags && sk->sk_peek_off < 0 &&
	     /* a connection's shutdown is ckpt_tcp_by_value()'s */
	     (!sk->sk_shutdown || (sk->sk_protocol == IPPROTO_TCP &&
				   ckpt_tcp_conn_state(sk->sk_state))) &&
	     !inet->cmsg_flags && inet->uc_ttl == -1 &&
	     !inet->tos && !rcu_access_pointer(inet->mc_list) &&
	     !inet->freebind && !inet->transparent && !inet->recverr &&
	     !inet->bind_address_no_port;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct ipv6_pinfo *np = inet6_sk(sk);

		ok = ok && !np->rxopt.all && np->hop_limit == -1 &&
		     !np->tclass && !rcu_access_pointer(np->ipv6_mc_list) &&
		     !rcu_access_pointer(np->opt);
	}
#endif
	if (sk->sk_protocol == IPPROTO_TCP) {
		struct inet_connection_sock *icsk = inet_csk(sk);
		struct tcp_sock *tp = tcp_sk(sk);

		if (tp->nonagle & TCP_NAGLE_OFF)
			rec->flags |= CKPT_SOCK_NODELAY;
		if (tp->nonagle & TCP_NAGLE_CORK)
			rec->flags |= CKPT_SOCK_CORK;
		/* set by TCP_KEEPIDLE and the others as seconds * HZ; 0: unset */
		rec->keepidle_s = tp->keepalive_time / HZ;
		rec->keepintvl_s = tp->keepalive_intvl / HZ;
		rec->keepcnt = tp->keepalive_probes;
		if (sk->sk_state == TCP_LISTEN)
			rec->backlog = READ_ONCE(sk->sk_max_ack_backlog);
		ok = ok && (sk->sk_state == TCP_LISTEN ||
			    sk->sk_state == TCP_CLOSE ||
			    ckpt_tcp_by_value(sk)) &&
		     !(tp->nonagle & ~(TCP_NAGLE_OFF | TCP_NAGLE_PUSH |
				       TCP_NAGLE_CORK)) &&
		     !tp->rx_opt.user_mss && !tp->linger2 &&
		     !icsk->icsk_user_timeout && !icsk->icsk_ca_setsockopt &&
		     !icsk->icsk_accept_queue.rskq_defer_accept &&
		     !icsk->icsk_accept_queue.fastopenq.max_qlen &&
		     (sk->sk_state != TCP_LISTEN ||
		      !inet_csk_reqsk_queue_len(sk));
	} else {
		struct udp_sock *up = udp_sk(sk);

		/* its datagrams follow (ckpt_udp_snapshot()) */
		ok = ok && !READ_ONCE(up->udp_flags) && !up->encap_type &&
		     !up->pcflag && !up->gso_size && !up->pending;
	}
	release_sock(sk);
	return ok;
}

/*
 * The unix listener of the process that has @embryo waiting in its
 * backlog, and where (from 1): for iterate_fd(), under the table's lock.
 */
struct ckpt_backlog_find {
	struct sock *embryo;
	struct file *listener;
	unsigned int pos;
};

static int ckpt_match_backlog(const void *p, struct file *file,
			      unsigned int fd)
{
	struct ckpt_backlog_find *f = (struct ckpt_backlog_find *)p;
	struct socket *sock = sock_from_file(file);
	unsigned int pos = 0;
	struct sk_buff *skb;
	struct sock *sk;

	if (!sock || sock->sk->sk_family != AF_UNIX ||
	    READ_ONCE(sock->sk->sk_state) != TCP_LISTEN)
		return 0;
	sk = sock->sk;
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		pos++;
		if (skb->sk == f->embryo) {
			f->pos = pos;
			f->listener = get_file(file);
			break;
		}
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	return f->pos ? fd + 1 : 0;
}

/*
 * Is every connection waiting in the backlog of the unix listener @sk,
 * on an abstract name, one the image can make again: of a client of the
 * process without a name, that sent no descriptor, neither end shut
 * down?  The listener passes no credentials on (SO_PASSCRED, SO_PASSSEC:
 * the accepted socket would inherit them).
 */
static bool ckpt_unix_backlog_ok(struct ckpt_ctx *ctx, struct sock *sk)
{
	const unsigned int path = offsetof(struct sockaddr_un, sun_path);
	struct unix_address *addr;
	struct sock **embryos;
	unsigned int n = 0, i, max;
	struct sk_buff *skb;
	bool ok = true;

	if (!sk->sk_socket || test_bit(SOCK_PASSCRED, &sk->sk_socket->flags) ||
	    test_bit(SOCK_PASSSEC, &sk->sk_socket->flags))
		return false;
	/*
	 * On an abstract name, which restore can bind again (the acquire
	 * pairs with the bind's smp_store_release(), as in unix_copy_addr())
	 */
	addr = smp_load_acquire(&unix_sk(sk)->addr);
	if (!addr || addr->len <= path || addr->name->sun_path[0])
		return false;
	max = READ_ONCE(sk->sk_max_ack_backlog) + 1;
	embryos = kvmalloc_array(max, sizeof(*embryos), GFP_KERNEL);
	if (!embryos)
		return false;
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (n == max) {
			ok = false;
			break;
		}
		sock_hold(skb->sk);
		embryos[n++] = skb->sk;
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	for (i = 0; i < n; i++) {
		struct sock *client = ok ? unix_peer_get(embryos[i]) : NULL;
		struct file *cfile = client ? ckpt_sock_file(client) : NULL;
		struct sk_buff *m;

		ok = cfile && cfile != ctx->file &&
		     ckpt_files_fd(ctx->files, cfile) >= 0 &&
		     !READ_ONCE(unix_sk(client)->addr) &&
		     !READ_ONCE(client->sk_shutdown) &&
		     !READ_ONCE(embryos[i]->sk_shutdown) &&
		     skb_queue_empty_lockless(&client->sk_receive_queue);
		if (ok) {
			spin_lock(&embryos[i]->sk_receive_queue.lock);
			skb_queue_walk(&embryos[i]->sk_receive_queue, m)
				ok = ok && !UNIXCB(m).fp;
			spin_unlock(&embryos[i]->sk_receive_queue.lock);
		}
		if (cfile)
			fput(cfile);
		if (client)
			sock_put(client);
		sock_put(embryos[i]);
	}
	kvfree(embryos);
	return ok;
}

/*
 * Can the connection of @client, waiting in a backlog, be made again:
 * the client of the process has no name, neither end is shut down, and
 * its listener is one of the process's too, on an abstract name, whose
 * every connection is of such a client (ckpt_unix_backlog_ok())?  Its
 * position in the backlog, from 1, or 0.
 */
static unsigned int ckpt_unix_client_pos(struct ckpt_ctx *ctx,
					 struct sock *client)
{
	struct ckpt_backlog_find f = { };
	struct sock *embryo = unix_peer_get(client);

	if (!embryo)
		return 0;
	f.embryo = embryo;
	if (!embryo->sk_socket)		/* not accepted yet */
		iterate_fd(ctx->files, 0, ckpt_match_backlog, &f);
	if (f.listener &&
	    !ckpt_unix_backlog_ok(ctx, sock_from_file(f.listener)->sk))
		f.pos = 0;
	if (f.listener)
		fput(f.listener);
	sock_put(embryo);
	return f.pos;
}

/*
 * Is the name in the filesystem a unix socket was bound to, @sun of @alen
 * bytes, one restore can bind() to again: an absolute path that still
 * leads, from the dumper's root, to the socket's file (not removed or
 * moved since)?
 */
static bool ckpt_unix_path_same(struct sock *sk,
				const struct sockaddr_un *sun, int alen)
{
	const int path = offsetof(struct sockaddr_un, sun_path);
	struct path found, bound;
	bool same = false;
	char *name;

	if (sun->sun_path[0] != '/')
		return false;
	name = kmemdup_nul(sun->sun_path, alen - path, GFP_KERNEL);
	if (!name)
		return false;
	/* set for good before the address ckpt_sock_name() read: unix_bind_bsd() */
	bound = unix_sk(sk)->path;
	path_get(&bound);
	if (bound.dentry && !kern_path(name, 0, &found)) {
		same = path_equal(&found, &bound);
		path_put(&found);
	}
	path_put(&bound);
	kfree(name);
	return same;
}

/*
 * Can restore make the unix socket @sock again from its record?  Only one
 * without an address, on an abstract name, or on a path that still names
 * its socket file (ckpt_unix_path_same()), listening with no
 * connection waiting, unconnected, or a datagram socket connected to a
 * socket with a name; with nothing queued but, for a datagram socket on
 * a name and not connected, messages; and no option but those the
 * record has (ckpt_sock_opt_flags()); fills in its backlog.  @addr is its
 * name, @alen bytes, and @plen the length of its peer's.
 */
static bool ckpt_unix_remake(struct ckpt_ctx *ctx, struct socket *sock,
			     struct ckpt_socket *rec,
			     const struct sockaddr_storage *addr, int alen,
			     int plen)
{
	const int path = offsetof(struct sockaddr_un, sun_path);
	struct sock *sk = sock->sk;
	bool backlog = false, ok;
	unsigned int pos = 0;

	if (alen > path && ((const struct sockaddr_un *)addr)->sun_path[0] &&
	    !ckpt_unix_path_same(sk, (const struct sockaddr_un *)addr, alen))
		return false;
	/* a listener with connections of its own process waiting */
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN && alen > path &&
	    !skb_queue_empty_lockless(&sk->sk_receive_queue))
		backlog = ckpt_unix_backlog_ok(ctx, sk);
	/* a client of the process, connected to such a listener's backlog */
	if (sk->sk_type != SOCK_DGRAM &&
	    READ_ONCE(sk->sk_state) == TCP_ESTABLISHED && alen == path &&
	    plen > path)
		pos = ckpt_unix_client_pos(ctx, sk);
	unix_state_lock(sk);
	ok = !sk->sk_err && !sk->sk_shutdown && sk->sk_peek_off < 0 &&
	     !sk->sk_mark && !sk->sk_priority &&
	     !rcu_access_pointer(sk->sk_filter) &&
	     !sock_flag(sk, SOCK_RCVTSTAMP) && !sock_flag(sk, SOCK_RCVTSTAMPNS) &&
	     !sock_flag(sk, SOCK_RXQ_OVFL);
	/*
	 * Messages queued only for a datagram socket others send to by its
	 * name, with no credentials to pass on; they follow if none names
	 * its sender (ckpt_dump_kept_socket()).
	 */
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		ok = ok && ((sk->sk_type == SOCK_DGRAM && alen > path && !plen &&
			     !test_bit(SOCK_PASSCRED, &sock->flags) &&
			     !test_bit(SOCK_PASSSEC, &sock->flags)) ||
			    (sk->sk_state == TCP_LISTEN && backlog));
	if (sk->sk_type == SOCK_DGRAM)
		ok = ok && (sk->sk_state == TCP_CLOSE ? !plen : plen > path);
	else if (pos && sk->sk_state == TCP_ESTABLISHED)
		rec->backlog = pos;	/* its place in the backlog */
	else
		ok = ok && !plen && (sk->sk_state == TCP_LISTEN ||
				     (sk->sk_state == TCP_CLOSE && !unix_peer(sk)));
	if (sk->sk_state == TCP_LISTEN)
		rec->backlog = READ_ONCE(sk->sk_max_ack_backlog);
	unix_state_unlock(sk);
	return ok;
}

/*
 * The address of a connection waiting in a backlog, or its peer's, as
 * getsockname() or getpeername() gives it once accepted; its length.
 */
static int ckpt_inet_name(struct sock *sk, bool peer,
			  struct sockaddr_storage *addr)
{
	struct inet_sock *inet = inet_sk(sk);

	memset(addr, 0, sizeof(*addr));
	if (sk->sk_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		sin->sin_family = AF_INET;
		sin->sin_port = peer ? inet->inet_dport : inet->inet_sport;
		sin->sin_addr.s_addr = peer ? inet->inet_daddr :
					      inet->inet_rcv_saddr;
		return sizeof(*sin);
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = peer ? inet->inet_dport : inet->inet_sport;
		sin6->sin6_addr = peer ? sk->sk_v6_daddr : sk->sk_v6_rcv_saddr;
		sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr,
							  sk->sk_bound_dev_if);
		return sizeof(*sin6);
	}
#endif
	return 0;
}

/**
 * struct ckpt_waiting - a TCP connection waiting in a listener's backlog
 * @rec: its SOCKET record: the listener's id, its place from 1
 * @addr: its address, then its peer's
 * @snap: its TCP record and the bytes of its queues
 */
struct ckpt_waiting {
	struct ckpt_socket rec;
	struct sockaddr_storage addr[2];
	struct ckpt_tcp_snap snap;
};

static void ckpt_waiting_free(struct ckpt_waiting *w, unsigned int n)
{
	while (n--)
		kvfree(w[n].snap.data);
	kvfree(w);
}

/*
 * Read the connections waiting in the backlog of @sock, a TCP listener
 * whose record @lrec makes it again, into *@wp: each one its records can
 * make again, as an established connection is (ckpt_inet_remake()), held
 * back from its peer with the listener's file (ckpt_tcp_snapshot()).
 *
 * Return: how many; -EAGAIN if one cannot be, or the backlog changed
 * meanwhile (the listener is recorded by identity then); -EOPNOTSUPP
 * past the bytes an image may queue in its sockets; -ENOSPC; -ENOMEM.
 */
static int ckpt_dump_waiting(struct ckpt_ctx *ctx, struct socket *sock,
			     const struct ckpt_socket *lrec,
			     struct ckpt_waiting **wp)
{
	unsigned int max = READ_ONCE(sock->sk->sk_ack_backlog);
	unsigned int held = ctx->nr_tcp_held, i;
	u64 bytes = ctx->sock_bytes;
	u64 room = CKPT_MAX_SOCK_DATA - min_t(u64, bytes, CKPT_MAX_SOCK_DATA);
	struct ckpt_waiting *w = NULL;
	struct sock **conns;
	int nr, err = 0;

	*wp = NULL;
	if (!max)
		return 0;
	conns = kvcalloc(max, sizeof(*conns), GFP_KERNEL);
	if (!conns)
		return -ENOMEM;
	nr = ckpt_tcp_waiting(sock->sk, conns, max);
	if (nr <= 0) {
		kvfree(conns);
		return nr;
	}
	w = kvcalloc(nr, sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		err = -ENOMEM;
	for (i = 0; i < nr && !err; i++) {
		struct ckpt_socket *rec = &w[i].rec;
		struct sock *sk = conns[i];

		rec->id = lrec->id;
		rec->family = sk->sk_family;
		rec->type = sk->sk_type;
		rec->protocol = sk->sk_protocol;
		rec->state = READ_ONCE(sk->sk_state);
		rec->cookie = sock_gen_cookie(sk);
		rec->sndbuf = READ_ONCE(sk->sk_sndbuf);
		rec->rcvbuf = READ_ONCE(sk->sk_rcvbuf);
		rec->rcvlowat = READ_ONCE(sk->sk_rcvlowat);
		rec->rcvtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_rcvtimeo));
		rec->sndtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_sndtimeo));
		rec->flags = CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE;
		if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
			rec->flags |= CKPT_SOCK_SNDBUF;
		if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
			rec->flags |= CKPT_SOCK_RCVBUF;
		if (rec->state != TCP_ESTABLISHED || !ckpt_inet_remake(sk, rec)) {
			err = -EAGAIN;
			break;
		}
		rec->backlog = i + 1;
		rec->addr_len = ckpt_inet_name(sk, false, &w[i].addr[0]);
		rec->peer_len = ckpt_inet_name(sk, true, &w[i].addr[1]);
		err = ckpt_tcp_snapshot(ctx, sk, sock->file, &w[i].snap, room);
		if (!err && w[i].snap.state != TCP_ESTABLISHED)
			err = -EAGAIN;
		if (!err) {
			room -= w[i].snap.rec.rcv_len + w[i].snap.rec.snd_len;
			ctx->sock_bytes += w[i].snap.rec.rcv_len +
					   w[i].snap.rec.snd_len;
		}
	}
	/* none accepted or come meanwhile: the backlog read is the one */
	if (!err && !ckpt_tcp_waiting_same(sock->sk, conns, nr))
		err = -EAGAIN;
	for (i = 0; i < nr; i++)
		sock_put(conns[i]);
	kvfree(conns);
	if (err == -E2BIG)
		err = ckpt_refuse_task(ctx->task,
				       "a TCP listener with more than 64 MiB queued in its backlog's connections");
	if (err) {
		ckpt_tcp_unhold_from(ctx, held);
		ctx->sock_bytes = bytes;
		if (w)
			ckpt_waiting_free(w, nr);
		return err;
	}
	*wp = w;
	return nr;
}

/* A SOCKET record with its addresses, @rec's lengths of each. */
static int ckpt_write_sock_rec(struct ckpt_ctx *ctx,
			       const struct ckpt_socket *rec,
			       const struct sockaddr_storage *addr)
{
	u32 len = sizeof(*rec) + rec->addr_len + rec->peer_len;
	struct ckpt_socket *r;

	r = ckpt_rec_begin(ctx, CKPT_REC_SOCKET, len);
	if (IS_ERR(r))
		return PTR_ERR(r);
	*r = *rec;
	memcpy(r + 1, &addr[0], rec->addr_len);
	memcpy((u8 *)(r + 1) + rec->addr_len, &addr[1], rec->peer_len);
	ckpt_rec_end(ctx, len);
	return 0;
}

/*
 * The SOCKET record of a socket kept by identity, and its addresses; for
 * an established TCP connection made again from the image, its TCP record
 * and queues after it; for a UDP socket, its datagrams; for a TCP
 * listener, the records of the connections waiting in its backlog.
 */
static int ckpt_dump_kept_socket(struct ckpt_ctx *ctx, struct socket *sock,
				 struct ckpt_socket *rec)
{
	struct ckpt_waiting *waiting = NULL;
	struct ckpt_queue_snap msgs = { };
	struct ckpt_udp_snap dgrams = { };
	struct ckpt_tcp_snap snap = { };
	struct sockaddr_storage *addr;
	int alen, plen, err, i, nr_waiting = 0;
	const char *why;

	addr = kmalloc_array(2, sizeof(*addr), GFP_KERNEL);
	if (!addr)
		return -ENOMEM;
	alen = ckpt_sock_name(sock, false, &addr[0]);
	plen = ckpt_sock_name(sock, true, &addr[1]);
	rec->flags = CKPT_SOCK_LIVE;
	ckpt_sock_opt_flags(sock, rec);
	if (sock->sk->sk_family == AF_UNIX ?
	    ckpt_unix_remake(ctx, sock, rec, &addr[0], alen, plen) :
	    ckpt_inet_remake(sock->sk, rec)) {
		rec->flags |= CKPT_SOCK_REMAKE;
	} else {
		rec->flags = CKPT_SOCK_LIVE;
		rec->backlog = 0;
	}
	if (rec->flags & CKPT_SOCK_REMAKE && rec->protocol == IPPROTO_TCP &&
	    ckpt_tcp_conn_state(rec->state)) {
		err = ckpt_tcp_snapshot(ctx, sock->sk, sock->file, &snap,
					CKPT_MAX_SOCK_DATA);
		if (!err) {
			rec->state = snap.state;
		} else if (err == -EAGAIN) {	/* no longer one it can hold */
			rec->flags = CKPT_SOCK_LIVE;
		} else {
			if (err == -E2BIG)
				err = ckpt_refuse_task(ctx->task,
						       "a TCP connection with more than 64 MiB queued");
			goto out;
		}
	}
	if (rec->flags & CKPT_SOCK_REMAKE && rec->protocol == IPPROTO_TCP &&
	    rec->state == TCP_LISTEN) {
		nr_waiting = ckpt_dump_waiting(ctx, sock, rec, &waiting);
		if (nr_waiting == -EAGAIN) {	/* kept by identity then */
			nr_waiting = 0;
			rec->flags = CKPT_SOCK_LIVE;
			rec->backlog = 0;
		} else if (nr_waiting < 0) {
			err = nr_waiting;
			goto out;
		}
	}
	if (rec->flags & CKPT_SOCK_REMAKE && rec->family == AF_UNIX &&
	    rec->type != SOCK_DGRAM && rec->backlog &&
	    rec->state == TCP_ESTABLISHED) {
		/* what it sent and its connection, not accepted yet, holds */
		struct sock *embryo = unix_peer_get(sock->sk);

		err = embryo ? ckpt_sock_queue_read(embryo, &msgs, true) :
			       -EAGAIN;
		err = ckpt_sock_queue_err(ctx, err);
		if (embryo)
			sock_put(embryo);
		if (err == -EAGAIN) {		/* accepted, or a descriptor */
			rec->flags = CKPT_SOCK_LIVE;
			rec->backlog = 0;
		} else if (err) {
			goto out;
		}
	} else if (rec->flags & CKPT_SOCK_REMAKE && rec->family == AF_UNIX &&
		   rec->type == SOCK_DGRAM) {
		err = ckpt_sock_queue_read(sock->sk, &msgs, true);
		err = ckpt_sock_queue_err(ctx, err);
		if (err == -EAGAIN) {		/* a sender's name: not ours */
			rec->flags = CKPT_SOCK_LIVE;
			rec->backlog = 0;
		} else if (err) {
			goto out;
		}
	}
	if (rec->flags & CKPT_SOCK_REMAKE && rec->protocol == IPPROTO_UDP) {
		err = ckpt_udp_snapshot(sock->sk, &dgrams, CKPT_MAX_SOCK_DATA);
		if (err) {
			if (err == -E2BIG)
				err = ckpt_refuse_task(ctx->task,
						       "a UDP socket with more than 64 MiB queued");
			goto out;
		}
	}
	/* changed since the check; the table walk's and our object's refs */
	if (!(rec->flags & CKPT_SOCK_REMAKE) &&
	    ckpt_tcp_kill_loses(ctx, sock, 2, &why)) {
		err = ckpt_refuse_task(ctx->task,
				       "a TCP connection changed during the dump (%s), would be lost with CKPT_DUMP_KILL",
				       why);
		goto out;
	}
	rec->addr_len = alen;
	rec->peer_len = plen;
	/* a record that only names its socket has none of its options */
	if (!(rec->flags & CKPT_SOCK_REMAKE)) {
		rec->linger_s = 0;
		rec->keepidle_s = 0;
		rec->keepintvl_s = 0;
		rec->keepcnt = 0;
	}
	err = ckpt_write_sock_rec(ctx, rec, addr);
	if (!err) {
		if (snap.data)
			err = ckpt_tcp_write(ctx, &snap, rec->id);
		else if (dgrams.nr)
			err = ckpt_udp_write(ctx, &dgrams, rec->id);
		else if (msgs.n && rec->flags & CKPT_SOCK_REMAKE)
			err = ckpt_sock_queue_write(ctx, sock->sk, &msgs,
						    rec->id);
	}
	for (i = 0; !err && i < nr_waiting; i++)
		err = ckpt_write_sock_rec(ctx, &waiting[i].rec,
					  waiting[i].addr) ?:
		      ckpt_tcp_write(ctx, &waiting[i].snap, rec->id);
out:
	if (waiting)
		ckpt_waiting_free(waiting, nr_waiting);
	ckpt_queue_snap_free(&msgs);
	kvfree(dgrams.buf);
	kvfree(snap.data);
	kfree(addr);
	return err;
}

/**
 * ckpt_dump_socket - write the SOCKET record of a socket, and its peer's
 * @ctx: the context
 * @file: the socket, checked by ckpt_check_socket()
 * @id: the object id of its FILE record, just written
 *
 * A socket kept by identity has its record alone.  Of a pair, the first
 * end is followed by its peer's FILE and SOCKET records, and the second
 * by the data queued for both.
 *
 * Context: process context, no locks held; in ckpt_dump_fds().
 * Return: 0; -EOPNOTSUPP if the socket changed since the check; -ENOMEM;
 * or a write error.
 */
int ckpt_dump_socket(struct ckpt_ctx *ctx, struct file *file, u32 id)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock->sk, *peer;
	struct ckpt_socket rec = {
		.id = id,
		.family = sk->sk_family,
		.type = sk->sk_type,
		.protocol = sk->sk_protocol,
		.state = READ_ONCE(sk->sk_state),
		.cookie = sock_gen_cookie(sk),
		.sndbuf = READ_ONCE(sk->sk_sndbuf),
		.rcvbuf = READ_ONCE(sk->sk_rcvbuf),
		.rcvlowat = READ_ONCE(sk->sk_rcvlowat),
		.rcvtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_rcvtimeo)),
		.sndtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_sndtimeo)),
	};
	struct file *pfile = NULL;
	u8 shut = READ_ONCE(sk->sk_shutdown);
	u32 peer_id = 0, pid;
	const char *why;
	int err, pfd;

	if (ckpt_sock_kept(ctx, sock, &why))
		return ckpt_dump_kept_socket(ctx, sock, &rec);
	if (why)
		return -EOPNOTSUPP;	/* changed since the check */
	ckpt_sock_opt_flags(sock, &rec);
	if (shut & RCV_SHUTDOWN)
		rec.flags |= CKPT_SOCK_SHUT_RD;
	if (shut & SEND_SHUTDOWN)
		rec.flags |= CKPT_SOCK_SHUT_WR;
	peer = unix_peer_get(sk);
	if (peer) {
		pfile = ckpt_sock_file(peer);
		err = -EOPNOTSUPP;	/* closed since the check */
		if (!pfile)
			goto out;
		peer_id = ckpt_obj_find_id(ctx, pfile);
		if (peer_id)
			rec.peer = peer_id;
		else
			rec.flags |= CKPT_SOCK_CONNECTED;
	}
	err = ckpt_write_rec(ctx, CKPT_REC_SOCKET, &rec, sizeof(rec));
	if (err)
		goto out;
	if (peer && !peer_id) {
		/* the second end, which writes the data of both */
		pfd = ckpt_files_fd(ctx->files, pfile);
		err = pfd < 0 ? -EOPNOTSUPP :
		      ckpt_dump_file(ctx, pfile, pfd, &pid);
	} else if (peer) {
		err = ckpt_dump_sock_queue(ctx, peer, peer_id) ?:
		      ckpt_dump_sock_queue(ctx, sk, id);
	} else {
		err = ckpt_dump_sock_queue(ctx, sk, id);
	}
out:
	if (pfile)
		fput(pfile);
	if (peer)
		sock_put(peer);
	return err;
}

/* The flags of a record by value, and of one kept by identity. */
#define CKPT_SOCK_VALUE_FLAGS	(CKPT_SOCK_LIVE - 1)
#define CKPT_SOCK_INET_FLAGS	(CKPT_SOCK_REMAKE | CKPT_SOCK_REUSEADDR | \
				 CKPT_SOCK_REUSEPORT | CKPT_SOCK_V6ONLY | \
				 CKPT_SOCK_KEEPALIVE | CKPT_SOCK_NODELAY | \
				 CKPT_SOCK_LINGER | CKPT_SOCK_CORK | \
				 CKPT_SOCK_SNDBUF | CKPT_SOCK_RCVBUF)
#define CKPT_SOCK_UNIX_FLAGS	(CKPT_SOCK_REMAKE | CKPT_SOCK_PASSCRED | \
				 CKPT_SOCK_PASSSEC | CKPT_SOCK_SNDBUF | \
				 CKPT_SOCK_RCVBUF)

/* Has the record SO_LINGER's time or a TCP keepalive timer? */
static bool ckpt_rec_has_timers(const struct ckpt_socket *rec)
{
	return rec->linger_s || rec->keepidle_s || rec->keepintvl_s ||
	       rec->keepcnt;
}

/* Is the record of a unix socket kept by identity, with its names, sound? */
static bool ckpt_kept_unix_valid(const struct ckpt_socket *rec,
				 const u8 *addr)
{
	const unsigned int path = offsetof(struct sockaddr_un, sun_path);
	u16 fam;

	if (rec->protocol || ckpt_rec_has_timers(rec) ||
	    rec->flags & ~(CKPT_SOCK_LIVE | CKPT_SOCK_UNIX_FLAGS))
		return false;
	if (rec->addr_len < sizeof(fam) ||
	    rec->addr_len > sizeof(struct sockaddr_un) ||
	    rec->peer_len > sizeof(struct sockaddr_un) ||
	    (rec->addr_len > path && addr[path] && addr[path] != '/'))
		return false;	/* abstract names and absolute paths only */
	memcpy(&fam, addr, sizeof(fam));
	if (fam != AF_UNIX)
		return false;
	if (rec->peer_len) {
		memcpy(&fam, addr + rec->addr_len, sizeof(fam));
		if (fam != AF_UNIX)
			return false;
	}
	/* a client without a name, waiting in the backlog of its peer */
	if (rec->backlog && rec->state == TCP_ESTABLISHED &&
	    rec->type != SOCK_DGRAM)
		return rec->addr_len == path && rec->peer_len > path;
	if (rec->backlog && rec->state != TCP_LISTEN)
		return false;
	if (rec->type == SOCK_DGRAM)
		return rec->state == TCP_CLOSE ? !rec->peer_len :
		       rec->state == TCP_ESTABLISHED && rec->peer_len > path;
	return !rec->peer_len &&
	       (rec->state == TCP_LISTEN || rec->state == TCP_CLOSE);
}

/* Is the record of a socket kept by identity, with its addresses, sound? */
static bool ckpt_kept_rec_valid(const struct ckpt_socket *rec,
				const u8 *addr)
{
	u16 fam, len = rec->family == AF_INET ? sizeof(struct sockaddr_in) :
		       sizeof(struct sockaddr_in6);
	bool tcp, udp;

	/* one the record cannot make names it only */
	if (!(rec->flags & CKPT_SOCK_REMAKE))
		return rec->flags == CKPT_SOCK_LIVE && !rec->backlog &&
		       !ckpt_rec_has_timers(rec) &&
		       (rec->family == AF_UNIX || rec->family == AF_INET ||
			rec->family == AF_INET6);
	if (rec->family == AF_UNIX)
		return ckpt_kept_unix_valid(rec, addr);
	tcp = rec->type == SOCK_STREAM && rec->protocol == IPPROTO_TCP;
	udp = rec->type == SOCK_DGRAM && rec->protocol == IPPROTO_UDP;
	if ((rec->family != AF_INET && rec->family != AF_INET6) ||
	    rec->flags & ~(CKPT_SOCK_LIVE | CKPT_SOCK_INET_FLAGS) ||
	    (!tcp && !udp) ||
	    (rec->flags & (CKPT_SOCK_NODELAY | CKPT_SOCK_CORK) && !tcp) ||
	    (!tcp && (rec->keepidle_s || rec->keepintvl_s || rec->keepcnt)) ||
	    (rec->flags & CKPT_SOCK_V6ONLY && rec->family != AF_INET6) ||
	    (rec->backlog && rec->state != TCP_LISTEN))
		return false;
	/* what bind() and connect() will be given */
	if (rec->addr_len != len || (rec->peer_len && rec->peer_len != len))
		return false;
	memcpy(&fam, addr, sizeof(fam));
	if (fam != rec->family)
		return false;
	memcpy(&fam, addr + rec->addr_len, sizeof(fam));
	if (rec->peer_len && fam != rec->family)
		return false;
	/* a connection's TCP record follows (ckpt_restore_tcp()) */
	if (tcp)
		return ckpt_tcp_conn_state(rec->state) ? rec->peer_len :
		       (rec->state == TCP_LISTEN || rec->state == TCP_CLOSE) &&
		       !rec->peer_len;
	return rec->state == (rec->peer_len ? TCP_ESTABLISHED : TCP_CLOSE);
}

/* Is @rec that of a TCP listener made again from the image? */
static bool ckpt_tcp_listener_remade(const struct ckpt_socket *rec)
{
	return rec->flags & CKPT_SOCK_REMAKE && rec->family != AF_UNIX &&
	       rec->protocol == IPPROTO_TCP && rec->state == TCP_LISTEN;
}

/*
 * Stage @rec, a connection waiting in the backlog of @l, the TCP listener
 * staged just before: at the next place, within the backlog listen() is
 * to set, and a sound record of an established connection otherwise.
 */
static int ckpt_sock_stage_waiting(struct ckpt_sock_stage *l,
				   const struct ckpt_socket *rec)
{
	struct ckpt_socket conn = *rec;
	struct ckpt_sock_stage *st;
	int err;

	/* its place aside, as it will be once accepted */
	conn.backlog = 0;
	if (!ckpt_tcp_listener_remade(&l->rec) ||
	    !(rec->flags & CKPT_SOCK_LIVE) || !(rec->flags & CKPT_SOCK_REMAKE) ||
	    rec->family != l->rec.family || rec->protocol != IPPROTO_TCP ||
	    rec->state != TCP_ESTABLISHED || rec->peer ||
	    rec->backlog != l->nr_waiting + 1 ||
	    rec->backlog > (u64)l->rec.backlog + 1 ||
	    !ckpt_kept_rec_valid(&conn, (const u8 *)(rec + 1)))
		return -EINVAL;
	if (l->nr_waiting == l->max_waiting) {
		err = ckpt_grow((void **)&l->waiting, &l->max_waiting,
				sizeof(*l->waiting));
		if (err)
			return err;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	st->rec = *rec;
	memcpy(st->addr, rec + 1, rec->addr_len);
	memcpy(st->peer_addr, (u8 *)(rec + 1) + rec->addr_len, rec->peer_len);
	l->waiting[l->nr_waiting++] = st;
	return 0;
}

/*
 * The stage of the socket whose records come now: @st's, or for a TCP
 * listener, that of the last connection of its backlog read.
 */
static struct ckpt_sock_stage *ckpt_sock_stage_now(struct ckpt_sock_stage *st)
{
	return st && st->nr_waiting ? st->waiting[st->nr_waiting - 1] : st;
}

/**
 * ckpt_restore_socket - take in a CKPT_REC_SOCKET record
 * @ctx: the context
 * @h: the record's header
 *
 * Stages the socket of the FILE record just before; the second end of a
 * pair names the first, which must be waiting for it; a TCP listener's
 * record is followed by those of the connections waiting in its backlog.
 * A socket kept by identity is found at the commit
 * (ckpt_sock_live_match()).
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one; -ENOMEM.
 */
int ckpt_restore_socket(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_obj *first = NULL;
	struct ckpt_socket *rec;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec),
				sizeof(*rec) + 2 * CKPT_SOCK_ADDR_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!obj || obj->id != rec->id || obj->rec.type != CKPT_FILE_SOCKET ||
	    rec->pad ||
	    rec->flags & ~CKPT_SOCK_FLAGS ||
	    (rec->type != SOCK_STREAM && rec->type != SOCK_DGRAM &&
	     rec->type != SOCK_SEQPACKET) ||
	    rec->addr_len > CKPT_SOCK_ADDR_MAX ||
	    rec->peer_len > CKPT_SOCK_ADDR_MAX ||
	    h->len != sizeof(*rec) + rec->addr_len + rec->peer_len)
		goto out;
	if (rec->sndbuf > INT_MAX || rec->rcvbuf > INT_MAX ||
	    !rec->rcvlowat || rec->rcvlowat > INT_MAX ||
	    div_u64(rec->rcvtimeo_us, USEC_PER_SEC) > INT_MAX ||
	    div_u64(rec->sndtimeo_us, USEC_PER_SEC) > INT_MAX ||
	    rec->backlog > INT_MAX)
		goto out;
	if (obj->sock) {
		err = ckpt_sock_stage_waiting(obj->sock, rec);
		goto out;
	}
	if (rec->flags & CKPT_SOCK_LIVE) {
		if (rec->peer || !ckpt_kept_rec_valid(rec, (const void *)(rec + 1)))
			goto out;
	} else if (rec->family != AF_UNIX || rec->addr_len || rec->peer_len ||
		   rec->backlog || ckpt_rec_has_timers(rec) ||
		   rec->flags & ~CKPT_SOCK_VALUE_FLAGS) {
		goto out;
	}
	if (rec->peer) {
		first = ckpt_obj_find(ctx, rec->peer);
		if (rec->flags & CKPT_SOCK_CONNECTED || !first || !first->sock ||
		    !(first->sock->rec.flags & CKPT_SOCK_CONNECTED) ||
		    first->sock->peer || first->sock->rec.type != rec->type)
			goto out;
	}
	err = -ENOMEM;
	obj->sock = kzalloc(sizeof(*obj->sock), GFP_KERNEL);
	if (!obj->sock)
		goto out;
	obj->sock->rec = *rec;
	memcpy(obj->sock->addr, rec + 1, rec->addr_len);
	memcpy(obj->sock->peer_addr, (u8 *)(rec + 1) + rec->addr_len,
	       rec->peer_len);
	if (first)
		first->sock->peer = rec->id;
	err = 0;
out:
	kvfree(rec);
	return err;
}

/*
 * Is @rec that of a unix datagram socket on a name, not connected, made
 * again from the image with the messages it had queued?  No credentials
 * to pass on with them either (ckpt_unix_remake()).
 */
static bool ckpt_unix_named_dgram(const struct ckpt_socket *rec)
{
	return rec->flags & CKPT_SOCK_REMAKE && rec->family == AF_UNIX &&
	       rec->type == SOCK_DGRAM && !rec->peer_len &&
	       rec->addr_len > offsetof(struct sockaddr_un, sun_path) &&
	       !(rec->flags & (CKPT_SOCK_PASSCRED | CKPT_SOCK_PASSSEC));
}

/*
 * Is @rec that of a unix stream or seqpacket client whose connection
 * waited in its listener's backlog, at @rec->backlog, made again by
 * connecting to it with what it had sent?
 */
static bool ckpt_unix_backlog_client(const struct ckpt_socket *rec)
{
	return rec->flags & CKPT_SOCK_REMAKE && rec->family == AF_UNIX &&
	       rec->type != SOCK_DGRAM && rec->state == TCP_ESTABLISHED &&
	       rec->backlog;
}

/**
 * ckpt_restore_sock_data - take in a CKPT_REC_SOCK_DATA record
 * @ctx: the context
 * @h: the record's header
 *
 * Data queued for a socket of a pair whose two SOCKET records are read,
 * for an established TCP connection, or for a unix datagram socket on a
 * name (ckpt_unix_named_dgram()).
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one, or more than 64 MiB in the image's sockets; -ENOMEM.
 */
int ckpt_restore_sock_data(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_sock_data *rec;
	struct ckpt_sock_stage *st;
	struct ckpt_obj *obj;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec),
				sizeof(*rec) + CKPT_SOCK_MSG_MAX);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	obj = ckpt_obj_find(ctx, rec->id);
	st = ckpt_sock_stage_now(obj ? obj->sock : NULL);
	/*
	 * A pair's: the first knows the second, the second the first; a
	 * TCP connection's, within its TCP record's queues; or a unix
	 * datagram socket's on a name, right after its SOCKET record.
	 */
	if (!st || (!st->peer && !st->rec.peer && !st->tcp &&
		    (obj != &ctx->objs[ctx->nr_objs - 1] ||
		     (!ckpt_unix_named_dgram(&st->rec) &&
		      !ckpt_unix_backlog_client(&st->rec)))) ||
	    rec->len != h->len - sizeof(*rec) ||
	    (!rec->len && st->rec.type == SOCK_STREAM) ||
	    ctx->sock_bytes + rec->len > CKPT_MAX_SOCK_DATA ||
	    (st->tcp && st->tcp_bytes + rec->len >
			(u64)st->tcp->rcv_len + st->tcp->snd_len))
		goto out;
	if (st->nr_msgs == st->max_msgs) {
		err = ckpt_grow((void **)&st->msgs, &st->max_msgs,
				sizeof(*st->msgs));
		if (err)
			goto out;
	}
	st->msgs[st->nr_msgs++] = rec;
	ctx->sock_bytes += rec->len;
	if (st->tcp)
		st->tcp_bytes += rec->len;
	return 0;
out:
	kvfree(rec);
	return err;
}

/**
 * ckpt_restore_tcp - take in a CKPT_REC_TCP record
 * @ctx: the context
 * @h: the record's header
 *
 * The TCP record of the connection whose SOCKET record comes just before:
 * established, or with its FIN after the send queue if shut down for
 * writing (FIN_WAIT1, FIN_WAIT2); one waiting in a backlog has sent
 * nothing.  Its numbers
 * are TCP repair's to check, when the connection is made again
 * (ckpt_tcp_remake()); its MSS must be one TCP works with (TCP_MIN_MSS
 * at least).
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one; -ENOMEM.
 */
int ckpt_restore_tcp(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_sock_stage *st = ckpt_sock_stage_now(obj ? obj->sock : NULL);
	struct ckpt_tcp *rec;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!st || st->tcp || st->nr_msgs || obj->id != rec->id ||
	    !(st->rec.flags & CKPT_SOCK_REMAKE) ||
	    st->rec.protocol != IPPROTO_TCP ||
	    !ckpt_tcp_conn_state(st->rec.state) ||
	    /* a FIN sent, or acknowledged, once shut down for writing */
	    (rec->flags & CKPT_TCP_FIN ? st->rec.state == TCP_ESTABLISHED :
					 st->rec.state != TCP_ESTABLISHED) ||
	    (st->rec.backlog && rec->snd_len) ||	/* waiting: sent nothing */
	    rec->flags & ~CKPT_TCP_FLAGS || rec->pad ||
	    rec->mss < TCP_MIN_MSS ||
	    (rec->flags & CKPT_TCP_WSCALE ?
	     rec->snd_wscale > TCP_MAX_WSCALE ||
	     rec->rcv_wscale > TCP_MAX_WSCALE :
	     rec->snd_wscale || rec->rcv_wscale) ||
	    ctx->sock_bytes + rec->rcv_len + rec->snd_len > CKPT_MAX_SOCK_DATA) {
		kvfree(rec);
		return -EINVAL;
	}
	st->tcp = rec;
	return 0;
}

/**
 * ckpt_restore_sock_msg - take in a CKPT_REC_SOCK_MSG record
 * @ctx: the context
 * @h: the record's header
 *
 * A datagram queued for the UDP socket whose SOCKET record, with
 * %CKPT_SOCK_REMAKE, comes before, with only its other datagrams between.
 *
 * Return: 0; -EBADMSG for a damaged record; -EINVAL for a malformed or
 * misplaced one (ckpt_udp_msg_valid()), or more than 64 MiB in the
 * image's sockets; -ENOMEM.
 */
int ckpt_restore_sock_msg(struct ckpt_ctx *ctx, const struct ckpt_rec_hdr *h)
{
	struct ckpt_obj *obj = ctx->nr_objs ? &ctx->objs[ctx->nr_objs - 1] : NULL;
	struct ckpt_sock_stage *st = obj ? obj->sock : NULL;
	struct ckpt_sock_msg *rec;
	int err = -EINVAL;

	rec = ckpt_read_payload(ctx, h, sizeof(*rec),
				sizeof(*rec) + sizeof(struct sockaddr_in6) +
				IPV6_MAXPLEN);
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!st || obj->id != rec->id || !(st->rec.flags & CKPT_SOCK_REMAKE) ||
	    st->rec.family == AF_UNIX || st->rec.protocol != IPPROTO_UDP ||
	    h->len != sizeof(*rec) + rec->addr_len + rec->len ||
	    !ckpt_udp_msg_valid(&st->rec, rec) ||
	    ctx->sock_bytes + rec->len > CKPT_MAX_SOCK_DATA)
		goto out;
	if (st->nr_dgrams == st->max_dgrams) {
		err = ckpt_grow((void **)&st->dgrams, &st->max_dgrams,
				sizeof(*st->dgrams));
		if (err)
			goto out;
	}
	st->dgrams[st->nr_dgrams++] = rec;
	ctx->sock_bytes += rec->len;
	return 0;
out:
	kvfree(rec);
	return err;
}

static int ckpt_sock_setopt(struct socket *sock, int opt, void *val,
			    unsigned int len)
{
	return sock_setsockopt(sock, SOL_SOCKET, opt, KERNEL_SOCKPTR(val), len);
}

/* A buffer size as SO_SNDBUF sets it, or SO_SNDBUFFORCE beyond the limit. */
static int ckpt_sock_setbuf(struct socket *sock, int opt, int force,
			    const int *now, u32 want)
{
	int val = want / 2, err;

	err = ckpt_sock_setopt(sock, opt, &val, sizeof(val));
	if (!err && READ_ONCE(*now) != want)
		err = ckpt_sock_setopt(sock, force, &val, sizeof(val));
	if (!err && READ_ONCE(*now) != want)
		err = -EINVAL;
	return err;
}

/* The options of the SOCKET record, through setsockopt(). */
static int ckpt_sock_setopts(struct socket *sock, const struct ckpt_socket *rec)
{
	struct sock *sk = sock->sk;
	struct __kernel_sock_timeval tv;
	int one = 1, val, err = 0;
	u32 rem;

	if (rec->flags & CKPT_SOCK_PASSCRED)
		err = ckpt_sock_setopt(sock, SO_PASSCRED, &one, sizeof(one));
	if (!err && rec->flags & CKPT_SOCK_PASSSEC)
		err = ckpt_sock_setopt(sock, SO_PASSSEC, &one, sizeof(one));
	if (!err && rec->flags & CKPT_SOCK_SNDBUF)
		err = ckpt_sock_setbuf(sock, SO_SNDBUF, SO_SNDBUFFORCE,
				       &sk->sk_sndbuf, rec->sndbuf);
	if (!err && rec->flags & CKPT_SOCK_RCVBUF)
		err = ckpt_sock_setbuf(sock, SO_RCVBUF, SO_RCVBUFFORCE,
				       &sk->sk_rcvbuf, rec->rcvbuf);
	if (!err && rec->rcvlowat != 1) {
		val = rec->rcvlowat;
		err = ckpt_sock_setopt(sock, SO_RCVLOWAT, &val, sizeof(val));
	}
	if (!err && rec->rcvtimeo_us) {
		tv.tv_sec = div_u64_rem(rec->rcvtimeo_us, USEC_PER_SEC, &rem);
		tv.tv_usec = rem;
		err = ckpt_sock_setopt(sock, SO_RCVTIMEO_NEW, &tv, sizeof(tv));
	}
	if (!err && rec->sndtimeo_us) {
		tv.tv_sec = div_u64_rem(rec->sndtimeo_us, USEC_PER_SEC, &rem);
		tv.tv_usec = rem;
		err = ckpt_sock_setopt(sock, SO_SNDTIMEO_NEW, &tv, sizeof(tv));
	}
	return err;
}

/*
 * Queue @st's data for its socket again: sent from @from, its peer; or,
 * with no @from, each message from a new socket without a name to @to,
 * @tolen bytes, as its sender sent it.
 */
static int ckpt_sock_requeue(struct socket *from, struct ckpt_sock_stage *st,
			     struct sockaddr *to, int tolen)
{
	unsigned int i;
	int n;

	for (i = 0; i < st->nr_msgs; i++) {
		struct ckpt_sock_data *d = st->msgs[i];
		struct kvec v = { .iov_base = d + 1, .iov_len = d->len };
		struct msghdr msg = {
			.msg_name = to,
			.msg_namelen = tolen,
			.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
		};
		struct socket *sender = NULL;

		if (!from) {
			n = sock_create(AF_UNIX, SOCK_DGRAM, 0, &sender);
			if (n)
				return n;
		}
		n = kernel_sendmsg(from ?: sender, &msg, &v, 1, d->len);
		if (sender)
			sock_release(sender);
		if (n == -EAGAIN || n == -EMSGSIZE || (n >= 0 && n != d->len)) {
			pr_info_ratelimited("%s[%d]: the data queued for socket %u does not fit in its limits\n",
					    current->comm, task_pid_nr(current),
					    st->rec.id);
			return -ENOBUFS;
		}
		if (n < 0)
			return n;
	}
	return 0;
}

/* shutdown() as recorded, once the data is queued. */
static int ckpt_sock_shutdown(struct socket *sock, u32 flags)
{
	int err = 0;

	if (flags & CKPT_SOCK_SHUT_RD)
		err = kernel_sock_shutdown(sock, SHUT_RD);
	if (!err && flags & CKPT_SOCK_SHUT_WR)
		err = kernel_sock_shutdown(sock, SHUT_WR);
	return err;
}

/* Has the established connection @st its TCP record and all its queues? */
static bool ckpt_tcp_staged_whole(const struct ckpt_sock_stage *st)
{
	return st->tcp &&
	       st->tcp_bytes == (u64)st->tcp->rcv_len + st->tcp->snd_len;
}

/* Make the socket of @a, and of @b, its peer, if any, and their files. */
static int ckpt_make_sockets(struct ckpt_obj *a, struct ckpt_obj *b)
{
	struct socket *sa = NULL, *sb = NULL;
	struct file *fa, *fb;
	int err;

	err = sock_create(AF_UNIX, a->sock->rec.type, 0, &sa);
	if (err)
		return err;
	if (b) {
		err = sock_create(AF_UNIX, b->sock->rec.type, 0, &sb);
		if (err)
			goto out_release;
		err = security_socket_socketpair(sa, sb) ?:
		      sa->ops->socketpair(sa, sb);
		if (err)
			goto out_release;
	}
	err = ckpt_sock_setopts(sa, &a->sock->rec);
	if (!err && b)
		err = ckpt_sock_setopts(sb, &b->sock->rec) ?:
		      ckpt_sock_requeue(sb, a->sock, NULL, 0) ?:
		      ckpt_sock_requeue(sa, b->sock, NULL, 0) ?:
		      ckpt_sock_shutdown(sb, b->sock->rec.flags);
	if (!err)
		err = ckpt_sock_shutdown(sa, a->sock->rec.flags);
	if (err)
		goto out_release;
	/* sock_alloc_file() releases the socket if it fails */
	fa = sock_alloc_file(sa, a->rec.flags & O_NONBLOCK, NULL);
	if (IS_ERR(fa)) {
		if (sb)
			sock_release(sb);
		return PTR_ERR(fa);
	}
	a->file = fa;
	if (!sb)
		return 0;
	fb = sock_alloc_file(sb, b->rec.flags & O_NONBLOCK, NULL);
	if (IS_ERR(fb))
		return PTR_ERR(fb);
	b->file = fb;
	return 0;

out_release:
	if (sb)
		sock_release(sb);
	sock_release(sa);
	return err;
}

/**
 * ckpt_socket_precommit - make the image's sockets
 * @ctx: the restore
 *
 * In the committing task, so that they are the process's, in its network
 * namespace, with the checks socket(), socketpair(), setsockopt(),
 * send() and shutdown() make for it (SO_SNDBUFFORCE's CAP_NET_ADMIN);
 * before its file table is put together.
 *
 * Context: the committing task, before the point of no return.
 * Return: 0; -EINVAL for a pair's first end without its second, or a
 * TCP connection without its TCP record or all its queues; -ENOBUFS for
 * queued data beyond a socket's limits; the errors of those calls.
 */
int ckpt_socket_precommit(struct ckpt_ctx *ctx)
{
	unsigned int i;
	int err;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_obj *a = &ctx->objs[i], *b = NULL;
		const struct ckpt_sock_stage *st = a->sock;
		unsigned int j;

		/* a connection made again has its TCP record and queues */
		if (st && ckpt_sock_remake_late(a) && !ckpt_tcp_staged_whole(st))
			return -EINVAL;
		for (j = 0; st && j < st->nr_waiting; j++)
			if (!ckpt_tcp_staged_whole(st->waiting[j]))
				return -EINVAL;
		if (!st || a->file || st->rec.peer ||
		    st->rec.flags & CKPT_SOCK_LIVE)
			continue;
		if (a->sock->rec.flags & CKPT_SOCK_CONNECTED) {
			b = a->sock->peer ? ckpt_obj_find(ctx, a->sock->peer) : NULL;
			if (!b)
				return -EINVAL;
		}
		err = ckpt_make_sockets(a, b);
		if (err)
			return err;
	}
	return 0;
}

/* Is the address of @sock, or of its peer, the @len bytes at @want? */
static bool ckpt_sock_name_is(struct socket *sock, bool peer,
			      const u8 *want, unsigned int len)
{
	struct sockaddr_storage addr;

	return ckpt_sock_name(sock, peer, &addr) == len &&
	       !memcmp(&addr, want, len);
}

/**
 * ckpt_sock_live_match - is @file the socket kept by identity in @obj?
 * @ctx: the restore
 * @obj: a socket's object, with its SOCKET record
 * @file: the file the committing task has at the socket's descriptor
 *
 * A rollback keeps the very socket, whatever it holds now.  A restore as
 * a new process takes it too, or another one the restorer hands over: of
 * the same family, type, protocol and state, on the same address and with
 * the same peer address.
 *
 * Context: the committing task, before the point of no return.
 */
bool ckpt_sock_live_match(const struct ckpt_ctx *ctx,
			  const struct ckpt_obj *obj, struct file *file)
{
	const struct ckpt_sock_stage *st = obj->sock;
	struct socket *sock = sock_from_file(file);
	struct sock *sk;

	if (!st || !(st->rec.flags & CKPT_SOCK_LIVE) || !sock)
		return false;
	sk = sock->sk;
	if (sock_gen_cookie(sk) == st->rec.cookie)
		return true;
	if (ctx->in_place)
		return false;
	return sk->sk_family == st->rec.family &&
	       sk->sk_type == st->rec.type &&
	       sk->sk_protocol == st->rec.protocol &&
	       READ_ONCE(sk->sk_state) == st->rec.state &&
	       ckpt_sock_name_is(sock, false, st->addr, st->rec.addr_len) &&
	       ckpt_sock_name_is(sock, true, st->peer_addr, st->rec.peer_len);
}

/* A TCP or UDP option through the protocol's setsockopt(). */
static int ckpt_sock_setopt_at(struct socket *sock, int level, int opt,
			       int val)
{
	return sock->ops->setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

/*
 * SO_LINGER and the TCP keepalive timers of @rec, as setsockopt() sets
 * them, with its checks (a timer out of TCP_KEEPIDLE's range is EINVAL).
 */
static int ckpt_sock_set_timers(struct socket *sock,
				const struct ckpt_socket *rec)
{
	struct linger l = { .l_onoff = 1, .l_linger = rec->linger_s };
	int err = 0;

	/* a time is set with SO_LINGER on only; it stays when turned off */
	if (rec->flags & CKPT_SOCK_LINGER || rec->linger_s)
		err = ckpt_sock_setopt(sock, SO_LINGER, &l, sizeof(l));
	if (!err && !(rec->flags & CKPT_SOCK_LINGER) && rec->linger_s) {
		l.l_onoff = 0;
		err = ckpt_sock_setopt(sock, SO_LINGER, &l, sizeof(l));
	}
	if (!err && rec->keepidle_s)
		err = ckpt_sock_setopt_at(sock, SOL_TCP, TCP_KEEPIDLE,
					  rec->keepidle_s);
	if (!err && rec->keepintvl_s)
		err = ckpt_sock_setopt_at(sock, SOL_TCP, TCP_KEEPINTVL,
					  rec->keepintvl_s);
	if (!err && rec->keepcnt)
		err = ckpt_sock_setopt_at(sock, SOL_TCP, TCP_KEEPCNT,
					  rec->keepcnt);
	return err;
}

/* Was the socket of a record kept by identity bound: a name, or a port? */
static bool ckpt_rec_bound(const struct ckpt_socket *rec, const u8 *addr)
{
	struct sockaddr_in6 in6;
	struct sockaddr_in in;

	if (rec->family == AF_UNIX)
		return rec->addr_len > offsetof(struct sockaddr_un, sun_path);
	if (rec->family == AF_INET) {
		memcpy(&in, addr, sizeof(in));
		return in.sin_port;
	}
	memcpy(&in6, addr, sizeof(in6));
	return in6.sin6_port;
}

/* socket(), and setsockopt() for the options of its record. */
static int ckpt_sock_make(const struct ckpt_socket *rec,
			  struct socket **sockp)
{
	struct socket *sock;
	int one = 1, err;

	err = sock_create(rec->family, rec->type, rec->protocol, &sock);
	if (err)
		return err;
	/* a unix socket's record has none of these (ckpt_kept_unix_valid()) */
	if (rec->flags & CKPT_SOCK_REUSEADDR)
		err = ckpt_sock_setopt(sock, SO_REUSEADDR, &one, sizeof(one));
	if (!err && rec->flags & CKPT_SOCK_REUSEPORT)
		err = ckpt_sock_setopt(sock, SO_REUSEPORT, &one, sizeof(one));
	if (!err && rec->flags & CKPT_SOCK_KEEPALIVE)
		err = ckpt_sock_setopt(sock, SO_KEEPALIVE, &one, sizeof(one));
	if (!err && rec->flags & CKPT_SOCK_V6ONLY)
		err = ckpt_sock_setopt_at(sock, SOL_IPV6, IPV6_V6ONLY, 1);
	if (!err && rec->flags & CKPT_SOCK_NODELAY)
		err = ckpt_sock_setopt_at(sock, SOL_TCP, TCP_NODELAY, 1);
	if (!err && rec->flags & CKPT_SOCK_CORK)
		err = ckpt_sock_setopt_at(sock, SOL_TCP, TCP_CORK, 1);
	if (!err)
		err = ckpt_sock_set_timers(sock, rec);
	if (!err)
		err = ckpt_sock_setopts(sock, rec);
	if (err) {
		sock_release(sock);
		return err;
	}
	*sockp = sock;
	return 0;
}

/*
 * Make again the connections that waited in the backlog of @l, whose
 * listener @lsock is made and listening: each by TCP repair, as an
 * established connection is, with the request it is to wait with; the
 * commit puts them in the backlog (ckpt_tcp_enqueue()).  No more than
 * the backlog listen() set takes: -ENOBUFS, as for a connection dropped.
 */
static int ckpt_sock_remake_waiting(struct socket *lsock,
				    struct ckpt_sock_stage *l)
{
	unsigned int i;
	int err;

	if (l->nr_waiting > READ_ONCE(lsock->sk->sk_max_ack_backlog) + 1)
		return -ENOBUFS;
	for (i = 0; i < l->nr_waiting; i++) {
		struct ckpt_sock_stage *st = l->waiting[i];

		err = ckpt_sock_make(&st->rec, &st->conn);
		if (!err)
			err = ckpt_tcp_remake(st->conn, &st->rec, st->addr,
					      st->peer_addr, st->tcp, st->msgs,
					      st->nr_msgs);
		if (err)
			return err;
		st->req = ckpt_tcp_req_alloc(lsock->sk);
		if (!st->req)
			return -ENOMEM;
	}
	return 0;
}

/**
 * ckpt_sock_remake - make a socket kept by identity again from its record
 * @ctx: the restore
 * @obj: the socket's object, whose live socket was not found
 * @fd: its first descriptor, for messages
 *
 * As the process made it: socket(), setsockopt() for the options the
 * record has, bind() to its address if it had a port or an abstract
 * name, then listen() with its backlog or connect() to its peer, each
 * with the security hook the system call runs and the protocol's own
 * checks (a port below ip_unprivileged_port_start needs
 * CAP_NET_BIND_SERVICE in the network namespace; an address in use is
 * -EADDRINUSE; a unix peer must exist and accept the sender).
 *
 * Context: the committing task, before the point of no return.
 * Return: the socket's file; NULL if the record does not allow it (the
 * live socket only); or an ERR_PTR() of those calls' errors.
 */
struct file *ckpt_sock_remake(struct ckpt_ctx *ctx, struct ckpt_obj *obj,
			      unsigned int fd)
{
	const struct ckpt_sock_stage *st = obj->sock;
	const struct ckpt_socket *rec = &st->rec;
	struct sockaddr *addr = (struct sockaddr *)st->addr;
	struct sockaddr *peer = (struct sockaddr *)st->peer_addr;
	bool client = ckpt_unix_backlog_client(rec);
	struct socket *sock;
	struct file *file;
	int err;

	/* a rollback's peer has moved on since: only the live one will do */
	if (!(rec->flags & CKPT_SOCK_REMAKE) || (st->tcp && ctx->in_place))
		return NULL;
	err = ckpt_sock_make(rec, &sock);
	if (err)
		goto failed;
	if (st->tcp) {
		err = ckpt_tcp_remake(sock, rec, st->addr, st->peer_addr,
				      st->tcp, st->msgs, st->nr_msgs);
		goto made;
	}
	if (!err && ckpt_rec_bound(rec, st->addr))
		err = security_socket_bind(sock, addr, rec->addr_len) ?:
		      sock->ops->bind(sock, addr, rec->addr_len);
	/* the socket file it made: removed again if the restore fails */
	if (!err && rec->family == AF_UNIX && unix_sk(sock->sk)->path.dentry) {
		obj->sock->made = unix_sk(sock->sk)->path;
		path_get(&obj->sock->made);
	}
	/* a unix datagram socket's messages, sent to its name */
	if (!err && rec->family == AF_UNIX && rec->type == SOCK_DGRAM &&
	    st->nr_msgs)
		err = ckpt_sock_requeue(NULL, obj->sock, addr, rec->addr_len);
	if (!err && rec->state == TCP_LISTEN)
		err = security_socket_listen(sock, rec->backlog) ?:
		      sock->ops->listen(sock, rec->backlog);
	/* and its backlog, whose peers a rollback's listener lost since */
	if (!err && st->nr_waiting && !ctx->in_place)
		err = ckpt_sock_remake_waiting(sock, obj->sock);
	/* a client into its listener's backlog: not waiting for room */
	if (!err && rec->peer_len)
		err = security_socket_connect(sock, peer, rec->peer_len) ?:
		      sock->ops->connect(sock, peer, rec->peer_len,
					 client ? O_NONBLOCK : 0);
	/* and what it had sent, which its connection held */
	if (!err && client && st->nr_msgs)
		err = ckpt_sock_requeue(sock, obj->sock, NULL, 0);
	if (!err && st->nr_dgrams) {
		err = ckpt_udp_requeue(sock, st->dgrams, st->nr_dgrams);
		if (err == -ENOBUFS)
			pr_info_ratelimited("%s[%d]: fd %u: the datagrams queued for its socket do not fit in its receive buffer\n",
					    current->comm, task_pid_nr(current), fd);
	}
made:
	if (err)
		sock_release(sock);
failed:
	if (err) {
		pr_info_ratelimited("%s[%d]: fd %u: cannot make its socket again: error %d\n",
				    current->comm, task_pid_nr(current), fd, err);
		return ERR_PTR(err);
	}
	/* sock_alloc_file() releases the socket if it fails */
	file = sock_alloc_file(sock, obj->rec.flags & O_NONBLOCK, NULL);
	if (!IS_ERR(file) && st->tcp)
		obj->sock->repaired = true;
	return file;
}

/**
 * ckpt_sock_describe - what a socket kept by identity was, for the log
 * @obj: its object
 * @buf: the text: "a TCP/IPv6 socket in state FIN_WAIT1, kept by
 *	identity only" (its record cannot make it) or the like
 * @size: room in @buf
 */
void ckpt_sock_describe(const struct ckpt_obj *obj, char *buf, size_t size)
{
	const struct ckpt_socket *rec = &obj->sock->rec;
	const char *kind;

	if (rec->family == AF_UNIX)
		kind = rec->type == SOCK_STREAM ? "unix stream" :
		       rec->type == SOCK_DGRAM ? "unix datagram" :
		       "unix seqpacket";
	else if (rec->protocol == IPPROTO_TCP)
		kind = rec->family == AF_INET ? "TCP/IPv4" : "TCP/IPv6";
	else
		kind = rec->family == AF_INET ? "UDP/IPv4" : "UDP/IPv6";
	snprintf(buf, size, "a %s socket in state %s%s", kind,
		 ckpt_sock_state_name(rec->state),
		 rec->flags & CKPT_SOCK_REMAKE ? "" :
		 ", kept by identity only");
}

/**
 * ckpt_sock_backlog_pos - where a unix client waited in a backlog
 * @obj: a socket's object
 *
 * Return: the place, from 1, of the connection of a client made again by
 * connecting to its listener (after the listeners are made, in their
 * backlogs' order); 0 for any other socket.
 */
unsigned int ckpt_sock_backlog_pos(const struct ckpt_obj *obj)
{
	const struct ckpt_sock_stage *st = obj->sock;

	return st && ckpt_unix_backlog_client(&st->rec) ? st->rec.backlog : 0;
}

/* Is @obj a TCP connection made again from the image, if not found live? */
bool ckpt_sock_remake_late(const struct ckpt_obj *obj)
{
	const struct ckpt_sock_stage *st = obj->sock;

	return st && st->rec.flags & CKPT_SOCK_REMAKE &&
	       st->rec.family != AF_UNIX && st->rec.protocol == IPPROTO_TCP &&
	       ckpt_tcp_conn_state(st->rec.state);
}

/* The connections made again for a listener's backlog, put there. */
static void ckpt_sock_commit_waiting(struct socket *lsock,
				     struct ckpt_sock_stage *l)
{
	unsigned int i;

	for (i = 0; i < l->nr_waiting; i++) {
		struct ckpt_sock_stage *st = l->waiting[i];

		/* none for a listener found live, or a rollback's */
		if (!st->conn)
			continue;
		ckpt_tcp_commit(st->conn, st->rec.flags & CKPT_SOCK_REUSEADDR);
		ckpt_tcp_enqueue(lsock->sk, st->conn, st->req);
		st->conn = NULL;
		st->req = NULL;
	}
}

/**
 * ckpt_socket_commit - the restored process's connections made again
 * @ctx: the restore, committed
 *
 * Each leaves repair mode and goes back to its peer (ckpt_tcp_commit());
 * those of a listener's backlog wait there again (ckpt_tcp_enqueue()).
 *
 * Context: the committing task, after the point of no return.
 */
void ckpt_socket_commit(struct ckpt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_obj *obj = &ctx->objs[i];

		/* the socket files bound to are the process's now */
		if (obj->sock && obj->sock->made.dentry) {
			path_put(&obj->sock->made);
			obj->sock->made.dentry = NULL;
		}
		if (obj->sock && obj->sock->repaired && obj->file)
			ckpt_tcp_commit(sock_from_file(obj->file),
					obj->sock->rec.flags & CKPT_SOCK_REUSEADDR);
		if (obj->sock && obj->file)
			ckpt_sock_commit_waiting(sock_from_file(obj->file),
						 obj->sock);
	}
}
