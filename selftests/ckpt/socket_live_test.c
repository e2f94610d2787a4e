// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets kept by identity: TCP and UDP sockets, and unix sockets with an
 * address or a peer outside the process.
 *
 * A server with listening TCP sockets on 127.0.0.1 and [::1] is rolled
 * back while it runs: its counter (memory) goes back, its listeners are
 * the same sockets (SO_COOKIE) and the clients that connected between the
 * checkpoint and the rollback are accepted after it.  A process with a
 * unix listener on a path, a unix datagram socket on an abstract name, a
 * connected UDP socket and a unix stream to a peer outside it is rolled
 * back: what was sent to them meanwhile is still there and they still
 * talk.  A server dumped with CKPT_DUMP_KILL is restored in a fresh
 * process that is handed its listener, or another one on the same
 * address, at its descriptor, and serves the clients that connected while
 * it was gone; without one, or with one on another address, the restore
 * fails and the caller runs on.  Without a hand-over, a TCP listener and
 * UDP sockets are made again from the image, on the same addresses and
 * with their options, if it holds all their options (else ESTALE), with the
 * restorer's rights (a port below 1024 needs CAP_NET_BIND_SERVICE) and
 * EADDRINUSE if the address is taken; so are unix sockets on abstract
 * names (listening, or a datagram socket connected to the test's) and a
 * listener on a path, once the socket file the original left is removed
 * (EADDRINUSE until then); a restore that fails after that bind()
 * removes the file it made.  A unix datagram socket on an abstract name gets back
 * the messages of senders without a name (one from a named sender:
 * ESTALE), and a unix listener the connections of its own clients that
 * waited in its backlog, in their order, with what they sent.
 * Malformed SOCKET records of kept sockets are EINVAL.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* What the server has served: rolled back with its memory. */
static volatile unsigned char count;

/* What a UDP socket receives within 5 s, or -1. */
static ssize_t recv_wait(int fd, void *buf, size_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 5000) == 1 ? recv(fd, buf, n, MSG_DONTWAIT) : -1;
}

/* One byte from a client the server answered, or -1. */
static int answer(int fd)
{
	unsigned char c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

/* What the server says of its listeners. */
struct names {
	uint64_t cookie[2];
	uint16_t port[2];
};

/*
 * The server: 'a' and 'b' accept a client on 3 and 4, count it and send
 * it the count; 'c' reports the cookies and ports of 3 and 4.
 */
static void __attribute__((noreturn)) server(void)
{
	struct names nm;
	char cmd;
	int fd;

	for (;;) {
		if (read(CK_CMD_FD, &cmd, 1) != 1)
			_exit(0);
		if (cmd == 'c') {
			memset(&nm, 0, sizeof(nm));
			nm.cookie[0] = ck_cookie(3);
			nm.cookie[1] = ck_cookie(4);
			nm.port[0] = ck_port_of(3);
			nm.port[1] = ck_port_of(4);
			if (write(CK_REP_FD, &nm, sizeof(nm)) != sizeof(nm))
				_exit(CK_EXIT_SETUP);
			continue;
		}
		fd = accept(cmd == 'a' ? 3 : 4, NULL, NULL);
		if (fd < 0)
			_exit(CK_EXIT_SETUP);
		count++;
		/* closed before the report: a dump then finds no connection */
		if (write(fd, (const void *)&count, 1) != 1 || close(fd) ||
		    write(CK_REP_FD, (const void *)&count, 1) != 1)
			_exit(CK_EXIT_SETUP);
	}
}

static int two_listeners(void)
{
	int l4 = ck_hi(ck_listener(AF_INET, 0)), l6 = ck_hi(ck_listener(AF_INET6, 0));

	return ck_move_fd(l4, 3) != 3 || ck_move_fd(l6, 4) != 4;
}

/* Test 6: the listeners keep accepting through a rollback. */
TEST(rollback_keeps_listening_tcp_sockets)
{
	static const int keep[] = { 3, 4 };
	int img = ck_memfd("ckpt-live-rb"), cmd, rep, a, c4, c6, e;
	struct names before, after;
	uint16_t p4, p6;
	unsigned char n;
	pid_t pid;
	char k;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	pid = ck_spawn_commanded(two_listeners, keep, 2, server, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &k, 1));
	ASSERT_EQ('k', k);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'c', &before, sizeof(before)));
	EXPECT_NE(0, before.cookie[0]);
	p4 = before.port[0];
	p6 = before.port[1];
	ASSERT_NE(0, p4);
	ASSERT_NE(0, p6);

	a = ck_connect_to(AF_INET, p4);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'a', &n, 1));
	EXPECT_EQ(1, n);
	EXPECT_EQ(1, answer(a));
	close(a);
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));

	/* served after the checkpoint: forgotten by the rollback */
	a = ck_connect_to(AF_INET6, p6);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'b', &n, 1));
	EXPECT_EQ(2, n);
	close(a);
	/* waiting in the backlogs across the rollback */
	c4 = ck_connect_to(AF_INET, p4);
	c6 = ck_connect_to(AF_INET6, p6);
	ASSERT_LE(0, c4);
	ASSERT_LE(0, c6);

	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'c', &after, sizeof(after)));
	EXPECT_EQ(before.cookie[0], after.cookie[0]);
	EXPECT_EQ(before.cookie[1], after.cookie[1]);
	EXPECT_EQ(p4, after.port[0]);
	EXPECT_EQ(p6, after.port[1]);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'a', &n, 1));
	EXPECT_EQ(2, n);
	EXPECT_EQ(2, answer(c4));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'b', &n, 1));
	EXPECT_EQ(3, n);
	EXPECT_EQ(3, answer(c6));
	e = ck_connect_to(AF_INET, p4);	/* and new clients after it */
	ASSERT_LE(0, e);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'a', &n, 1));
	EXPECT_EQ(4, n);
	EXPECT_EQ(4, answer(e));
	close(c4);
	close(c6);
	close(e);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);
	close(img);
}

