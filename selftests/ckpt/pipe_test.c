// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes a process holds both ends of: their data is in the image.
 *
 * A child fills two pipes of its own (10 KiB in one of the default size,
 * 300 KiB in one of 512 KiB, which takes two records) and dumps itself
 * while it runs: it then reads every byte, in order, and so does its copy
 * restored in a fresh restorer that holds no pipe.  A rollback in place
 * keeps a pipe the process still has (what it holds now), opens a closed
 * end again on it, and rebuilds one it no longer has.  Bad PIPE records
 * are EINVAL; the other end of the pipe the image is written to is
 * refused.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20	/* where the dumped process writes its image */
#define SMALL_LEN	(10 * 1024)
#define BIG_SIZE	(512 * 1024)
#define BIG_LEN		(300 * 1024)

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static unsigned char byte_at(unsigned int seed, size_t i)
{
	return (unsigned char)(i * 131 + i / 4093 + seed);
}

static int fill(int fd, unsigned int seed, size_t len)
{
	static unsigned char buf[BIG_LEN];
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = byte_at(seed, i);
	return ck_write_all(fd, buf, len);
}

/* Read exactly len bytes of the pattern; 0 if they are all there. */
static int drain(int fd, unsigned int seed, size_t len)
{
	static unsigned char buf[BIG_LEN];
	size_t i, got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	for (i = 0; i < len; i++)
		if (buf[i] != byte_at(seed, i))
			return -1;
	return 0;
}

/* Is the pipe at fd empty (its read end made non-blocking for a try)? */
static int empty(int fd)
{
	int fl = fcntl(fd, F_GETFL), ret;
	char c;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	ret = read(fd, &c, 1) == -1 && errno == EAGAIN;
	fcntl(fd, F_SETFL, fl);
	return ret;
}

static int small_size;

/*
 * The dumped process and its restored copy: 3/4 the small pipe (the
 * write end O_NONBLOCK), 6/7 the big one (the read end close-on-exec).
 * CK_EXIT_RESTORED (or 0 in the original) if all is as at the dump, else
 * the number of the check that failed.
 */
