// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: established TCP connections, by value.
 *
 * An established connection is recorded as TCP repair mode exposes it:
 * the sequence numbers of its send and receive queues, their bytes, the
 * options it was set up with and its window, read under the socket's
 * lock without consuming anything (the TCP record, struct ckpt_tcp).
 * Restore makes it again through the same interface, do_tcp_setsockopt()
 * with TCP_REPAIR and the options that go with it, and the bind() and
 * connect() a process would make, each with its checks: a socket in
 * repair mode needs CAP_NET_ADMIN in its network namespace, so the dump
 * that reads those numbers needs it too, and a restore that writes them.
 * Without it the connection is kept by identity only (socket.c).
 *
 * A connection its process shut down for writing (FIN_WAIT1, FIN_WAIT2)
 * is recorded the same way, its FIN after the send queue, and made again
 * as an established one that shutdown() then closes for writing, in
 * repair mode, where the FIN counts as sent.  Nothing in TCP repair can
 * tell a socket that its peer's FIN came: CLOSE_WAIT and the states
 * after it are kept by identity (socket.c).
 *
 * A dump with %CKPT_DUMP_KILL takes the connection away from its peer
 * without a word: before the connection is read, what the peer sends to
 * it is held back (dropped at NF_INET_LOCAL_IN, so that nothing is
 * acknowledged that the image does not have); once the image is written
 * the socket is put in repair mode, in which closing it sends neither FIN
 * nor RST.  The peer retransmits until a restore makes the connection
 * again and lifts the hold, once committed; a hold no restore claims ends
 * after CKPT_TCP_HOLD_SECS, and the peer then meets the reset a closed
 * port gives.  A socket another process holds too is left as it is.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/memcontrol.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rculist.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "internal.h"

/* How long a connection taken away by a dump waits for its restore. */
#define CKPT_TCP_HOLD_SECS	300

/* The most connections held at once, in all. */
#define CKPT_TCP_MAX_HOLDS	4096

/**
 * struct ckpt_tcp_hold - a connection whose incoming segments are dropped
 * @node: in ckpt_tcp_holds
 * @rcu: for its freeing, after the hooks that may see it
 * @net: its network namespace (no reference: ckpt_tcp_net_exit())
 * @expires: when it ends, in jiffies; 0 while the dump that made it runs
 * @family: AF_INET or AF_INET6 (a v4-mapped connection is AF_INET's)
 * @lport: the local port
 * @rport: the peer's port
 * @laddr: the local address
 * @raddr: the peer's address
 */
struct ckpt_tcp_hold {
	struct list_head node;
	struct rcu_head rcu;
	struct net *net;
	unsigned long expires;
	u8 family;
	__be16 lport;
	__be16 rport;
	union {
		__be32 v4;
		struct in6_addr v6;
	} laddr, raddr;
};

/**
 * struct ckpt_tcp_held - a connection a dump holds
 * @hold: its hold
 * @sk: its socket (a reference)
 * @file: its socket's file, or for a connection waiting in a listener's
 *	backlog the listener's (a reference)
 * @nr_fds: the descriptors of the process @file is open at
 */
struct ckpt_tcp_held {
	struct ckpt_tcp_hold *hold;
	struct sock *sk;
	struct file *file;
	unsigned int nr_fds;
};

/* The holds: changed under ckpt_tcp_mutex, read under RCU by the hooks. */
static LIST_HEAD(ckpt_tcp_holds);
static DEFINE_MUTEX(ckpt_tcp_mutex);
static unsigned int ckpt_tcp_nr_holds;

static void ckpt_tcp_expire(struct work_struct *work);
static DECLARE_DELAYED_WORK(ckpt_tcp_expire_work, ckpt_tcp_expire);

static bool ckpt_tcp_hold_match(const struct ckpt_tcp_hold *h,
				const struct ckpt_tcp_hold *t)
{
	if (h->net != t->net || h->family != t->family ||
	    h->lport != t->lport || h->rport != t->rport)
		return false;
	if (h->family == AF_INET)
		return h->laddr.v4 == t->laddr.v4 && h->raddr.v4 == t->raddr.v4;
	return ipv6_addr_equal(&h->laddr.v6, &t->laddr.v6) &&
	       ipv6_addr_equal(&h->raddr.v6, &t->raddr.v6);
}

