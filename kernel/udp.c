// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the datagrams a UDP socket has queued.
 *
 * A UDP socket made again from its record (socket.c) gets back what it
 * had received and not read.  The dump reads its two queues, the one
 * recvmsg() reads from (reader_queue) and then the one the network fills
 * (sk_receive_queue), under their locks and in the order recvmsg() takes
 * them, without consuming anything: each datagram's bytes and its
 * sender's address as recvfrom() would give it, one SOCK_MSG record each.
 * A datagram whose checksum is wrong is left out, as recvmsg() would
 * drop it.
 *
 * Restore hands each datagram to the socket as the IP layer delivers one:
 * a buffer with the IP and UDP headers recvmsg() reads the sender from,
 * queued by __udp_enqueue_schedule_skb(), which charges it to the socket
 * and drops it, here an error, if the receive buffer is full.  UDP keeps
 * no other state about a datagram, so the restored process reads the same
 * datagrams from the same senders.  What arrives while the process is
 * away is lost, as it would be for a process that was not there.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/filter.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>

#include "internal.h"

/* A datagram's record in a snapshot: header, address and bytes, aligned. */
static size_t ckpt_udp_msg_size(unsigned int alen, unsigned int len)
{
	return ALIGN(sizeof(struct ckpt_sock_msg) + alen + len, 8);
}

/* The length of the sender's address recvfrom() gives on @sk's family. */
static unsigned int ckpt_udp_addr_len(const struct sock *sk)
{
	return sk->sk_family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6);
}

/* The sender of @skb, as udp_recvmsg() and udpv6_recvmsg() put it. */
static void ckpt_udp_sender(const struct sock *sk, struct sk_buff *skb,
			    void *addr)
{
	if (sk->sk_family == AF_INET) {
		struct sockaddr_in *sin = addr;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = udp_hdr(skb)->source;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct sockaddr_in6 *sin6 = addr;

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = udp_hdr(skb)->source;
		if (skb->protocol == htons(ETH_P_IP)) {
			ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr,
					       &sin6->sin6_addr);
		} else {
			sin6->sin6_addr = ipv6_hdr(skb)->saddr;
			sin6->sin6_scope_id =
				ipv6_iface_scope_id(&sin6->sin6_addr,
						    inet6_iif(skb));
		}
	}
#endif
}

/* Would recvmsg() give @skb to its reader: is its checksum good? */
static bool ckpt_udp_deliverable(struct sk_buff *skb)
{
	return udp_skb_csum_unnecessary(skb) ||
	       !__udp_lib_checksum_complete(skb);
}

/*
 * Walk the datagrams of @sk's queues, with both queues' locks held: the
 * bytes of a snapshot of all of them (*@size) and of their data
 * (*@bytes), and, if @snap has room (@cap) for all, their copy.
 */
static int ckpt_udp_walk(struct sock *sk, struct ckpt_udp_snap *snap,
			 size_t cap, size_t *size, u64 *bytes)
{
	struct sk_buff_head *queues[] = {
		&udp_sk(sk)->reader_queue, &sk->sk_receive_queue,
	};
	unsigned int alen = ckpt_udp_addr_len(sk), q;
	struct sk_buff *skb;
	size_t off = 0;
	int err = 0;

	*size = 0;
	*bytes = 0;
	for (q = 0; q < ARRAY_SIZE(queues); q++) {
		skb_queue_walk(queues[q], skb) {
			*size += ckpt_udp_msg_size(alen, skb->len);
			*bytes += skb->len;
		}
	}
	snap->nr = 0;
	snap->bytes = 0;
	if (*size > cap)
		return 0;
	for (q = 0; q < ARRAY_SIZE(queues) && !err; q++) {
		skb_queue_walk(queues[q], skb) {
			struct ckpt_sock_msg *m = snap->buf + off;

			if (!ckpt_udp_deliverable(skb))
				continue;
			memset(m, 0, ckpt_udp_msg_size(alen, skb->len));
			m->len = skb->len;
			m->addr_len = alen;
			ckpt_udp_sender(sk, skb, m + 1);
			err = skb_copy_bits(skb, 0, (u8 *)(m + 1) + alen,
					    skb->len);
			if (err)
				break;
			off += ckpt_udp_msg_size(alen, skb->len);
			snap->nr++;
			snap->bytes += skb->len;
		}
	}
	return err;
}

/**
 * ckpt_udp_queued - the bytes of the datagrams a UDP socket has queued
 * @sk: the socket
 *
 * Return: their bytes, for the image's limit on queued data.
 */
u64 ckpt_udp_queued(struct sock *sk)
{
	struct sk_buff_head *rq = &udp_sk(sk)->reader_queue;
	struct sk_buff *skb;
	u64 bytes = 0;

	spin_lock_bh(&rq->lock);
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(rq, skb)
		bytes += skb->len;
	skb_queue_walk(&sk->sk_receive_queue, skb)
		bytes += skb->len;
	spin_unlock(&sk->sk_receive_queue.lock);
	spin_unlock_bh(&rq->lock);
	return bytes;
}

