// SPDX-License-Identifier: GPL-2.0
/*
 * Established TCP connections, made again by TCP repair.
 *
 * A process holding a TCP connection to itself over loopback, IPv4 and
 * IPv6, with unread bytes on both ends and bytes its receiver's window
 * has not taken yet, is dumped with CKPT_DUMP_KILL and restored in a
 * fresh process: each end reads every byte the other sent, in order, and
 * both go on talking; the addresses and the options the connection was
 * set up with (SACK, timestamps, window scale) are the same; `ckpt show`
 * lists both ends with their queues.  An echo server with three clients
 * (other processes) streaming numbered records is dumped with
 * CKPT_DUMP_KILL while records are in flight both ways and restored:
 * every client gets every record back once, in order, and none sees a
 * reset.  So does a client whose server stays live.  Bad TCP records (a
 * window or an MSS TCP repair refuses), a queue beyond the socket's
 * buffer, and a restorer without CAP_NET_ADMIN fail with a clear errno,
 * the restorer running on; the image then still restores.  A rollback
 * of a process that closed its connection since is ESTALE.  A listener
 * with three connections waiting in its backlog (IPv4 and IPv6), their
 * clients in other processes having sent bytes nobody read, is dumped
 * with CKPT_DUMP_KILL and restored in a fresh process: accept() takes
 * them in their order, with those bytes, and their clients get the
 * answer, never a reset (but a third's, never accepted, when the
 * restored listener closes); `ckpt show` lists them; a place out of order,
 * a backlog too short for them, a state changed and a restorer without
 * CAP_NET_ADMIN fail with a clear errno, and the image then restores.
 * A client that shut its connection down for writing, its FIN
 * acknowledged (FIN_WAIT2, IPv4) or stuck with most of its bytes behind
 * a window its live server does not open (FIN_WAIT1, IPv6), is dumped
 * with CKPT_DUMP_KILL and restored in a fresh process: the server reads
 * every byte and the end of the stream, the client cannot send and reads
 * the answer and the server's end; a record whose state and FIN disagree
 * is EINVAL.  A connection in CLOSE_WAIT, which TCP repair cannot make,
 * makes a dump with CKPT_DUMP_KILL fail with EOPNOTSUPP, naming it, the
 * process running on.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>

#include "../kselftest_harness.h"
#include "ckpt_util.h"

/* a peer held back waits out retransmission timeouts, slow under TCG */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 200

#define IMG_FD		20

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* Byte @i of the stream sent one way (@dir 0) or the other (1). */
static unsigned char pattern(int dir, uint32_t i)
{
	return (unsigned char)((i ^ (i >> 9)) * 31 + dir * 77);
}

/* Send up to @n bytes of @dir's stream from @from on, without blocking. */
static uint32_t send_pattern(int fd, int dir, uint32_t from, uint32_t n)
{
	unsigned char buf[4096];
	uint32_t done = 0, i, len;
	ssize_t k;

	while (done < n) {
		len = n - done < sizeof(buf) ? n - done : sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = pattern(dir, from + done + i);
		k = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k <= 0)
			break;
		done += k;
	}
	return done;
}

/* Read @n bytes of @dir's stream from @from on: 0, or -1. */
static int recv_pattern(int fd, int dir, uint32_t from, uint32_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char buf[4096];
	ssize_t k, i;

	while (n) {
		if (poll(&p, 1, 30000) != 1)
			return -1;
		k = recv(fd, buf, n < sizeof(buf) ? n : sizeof(buf),
			 MSG_DONTWAIT);
		if (k <= 0)
			return -1;
		for (i = 0; i < k; i++)
			if (buf[i] != pattern(dir, from + i))
				return -1;
		from += k;
		n -= k;
	}
	return 0;
}

/* Send @n bytes of @dir's stream from @from on, waiting for room. */
static int send_all(int fd, int dir, uint32_t from, uint32_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint32_t k;

	while (n) {
		if (poll(&p, 1, 30000) != 1)
			return -1;
		k = send_pattern(fd, dir, from, n);
		from += k;
		n -= k;
	}
	return 0;
}

static int queued(int fd, unsigned long req)
{
	int n = -1;

	return ioctl(fd, req, &n) ? -1 : n;
}

/* What names a connection and what it was set up with. */
struct conn {
	struct sockaddr_storage local, peer;
	uint8_t options, snd_wscale, rcv_wscale;
};

static int conn_of(int fd, struct conn *c)
{
	socklen_t l1 = sizeof(c->local), l2 = sizeof(c->peer);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	memset(c, 0, sizeof(*c));
	if (getsockname(fd, (struct sockaddr *)&c->local, &l1) ||
	    getpeername(fd, (struct sockaddr *)&c->peer, &l2) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) ||
	    ti.tcpi_state != TCP_ESTABLISHED)
		return -1;
	c->options = ti.tcpi_options;
	c->snd_wscale = ti.tcpi_snd_wscale;
	c->rcv_wscale = ti.tcpi_rcv_wscale;
	return 0;
}