/* The descriptors of the rolled-back process, made by the test first. */
static int outside[2];		/* a unix stream pair: [1] is the child's */
static int udp_peer;		/* the test's UDP socket */
static char path_name[64];	/* the unix listener's path */
static char abstract_name[64];	/* its datagram socket's, after a NUL */

static socklen_t unix_addr(struct sockaddr_un *sa, const char *name,
			   int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path + !!abstract, name);
	return offsetof(struct sockaddr_un, sun_path) + !!abstract +
	       strlen(name) + !abstract;
}

static int unix_bound(int type, const char *name, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, name, abstract);
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) ||
	    (type == SOCK_STREAM && listen(fd, 4))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * 3: a unix listener on path_name; 4: a unix datagram socket on the
 * abstract name; 5: a UDP socket connected to udp_peer; 6: the child's
 * end of the outside pair.
 */
static int kept_setup(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int u, l, d, o;

	if (getsockname(udp_peer, (struct sockaddr *)&ss, &len))
		return -1;
	u = ck_hi(ck_inet_bound(AF_INET, SOCK_DGRAM, 0));
	if (u < 0 || connect(u, (struct sockaddr *)&ss, len))
		return -1;
	l = ck_hi(unix_bound(SOCK_STREAM, path_name, 0));
	d = ck_hi(unix_bound(SOCK_DGRAM, abstract_name, 1));
	o = ck_hi(outside[1]);
	return ck_move_fd(l, 3) != 3 || ck_move_fd(d, 4) != 4 ||
	       ck_move_fd(u, 5) != 5 || ck_move_fd(o, 6) != 6;
}

/* Report what one recv() of @fd gives: its length (255: none), the bytes. */
static int report_recv(int fd)
{
	unsigned char buf[17];
	ssize_t n = recv(fd, buf + 1, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[0] = n < 0 ? 255 : n;
	return write(CK_REP_FD, buf, sizeof(buf)) == sizeof(buf) ? 0 : -1;
}

/*
 * 'n' counts; 'a' accepts a client on 3 and reports what it sent; 'd',
 * 'u', 'p' report what 4, 5, 6 received; 'U', 'P' send on 5 and 6.
 */
static void __attribute__((noreturn)) kept_kid(void)
{
	unsigned char buf[17];
	char cmd;
	int fd, err;

	for (;;) {
		if (read(CK_CMD_FD, &cmd, 1) != 1)
			_exit(0);
		switch (cmd) {
		case 'n':
			count++;
			err = write(CK_REP_FD, (const void *)&count, 1) != 1;
			break;
		case 'a':
			fd = accept(3, NULL, NULL);
			err = fd < 0 || report_recv(fd) || close(fd);
			break;
		case 'd':
			err = report_recv(4);
			break;
		case 'u':
			err = report_recv(5);
			break;
		case 'p':
			err = report_recv(6);
			break;
		case 'w':
			err = write(CK_REP_FD, (uint16_t[]){ ck_port_of(5) }, 2) != 2;
			break;
		default:
			memset(buf, cmd, sizeof(buf));
			err = send(cmd == 'U' ? 5 : 6, buf, 2, 0) != 2 ||
			      write(CK_REP_FD, "s", 1) != 1;
			break;
		}
		if (err)
			_exit(CK_EXIT_SETUP);
	}
}

/* What the kid reports for @c: 0 if it is the @len bytes of @want. */
static int got(int cmd, int rep, char c, const char *want, size_t len)
{
	unsigned char buf[17];

	if (ck_ask(cmd, rep, c, buf, sizeof(buf)))
		return -1;
	return buf[0] == len && !memcmp(buf + 1, want, len) ? 0 : buf[0];
}

static int unix_client(const char *msg)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, path_name, 0);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) ||
	    send(fd, msg, strlen(msg), 0) != (ssize_t)strlen(msg))
		return -1;
	return fd;
}

TEST(rollback_keeps_unix_and_udp_sockets)
{
	static const int keep[] = { 3, 4, 5, 6 };
	int img = ck_memfd("ckpt-live-unix"), cmd, rep, c1, c2, d;
	struct sockaddr_storage ss;
	struct sockaddr_un sa;
	uint16_t uport;
	socklen_t alen;
	unsigned char n;
	char buf[8];
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	snprintf(path_name, sizeof(path_name), "/tmp/ckpt-live-%d", (int)getpid());
	snprintf(abstract_name, sizeof(abstract_name), "ckpt-live-%d", (int)getpid());
	unlink(path_name);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, outside));
	udp_peer = ck_inet_bound(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp_peer);
	pid = ck_spawn_commanded(kept_setup, keep, 4, kept_kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	close(outside[1]);
	ASSERT_EQ(1, read(rep, buf, 1));
	ASSERT_EQ('k', buf[0]);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'n', &n, 1));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'n', &n, 1));
	EXPECT_EQ(2, n);

	/* sent to each socket between the checkpoint and the rollback */
	c1 = unix_client("c1");
	c2 = unix_client("c2");
	ASSERT_LE(0, c1);
	ASSERT_LE(0, c2);
	d = socket(AF_UNIX, SOCK_DGRAM, 0);
	alen = unix_addr(&sa, abstract_name, 1);
	ASSERT_EQ(2, sendto(d, "m1", 2, 0, (struct sockaddr *)&sa, alen));
	/* to the child's UDP socket, from its peer */
	ASSERT_EQ(0, ck_ask(cmd, rep, 'w', &uport, sizeof(uport)));
	alen = ck_inet_addr(AF_INET, uport, &ss);
	ASSERT_EQ(2, sendto(udp_peer, "u1", 2, 0, (struct sockaddr *)&ss, alen));
	ASSERT_EQ(2, send(outside[0], "s1", 2, 0));

	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'n', &n, 1));
	EXPECT_EQ(2, n);		/* its memory went back */
	EXPECT_EQ(0, got(cmd, rep, 'a', "c1", 2));
	EXPECT_EQ(0, got(cmd, rep, 'a', "c2", 2));
	EXPECT_EQ(0, got(cmd, rep, 'd', "m1", 2));
	EXPECT_EQ(0, got(cmd, rep, 'u', "u1", 2));
	EXPECT_EQ(0, got(cmd, rep, 'p', "s1", 2));
	EXPECT_EQ(255, got(cmd, rep, 'p', "", 0));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'U', buf, 1));
	EXPECT_EQ(2, recv_wait(udp_peer, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "UU", 2));
	ASSERT_EQ(0, ck_ask(cmd, rep, 'P', buf, 1));
	EXPECT_EQ(2, recv(outside[0], buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "PP", 2));
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(c1);
	close(c2);
	close(d);
	close(outside[0]);
	close(udp_peer);
	unlink(path_name);
	close(cmd);
	close(rep);
	close(img);
}

