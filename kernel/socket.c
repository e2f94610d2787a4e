// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: unix sockets without an address.
 *
 * A socket made by socket() and never bound or connected, or an end of a
 * pair made by socketpair() whose other end the process holds too.  Its
 * FILE record is followed by a SOCKET record with its type, options and
 * shutdown state; the two ends of a pair follow each other, and then come
 * the bytes or messages queued in each end's receive queue, read without
 * consuming them.  Restore makes new sockets in the committing task, as
 * the process would: socket() or socketpair(), setsockopt() for the
 * options, the queued data sent again from each end's peer (so that a
 * queue longer than the socket's limits fails as send() would) and
 * shutdown(); a rollback too, and another process that shared a socket
 * keeps the old one.  Anything else a unix socket can hold (an address,
 * a descriptor in flight, out-of-band data, credentials a receiver would
 * read) is refused by name.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/math64.h>
#include <linux/net.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sockptr.h>
#include <net/af_unix.h>
#include <net/sock.h>

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
 */
struct ckpt_sock_stage {
	struct ckpt_socket rec;
	struct ckpt_sock_data **msgs;
	unsigned int nr_msgs;
	unsigned int max_msgs;
	u32 peer;
};

/* Is @file a socket? */
bool ckpt_is_socket(struct file *file)
{
	return sock_from_file(file);
}

void ckpt_sock_stage_free(struct ckpt_sock_stage *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < st->nr_msgs; i++)
		kvfree(st->msgs[i]);
	kvfree(st->msgs);
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

static int ckpt_match_file(const void *p, struct file *file, unsigned int fd)
{
	return file == p ? fd + 1 : 0;
}

