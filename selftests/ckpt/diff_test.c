// SPDX-License-Identifier: GPL-2.0
/*
 * Differential dumps (CKPT_DUMP_BASE, CKPT_DUMP_DIFF): an image of what a
 * process changed since a base image, the rest read from the base.
 *
 * A process with 8 MiB of private memory, each page tagged, is dumped as
 * a base; then it rewrites 1% of its pages, discards one (MADV_DONTNEED),
 * maps a new region and unmaps an old one, and is dumped against the
 * base with --kill.  The diff is a small fraction of the base, and a fresh
 * process restored from it has every page as the process left it, value
 * by value: the rewritten ones, the discarded one zero, the others the
 * base's, the new region there and the old one gone.  A second diff after
 * more changes is against the base still.  A base image changed since is
 * refused: its bytes (EBADMSG), its time (ESTALE), its absence (ENOENT).
 * The misuses of both flags are refused, with nothing written.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define BIG_PAGES	2048		/* 8 MiB of 4 KiB pages */
#define PG		4096
#define WORDS		(PG / 4)
#define REGION_PAGES	16
#define ZAPPED		5		/* the page MADV_DONTNEED discards */
#define BASE_PATH	"/tmp/ckpt-diff-base"
#define DIFF_PATH	"/tmp/ckpt-diff-diff"

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static uint32_t *big;
static uint32_t *region;	/* mapped after the base */
static uint32_t *gone;		/* unmapped after the base */

/* Page @i holds (tag << 16 | i) in three of its words, the rest zero. */
static void tag_page(uint32_t *p, uint32_t i, uint32_t tag)
{
	p[0] = tag << 16 | i;
	p[WORDS / 2] = ~(tag << 16 | i);
	p[WORDS - 1] = tag << 16 | i;
}

/* The tag page @i holds, -1 for none (zero: -2). */
static int page_tag(const uint32_t *p, uint32_t i)
{
	uint32_t v = p[0];
	unsigned int k;

	if (!v && !p[WORDS / 2] && !p[WORDS - 1]) {
		for (k = 0; k < WORDS; k++)
			if (p[k])
				return -1;
		return -2;
	}
	if ((v & 0xffff) != i || p[WORDS / 2] != ~v || p[WORDS - 1] != v)
		return -1;
	return (int)(v >> 16);
}

struct report {
	int32_t tags[4];	/* pages of big with tag 0..3 */
	int32_t zero;		/* pages of big all zero */
	int32_t bad;		/* pages of big with anything else */
	int32_t zapped;		/* page ZAPPED's tag, -2 for zero */
	int32_t region;		/* the new region: its tag, -1 if not whole */
	int32_t gone_mapped;	/* the unmapped region is mapped */
	int32_t pid;
};

static int kid_setup(void)
{
	uint32_t i;

	big = mmap(NULL, BIG_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone = mmap(NULL, REGION_PAGES * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || gone == MAP_FAILED)
		return -1;
	for (i = 0; i < BIG_PAGES; i++)
		tag_page(big + i * WORDS, i, 0);
	for (i = 0; i < REGION_PAGES; i++)
		tag_page(gone + i * WORDS, i, 0);
	return 0;
}

static void report(struct report *r)
{
	unsigned char vec;
	uint32_t i;
	int t;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < BIG_PAGES; i++) {
		t = page_tag(big + i * WORDS, i);
		if (t >= 0 && t < 4)
			r->tags[t]++;
		else if (t == -2)
			r->zero++;
		else
			r->bad++;
	}
	r->zapped = page_tag(big + ZAPPED * WORDS, ZAPPED);
	r->region = -1;
	if (region) {
		r->region = page_tag(region, 0);
		for (i = 1; i < REGION_PAGES; i++)
			if (page_tag(region + i * WORDS, i) != r->region)
				r->region = -1;
	}
	r->gone_mapped = mincore(gone, PG, &vec) == 0;
	r->pid = getpid();
}

/*
 * 'a': pages i % 100 == 0 get tag 1, page ZAPPED is discarded, a new
 * region with tag 3 is mapped and the old one unmapped; 'b': pages
 * i % 100 == 50 get tag 2; 'r': a report only.
 */
