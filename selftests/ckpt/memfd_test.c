// SPDX-License-Identifier: GPL-2.0
/*
 * memfds, and files deleted while mapped: name, seals, mode, content
 * (holes kept) and every mapping of them are in the image.
 *
 * A child has a sealable memfd at 3 (1 MiB and 8 KiB with two runs of
 * data, seals F_SEAL_SHRINK | F_SEAL_GROW, mode 0640, position 12345),
 * a second open of it at 4, read-only, a memfd made without
 * MFD_ALLOW_SEALING at 5; the memfd at 3 mapped shared and privately (one
 * page copied on write), a memfd whose descriptor is closed mapped shared,
 * and a file deleted while mapped shared.  It dumps itself; it and its
 * copy restored in a fresh restorer find every value again, and find that
 * the mappings and descriptors share one memfd.  Bad MEMFD records are
 * refused; a rollback gives a memfd its content and seals back.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif

#define IMG_FD		20
#define MFD		3	/* sealable, "ckpt-memfd" */
#define MFD_RO		4	/* a second open of it, read-only */
#define MFD_PLAIN	5	/* without MFD_ALLOW_SEALING, "plain" */

#define RUN1		(64 * 1024)		/* data at [0, RUN1) */
#define RUN2		(1024 * 1024)		/* data at [RUN2, RUN2 + 4 KiB) */
#define SIZE		(RUN2 + 8192)
#define POS		12345
#define SEALS		(F_SEAL_SHRINK | F_SEAL_GROW)

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static long page;
static char *sh, *pv, *mc, *del;	/* the mappings */

static unsigned char pat(long i, int k)
{
	return (unsigned char)(i * 7 + 3 * k + (i >> 8));
}

/* Is the line of /proc/self/maps for addr naming a path with sub in it? */
static int maps_names(const void *addr, const char *sub)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strtoul(line, NULL, 16) == (unsigned long)addr)
			found = strstr(line, sub) != NULL;
	fclose(f);
	return found;
}

