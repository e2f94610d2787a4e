// SPDX-License-Identifier: GPL-2.0
/*
 * UDP sockets with datagrams queued.
 *
 * A process holds five UDP sockets over loopback: IPv4 and IPv6, bound
 * and unconnected, connected, and a dual-stack IPv6 one that receives
 * from an IPv4 sender.  Senders it then closes queue datagrams for them
 * (an empty one, a 60000-byte one, some from two senders; on one socket
 * a datagram is read first, so that the rest wait in the queue recvmsg()
 * has taken over, and more come after it).  It dumps itself and is
 * restored in a fresh process that holds none of its sockets: each
 * socket is on its address, with its peer, and reads every datagram it
 * had not read, in order, byte for byte, each from the address that sent
 * it, and then nothing; it still receives.  `ckpt show` counts them.
 * Bad SOCK_MSG records (a sender of another family, a pad, a datagram of
 * another socket) are EINVAL, and datagrams beyond the socket's receive
 * buffer ENOBUFS, the restorer running on; the image then still
 * restores.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <netinet/in.h>

#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20
#define NR_SOCKS	5	/* at descriptors 3 to 7 */
#define MAX_MSGS	8
#define BIG		60000

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* What each socket is to read after the restore: kept in memory. */
struct want {
	struct sockaddr_storage self, peer;	/* peer: if connected */
	socklen_t self_len, peer_len;
	int nr;
	struct {
		struct sockaddr_storage from;
		socklen_t from_len;
		size_t len;
		unsigned char seed;
	} msg[MAX_MSGS];
};

static struct want want[NR_SOCKS];
static unsigned char rbuf[BIG + 16], sbuf_data[BIG];

/* The bytes of a datagram: its length and seed tell them apart. */
static void fill(unsigned char *p, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

/* Send a datagram from @from to the socket at 3 + @s, and expect it. */
static int send_one(int from, int s, size_t len, unsigned char seed)
{
	struct want *w = &want[s];
	struct sockaddr_storage to;
	socklen_t to_len = sizeof(to);
	int i = w->nr;

	if (i == MAX_MSGS || getsockname(3 + s, (struct sockaddr *)&to, &to_len))
		return -1;
	/* a dual-stack socket bound to :: is sent to over IPv4 */
	if (to.ss_family == AF_INET6 && !memcmp(&((struct sockaddr_in6 *)&to)->sin6_addr,
						&in6addr_any, sizeof(in6addr_any)))
		to_len = ck_inet_addr(AF_INET, ck_port_of(3 + s), &to);
	else if (to.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&to)->sin6_addr = in6addr_loopback;
	fill(sbuf_data, len, seed);
	if (sendto(from, sbuf_data, len, 0, (struct sockaddr *)&to, to_len) !=
	    (ssize_t)len)
		return -1;
	w->msg[i].from_len = sizeof(w->msg[i].from);
	if (getsockname(from, (struct sockaddr *)&w->msg[i].from,
			&w->msg[i].from_len))
		return -1;
	/* as recvfrom() gives it to a dual-stack socket: mapped */
	if (s == 4) {
		struct sockaddr_in in;
		struct sockaddr_in6 *m = (struct sockaddr_in6 *)&w->msg[i].from;

		memcpy(&in, &w->msg[i].from, sizeof(in));
		memset(m, 0, sizeof(*m));
		m->sin6_family = AF_INET6;
		m->sin6_port = in.sin_port;
		m->sin6_addr.s6_addr[10] = 0xff;
		m->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m->sin6_addr.s6_addr[12], &in.sin_addr, 4);
		w->msg[i].from_len = sizeof(*m);
	}
	w->msg[i].len = len;
	w->msg[i].seed = seed;
	w->nr++;
	return 0;
}

/* The next datagram at 3 + @s is the one expected: 0, or nonzero. */
static int recv_one(int s, int i)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	const struct want *w = &want[s];
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = recvfrom(3 + s, rbuf, sizeof(rbuf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &from_len);
	if (n != (ssize_t)w->msg[i].len)
		return 1;
	fill(sbuf_data, n, w->msg[i].seed);
	if (memcmp(rbuf, sbuf_data, n))
		return 2;
	if (from_len != w->msg[i].from_len || memcmp(&from, &w->msg[i].from, from_len))
		return 3;
	return 0;
}

