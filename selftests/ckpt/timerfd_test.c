// SPDX-License-Identifier: GPL-2.0
/*
 * timerfds: clock, flags, time left, interval and the expirations not
 * read yet are in the image.
 *
 * A child has five timerfds: at 3 a monotonic one, non-blocking and
 * close-on-exec, due in 30 s every 5 s; at 4 a periodic one that has
 * expired once, unread, next due in an hour; at 5 a realtime one set with
 * TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET 100 s ahead; at 6 a
 * boottime one never set; at 7 a monotonic one due in 300 ms.  It dumps
 * itself; it and its copy restored in a fresh restorer find each one's
 * clock, flags and setting (the time left within what the dump and the
 * restore took), read the expiration at 4 and wait for the one at 7.  Bad
 * TIMERFD records are refused; a rollback gives a disarmed timerfd its
 * setting back.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET	(1 << 1)
#endif

#define IMG_FD		20
/* the time the dump and the restore may take under QEMU (TCG) */
#define SLACK		20

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* The clock and settime flags /proc/self/fdinfo shows for fd. */
static int fdinfo(int fd, int *clockid, unsigned int *flags)
{
	char path[64], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "clockid: %d", clockid) == 1;
		found += sscanf(line, "settime flags: %o", flags) == 1;
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/* Is timerfd fd of clock c, flags fl, due in (lo, hi] s, every iv s? */
static int timer_is(int fd, int c, unsigned int fl, long lo, long hi,
		    long iv)
{
	struct itimerspec it;
	unsigned int flags;
	int clockid;

	if (timerfd_gettime(fd, &it) || fdinfo(fd, &clockid, &flags) ||
	    clockid != c || flags != fl || it.it_interval.tv_sec != iv ||
	    it.it_interval.tv_nsec)
		return 0;
	if (!hi)
		return !it.it_value.tv_sec && !it.it_value.tv_nsec;
	return it.it_value.tv_sec >= lo && it.it_value.tv_sec < hi;
}

static int check_timerfds(int ok)
{
	uint64_t n;

	if ((fcntl(3, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK) ||
	    fcntl(3, F_GETFD) != FD_CLOEXEC || fcntl(4, F_GETFD) != 0 ||
	    (fcntl(4, F_GETFL) & O_NONBLOCK))
		return 10;
	if (!timer_is(3, CLOCK_MONOTONIC, 0, 30 - SLACK, 30, 5))
		return 11;
	errno = 0;
	if (read(3, &n, sizeof(n)) != -1 || errno != EAGAIN)
		return 11;
	/* the expiration not read: read at once, though 4 is blocking */
	if (read(4, &n, sizeof(n)) != sizeof(n) || n != 1 ||
	    !timer_is(4, CLOCK_MONOTONIC, 0, 3600 - SLACK, 3600, 3600))
		return 12;
	if (!timer_is(5, CLOCK_REALTIME,
		      TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
		      100 - SLACK, 100, 0))
		return 13;
	if (!timer_is(6, CLOCK_BOOTTIME, 0, 0, 0, 0))
		return 14;
	/* the one due in 300 ms fires (or has, and its expiration is kept) */
	if (read(7, &n, sizeof(n)) != sizeof(n) || n != 1 ||
	    !timer_is(7, CLOCK_MONOTONIC, 0, 0, 0, 0))
		return 15;
	return ok;
}

static int set(int fd, int flags, time_t v, long vns, time_t iv)
{
	struct itimerspec it = {
		.it_value = { .tv_sec = v, .tv_nsec = vns },
		.it_interval = { .tv_sec = iv },
	};

	return timerfd_settime(fd, flags, &it, NULL);
}

static int make_timerfds(void)
{
	struct timespec now;

	if (timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) != 3 ||
	    set(3, 0, 30, 0, 5))
		return -1;
	if (timerfd_create(CLOCK_MONOTONIC, 0) != 4 ||
	    set(4, 0, 0, 1000000, 3600))
		return -1;
	if (timerfd_create(CLOCK_REALTIME, 0) != 5 ||
	    clock_gettime(CLOCK_REALTIME, &now) ||
	    set(5, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
		now.tv_sec + 100, now.tv_nsec, 0))
		return -1;
	if (timerfd_create(CLOCK_BOOTTIME, 0) != 6)
		return -1;
	if (timerfd_create(CLOCK_MONOTONIC, 0) != 7 ||
	    set(7, 0, 0, 300000000, 0))
		return -1;
	usleep(20000);		/* 4 expires once */
	return 0;
}