/**
 * ckpt_udp_snapshot - read the datagrams a UDP socket has queued
 * @sk: the socket, whose record has %CKPT_SOCK_REMAKE
 * @snap: filled in; its buffer is the caller's to kvfree()
 * @room: the most bytes of datagrams it may hold
 *
 * Context: process context, no locks held.
 * Return: 0; -E2BIG if they are more than @room; -ENOMEM; -EFAULT if a
 * datagram could not be read.
 */
int ckpt_udp_snapshot(struct sock *sk, struct ckpt_udp_snap *snap, u64 room)
{
	struct sk_buff_head *rq = &udp_sk(sk)->reader_queue;
	size_t size, cap = 0;
	u64 bytes;
	int err;

	memset(snap, 0, sizeof(*snap));
	for (;;) {
		spin_lock_bh(&rq->lock);
		spin_lock(&sk->sk_receive_queue.lock);
		err = ckpt_udp_walk(sk, snap, cap, &size, &bytes);
		spin_unlock(&sk->sk_receive_queue.lock);
		spin_unlock_bh(&rq->lock);
		if (err || bytes > room || size <= cap)
			break;
		/* none yet, or more came meanwhile: room for them all */
		kvfree(snap->buf);
		cap = size;
		snap->buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
		if (!snap->buf)
			return -ENOMEM;
	}
	if (!err && bytes > room)
		err = -E2BIG;
	if (err) {
		kvfree(snap->buf);
		snap->buf = NULL;
		snap->nr = 0;
	}
	return err;
}

/**
 * ckpt_udp_write - write a snapshot's datagrams as SOCK_MSG records
 * @ctx: the dump
 * @snap: from ckpt_udp_snapshot()
 * @id: the object id of the socket's FILE record
 *
 * Return: 0, or a write error.
 */
int ckpt_udp_write(struct ckpt_ctx *ctx, const struct ckpt_udp_snap *snap,
		   u32 id)
{
	const u8 *p = snap->buf;
	unsigned int i;

	for (i = 0; i < snap->nr; i++) {
		const struct ckpt_sock_msg *m = (const void *)p;
		size_t len = sizeof(*m) + m->addr_len + m->len;
		struct ckpt_sock_msg *rec;

		rec = ckpt_rec_begin(ctx, CKPT_REC_SOCK_MSG, len);
		if (IS_ERR(rec))
			return PTR_ERR(rec);
		memcpy(rec, m, len);
		rec->id = id;
		ckpt_rec_end(ctx, len);
		p += ckpt_udp_msg_size(m->addr_len, m->len);
	}
	return 0;
}

/**
 * ckpt_udp_msg_valid - is a SOCK_MSG record one a UDP socket could queue?
 * @rec: the SOCKET record of the socket
 * @m: the SOCK_MSG record, its address and bytes after it
 *
 * Its sender is an address of the socket's family, as recvfrom() gives
 * it: an IPv4 one (on an IPv6 socket, mapped), or an IPv6 one with a
 * scope only if it needs one; and it fits in an IP packet.
 */
bool ckpt_udp_msg_valid(const struct ckpt_socket *rec,
			const struct ckpt_sock_msg *m)
{
	const unsigned int max4 = IP_MAX_MTU - sizeof(struct iphdr) -
				  sizeof(struct udphdr);
	struct sockaddr_in sin;

	if (m->pad[0] || m->pad[1] || m->pad[2])
		return false;
	if (rec->family == AF_INET) {
		if (m->addr_len != sizeof(sin))
			return false;
		memcpy(&sin, m + 1, sizeof(sin));
		return sin.sin_family == AF_INET && !memchr_inv(sin.sin_zero, 0,
								sizeof(sin.sin_zero)) &&
		       m->len <= max4;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (rec->family == AF_INET6) {
		struct sockaddr_in6 sin6;
		int type;

		if (m->addr_len != sizeof(sin6))
			return false;
		memcpy(&sin6, m + 1, sizeof(sin6));
		if (sin6.sin6_family != AF_INET6 || sin6.sin6_flowinfo)
			return false;
		if (ipv6_addr_v4mapped(&sin6.sin6_addr))
			return !sin6.sin6_scope_id && m->len <= max4;
		type = ipv6_addr_type(&sin6.sin6_addr);
		if (sin6.sin6_scope_id && !__ipv6_addr_needs_scope_id(type))
			return false;
		return m->len <= IPV6_MAXPLEN - sizeof(struct udphdr);
	}
#endif
	return false;
}

/* The IPv4 header of a datagram from @saddr to @daddr, @ulen bytes of UDP. */
static void ckpt_udp_push_ip4(struct sk_buff *skb, __be32 saddr,
			      __be32 daddr, unsigned int ulen)
{
	struct iphdr *iph = skb_push(skb, sizeof(*iph));

	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(sizeof(*iph) + ulen);
	iph->protocol = IPPROTO_UDP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	skb->protocol = htons(ETH_P_IP);
}

/* The IPv6 header of a datagram from @from to @sk, and where it came in. */
static void ckpt_udp_push_ip6(struct sk_buff *skb, struct sock *sk,
			      const struct sockaddr_in6 *from,
			      unsigned int ulen)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct ipv6hdr *ip6h = skb_push(skb, sizeof(*ip6h));

	skb_reset_network_header(skb);
	memset(ip6h, 0, sizeof(*ip6h));
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(ulen);
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->saddr = from->sin6_addr;
	ip6h->daddr = sk->sk_v6_rcv_saddr;
	skb->protocol = htons(ETH_P_IPV6);
	/* the interface a link-local sender's scope names */
	IP6CB(skb)->iif = from->sin6_scope_id;
#endif
}