/* Has the socket at @fd something to read within 2 s? */
static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 2000) == 1;
}

static int sender(int family)
{
	return ck_inet_bound(family, SOCK_DGRAM, 0);
}

/* A UDP socket of @family connected to @peer (bound to loopback). */
static int connected(int family, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = ck_inet_bound(family, SOCK_DGRAM, 0);

	if (fd < 0 || getsockname(peer, (struct sockaddr *)&ss, &len) ||
	    connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * 3: IPv4, bound; 4: IPv4, connected to a; 5: IPv6, bound; 6: IPv6,
 * connected to c; 7: IPv6 on [::], dual-stack.  a, b: IPv4 senders; c,
 * d: IPv6 ones.
 */
static int setup(void)
{
	int a = ck_hi(sender(AF_INET)), b = ck_hi(sender(AF_INET));
	int c = ck_hi(sender(AF_INET6)), d = ck_hi(sender(AF_INET6));
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	int fd[NR_SOCKS], i, big = 400000, err = 0;

	fd[0] = ck_hi(ck_inet_bound(AF_INET, SOCK_DGRAM, 0));
	fd[1] = ck_hi(connected(AF_INET, a));
	fd[2] = ck_hi(ck_inet_bound(AF_INET6, SOCK_DGRAM, 0));
	fd[3] = ck_hi(connected(AF_INET6, c));
	fd[4] = ck_hi(socket(AF_INET6, SOCK_DGRAM, 0));
	if (a < 0 || b < 0 || c < 0 || d < 0 || fd[4] < 0 ||
	    setsockopt(fd[4], IPPROTO_IPV6, IPV6_V6ONLY, &err, sizeof(err)) ||
	    bind(fd[4], (struct sockaddr *)&any, sizeof(any)))
		return -1;
	for (i = 0; i < NR_SOCKS; i++) {
		if (fd[i] < 0 || ck_move_fd(fd[i], 3 + i) != 3 + i)
			return -1;
		want[i].self_len = sizeof(want[i].self);
		want[i].peer_len = sizeof(want[i].peer);
		if (getsockname(3 + i, (struct sockaddr *)&want[i].self,
				&want[i].self_len))
			return -1;
		if (getpeername(3 + i, (struct sockaddr *)&want[i].peer,
				&want[i].peer_len))
			want[i].peer_len = 0;
	}
	/* room for all at 3 (recorded, as SO_RCVBUF sets it) */
	if (setsockopt(3, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)))
		return -1;
	err |= send_one(a, 0, 10, 1) || send_one(b, 0, 0, 2) ||
	       send_one(a, 0, BIG, 3) || send_one(b, 0, 100, 4);
	/* read the first: the rest wait in the queue recvmsg() reads */
	if (err || !readable(3) || recv_one(0, 0))
		return -1;
	memmove(&want[0].msg[0], &want[0].msg[1], 3 * sizeof(want[0].msg[0]));
	want[0].nr--;
	err |= send_one(a, 0, 1472, 5);
	err |= send_one(a, 1, 33, 6) || send_one(a, 1, 1, 7);
	err |= send_one(c, 2, 500, 8) || send_one(d, 2, 0, 9) ||
	       send_one(c, 2, 9000, 10);
	err |= send_one(c, 3, 44, 11);
	err |= send_one(a, 4, 55, 12) || send_one(b, 4, 3000, 13);
	close(a);
	close(b);
	close(c);
	close(d);
	usleep(100000);
	for (i = 0; i < NR_SOCKS; i++)
		err |= !readable(3 + i);
	return err ? -1 : 0;
}

/* In the restored process: each socket as it was, and its datagrams. */
static int check(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, j, r;

	for (i = 0; i < NR_SOCKS; i++) {
		const struct want *w = &want[i];

		len = sizeof(ss);
		if (getsockname(3 + i, (struct sockaddr *)&ss, &len) ||
		    len != w->self_len || memcmp(&ss, &w->self, len))
			return 10 + i;
		len = sizeof(ss);
		r = getpeername(3 + i, (struct sockaddr *)&ss, &len);
		if (w->peer_len ? r || len != w->peer_len ||
				  memcmp(&ss, &w->peer, len) : !r)
			return 20 + i;
		for (j = 0; j < w->nr; j++) {
			r = recv_one(i, j);
			if (r)
				return 30 + i * 3 + r - 1;
		}
		/* and nothing more */
		if (recv(3 + i, rbuf, sizeof(rbuf), MSG_DONTWAIT) != -1 ||
		    errno != EAGAIN)
			return 50 + i;
	}
	/* 3 still receives */
	r = sender(AF_INET);
	want[0].nr = 0;
	if (r < 0 || send_one(r, 0, 77, 14) || !readable(3) || recv_one(0, 0))
		return 60;
	return CK_EXIT_RESTORED;
}

static const int keep[] = { 3, 4, 5, 6, 7, IMG_FD };

/* The process with its sockets and datagrams dumps itself. */
static void __attribute__((noreturn)) run(int img)
{
	long ret;

	img = ck_hi(img);
	if (img < 0 || ck_move_fd(img, IMG_FD) != IMG_FD || setup())
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 6);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check());
	_exit(ret ? CK_EXIT_DUMP_FAILED : 0);
}