static int check_pipes(int ok)
{
	char c;

	if (fcntl(3, F_GETPIPE_SZ) != small_size ||
	    fcntl(6, F_GETPIPE_SZ) != BIG_SIZE)
		return 10;
	if ((fcntl(3, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_RDONLY ||
	    (fcntl(4, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_WRONLY | O_NONBLOCK) ||
	    fcntl(6, F_GETFD) != FD_CLOEXEC || fcntl(7, F_GETFD) != 0)
		return 11;
	if (drain(3, 1, SMALL_LEN))
		return 12;
	if (drain(6, 2, BIG_LEN))
		return 13;
	if (!empty(3) || !empty(6))
		return 14;
	/* the ends are still one pipe */
	if (write(4, "z", 1) != 1 || read(3, &c, 1) != 1 || c != 'z')
		return 15;
	if (write(7, "y", 1) != 1 || read(6, &c, 1) != 1 || c != 'y')
		return 16;
	return ok;
}

static void __attribute__((noreturn)) run_p(int img)
{
	int p[2], q[2];
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (pipe(p) || p[0] != 3 || p[1] != 4 ||
	    pipe(q) || ck_move_fd(q[1], 7) != 7 ||
	    ck_move_fd(q[0], 6) != 6 || fcntl(6, F_SETFD, FD_CLOEXEC) ||
	    fcntl(6, F_SETPIPE_SZ, BIG_SIZE) != BIG_SIZE ||
	    fill(4, 1, SMALL_LEN) || fill(7, 2, BIG_LEN) ||
	    fcntl(4, F_SETFL, O_NONBLOCK))
		_exit(CK_EXIT_SETUP);
	small_size = fcntl(3, F_GETPIPE_SZ);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(check_pipes(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(check_pipes(CK_EXIT_RESTORED));
}

/* Dump run_p() into a memfd; returns it (at offset 0), or -1. */
static int dump_p(struct __test_metadata *_metadata)
{
	int st, img = ck_dump_child("ckpt-pipes", run_p, &st);

	EXPECT_EQ(0, st) TH_LOG("the dumped process after its dump: %s (10-16: see check_pipes())",
				STATUS(st));
	if (img >= 0 && st != 0) {
		close(img);
		return -1;
	}
	return img;
}

TEST(pipe_data_read_by_the_dumped_and_the_restored)
{
	int img, st;

	img = dump_p(_metadata);
	ASSERT_LE(0, img);
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-16: see check_pipes())",
					       STATUS(st));
	close(img);
}

/* Where a field of the nth FILE record of a pipe end is in im, or 0. */
static size_t end_field_at(const struct ck_img *im, int nth, size_t off)
{
	int e = ck_img_endian(im);
	struct ck_rec r;
	int i;

	for (i = 0; ck_img_find(im, CKPT_REC_FILE, i, &r); i++)
		if (ck_get32(r.p + CK_OFF(ckpt_file, inode), e) && nth-- == 0)
			return r.p - im->buf + off;
	return 0;
}

/* And of the nth PIPE record. */
static size_t pipe_field_at(const struct ck_img *im, int nth, size_t off)
{
	struct ck_rec r;

	return ck_img_find(im, CKPT_REC_PIPE, nth, &r) ? r.p - im->buf + off : 0;
}

TEST(bad_pipe_records_einval)
{
	struct ck_img im;
	struct ck_rec r;
	int img, st, e;
	uint32_t big;

	img = dump_p(_metadata);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_slurp(img, 1, &im));
	close(img);
	e = ck_img_endian(&im);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_PIPE, 1, &r));
	big = ck_get32(r.p + CK_OFF(ckpt_pipe, id), e);

	/* the small pipe made of one page: its 10 KiB do not fit */
	st = ck_try_patched(&im, pipe_field_at(&im, 0, CK_OFF(ckpt_pipe, size)), 4096, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("10 KiB in a pipe of 4 KiB: %s", STATUS(st));
	/* a capacity F_GETPIPE_SZ never gives */
	st = ck_try_patched(&im, pipe_field_at(&im, 0, CK_OFF(ckpt_pipe, size)), 12345, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("pipe of 12345 bytes: %s", STATUS(st));
	/* the second record of the big pipe, sized differently */
	st = ck_try_patched(&im, pipe_field_at(&im, 2, CK_OFF(ckpt_pipe, size)),
			    BIG_SIZE / 2, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("the big pipe's sizes differ: %s", STATUS(st));
	/* an end naming no pipe */
	st = ck_try_patched(&im, end_field_at(&im, 0, CK_OFF(ckpt_file, inode)), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("end of pipe 9999: %s", STATUS(st));
	/* the write end recorded as a second read end */
	st = ck_try_patched(&im, end_field_at(&im, 1, CK_OFF(ckpt_file, flags)),
			    O_RDONLY | O_NONBLOCK, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("two read ends: %s", STATUS(st));
	/* an end of the small pipe naming the big one, whose end is taken */
	st = ck_try_patched(&im, end_field_at(&im, 0, CK_OFF(ckpt_file, inode)), big, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("ends crossed: %s", STATUS(st));
	free(im.buf);
}

/*
 * Rollback in place: a kid with a pipe of its own holding "abcdef" at 3/4
 * is dumped, then reads "abc" and writes "XYZ", and then keeps the pipe
 * (a live pipe: rolled back, it holds "defXYZ"), or closes its write end
 * (opened again on the live pipe), or replaces both ends with a new pipe
 * (the one recorded is rebuilt: "abcdef").
 */

static void __attribute__((noreturn)) kid(void)
{
	char c, buf[16];
	int p[2];

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'r') {		/* report what the pipe holds */
			memset(buf, 0, sizeof(buf));
			fcntl(3, F_SETFL, O_NONBLOCK);
			if (read(3, buf, sizeof(buf) - 2) < 0)
				_exit(CK_EXIT_SETUP);
			/* and whether 4 still writes into it */
			if (write(4, "!", 1) == 1 && read(3, &c, 1) == 1 && c == '!')
				buf[sizeof(buf) - 1] = 1;
			if (write(CK_REP_FD, buf, sizeof(buf)) != sizeof(buf))
				_exit(CK_EXIT_SETUP);
			_exit(0);
		}
		if (read(3, buf, 3) != 3 || write(4, "XYZ", 3) != 3)
			_exit(CK_EXIT_SETUP);
		if (c == 'w') {		/* close the write end */
			close(4);
		} else if (c == 'n') {	/* a new pipe in place */
			close(3);
			close(4);
			if (pipe(p) || p[0] != 3 || p[1] != 4 ||
			    write(4, "new", 3) != 3)
				_exit(CK_EXIT_SETUP);
		}
		if (write(CK_REP_FD, "k", 1) != 1)
			_exit(CK_EXIT_SETUP);
	}
}

FIXTURE(rollback) {
};

/* what the kid does after the dump, what its pipe holds after the rollback */
FIXTURE_VARIANT(rollback) {
	char cmd;
	const char *holds;
};

FIXTURE_VARIANT_ADD(rollback, keeps_a_live_own_pipe) {
	.cmd = 'c',
	.holds = "defXYZ",
};

FIXTURE_VARIANT_ADD(rollback, opens_the_closed_end_of_a_live_pipe_again) {
	.cmd = 'w',
	.holds = "defXYZ",
};

FIXTURE_VARIANT_ADD(rollback, rebuilds_a_pipe_replaced_since) {
	.cmd = 'n',
	.holds = "abcdef",
};

FIXTURE_SETUP(rollback)
{
}

FIXTURE_TEARDOWN(rollback)
{
}

/* Its own pipe at 3/4, holding "abcdef". */
static int kid_setup(void)
{
	int p[2];

	close(3);
	close(4);
	return pipe(p) || p[0] != 3 || p[1] != 4 || write(4, "abcdef", 6) != 6;
}

/* Dump the kid, send it the variant's command, roll it back, ask it. */
TEST_F(rollback, own_pipe)
{
	static const int keep[] = { 3, 4 };
	int img = ck_memfd("ckpt-pipes-rb"), cmd, rep;
	char buf[16];
	pid_t pid;

	ASSERT_LE(0, img);
	pid = ck_spawn_commanded(kid_setup, keep, 2, kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, buf, 1));	/* ready */
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, &variant->cmd, 1));
	ASSERT_EQ(1, read(rep, buf, 1));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(sizeof(buf), read(rep, buf, sizeof(buf)));
	EXPECT_STREQ(variant->holds, buf);
	EXPECT_EQ(1, buf[15]) TH_LOG("4 does not write into 3");
	EXPECT_EQ(0, ck_wait(pid));
	close(cmd);
	close(rep);
	close(img);
}

/*
 * A pipeline, producer | consumer: the producer writes 64-bit numbers
 * 0, 1, 2...; on each 'r' the consumer reads 100 of them and reports the
 * first and the last, and whether they came in order.  The consumer is
 * dumped; rolled back, it reads on from the live producer; killed and
 * restored by a restorer that hands over the same pipe at its stdin (and
 * its command pipes at their numbers), the restored consumer reads on
 * where the dead one stopped.
 */
static void __attribute__((noreturn)) producer(void)
{
	uint64_t n;

	for (n = 0;; n++)
		if (ck_write_all(1, &n, sizeof(n)))
			_exit(0);
}

static void __attribute__((noreturn)) consumer(void)
{
	uint64_t v[3], n, prev = 0;
	int i;
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		v[2] = 1;
		for (i = 0; i < 100; i++) {
			size_t got = 0;
			ssize_t r;

			while (got < sizeof(n)) {
				r = read(0, (char *)&n + got, sizeof(n) - got);
				if (r <= 0)
					_exit(CK_EXIT_SETUP);
				got += r;
			}
			if (i == 0)
				v[0] = n;
			else if (n != prev + 1)
				v[2] = 0;
			prev = n;
		}
		v[1] = prev;
		if (write(CK_REP_FD, v, sizeof(v)) != sizeof(v))
			_exit(CK_EXIT_SETUP);
	}
}

