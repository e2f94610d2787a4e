// SPDX-License-Identifier: GPL-2.0
/*
 * Children are not in the image, and nothing pretends they are.
 *
 * The image of a process with a child and a zombie names both (CHILD
 * records); a restore as a new process refuses it with EOPNOTSUPP unless
 * the caller passes CKPT_RESTORE_WITHOUT_CHILDREN, and the process then
 * has no child.  A rollback in place keeps the live child: the process
 * rolled back still waits for it.  A malformed CHILD record is EINVAL.
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

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

TEST(children_named_in_the_image)
{
	struct ck_img im;
	struct ck_rec r;
	int st, e, i, kid = 0, zombie = 0;

	st = ck_dump_child_img("ckpt-children", ck_run_with_children, &im);
	ASSERT_EQ(0, st) TH_LOG("dumped process: %s", STATUS(st));
	e = ck_img_endian(&im);
	for (i = 0; ck_img_find(&im, CKPT_REC_CHILD, i, &r); i++) {
		uint32_t flags = ck_get32(r.p + CK_OFF(ckpt_child, flags), e);
		const char *comm = (const char *)r.p + CK_OFF(ckpt_child, comm);

		EXPECT_NE(0, ck_get32(r.p + CK_OFF(ckpt_child, pid), e));
		if (!strcmp(comm, "ckpt-kid") && !flags)
			kid++;
		else if (!strcmp(comm, "ckpt-zombie") && flags == CKPT_CHILD_ZOMBIE)
			zombie++;
	}
	EXPECT_EQ(2, i);
	EXPECT_EQ(1, kid);
	EXPECT_EQ(1, zombie);
	/* right after the PROC record */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_PROC, 0, &r));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(1, ck_img_next(&im, &r));
	ASSERT_EQ(1, ck_img_next(&im, &r));
	EXPECT_EQ(CKPT_REC_CHILD, r.type);
	free(im.buf);
}

TEST(restore_refused_unless_without_children)
{
	int img, st;

	img = ck_dump_child("ckpt-children", ck_run_with_children, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("dumped process: %s", STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(EOPNOTSUPP, st) TH_LOG("without the flag: %s", STATUS(st));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	st = ck_restore_fresh(img, 30, CKPT_RESTORE_WITHOUT_CHILDREN);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("with it: %s (10: it has a child)",
					       STATUS(st));
	close(img);
}

/* Move the first CHILD record of c to just after its MM record. */
static int child_after_mm(struct ck_img *c)
{
	unsigned char rec[64];
	struct ck_rec r, mm;

	if (!ck_img_find(c, CKPT_REC_CHILD, 0, &r) || r.size > sizeof(rec))
		return -1;
	memcpy(rec, c->buf + r.off, r.size);
	ck_img_remove(c, r.off, r.size);
	if (!ck_img_find(c, CKPT_REC_MM, 0, &mm))
		return -1;
	return ck_img_insert(c, mm.off + mm.size, rec, r.size);
}

/* Bad CHILD records: unknown flags, a name without its NUL, misplaced. */
TEST(bad_child_records_einval)
{
	struct ck_img im, c;
	struct ck_rec r;
	size_t at;
	int st;

	st = ck_dump_child_img("ckpt-children", ck_run_with_children, &im);
	ASSERT_EQ(0, st);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_CHILD, 0, &r));
	at = r.p - im.buf;

	st = ck_try_patched(&im, at + CK_OFF(ckpt_child, flags), 1U << 7, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("unknown flag: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_child, comm) + 8,
			    0x4141414141414141ull, 8);
	EXPECT_EQ(EINVAL, st) TH_LOG("name not terminated: %s", STATUS(st));

	/* a CHILD record moved after the MM record */
	c = im;
	c.buf = malloc(im.len);
	c.cap = im.len;
	ASSERT_NE(NULL, c.buf);
	memcpy(c.buf, im.buf, im.len);
	ASSERT_EQ(0, child_after_mm(&c));
	ck_img_reseal(&c);
	st = ck_try_restore_flags(c.buf, c.len, CKPT_RESTORE_WITHOUT_CHILDREN);
	EXPECT_EQ(EINVAL, st) TH_LOG("CHILD after MM: %s", STATUS(st));
	free(c.buf);
	free(im.buf);
}

/*
 * Rollback in place: P has a child C and is dumped; rolled back, it
 * still has C, and waitpid() gets C's end.
 */

static void __attribute__((noreturn)) parent_of_one(void)
{
	int32_t v[3];
	pid_t kid;
	char c;
	int st;

	kid = fork();
	if (kid == 0) {
		for (;;)
			pause();
	}
	v[0] = kid;
	if (kid < 0 || write(CK_REP_FD, v, sizeof(v)) != sizeof(v))
		_exit(CK_EXIT_SETUP);
	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'w') {		/* end the child and wait for it */
			kill(kid, SIGTERM);
			v[1] = waitpid(kid, &st, 0);
			v[2] = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
			if (write(CK_REP_FD, v, sizeof(v)) != sizeof(v))
				_exit(CK_EXIT_SETUP);
		}
	}
}

TEST(rollback_keeps_the_live_children)
{
	int img = ck_memfd("ckpt-children-rb"), cmd, rep;
	int32_t v[3];
	pid_t pid;

	ASSERT_LE(0, img);
	pid = ck_spawn_commanded(NULL, NULL, 0, parent_of_one, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, v, 1));		/* ready */
	ASSERT_EQ(sizeof(v), read(rep, v, sizeof(v)));
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "w", 1));
	ASSERT_EQ(sizeof(v), read(rep, v, sizeof(v)));
	EXPECT_EQ(v[0], v[1]) TH_LOG("waitpid: %d, the child was %d", v[1], v[0]);
	EXPECT_EQ(SIGTERM, v[2]);
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(img);
}

TEST_HARNESS_MAIN
