// SPDX-License-Identifier: GPL-2.0
/*
 * The file descriptor table in the image.
 *
 * A child sets up descriptors of several kinds, with gaps, dup()ed pairs,
 * positions and flags, and dumps itself; a fresh restorer that holds none
 * of them (only pipes it hands over at the same numbers) restores it, and
 * the restored process checks every descriptor value by value.  Also: a
 * changed file is refused unless the caller allows it, unsupported kinds
 * fail the dump with nothing written, a malformed FD record is EINVAL, and
 * a rollback in place closes what was opened since and reopens what was
 * closed since.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define IMG_FD		20	/* where the dumped process writes its image */
#define PIPE_FD		15	/* a pipe the restorer hands over */

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static char dir[64], path_a[80], path_b[80];

/* A directory with file a (4096 known bytes) and an empty file b. */
static int make_files(void)
{
	unsigned char buf[4096];
	int fd, i;

	snprintf(dir, sizeof(dir), "/tmp/ckpt-files-%d", (int)getpid());
	snprintf(path_a, sizeof(path_a), "%s/a", dir);
	snprintf(path_b, sizeof(path_b), "%s/b", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	for (i = 0; i < 4096; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	fd = open(path_a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ck_write_all(fd, buf, sizeof(buf)))
		return -1;
	close(fd);
	fd = open(path_b, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void remove_files(void)
{
	unlink(path_a);
	unlink(path_b);
	rmdir(dir);
}

/* Open path at exactly fd (flags as open(), O_CLOEXEC kept). */
static int open_at(const char *path, int flags, int fd)
{
	int f = open(path, flags), ok;

	if (f < 0)
		return -1;
	if (f == fd)		/* open() gives O_CLOEXEC itself */
		return 0;
	ok = dup3(f, fd, flags & O_CLOEXEC) == fd;
	close(f);
	return ok ? 0 : -1;
}

static int is_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static int chr_is(int fd, unsigned int maj, unsigned int min)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(maj, min);
}

static ino_t dir_ino;

/*
 * The restored process: exit CK_EXIT_RESTORED if every descriptor is as
 * at the dump, else the number of the first check that failed.
 */
static int check_table(void)
{
	unsigned char b[10];
	struct stat st;
	char msg[8] = { 0 };
	int i;

	/* 3 and its dup 5 share the position; 7 is an open of its own */
	if (lseek(3, 0, SEEK_CUR) != 100 || lseek(5, 0, SEEK_CUR) != 100)
		return 10;
	if (read(3, b, sizeof(b)) != sizeof(b))
		return 11;
	for (i = 0; i < 10; i++)
		if (b[i] != (unsigned char)((100 + i) * 7 + 1))
			return 12;
	if (lseek(5, 0, SEEK_CUR) != 110 || lseek(7, 0, SEEK_CUR) != 200)
		return 13;
	if ((fcntl(3, F_GETFL) & O_ACCMODE) != O_RDONLY ||
	    fcntl(3, F_GETFD) != 0 || fcntl(5, F_GETFD) != 0)
		return 14;
	/* 8: write-only, O_APPEND, close-on-exec */
	if ((fcntl(8, F_GETFL) & (O_ACCMODE | O_APPEND)) != (O_WRONLY | O_APPEND) ||
	    fcntl(8, F_GETFD) != FD_CLOEXEC)
		return 15;
	/* 10: the directory */
	if (fstat(10, &st) || !S_ISDIR(st.st_mode) || st.st_ino != dir_ino)
		return 16;
	/* 12: /dev/null read-write; 13: /dev/zero, O_NONBLOCK, cloexec */
	if (!chr_is(12, 1, 3) || (fcntl(12, F_GETFL) & O_ACCMODE) != O_RDWR)
		return 17;
	if (!chr_is(13, 1, 5) || !(fcntl(13, F_GETFL) & O_NONBLOCK) ||
	    fcntl(13, F_GETFD) != FD_CLOEXEC)
		return 18;
	/* 15: the restorer's pipe, with what it wrote */
	if (read(PIPE_FD, msg, 5) != 5 || strcmp(msg, "hello"))
		return 19;
	/* the gaps, the image's own fd and the restorer's other fds */
	for (i = 3; i < 64; i++) {
		if (i == 3 || i == 5 || i == 7 || i == 8 || i == 10 ||
		    i == 12 || i == 13 || i == PIPE_FD)
			continue;
		if (!is_closed(i))
			return 20;
	}
	return CK_EXIT_RESTORED;
}

/* The dumped process: its table, then a self-dump into IMG_FD. */
static void __attribute__((noreturn)) run_p(int img)
{
	struct stat st;
	int p[2];

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (open_at(path_a, O_RDONLY, 3) || lseek(3, 100, SEEK_SET) != 100 ||
	    dup2(3, 5) != 5 ||
	    open_at(path_a, O_RDONLY, 7) || lseek(7, 200, SEEK_SET) != 200 ||
	    open_at(path_b, O_WRONLY | O_APPEND | O_CLOEXEC, 8) ||
	    open_at(dir, O_RDONLY | O_DIRECTORY, 10) ||
	    open_at("/dev/null", O_RDWR, 12) ||
	    open_at("/dev/zero", O_RDONLY | O_NONBLOCK | O_CLOEXEC, 13) ||
	    fstat(10, &st))
		_exit(CK_EXIT_SETUP);
	dir_ino = st.st_ino;
	/* the read end of a pipe of its own: empty, the other end closed */
	if (pipe(p) || ck_move_fd(p[0], PIPE_FD) != PIPE_FD)
		_exit(CK_EXIT_SETUP);
	close(p[1]);
	ck_dump_self_or_exit(IMG_FD);
	_exit(check_table());
}

/* Dump run_p() into a memfd; returns it (at offset 0), or -1. */
static int dump_p(void)
{
	int st, img = ck_dump_child("ckpt-files", run_p, &st);

	if (img >= 0 && st != 0) {
		close(img);
		return -1;
	}
	return img;
}

/*
 * A restorer holding none of P's files: its image at fd 30, a memfd of
 * its own at 40, and at PIPE_FD the read end of a pipe holding "hello".
 */
static int restore_p(int img, unsigned int flags)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int p[2], own = ck_memfd("restorer's own");

		ck_child_init(parent);
		if (own < 0 || ck_move_fd(own, 40) != 40 ||
		    ck_move_fd(img, 30) != 30 || pipe(p) ||
		    write(p[1], "hello", 5) != 5)
			_exit(CK_EXIT_SETUP);
		close(p[1]);
		if (ck_move_fd(p[0], PIPE_FD) != PIPE_FD)
			_exit(CK_EXIT_SETUP);
		ck_restore_and_exit(30, flags);
	}
	return ck_wait(pid);
}

TEST(fd_table_restored_in_a_new_process)
{
	int img, st;

	ASSERT_EQ(0, make_files());
	img = dump_p();
	ASSERT_LE(0, img);
	st = restore_p(img, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-20: a descriptor differs, see check_table())",
					       STATUS(st));
	close(img);
	remove_files();
}