/* The lowest descriptor of @file in @files, or -1. */
static int ckpt_files_fd(struct files_struct *files, struct file *file)
{
	return iterate_fd(files, 0, ckpt_match_file, file) - 1;
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

/* Why the unix socket @sock cannot be recorded, or NULL. */
static const char *ckpt_sock_refusal(struct ckpt_ctx *ctx, struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct unix_sock *u = unix_sk(sk);

	switch (sk->sk_family) {
	case AF_UNIX:
		break;
	case AF_INET:
		return "an IPv4 socket (TCP, UDP, raw...)";
	case AF_INET6:
		return "an IPv6 socket (TCP, UDP, raw...)";
	case AF_NETLINK:
		return "a netlink socket";
	case AF_PACKET:
		return "a packet socket";
	default:
		return "a socket of a family other than unix";
	}
	if (sk->sk_type != SOCK_STREAM && sk->sk_type != SOCK_DGRAM &&
	    sk->sk_type != SOCK_SEQPACKET)
		return "a unix socket of this type";
	if (READ_ONCE(u->addr))
		return "a unix socket with an address (bound, listening, or connected to one)";
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return "a listening unix socket";
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
	if (READ_ONCE(u->oob_skb))
		return "a unix socket with out-of-band data (MSG_OOB)";
#endif
	return ckpt_sock_queue_refusal(ctx, sock);
}

/**
 * ckpt_check_socket - can a socket be recorded?
 * @ctx: the context, in ckpt_dump_fds() (@ctx->files)
 * @file: the socket
 * @fd: its descriptor
 *
 * A unix socket without an address, unconnected or with its peer open at
 * a descriptor of the process too (its pair's other end).
 *
 * Return: 0, or -EOPNOTSUPP (logged, naming the descriptor and why).
 */
int ckpt_check_socket(struct ckpt_ctx *ctx, struct file *file, int fd)
{
	struct socket *sock = sock_from_file(file);
	const char *why = ckpt_sock_refusal(ctx, sock);
	struct file *pfile = NULL;
	struct sock *peer = NULL;

	if (!why && sock->sk->sk_family == AF_UNIX)
		peer = unix_peer_get(sock->sk);
	if (peer) {
		/* its own descriptor's check looks at the peer's state */
		pfile = ckpt_sock_file(peer);
		if (!pfile)
			why = "a unix socket whose peer is closed";
		else if (pfile == ctx->file)
			why = "the other end of the socket the image is written to";
		else if (unix_peer(peer) != sock->sk)
			why = "a unix socket connected to one that is not connected to it";
		else if (ckpt_files_fd(ctx->files, pfile) < 0)
			why = "a unix socket connected to a socket outside the process";
		if (pfile)
			fput(pfile);
		sock_put(peer);
	}
	if (!why)
		return 0;
	return ckpt_refuse_task(ctx->task, "fd %d: %s is not supported", fd,
				why);
}

/* Write what @sk has received and not read, as SOCK_DATA records of @id. */
static int ckpt_dump_sock_queue(struct ckpt_ctx *ctx, struct sock *sk, u32 id)
{
	bool stream = sk->sk_type == SOCK_STREAM;
	struct unix_sock *u = unix_sk(sk);
	size_t bytes = 0, cap = 0, off, len;
	unsigned int n = 0, ncap = 0, i;
	struct ckpt_sock_data *rec;
	u32 *lens = NULL;
	struct sk_buff *skb;
	u8 *buf = NULL;
	int err = 0;

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
		kvfree(buf);
		kvfree(lens);
		lens = NULL;
		cap = bytes;
		ncap = n;
		buf = NULL;
		err = -EOPNOTSUPP;	/* grown since the check */
		if (cap > CKPT_MAX_SOCK_DATA)
			goto out;
		err = -ENOMEM;
		buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
		lens = kvmalloc_array(ncap, sizeof(*lens), GFP_KERNEL_ACCOUNT);
		if (!buf || !lens)
			goto out;
		err = 0;
	}
	off = 0;
	i = 0;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		unsigned int skip = stream ? UNIXCB(skb).consumed : 0;

		len = skb->len - skip;
		if (!err)
			err = skb_copy_bits(skb, skip, buf + off, len);
		lens[i++] = len;
		off += len;
	}
	spin_unlock(&sk->sk_receive_queue.lock);
	mutex_unlock(&u->iolock);
	if (err)
		goto out_free;

	/* a stream's bytes in records as large as they come */
	for (off = 0, i = 0; !err && i < n; i++) {
		size_t left = lens[i];

		if (stream && !left)
			continue;
		do {
			len = min_t(size_t, left, CKPT_SOCK_MSG_MAX);
			if (!stream && left > CKPT_SOCK_MSG_MAX) {
				err = -EOPNOTSUPP;
				break;
			}
			rec = ckpt_rec_begin(ctx, CKPT_REC_SOCK_DATA,
					     sizeof(*rec) + len);
			if (IS_ERR(rec)) {
				err = PTR_ERR(rec);
				break;
			}
			rec->id = id;
			rec->len = len;
			memcpy(rec + 1, buf + off, len);
			ckpt_rec_end(ctx, sizeof(*rec) + len);
			off += len;
			left -= len;
		} while (left);
	}
	goto out_free;
out:
	mutex_unlock(&u->iolock);
out_free:
	kvfree(buf);
	kvfree(lens);
	return err;
}

/* SO_RCVTIMEO and SO_SNDTIMEO in microseconds, 0 for none. */
static u64 ckpt_timeo_us(long timeo)
{
	if (timeo == MAX_SCHEDULE_TIMEOUT)
		return 0;
	return div_u64(jiffies64_to_nsecs(timeo), NSEC_PER_USEC) ?: 1;
}

/**
 * ckpt_dump_socket - write the SOCKET record of a socket, and its peer's
 * @ctx: the context
 * @file: the socket, checked by ckpt_check_socket()
 * @id: the object id of its FILE record, just written
 *
 * The first end of a pair is followed by its peer's FILE and SOCKET
 * records, and the second by the data queued for both.
 *
 * Context: process context, no locks held; in ckpt_dump_fds().
 * Return: 0; -EOPNOTSUPP if the pair changed since the check; -ENOMEM;
 * or a write error.
 */