/* The listener the test holds and hands over, at fd 3 of the server. */
static int handed;

static int handed_setup(void)
{
	return dup2(handed, 3) != 3;
}

/*
 * Restore @img as a new process handed @sock at fd 3 (-1: nothing there)
 * and new command pipes: the restored server's pid and pipes, or -1 with
 * the failed restore's errno in *err.
 */
static pid_t restore_handed(int img, int sock, int *cmd, int *rep, int *err)
{
	pid_t pid = ck_fork_piped(cmd, rep);

	if (pid == 0) {
		int keep[] = { 3, IMG_FD, CK_CMD_FD, CK_REP_FD };

		if (ck_move_fd(*cmd, CK_CMD_FD) != CK_CMD_FD ||
		    ck_move_fd(*rep, CK_REP_FD) != CK_REP_FD ||
		    dup2(img, IMG_FD) != IMG_FD ||
		    (sock >= 0 ? dup2(sock, 3) != 3 : close(3) && errno != EBADF))
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 4);
		ck_restore_and_exit(IMG_FD, 0);
	}
	if (pid < 0)
		return -1;
	*err = 0;
	return pid;
}

/* A failed restore_handed(): its errno, the caller having run on. */
static int restore_fails(int img, int sock)
{
	int cmd, rep, err;
	pid_t pid;

	lseek(img, 0, SEEK_SET);
	pid = restore_handed(img, sock, &cmd, &rep, &err);
	if (pid < 0)
		return -1;
	close(cmd);
	close(rep);
	return ck_wait(pid);
}

/* Serve a new client on @port through the restored server @cmd/@rep. */
static int serve_one(int cmd, int rep, uint16_t port)
{
	int c = ck_connect_to(AF_INET, port), a;
	unsigned char n;

	if (c < 0 || ck_ask(cmd, rep, 'a', &n, 1))
		return -1;
	a = answer(c);
	close(c);
	return a == n ? n : -1;
}

TEST(restore_takes_the_listener_handed_over)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-live-handed"), cmd, rep, other, err, c, l2;
	struct names nm;
	uint16_t port;
	unsigned char n;
	pid_t pid;
	char k;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	handed = ck_listener(AF_INET, 0);
	ASSERT_LE(0, handed);
	port = ck_port_of(handed);
	pid = ck_spawn_commanded(handed_setup, keep, 1, server, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &k, 1));
	ASSERT_EQ(1, serve_one(cmd, rep, port));
	ASSERT_EQ(0, ckpt_dump(pid, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	ck_wait(pid);
	close(cmd);
	close(rep);

	/* a client comes while the server is gone: the listener is the test's */
	c = ck_connect_to(AF_INET, port);
	ASSERT_LE(0, c);

	/*
	 * Nothing at fd 3, or a listener on another address: the listener
	 * is made again, on an address the test's listener holds.
	 */
	EXPECT_EQ(EADDRINUSE, restore_fails(img, -1));
	other = ck_listener(AF_INET, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(EADDRINUSE, restore_fails(img, other));
	close(other);

	/* the very listener: the waiting client is served, count from the image */
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	pid = restore_handed(img, handed, &cmd, &rep, &err);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ck_ask(cmd, rep, 'a', &n, 1));
	EXPECT_EQ(2, n);
	EXPECT_EQ(2, answer(c));
	close(c);
	EXPECT_EQ(3, serve_one(cmd, rep, port));
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);

	/* another listener on the same address does as well */
	close(handed);
	l2 = ck_listener(AF_INET, port);
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	pid = restore_handed(img, l2, &cmd, &rep, &err);
	ASSERT_LT(0, pid);
	EXPECT_EQ(2, serve_one(cmd, rep, port));
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);

	/* none handed over and the address free: made again from the image */
	close(l2);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	pid = restore_handed(img, -1, &cmd, &rep, &err);
	ASSERT_LT(0, pid);
	/* once it answers, it listens */
	ASSERT_EQ(0, ck_ask(cmd, rep, 'c', &nm, sizeof(nm)));
	EXPECT_EQ(port, nm.port[0]);
	EXPECT_EQ(2, serve_one(cmd, rep, port));
	kill(pid, SIGKILL);
	err = ck_wait(pid);
	EXPECT_EQ(1000 + SIGKILL, err) TH_LOG("made again: %s", STATUS(err));
	close(cmd);
	close(rep);
	close(img);
}

static int sockopt(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	return getsockopt(fd, level, name, &v, &len) ? -1 : v;
}

/*
 * An IPv6 listener at 3 with its options, a UDP socket at 4 bound and
 * connected to udp_peer and an unbound IPv6 UDP socket at 5: what the
 * restored process must find again.
 */
/* udp_peer's address, taken before the descriptors are moved. */
static struct sockaddr_storage peer_ss;
static socklen_t peer_len;

