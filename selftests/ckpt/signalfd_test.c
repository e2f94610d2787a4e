// SPDX-License-Identifier: GPL-2.0
/*
 * signalfds: the signals they read are in the image.
 *
 * A child blocks SIGUSR1 and SIGUSR2, has a signalfd for both
 * (non-blocking, close-on-exec) and SIGUSR2 queued with a value, and
 * dumps itself; it and its copy restored in a fresh restorer read the
 * queued signal with its value through the signalfd, then nothing, then
 * a SIGUSR1 raised after.  A bad SIGNALFD record is EINVAL.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/signalfd.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20
#define SFD		3

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static int check_signalfd(int ok)
{
	struct signalfd_siginfo si;

	if ((fcntl(SFD, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK) ||
	    fcntl(SFD, F_GETFD) != FD_CLOEXEC)
		return 10;
	if (read(SFD, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR2 ||
	    si.ssi_int != 77)
		return 11;
	errno = 0;
	if (read(SFD, &si, sizeof(si)) != -1 || errno != EAGAIN)
		return 12;
	if (raise(SIGUSR1) || read(SFD, &si, sizeof(si)) != sizeof(si) ||
	    si.ssi_signo != SIGUSR1)
		return 13;
	return ok;
}

static void __attribute__((noreturn)) run_p(int img)
{
	union sigval v = { .sival_int = 77 };
	sigset_t set;
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC) != SFD ||
	    sigqueue(getpid(), SIGUSR2, v))
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(check_signalfd(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(check_signalfd(CK_EXIT_RESTORED));
}

TEST(signalfd_reads_the_same_after_restore)
{
	int img, st;

	img = ck_dump_child("ckpt-signalfd", run_p, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s (10-13: see check_signalfd())",
				STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-13: see check_signalfd())",
					       STATUS(st));
	close(img);
}

TEST(bad_signalfd_records_einval)
{
	struct ck_img im;
	struct ck_rec r;
	int st;

	st = ck_dump_child_img("ckpt-signalfd", run_p, &im);
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_SIGNALFD, 0, &r));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_signalfd, pad), 1, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("pad: %s", STATUS(st));
	st = ck_try_patched(&im, r.p - im.buf + CK_OFF(ckpt_signalfd, id), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("the mask of file 9999: %s", STATUS(st));
	free(im.buf);
}

TEST_HARNESS_MAIN