/* File b written after the dump: ESTALE, unless the caller allows it. */
TEST(changed_file_refused_unless_allowed)
{
	int img, fd, st;

	ASSERT_EQ(0, make_files());
	img = dump_p();
	ASSERT_LE(0, img);
	fd = open(path_b, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, write(fd, "new", 3));
	close(fd);
	st = restore_p(img, 0);
	EXPECT_EQ(ESTALE, st) TH_LOG("changed file: %s", STATUS(st));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	st = restore_p(img, CKPT_RESTORE_CHANGED_FILES);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("allowed: %s", STATUS(st));
	close(img);
	remove_files();
}

/*
 * File b replaced by a FIFO, then by a device node: ESTALE, from a look at
 * the path before any open (a FIFO opened would block, a device open
 * could act), and the restorer goes on.
 */
TEST(fifo_or_device_in_place_of_a_file_estale)
{
	int img, st;

	ASSERT_EQ(0, make_files());
	img = dump_p();
	ASSERT_LE(0, img);
	ASSERT_EQ(0, unlink(path_b));
	ASSERT_EQ(0, mkfifo(path_b, 0600));
	st = restore_p(img, CKPT_RESTORE_CHANGED_FILES);
	EXPECT_EQ(ESTALE, st) TH_LOG("a FIFO: %s", STATUS(st));
	ASSERT_EQ(0, unlink(path_b));
	ASSERT_EQ(0, mknod(path_b, S_IFCHR | 0600, makedev(1, 3)));
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	st = restore_p(img, CKPT_RESTORE_CHANGED_FILES);
	EXPECT_EQ(ESTALE, st) TH_LOG("a device: %s", STATUS(st));
	close(img);
	remove_files();
}

