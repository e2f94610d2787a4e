// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_DUMP_FILE_DATA: the image carries the content of the files the
 * process has open for writing, and a restore puts it back.
 *
 * A log written with O_APPEND is rolled back in place with the process:
 * the file is back to its checkpointed content and the process appends
 * from there, twice from one image; an image without the flag is refused
 * (ESTALE) and changes nothing.  A process that dumped itself is restored
 * in a fresh restorer and finds its file (a dup()ed and a second open, a
 * hole) as it was, at its path.  The bound is kept, with nothing written
 * beyond it; struct ckpt_dump_args is checked as clone3() checks its
 * struct; a restore that fails, or finds a hard-linked file at the path,
 * leaves the file and the target as they were and no file behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define LOG_FD		5	/* the log, O_WRONLY | O_APPEND */
#define IMG_FD		20	/* where a process dumps itself */

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static char dir[64], path[96];

static int make_dir(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/ckpt-%s-%d", name, (int)getpid());
	snprintf(path, sizeof(path), "%s/log", dir);
	return mkdir(dir, 0700) && errno != EEXIST ? -1 : 0;
}

/* The names in dir but "." and "..", as "a,b,": nothing left behind. */
static const char *dir_names(void)
{
	static char names[256];
	struct dirent *e;
	DIR *d = opendir(dir);

	names[0] = 0;
	if (!d)
		return "(no directory)";
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strlen(names) + strlen(e->d_name) + 2 < sizeof(names)) {
			strcat(names, e->d_name);
			strcat(names, ",");
		}
	closedir(d);
	return names;
}

static void remove_dir(void)
{
	struct dirent *e;
	char p[400];
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* The content of the file at path, NUL-terminated, or "(error)". */
static const char *content(void)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return "(error)";
	buf[n] = 0;
	return buf;
}

static int write_file(const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	int err = fd < 0 || ck_write_all(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return err ? -1 : 0;
}

static long dump_data(pid_t pid, int img, uint64_t max)
{
	struct ckpt_dump_args args = { .file_data_max = max };

	return ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, &args, sizeof(args));
}

/*
 * The logger: on 'w' it appends "rec N\n" to LOG_FD, N its own counter
 * from 0, and reports 'k'; its counter is in its memory only.
 */
static void __attribute__((noreturn)) logger(void)
{
	unsigned int n = 0;
	char c, line[32];

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c != 'w')
			continue;
		snprintf(line, sizeof(line), "rec %u\n", n++);
		if (ck_write_all(LOG_FD, line, strlen(line)) ||
		    write(CK_REP_FD, "k", 1) != 1)
			_exit(CK_EXIT_SETUP);
	}
}

static int logger_setup(void)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);

	return fd < 0 || ck_move_fd(fd, LOG_FD) != LOG_FD;
}

static int logger_write(int cmd, int rep, int times)
{
	char c;

	while (times--)
		if (write(cmd, "w", 1) != 1 || read(rep, &c, 1) != 1)
			return -1;
	return 0;
}

TEST(log_rolled_back_with_its_process)
{
	static const int keep[] = { LOG_FD };
	int img = ck_memfd("ckpt-fd-log"), plain = ck_memfd("ckpt-fd-plain");
	struct stat before, after;
	int cmd, rep;
	char c;
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_LE(0, plain);
	ASSERT_EQ(0, make_dir("filedata"));
	ASSERT_EQ(0, write_file(""));
	pid = ck_spawn_commanded(logger_setup, keep, 1, logger, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &c, 1));		/* ready */
	ASSERT_EQ(0, logger_write(cmd, rep, 3));
	ASSERT_EQ(0, dump_data(pid, img, 1 << 20)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, ckpt_dump(pid, plain, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, logger_write(cmd, rep, 2));
	ASSERT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\nrec 4\n", content());

	/* Without the content: the changed log is refused, nothing changes. */
	ASSERT_EQ(0, lseek(plain, 0, SEEK_SET));
	EXPECT_EQ(-1, ckpt_restore(pid, plain, 0));
	EXPECT_EQ(ESTALE, errno);
	ASSERT_EQ(0, logger_write(cmd, rep, 1));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\nrec 4\nrec 5\n", content());

	/* With it: the log and the process go back together, twice. */
	ASSERT_EQ(0, stat(path, &before));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\n", content());
	EXPECT_STREQ("log,", dir_names());
	ASSERT_EQ(0, stat(path, &after));
	EXPECT_EQ(before.st_mode, after.st_mode);
	EXPECT_EQ(before.st_uid, after.st_uid);
	EXPECT_EQ(before.st_gid, after.st_gid);
	ASSERT_EQ(0, logger_write(cmd, rep, 2));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\nrec 4\n", content());
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\n", content());
	ASSERT_EQ(0, logger_write(cmd, rep, 1));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\n", content());
	EXPECT_STREQ("log,", dir_names());
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);
	close(img);
	close(plain);
	remove_dir();
}