/* Is the segment described by @t, as the local end sees it, held back? */
static bool ckpt_tcp_held(const struct ckpt_tcp_hold *t)
{
	const struct ckpt_tcp_hold *h;
	bool held = false;

	rcu_read_lock();
	list_for_each_entry_rcu(h, &ckpt_tcp_holds, node) {
		unsigned long expires = READ_ONCE(h->expires);

		if (ckpt_tcp_hold_match(h, t) &&
		    (!expires || time_before(jiffies, expires))) {
			held = true;
			break;
		}
	}
	rcu_read_unlock();
	return held;
}

static unsigned int ckpt_tcp_hook4(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct ckpt_tcp_hold t = { .net = state->net, .family = AF_INET };
	struct tcphdr _th;
	const struct tcphdr *th;

	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, skb_network_offset(skb) + ip_hdrlen(skb),
				sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	t.lport = th->dest;
	t.rport = th->source;
	t.laddr.v4 = iph->daddr;
	t.raddr.v4 = iph->saddr;
	return ckpt_tcp_held(&t) ? NF_DROP : NF_ACCEPT;
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int ckpt_tcp_hook6(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct ckpt_tcp_hold t = { .net = state->net, .family = AF_INET6 };
	u8 nexthdr = ip6h->nexthdr;
	struct tcphdr _th;
	const struct tcphdr *th;
	__be16 frag_off;
	int off;

	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &nexthdr, &frag_off);
	if (off < 0 || nexthdr != IPPROTO_TCP || frag_off & htons(IP6_OFFSET))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, off, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	t.lport = th->dest;
	t.rport = th->source;
	t.laddr.v6 = ip6h->daddr;
	t.raddr.v6 = ip6h->saddr;
	return ckpt_tcp_held(&t) ? NF_DROP : NF_ACCEPT;
}
#endif

static const struct nf_hook_ops ckpt_tcp_hook_ops[] = {
	{
		.hook		= ckpt_tcp_hook4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP_PRI_FIRST,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= ckpt_tcp_hook6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_FIRST,
	},
#endif
};

/* Does @net have a hold other than @but?  Under ckpt_tcp_mutex. */
static bool ckpt_tcp_net_held(const struct net *net,
			      const struct ckpt_tcp_hold *but)
{
	const struct ckpt_tcp_hold *h;

	list_for_each_entry(h, &ckpt_tcp_holds, node)
		if (h->net == net && h != but)
			return true;
	return false;
}

/* End a hold; the hooks go with its namespace's last.  Under the mutex. */
static void ckpt_tcp_hold_del(struct ckpt_tcp_hold *h)
{
	list_del_rcu(&h->node);
	ckpt_tcp_nr_holds--;
	if (!ckpt_tcp_net_held(h->net, NULL))
		nf_unregister_net_hooks(h->net, ckpt_tcp_hook_ops,
					ARRAY_SIZE(ckpt_tcp_hook_ops));
	kfree_rcu(h, rcu);
}

/* The connection of @sk, as its local end sees it. */
static void ckpt_tcp_tuple(struct sock *sk, struct ckpt_tcp_hold *t)
{
	const struct inet_sock *inet = inet_sk(sk);

	t->net = sock_net(sk);
	t->lport = inet->inet_sport;
	t->rport = inet->inet_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		t->family = AF_INET6;
		t->laddr.v6 = sk->sk_v6_rcv_saddr;
		t->raddr.v6 = sk->sk_v6_daddr;
		return;
	}
#endif
	t->family = AF_INET;
	t->laddr.v4 = inet->inet_rcv_saddr;
	t->raddr.v4 = inet->inet_daddr;
}

/*
 * Hold back what the peer of @sk sends to it from now on; once this
 * returns, no segment is on its way to @sk past the hook.
 */
static struct ckpt_tcp_hold *ckpt_tcp_hold(struct sock *sk)
{
	struct ckpt_tcp_hold *h;
	int err = -ENOSPC;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	ckpt_tcp_tuple(sk, h);
	mutex_lock(&ckpt_tcp_mutex);
	if (ckpt_tcp_nr_holds >= CKPT_TCP_MAX_HOLDS)
		goto fail;
	if (!ckpt_tcp_net_held(h->net, NULL)) {
		err = nf_register_net_hooks(h->net, ckpt_tcp_hook_ops,
					    ARRAY_SIZE(ckpt_tcp_hook_ops));
		if (err)
			goto fail;
	}
	list_add_tail_rcu(&h->node, &ckpt_tcp_holds);
	ckpt_tcp_nr_holds++;
	mutex_unlock(&ckpt_tcp_mutex);
	/* the hooks that did not see the hold are done with their segment */
	synchronize_net();
	return h;
fail:
	mutex_unlock(&ckpt_tcp_mutex);
	kfree(h);
	return ERR_PTR(err);
}