FIXTURE(udp) {
	struct ck_img im;
};

FIXTURE_SETUP(udp)
{
	int st;

	ASSERT_EQ(0, ck_loopback_up());
	st = ck_dump_child_img("ckpt-udp", run, &self->im);
	ASSERT_EQ(0, st) TH_LOG("dump: %s", STATUS(st));
}

FIXTURE_TEARDOWN(udp)
{
	free(self->im.buf);
}

TEST_F(udp, queued_datagrams_come_back_from_their_senders)
{
	char *out;
	int st;

	out = ck_show(&self->im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	/* 3 has four left, of 0 + 60000 + 100 + 1472 bytes */
	EXPECT_NE(NULL, strstr(out, "4 datagrams queued (61572 bytes)"))
		TH_LOG("%s", out);
	free(out);
	st = ck_try_restore(self->im.buf, self->im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s", STATUS(st));
	/* and again: the image is not used up */
	st = ck_try_restore(self->im.buf, self->im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("again: %s", STATUS(st));
}

TEST_F(udp, bad_datagram_records_fail_cleanly)
{
	struct ck_rec r, s;
	size_t at, sock;
	int st, e = ck_img_endian(&self->im);

	/* the first SOCKET (3, IPv4) and its first datagram */
	ASSERT_EQ(1, ck_img_find(&self->im, CKPT_REC_SOCKET, 0, &s));
	ASSERT_EQ(1, ck_img_find(&self->im, CKPT_REC_SOCK_MSG, 0, &r));
	sock = s.p - self->im.buf;
	at = r.p - self->im.buf;
	ASSERT_EQ(AF_INET, ck_get16(s.p + CK_OFF(ckpt_socket, family), e));
	ASSERT_EQ(sizeof(struct sockaddr_in),
		  ck_get16(r.p + CK_OFF(ckpt_sock_msg, addr_len), e));
	ASSERT_EQ(ck_get32(s.p + CK_OFF(ckpt_socket, id), e),
		  ck_get32(r.p + CK_OFF(ckpt_sock_msg, id), e));

	/* a sender of another family than the socket's */
	st = ck_try_patched(&self->im, at + sizeof(struct ckpt_sock_msg),
			    e == CKPT_ENDIAN_LITTLE ? AF_INET6 :
			    (uint32_t)AF_INET6 << 16, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("sender's family: %s", STATUS(st));
	st = ck_try_patched(&self->im, at + CK_OFF(ckpt_sock_msg, pad), 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("pad: %s", STATUS(st));
	/* of another socket than the one just before */
	st = ck_try_patched(&self->im, at + CK_OFF(ckpt_sock_msg, id),
			    ck_get32(r.p + CK_OFF(ckpt_sock_msg, id), e) + 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("another socket's: %s", STATUS(st));
	/* more than its receive buffer takes: 60000 bytes after the first */
	st = ck_try_patched(&self->im, sock + CK_OFF(ckpt_socket, rcvbuf),
			    4608, 4);
	EXPECT_EQ(ENOBUFS, st) TH_LOG("beyond SO_RCVBUF: %s", STATUS(st));
	/* the image itself is sound */
	st = ck_try_restore(self->im.buf, self->im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s", STATUS(st));
}

TEST_HARNESS_MAIN
