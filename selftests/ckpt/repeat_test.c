// SPDX-License-Identifier: GPL-2.0
/*
 * One image restored several times: each restored process continues a
 * deterministic computation over its restored heap and state and writes
 * the result to fd 100.  All results must equal what P computed before the
 * dump.  Also: the checkpoint of a restored process restores again.
 *
 * P holds pipe ends at fds 100-102; each restorer hands over pipes of its
 * own at those numbers, which the restored process gets in their place.
 */
#define _GNU_SOURCE
#include <stdint.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define OUT_FD		100	/* restored process writes its result here */
#define CTL_FD		101	/* it reads 'c' (dump again) or 'p' here */
#define CHAIN_FD	102	/* where it dumps again */
#define HEAP_SIZE	(256u << 10)
#define CHAIN_KEY	0xABCDEF0123456789ull

static unsigned char *heap;
static uint64_t lcg;
static volatile double fstate;

/* Deterministic: hash the heap, then run the generator and some FP. */
static uint64_t compute(const unsigned char *h, uint64_t state, double f)
{
	uint64_t x = 0xcbf29ce484222325ull;
	union { double d; uint64_t u; } conv;
	size_t i;

	for (i = 0; i < HEAP_SIZE; i++) {
		x ^= h[i];
		x *= 0x100000001b3ull;
	}
	for (i = 0; i < 20000; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		f = f * 1.0000001 + (double)(state >> 44) / 1048576.0;
		x ^= state + (x << 6) + (x >> 2);
	}
	conv.d = f;
	return x ^ conv.u;
}

struct expected {
	uint64_t plain;		/* compute() right after the restore */
	uint64_t chained;	/* after the restored process's own change */
};

/* One end of a new pipe at fd; the other end is closed. */
static int pipe_end_at(int fd, int write_end)
{
	int p[2];

	if (pipe(p))
		return -1;
	close(p[!write_end]);
	return ck_move_fd(p[write_end], fd) < 0 ? -1 : 0;
}

static void __attribute__((noreturn)) run_p(int imgfd, int expfd)
{
	char c = 0;
	struct expected e;
	uint64_t result;
	size_t i;
	long ret;

	heap = malloc(HEAP_SIZE);
	if (!heap)
		_exit(CK_EXIT_SETUP);
	lcg = 0x243F6A8885A308D3ull;
	for (i = 0; i < HEAP_SIZE; i++) {
		lcg = lcg * 6364136223846793005ull + 1;
		heap[i] = (unsigned char)(lcg >> 56);
	}
	fstate = 1.5;
	e.plain = compute(heap, lcg, fstate);
	e.chained = compute(heap, lcg ^ CHAIN_KEY, fstate);
	if (write(expfd, &e, sizeof(e)) != sizeof(e))
		_exit(CK_EXIT_SETUP);
	close(expfd);

	if (pipe_end_at(OUT_FD, 1) || pipe_end_at(CTL_FD, 0) ||
	    pipe_end_at(CHAIN_FD, 1))
		_exit(CK_EXIT_SETUP);
	fflush(NULL);
	ret = ckpt_dump(0, imgfd, 0, NULL, 0);
	if (ret == 0) {
		memset(heap, 0, HEAP_SIZE);
		lcg = 0;
		fstate = 0;
		_exit(0);
	}
	if (ret != CKPT_RESTORED) {
		fprintf(stderr, "P: ckpt_dump: %s\n", strerror(errno));
		_exit(CK_EXIT_DUMP_FAILED);
	}
	/* restored */
	if (read(CTL_FD, &c, 1) == 1 && c == 'c') {
		/* change our state, checkpoint ourselves again */
		lcg ^= CHAIN_KEY;
		fflush(NULL);
		ret = ckpt_dump(0, CHAIN_FD, 0, NULL, 0);
		if (ret < 0) {
			fprintf(stderr, "restored: ckpt_dump: %s\n", strerror(errno));
			_exit(CK_EXIT_DUMP_FAILED);
		}
		/* ret 0: the first restored process; 1: restored again */
	}
	result = compute(heap, lcg, fstate);
	if (write(OUT_FD, &result, sizeof(result)) != sizeof(result))
		_exit(CK_EXIT_MISMATCH);
	_exit(CK_EXIT_OK);
}