/*
 * A process with the file open read-write at 5 (dup()ed at 6) and
 * read-only at 7 (at 3), the file 256 KiB with a hole between its first
 * and last 4 KiB, dumps itself with its content and then rewrites the
 * file.  Restored in a fresh process, it finds the checkpointed content
 * through each fd and at the path, one file.
 */
#define HOLE_SIZE	(256 * 1024)

static int check_restored(void)
{
	struct stat s5, s7, sp;
	char buf[16];

	if (fstat(5, &s5) || fstat(7, &s7) || stat(path, &sp) ||
	    s5.st_ino != s7.st_ino || s5.st_ino != sp.st_ino ||
	    s5.st_size != HOLE_SIZE)
		return 11;
	if (lseek(7, 0, SEEK_CUR) != 3 || read(7, buf, 5) != 5 ||
	    memcmp(buf, "st da", 5))
		return 12;
	if (lseek(6, 0, SEEK_CUR) != HOLE_SIZE ||
	    lseek(5, 0, SEEK_CUR) != HOLE_SIZE)
		return 13;
	/* the hole is a hole, the tail is there */
	if (lseek(7, 0, SEEK_HOLE) > 64 * 1024 ||
	    lseek(7, 64 * 1024, SEEK_DATA) < HOLE_SIZE - 64 * 1024 ||
	    pread(7, buf, 4, HOLE_SIZE - 4) != 4 || memcmp(buf, "tail", 4))
		return 14;
	/* a write through 6 moves 5 and lands in the file at the path */
	if (write(6, "more", 4) != 4 || lseek(5, 0, SEEK_CUR) != HOLE_SIZE + 4)
		return 15;
	return 0;
}

static void __attribute__((noreturn)) self_dumper(int img)
{
	static const int keep[] = { 5, 6, 7, IMG_FD };
	char tail[4096];
	long ret;
	int fd;

	memset(tail, 'x', sizeof(tail));
	memcpy(tail + sizeof(tail) - 4, "tail", 4);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
	if (ck_move_fd(fd, 5) != 5 || dup2(5, 6) != 6 ||
	    ck_write_all(5, "first data", 10) ||
	    lseek(5, HOLE_SIZE - 4096, SEEK_SET) < 0 ||
	    ck_write_all(5, tail, sizeof(tail)))
		_exit(CK_EXIT_SETUP);
	fd = open(path, O_RDONLY);
	if (ck_move_fd(fd, 7) != 7 || lseek(7, 3, SEEK_SET) != 3 ||
	    ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 4);
	ret = dump_data(0, IMG_FD, 1 << 20);
	if (ret == CKPT_RESTORED)
		_exit(check_restored() ?: CK_EXIT_RESTORED);
	if (ret)
		_exit(CK_EXIT_DUMP_FAILED);
	/* the original rewrites it all */
	if (ftruncate(5, 0) || pwrite(5, "changed", 7, 0) != 7)
		_exit(CK_EXIT_SETUP);
	_exit(0);
}

TEST(self_dump_restored_with_its_file)
{
	struct stat st;
	int img, status;
	char buf[16];
	int fd;

	ASSERT_EQ(0, make_dir("filedata-self"));
	img = ck_dump_child("ckpt-fd-self", self_dumper, &status);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, status) TH_LOG("dumper: %s", STATUS(status));
	ASSERT_STREQ("changed", content());
	status = ck_restore_fresh(img, IMG_FD, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, status) TH_LOG("restored: %s", STATUS(status));
	/* what the restored process wrote is in the file at the path */
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(HOLE_SIZE + 4, st.st_size);
	EXPECT_EQ(10, pread(fd, buf, 10, 0));
	EXPECT_EQ(0, memcmp(buf, "first data", 10));
	EXPECT_EQ(4, pread(fd, buf, 4, HOLE_SIZE));
	EXPECT_EQ(0, memcmp(buf, "more", 4));
	close(fd);
	EXPECT_STREQ("log,", dir_names());
	close(img);
	remove_dir();
}