/* An inotify fd or a socket: EOPNOTSUPP, nothing written, it runs on. */
static int an_inotify_fd(void)
{
	return inotify_init1(0) < 0 ? -1 : 0;
}

static int a_socket(void)
{
	/* a netlink socket: a unix socketpair is in the image now */
	return socket(AF_NETLINK, SOCK_RAW, 0) < 0 ? -1 : 0;
}

/* EOPNOTSUPP with nothing written (not -2), and it runs on (not -3) */
TEST(inotify_fd_refused)
{
	EXPECT_EQ(EOPNOTSUPP, ck_dump_refused("ckpt-refused", an_inotify_fd));
}

TEST(socket_fd_refused)
{
	EXPECT_EQ(EOPNOTSUPP, ck_dump_refused("ckpt-refused", a_socket));
}

/*
 * An unlinked temp file: 512 KiB of data, a 1 MiB hole, 512 KiB of data,
 * open at 3 (read-write, position 1000, dup()ed at 5) and at 4 (a read-only
 * open of its own).  The process dumps itself and is gone; its copy must
 * find the file still unlinked, still sparse, with its content, and 3, 4
 * and 5 still on one file.
 */
#define RUN		(512 * 1024)
#define UNL_SIZE	(4 * RUN)

static unsigned char unl_byte(off_t off)
{
	return (unsigned char)(off * 13 + off / 4096 + 5);
}

static char unl_dir[64];

static int check_unlinked(void)
{
	static unsigned char buf[RUN];
	struct stat s3, s4;
	char link[128];
	ssize_t n;
	off_t i;

	if (fstat(3, &s3) || fstat(4, &s4) || s3.st_ino != s4.st_ino ||
	    s3.st_nlink != 0 || s3.st_size != UNL_SIZE || !S_ISREG(s3.st_mode))
		return 10;
	/* sparse: the hole is one, and takes no blocks */
	if (lseek(4, 0, SEEK_HOLE) != RUN || lseek(4, RUN, SEEK_DATA) != 3 * RUN ||
	    (off_t)s3.st_blocks * 512 > 2 * RUN + 64 * 1024)
		return 11;
	for (i = 0; i < UNL_SIZE; i += RUN) {
		if (pread(4, buf, RUN, i) != RUN)
			return 12;
		for (n = 0; n < RUN; n++)
			if (buf[n] != (i >= RUN && i < 3 * RUN ? 0 : unl_byte(i + n)))
				return 13;
	}
	/* positions and flags: 3 and 5 share one, 4 has its own */
	if (lseek(3, 0, SEEK_CUR) != 1000 || lseek(5, 0, SEEK_CUR) != 1000 ||
	    lseek(4, 0, SEEK_CUR) != 3 * RUN ||
	    (fcntl(3, F_GETFL) & O_ACCMODE) != O_RDWR ||
	    (fcntl(4, F_GETFL) & O_ACCMODE) != O_RDONLY)
		return 14;
	/* one file: written at 3, read at 4 */
	if (pwrite(3, "same", 4, 10) != 4 || pread(4, buf, 4, 10) != 4 ||
	    memcmp(buf, "same", 4))
		return 15;
	/* where it was, deleted */
	n = readlink("/proc/self/fd/3", link, sizeof(link) - 1);
	if (n < 0)
		return 16;
	link[n] = 0;
	if (strncmp(link, unl_dir, strlen(unl_dir)) || link[strlen(unl_dir)] != '/' ||
	    !strstr(link, "(deleted)"))
		return 17;
	return CK_EXIT_RESTORED;
}