static void ckpt_tcp_unhold(struct ckpt_tcp_hold *h)
{
	mutex_lock(&ckpt_tcp_mutex);
	ckpt_tcp_hold_del(h);
	mutex_unlock(&ckpt_tcp_mutex);
}

/* End the holds whose time is up; come back for the next one. */
static void ckpt_tcp_expire(struct work_struct *work)
{
	struct ckpt_tcp_hold *h, *n;
	unsigned long next = 0;

	mutex_lock(&ckpt_tcp_mutex);
	list_for_each_entry_safe(h, n, &ckpt_tcp_holds, node) {
		if (!h->expires)
			continue;
		if (time_after_eq(jiffies, h->expires))
			ckpt_tcp_hold_del(h);
		else if (!next || time_before(h->expires, next))
			next = h->expires;
	}
	if (next)
		mod_delayed_work(system_wq, &ckpt_tcp_expire_work,
				 next - jiffies);
	mutex_unlock(&ckpt_tcp_mutex);
}

static void __net_exit ckpt_tcp_net_exit(struct net *net)
{
	struct ckpt_tcp_hold *h, *n;

	mutex_lock(&ckpt_tcp_mutex);
	list_for_each_entry_safe(h, n, &ckpt_tcp_holds, node)
		if (h->net == net)
			ckpt_tcp_hold_del(h);
	mutex_unlock(&ckpt_tcp_mutex);
}

static struct pernet_operations ckpt_tcp_net_ops = {
	.exit = ckpt_tcp_net_exit,
};

static int __init ckpt_tcp_init(void)
{
	return register_pernet_subsys(&ckpt_tcp_net_ops);
}
device_initcall(ckpt_tcp_init);

/**
 * ckpt_tcp_by_value - can an established connection be recorded by value?
 * @sk: the socket, locked
 *
 * Only by a dumper that may put it in repair mode, and only a connection
 * the TCP record holds all of: established, or shut down for writing by
 * its process and its peer's FIN not received (FIN_WAIT1, FIN_WAIT2); no
 * urgent data, no upper layer protocol (TLS), no MD5 signature, not under
 * repair by someone else.  The options the record cannot have are the
 * caller's to check.
 */
bool ckpt_tcp_by_value(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!ckpt_tcp_conn_state(sk->sk_state) ||
	    sk->sk_shutdown != (sk->sk_state == TCP_ESTABLISHED ? 0 :
				SEND_SHUTDOWN) ||
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
		return false;
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tp->md5sig_info))
		return false;
#endif
	return !tp->repair && !tp->urg_data && !tp->fastopen_rsk &&
	       !inet_csk(sk)->icsk_ulp_ops && !sock_flag(sk, SOCK_ZEROCOPY) &&
	       !sk->sk_err;
}

/* Copy the bytes of @skb from sequence number @from on; their count. */
static int ckpt_tcp_copy_skb(const struct sk_buff *skb, u32 from, u8 *buf,
			     u32 room)
{
	u32 seq = TCP_SKB_CB(skb)->seq, off = 0, len;

	if (before(seq, from))
		off = from - seq;
	if (off >= skb->len)
		return 0;
	len = skb->len - off;
	if (len > room)
		return -EOPNOTSUPP;
	return skb_copy_bits(skb, off, buf, len) ?: len;
}

/*
 * Read the connection of @sk into @snap, whose @data has @room bytes:
 * -EAGAIN if it is not one now, -E2BIG if its queues need more room.
 */
