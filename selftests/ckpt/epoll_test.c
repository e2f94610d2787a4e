// SPDX-License-Identifier: GPL-2.0
/*
 * epolls: what they watch, with events and data, is in the image.
 *
 * A child with an epoll over a pipe of its own (level-triggered, "x"
 * unread in it) and an eventfd (edge-triggered, one-shot off) dumps
 * itself, then runs a sequence of epoll_wait()s, writes and reads; its
 * copy in a fresh restorer runs the same sequence and must see the same
 * events with the same data, as an undisturbed run does.  An epoll
 * watching an epoll is refused; bad EPOLL_ITEM records are EINVAL.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20
#define EP_FD		3	/* the epoll */
#define RD_FD		4	/* the pipe's read end */
#define WR_FD		5	/* and its write end */
#define EV_FD		6	/* the eventfd */

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* epoll_wait() with no wait: a bit per item seen (1 pipe, 2 eventfd), or -1. */
static int ready(void)
{
	struct epoll_event ev[4];
	int n, i, seen = 0;

	n = epoll_wait(EP_FD, ev, 4, 0);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == 0x1111 && ev[i].events == EPOLLIN)
			seen |= 1;
		else if (ev[i].data.u64 == 0x2222 && ev[i].events == EPOLLIN)
			seen |= 2;
		else
			return -1;
	}
	return seen;
}

/* The sequence both the dumped process and its copy run. */
static int run_sequence(int ok)
{
	uint64_t one = 1, v;
	char c;

	if (ready() != 1)			/* the pipe has "x" */
		return 10;
	if (ready() != 1)			/* level-triggered: again */
		return 11;
	if (write(EV_FD, &one, sizeof(one)) != sizeof(one) || ready() != 3)
		return 12;
	if (ready() != 1)			/* edge-triggered: once */
		return 13;
	if (read(RD_FD, &c, 1) != 1 || c != 'x' || ready() != 0)
		return 14;
	if (read(EV_FD, &v, sizeof(v)) != sizeof(v) || v != 1)
		return 15;
	if (write(WR_FD, "y", 1) != 1 || ready() != 1)
		return 16;
	return ok;
}

static void __attribute__((noreturn)) run_p(int img)
{
	struct epoll_event e1 = { .events = EPOLLIN, .data.u64 = 0x1111 };
	struct epoll_event e2 = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x2222 };
	int p[2];
	long ret;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (epoll_create1(EPOLL_CLOEXEC) != EP_FD || pipe(p) || p[0] != RD_FD ||
	    p[1] != WR_FD || eventfd(0, EFD_NONBLOCK) != EV_FD ||
	    epoll_ctl(EP_FD, EPOLL_CTL_ADD, RD_FD, &e1) ||
	    epoll_ctl(EP_FD, EPOLL_CTL_ADD, EV_FD, &e2) ||
	    write(WR_FD, "x", 1) != 1)
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(run_sequence(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	if (fcntl(EP_FD, F_GETFD) != FD_CLOEXEC)
		_exit(17);
	_exit(run_sequence(CK_EXIT_RESTORED));
}

TEST(epoll_sees_the_same_events_after_restore)
{
	int img, st;

	img = ck_dump_child("ckpt-epoll", run_p, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the undisturbed run: %s (10-16: see run_sequence())",
				STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-17: see run_sequence())",
					       STATUS(st));
	close(img);
}

TEST(bad_epoll_item_records_einval)
{
	struct ck_img im;
	struct ck_rec r;
	int st;
	size_t at;

	st = ck_dump_child_img("ckpt-epoll", run_p, &im);
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_EPOLL_ITEM, 0, &r));
	at = r.p - im.buf;
	st = ck_try_patched(&im, at + CK_OFF(ckpt_epoll_item, file), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("item naming file 9999: %s", STATUS(st));
	/* a file said to be at a descriptor the image does not have */
	st = ck_try_patched(&im, at + CK_OFF(ckpt_epoll_item, fd), 7, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("item at the wrong fd: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_epoll_item, id), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("item of epoll 9999: %s", STATUS(st));
	free(im.buf);
}

/* An epoll in an epoll: EOPNOTSUPP, nothing written. */
static int nested_epoll(void)
{
	struct epoll_event e = { .events = EPOLLIN };
	int outer = epoll_create1(0), inner = epoll_create1(0);

	return outer < 0 || inner < 0 ||
	       epoll_ctl(outer, EPOLL_CTL_ADD, inner, &e) ? -1 : 0;
}

TEST(epoll_in_an_epoll_refused)
{
	int img = ck_memfd("ckpt-epoll-nested");
	pid_t pid;

	ASSERT_LE(0, img);
	pid = ck_spawn_paused(nested_epoll);
	ASSERT_LT(0, pid);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, img, 0, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(img);
}

TEST_HARNESS_MAIN