/* Fork P; returns the image memfd (offset 0) and P's expectations. */
static int make_image(struct expected *e)
{
	pid_t parent = getpid(), pid;
	int fd = ck_memfd("ckpt-repeat"), p[2];

	if (fd < 0 || pipe(p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		ck_child_init(parent);
		close(p[0]);
		run_p(fd, p[1]);
	}
	close(p[1]);
	if (read(p[0], e, sizeof(*e)) != sizeof(*e)) {
		close(p[0]);
		ck_wait(pid);
		return -1;
	}
	close(p[0]);
	if (ck_wait(pid) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	return fd;
}

struct restorer {
	pid_t pid;
	int out;	/* read end of the pipe the restored process writes */
	int chain;	/* read end of the pipe it dumps itself into */
};

/*
 * Fork a restorer reading the image through its own open file description
 * of imgfd, with the result pipe at OUT_FD, the chain pipe at CHAIN_FD and
 * at CTL_FD a pipe saying whether to dump again (chain).
 */
static int start_restorer(int imgfd, int chain, struct restorer *r)
{
	pid_t parent = getpid();
	int p[2], ch[2];

	if (pipe(p))
		return -1;
	if (pipe(ch))
		return -1;
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		char path[64];
		int fd;

		int c[2];

		ck_child_init(parent);
		close(p[0]);
		close(ch[0]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", imgfd);
		fd = open(path, O_RDONLY);
		if (fd < 0 || pipe(c) || write(c[1], chain ? "c" : "p", 1) != 1)
			_exit(CK_EXIT_SETUP);
		close(c[1]);
		if (ck_move_fd(p[1], OUT_FD) < 0 || ck_move_fd(c[0], CTL_FD) < 0 ||
		    ck_move_fd(ch[1], CHAIN_FD) < 0)
			_exit(CK_EXIT_SETUP);
		close(imgfd);
		ckpt_restore(0, fd, 0);
		fprintf(stderr, "R: ckpt_restore: %s\n", strerror(errno));
		_exit(CK_EXIT_NO_RESTORE);
	}
	close(p[1]);
	close(ch[1]);
	r->out = p[0];
	r->chain = ch[0];
	return 0;
}

static int finish_restorer(struct restorer *r, uint64_t *result)
{
	ssize_t n = read(r->out, result, sizeof(*result));
	int st;

	close(r->out);
	close(r->chain);
	st = ck_wait(r->pid);
	if (n != sizeof(*result))
		return st ? st : -1;
	return st;
}

TEST(two_restores_concurrently)
{
	struct expected e;
	struct restorer r1, r2;
	uint64_t res1 = 0, res2 = 0;
	int fd;

	fd = make_image(&e);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_restorer(fd, 0, &r1));
	ASSERT_EQ(0, start_restorer(fd, 0, &r2));
	EXPECT_EQ(0, finish_restorer(&r1, &res1));
	EXPECT_EQ(0, finish_restorer(&r2, &res2));
	EXPECT_EQ(e.plain, res1);
	EXPECT_EQ(e.plain, res2);
	EXPECT_NE(e.plain, e.chained);
	close(fd);
}

TEST(two_restores_one_after_the_other)
{
	struct expected e;
	struct restorer r;
	uint64_t res = 0;
	int fd, i;

	fd = make_image(&e);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		res = 0;
		ASSERT_EQ(0, start_restorer(fd, 0, &r));
		EXPECT_EQ(0, finish_restorer(&r, &res));
		EXPECT_EQ(e.plain, res) TH_LOG("restore #%d", i + 1);
	}
	close(fd);
}

/* A restored process checkpoints itself; that image restores too. */
TEST(checkpoint_of_restored_process)
{
	struct expected e;
	struct restorer r1, r2;
	uint64_t res1 = 0, res2 = 0;
	struct ck_img im;
	int fd, chain;

	fd = make_image(&e);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, start_restorer(fd, 1, &r1));
	/* the restored process dumps itself into the pipe, then goes on */
	ASSERT_EQ(0, ck_slurp(r1.chain, 0, &im));
	EXPECT_EQ(0, finish_restorer(&r1, &res1));
	EXPECT_EQ(e.chained, res1);
	ASSERT_LT(0, im.len);
	chain = ck_memfd_from(im.buf, im.len);
	ASSERT_LE(0, chain);
	free(im.buf);
	ASSERT_EQ(0, start_restorer(chain, 0, &r2));
	EXPECT_EQ(0, finish_restorer(&r2, &res2));
	EXPECT_EQ(e.chained, res2);
	close(chain);
	close(fd);
}

TEST_HARNESS_MAIN