static int ckpt_tcp_read(struct sock *sk, struct ckpt_tcp_snap *snap,
			 u32 room)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct ckpt_tcp *rec = &snap->rec;
	struct sk_buff *skb;
	u32 pos = 0, end;
	int n;

	memset(rec, 0, sizeof(*rec));
	lock_sock(sk);
	if (!ckpt_tcp_by_value(sk)) {
		release_sock(sk);
		return -EAGAIN;
	}
	snap->state = sk->sk_state;
	rec->snd_seq = tp->snd_una;
	rec->snd_len = tp->write_seq - tp->snd_una;
	if (sk->sk_state != TCP_ESTABLISHED) {
		/* the FIN, last in write_seq, sent or acknowledged */
		rec->flags |= CKPT_TCP_FIN;
		if (rec->snd_len)
			rec->snd_len--;
		else
			rec->snd_seq--;
	}
	rec->rcv_seq = tp->copied_seq;
	rec->rcv_len = tp->rcv_nxt - tp->copied_seq;
	if ((u64)rec->snd_len + rec->rcv_len > room) {
		release_sock(sk);
		return -E2BIG;
	}
	/* what tcp_recvmsg() would read, and what tcp_peek_sndq() peeks */
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
			goto changed;
		n = ckpt_tcp_copy_skb(skb, rec->rcv_seq, snap->data + pos,
				      rec->rcv_len - pos);
		if (n < 0)
			goto changed;
		pos += n;
	}
	if (pos != rec->rcv_len)
		goto changed;
	end = rec->rcv_len + rec->snd_len;
	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		n = ckpt_tcp_copy_skb(skb, rec->snd_seq, snap->data + pos,
				      end - pos);
		if (n < 0)
			goto changed;
		pos += n;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		n = ckpt_tcp_copy_skb(skb, rec->snd_seq, snap->data + pos,
				      end - pos);
		if (n < 0)
			goto changed;
		pos += n;
	}
	if (pos != end)
		goto changed;
	/* what TCP_MAXSEG, TCP_TIMESTAMP and TCP_REPAIR_WINDOW read */
	rec->mss = tp->rx_opt.mss_clamp;
	if (tp->rx_opt.wscale_ok) {
		rec->flags |= CKPT_TCP_WSCALE;
		rec->snd_wscale = tp->rx_opt.snd_wscale;
		rec->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->rx_opt.sack_ok & TCP_SACK_SEEN)
		rec->flags |= CKPT_TCP_SACK;
	if (tp->rx_opt.tstamp_ok)
		rec->flags |= CKPT_TCP_TIMESTAMP;
	rec->timestamp = tcp_time_stamp_raw() + READ_ONCE(tp->tsoffset);
	rec->snd_wl1 = tp->snd_wl1;
	rec->snd_wnd = tp->snd_wnd;
	rec->max_window = tp->max_window;
	rec->rcv_wnd = tp->rcv_wnd;
	rec->rcv_wup = tp->rcv_wup;
	release_sock(sk);
	return 0;
changed:
	release_sock(sk);
	return -EAGAIN;
}

/**
 * ckpt_tcp_snapshot - read an established connection for its TCP record
 * @ctx: the dump, in ckpt_dump_fds() (@ctx->files)
 * @sk: the socket, which ckpt_tcp_by_value() accepted
 * @file: its file; for a connection waiting in a backlog, its listener's
 * @snap: the record and the bytes of its queues, filled in; its @data is
 *	the caller's to free
 * @room: the most bytes its queues may have
 *
 * With %CKPT_DUMP_KILL, the peer's segments are held back first, until
 * ckpt_tcp_dump_end().
 *
 * Return: 0; -EAGAIN if it is not such a connection now (recorded by
 * identity then); -E2BIG beyond @room; -ENOSPC if too many connections
 * are held; -ENOMEM.
 */
int ckpt_tcp_snapshot(struct ckpt_ctx *ctx, struct sock *sk,
		      struct file *file, struct ckpt_tcp_snap *snap, u32 room)
{
	struct ckpt_tcp_held *held = NULL;
	u64 want;
	int err;

	memset(snap, 0, sizeof(*snap));
	if (ctx->flags & CKPT_DUMP_KILL) {
		if (ctx->nr_tcp_held == ctx->max_tcp_held) {
			err = ckpt_grow((void **)&ctx->tcp_held,
					&ctx->max_tcp_held,
					sizeof(*ctx->tcp_held));
			if (err)
				return err;
		}
		held = &ctx->tcp_held[ctx->nr_tcp_held];
		held->hold = ckpt_tcp_hold(sk);
		if (IS_ERR(held->hold)) {
			err = PTR_ERR(held->hold);
			if (err == -ENOSPC)
				pr_info_ratelimited("%s[%d]: too many TCP connections held for their restore\n",
						    ctx->task->comm,
						    task_pid_nr(ctx->task));
			return err;
		}
	}
	/* the queues fit in the buffers, or have grown since: read again */
	want = min_t(u64, room, (u64)READ_ONCE(sk->sk_sndbuf) +
				READ_ONCE(sk->sk_rcvbuf));
	do {
		kvfree(snap->data);
		snap->data = kvmalloc(max_t(u32, want, 1), GFP_KERNEL_ACCOUNT);
		err = -ENOMEM;
		if (!snap->data)
			break;
		err = ckpt_tcp_read(sk, snap, want);
		want = snap->rec.snd_len + snap->rec.rcv_len;
	} while (err == -E2BIG && want <= room);
	if (err) {
		kvfree(snap->data);
		snap->data = NULL;
		if (held)
			ckpt_tcp_unhold(held->hold);
		return err;
	}
	if (held) {
		sock_hold(sk);
		held->sk = sk;
		held->file = get_file(file);
		held->nr_fds = ckpt_files_nr_fds(ctx->files, file);
		ctx->nr_tcp_held++;
	}
	return 0;
}