/*
 * Put p at fd 0, /dev/null at 1 and 2, cmd and rep at CK_CMD_FD, CK_REP_FD;
 * close the rest but fd also (below CK_CMD_FD; -1: none).
 */
static int consumer_fds(int p, int cmd, int rep, int also)
{
	const int keep[] = { also, CK_CMD_FD, CK_REP_FD };
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || ck_move_fd(p, 0) || dup2(null, 1) != 1 ||
	    dup2(null, 2) != 2 || ck_move_fd(cmd, CK_CMD_FD) != CK_CMD_FD ||
	    ck_move_fd(rep, CK_REP_FD) != CK_REP_FD)
		return -1;
	ck_only_fds_of(keep, 3);
	return 0;
}

FIXTURE(pipeline) {
	pid_t producer, consumer;
	int p[2], cmd[2], rep[2];
};

FIXTURE_SETUP(pipeline)
{
	pid_t parent = getpid();

	ASSERT_EQ(0, pipe(self->p));
	ASSERT_EQ(0, pipe(self->cmd));
	ASSERT_EQ(0, pipe(self->rep));
	fflush(NULL);
	self->producer = fork();
	ASSERT_LE(0, self->producer);
	if (self->producer == 0) {
		ck_child_init(parent);
		if (ck_move_fd(self->p[1], 1) != 1)
			_exit(CK_EXIT_SETUP);
		ck_only_fds(-1);
		producer();
	}
	close(self->p[1]);
	self->consumer = fork();
	ASSERT_LE(0, self->consumer);
	if (self->consumer == 0) {
		ck_child_init(parent);
		if (consumer_fds(self->p[0], self->cmd[0], self->rep[1], -1))
			_exit(CK_EXIT_SETUP);
		consumer();
	}
}