/* A process that has a 64 KiB file open for writing, paused. */
static int big_setup(void)
{
	static char buf[64 * 1024];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);

	memset(buf, 'b', sizeof(buf));
	return fd < 0 || ck_write_all(fd, buf, sizeof(buf)) ||
	       ck_move_fd(fd, LOG_FD) != LOG_FD;
}

TEST(bound_and_args)
{
	struct {
		struct ckpt_dump_args a;
		uint64_t next;
	} big = { { 1 << 20 }, 0 };
	struct ckpt_dump_args args = { .file_data_max = 1 << 20 };
	int img = ck_memfd("ckpt-fd-bound");
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, make_dir("filedata-bound"));
	pid = ck_spawn_paused(big_setup);
	ASSERT_LT(0, pid);

	/* beyond the bound: EFBIG, not a byte written */
	EXPECT_EQ(-1, dump_data(pid, img, 64 * 1024 - 1));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	/* the flag and the bound go together */
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, 0, &args, sizeof(args)));
	EXPECT_EQ(EINVAL, errno);
	/* the size, as clone3() checks it */
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, &args, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, 0, &args, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, NULL,
				sizeof(args)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA,
				(void *)8, sizeof(args)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, &big.a,
				(size_t)sysconf(_SC_PAGESIZE) + 1));
	EXPECT_EQ(E2BIG, errno);
	big.next = 1;
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, &big.a,
				sizeof(big)));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	/* a longer struct with zeros past ours is taken */
	big.next = 0;
	EXPECT_EQ(0, ckpt_dump(pid, img, CKPT_DUMP_FILE_DATA, &big.a,
			       sizeof(big))) TH_LOG("dump: %s", strerror(errno));
	EXPECT_LT(64 * 1024, lseek(img, 0, SEEK_END));
	ASSERT_EQ(0, ftruncate(img, 0));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	/* exactly the size fits */
	EXPECT_EQ(0, dump_data(pid, img, 64 * 1024)) TH_LOG("dump: %s", strerror(errno));
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(img);
	remove_dir();
}

/*
 * A restore that fails while staging (the image cut short before its
 * END), or that finds the file at the path linked twice, changes neither
 * the file nor the process, and leaves no file behind.
 */
TEST(failed_rollback_changes_no_file)
{
	static const int keep[] = { LOG_FD };
	int img = ck_memfd("ckpt-fd-fail"), cut, cmd, rep;
	char link2[128], c;
	struct ck_img im;
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, make_dir("filedata-fail"));
	ASSERT_EQ(0, write_file(""));
	pid = ck_spawn_commanded(logger_setup, keep, 1, logger, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, &c, 1));
	ASSERT_EQ(0, logger_write(cmd, rep, 2));
	ASSERT_EQ(0, dump_data(pid, img, 1 << 20)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, logger_write(cmd, rep, 1));
	ASSERT_EQ(0, ck_slurp(img, 1, &im));

	cut = ck_memfd_from(im.buf, im.len - 16);
	ASSERT_LE(0, cut);
	EXPECT_EQ(-1, ckpt_restore(pid, cut, 0));
	EXPECT_EQ(EBADMSG, errno);
	close(cut);
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\n", content());
	EXPECT_STREQ("log,", dir_names());
	ASSERT_EQ(0, logger_write(cmd, rep, 1));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\n", content());

	snprintf(link2, sizeof(link2), "%s/link", dir);
	ASSERT_EQ(0, link(path, link2));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(-1, ckpt_restore(pid, img, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\n", content());
	ASSERT_EQ(0, unlink(link2));
	EXPECT_STREQ("log,", dir_names());
	ASSERT_EQ(0, logger_write(cmd, rep, 1));
	EXPECT_STREQ("rec 0\nrec 1\nrec 2\nrec 3\nrec 4\n", content());

	/* and the image is good: a rollback after all */
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	EXPECT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	EXPECT_STREQ("rec 0\nrec 1\n", content());
	kill(pid, SIGKILL);
	ck_wait(pid);
	free(im.buf);
	close(cmd);
	close(rep);
	close(img);
	remove_dir();
}

TEST_HARNESS_MAIN