/*
 * Test 3: the connection to itself, at 4 (the connecting end) and 5 (the
 * accepted one), with its listener at 3.  sent[0] bytes went from 4 to 5
 * and sent[1] from 5 to 4, more than 4 can take in: over 100 kB wait in
 * 5's send queue.  Nothing is read.
 */
static int self_family;
static uint32_t self_sent[2];
static struct conn self_conn[2];

static int self_setup(void)
{
	int l = ck_hi(ck_listener(self_family, 0)), c, a;

	c = ck_hi(ck_connect_to(self_family, ck_port_of(l)));
	a = ck_hi(accept(l, NULL, NULL));
	if (l < 0 || c < 0 || a < 0 || ck_move_fd(l, 3) != 3 ||
	    ck_move_fd(c, 4) != 4 || ck_move_fd(a, 5) != 5)
		return -1;
	self_sent[1] = send_pattern(5, 1, 0, 1 << 20);
	self_sent[0] = send_pattern(4, 0, 0, 3000);
	usleep(200000);
	/* unread bytes on both ends, and some not taken by 4 yet */
	if (self_sent[0] != 3000 || queued(5, SIOCINQ) != 3000 ||
	    queued(4, SIOCINQ) <= 3000 || queued(5, SIOCOUTQ) <= 100000)
		return -1;
	return conn_of(4, &self_conn[0]) || conn_of(5, &self_conn[1]);
}

/* In the restored process: every byte, in order, and then some more. */
static int self_check(void)
{
	struct conn now;
	int i;

	for (i = 0; i < 2; i++) {
		if (conn_of(4 + i, &now))
			return 10 + i;
		if (memcmp(&now, &self_conn[i], sizeof(now)))
			return 12 + i;
	}
	if (queued(5, SIOCINQ) != 3000)
		return 14;
	if (recv_pattern(5, 0, 0, self_sent[0]))
		return 15;
	if (recv_pattern(4, 1, 0, self_sent[1]))
		return 16;
	/* the streams go on where they were */
	if (send_all(4, 0, self_sent[0], 50000) ||
	    recv_pattern(5, 0, self_sent[0], 50000))
		return 17;
	if (send_all(5, 1, self_sent[1], 50000) ||
	    recv_pattern(4, 1, self_sent[1], 50000))
		return 18;
	return CK_EXIT_RESTORED;
}

/* Fork a restorer of @img, at IMG_FD, that holds nothing else. */
static pid_t restorer(int img)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		if (lseek(img, 0, SEEK_SET) || ck_move_fd(img, IMG_FD) != IMG_FD)
			_exit(CK_EXIT_SETUP);
		ck_only_fds(IMG_FD);
		ck_restore_and_exit(IMG_FD, 0);
	}
	return pid;
}

/*
 * Only a restored copy gets a pid of its own, and leaves the loop; the
 * original's is taken before it says it is ready (ck_spawn_run()).
 */
static void __attribute__((noreturn)) until_restored(int (*check)(void))
{
	while (getpid() == ck_original)
		usleep(20000);
	_exit(check());
}

static void __attribute__((noreturn)) self_run(void)
{
	until_restored(self_check);
}

static const int self_keep[] = { 3, 4, 5 };

/* The self-connected process of @family, dumped with CKPT_DUMP_KILL. */
static int dump_self_connected(int family, struct ck_img *im)
{
	int img = ck_memfd("ckpt-tcp-self"), st;
	pid_t pid;

	self_family = family;
	if (img < 0)
		return -1;
	pid = ck_spawn_run(self_setup, self_keep, 3, self_run);
	if (pid < 0) {
		close(img);
		return -1;
	}
	if (ckpt_dump(pid, img, CKPT_DUMP_KILL, NULL, 0)) {
		st = -errno;
		kill(pid, SIGKILL);
		ck_wait(pid);
		close(img);
		return st;
	}
	st = ck_wait(pid);
	if (st != 1000 + SIGKILL || lseek(img, 0, SEEK_SET) ||
	    ck_slurp(img, 1, im))
		st = -1;
	else
		st = 0;
	close(img);
	return st;
}

static void self_connection(struct __test_metadata *_metadata, int family)
{
	char want[128], *out;
	struct ck_img im;
	int st;

	ASSERT_EQ(0, ck_loopback_up());
	st = dump_self_connected(family, &im);
	ASSERT_EQ(0, st) TH_LOG("dump: %s", st < -1 ? strerror(-st) : "failed");
	/* ckpt show lists both ends, the accepted one with 3000 bytes unread */
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	snprintf(want, sizeof(want), "%s tcp established",
		 family == AF_INET ? "ipv4" : "ipv6");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "else made again by TCP repair"));
	EXPECT_NE(NULL, strstr(out, ", 3000 bytes received not read"));
	EXPECT_NE(NULL, strstr(out, " bytes in its send queue"));
	free(out);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s", STATUS(st));
	free(im.buf);
}

TEST(a_connection_to_itself_ipv4)
{
	self_connection(_metadata, AF_INET);
}

TEST(a_connection_to_itself_ipv6)
{
	self_connection(_metadata, AF_INET6);
}

