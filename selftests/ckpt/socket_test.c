// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets without an address: socketpairs with both ends in the
 * process, and a socket never bound or connected.
 *
 * A process with a stream pair (10 KiB queued one way, partly read, and a
 * line the other way), a datagram pair (three messages, one of them
 * empty, and one back), a seqpacket pair with two messages queued and
 * one end shut down for writing, and an unconnected socket, with
 * SO_SNDBUF, SO_RCVTIMEO, SO_PASSCRED and O_NONBLOCK set, dumps itself;
 * it and its copy restored in a fresh process read every queue as it was,
 * message by message, find every option, and the pairs still talk.  A
 * rollback gives a pair its queue back.  A netlink and a raw IPv4 socket
 * and a descriptor in flight are refused with nothing written; malformed
 * SOCKET and SOCK_DATA records are EINVAL, and a queue that does not fit
 * its socket's buffer ENOBUFS.  (Sockets with an address or an outside
 * peer are kept by identity: socket_live_test.)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20
#define BULK		(10 * 1024)
#define BULK_READ	100	/* of it read before the dump */

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static unsigned char bulk_byte(size_t i)
{
	return (unsigned char)(i * 13 + 7);
}

static int move_pair(int type, int a, int b)
{
	int sv[2];

	return socketpair(AF_UNIX, type, 0, sv) ||
	       ck_move_fd(sv[0], a) != a || ck_move_fd(sv[1], b) != b ? -1 : 0;
}

/*
 * Stream 3-4: 4 sent BULK bytes to 3, 3 read BULK_READ of them, 3 sent
 * "hello" to 4; 3 is O_NONBLOCK, 4 has SO_SNDBUF 65536.  Datagram 5-6:
 * 6 sent "one", "", "three" to 5, 5 sent "back"; 5 has SO_RCVTIMEO
 * 1.5 s.  Seqpacket 7-8: 8 sent "first" and "second" to 7, then shut
 * down for writing.  9: an unconnected stream socket with SO_PASSCRED.
 */
static int set_up(void)
{
	static unsigned char bulk[BULK];
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 };
	int one = 1, sndbuf = 65536, fd;
	char got[BULK_READ];
	size_t i;

	for (i = 0; i < BULK; i++)
		bulk[i] = bulk_byte(i);
	if (move_pair(SOCK_STREAM, 3, 4) || move_pair(SOCK_DGRAM, 5, 6) ||
	    move_pair(SOCK_SEQPACKET, 7, 8))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ck_move_fd(fd, 9) != 9 ||
	    setsockopt(9, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(4, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ||
	    setsockopt(5, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    fcntl(3, F_SETFL, O_NONBLOCK))
		return -1;
	if (ck_write_all(4, bulk, BULK) ||
	    read(3, got, BULK_READ) != BULK_READ || got[1] != (char)bulk_byte(1) ||
	    write(3, "hello", 5) != 5)
		return -1;
	if (send(6, "one", 3, 0) != 3 || send(6, "", 0, 0) != 0 ||
	    send(6, "three", 5, 0) != 5 || send(5, "back", 4, 0) != 4)
		return -1;
	if (send(8, "first", 5, 0) != 5 || send(8, "second", 6, 0) != 6 ||
	    shutdown(8, SHUT_WR))
		return -1;
	return 0;
}

static int opt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) ? -1 : v;
}

/* 0 if every socket is as set_up() left it, else which check failed. */
static int check_all(void)
{
	unsigned char buf[BULK];
	struct timeval tv;
	socklen_t len = sizeof(tv);
	struct sockaddr_un sa;
	ssize_t n;
	size_t i;

	/* stream: the rest of the bulk, in order, then nothing (O_NONBLOCK) */
	for (i = BULK_READ; i < BULK; i += n) {
		n = read(3, buf, BULK - i);
		if (n <= 0)
			return 10;
		for (ssize_t k = 0; k < n; k++)
			if (buf[k] != bulk_byte(i + k))
				return 11;
	}
	if (read(3, buf, 1) != -1 || errno != EAGAIN)
		return 12;
	if (read(4, buf, sizeof(buf)) != 5 || memcmp(buf, "hello", 5))
		return 13;
	if (opt(4, SO_SNDBUF) != 131072 || opt(3, SO_TYPE) != SOCK_STREAM)
		return 14;
	/* datagrams, one by one, the empty one too */
	if (recv(5, buf, sizeof(buf), 0) != 3 || memcmp(buf, "one", 3) ||
	    recv(5, buf, sizeof(buf), 0) != 0 ||
	    recv(5, buf, sizeof(buf), 0) != 5 || memcmp(buf, "three", 5) ||
	    recv(6, buf, sizeof(buf), 0) != 4 || memcmp(buf, "back", 4))
		return 15;
	if (getsockopt(5, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) ||
	    tv.tv_sec != 1 || tv.tv_usec < 490000 || tv.tv_usec > 510000)
		return 16;
	/* seqpacket: two messages, then the end of the stream */
	if (recv(7, buf, 3, 0) != 3 || memcmp(buf, "fir", 3) ||
	    recv(7, buf, sizeof(buf), 0) != 6 || memcmp(buf, "second", 6) ||
	    recv(7, buf, sizeof(buf), 0) != 0)
		return 17;
	if (send(8, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return 18;
	/* 9: unconnected, SO_PASSCRED */
	len = sizeof(sa);
	if (opt(9, SO_PASSCRED) != 1 || opt(9, SO_ACCEPTCONN) != 0 ||
	    getpeername(9, (struct sockaddr *)&sa, &len) != -1 ||
	    errno != ENOTCONN)
		return 19;
	/* the pairs still talk */
	if (write(4, "more", 4) != 4 || read(3, buf, 4) != 4 ||
	    memcmp(buf, "more", 4) || send(5, "z", 1, 0) != 1 ||
	    recv(6, buf, 1, 0) != 1 || buf[0] != 'z')
		return 20;
	return 0;
}

static void __attribute__((noreturn)) run_sockets(int img)
{
	static const int keep[] = { 3, 4, 5, 6, 7, 8, 9, IMG_FD };
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD || set_up())
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 8);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check_all() ?: CK_EXIT_RESTORED);
	if (ret)
		_exit(CK_EXIT_DUMP_FAILED);
	/* the dump consumed nothing: the original reads it all too */
	_exit(check_all());
}