static int fd_is(int fd, const char *want)
{
	char path[64], buf[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return !strcmp(buf, want);
}

static int check_memfds(int ok)
{
	unsigned char *buf = malloc(RUN1);
	struct stat st;
	char c;
	long i;

	if (!buf)
		return 9;
	/* fd 3: name, flags, position, size, mode, seals */
	if (!fd_is(MFD, "/memfd:ckpt-memfd (deleted)") ||
	    (fcntl(MFD, F_GETFL) & O_ACCMODE) != O_RDWR ||
	    fcntl(MFD, F_GETFD) != FD_CLOEXEC ||
	    lseek(MFD, 0, SEEK_CUR) != POS || fstat(MFD, &st) ||
	    st.st_size != SIZE || (st.st_mode & 07777) != 0640 ||
	    st.st_uid != geteuid() || fcntl(MFD, F_GET_SEALS) != SEALS)
		return 10;
	/* its content, holes where they were; the shared mapping's bytes */
	if (pread(MFD, buf, RUN1, 0) != RUN1 || memcmp(buf + 100, "SHMAP", 5))
		return 11;
	for (i = 0; i < RUN1; i++)
		if ((i < 100 || i >= 105) && buf[i] != pat(i, 1))
			return 11;
	if (lseek(MFD, 0, SEEK_HOLE) != RUN1 ||
	    lseek(MFD, RUN1, SEEK_DATA) != RUN2 ||
	    lseek(MFD, RUN2, SEEK_HOLE) != RUN2 + 4096 ||
	    pread(MFD, buf, 4096, RUN2) != 4096)
		return 12;
	for (i = 0; i < 4096; i++)
		if (buf[i] != pat(i, 2))
			return 12;
	if (lseek(MFD, POS, SEEK_SET) != POS)
		return 12;
	/* fd 4: read-only, its own position, the same memfd as fd 3 */
	if ((fcntl(MFD_RO, F_GETFL) & O_ACCMODE) != O_RDONLY ||
	    fcntl(MFD_RO, F_GETFD) != 0 || lseek(MFD_RO, 0, SEEK_CUR) != 100 ||
	    !fd_is(MFD_RO, "/memfd:ckpt-memfd (deleted)"))
		return 13;
	sh[200] = 'Q';
	if (pread(MFD_RO, &c, 1, 200) != 1 || c != 'Q')
		return 13;
	/* the private mapping: its copied page kept, the other one the file's */
	if (pv[0] != 'P' || memcmp(pv + 100, "SHMAP", 5) ||
	    pv[200] != (char)pat(200, 1) ||
	    pv[page + 1] != (char)pat(page + 1, 1))
		return 14;
	if (pwrite(MFD, "R", 1, page + 5) != 1 || pv[page + 5] != 'R' ||
	    pwrite(MFD, "S", 1, 5) != 1 || pv[5] == 'S' || sh[5] != 'S')
		return 14;
	/* the seals hold, and F_ADD_SEALS still checks the mappings */
	errno = 0;
	if (ftruncate(MFD, 0) != -1 || errno != EPERM)
		return 15;
	errno = 0;
	if (fcntl(MFD, F_ADD_SEALS, F_SEAL_WRITE) != -1 || errno != EBUSY)
		return 15;
	/* fd 5: not sealable */
	if (!fd_is(MFD_PLAIN, "/memfd:plain (deleted)") ||
	    fcntl(MFD_PLAIN, F_GET_SEALS) != F_SEAL_SEAL ||
	    pread(MFD_PLAIN, buf, 6, 0) != 5 || memcmp(buf, "hello", 5))
		return 16;
	errno = 0;
	if (fcntl(MFD_PLAIN, F_ADD_SEALS, F_SEAL_GROW) != -1 || errno != EPERM)
		return 16;
	/* a memfd mapped only, and a deleted file mapped */
	for (i = 0; i < 3 * page; i++)
		if (mc[i] != (char)pat(i, 3))
			return 17;
	if (!maps_names(mc, "/memfd:mapped-only (deleted)"))
		return 17;
	if (memcmp(del, "DEL", 3) || del[page + 7] != (char)pat(page + 7, 4) ||
	    !maps_names(del, "/tmp/") || !maps_names(del, "(deleted)"))
		return 18;
	free(buf);
	return ok;
}

static int make_memfds(void)
{
	unsigned char *buf = malloc(RUN1);
	char path[64];
	int fd;
	long i;

	if (!buf)
		return -1;
	for (i = 0; i < RUN1; i++)
		buf[i] = pat(i, 1);
	if (memfd_create("ckpt-memfd", MFD_ALLOW_SEALING | MFD_CLOEXEC) != MFD ||
	    ftruncate(MFD, SIZE) || pwrite(MFD, buf, RUN1, 0) != RUN1)
		return -1;
	for (i = 0; i < 4096; i++)
		buf[i] = pat(i, 2);
	if (pwrite(MFD, buf, 4096, RUN2) != 4096 || fchmod(MFD, 0640) ||
	    fcntl(MFD, F_ADD_SEALS, SEALS) || lseek(MFD, POS, SEEK_SET) != POS)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", MFD);
	if (open(path, O_RDONLY) != MFD_RO || lseek(MFD_RO, 100, SEEK_SET) != 100)
		return -1;
	if (memfd_create("plain", 0) != MFD_PLAIN ||
	    write(MFD_PLAIN, "hello", 5) != 5)
		return -1;

	sh = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, MFD, 0);
	pv = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, MFD, 0);
	if (sh == MAP_FAILED || pv == MAP_FAILED)
		return -1;
	memcpy(sh + 100, "SHMAP", 5);
	pv[0] = 'P';

	fd = memfd_create("mapped-only", 0);
	if (fd < 0 || ftruncate(fd, 3 * page))
		return -1;
	mc = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mc == MAP_FAILED)
		return -1;
	for (i = 0; i < 3 * page; i++)
		mc[i] = (char)pat(i, 3);

	for (i = 0; i < 2 * page; i++)
		buf[i] = pat(i, 4);
	fd = ck_tmpfile(path, sizeof(path), buf, 2 * page);
	if (fd < 0)
		return -1;
	del = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	unlink(path);
	if (del == MAP_FAILED)
		return -1;
	memcpy(del, "DEL", 3);
	free(buf);
	return 0;
}