/*
 * Tests 1 and 2: clients stream numbered records (4 bytes, big-endian)
 * to an echo server and check each one that comes back.
 */
#define RECORDS		4000
#define AHEAD		64	/* records a client sends ahead */
#define NR_CLIENTS	3

/*
 * A client on @fd: sends records from 0 on, at most AHEAD ahead of those
 * it got back, and checks that each comes back once, in order.  Writes a
 * byte to @progress (-1: none) once RECORDS / 4 came back, and then, once
 * RECORDS / 2 did, waits for a byte from it (so that no client is done,
 * its connection closed, before the test has dumped the server).  Exits 0
 * once RECORDS came back; 20 on a reset or an error, 21 on a wrong record,
 * 22 if nothing came for 60 s.
 */
static void __attribute__((noreturn)) client(int fd, int progress)
{
	char c;

	uint32_t next = 0, got = 0, i;
	unsigned char in[4 * AHEAD], out[4];
	size_t have = 0;
	ssize_t k;

	while (got < RECORDS) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		while (next < RECORDS && next - got < AHEAD) {
			out[0] = next >> 24;
			out[1] = next >> 16;
			out[2] = next >> 8;
			out[3] = next;
			if (write(fd, out, 4) != 4)
				_exit(20);
			next++;
		}
		if (poll(&p, 1, 60000) != 1)
			_exit(22);
		k = read(fd, in + have, sizeof(in) - have);
		if (k <= 0)
			_exit(20);
		have += k;
		for (i = 0; i + 4 <= have; i += 4) {
			uint32_t r = (uint32_t)in[i] << 24 | in[i + 1] << 16 |
				     in[i + 2] << 8 | in[i + 3];

			if (r != got)
				_exit(21);
			got++;
			if (got == RECORDS / 4 && progress >= 0 &&
			    write(progress, "p", 1) != 1)
				_exit(20);
			if (got == RECORDS / 2 && progress >= 0 &&
			    read(progress, &c, 1) != 1)
				_exit(20);
		}
		memmove(in, in + i, have - i);
		have -= i;
	}
	_exit(0);
}

/*
 * Echo what comes on each descriptor from @first on, @n of them, forever.
 * With @report >= 0, once @pause bytes came back, say so on @report and
 * wait for a byte on @go.
 */
static void __attribute__((noreturn)) echo(int first, int n, int report,
					   int go, size_t pause)
{
	struct pollfd p[NR_CLIENTS];
	size_t echoed = 0;
	char buf[1024];
	ssize_t k;
	int i;

	for (i = 0; i < n; i++) {
		p[i].fd = first + i;
		p[i].events = POLLIN;
	}
	for (;;) {
		if (poll(p, n, -1) < 0)
			_exit(30);
		for (i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			k = read(p[i].fd, buf, sizeof(buf));
			if (k <= 0) {
				p[i].fd = -1;	/* that client is done */
				continue;
			}
			if (write(p[i].fd, buf, k) != k)
				_exit(31);
			echoed += k;
			if (report >= 0 && echoed >= pause) {
				if (write(report, "p", 1) != 1 ||
				    read(go, buf, 1) != 1)
					_exit(32);
				report = -1;
			}
		}
	}
}

/* The server of test 1: its listener at 3, its clients at 4 to 6. */
static int server_listener;

static int server_setup(void)
{
	int i;

	if (dup2(server_listener, 3) != 3)
		return -1;
	for (i = 0; i < NR_CLIENTS; i++)
		if (ck_move_fd(accept(3, NULL, NULL), 4 + i) != 4 + i)
			return -1;
	return 0;
}

static void __attribute__((noreturn)) server_run(void)
{
	echo(4, NR_CLIENTS, -1, -1, 0);
}

/*
 * Fork a client connected to @port of @family, at 3, with @aux at 4 and
 * nothing else of the test's (the server's listener least of all): it
 * runs body(@arg).
 */
static pid_t spawn_connected(int family, uint16_t port, int aux,
			     void (*body)(int arg), int arg)
{
	pid_t parent = getpid(), pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		static const int keep[] = { 3, 4 };

		ck_child_init(parent);
		fd = ck_connect_to(family, port);
		if (ck_move_fd(fd, 3) != 3 || ck_move_fd(aux, 4) != 4)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 2);
		body(arg);
		_exit(CK_EXIT_SETUP);
	}
	return pid;
}

static void __attribute__((noreturn)) streaming_client(int arg)
{
	client(3, 4);
}

/* Fork a client of @port that reports its progress on @progress. */
static pid_t spawn_client(uint16_t port, int progress)
{
	return spawn_connected(AF_INET, port, progress, streaming_client, 0);
}

/*
 * Test 1: the echo server is dumped with CKPT_DUMP_KILL while its three
 * clients stream, and restored a moment later: each client gets all its
 * records back, once and in order, and none sees a reset.
 */