int ckpt_dump_socket(struct ckpt_ctx *ctx, struct file *file, u32 id)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock->sk, *peer;
	struct ckpt_socket rec = {
		.id = id,
		.family = AF_UNIX,
		.type = sk->sk_type,
		.sndbuf = READ_ONCE(sk->sk_sndbuf),
		.rcvbuf = READ_ONCE(sk->sk_rcvbuf),
		.rcvlowat = READ_ONCE(sk->sk_rcvlowat),
		.rcvtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_rcvtimeo)),
		.sndtimeo_us = ckpt_timeo_us(READ_ONCE(sk->sk_sndtimeo)),
	};
	struct file *pfile = NULL;
	u8 shut = READ_ONCE(sk->sk_shutdown);
	u32 peer_id = 0, pid;
	int err, pfd;

	if (test_bit(SOCK_PASSCRED, &sock->flags))
		rec.flags |= CKPT_SOCK_PASSCRED;
	if (test_bit(SOCK_PASSSEC, &sock->flags))
		rec.flags |= CKPT_SOCK_PASSSEC;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		rec.flags |= CKPT_SOCK_SNDBUF;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		rec.flags |= CKPT_SOCK_RCVBUF;
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

/**
 * ckpt_restore_socket - take in a CKPT_REC_SOCKET record
 * @ctx: the context
 * @h: the record's header
 *
 * Stages the socket of the FILE record just before; the second end of a
 * pair names the first, which must be waiting for it.
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

	rec = ckpt_read_payload(ctx, h, sizeof(*rec), sizeof(*rec));
	if (IS_ERR(rec))
		return PTR_ERR(rec);
	if (!obj || obj->id != rec->id || obj->rec.type != CKPT_FILE_SOCKET ||
	    obj->sock || rec->family != AF_UNIX || rec->pad ||
	    rec->flags & ~CKPT_SOCK_FLAGS ||
	    (rec->type != SOCK_STREAM && rec->type != SOCK_DGRAM &&
	     rec->type != SOCK_SEQPACKET) ||
	    rec->sndbuf > INT_MAX || rec->rcvbuf > INT_MAX ||
	    !rec->rcvlowat || rec->rcvlowat > INT_MAX ||
	    div_u64(rec->rcvtimeo_us, USEC_PER_SEC) > INT_MAX ||
	    div_u64(rec->sndtimeo_us, USEC_PER_SEC) > INT_MAX)
		goto out;
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
	if (first)
		first->sock->peer = rec->id;
	err = 0;
out:
	kvfree(rec);
	return err;
}

/**
 * ckpt_restore_sock_data - take in a CKPT_REC_SOCK_DATA record
 * @ctx: the context
 * @h: the record's header
 *
 * Data queued for a socket of a pair whose two SOCKET records are read.
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
	st = obj ? obj->sock : NULL;
	/* a pair's: the first knows the second, the second the first */
	if (!st || (!st->peer && !st->rec.peer) ||
	    rec->len != h->len - sizeof(*rec) ||
	    (!rec->len && st->rec.type == SOCK_STREAM) ||
	    ctx->sock_bytes + rec->len > CKPT_MAX_SOCK_DATA)
		goto out;
	if (st->nr_msgs == st->max_msgs) {
		err = ckpt_grow((void **)&st->msgs, &st->max_msgs,
				sizeof(*st->msgs));
		if (err)
			goto out;
	}
	st->msgs[st->nr_msgs++] = rec;
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

/* Queue @st's data for its socket again: sent from @from, its peer. */
static int ckpt_sock_requeue(struct socket *from, struct ckpt_sock_stage *st)
{
	unsigned int i;
	int n;

	for (i = 0; i < st->nr_msgs; i++) {
		struct ckpt_sock_data *d = st->msgs[i];
		struct kvec v = { .iov_base = d + 1, .iov_len = d->len };
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

		n = kernel_sendmsg(from, &msg, &v, 1, d->len);
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
		      ckpt_sock_requeue(sb, a->sock) ?:
		      ckpt_sock_requeue(sa, b->sock) ?:
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
 * Return: 0; -EINVAL for a pair's first end without its second;
 * -ENOBUFS for queued data beyond a socket's limits; the errors of those
 * calls.
 */
int ckpt_socket_precommit(struct ckpt_ctx *ctx)
{
	unsigned int i;
	int err;

	for (i = 0; i < ctx->nr_objs; i++) {
		struct ckpt_obj *a = &ctx->objs[i], *b = NULL;

		if (!a->sock || a->file || a->sock->rec.peer)
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