/* SO_LINGER of fd is on and l seconds? */
static int lingers(int fd, int on, int l)
{
	struct linger lg;
	socklen_t len = sizeof(lg);

	return !getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) &&
	       len == sizeof(lg) && !!lg.l_onoff == on && lg.l_linger == l;
}

static int check_made(uint16_t lport, uint16_t uport, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int c, a;

	if (!lingers(3, 1, 7) || sockopt(3, IPPROTO_TCP, TCP_CORK) != 1 ||
	    sockopt(3, IPPROTO_TCP, TCP_KEEPIDLE) != 33 ||
	    sockopt(3, IPPROTO_TCP, TCP_KEEPINTVL) != 9 ||
	    sockopt(3, IPPROTO_TCP, TCP_KEEPCNT) != 4 || !lingers(4, 0, 5) ||
	    !lingers(5, 0, 0))
		return 19;
	if (ck_port_of(3) != lport || sockopt(3, SOL_SOCKET, SO_ACCEPTCONN) != 1 ||
	    sockopt(3, SOL_SOCKET, SO_REUSEADDR) != 1 ||
	    sockopt(3, SOL_SOCKET, SO_KEEPALIVE) != 1 ||
	    sockopt(3, IPPROTO_IPV6, IPV6_V6ONLY) != 1 ||
	    sockopt(3, IPPROTO_TCP, TCP_NODELAY) != 1 ||
	    sockopt(3, SOL_SOCKET, SO_RCVBUF) != rcvbuf ||
	    !(fcntl(3, F_GETFL) & O_NONBLOCK))
		return 20;
	c = ck_connect_to(AF_INET6, lport);
	a = poll(&(struct pollfd){ .fd = 3, .events = POLLIN }, 1, 5000) == 1 ?
	    accept(3, NULL, NULL) : -1;
	if (c < 0 || a < 0 || send(c, "l", 1, 0) != 1 || answer(a) != 'l')
		return 21;
	close(c);
	close(a);
	if (ck_port_of(4) != uport || sockopt(4, SOL_SOCKET, SO_REUSEADDR) != 0 ||
	    getpeername(4, (struct sockaddr *)&ss, &len) || len != peer_len ||
	    memcmp(&ss, &peer_ss, len) || send(4, "r4", 2, 0) != 2)
		return 22;
	len = sizeof(ss);
	if (getsockname(5, (struct sockaddr *)&ss, &len) ||
	    ss.ss_family != AF_INET6 || ck_port_of(5) != 0 ||
	    sockopt(5, SOL_SOCKET, SO_TYPE) != SOCK_DGRAM)
		return 23;
	return 0;
}

/* Set an option the image does not hold on the UDP socket at 4. */
static int odd_option;

/* A process with the sockets of check_made() dumps itself. */
static void __attribute__((noreturn)) run_made(int img)
{
	static const int keep[] = { 3, 4, 5, IMG_FD };
	int l = ck_hi(ck_listener(AF_INET6, 0)), u = ck_hi(ck_inet_bound(AF_INET, SOCK_DGRAM, 0));
	int one = 1, buf = 9000, rcvbuf;
	uint16_t lport, uport;
	long ret;

	/* udp_peer may be at 3, 4 or 5: out of the way first */
	udp_peer = ck_hi(udp_peer);
	img = ck_hi(img);
	peer_len = sizeof(peer_ss);
	if (getsockname(udp_peer, (struct sockaddr *)&peer_ss, &peer_len))
		_exit(CK_EXIT_SETUP);
	if (l < 0 || u < 0 || ck_move_fd(img, IMG_FD) != IMG_FD ||
	    ck_move_fd(l, 3) != 3 || ck_move_fd(u, 4) != 4 ||
	    ck_move_fd(ck_hi(socket(AF_INET6, SOCK_DGRAM, 0)), 5) != 5 ||
	    setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(3, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(3, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) ||
	    fcntl(3, F_SETFL, O_NONBLOCK) ||
	    connect(4, (struct sockaddr *)&peer_ss, peer_len) ||
	    setsockopt(4, SOL_SOCKET, SO_REUSEADDR, (int[]){ 0 }, sizeof(int)) ||
	    setsockopt(3, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 7 },
		       sizeof(struct linger)) ||
	    /* on for 5 s, then off: the 5 s stay */
	    setsockopt(4, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 5 },
		       sizeof(struct linger)) ||
	    setsockopt(4, SOL_SOCKET, SO_LINGER, &(struct linger){ 0, 0 },
		       sizeof(struct linger)) ||
	    setsockopt(3, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) ||
	    setsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, (int[]){ 33 }, sizeof(int)) ||
	    setsockopt(3, IPPROTO_TCP, TCP_KEEPINTVL, (int[]){ 9 }, sizeof(int)) ||
	    setsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, (int[]){ 4 }, sizeof(int)))
		_exit(CK_EXIT_SETUP);
	lport = ck_port_of(3);
	uport = ck_port_of(4);
	rcvbuf = sockopt(3, SOL_SOCKET, SO_RCVBUF);
	/* IP_PKTINFO: what recvmsg() says of a datagram's destination */
	if (odd_option &&
	    setsockopt(4, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 4);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check_made(lport, uport, rcvbuf) ?: CK_EXIT_RESTORED);
	_exit(ret ? CK_EXIT_DUMP_FAILED : check_made(lport, uport, rcvbuf));
}

/*
 * A TCP listener and UDP sockets are made again in a fresh process that
 * hands over none, on the same ports, with their options; a UDP socket
 * with an option the image does not hold is not (only the live one has
 * it): ESTALE.
 */