static void __attribute__((noreturn)) run_unlinked(int img)
{
	static unsigned char buf[RUN];
	char path[96];
	off_t i;

	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	snprintf(path, sizeof(path), "%s/gone", unl_dir);
	if (open_at(path, O_RDWR | O_CREAT | O_TRUNC, 3))
		_exit(CK_EXIT_SETUP);
	for (i = 0; i < UNL_SIZE; i += 3 * RUN) {
		off_t n;

		for (n = 0; n < RUN; n++)
			buf[n] = unl_byte(i + n);
		if (pwrite(3, buf, RUN, i) != RUN)
			_exit(CK_EXIT_SETUP);
	}
	if (open_at(path, O_RDONLY, 4) || lseek(4, 3 * RUN, SEEK_SET) != 3 * RUN ||
	    dup2(3, 5) != 5 || lseek(3, 1000, SEEK_SET) != 1000 || unlink(path))
		_exit(CK_EXIT_SETUP);
	ck_dump_self_or_exit(IMG_FD);
	_exit(check_unlinked());
}

/* The image of run_unlinked(), in a memfd at offset 0; or -1. */
static int unlinked_image(void)
{
	int img, st;

	snprintf(unl_dir, sizeof(unl_dir), "/tmp/ckpt-unl-%d", (int)getpid());
	if (mkdir(unl_dir, 0700))
		return -1;
	img = ck_dump_child("ckpt-unlinked", run_unlinked, &st);
	if (img >= 0 && st) {
		close(img);
		return -1;
	}
	return img;
}

TEST(unlinked_file_restored_unlinked_sparse_and_shared)
{
	int img = unlinked_image(), st;

	ASSERT_LE(0, img);
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s (10-17: see check_unlinked())",
					       STATUS(st));
	/* made again in the directory it was in: one that is gone cannot be */
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, rmdir(unl_dir));
	st = ck_restore_fresh(img, 30, 0);
	EXPECT_EQ(ENOENT, st) TH_LOG("directory removed: %s", STATUS(st));
	close(img);
}

/* Where a field of the nth record of a type is in im; 0 if there is none. */
static size_t field_at(const struct ck_img *im, uint32_t type, int nth,
		       size_t off)
{
	struct ck_rec r;

	return ck_img_find(im, type, nth, &r) ? r.p - im->buf + off : 0;
}

/* FILE_DATA beyond the file's size, or naming another file: EINVAL. */
TEST(bad_unlinked_records_einval)
{
	int img = unlinked_image(), st;
	struct ck_img im;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_slurp(img, 1, &im));
	close(img);
	st = ck_try_patched(&im, field_at(&im, CKPT_REC_FILE_DATA, 0,
					  CK_OFF(ckpt_file_data, off)),
			    UNL_SIZE - 16, 8);
	EXPECT_EQ(EINVAL, st) TH_LOG("data past the end: %s", STATUS(st));
	st = ck_try_patched(&im, field_at(&im, CKPT_REC_FILE_DATA, 0,
					  CK_OFF(ckpt_file_data, id)), 9999, 4);
	EXPECT_EQ(EINVAL, st) TH_LOG("data of file 9999: %s", STATUS(st));
	free(im.buf);
	rmdir(unl_dir);
}

/* The FD record of fd nr in an image, or NULL. */
static unsigned char *fd_rec(struct ck_img *im, uint32_t nr, struct ck_rec *r)
{
	int e = ck_img_endian(im);

	memset(r, 0, sizeof(*r));
	while (ck_img_next(im, r))
		if (r->type == CKPT_REC_FD &&
		    ck_get32(r->p + CK_OFF(ckpt_fd, fd), e) == nr)
			return r->p;
	return NULL;
}

