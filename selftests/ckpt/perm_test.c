// SPDX-License-Identifier: GPL-2.0
/*
 * Who may dump, roll back and restore what: user A may not touch user B's
 * process, nor restore an image of B's credentials; root may do both.
 * Runs as root and forks processes as the two users.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <stdint.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define UID_A		1001
#define UID_B		1002
#define CMD_FD		100
#define REP_FD		101
#define IMG_FD		102

/* A target's pipes: commands in, reports out. */
struct chan {
	int cmd[2], rep[2];
};

static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(CK_EXIT_SETUP);
	prctl(PR_SET_DUMPABLE, 1);
}

static int ask_uid(struct chan *ch, int32_t *uid)
{
	return write(ch->cmd[1], "?", 1) == 1 &&
	       read(ch->rep[0], uid, sizeof(*uid)) == sizeof(*uid) ? 0 : -1;
}

/*
 * A process of uid that answers each command byte with its uid; returned
 * once it has answered the first (it has its ids).
 */
static pid_t start_as(uid_t uid, struct chan *ch)
{
	pid_t parent = getpid(), pid;
	int32_t got;

	if (pipe(ch->cmd) || pipe(ch->rep))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char c;

		static const int keep[] = { CMD_FD, REP_FD };

		ck_child_init(parent);
		become(uid);
		if (dup2(ch->cmd[0], CMD_FD) != CMD_FD ||
		    dup2(ch->rep[1], REP_FD) != REP_FD)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 2);	/* none of the test's other fds */
		for (;;) {
			int32_t me;

			if (read(CMD_FD, &c, 1) != 1)
				_exit(0);
			me = getuid();	/* now, not before the read */
			if (write(REP_FD, &me, sizeof(me)) != sizeof(me))
				_exit(0);
		}
	}
	if (pid < 0 || ask_uid(ch, &got) || got != (int32_t)uid)
		return -1;
	return pid;
}

enum op { DUMP, ROLLBACK, RESTORE_SELF };

/* As uid, do op on pid with the image; the exit status is the errno or 0. */
static int try_as(uid_t uid, enum op op, pid_t pid, int img)
{
	pid_t parent = getpid(), c;

	fflush(NULL);
	c = fork();
	if (c == 0) {
		int fd = ck_memfd("ckpt-perm");
		long ret;

		ck_child_init(parent);
		become(uid);
		if (op == DUMP) {
			ret = ckpt_dump(pid, fd, 0, NULL, 0);
		} else {
			if (lseek(img, 0, SEEK_SET) || dup2(img, IMG_FD) != IMG_FD)
				_exit(CK_EXIT_SETUP);
			ret = ckpt_restore(op == ROLLBACK ? pid : 0, IMG_FD, 0);
		}
		_exit(ret ? (errno & 0xff) : 0);
	}
	return ck_wait(c);
}

static int dump_to(pid_t pid, int img)
{
	if (ftruncate(img, 0) || lseek(img, 0, SEEK_SET))
		return -1;
	return ckpt_dump(pid, img, 0, NULL, 0);
}

FIXTURE(perm) {
	int img;
	pid_t a, b;
	struct chan ca, cb;
};

FIXTURE_SETUP(perm)
{
	if (geteuid())
		SKIP(return, "needs root to create the two users' processes");
	self->img = ck_memfd("ckpt-perm-img");
	ASSERT_LE(0, self->img);
	self->a = start_as(UID_A, &self->ca);
	self->b = start_as(UID_B, &self->cb);
	ASSERT_LT(0, self->a);
	ASSERT_LT(0, self->b);
}

FIXTURE_TEARDOWN(perm)
{
	if (self->a > 0) {
		kill(self->a, SIGKILL);
		ck_wait(self->a);
	}
	if (self->b > 0) {
		kill(self->b, SIGKILL);
		ck_wait(self->b);
	}
}

TEST_F(perm, user_cannot_dump_or_roll_back_another_users_process)
{
	int32_t uid;

	ASSERT_EQ(0, dump_to(self->b, self->img));	/* root may */
	EXPECT_EQ(EPERM, try_as(UID_A, DUMP, self->b, self->img));
	EXPECT_EQ(EPERM, try_as(UID_A, ROLLBACK, self->b, self->img));
	/* B's process goes on, untouched. */
	ASSERT_EQ(0, ask_uid(&self->cb, &uid));
	EXPECT_EQ(UID_B, uid);
	/* B may dump itself: its own process. */
	EXPECT_EQ(0, try_as(UID_B, DUMP, self->b, self->img));
}

TEST_F(perm, user_cannot_restore_an_image_of_other_credentials)
{
	ASSERT_EQ(0, dump_to(self->b, self->img));
	/* A restoring B's image, as itself or onto its own process. */
	EXPECT_EQ(EPERM, try_as(UID_A, RESTORE_SELF, 0, self->img));
	EXPECT_EQ(EPERM, try_as(UID_A, ROLLBACK, self->a, self->img));
}

TEST_F(perm, user_may_roll_back_its_own_process)
{
	int32_t uid;

	ASSERT_EQ(0, dump_to(self->a, self->img));
	EXPECT_EQ(0, try_as(UID_A, ROLLBACK, self->a, self->img));
	ASSERT_EQ(0, ask_uid(&self->ca, &uid));
	EXPECT_EQ(UID_A, uid);
}

TEST_F(perm, root_may_roll_back_and_restore_any)
{
	int32_t uid;
	pid_t parent = getpid(), r;

	ASSERT_EQ(0, dump_to(self->b, self->img));
	ASSERT_EQ(0, lseek(self->img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(self->b, self->img, 0))
		TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(0, ask_uid(&self->cb, &uid));
	EXPECT_EQ(UID_B, uid);		/* rolled back, still B's */

	/* Restored by root as a new process: it runs, with root's ids. */
	kill(self->b, SIGKILL);
	ck_wait(self->b);
	self->b = 0;
	fflush(NULL);
	r = fork();
	ASSERT_LE(0, r);
	if (r == 0) {
		ck_child_init(parent);
		if (dup2(self->cb.cmd[0], CMD_FD) != CMD_FD ||
		    dup2(self->cb.rep[1], REP_FD) != REP_FD ||
		    lseek(self->img, 0, SEEK_SET) ||
		    dup2(self->img, IMG_FD) != IMG_FD)
			_exit(CK_EXIT_SETUP);
		ckpt_restore(0, IMG_FD, 0);
		_exit(CK_EXIT_NO_RESTORE);
	}
	ASSERT_EQ(0, ask_uid(&self->cb, &uid));
	EXPECT_EQ(0, uid);
	kill(r, SIGKILL);
	ck_wait(r);
}

TEST_HARNESS_MAIN