static void __attribute__((noreturn)) kid(void)
{
	struct report r;
	uint32_t i;
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'a') {
			for (i = 0; i < BIG_PAGES; i += 100)
				tag_page(big + i * WORDS, i, 1);
			if (madvise(big + ZAPPED * WORDS, PG, MADV_DONTNEED))
				_exit(CK_EXIT_SETUP);
			region = mmap(NULL, REGION_PAGES * PG,
				      PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (region == MAP_FAILED || munmap(gone, REGION_PAGES * PG))
				_exit(CK_EXIT_SETUP);
			for (i = 0; i < REGION_PAGES; i++)
				tag_page(region + i * WORDS, i, 3);
		} else if (c == 'b') {
			for (i = 50; i < BIG_PAGES; i += 100)
				tag_page(big + i * WORDS, i, 2);
		}
		report(&r);
		if (write(CK_REP_FD, &r, sizeof(r)) != sizeof(r))
			_exit(CK_EXIT_SETUP);
	}
}

static int ask(int cmd, int rep, char c, struct report *r)
{
	if (write(cmd, &c, 1) != 1)
		return -1;
	return read(rep, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static pid_t spawn_kid(int *cmd, int *rep)
{
	pid_t pid = ck_spawn_commanded(kid_setup, NULL, 0, kid, cmd, rep);
	char c;

	if (pid > 0 && read(*rep, &c, 1) != 1)
		return -1;
	return pid;
}

/*
 * Restore the image at @path in a fresh child, commanded as the kid; a
 * restore that fails exits with its errno.
 */
static pid_t restore_fresh(const char *path, int *cmd, int *rep)
{
	pid_t pid = ck_fork_piped(cmd, rep);

	if (pid == 0) {
		static const int keep[] = { 50, CK_CMD_FD, CK_REP_FD };
		int fd = open(path, O_RDONLY);

		if (fd < 0 || ck_move_fd(*cmd, CK_CMD_FD) != CK_CMD_FD ||
		    ck_move_fd(*rep, CK_REP_FD) != CK_REP_FD ||
		    ck_move_fd(fd, 50) != 50)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 3);
		ckpt_restore(0, 50, 0);
		_exit(errno & 0xff);
	}
	return pid;
}

static int open_image(const char *path)
{
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* What a fresh process restored from @path reports; 0 or -1. */
static int restored_report(const char *path, struct report *r, pid_t *pid)
{
	int cmd, rep, ret;

	*pid = restore_fresh(path, &cmd, &rep);
	if (*pid <= 0)
		return -1;
	ret = ask(cmd, rep, 'r', r);
	close(cmd);
	close(rep);
	return ck_wait(*pid) == 0 ? ret : -1;
}

TEST(diff_restores_what_changed_since_the_base)
{
	struct report now, back;
	int cmd, rep, bfd, dfd;
	pid_t pid, rpid;
	long base;

	pid = spawn_kid(&cmd, &rep);
	ASSERT_LT(0, pid);
	bfd = open_image(BASE_PATH);
	dfd = open_image(DIFF_PATH);
	ASSERT_LE(0, bfd);
	ASSERT_LE(0, dfd);
	base = ckpt_dump(pid, bfd, CKPT_DUMP_BASE, NULL, 0);
	ASSERT_LE(3, base) TH_LOG("base: %s", strerror(errno));
	EXPECT_EQ(FD_CLOEXEC, fcntl(base, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, ask(cmd, rep, 'a', &now));
	EXPECT_EQ(21, now.tags[1]);
	EXPECT_EQ(-2, now.zapped);
	EXPECT_EQ(3, now.region);
	EXPECT_EQ(0, now.gone_mapped);
	{
		struct ckpt_dump_args args = { .base_fd = (int)base };

		ASSERT_EQ(0, ckpt_dump(pid, dfd, CKPT_DUMP_DIFF | CKPT_DUMP_KILL,
				       &args, sizeof(args)))
			TH_LOG("diff: %s", strerror(errno));
	}
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(cmd);
	close(rep);
	close(base);
	close(bfd);
	close(dfd);
	TH_LOG("base image %lld bytes, diff %lld",
	       (long long)file_size(BASE_PATH), (long long)file_size(DIFF_PATH));
	/* 8 MiB in the base; 21 + 16 pages and the records in the diff */
	EXPECT_LT(BIG_PAGES * PG, file_size(BASE_PATH));
	EXPECT_GT(file_size(BASE_PATH) / 20, file_size(DIFF_PATH));

	ASSERT_EQ(0, restored_report(DIFF_PATH, &back, &rpid));
	EXPECT_EQ(now.tags[0], back.tags[0]);
	EXPECT_EQ(21, back.tags[1]);
	EXPECT_EQ(1, back.zero);
	EXPECT_EQ(0, back.bad);
	EXPECT_EQ(-2, back.zapped);
	EXPECT_EQ(3, back.region);
	EXPECT_EQ(0, back.gone_mapped);
	EXPECT_EQ(rpid, back.pid);

	/* ckpt show reads the diff, and lists what it takes from the base */
	{
		char line[256];
		int nbase = 0, p[2];
		pid_t show;
		FILE *f;

		ASSERT_EQ(0, pipe(p));
		fflush(NULL);
		show = fork();
		ASSERT_LE(0, show);
		if (show == 0) {
			dup2(p[1], 1);
			execl("/bin/ckpt", "ckpt", "show", DIFF_PATH, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		f = fdopen(p[0], "r");
		ASSERT_NE(NULL, f);
		while (fgets(line, sizeof(line), f))
			nbase += strstr(line, " BASE ") != NULL;
		fclose(f);
		EXPECT_EQ(0, ck_wait(show));
		EXPECT_LT(0, nbase);
	}

	/* the base is an image as any other: the process as it was */
	ASSERT_EQ(0, restored_report(BASE_PATH, &back, &rpid));
	EXPECT_EQ(BIG_PAGES, back.tags[0]);
	EXPECT_EQ(0, back.bad);
	EXPECT_EQ(-1, back.region);
	EXPECT_EQ(1, back.gone_mapped);
	unlink(BASE_PATH);
	unlink(DIFF_PATH);
}

TEST(a_second_diff_is_against_the_base_still)
{
	struct report now, back;
	int cmd, rep, bfd, d1, d2;
	pid_t pid, rpid;
	long base;

	pid = spawn_kid(&cmd, &rep);
	ASSERT_LT(0, pid);
	bfd = open_image(BASE_PATH);
	d1 = open_image(DIFF_PATH);
	d2 = open_image(DIFF_PATH "2");
	ASSERT_LE(0, d2);
	base = ckpt_dump(pid, bfd, CKPT_DUMP_BASE | CKPT_DUMP_COW, NULL, 0);
	ASSERT_LE(3, base) TH_LOG("base: %s", strerror(errno));
	ASSERT_EQ(0, ask(cmd, rep, 'a', &now));
	{
		struct ckpt_dump_args args = { .base_fd = (int)base };

		ASSERT_EQ(0, ckpt_dump(pid, d1, CKPT_DUMP_DIFF, &args,
				       sizeof(args)));
		ASSERT_EQ(0, ask(cmd, rep, 'b', &now));
		EXPECT_EQ(20, now.tags[2]);
		ASSERT_EQ(0, ckpt_dump(pid, d2, CKPT_DUMP_DIFF | CKPT_DUMP_COW,
				       &args, sizeof(args)));
	}
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(base);
	close(bfd);
	close(d1);
	close(d2);
	/* the second holds the pages of both changes */
	EXPECT_LT(file_size(DIFF_PATH), file_size(DIFF_PATH "2"));

	ASSERT_EQ(0, restored_report(DIFF_PATH "2", &back, &rpid));
	EXPECT_EQ(21, back.tags[1]);
	EXPECT_EQ(20, back.tags[2]);
	EXPECT_EQ(BIG_PAGES - 41 - 1, back.tags[0]);
	EXPECT_EQ(0, back.bad);
	EXPECT_EQ(3, back.region);
	ASSERT_EQ(0, restored_report(DIFF_PATH, &back, &rpid));
	EXPECT_EQ(21, back.tags[1]);
	EXPECT_EQ(0, back.tags[2]);
	EXPECT_EQ(0, back.bad);
	unlink(BASE_PATH);
	unlink(DIFF_PATH);
	unlink(DIFF_PATH "2");
}

/* The file offset of the base record the diff's first BASE_PAGES reads. */
static int64_t first_base_offset(const char *diff)
{
	struct ck_rec r = { 0 };
	struct ck_img im;
	int64_t off = -1;
	int fd = open(diff, O_RDONLY);

	if (fd < 0 || ck_slurp(fd, 0, &im))
		return -1;
	close(fd);
	while (ck_img_next(&im, &r))
		if (r.type == CKPT_REC_BASE_PAGES) {
			off = (int64_t)ck_get64(r.p + CK_OFF(ckpt_base_pages,
							      offset),
						ck_img_endian(&im));
			break;
		}
	free(im.buf);
	return off;
}

/*
 * ckpt_restore() of the image at @path in a fresh child with the kid's
 * pipes: 0 if it ran (and ended when told), else the errno it failed with.
 */
static int try_restore_path(const char *path)
{
	int cmd, rep, st;
	pid_t pid = restore_fresh(path, &cmd, &rep);

	if (pid < 0)
		return -1;
	close(cmd);		/* a restored kid ends on it */
	st = ck_wait(pid);
	close(rep);
	return st;
}

TEST(a_base_changed_since_is_refused)
{
	struct timespec times[2];
	struct report now;
	int cmd, rep, bfd, dfd, st;
	struct stat sb;
	int64_t off;
	char c;
	long base;
	pid_t pid;

	pid = spawn_kid(&cmd, &rep);
	ASSERT_LT(0, pid);
	bfd = open_image(BASE_PATH);
	dfd = open_image(DIFF_PATH);
	base = ckpt_dump(pid, bfd, CKPT_DUMP_BASE, NULL, 0);
	ASSERT_LE(3, base) TH_LOG("base: %s", strerror(errno));
	ASSERT_EQ(0, ask(cmd, rep, 'a', &now));
	{
		struct ckpt_dump_args args = { .base_fd = (int)base };

		ASSERT_EQ(0, ckpt_dump(pid, dfd, CKPT_DUMP_DIFF, &args,
				       sizeof(args)));
	}
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(base);
	close(dfd);
	EXPECT_EQ(0, try_restore_path(DIFF_PATH));

	/* a page byte of the base, its size and time kept: EBADMSG */
	off = first_base_offset(DIFF_PATH);
	ASSERT_LT(0, off);
	ASSERT_EQ(0, fstat(bfd, &sb));
	ASSERT_EQ(1, pread(bfd, &c, 1, off + 16 + 24 + 100));
	c ^= 0x40;
	ASSERT_EQ(1, pwrite(bfd, &c, 1, off + 16 + 24 + 100));
	times[0] = sb.st_atim;
	times[1] = sb.st_mtim;
	ASSERT_EQ(0, futimens(bfd, times));
	st = try_restore_path(DIFF_PATH);
	EXPECT_EQ(EBADMSG, st) TH_LOG("%s", STATUS(st));
	/* its time changed: ESTALE */
	c ^= 0x40;
	ASSERT_EQ(1, pwrite(bfd, &c, 1, off + 16 + 24 + 100));
	st = try_restore_path(DIFF_PATH);
	EXPECT_EQ(ESTALE, st) TH_LOG("%s", STATUS(st));
	/* gone: ENOENT */
	close(bfd);
	unlink(BASE_PATH);
	st = try_restore_path(DIFF_PATH);
	EXPECT_EQ(ENOENT, st) TH_LOG("%s", STATUS(st));
	unlink(DIFF_PATH);
}

static int nothing(void)
{
	return 0;
}

static void __attribute__((noreturn)) idle(void)
{
	char c;

	while (read(CK_CMD_FD, &c, 1) == 1)
		;
	_exit(0);
}

TEST(misuses_are_refused_with_nothing_written)
{
	static const unsigned int bad_with_base[] = {
		CKPT_DUMP_STOP, CKPT_DUMP_KILL, CKPT_DUMP_SNAPSHOT,
		CKPT_DUMP_DIFF,
	};
	struct ckpt_dump_args args = { 0 };
	int cmd, rep, cmd2, rep2, fd, bfd, p[2];
	pid_t pid, other;
	long base, b2;
	unsigned int i;
	char c;

	pid = ck_spawn_commanded(nothing, NULL, 0, idle, &cmd, &rep);
	other = ck_spawn_commanded(nothing, NULL, 0, idle, &cmd2, &rep2);
	ASSERT_LT(0, pid);
	ASSERT_LT(0, other);
	ASSERT_EQ(1, read(rep, &c, 1));
	ASSERT_EQ(1, read(rep2, &c, 1));
	fd = open_image(DIFF_PATH);
	ASSERT_LE(0, fd);

	for (i = 0; i < ARRAY_SIZE(bad_with_base); i++) {
		EXPECT_EQ(-1, ckpt_dump(pid, fd, CKPT_DUMP_BASE |
					bad_with_base[i], NULL, 0));
		EXPECT_EQ(EINVAL, errno) TH_LOG("with %#x", bad_with_base[i]);
	}
	/* of the caller itself */
	EXPECT_EQ(-1, ckpt_dump(0, fd, CKPT_DUMP_BASE, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	/* into a pipe, or a file open for appending */
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, ckpt_dump(pid, p[1], CKPT_DUMP_BASE, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	close(p[0]);
	close(p[1]);
	{
		int afd = open(DIFF_PATH "a", O_WRONLY | O_CREAT | O_APPEND, 0600);

		ASSERT_LE(0, afd);
		EXPECT_EQ(-1, ckpt_dump(pid, afd, CKPT_DUMP_BASE, NULL, 0));
		EXPECT_EQ(EINVAL, errno);
		close(afd);
		EXPECT_EQ(0, file_size(DIFF_PATH "a"));
		unlink(DIFF_PATH "a");
	}

	/* a diff against no base, a closed fd, another's base */
	args.base_fd = fd;
	EXPECT_EQ(-1, ckpt_dump(pid, fd, CKPT_DUMP_DIFF, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);
	args.base_fd = 999;
	EXPECT_EQ(-1, ckpt_dump(pid, fd, CKPT_DUMP_DIFF, &args, sizeof(args)));
	EXPECT_EQ(EBADF, errno);
	bfd = open_image(BASE_PATH);
	ASSERT_LE(0, bfd);
	base = ckpt_dump(other, bfd, CKPT_DUMP_BASE, NULL, 0);
	ASSERT_LE(3, base) TH_LOG("base: %s", strerror(errno));
	args.base_fd = (int)base;
	EXPECT_EQ(-1, ckpt_dump(pid, fd, CKPT_DUMP_DIFF, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);
	/* a base fd without the flag; a pad not zero */
	EXPECT_EQ(-1, ckpt_dump(other, fd, 0, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);
	args.pad = 1;
	EXPECT_EQ(-1, ckpt_dump(other, fd, CKPT_DUMP_DIFF, &args,
				sizeof(args)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, file_size(DIFF_PATH));
	/* and with the right base it works; a base is no image */
	args.pad = 0;
	EXPECT_EQ(0, ckpt_dump(other, fd, CKPT_DUMP_DIFF, &args,
			       sizeof(args)));
	EXPECT_LT(0, file_size(DIFF_PATH));
	/* a base image removed: no diff a restore could not read */
	ASSERT_EQ(0, rename(BASE_PATH, BASE_PATH "2"));
	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(0, ckpt_dump(other, fd, CKPT_DUMP_DIFF, &args,
			       sizeof(args)));	/* moved: named where it is */
	ASSERT_EQ(0, unlink(BASE_PATH "2"));
	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(-1, ckpt_dump(other, fd, CKPT_DUMP_DIFF, &args,
				sizeof(args)));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(0, file_size(DIFF_PATH));
	b2 = ckpt_restore(other, (int)base, 0);
	EXPECT_EQ(-1, b2);
	EXPECT_EQ(EINVAL, errno);

	close(base);
	close(bfd);
	close(fd);
	close(cmd);
	close(cmd2);
	EXPECT_EQ(0, ck_wait(pid));
	EXPECT_EQ(0, ck_wait(other));
	close(rep);
	close(rep2);
	unlink(DIFF_PATH);
}

TEST_HARNESS_MAIN
