// SPDX-License-Identifier: GPL-2.0
/*
 * One image restored several times: each restored process continues a
 * deterministic computation over its restored heap and state and writes
 * the result to fd 100, which its restorer set up.  All results must equal
 * what P computed before the dump.  Also: the checkpoint of a restored
 * process restores again.
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
#define CHAIN_FD	101	/* if open: dump again into it */
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

static void __attribute__((noreturn)) run_p(int imgfd, int expfd)
{
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

	fflush(NULL);
	ret = ckpt_dump(0, imgfd, 0);
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
	if (fcntl(CHAIN_FD, F_GETFD) >= 0) {
		/* change our state, checkpoint ourselves again */
		lcg ^= CHAIN_KEY;
		fflush(NULL);
		ret = ckpt_dump(0, CHAIN_FD, 0);
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
};

/*
 * Fork a restorer reading the image through its own open file description
 * of imgfd, with the result pipe at OUT_FD and optionally chain_fd at
 * CHAIN_FD.
 */
static int start_restorer(int imgfd, int chain_fd, struct restorer *r)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe(p))
		return -1;
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		char path[64];
		int fd;

		ck_child_init(parent);
		close(p[0]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", imgfd);
		fd = open(path, O_RDONLY);
		if (fd < 0 || ck_move_fd(p[1], OUT_FD) < 0)
			_exit(CK_EXIT_SETUP);
		if (chain_fd >= 0) {
			if (ck_move_fd(chain_fd, CHAIN_FD) < 0)
				_exit(CK_EXIT_SETUP);
		} else {
			close(CHAIN_FD);
		}
		close(imgfd);
		ckpt_restore(0, fd, 0);
		fprintf(stderr, "R: ckpt_restore: %s\n", strerror(errno));
		_exit(CK_EXIT_NO_RESTORE);
	}
	close(p[1]);
	r->out = p[0];
	return 0;
}

static int finish_restorer(struct restorer *r, uint64_t *result)
{
	ssize_t n = read(r->out, result, sizeof(*result));
	int st;

	close(r->out);
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
	ASSERT_EQ(0, start_restorer(fd, -1, &r1));
	ASSERT_EQ(0, start_restorer(fd, -1, &r2));
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
		ASSERT_EQ(0, start_restorer(fd, -1, &r));
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
	int fd, chain;

	fd = make_image(&e);
	ASSERT_LE(0, fd);
	chain = ck_memfd("ckpt-chain");
	ASSERT_LE(0, chain);
	ASSERT_EQ(0, start_restorer(fd, chain, &r1));
	EXPECT_EQ(0, finish_restorer(&r1, &res1));
	EXPECT_EQ(e.chained, res1);
	ASSERT_EQ(0, lseek(chain, 0, SEEK_SET));
	ASSERT_LT(0, lseek(chain, 0, SEEK_END));
	ASSERT_EQ(0, lseek(chain, 0, SEEK_SET));
	ASSERT_EQ(0, start_restorer(chain, -1, &r2));
	EXPECT_EQ(0, finish_restorer(&r2, &res2));
	EXPECT_EQ(e.chained, res2);
	close(chain);
	close(fd);
}

TEST_HARNESS_MAIN