/**
 * ckpt_tcp_unhold_from - end the holds of a dump from the @from'th on
 * @ctx: the dump
 * @from: how many of its holds stay
 *
 * For the connections of a listener's backlog that turned out not to be
 * recorded by value after all.
 */
void ckpt_tcp_unhold_from(struct ckpt_ctx *ctx, unsigned int from)
{
	while (ctx->nr_tcp_held > from) {
		struct ckpt_tcp_held *held = &ctx->tcp_held[--ctx->nr_tcp_held];

		ckpt_tcp_unhold(held->hold);
		sock_put(held->sk);
		fput(held->file);
	}
}

/**
 * ckpt_tcp_waiting - the connections waiting in a listener's backlog
 * @sk: the listener
 * @conns: filled in with them, in the order accept() takes them, each
 *	with a reference for the caller to put
 * @max: room in @conns
 *
 * Return: how many; -EAGAIN for more than @max, or one TCP Fast Open
 * made (the handshake not done yet).
 */
int ckpt_tcp_waiting(struct sock *sk, struct sock **conns, unsigned int max)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;
	unsigned int i = 0;
	int n = 0;

	spin_lock_bh(&queue->rskq_lock);
	for (req = queue->rskq_accept_head; req; req = req->dl_next) {
		if (i == max || !req->sk || tcp_rsk(req)->tfo_listener) {
			n = -EAGAIN;
			break;
		}
		sock_hold(req->sk);
		conns[i++] = req->sk;
	}
	if (!n)
		n = i;
	spin_unlock_bh(&queue->rskq_lock);
	if (n < 0)
		while (i--)
			sock_put(conns[i]);
	return n;
}

/**
 * ckpt_tcp_waiting_same - are these still the connections waiting there?
 * @sk: the listener
 * @conns: what ckpt_tcp_waiting() found
 * @n: entries in @conns
 *
 * None accepted meanwhile by another process holding the listener, and
 * none come since: the backlog read is the listener's.
 */
bool ckpt_tcp_waiting_same(struct sock *sk, struct sock **conns,
			   unsigned int n)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;
	unsigned int i = 0;
	bool same = true;

	spin_lock_bh(&queue->rskq_lock);
	for (req = queue->rskq_accept_head; req && same; req = req->dl_next)
		same = i < n && req->sk == conns[i++];
	spin_unlock_bh(&queue->rskq_lock);
	return same && i == n;
}

/**
 * ckpt_tcp_write - write the TCP record of a connection, and its queues
 * @ctx: the dump
 * @snap: what ckpt_tcp_snapshot() read
 * @id: the object id of the socket's FILE record
 *
 * Return: 0, or a write error.
 */
int ckpt_tcp_write(struct ckpt_ctx *ctx, struct ckpt_tcp_snap *snap, u32 id)
{
	u32 len = snap->rec.rcv_len + snap->rec.snd_len, off = 0, n;
	struct ckpt_sock_data *d;
	int err;

	snap->rec.id = id;
	err = ckpt_write_rec(ctx, CKPT_REC_TCP, &snap->rec, sizeof(snap->rec));
	while (!err && off < len) {
		n = min_t(u32, len - off, CKPT_REC_MAX - sizeof(*d));
		d = ckpt_rec_begin(ctx, CKPT_REC_SOCK_DATA, sizeof(*d) + n);
		if (IS_ERR(d))
			return PTR_ERR(d);
		d->id = id;
		d->len = n;
		memcpy(d + 1, snap->data + off, n);
		ckpt_rec_end(ctx, sizeof(*d) + n);
		off += n;
	}
	return err;
}

/**
 * ckpt_tcp_dump_end - take the connections held away from their peers
 * @ctx: the dump
 * @kill: the image is written and the process is to be killed
 *
 * Each connection read by a dump with %CKPT_DUMP_KILL is put in repair
 * mode, so that the process's exit closes it silently, and stays held
 * for CKPT_TCP_HOLD_SECS, or until a restore makes it again.  Without
 * @kill, or for a socket open elsewhere too (another process would lose
 * it, or accept the connections waiting in a listener's backlog), the
 * hold ends now.
 *
 * Context: the dumper, which ckpt_tcp_by_value() found may repair them.
 */