/*
 * A datagram as the IP layer hands it to UDP, its headers pulled: the
 * headers hold its sender for recvmsg(), its bytes are linear if small
 * and in pages if not, as a device's would be.
 */
static struct sk_buff *ckpt_udp_skb(struct sock *sk,
				    const struct ckpt_sock_msg *m)
{
	const u8 *data = (const u8 *)(m + 1) + m->addr_len;
	unsigned int hdr = sizeof(struct iphdr), linear = m->len;
	unsigned int ulen = sizeof(struct udphdr) + m->len;
	struct sockaddr_in6 sin6 = { };
	struct sockaddr_in sin = { };
	struct sk_buff *skb;
	struct udphdr *uh;
	bool v4 = true;
	int err;

	if (sk->sk_family == AF_INET) {
		memcpy(&sin, m + 1, sizeof(sin));
	} else {
		memcpy(&sin6, m + 1, sizeof(sin6));
		v4 = ipv6_addr_v4mapped(&sin6.sin6_addr);
		sin.sin_port = sin6.sin6_port;
		sin.sin_addr.s_addr = sin6.sin6_addr.s6_addr32[3];
		if (!v4)
			hdr = sizeof(struct ipv6hdr);
	}
	if (linear > PAGE_SIZE / 2)
		linear = 0;
	hdr += sizeof(*uh);
	skb = alloc_skb_with_frags(hdr + linear, m->len - linear, 0, &err,
				   GFP_KERNEL_ACCOUNT);
	if (!skb)
		return NULL;
	skb_reserve(skb, hdr);
	skb_put(skb, linear);
	skb->data_len = m->len - linear;
	skb->len += skb->data_len;
	if (skb_store_bits(skb, 0, data, m->len)) {
		kfree_skb(skb);
		return NULL;
	}

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = sin.sin_port;
	uh->dest = inet_sk(sk)->inet_sport;
	uh->len = htons(ulen);
	uh->check = 0;
	if (v4)
		ckpt_udp_push_ip4(skb, sin.sin_addr.s_addr,
				  inet_sk(sk)->inet_rcv_saddr, ulen);
	else
		ckpt_udp_push_ip6(skb, sk, &sin6, ulen);
	__skb_pull(skb, hdr);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	UDP_SKB_CB(skb)->cscov = m->len;
	return skb;
}

/**
 * ckpt_udp_requeue - queue a UDP socket's datagrams again
 * @sock: the socket, just made again, bound and connected as it was
 * @msgs: its SOCK_MSG records, checked by ckpt_udp_msg_valid(), oldest
 *	first
 * @nr: entries in @msgs
 *
 * Each as the network would deliver it (ckpt_udp_skb()), through the
 * socket's filter and security hook (sk_filter()) and the queue's own
 * accounting (__udp_enqueue_schedule_skb()).
 *
 * Context: the committing task, before the point of no return.
 * Return: 0; -ENOBUFS if they do not fit in its receive buffer; -ENOMEM;
 * or the error of its security hook.
 */
int ckpt_udp_requeue(struct socket *sock, struct ckpt_sock_msg **msgs,
		     unsigned int nr)
{
	struct sock *sk = sock->sk;
	unsigned int i;
	int err;

	for (i = 0; i < nr; i++) {
		struct sk_buff *skb = ckpt_udp_skb(sk, msgs[i]);

		if (!skb)
			return -ENOMEM;
		err = sk_filter(sk, skb);
		if (!err) {
			/* as in the network's softirq */
			local_bh_disable();
			err = __udp_enqueue_schedule_skb(sk, skb);
			local_bh_enable();
			if (err)
				err = -ENOBUFS;
		}
		if (err) {
			kfree_skb(skb);
			return err;
		}
	}
	return 0;
}