TEST(a_server_killed_and_restored_keeps_its_clients)
{
	static const int keep[] = { 3, 4, 5, 6 };
	int img = ck_memfd("ckpt-tcp-server"), progress[2], i, st;
	pid_t server, clients[NR_CLIENTS], r;
	uint16_t port;
	char c;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	/* both ways: progress from the clients, and their go on */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, progress));
	server_listener = ck_listener(AF_INET, 0);
	ASSERT_LE(0, server_listener);
	port = ck_port_of(server_listener);
	for (i = 0; i < NR_CLIENTS; i++) {
		clients[i] = spawn_client(port, progress[1]);
		ASSERT_LT(0, clients[i]);
	}
	server = ck_spawn_run(server_setup, keep, 4, server_run);
	ASSERT_LT(0, server);
	close(server_listener);
	close(progress[1]);
	/* records in flight both ways */
	for (i = 0; i < NR_CLIENTS; i++)
		ASSERT_EQ(1, read(progress[0], &c, 1));
	ASSERT_EQ(0, ckpt_dump(server, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(server));
	/* the clients go on sending to nobody for a while */
	usleep(500000);
	r = restorer(img);
	ASSERT_LT(0, r);
	for (i = 0; i < NR_CLIENTS; i++)
		ASSERT_EQ(1, write(progress[0], "g", 1));
	for (i = 0; i < NR_CLIENTS; i++) {
		st = ck_wait(clients[i]);
		EXPECT_EQ(0, st) TH_LOG("client %d: %s", i, STATUS(st));
	}
	kill(r, SIGKILL);
	st = ck_wait(r);
	EXPECT_EQ(1000 + SIGKILL, st) TH_LOG("restored server: %s", STATUS(st));
	close(progress[0]);
	close(img);
}

/* The client of test 2, at 3, dumped while it streams. */
static uint16_t echo_port;

static int client_setup(void)
{
	return ck_move_fd(ck_connect_to(AF_INET, echo_port), 3) != 3;
}

static void __attribute__((noreturn)) client_run(void)
{
	client(3, -1);
}

/*
 * Test 2: a client is dumped with CKPT_DUMP_KILL while it streams to a
 * live server, which holds its answers back meanwhile, and restored: all
 * its records come back, once, in order.
 */
TEST(a_client_killed_and_restored_keeps_its_server)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-tcp-client"), report[2], go[2], l, st;
	pid_t srv, cl, r;
	char c;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));
	l = ck_listener(AF_INET, 0);
	ASSERT_LE(0, l);
	echo_port = ck_port_of(l);
	fflush(NULL);
	srv = fork();
	if (srv == 0) {
		int a = accept(l, NULL, NULL);

		if (a < 0 || close(l))
			_exit(CK_EXIT_SETUP);
		echo(a, 1, report[1], go[0], RECORDS);
	}
	ASSERT_LT(0, srv);
	close(l);
	cl = ck_spawn_run(client_setup, keep, 1, client_run);
	ASSERT_LT(0, cl);
	/* a quarter of its records came back; the rest wait in the server */
	ASSERT_EQ(1, read(report[0], &c, 1));
	EXPECT_EQ(0, ckpt_dump(cl, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(cl));
	/* the server answers a client that is gone */
	ASSERT_EQ(1, write(go[1], "g", 1));
	usleep(500000);
	r = restorer(img);
	ASSERT_LT(0, r);
	st = ck_wait(r);
	EXPECT_EQ(0, st) TH_LOG("restored client: %s", STATUS(st));
	kill(srv, SIGKILL);
	ck_wait(srv);
	close(img);
}

/* The self-connected process closes its sockets once this file exists. */
#define CLOSE_NOW	"/tmp/ckpt-tcp-close-now"

static void __attribute__((noreturn)) closer_run(void)
{
	while (access(CLOSE_NOW, F_OK))
		usleep(20000);
	close(3);
	close(4);
	close(5);
	for (;;)
		pause();
}

/*
 * A rollback keeps a connection live or not at all: once the process has
 * closed it, its peer has moved on, and the rollback is ESTALE with the
 * process as it is.
 */