TEST(sockets_made_again_from_the_image)
{
	struct ck_img im;
	char buf[4], *out;
	int st;

	ASSERT_EQ(0, ck_loopback_up());
	udp_peer = ck_inet_bound(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp_peer);
	odd_option = 0;
	ASSERT_EQ(0, ck_dump_child_img("ckpt-live-made", run_made, &im));
	/* the original's "r4" */
	ASSERT_EQ(2, recv_wait(udp_peer, buf, sizeof(buf)));
	/* ckpt show prints the timers and TCP_CORK */
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	EXPECT_NE(NULL, strstr(out, " nodelay cork backlog ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " linger on 7s keepidle 33s keepintvl 9s keepcnt 4\n"));
	EXPECT_NE(NULL, strstr(out, " linger off 5s\n"));
	free(out);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("made again: %s", STATUS(st));
	/* and the restored one's, from the same port */
	EXPECT_EQ(2, recv_wait(udp_peer, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "r4", 2));
	free(im.buf);
	close(udp_peer);
}

/* The same, 4 with IP_PKTINFO. */
static void __attribute__((noreturn)) run_odd(int img)
{
	odd_option = 1;
	run_made(img);
}

/* ESTALE, and the kernel log names the socket, its kind and its state. */
TEST(socket_with_an_option_not_in_the_image_is_not_made_again)
{
	struct ck_img im;
	int st, kmsg;

	ASSERT_EQ(0, ck_loopback_up());
	udp_peer = ck_inet_bound(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp_peer);
	ASSERT_EQ(0, ck_dump_child_img("ckpt-live-odd", run_odd, &im));
	kmsg = ck_kmsg_open();
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(ESTALE, st) TH_LOG("IP_PKTINFO: %s", STATUS(st));
	if (kmsg >= 0) {
		EXPECT_TRUE(ck_kmsg_says(kmsg, "fd 4: a UDP/IPv4 socket in state ESTABLISHED, kept by identity only: "));
		close(kmsg);
	} else {
		EXPECT_NE(0, getuid()) TH_LOG("root cannot read /dev/kmsg");
	}
	free(im.buf);
	close(udp_peer);
}

/* A u32 at a u16 field and the next, in the image's byte order. */
static uint32_t two16(const struct ck_img *im, uint16_t first, uint16_t second)
{
	return ck_img_endian(im) == CKPT_ENDIAN_LITTLE ?
	       first | (uint32_t)second << 16 : (uint32_t)first << 16 | second;
}

TEST(bad_kept_socket_records)
{
	struct ck_img im;
	struct ck_rec r;
	size_t at;
	int st, e;

	ASSERT_EQ(0, ck_loopback_up());
	udp_peer = ck_inet_bound(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp_peer);
	odd_option = 0;
	ASSERT_EQ(0, ck_dump_child_img("ckpt-live-bad", run_made, &im));
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 0, &r));
	at = r.p - im.buf;
	e = ck_img_endian(&im);
	EXPECT_EQ(CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE,
		  ck_get32(r.p + CK_OFF(ckpt_socket, flags), e) &
		  (CKPT_SOCK_LIVE | CKPT_SOCK_REMAKE));
	EXPECT_EQ(AF_INET6, ck_get16(r.p + CK_OFF(ckpt_socket, family), e));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, protocol),
			    e == CKPT_ENDIAN_LITTLE ?
			    IPPROTO_TCP | 1U << 16 : IPPROTO_TCP << 16 | 1U << 8, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("an established TCP socket to make: %s",
				     STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, protocol),
			    e == CKPT_ENDIAN_LITTLE ?
			    IPPROTO_UDP | 10U << 16 : IPPROTO_UDP << 16 | 10U << 8, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("a UDP stream socket: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, flags),
			    CKPT_SOCK_LIVE | CKPT_SOCK_PASSCRED, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("options on a kept socket: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, family),
			    two16(&im, AF_NETLINK, SOCK_STREAM), 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("netlink: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, addr_len),
			    two16(&im, 100, 0), 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("addresses longer than the record: %s",
				     STATUS(st));
	/* TCP_KEEPIDLE's own check: at most 32767 s */
	EXPECT_EQ(33, ck_get32(r.p + CK_OFF(ckpt_socket, keepidle_s), e));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, keepidle_s), 40000, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("TCP_KEEPIDLE of 40000 s: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_socket, flags),
			    CKPT_SOCK_LIVE, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("timers on a socket it names only: %s",
				     STATUS(st));
	/* the UDP socket at 4: no keepalive timers for it */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 1, &r));
	EXPECT_EQ(IPPROTO_UDP, ck_get16(r.p + CK_OFF(ckpt_socket, protocol), e));
	EXPECT_EQ(5, ck_get32(r.p + CK_OFF(ckpt_socket, linger_s), e));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_socket, keepcnt), 3, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("TCP_KEEPCNT on UDP: %s", STATUS(st));
	free(im.buf);
	close(udp_peer);
}

/* A listener on a port below 1024 at 3 dumps itself. */
static uint16_t low_port;

static void __attribute__((noreturn)) run_low(int img)
{
	static const int keep[] = { 3, IMG_FD };
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD ||
	    ck_move_fd(ck_listener(AF_INET, low_port), 3) != 3)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 2);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(ck_port_of(3) == low_port ? CK_EXIT_RESTORED : 20);
	_exit(ret ? CK_EXIT_DUMP_FAILED : 0);
}

/*
 * Test 8: the listener is made again with the restorer's rights: without
 * CAP_NET_BIND_SERVICE its port is EACCES, the restorer running on.
 */
TEST(a_privileged_port_needs_the_capability)
{
	struct ck_img im;
	int fd, st;

	ASSERT_EQ(0, ck_loopback_up());
	/* a free port below 1024 */
	for (low_port = 900; low_port < 1000; low_port++) {
		fd = ck_listener(AF_INET, low_port);
		if (fd >= 0)
			break;
	}
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, ck_dump_child_img("ckpt-live-low", run_low, &im));
	st = ck_restore_without_cap(&im, CAP_NET_BIND_SERVICE);
	EXPECT_EQ(EACCES, st) TH_LOG("without CAP_NET_BIND_SERVICE: %s", STATUS(st));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("with it: %s", STATUS(st));
	free(im.buf);
}