void ckpt_tcp_dump_end(struct ckpt_ctx *ctx, bool kill)
{
	unsigned int i, run = 0;
	int on = TCP_REPAIR_ON;
	bool alone = false;

	for (i = 0; i < ctx->nr_tcp_held; i++) {
		struct ckpt_tcp_held *held = &ctx->tcp_held[i];
		struct sock *sk = held->sk;

		/* a listener's waiting connections come together, on its file */
		if (i == run) {
			while (++run < ctx->nr_tcp_held &&
			       ctx->tcp_held[run].file == held->file)
				;
			/* the process's descriptors, the object table's, ours */
			alone = file_count(held->file) ==
				held->nr_fds + 1 + (run - i);
		}
		/* as setsockopt() would, on a connection still not accepted */
		if (kill && alone &&
		    !sk->sk_prot->setsockopt(sk, SOL_TCP, TCP_REPAIR,
					     KERNEL_SOCKPTR(&on), sizeof(on))) {
			mutex_lock(&ckpt_tcp_mutex);
			WRITE_ONCE(held->hold->expires,
				   jiffies + CKPT_TCP_HOLD_SECS * HZ ?: 1);
			queue_delayed_work(system_wq, &ckpt_tcp_expire_work,
					   CKPT_TCP_HOLD_SECS * HZ);
			mutex_unlock(&ckpt_tcp_mutex);
		} else {
			ckpt_tcp_unhold(held->hold);
		}
		sock_put(sk);
		fput(held->file);
	}
	kvfree(ctx->tcp_held);
	ctx->tcp_held = NULL;
	ctx->nr_tcp_held = 0;
	ctx->max_tcp_held = 0;
}

/* A TCP option, through the protocol's setsockopt(). */
static int ckpt_tcp_setopt(struct socket *sock, int opt, const void *val,
			   unsigned int len)
{
	return sock->ops->setsockopt(sock, SOL_TCP, opt,
				     KERNEL_SOCKPTR((void *)val), len);
}

static int ckpt_tcp_setint(struct socket *sock, int opt, int val)
{
	return ckpt_tcp_setopt(sock, opt, &val, sizeof(val));
}

/*
 * Queue @len bytes of @msgs from byte @skip on, into the queue of
 * @sock in repair mode: the receive queue, or the send queue as sent.
 */
static int ckpt_tcp_queue(struct socket *sock, int queue,
			  struct ckpt_sock_data **msgs, unsigned int nr,
			  u64 skip, u64 len)
{
	unsigned int i;
	int err, n;

	err = ckpt_tcp_setint(sock, TCP_REPAIR_QUEUE, queue);
	for (i = 0; !err && len && i < nr; i++) {
		struct ckpt_sock_data *d = msgs[i];
		u32 off, part;

		if (skip >= d->len) {
			skip -= d->len;
			continue;
		}
		off = skip;
		part = min_t(u64, d->len - off, len);
		skip = 0;
		len -= part;
		while (part) {
			struct kvec v = { (u8 *)(d + 1) + off, part };
			struct msghdr msg = {
				.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
			};

			n = kernel_sendmsg(sock, &msg, &v, 1, part);
			if (n == -EAGAIN || n == -ENOMEM || n == 0) {
				pr_info_ratelimited("%s[%d]: the %s queue of a TCP connection does not fit in its limits\n",
						    current->comm,
						    task_pid_nr(current),
						    queue == TCP_RECV_QUEUE ?
						    "receive" : "send");
				return -ENOBUFS;
			}
			if (n < 0)
				return n;
			off += n;
			part -= n;
		}
	}
	return err;
}

/* The buffers autotuning had grown to, within its limits. */
static void ckpt_tcp_buffers(struct sock *sk, const struct ckpt_socket *rec)
{
	const struct net *net = sock_net(sk);
	int snd = min_t(u32, rec->sndbuf,
			READ_ONCE(net->ipv4.sysctl_tcp_wmem[2]));
	int rcv = min_t(u32, rec->rcvbuf,
			READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]));

	lock_sock(sk);
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK) && snd > sk->sk_sndbuf)
		WRITE_ONCE(sk->sk_sndbuf, snd);
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) && rcv > sk->sk_rcvbuf)
		WRITE_ONCE(sk->sk_rcvbuf, rcv);
	release_sock(sk);
}