TEST(socketpairs_restored_with_their_queues)
{
	int status, img = ck_dump_child("ckpt-sock", run_sockets, &status);

	ASSERT_LE(0, img);
	ASSERT_EQ(0, status) TH_LOG("dumped: %s", STATUS(status));
	status = ck_restore_fresh(img, IMG_FD, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, status) TH_LOG("restored: %s", STATUS(status));
	close(img);
}

TEST(bad_socket_records)
{
	struct ck_img im;
	struct ck_rec r;
	uint32_t id;
	size_t at;
	int st;

	ASSERT_EQ(0, ck_dump_child_img("ckpt-sock-bad", run_sockets, &im));
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 0, &r));
	at = r.p - im.buf;
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, flags), 1U << 20, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("unknown flag: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, backlog), 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("a backlog: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, flags),
			    CKPT_SOCK_REMAKE, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("remade but not kept: %s", STATUS(st));
	/* the first end of a pair said to be kept by identity */
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, flags),
			    CKPT_SOCK_LIVE | CKPT_SOCK_CONNECTED, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("a pair kept by identity: %s", STATUS(st));
	/* the first end without its second */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 1, &r));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_socket, peer), 0, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("pair without its second: %s", STATUS(st));
	/* data for the unconnected socket, fd 9's (the seventh SOCKET) */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 6, &r));
	id = ck_get32(r.p, ck_img_endian(&im));
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCK_DATA, 0, &r));
	st = ck_try_patched(&im, r.p - im.buf, id, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("data for an unconnected socket: %s",
				     STATUS(st));
	/*
	 * The stream pair's second end (4) with the smallest SO_SNDBUF: the
	 * 10 KiB it had sent to 3 no longer fit.
	 */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 1, &r));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_socket, sndbuf),
			    4608, 4);
	EXPECT_EQ(ENOBUFS, st) TH_LOG("queue over SO_SNDBUF: %s", STATUS(st));
	free(im.buf);
}

static int raw_ipv4(void)
{
	return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0 ? -1 : 0;
}

static int in_flight(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec v = { .iov_base = "f", .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &v, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return -1;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
	return sendmsg(sv[1], &m, 0) != 1;
}

static int netlink(void)
{
	return socket(AF_NETLINK, SOCK_RAW, 0) < 0 ? -1 : 0;
}

/* EOPNOTSUPP with nothing written, the process running on */
TEST(unsupported_sockets_refused)
{
	EXPECT_EQ(EOPNOTSUPP, ck_dump_refused("ckpt-sock-refused", netlink));
	EXPECT_EQ(EOPNOTSUPP, ck_dump_refused("ckpt-sock-refused", raw_ipv4));
	EXPECT_EQ(EOPNOTSUPP, ck_dump_refused("ckpt-sock-refused", in_flight));
}

/*
 * A rollback: the child reads its pair's queue and sends more after the
 * dump; rolled back, it finds the checkpointed queue again.
 */
static void __attribute__((noreturn)) pair_kid(void)
{
	char c, buf[64];
	ssize_t n;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'd') {		/* drain 3 and queue something new */
			while (recv(3, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			if (send(4, "new", 3, 0) != 3)
				_exit(CK_EXIT_SETUP);
			c = 'k';
		} else {		/* report the first message on 3 */
			n = recv(3, buf, sizeof(buf), MSG_DONTWAIT);
			c = n == 3 && !memcmp(buf, "old", 3) ? 'o' :
			    n == 3 && !memcmp(buf, "new", 3) ? 'n' : '?';
		}
		if (write(CK_REP_FD, &c, 1) != 1)
			_exit(CK_EXIT_SETUP);
	}
}

static int pair_setup(void)
{
	return move_pair(SOCK_SEQPACKET, 3, 4) || send(4, "old", 3, 0) != 3 ||
	       send(4, "old", 3, 0) != 3;
}

TEST(rollback_gives_a_pair_its_queue_back)
{
	static const int keep[] = { 3, 4 };
	int img = ck_memfd("ckpt-sock-rb"), cmd, rep;
	pid_t pid;
	char c;

	ASSERT_LE(0, img);
	pid = ck_spawn_commanded(pair_setup, keep, 2, pair_kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &c, 1));
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "d", 1));
	ASSERT_EQ(1, read(rep, &c, 1));
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(1, read(rep, &c, 1));
	EXPECT_EQ('n', c);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(1, read(rep, &c, 1));
	EXPECT_EQ('o', c);
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(1, read(rep, &c, 1));
	EXPECT_EQ('o', c);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);
	close(img);
}

TEST_HARNESS_MAIN