/*
 * Unix sockets made again: 3 a stream listener on an abstract name, 4 a
 * datagram socket on another, with SO_PASSCRED, connected to the test's
 * (on log_name), 5 an unbound seqpacket socket; with with_path, 6 a
 * listener on path_name.
 */
static char log_name[64];
static int with_path;

static int same_name(int fd, bool peer, const char *name, int abstract)
{
	struct sockaddr_un sa, want;
	socklen_t len = sizeof(sa), wlen = unix_addr(&want, name, abstract);

	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return len == wlen && !memcmp(&sa, &want, len);
}

/*
 * Is fd a unix stream listener on name, which a client reaches and talks
 * to (byte c)?  0, or err for its name, err + 1 for the connect(), err + 2
 * for the talk.
 */
static int listener_answers(int fd, const char *name, int abstract, char c,
			    int err)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, name, abstract);
	int s, a;

	if (!same_name(fd, false, name, abstract) ||
	    sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN) != 1)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, len))
		return err + 1;
	a = accept(fd, NULL, NULL);
	if (a < 0 || send(s, &c, 1, 0) != 1 || answer(a) != c)
		return err + 2;
	close(a);
	close(s);
	return 0;
}

static int check_unix_made(void)
{
	struct sockaddr_un sa;
	socklen_t len;
	int err = listener_answers(3, path_name, 1, 'l', 20);

	if (err)
		return err;
	if (!same_name(4, false, abstract_name, 1) ||
	    !same_name(4, true, log_name, 1) ||
	    sockopt(4, SOL_SOCKET, SO_PASSCRED) != 1 || send(4, "u4", 2, 0) != 2)
		return 23;
	len = sizeof(sa);
	if (sockopt(5, SOL_SOCKET, SO_TYPE) != SOCK_SEQPACKET ||
	    getsockname(5, (struct sockaddr *)&sa, &len) ||
	    len != sizeof(sa_family_t))
		return 24;
	return with_path ? listener_answers(6, path_name, 0, 'p', 25) : 0;
}

static void __attribute__((noreturn)) run_unix_made(int img)
{
	static const int keep[] = { 3, 4, 5, 6, IMG_FD };
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, log_name, 1);
	int l = ck_hi(unix_bound(SOCK_STREAM, path_name, 1));
	int d = ck_hi(unix_bound(SOCK_DGRAM, abstract_name, 1));
	int q = ck_hi(socket(AF_UNIX, SOCK_SEQPACKET, 0)), one = 1;
	long ret;

	img = ck_hi(img);
	if (l < 0 || d < 0 || q < 0 || connect(d, (struct sockaddr *)&sa, len) ||
	    setsockopt(d, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    ck_move_fd(l, 3) != 3 || ck_move_fd(d, 4) != 4 ||
	    ck_move_fd(q, 5) != 5 || ck_move_fd(img, IMG_FD) != IMG_FD ||
	    (with_path &&
	     ck_move_fd(unix_bound(SOCK_STREAM, path_name, 0), 6) != 6))
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 5);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check_unix_made() ?: CK_EXIT_RESTORED);
	_exit(ret ? CK_EXIT_DUMP_FAILED : check_unix_made());
}

static void __attribute__((noreturn)) run_unix_path(int img)
{
	with_path = 1;
	run_unix_made(img);
}

/* The inode of the file at path, or 0. */
static ino_t path_ino(const char *path)
{
	struct stat sb;

	return stat(path, &sb) || !S_ISSOCK(sb.st_mode) ? 0 : sb.st_ino;
}

/*
 * A restorer handing over nothing gets the unix sockets on abstract
 * names made again, bound, listening and connected as they were; one on
 * a path too, once the socket file the original left is removed (until
 * then, EADDRINUSE, as bind() says, and the file is left alone).
 */
TEST(unix_sockets_made_again_on_their_names)
{
	struct ck_img im;
	struct ck_rec r;
	char buf[4];
	int log, st;
	ino_t ino;

	snprintf(path_name, sizeof(path_name), "/tmp/ckpt-um-%d", (int)getpid());
	snprintf(abstract_name, sizeof(abstract_name), "ckpt-ud-%d", (int)getpid());
	snprintf(log_name, sizeof(log_name), "ckpt-log-%d", (int)getpid());
	unlink(path_name);
	log = unix_bound(SOCK_DGRAM, log_name, 1);
	ASSERT_LE(0, log);
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-made", run_unix_made, &im));
	ASSERT_EQ(2, recv_wait(log, buf, sizeof(buf)));	/* the original's */
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("made again: %s", STATUS(st));
	EXPECT_EQ(2, recv_wait(log, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "u4", 2));
	/* the listener's abstract name made a path: not for a record to make */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 0, &r));
	st = ck_try_patched(&im, r.p - im.buf + sizeof(struct ckpt_socket) +
			    offsetof(struct sockaddr_un, sun_path), 0x41414141, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("a path to bind: %s", STATUS(st));
	free(im.buf);

	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-path", run_unix_path, &im));
	ASSERT_EQ(2, recv_wait(log, buf, sizeof(buf)));
	ino = path_ino(path_name);
	ASSERT_NE(0, ino);		/* the original's, left behind */
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(EADDRINUSE, st) TH_LOG("on a path still there: %s", STATUS(st));
	EXPECT_EQ(ino, path_ino(path_name));
	ASSERT_EQ(0, unlink(path_name));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("on a path: %s", STATUS(st));
	EXPECT_EQ(2, recv_wait(log, buf, sizeof(buf)));
	EXPECT_NE(0, path_ino(path_name));	/* the restored one's */
	free(im.buf);
	unlink(path_name);
	close(log);
}

/*
 * 3: a unix listener on path_name; 4: a datagram socket connected to the
 * test's on log_name.  Restored, it answers a client on the path and
 * says "ok" to the test.  With moved_name, its socket file is renamed
 * there before the dump.
 */