static void __attribute__((noreturn)) run_p(int img)
{
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (make_timerfds())
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(check_timerfds(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(check_timerfds(CK_EXIT_RESTORED));
}

TEST(timerfds_keep_clock_setting_and_expirations)
{
	int img, st;

	img = ck_dump_child("ckpt-timerfd", run_p, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s (10-15: see check_timerfds())",
				STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-15: see check_timerfds())",
					       STATUS(st));
	close(img);
}

TEST(bad_timerfd_records_einval)
{
	struct ck_img im;
	struct ck_rec r;
	int st;
	size_t at;

	st = ck_dump_child_img("ckpt-timerfd", run_p, &im);
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_TIMERFD, 0, &r));
	at = r.p - im.buf;
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, pad), 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("pad: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, flags), 1U << 2, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("unknown flag: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, clockid),
			    CLOCK_PROCESS_CPUTIME_ID, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("a clock timerfd_create() refuses: %s",
				     STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, value_nsec),
			    1000000000, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("1e9 ns: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, interval_sec),
			    (uint64_t)-1, 8);
	EXPECT_EQ(EINVAL, st) TH_LOG("an interval of 2^64 - 1 s: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_timerfd, id), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("the timer of file 9999: %s", STATUS(st));
	/* the FILE record of a timerfd without its TIMERFD record */
	ck_img_remove(&im, r.off, r.size);
	ck_img_reseal(&im);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(EINVAL, st) TH_LOG("no TIMERFD record: %s", STATUS(st));
	free(im.buf);
}

/*
 * Rollback: a kid with a timerfd at 3 due in 100 s is dumped, then
 * disarms it; rolled back, its timerfd is due in 100 s again.
 */
static void __attribute__((noreturn)) kid(void)
{
	struct itimerspec it;
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'd' && set(3, 0, 0, 0, 0))
			_exit(CK_EXIT_SETUP);
		if (timerfd_gettime(3, &it))
			_exit(CK_EXIT_SETUP);
		if (write(CK_REP_FD, &it.it_value.tv_sec, sizeof(time_t)) !=
		    sizeof(time_t))
			_exit(CK_EXIT_SETUP);
	}
}

static int kid_setup(void)
{
	close(3);
	return timerfd_create(CLOCK_MONOTONIC, 0) != 3 || set(3, 0, 100, 0, 0);
}

TEST(rollback_gives_a_timerfd_its_setting_back)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-timerfd-rb"), cmd, rep;
	time_t left = -1;
	char c;
	pid_t pid;

	ASSERT_LE(0, img);
	pid = ck_spawn_commanded(kid_setup, keep, 1, kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &c, 1));		/* ready */
	EXPECT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1, write(cmd, "d", 1));
	EXPECT_EQ(sizeof(left), read(rep, &left, sizeof(left)));
	EXPECT_EQ(0, left);
	EXPECT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	EXPECT_EQ(1, write(cmd, "r", 1));
	EXPECT_EQ(sizeof(left), read(rep, &left, sizeof(left)));
	/* 100 itself when the guest's clock is jiffies and none passed */
	EXPECT_LE(100 - SLACK, left);
	EXPECT_GE(100, left);
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(img);
}

TEST_HARNESS_MAIN