static void __attribute__((noreturn)) run_p(int img)
{
	long ret;

	page = sysconf(_SC_PAGESIZE);
	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (make_memfds())
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(check_memfds(0));
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(check_memfds(CK_EXIT_RESTORED));
}

TEST(memfds_and_deleted_mappings_come_back)
{
	int img, st;

	img = ck_dump_child("ckpt-memfd-img", run_p, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("the dumped process: %s (9-18: see check_memfds())",
				STATUS(st));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (9-18: see check_memfds())",
					       STATUS(st));
	close(img);
}

TEST(bad_memfd_records)
{
	struct ck_img im;
	struct ck_rec r;
	int st;
	size_t at;

	st = ck_dump_child_img("ckpt-memfd-img", run_p, &im);
	ASSERT_EQ(0, st);
	/* a memfd mapped shared and writable, as both mapped ones are */
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_MEMFD, 0, &r));
	at = r.p - im.buf;
	st = ck_try_patched(&im, at + CK_OFF(ckpt_memfd, seals), 1U << 10, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("unknown seal: %s", STATUS(st));
	st = ck_try_patched(&im, at + CK_OFF(ckpt_memfd, id), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("the seals of file 9999: %s", STATUS(st));
	/* F_ADD_SEALS' own check: no F_SEAL_WRITE while mapped shared writable */
	st = ck_try_patched(&im, at + CK_OFF(ckpt_memfd, seals),
			    SEALS | F_SEAL_WRITE, 4);
	EXPECT_EQ(EBUSY, st) TH_LOG("F_SEAL_WRITE on a memfd mapped shared: %s",
				    STATUS(st));
	/* the FILE record of a memfd without its MEMFD record */
	ck_img_remove(&im, r.off, r.size);
	ck_img_reseal(&im);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(EINVAL, st) TH_LOG("no MEMFD record: %s", STATUS(st));
	free(im.buf);
}

/*
 * Rollback: a kid with a sealable memfd at 3 holding "before" is dumped,
 * then writes "after!" into it and seals it against writes; rolled back,
 * it reads "before" and its memfd has no seals.
 */
static void __attribute__((noreturn)) kid(void)
{
	char c, buf[8];

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'c') {
			if (pwrite(3, "after!", 6, 0) != 6 ||
			    fcntl(3, F_ADD_SEALS, F_SEAL_WRITE))
				_exit(CK_EXIT_SETUP);
			buf[0] = 0;
		} else {
			memset(buf, 0, sizeof(buf));
			if (pread(3, buf, 6, 0) != 6)
				buf[0] = 0;
			buf[7] = (char)fcntl(3, F_GET_SEALS);
		}
		if (write(CK_REP_FD, buf, sizeof(buf)) != sizeof(buf))
			_exit(CK_EXIT_SETUP);
	}
}

static int kid_setup(void)
{
	close(3);
	return memfd_create("rb", MFD_ALLOW_SEALING) != 3 ||
	       write(3, "before", 6) != 6;
}

TEST(rollback_gives_a_memfd_its_content_and_seals_back)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-memfd-rb"), cmd, rep;
	char buf[8] = "";
	pid_t pid;

	ASSERT_LE(0, img);
	pid = ck_spawn_commanded(kid_setup, keep, 1, kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, buf, 1));		/* ready */
	EXPECT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	EXPECT_EQ(1, write(cmd, "c", 1));
	EXPECT_EQ(sizeof(buf), read(rep, buf, sizeof(buf)));
	EXPECT_EQ(1, write(cmd, "r", 1));
	EXPECT_EQ(sizeof(buf), read(rep, buf, sizeof(buf)));
	EXPECT_STREQ("after!", buf);
	EXPECT_EQ(F_SEAL_WRITE, buf[7]);
	EXPECT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	EXPECT_EQ(1, write(cmd, "r", 1));
	EXPECT_EQ(sizeof(buf), read(rep, buf, sizeof(buf)));
	EXPECT_STREQ("before", buf);
	EXPECT_EQ(0, buf[7]);
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(img);
}

TEST_HARNESS_MAIN