static char moved_name[72];

static void __attribute__((noreturn)) run_unix_bound_path(int img)
{
	static const int keep[] = { 3, 4, IMG_FD };
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, log_name, 1);
	int l = ck_hi(unix_bound(SOCK_STREAM, path_name, 0));
	int d = ck_hi(socket(AF_UNIX, SOCK_DGRAM, 0));
	int c, a;
	long ret;

	img = ck_hi(img);
	if (l < 0 || d < 0 || connect(d, (struct sockaddr *)&sa, len) ||
	    ck_move_fd(l, 3) != 3 || ck_move_fd(d, 4) != 4 ||
	    ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	if (moved_name[0] && rename(path_name, moved_name))
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 3);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret != CKPT_RESTORED)
		_exit(ret ? CK_EXIT_DUMP_FAILED : 0);
	len = unix_addr(&sa, path_name, 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!same_name(3, false, path_name, 0) || c < 0 ||
	    connect(c, (struct sockaddr *)&sa, len))
		_exit(20);
	a = accept(3, NULL, NULL);
	if (a < 0 || send(c, "b", 1, 0) != 1 || answer(a) != 'b')
		_exit(21);
	_exit(send(4, "ok", 2, 0) == 2 ? CK_EXIT_RESTORED : 22);
}

/*
 * A restore that fails after it bound a unix socket to a path removes
 * the socket file it made: the one on the path fails nothing, but the
 * datagram socket's peer is gone.  With the peer back, the restore
 * makes both again.  A socket whose file was moved before the dump has
 * a path that no longer names it: only its live socket will do (ESTALE),
 * and nothing is bound there.
 */
TEST(a_failed_restore_removes_the_socket_file_it_made)
{
	struct ck_img im;
	char buf[4];
	int log, st;

	snprintf(path_name, sizeof(path_name), "/tmp/ckpt-ub-%d", (int)getpid());
	snprintf(log_name, sizeof(log_name), "ckpt-ublog-%d", (int)getpid());
	unlink(path_name);
	log = unix_bound(SOCK_DGRAM, log_name, 1);
	ASSERT_LE(0, log);
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-bound", run_unix_bound_path, &im));
	ASSERT_NE(0, path_ino(path_name));
	ASSERT_EQ(0, unlink(path_name));
	close(log);			/* fd 4 cannot connect again */
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(ECONNREFUSED, st) TH_LOG("its peer gone: %s", STATUS(st));
	EXPECT_EQ(0, path_ino(path_name)) TH_LOG("the socket file is left");
	EXPECT_EQ(-1, access(path_name, F_OK));
	log = unix_bound(SOCK_DGRAM, log_name, 1);
	ASSERT_LE(0, log);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("its peer back: %s", STATUS(st));
	EXPECT_EQ(2, recv_wait(log, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	EXPECT_NE(0, path_ino(path_name));
	free(im.buf);
	unlink(path_name);

	snprintf(moved_name, sizeof(moved_name), "%s.moved", path_name);
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-moved", run_unix_bound_path, &im));
	moved_name[0] = 0;
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(ESTALE, st) TH_LOG("its file moved: %s", STATUS(st));
	EXPECT_EQ(0, path_ino(path_name));
	free(im.buf);
	snprintf(moved_name, sizeof(moved_name), "%s.moved", path_name);
	unlink(moved_name);
	moved_name[0] = 0;
	close(log);
}

/*
 * A unix datagram socket on an abstract name at 3, with DQ_MSGS messages
 * from senders without a name; with named_sender, a last one from the
 * socket at 4, on a name of its own.
 */
#define DQ_MSGS		4
static const size_t dq_len[DQ_MSGS] = { 5, 0, 2000, 1 };
static char dq_name[64], dq_sender_name[64];
static int named_sender;

static unsigned char dq_byte(int m, size_t i)
{
	return (unsigned char)(m * 51 + i * 3 + 1);
}

/* Each message, in order, byte for byte, from its sender; then none. */
static int check_dq(void)
{
	static unsigned char buf[4096];
	struct sockaddr_un from;
	socklen_t flen;
	ssize_t n;
	size_t i;
	int m;

	if (!same_name(3, false, dq_name, 1))
		return 30;
	for (m = 0; m < DQ_MSGS + named_sender; m++) {
		flen = sizeof(from);
		n = recvfrom(3, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (m == DQ_MSGS) {	/* the named sender's */
			struct sockaddr_un want;
			socklen_t wlen = unix_addr(&want, dq_sender_name, 1);

			if (n != 1 || flen != wlen || memcmp(&from, &want, wlen))
				return 31;
			continue;
		}
		if (n != (ssize_t)dq_len[m] || flen)	/* no name: none */
			return 32;
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != dq_byte(m, i))
				return 33;
	}
	if (recv(3, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN)
		return 34;
	return 0;
}

static void __attribute__((noreturn)) run_dq(int img)
{
	static const int keep[] = { 3, 4, IMG_FD };
	static unsigned char buf[4096];
	int d = ck_hi(unix_bound(SOCK_DGRAM, dq_name, 1)), m, s;
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, dq_name, 1);
	size_t i;
	long ret;

	img = ck_hi(img);
	if (d < 0 || ck_move_fd(d, 3) != 3 || ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	for (m = 0; m < DQ_MSGS; m++) {
		for (i = 0; i < dq_len[m]; i++)
			buf[i] = dq_byte(m, i);
		s = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (s < 0 || sendto(s, buf, dq_len[m], 0, (struct sockaddr *)&sa,
				    len) != (ssize_t)dq_len[m])
			_exit(CK_EXIT_SETUP);
		close(s);
	}
	if (named_sender &&
	    (ck_move_fd(unix_bound(SOCK_DGRAM, dq_sender_name, 1), 4) != 4 ||
	     sendto(4, "n", 1, 0, (struct sockaddr *)&sa, len) != 1))
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 3);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check_dq() ?: CK_EXIT_RESTORED);
	/* the original reads them all too: the dump took none */
	_exit(ret ? CK_EXIT_DUMP_FAILED : check_dq());
}

/*
 * The socket is made again on its name, and the messages sent to it
 * again, each from a new socket without a name; one message from a
 * sender with a name keeps the socket to its live self: ESTALE.
 */
TEST(unix_datagrams_queued_on_a_name_come_back)
{
	struct ck_img im;
	struct ck_rec r;
	int st, e;

	snprintf(dq_name, sizeof(dq_name), "ckpt-dq-%d", (int)getpid());
	snprintf(dq_sender_name, sizeof(dq_sender_name), "ckpt-dqs-%d",
		 (int)getpid());
	named_sender = 0;
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-dq", run_dq, &im));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("made again: %s", STATUS(st));
	/* its messages, for another socket than the one just before */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCK_DATA, 0, &r));
	e = ck_img_endian(&im);
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_sock_data, id),
			    ck_get32(r.p + CK_OFF(ckpt_sock_data, id), e) + 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("another socket's: %s", STATUS(st));
	free(im.buf);

	named_sender = 1;
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-dqn", run_dq, &im));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(ESTALE, st) TH_LOG("a sender's name: %s", STATUS(st));
	free(im.buf);
}