FIXTURE_TEARDOWN(pipeline)
{
	kill(self->producer, SIGKILL);
	kill(self->consumer, SIGKILL);
	ck_wait(self->producer);
	ck_wait(self->consumer);
}

/* Ask for 100 numbers: the first, the last, in order (within 30 s). */
static int hundred(struct __test_metadata *_metadata, int cmd, int rep,
		   uint64_t *v)
{
	struct pollfd p = { .fd = rep, .events = POLLIN };

	memset(v, 0xff, 3 * sizeof(*v));
	EXPECT_EQ(1, write(cmd, "r", 1));
	EXPECT_EQ(1, poll(&p, 1, 30000)) TH_LOG("the consumer does not answer");
	if (!(p.revents & POLLIN))
		return -1;
	EXPECT_EQ(3 * sizeof(*v), read(rep, v, 3 * sizeof(*v)));
	EXPECT_EQ(1, v[2]) TH_LOG("out of order");
	EXPECT_EQ(v[0] + 99, v[1]);
	return 0;
}

TEST_F(pipeline, consumer_rolled_back_reads_on_from_the_live_producer)
{
	int img = ck_memfd("ckpt-pipeline");
	uint64_t v[3];

	ASSERT_LE(0, img);
	hundred(_metadata, self->cmd[1], self->rep[0], v);
	EXPECT_EQ(0, v[0]);
	ASSERT_EQ(0, ckpt_dump(self->consumer, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	hundred(_metadata, self->cmd[1], self->rep[0], v);
	EXPECT_EQ(100, v[0]);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(self->consumer, img, 0)) TH_LOG("rollback: %s",
								  strerror(errno));
	hundred(_metadata, self->cmd[1], self->rep[0], v);
	EXPECT_EQ(200, v[0]);
	close(img);
}

TEST_F(pipeline, consumer_restored_with_the_pipe_handed_over_reads_on)
{
	int img = ck_memfd("ckpt-pipeline"), st;
	pid_t parent = getpid(), r;
	uint64_t v[3];

	ASSERT_LE(0, img);
	hundred(_metadata, self->cmd[1], self->rep[0], v);
	ASSERT_EQ(0, ckpt_dump(self->consumer, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(self->consumer));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	fflush(NULL);
	r = fork();
	ASSERT_LE(0, r);
	if (r == 0) {
		ck_child_init(parent);
		if (ck_move_fd(img, 30) != 30)
			_exit(CK_EXIT_SETUP);
		if (consumer_fds(self->p[0], self->cmd[0], self->rep[1], 30))
			_exit(CK_EXIT_SETUP);
		ck_restore_and_exit(30, 0);
	}
	self->consumer = r;
	hundred(_metadata, self->cmd[1], self->rep[0], v);
	EXPECT_EQ(100, v[0]) TH_LOG("the restored consumer read from %llu",
				    (unsigned long long)v[0]);
	st = waitpid(r, NULL, WNOHANG);
	EXPECT_EQ(0, st) TH_LOG("the restored consumer is gone");
	close(img);
}

/* The read end of the pipe the image goes to: refused, nothing written. */
TEST(other_end_of_the_image_pipe_refused)
{
	pid_t parent = getpid(), pid;
	int p[2], ready[2], n;
	char c;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(ready));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static const int keep[] = { 3, 4 };

		ck_child_init(parent);
		if (ck_move_fd(p[0], 3) != 3 || ck_move_fd(ready[1], 4) != 4)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 2);
		if (write(4, "r", 1) != 1)
			_exit(CK_EXIT_SETUP);
		close(4);
		for (;;)
			pause();
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, p[1], 0, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, ioctl(p[0], FIONREAD, &n));
	EXPECT_EQ(0, n);				/* nothing written */
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));	/* it runs on */
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(p[0]);
	close(p[1]);
}