/* A FD record naming no FILE, or repeating a descriptor: EINVAL. */
TEST(bad_fd_records_einval)
{
	struct ck_img im, c;
	struct ck_rec r;
	unsigned char *p;
	int img, st;

	ASSERT_EQ(0, make_files());
	img = dump_p();
	ASSERT_LE(0, img);
	ASSERT_EQ(0, ck_slurp(img, 1, &im));
	close(img);

	c = im;
	c.buf = malloc(im.len);
	ASSERT_NE(NULL, c.buf);
	memcpy(c.buf, im.buf, im.len);
	p = fd_rec(&c, 3, &r);
	ASSERT_NE(NULL, p);
	ck_put32(p + CK_OFF(ckpt_fd, file), ck_img_endian(&c), 9999);
	ck_img_reseal(&c);
	st = ck_try_restore(c.buf, c.len);
	EXPECT_EQ(EINVAL, st) TH_LOG("fd naming file 9999: %s", STATUS(st));
	free(c.buf);

	c = im;
	c.buf = malloc(im.len + r.size);
	c.cap = im.len + r.size;
	ASSERT_NE(NULL, c.buf);
	memcpy(c.buf, im.buf, im.len);
	ASSERT_NE(NULL, fd_rec(&c, 3, &r));
	ASSERT_EQ(0, ck_img_insert(&c, r.off + r.size, c.buf + r.off, r.size));
	ck_img_reseal(&c);
	st = ck_try_restore(c.buf, c.len);
	EXPECT_EQ(EINVAL, st) TH_LOG("fd 3 twice: %s", STATUS(st));
	free(c.buf);
	free(im.buf);
	remove_files();
}

/*
 * Rollback in place: a kid opens file a at fd 3 (position 50) and is
 * dumped; then it closes 3 and opens /dev/null at 4.  Rolled back, 3 is
 * file a at 50 again and 4 is closed; its command pipes, live, stay.
 */

static void __attribute__((noreturn)) kid(void)
{
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'c') {		/* change the table */
			close(3);
			if (open_at("/dev/null", O_RDONLY, 4))
				_exit(CK_EXIT_SETUP);
		} else if (c == 'r') {	/* report */
			struct stat st, sa;
			int32_t v[3];

			v[0] = (int32_t)lseek(3, 0, SEEK_CUR);
			v[1] = !fstat(3, &st) && !stat(path_a, &sa) &&
			       st.st_ino == sa.st_ino;
			v[2] = is_closed(4);
			if (write(CK_REP_FD, v, sizeof(v)) != sizeof(v))
				_exit(CK_EXIT_SETUP);
		}
	}
}

static int kid_setup(void)
{
	return open_at(path_a, O_RDONLY, 3) || lseek(3, 50, SEEK_SET) != 50;
}

TEST(rollback_closes_new_fds_and_reopens_closed_ones)
{
	static const int keep[] = { 3 };
	int img = ck_memfd("ckpt-files-rb"), cmd, rep;
	int32_t v[3];
	pid_t pid;

	ASSERT_LE(0, img);
	ASSERT_EQ(0, make_files());
	pid = ck_spawn_commanded(kid_setup, keep, 1, kid, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(rep, v, 1));	/* ready */
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(sizeof(v), read(rep, v, sizeof(v)));
	ASSERT_EQ(50, v[0]);
	ASSERT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "c", 1));
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(sizeof(v), read(rep, v, sizeof(v)));
	ASSERT_EQ(1, v[2] == 0 && v[0] == -1) TH_LOG("the table did not change");
	ASSERT_EQ(0, lseek(img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(pid, img, 0)) TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(1, write(cmd, "r", 1));
	ASSERT_EQ(sizeof(v), read(rep, v, sizeof(v)));
	EXPECT_EQ(50, v[0]);
	EXPECT_EQ(1, v[1]);
	EXPECT_EQ(1, v[2]);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(cmd);
	close(rep);
	close(img);
	remove_files();
}

TEST_HARNESS_MAIN