/*
 * The FIN of a connection its process shut down for writing, as
 * shutdown(SHUT_WR) sends it, with its security hook: with the send
 * queue selected in repair mode, it counts as sent (tcp_write_xmit()),
 * and is sent again once the socket leaves repair mode, as what was not
 * acknowledged is.  tcp_send_fin() has no error: a FIN it could not
 * allocate leaves write_seq where it was.
 */
static int ckpt_tcp_shutdown(struct socket *sock, const struct ckpt_tcp *tcp)
{
	int err;

	if (!(tcp->flags & CKPT_TCP_FIN))
		return 0;
	err = ckpt_tcp_setint(sock, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) ?:
	      security_socket_shutdown(sock, SHUT_WR) ?:
	      sock->ops->shutdown(sock, SHUT_WR);
	if (err)
		return err;
	if (READ_ONCE(tcp_sk(sock->sk)->write_seq) !=
	    tcp->snd_seq + tcp->snd_len + 1)
		return -ENOMEM;
	return 0;
}

/**
 * ckpt_tcp_remake - make an established connection again, by TCP repair
 * @sock: a new TCP socket, with the options of its SOCKET record
 * @rec: that record
 * @addr: its address, @rec->addr_len bytes
 * @peer: its peer's, @rec->peer_len bytes
 * @tcp: its TCP record
 * @msgs: the SOCK_DATA records of its queues
 * @nr: entries in @msgs
 *
 * As a process would, with do_tcp_setsockopt() checking each step: repair
 * mode (CAP_NET_ADMIN in the socket's namespace), the queues' sequence
 * numbers and the timestamp clock, bind() and connect() with their
 * security hooks (a port below ip_unprivileged_port_start needs
 * CAP_NET_BIND_SERVICE; a connection on the same addresses is
 * -EADDRNOTAVAIL), then the options, the bytes of the queues and the
 * window, and for a connection shut down for writing, shutdown().  The
 * socket stays in repair mode until ckpt_tcp_commit().
 *
 * Context: the committing task, before the point of no return.
 * Return: 0; -ENOBUFS if a queue does not fit; the errors of those calls.
 */
int ckpt_tcp_remake(struct socket *sock, const struct ckpt_socket *rec,
		    const void *addr, const void *peer,
		    const struct ckpt_tcp *tcp,
		    struct ckpt_sock_data **msgs, unsigned int nr)
{
	struct tcp_repair_window win = {
		.snd_wl1 = tcp->snd_wl1,
		.snd_wnd = tcp->snd_wnd,
		.max_window = tcp->max_window,
		.rcv_wnd = tcp->rcv_wnd,
		.rcv_wup = tcp->rcv_wup,
	};
	struct tcp_repair_opt opts[4];
	unsigned int n = 0;
	int err;