/*
 * FIFOs are live objects, but one that no descriptor of the restorer (or
 * of the process rolled back) has is opened again by its path: the very
 * FIFO, never blocking.  A process with both ends of a FIFO at 5 (write)
 * and 6 (read, non-blocking) is restored in a fresh restorer, which opens
 * the read end first, and talks to itself through it; one with only the
 * write end at 5 cannot be restored
 * while the FIFO has no reader (ENXIO), and can once the test reads it.
 */
static char fifo[64];

static int fifo_ok(int fd, int acc)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(fifo, &b) && S_ISFIFO(a.st_mode) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	       (fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == acc;
}

static void __attribute__((noreturn)) run_fifo_both(int img)
{
	static const int keep[] = { 5, 6, IMG_FD };
	char buf[8];
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD ||
	    ck_move_fd(open(fifo, O_RDONLY | O_NONBLOCK), 6) != 6 ||
	    ck_move_fd(open(fifo, O_WRONLY), 5) != 5)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 3);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret != 0 && ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	if (!fifo_ok(6, O_RDONLY | O_NONBLOCK) || !fifo_ok(5, O_WRONLY))
		_exit(10);
	if (write(5, "ping", 4) != 4 || read(6, buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "ping", 4))
		_exit(11);
	_exit(ret ? CK_EXIT_RESTORED : 0);
}

static void __attribute__((noreturn)) run_fifo_writer(int img)
{
	static const int keep[] = { 5, IMG_FD };
	int r, w;
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	r = open(fifo, O_RDONLY | O_NONBLOCK);	/* so that it opens */
	w = open(fifo, O_WRONLY);
	if (r < 0 || w < 0 || close(r) || ck_move_fd(w, 5) != 5)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 2);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(0);
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	if (!fifo_ok(5, O_WRONLY))
		_exit(10);
	_exit(write(5, "hi", 2) == 2 ? CK_EXIT_RESTORED : 11);
}

FIXTURE(fifo) {};

FIXTURE_SETUP(fifo)
{
	snprintf(fifo, sizeof(fifo), "/tmp/ckpt-fifo-%d", getpid());
	unlink(fifo);
	ASSERT_EQ(0, mkfifo(fifo, 0600));
}

FIXTURE_TEARDOWN(fifo)
{
	unlink(fifo);
}

TEST_F(fifo, both_ends_reopened_by_path)
{
	int img, st;

	img = ck_dump_child("ckpt-fifo", run_fifo_both, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s", STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10: not the FIFO, 11: no ping)",
					       STATUS(st));
	close(img);
}

TEST_F(fifo, a_write_end_needs_a_reader)
{
	char buf[4] = "";
	int img, st, r;

	img = ck_dump_child("ckpt-fifo-w", run_fifo_writer, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s", STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(ENXIO, st) TH_LOG("no reader: %s", STATUS(st));
	r = open(fifo, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("with a reader: %s", STATUS(st));
	EXPECT_EQ(2, read(r, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	close(r);
	close(img);
	/* moved away: the FIFO is not what was recorded */
	img = ck_dump_child("ckpt-fifo-w", run_fifo_writer, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, unlink(fifo));
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	r = open(fifo, O_RDONLY | O_NONBLOCK);
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(ESTALE, st) TH_LOG("another FIFO: %s", STATUS(st));
	close(r);
	close(img);
}

TEST_HARNESS_MAIN
