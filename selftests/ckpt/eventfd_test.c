// SPDX-License-Identifier: GPL-2.0
/*
 * eventfds: their counter and flags are in the image.
 *
 * A child holds an eventfd with a counter past 32 bits (non-blocking,
 * dup()ed) and a semaphore eventfd (close-on-exec), dumps itself and
 * reads them: so does its copy in a fresh restorer, with the same values.
 * A rollback gives back the checkpointed counter, whether the eventfd was
 * kept or replaced since (an eventfd is always made anew).  A bad
 * EVENTFD record is EINVAL.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20
#define BIG		((1ULL << 40) + 5)

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* 3 (and its dup 5): BIG, non-blocking; 4: a semaphore of 3, cloexec. */
static int check_eventfds(int ok)
{
	uint64_t v;
	int i;

	if ((fcntl(3, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK) ||
	    (fcntl(4, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_RDWR ||
	    fcntl(3, F_GETFD) != 0 || fcntl(4, F_GETFD) != FD_CLOEXEC)
		return 10;
	if (read(3, &v, sizeof(v)) != sizeof(v) || v != BIG)
		return 11;
	/* one counter under 3 and 5: read, it is 0 */
	errno = 0;
	if (read(5, &v, sizeof(v)) != -1 || errno != EAGAIN)
		return 12;
	for (i = 0; i < 3; i++)
		if (read(4, &v, sizeof(v)) != sizeof(v) || v != 1)
			return 13;
	if (readable(4))
		return 14;
	/* still an eventfd: a write is read back */
	v = 9;
	if (write(5, &v, sizeof(v)) != sizeof(v) || read(3, &v, sizeof(v)) != sizeof(v) ||
	    v != 9)
		return 15;
	return ok;
}

static void __attribute__((noreturn)) run_p(int img)
{
	uint64_t v = BIG - 5;
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (eventfd(5, EFD_NONBLOCK) != 3 || write(3, &v, sizeof(v)) != sizeof(v) ||
	    eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC) != 4 || dup2(3, 5) != 5)
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(check_eventfds(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(check_eventfds(CK_EXIT_RESTORED));
}

TEST(eventfds_read_the_same_by_the_dumped_and_the_restored)
{
	int img, st;

	img = ck_dump_child("ckpt-eventfd", run_p, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s (10-15: see check_eventfds())",
				STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-15: see check_eventfds())",
					       STATUS(st));
	close(img);
}

TEST(bad_eventfd_records_einval)
{
	struct ck_img im;
	struct ck_rec r;
	int st;
	size_t at;

	st = ck_dump_child_img("ckpt-eventfd", run_p, &im);
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_EVENTFD, 0, &r));
	at = r.p - im.buf;
	st = ck_try_patched(&im, at + CK_OFF(ckpt_eventfd, flags), 1U << 5, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("unknown flag: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_eventfd, id), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("the state of file 9999: %s", STATUS(st));
	/* the FILE record of an eventfd without its EVENTFD record */
	ck_img_remove(&im, r.off, r.size);
	ck_img_reseal(&im);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(EINVAL, st) TH_LOG("no EVENTFD record: %s", STATUS(st));
	free(im.buf);
}

/*
 * Rollback: a kid with an eventfd of 7 at 3 is dumped, reads it and adds
 * 2; then keeps it, or replaces it by a new eventfd of 100 (which may get
 * the same kernel id): rolled back, it reads 7 either way.
 */

static void __attribute__((noreturn)) kid(void)
{
	uint64_t v;
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'r') {
			if (read(3, &v, sizeof(v)) != sizeof(v))
				v = 0;
			if (write(CK_REP_FD, &v, sizeof(v)) != sizeof(v))
				_exit(CK_EXIT_SETUP);
			continue;
		}
		if (read(3, &v, sizeof(v)) != sizeof(v))
			_exit(CK_EXIT_SETUP);
		v = 2;
		if (write(3, &v, sizeof(v)) != sizeof(v))
			_exit(CK_EXIT_SETUP);
		if (c == 'n' && (close(3) || eventfd(100, 0) != 3))
			_exit(CK_EXIT_SETUP);
		if (write(CK_REP_FD, &v, sizeof(v)) != sizeof(v))
			_exit(CK_EXIT_SETUP);
	}
}

/* An eventfd of 7 at 3. */
static int kid_setup(void)
{
	close(3);
	return eventfd(7, 0) != 3;
}

static uint64_t rolled_back(struct __test_metadata *_metadata, char cmd_c)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-eventfd-rb"), cmd, rep;
	uint64_t v = 0;
	pid_t pid;

	EXPECT_LE(0, img);
	pid = ck_spawn_commanded(kid_setup, keep, 1, kid, &cmd, &rep);
	EXPECT_LT(0, pid);
	if (img < 0 || pid < 0)
		return 0;
	EXPECT_EQ(1, read(rep, &v, 1));		/* ready */
	EXPECT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1, write(cmd, &cmd_c, 1));
	EXPECT_EQ(sizeof(v), read(rep, &v, sizeof(v)));
	EXPECT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	v = 0;
	EXPECT_EQ(1, write(cmd, "r", 1));
	EXPECT_EQ(sizeof(v), read(rep, &v, sizeof(v)));
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(img);
	return v;
}

TEST(rollback_gives_back_the_counter_of_a_kept_eventfd)
{
	EXPECT_EQ(7, rolled_back(_metadata, 'c'));
}

TEST(rollback_gives_back_the_counter_of_a_replaced_eventfd)
{
	EXPECT_EQ(7, rolled_back(_metadata, 'n'));
}

TEST_HARNESS_MAIN