	ckpt_tcp_buffers(sock->sk, rec);
	opts[n].opt_code = TCPOPT_MSS;
	opts[n++].opt_val = tcp->mss;
	if (tcp->flags & CKPT_TCP_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = tcp->snd_wscale | tcp->rcv_wscale << 16;
	}
	if (tcp->flags & CKPT_TCP_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (tcp->flags & CKPT_TCP_TIMESTAMP) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	err = ckpt_tcp_setint(sock, TCP_REPAIR, TCP_REPAIR_ON) ?:
	      ckpt_tcp_setint(sock, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) ?:
	      ckpt_tcp_setint(sock, TCP_QUEUE_SEQ, tcp->snd_seq) ?:
	      ckpt_tcp_setint(sock, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE) ?:
	      ckpt_tcp_setint(sock, TCP_QUEUE_SEQ, tcp->rcv_seq);
	if (!err && tcp->flags & CKPT_TCP_TIMESTAMP)
		err = ckpt_tcp_setint(sock, TCP_TIMESTAMP, tcp->timestamp);
	if (err)
		return err;
	err = security_socket_bind(sock, (struct sockaddr *)addr,
				   rec->addr_len) ?:
	      sock->ops->bind(sock, (struct sockaddr *)addr, rec->addr_len);
	if (err)
		return err;
	err = security_socket_connect(sock, (struct sockaddr *)peer,
				      rec->peer_len) ?:
	      sock->ops->connect(sock, (struct sockaddr *)peer, rec->peer_len,
				 0);
	if (err)
		return err;
	return ckpt_tcp_setopt(sock, TCP_REPAIR_OPTIONS, opts,
			       n * sizeof(opts[0])) ?:
	       ckpt_tcp_queue(sock, TCP_RECV_QUEUE, msgs, nr, 0,
			      tcp->rcv_len) ?:
	       ckpt_tcp_queue(sock, TCP_SEND_QUEUE, msgs, nr, tcp->rcv_len,
			      tcp->snd_len) ?:
	       ckpt_tcp_setopt(sock, TCP_REPAIR_WINDOW, &win, sizeof(win)) ?:
	       ckpt_tcp_shutdown(sock, tcp) ?:
	       ckpt_tcp_setint(sock, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
}

/**
 * ckpt_tcp_commit - give a connection made again back to its peer
 * @sock: the socket ckpt_tcp_remake() made, now the restored process's
 * @reuseaddr: its SO_REUSEADDR, which repair mode replaced
 *
 * The hold of a dump that took the connection away ends, and the socket
 * leaves repair mode: a window probe tells the peer where it is, and what
 * it did not acknowledge is sent again.
 *
 * Context: the committing task, after the point of no return.
 */
void ckpt_tcp_commit(struct socket *sock, bool reuseaddr)
{
	struct ckpt_tcp_hold t = { }, *h;
	int one = 1;

	ckpt_tcp_tuple(sock->sk, &t);
	mutex_lock(&ckpt_tcp_mutex);
	list_for_each_entry(h, &ckpt_tcp_holds, node) {
		if (ckpt_tcp_hold_match(h, &t)) {
			ckpt_tcp_hold_del(h);
			break;
		}
	}
	mutex_unlock(&ckpt_tcp_mutex);
	/* only CAP_NET_ADMIN, which ckpt_tcp_remake() had, can fail these */
	ckpt_tcp_setint(sock, TCP_REPAIR, TCP_REPAIR_OFF);
	if (reuseaddr)
		sock_setsockopt(sock, SOL_SOCKET, SO_REUSEADDR,
				KERNEL_SOCKPTR(&one), sizeof(one));
}

/**
 * ckpt_tcp_req_alloc - the request a connection waits with in a backlog
 * @lsk: the listener
 *
 * As a SYN cookie's connection gets one (cookie_tcp_reqsk_alloc()): not
 * attached to the listener, taken and freed by accept().  Made before the
 * point of no return, so that ckpt_tcp_enqueue() cannot fail.
 *
 * Return: the request, or NULL.
 */
struct request_sock *ckpt_tcp_req_alloc(struct sock *lsk)
{
	struct request_sock *req;

	req = inet_reqsk_alloc(lsk->sk_prot->rsk_prot, lsk, false);
	if (req)
		tcp_rsk(req)->tfo_listener = false;
	return req;
}

/* A request ckpt_tcp_enqueue() did not take, for a restore that failed. */
void ckpt_tcp_req_free(struct request_sock *req)
{
	reqsk_free(req);
}

/**
 * ckpt_tcp_enqueue - put a connection made again in its listener's backlog
 * @lsk: the listener, made again
 * @sock: the connection, given back to its peer (ckpt_tcp_commit())
 * @req: its request, from ckpt_tcp_req_alloc()
 *
 * As tcp_get_cookie_sock() queues a connection: @sock goes, and its sock
 * waits in the backlog as any child of a listener does, with no socket,
 * wait queue or memory cgroup of its own, until accept() gives it those
 * of the accepting task (inet_csk_accept() charges its memory then).
 * The reference @sock held is the backlog's.
 *
 * Context: the committing task, after the point of no return.
 */
void ckpt_tcp_enqueue(struct sock *lsk, struct socket *sock,
		      struct request_sock *req)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	if (mem_cgroup_sockets_enabled && sk->sk_memcg) {
		/* a child has sent nothing: no sk_wmem_queued */
		mem_cgroup_uncharge_skmem(sk->sk_memcg,
					  sk_mem_pages(sk->sk_forward_alloc +
						       atomic_read(&sk->sk_rmem_alloc)));
		mem_cgroup_sk_free(sk);
		sk->sk_memcg = NULL;
	}
	write_lock_bh(&sk->sk_callback_lock);
	sk_set_socket(sk, NULL);
	RCU_INIT_POINTER(sk->sk_wq, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
	sock->sk = NULL;
	sock_release(sock);

	refcount_set(&req->rsk_refcnt, 1);
	local_bh_disable();
	bh_lock_sock(sk);
	if (inet_csk_reqsk_queue_add(lsk, req, sk)) {
		bh_unlock_sock(sk);
	} else {
		/* closed meanwhile: forgotten as its other children are */
		bh_unlock_sock(sk);
		sock_put(sk);
		__reqsk_free(req);
	}
	local_bh_enable();
}