TEST(a_rollback_does_not_make_a_closed_connection_again)
{
	int img = ck_memfd("ckpt-tcp-rollback"), fd, i;
	char path[64];
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	unlink(CLOSE_NOW);
	self_family = AF_INET;
	pid = ck_spawn_run(self_setup, self_keep, 3, closer_run);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	fd = open(CLOSE_NOW, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/fd/4", pid);
	for (i = 0; i < 500 && !access(path, F_OK); i++)
		usleep(10000);
	ASSERT_NE(0, access(path, F_OK));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(-1, ckpt_restore(pid, img, 0));
	EXPECT_EQ(ESTALE, errno) TH_LOG("rollback: %s", strerror(errno));
	/* it runs on, its sockets still closed */
	EXPECT_EQ(0, kill(pid, 0));
	EXPECT_NE(0, access(path, F_OK));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	unlink(CLOSE_NOW);
	close(img);
}

/* The offset of field @off of the nth TCP record, or 0. */
static size_t tcp_field(const struct ck_img *im, int nth, size_t off)
{
	struct ck_rec rec;

	return ck_img_find(im, CKPT_REC_TCP, nth, &rec) ?
	       rec.p - im->buf + off : 0;
}

static uint32_t get32(const struct ck_img *im, size_t at)
{
	return ck_get32(im->buf + at, ck_img_endian(im));
}

/*
 * Restore a copy of @im with the 32-bit field at @at set to @v, and the
 * one at @at2 (0: none) to @v2: what ck_try_restore() says, or -1.
 */
static int try_with(const struct ck_img *im, size_t at, uint32_t v,
		    size_t at2, uint32_t v2)
{
	struct ck_img c = *im;
	int st;

	c.buf = malloc(im->len);
	if (!c.buf)
		return -1;
	memcpy(c.buf, im->buf, im->len);
	ck_put32(c.buf + at, ck_img_endian(&c), v);
	if (at2)
		ck_put32(c.buf + at2, ck_img_endian(&c), v2);
	ck_img_reseal(&c);
	st = ck_try_restore(c.buf, c.len);
	free(c.buf);
	return st;
}

/*
 * Test 8: what TCP repair refuses, a queue beyond the socket's buffer and
 * a restorer without CAP_NET_ADMIN are each a clear errno, the restorer
 * running on and nothing sent: the image restores afterwards.
 */
TEST(bad_tcp_records_fail_cleanly)
{
	size_t rcv_seq, rcv_len, rcv_wnd, rcv_wup, snd_wl1, mss, sock = 0;
	struct ck_rec rec = { 0 };
	struct ck_img im;
	uint32_t id;
	int st, big = -1, i;

	ASSERT_EQ(0, ck_loopback_up());
	ASSERT_EQ(0, dump_self_connected(AF_INET, &im));
	/* the end with the most unread bytes: 4, which 5 filled */
	for (i = 0; i < 2; i++)
		if (get32(&im, tcp_field(&im, i, CK_OFF(ckpt_tcp, rcv_len))) > 3000)
			big = i;
	ASSERT_LE(0, big);
	rcv_seq = tcp_field(&im, big, CK_OFF(ckpt_tcp, rcv_seq));
	rcv_len = tcp_field(&im, big, CK_OFF(ckpt_tcp, rcv_len));
	rcv_wnd = tcp_field(&im, big, CK_OFF(ckpt_tcp, rcv_wnd));
	rcv_wup = tcp_field(&im, big, CK_OFF(ckpt_tcp, rcv_wup));
	snd_wl1 = tcp_field(&im, big, CK_OFF(ckpt_tcp, snd_wl1));
	mss = tcp_field(&im, big, CK_OFF(ckpt_tcp, mss));

	/* TCP_REPAIR_WINDOW: rcv_wup past rcv_nxt, snd_wl1 past the window */
	st = ck_try_patched(&im, rcv_wup, get32(&im, rcv_seq) +
			    get32(&im, rcv_len) + 1000, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("rcv_wup: %s", STATUS(st));
	st = ck_try_patched(&im, snd_wl1, get32(&im, rcv_seq) +
			    get32(&im, rcv_len) + get32(&im, rcv_wnd) + 100000, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("snd_wl1: %s", STATUS(st));
	/* an MSS TCP cannot work with: 0 (and the window scales 0) */
	st = try_with(&im, mss, 0, 0, 0);
	EXPECT_EQ(EINVAL, st) TH_LOG("mss 0: %s", STATUS(st));

	/* the send queue of the other end beyond an 8 KiB SO_SNDBUF */
	id = get32(&im, tcp_field(&im, !big, CK_OFF(ckpt_tcp, id)));
	while (ck_img_next(&im, &rec))
		if (rec.type == CKPT_REC_SOCKET &&
		    get32(&im, rec.p - im.buf) == id)
			sock = rec.p - im.buf;
	ASSERT_NE(0, sock);
	st = try_with(&im, sock + CK_OFF(ckpt_socket, flags),
		      get32(&im, sock + CK_OFF(ckpt_socket, flags)) |
		      CKPT_SOCK_SNDBUF, sock + CK_OFF(ckpt_socket, sndbuf), 8192);
	EXPECT_EQ(ENOBUFS, st) TH_LOG("queue beyond SO_SNDBUF: %s", STATUS(st));

	/* TCP_REPAIR needs CAP_NET_ADMIN */
	st = ck_restore_without_cap(&im, CAP_NET_ADMIN);
	EXPECT_EQ(EPERM, st) TH_LOG("without CAP_NET_ADMIN: %s", STATUS(st));

	/* nothing was lost: the image restores */
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("the image: %s", STATUS(st));
	free(im.buf);
}

/*
 * Test 9: a listener at 3 whose three connections wait in its backlog,
 * not accepted: their clients (other processes) sent wait_sent[i] bytes
 * from wait_port[i], in that order.  The restored process serves the
 * first two and exits: the third is reset, as by any listener closed.
 */
#define NR_WAITING	3
#define NR_SERVED	2

static int wait_family;
static uint16_t wait_port[NR_WAITING];
static uint32_t wait_sent[NR_WAITING];
static int wait_listener;

static uint16_t port_in(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
		     ((const struct sockaddr_in *)ss)->sin_port :
		     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int waiting_setup(void)
{
	return dup2(wait_listener, 3) != 3;
}

/* In the restored process: each in order, with its bytes; then a new one. */
static int waiting_check(void)
{
	struct pollfd p = { .fd = 3, .events = POLLIN };
	struct sockaddr_storage peer;
	socklen_t len;
	int i, a, c;

	for (i = 0; i < NR_SERVED; i++) {
		if (poll(&p, 1, 30000) != 1)
			return 10;
		len = sizeof(peer);
		a = accept(3, (struct sockaddr *)&peer, &len);
		if (a < 0)
			return 11;
		if (peer.ss_family != wait_family ||
		    port_in(&peer) != wait_port[i])
			return 12 + i;
		if (queued(a, SIOCINQ) != (int)wait_sent[i])
			return 14;
		if (recv_pattern(a, i, 0, wait_sent[i]) ||
		    send_all(a, i, 0, wait_sent[i]))
			return 15;
	}
	/* and it goes on listening */
	c = ck_connect_to(wait_family, ck_port_of(3));
	if (c < 0 || poll(&p, 1, 30000) != 1 || accept(3, NULL, NULL) < 0)
		return 16;
	return CK_EXIT_RESTORED;
}

static void __attribute__((noreturn)) waiting_run(void)
{
	until_restored(waiting_check);
}

/*
 * Client @i, at 3: sends wait_sent[i] bytes, says where from on 4, and
 * waits (long: the test restores bad images first) for them to come
 * back.  Exits 0 then; 20 on an error or a reset, 22 on nothing.
 */
static void __attribute__((noreturn)) waiting_client(int i)
{
	struct pollfd p = { .fd = 3, .events = POLLIN };
	uint16_t me = ck_port_of(3);

	if (send_all(3, i, 0, wait_sent[i]) ||
	    write(4, &me, sizeof(me)) != sizeof(me))
		_exit(20);
	if (poll(&p, 1, 180000) != 1)
		_exit(22);
	_exit(recv_pattern(3, i, 0, wait_sent[i]) ? 20 : 0);
}

static void waiting_connections(struct __test_metadata *_metadata,
				int family)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-tcp-backlog"), ready[2], i, st;
	size_t sock[1 + NR_WAITING];
	pid_t server, clients[NR_WAITING];
	struct ck_rec rec;
	struct ck_img im;
	char want[160], *out;
	uint16_t port;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	ASSERT_EQ(0, pipe(ready));
	wait_family = family;
	wait_listener = ck_listener(family, 0);
	ASSERT_LE(0, wait_listener);
	port = ck_port_of(wait_listener);
	/* one after the other: their order in the backlog */
	for (i = 0; i < NR_WAITING; i++) {
		wait_sent[i] = 3000 + 1000 * i;
		clients[i] = spawn_connected(family, port, ready[1],
					     waiting_client, i);
		ASSERT_LT(0, clients[i]);
		ASSERT_EQ(sizeof(wait_port[i]),
			  read(ready[0], &wait_port[i], sizeof(wait_port[i])));
	}
	usleep(300000);		/* their bytes are in the backlog's sockets */
	server = ck_spawn_run(waiting_setup, keep, 1, waiting_run);
	ASSERT_LT(0, server);
	close(wait_listener);
	ASSERT_EQ(0, ckpt_dump(server, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(server));
	ASSERT_EQ(0, ck_slurp(img, 1, &im));

	/* ckpt show lists them, in order, with what they hold */
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	for (i = 0; i < NR_WAITING; i++) {
		const char *lo = family == AF_INET ? "127.0.0.1" : "[::1]";

		snprintf(want, sizeof(want),
			 "waiting in its backlog, place %d: %s:%u -> %s:%u, %u bytes received not read",
			 i + 1, lo, port, lo, wait_port[i], wait_sent[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s\nwant: %s", out, want);
	}
	free(out);

	/* the listener's SOCKET record, then those of its connections */
	for (i = 0; i <= NR_WAITING; i++) {
		ASSERT_TRUE(ck_img_find(&im, CKPT_REC_SOCKET, i, &rec));
		sock[i] = rec.p - im.buf;
		/* listen()'s backlog (ck_listener()), then their places */
		EXPECT_EQ(i ? i : 8,
			  get32(&im, sock[i] + CK_OFF(ckpt_socket, backlog)));
	}
	/* a place out of order, a backlog too short, a state changed */
	st = try_with(&im, sock[2] + CK_OFF(ckpt_socket, backlog), 3, 0, 0);
	EXPECT_EQ(EINVAL, st) TH_LOG("place 3 for 2: %s", STATUS(st));
	st = try_with(&im, sock[0] + CK_OFF(ckpt_socket, backlog), 0, 0, 0);
	EXPECT_EQ(EINVAL, st) TH_LOG("backlog 0 for 3: %s", STATUS(st));
	st = ck_try_patched(&im, sock[1] + CK_OFF(ckpt_socket, state),
			    TCP_CLOSE_WAIT, 1);
	EXPECT_EQ(EINVAL, st) TH_LOG("state CLOSE_WAIT: %s", STATUS(st));
	/* TCP repair, for them too, needs CAP_NET_ADMIN */
	st = ck_restore_without_cap(&im, CAP_NET_ADMIN);
	EXPECT_EQ(EPERM, st) TH_LOG("without CAP_NET_ADMIN: %s", STATUS(st));

	/* nothing was lost: the image restores, and the clients get answers */
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s", STATUS(st));
	for (i = 0; i < NR_WAITING; i++) {
		st = ck_wait(clients[i]);
		/* the one not accepted: reset when the listener closed */
		EXPECT_EQ(i < NR_SERVED ? 0 : 20, st)
			TH_LOG("client %d: %s", i, STATUS(st));
	}
	free(im.buf);
	close(ready[0]);
	close(ready[1]);
	close(img);
}

TEST(a_listener_keeps_its_backlog_ipv4)
{
	waiting_connections(_metadata, AF_INET);
}

TEST(a_listener_keeps_its_backlog_ipv6)
{
	waiting_connections(_metadata, AF_INET6);
}

/*
 * Test 10: a client at 3 that sent half_sent bytes to a live server and
 * shut its connection down for writing.  With half_full, the server's
 * small receive buffer, never read, has left most of them and the FIN
 * unsent (FIN_WAIT1); else the server read them and the FIN (FIN_WAIT2).
 * Restored, the client cannot send, and reads what the server answers
 * once it has every byte and the end of the stream, then the server's
 * own end.
 */
#define HALF_ANSWER	5000

static int half_family, half_full;
static uint16_t half_port;
static uint32_t half_sent;
static int half_count = -1;	/* where setup says half_sent, then closed */

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) ? -1 :
	       ti.tcpi_state;
}

static int half_setup(void)
{
	int fd = ck_connect_to(half_family, half_port), sndbuf = 65536, i;
	uint32_t want = half_full ? 40000 : 3000;

	if (fd < 0 || ck_move_fd(fd, 3) != 3 ||
	    setsockopt(3, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		return -1;
	half_sent = send_pattern(3, 0, 0, want);
	if (half_sent != want || shutdown(3, SHUT_WR))
		return -1;
	/* the FIN stuck behind bytes the server's window does not take */
	for (i = 0; i < 500; i++) {
		if (tcp_state(3) == (half_full ? TCP_FIN_WAIT1 : TCP_FIN_WAIT2) &&
		    (!half_full || queued(3, SIOCOUTQ) > 20000))
			break;
		usleep(10000);
	}
	if (i == 500)
		return -1;
	return write(half_count, &half_sent, sizeof(half_sent)) !=
	       sizeof(half_sent);
}

/* In the restored process: no sending, then the answer and its end. */
static int half_check(void)
{
	struct pollfd p = { .fd = 3, .events = POLLIN };
	int state = tcp_state(3);
	char c;

	if (state != TCP_FIN_WAIT1 && state != TCP_FIN_WAIT2)
		return 10;
	if (send(3, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return 11;
	if (recv_pattern(3, 1, 0, HALF_ANSWER))
		return 12;
	if (poll(&p, 1, 30000) != 1 || recv(3, &c, 1, MSG_DONTWAIT) != 0)
		return 13;
	return CK_EXIT_RESTORED;
}

static void __attribute__((noreturn)) half_run(void)
{
	until_restored(half_check);
}

/*
 * The server: once told how many bytes the client sent (with half_full,
 * once the client is gone), it reads them all and the end of the stream,
 * answers and closes.  Exits 0, or with what went wrong.
 */
static void __attribute__((noreturn)) half_server(int l, int report, int go)
{
	struct pollfd p;
	uint32_t n;
	int a = accept(l, NULL, NULL);
	char c;

	if (a < 0 || close(l))
		_exit(CK_EXIT_SETUP);
	if (read(go, &n, sizeof(n)) != sizeof(n))
		_exit(2);
	if (!half_full &&
	    (recv_pattern(a, 0, 0, n) || recv(a, &c, 1, 0) != 0 ||
	     write(report, "r", 1) != 1 || read(go, &c, 1) != 1))
		_exit(3);
	p.fd = a;
	p.events = POLLIN;
	if (half_full &&
	    (recv_pattern(a, 0, 0, n) || poll(&p, 1, 30000) != 1 ||
	     recv(a, &c, 1, MSG_DONTWAIT) != 0))
		_exit(4);
	if (send_all(a, 1, 0, HALF_ANSWER) || close(a))
		_exit(5);
	_exit(0);
}

static void half_closed(struct __test_metadata *_metadata, int family,
			int full)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-tcp-half"), report[2], go[2], count[2];
	int l, small = 4096, st, fin;
	size_t sock = 0, flags;
	struct ck_rec rec = { 0 };
	struct ck_img im;
	pid_t srv, cl, r;
	char c, want[64], *out;
	uint32_t n;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(count));
	half_family = family;
	half_full = full;
	half_count = count[1];
	l = ck_listener(family, 0);
	ASSERT_LE(0, l);
	/* the accepted socket's window, under the client's send queue */
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	half_port = ck_port_of(l);
	fflush(NULL);
	srv = fork();
	if (srv == 0)
		half_server(l, report[1], go[0]);
	ASSERT_LT(0, srv);
	close(l);
	cl = ck_spawn_run(half_setup, keep, 1, half_run);
	ASSERT_LT(0, cl);
	ASSERT_EQ(sizeof(n), read(count[0], &n, sizeof(n)));
	if (!full) {
		/* the server has every byte and the FIN: FIN_WAIT2 */
		ASSERT_EQ(sizeof(n), write(go[1], &n, sizeof(n)));
		ASSERT_EQ(1, read(report[0], &c, 1));
	}
	ASSERT_EQ(0, ckpt_dump(cl, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(cl));
	/* the server reads, or answers, a client that is gone */
	if (full)
		c = write(go[1], &n, sizeof(n)) == sizeof(n);
	else
		c = write(go[1], "g", 1) == 1;
	ASSERT_TRUE(c);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ck_slurp(img, 1, &im));

	/* ckpt show: the state, and the FIN after the send queue */
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	snprintf(want, sizeof(want), "%s tcp %s",
		 family == AF_INET ? "ipv4" : "ipv6",
		 full ? "fin-wait-1" : "fin-wait-2");
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "in its send queue, then its FIN"));
	free(out);
	/* a FIN_WAIT record without its FIN, an ESTABLISHED one with it */
	flags = tcp_field(&im, 0, CK_OFF(ckpt_tcp, flags));
	fin = get32(&im, flags);
	EXPECT_TRUE(fin & CKPT_TCP_FIN);
	st = try_with(&im, flags, fin & ~CKPT_TCP_FIN, 0, 0);
	EXPECT_EQ(EINVAL, st) TH_LOG("no FIN: %s", STATUS(st));
	while (ck_img_next(&im, &rec))
		if (rec.type == CKPT_REC_SOCKET &&
		    get32(&im, rec.p - im.buf) ==
		    get32(&im, tcp_field(&im, 0, CK_OFF(ckpt_tcp, id))))
			sock = rec.p - im.buf;
	ASSERT_NE(0, sock);
	EXPECT_EQ(full ? TCP_FIN_WAIT1 : TCP_FIN_WAIT2,
		  im.buf[sock + CK_OFF(ckpt_socket, state)]);
	st = ck_try_patched(&im, sock + CK_OFF(ckpt_socket, state),
			    TCP_ESTABLISHED, 1);
	EXPECT_EQ(EINVAL, st) TH_LOG("ESTABLISHED with a FIN: %s", STATUS(st));
	free(im.buf);

	r = restorer(img);
	ASSERT_LT(0, r);
	st = ck_wait(r);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored client: %s",
					       STATUS(st));
	st = ck_wait(srv);
	EXPECT_EQ(0, st) TH_LOG("server: %s", STATUS(st));
	close(img);
	close(count[1]);
}

/* The FIN acknowledged: FIN_WAIT2. */
TEST(a_half_closed_client_ipv4)
{
	half_closed(_metadata, AF_INET, 0);
}

/* The FIN and most bytes behind a window the server does not open. */
TEST(a_half_closed_client_behind_a_full_window_ipv6)
{
	half_closed(_metadata, AF_INET6, 1);
}

/* A connection the peer closed, at 3. */
static int close_wait_setup(void)
{
	int l = ck_listener(AF_INET, 0), c, a, i;

	c = ck_connect_to(AF_INET, ck_port_of(l));
	a = accept(l, NULL, NULL);
	if (l < 0 || c < 0 || a < 0 || close(l) || close(c) ||
	    ck_move_fd(a, 3) != 3)
		return -1;
	for (i = 0; i < 500 && tcp_state(3) != TCP_CLOSE_WAIT; i++)
		usleep(10000);
	return tcp_state(3) != TCP_CLOSE_WAIT;
}

static void __attribute__((noreturn)) close_wait_run(void)
{
	for (;;)
		pause();
}

/*
 * Test 11: TCP repair cannot say that the peer's FIN came: a connection
 * in CLOSE_WAIT is kept by identity.  A dump with CKPT_DUMP_KILL would
 * lose it, and is refused, naming it; the process runs on, and a dump
 * without the kill (for a rollback) goes on.
 */
TEST(a_kill_dump_refuses_a_connection_it_would_lose)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-tcp-close-wait"), kmsg;
	char want[128];
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_loopback_up());
	pid = ck_spawn_run(close_wait_setup, keep, 1, close_wait_run);
	ASSERT_LT(0, pid);
	kmsg = ck_kmsg_open();
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_KILL, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	if (kmsg >= 0) {
		snprintf(want, sizeof(want),
			 "[%d]: cannot checkpoint fd 3: a TCP connection in state CLOSE_WAIT, kept by identity only",
			 pid);
		EXPECT_TRUE(ck_kmsg_says(kmsg, want)) TH_LOG("want: %s", want);
		close(kmsg);
	}
	EXPECT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_LT(0, lseek(img, 0, SEEK_END));
	EXPECT_EQ(0, kill(pid, 0));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(img);
}

TEST_HARNESS_MAIN