/*
 * A unix stream listener on an abstract name at 3, with two connections
 * of the process's own waiting, not accepted: from 4, which sent
 * "first", then from 5, which sent BL_BIG bytes.
 */
#define BL_BIG		3000
static char bl_name[64];

static unsigned char bl_byte(size_t i)
{
	return (unsigned char)(i * 13 + 7);
}

/* Both accepted, in that order, with their bytes, and they talk. */
static int check_bl(void)
{
	static unsigned char buf[BL_BIG + 16];
	size_t got = 0, i;
	char c = 0;
	ssize_t n;
	int a, b;

	if (!same_name(3, false, bl_name, 1) ||
	    sockopt(3, SOL_SOCKET, SO_ACCEPTCONN) != 1 ||
	    !same_name(4, true, bl_name, 1) || !same_name(5, true, bl_name, 1))
		return 40;
	a = accept4(3, NULL, NULL, SOCK_NONBLOCK);
	b = accept4(3, NULL, NULL, SOCK_NONBLOCK);
	if (a < 0 || b < 0)
		return 41;
	if (recv(a, buf, sizeof(buf), 0) != 5 || memcmp(buf, "first", 5))
		return 42;
	while (got < BL_BIG &&
	       (n = recv(b, buf + got, sizeof(buf) - got, 0)) > 0)
		got += n;
	if (got != BL_BIG)
		return 43;
	for (i = 0; i < BL_BIG; i++)
		if (buf[i] != bl_byte(i))
			return 44;
	if (send(a, "A", 1, 0) != 1 || recv(4, &c, 1, 0) != 1 || c != 'A' ||
	    send(b, "B", 1, 0) != 1 || recv(5, &c, 1, 0) != 1 || c != 'B')
		return 45;
	/* and no other */
	if (fcntl(3, F_SETFL, O_NONBLOCK) ||
	    accept4(3, NULL, NULL, SOCK_NONBLOCK) != -1 || errno != EAGAIN)
		return 46;
	close(a);
	close(b);
	return 0;
}

static void __attribute__((noreturn)) run_bl(int img)
{
	static const int keep[] = { 3, 4, 5, IMG_FD };
	static unsigned char buf[BL_BIG];
	int l = ck_hi(unix_bound(SOCK_STREAM, bl_name, 1));
	int c1 = ck_hi(socket(AF_UNIX, SOCK_STREAM, 0));
	int c2 = ck_hi(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sa;
	socklen_t len = unix_addr(&sa, bl_name, 1);
	size_t i;
	long ret;

	for (i = 0; i < BL_BIG; i++)
		buf[i] = bl_byte(i);
	img = ck_hi(img);
	if (l < 0 || c1 < 0 || c2 < 0 ||
	    connect(c1, (struct sockaddr *)&sa, len) ||
	    connect(c2, (struct sockaddr *)&sa, len) ||
	    send(c1, "first", 5, 0) != 5 || send(c2, buf, BL_BIG, 0) != BL_BIG ||
	    ck_move_fd(l, 3) != 3 || ck_move_fd(c1, 4) != 4 ||
	    ck_move_fd(c2, 5) != 5 || ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 4);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == CKPT_RESTORED)
		_exit(check_bl() ?: CK_EXIT_RESTORED);
	/* the original accepts them too: the dump took nothing */
	_exit(ret ? CK_EXIT_DUMP_FAILED : check_bl());
}

/*
 * Test 5, the listener: its connections not accepted yet are made again
 * in a fresh process, in their order, each with what its client sent,
 * and accepted there.  A client's record without its place is EINVAL.
 */
TEST(unix_listener_keeps_its_waiting_connections)
{
	struct ck_img im;
	struct ck_rec r;
	char *out;
	int st;

	snprintf(bl_name, sizeof(bl_name), "ckpt-bl-%d", (int)getpid());
	ASSERT_EQ(0, ck_dump_child_img("ckpt-unix-bl", run_bl, &im));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("made again: %s", STATUS(st));
	/* the SOCKET records of 3, then 4: 4 waits first */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SOCKET, 1, &r));
	EXPECT_EQ(1, ck_get32(r.p + CK_OFF(ckpt_socket, backlog),
			      ck_img_endian(&im)));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_socket, backlog),
			    0, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("no place: %s", STATUS(st));
	/* ckpt show says where each client waits */
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	EXPECT_NE(NULL, strstr(out, ", else made again into its listener's backlog, place 1"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ", else made again into its listener's backlog, place 2"));
	free(out);
	free(im.buf);
}

TEST_HARNESS_MAIN
