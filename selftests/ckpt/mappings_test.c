// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings across a checkpoint/restore: protections (read-only and
 * PROT_NONE regions fault), private file mappings (copied-on-write pages
 * from the image, the rest from the file), shared file mappings (coherent
 * with the file, not rolled back), /proc/self/maps identical, and a mapped
 * file that was replaced (ESTALE) or removed (ENOENT).
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

static unsigned long page;

/* P's state: addresses and what they must hold */
static unsigned char *ro_region, *none_region, *priv_map, *shared_map;
static char priv_path[64], shared_path[64];
static char maps_before[65536], maps_after[65536];
static int bad;

#define FAIL(...) do { fprintf(stderr, "restored: " __VA_ARGS__); bad++; } while (0)

static void file_pattern(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 13 + i * 3 + (i >> 10));
}

/* Create a /tmp file of n pages with file_pattern(seed) per page. */
static int make_file(char *path, size_t pathlen, int npages, unsigned int seed)
{
	unsigned char *buf = malloc((size_t)npages * page);
	int fd, i;

	if (!buf)
		return -1;
	for (i = 0; i < npages; i++)
		file_pattern(buf + (size_t)i * page, page, seed + (unsigned int)i);
	fd = ck_tmpfile(path, pathlen, buf, (size_t)npages * page);
	free(buf);
	return fd;
}

/* Fork a grandchild doing *addr access; returns its termination signal. */
static int access_dies(volatile unsigned char *addr, int write)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (write)
			*addr = 1;
		else
			st = *addr;
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static ssize_t read_maps(char *buf, size_t size)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}

struct map_line {
	unsigned long long start, end, off;
	char perms[8];
	char name[256];
};

static int parse_line(const char *line, struct map_line *m)
{
	int pos = 0;
	const char *name;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &m->start, &m->end,
		   m->perms, &m->off, &pos) < 4 || pos == 0)
		return -1;
	name = line + pos;
	while (*name == ' ')
		name++;
	n = strcspn(name, "\n");
	if (n >= sizeof(m->name))
		n = sizeof(m->name) - 1;
	memcpy(m->name, name, n);
	m->name[n] = 0;
	return 0;
}

/* Compare two /proc/pid/maps texts: ranges, permissions, offsets, names. */
static int compare_maps(char *a, char *b)
{
	char *sa, *sb, *la, *lb;
	int nbad = 0, lines = 0;

	la = strtok_r(a, "\n", &sa);
	lb = strtok_r(b, "\n", &sb);
	while (la || lb) {
		struct map_line ma, mb;

		if (!la || !lb) {
			fprintf(stderr, "restored: maps: extra line '%s'\n",
				la ? la : lb);
			nbad++;
			break;
		}
		lines++;
		if (parse_line(la, &ma) || parse_line(lb, &mb)) {
			fprintf(stderr, "restored: maps: cannot parse\n");
			return nbad + 1;
		}
		if (ma.start != mb.start || ma.end != mb.end ||
		    strcmp(ma.perms, mb.perms) ||
		    (ma.name[0] && !strstr(ma.name, "(deleted)") &&
		     (ma.off != mb.off || strcmp(ma.name, mb.name)))) {
			fprintf(stderr, "restored: maps: checkpoint '%s'\n"
				"restored:       restored   '%s'\n", la, lb);
			nbad++;
		}
		la = strtok_r(NULL, "\n", &sa);
		lb = strtok_r(NULL, "\n", &sb);
	}
	if (lines < 5) {
		fprintf(stderr, "restored: maps: only %d lines\n", lines);
		nbad++;
	}
	return nbad;
}

/* All the mappings, set up by P. */
static int setup_mappings(void)
{
	int fd;

	ro_region = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_region == MAP_FAILED)
		return -1;
	file_pattern(ro_region, 2 * page, 99);
	if (mprotect(ro_region, 2 * page, PROT_READ))
		return -1;
	none_region = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	if (none_region == MAP_FAILED)
		return -1;

	fd = open(priv_path, O_RDWR);
	if (fd < 0)
		return -1;
	priv_map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			fd, 0);
	close(fd);
	if (priv_map == MAP_FAILED)
		return -1;
	/* copy-on-write page 1 */
	memcpy(priv_map + page + 100, "P wrote this before the dump", 28);
	/* read the others (page cache pages, not copied) */
	bad += priv_map[0] + priv_map[2 * page] + priv_map[3 * page];
	bad = 0;

	fd = open(shared_path, O_RDWR);
	if (fd < 0)
		return -1;
	shared_map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  fd, 0);
	close(fd);
	if (shared_map == MAP_FAILED)
		return -1;
	memcpy(shared_map, "P-before", 8);
	return 0;
}

static void check_protections(void)
{
	unsigned char *expect = malloc(2 * page);
	int sig;

	file_pattern(expect, 2 * page, 99);
	if (memcmp(ro_region, expect, 2 * page))
		FAIL("read-only region content differs\n");
	free(expect);
	sig = access_dies(ro_region + page + 8, 1);
	if (sig != SIGSEGV)
		FAIL("write to the read-only region: signal %d, expected SIGSEGV\n", sig);
	sig = access_dies(none_region, 0);
	if (sig != SIGSEGV)
		FAIL("read of the PROT_NONE region: signal %d, expected SIGSEGV\n", sig);
	sig = access_dies(none_region + 1, 1);
	if (sig != SIGSEGV)
		FAIL("write to the PROT_NONE region: signal %d, expected SIGSEGV\n", sig);
	/* and a fault on readable memory is not what we observe */
	sig = access_dies(ro_region, 0);
	if (sig != 0)
		FAIL("read of the read-only region: signal %d\n", sig);
}

static void check_private_file(void)
{
	unsigned char *expect = malloc(page);
	int i;

	for (i = 0; i < 4; i++) {
		file_pattern(expect, page, 10 + (unsigned int)i);
		if (i == 1)
			memcpy(expect + 100, "P wrote this before the dump", 28);
		if (memcmp(priv_map + (size_t)i * page, expect, page))
			FAIL("private file mapping: page %d differs\n", i);
	}
	/* still private: writing does not reach the file */
	priv_map[3 * page] ^= 0xff;
	{
		unsigned char c;
		int fd = open(priv_path, O_RDONLY);

		if (fd < 0 || pread(fd, &c, 1, 3 * page) != 1)
			FAIL("cannot read %s\n", priv_path);
		else if (c == priv_map[3 * page])
			FAIL("private file mapping writes reach the file\n");
		if (fd >= 0)
			close(fd);
	}
	free(expect);
}

static void check_shared_file(void)
{
	char buf[16];
	int fd = open(shared_path, O_RDWR);

	if (fd < 0) {
		FAIL("cannot open %s\n", shared_path);
		return;
	}
	if (memcmp(shared_map, "P-before", 8))
		FAIL("shared mapping lost P's write before the dump\n");
	/* not rolled back: the file's own state */
	if (memcmp(shared_map + 100, "P-after", 7))
		FAIL("shared mapping does not show P's write after the dump\n");
	if (memcmp(shared_map + 200, "T-between", 9))
		FAIL("shared mapping does not show the file write between dump and restore\n");
	/* mapping -> file */
	memcpy(shared_map + page + 300, "via-mapping", 11);
	if (pread(fd, buf, 11, (off_t)page + 300) != 11 ||
	    memcmp(buf, "via-mapping", 11))
		FAIL("write through the shared mapping not visible with pread()\n");
	/* file -> mapping */
	if (pwrite(fd, "via-fd", 6, 400) != 6)
		FAIL("pwrite failed\n");
	if (memcmp((char *)shared_map + 400, "via-fd", 6))
		FAIL("pwrite() not visible through the shared mapping\n");
	close(fd);
}

enum { T_PROT, T_PRIVATE, T_SHARED, T_MAPS };

static void __attribute__((noreturn)) run_p(int fd, int what)
{
	long ret;

	if (setup_mappings()) {
		perror("P: setup");
		_exit(CK_EXIT_SETUP);
	}
	if (what == T_MAPS && read_maps(maps_before, sizeof(maps_before)) <= 0)
		_exit(CK_EXIT_SETUP);
	fflush(NULL);
	ret = ckpt_dump(0, fd, 0, NULL, 0);
	if (ret == 0) {
		memcpy(shared_map + 100, "P-after", 7);
		mprotect(ro_region, 2 * page, PROT_READ | PROT_WRITE);
		memset(ro_region, 0, 2 * page);
		memset(priv_map, 0, 4 * page);
		_exit(0);
	}
	if (ret != CKPT_RESTORED) {
		fprintf(stderr, "P: ckpt_dump: %s\n", strerror(errno));
		_exit(CK_EXIT_DUMP_FAILED);
	}
	/* restored */
	if (what == T_MAPS) {
		if (read_maps(maps_after, sizeof(maps_after)) <= 0)
			FAIL("cannot read /proc/self/maps\n");
		else
			bad += compare_maps(maps_before, maps_after);
	}
	if (what == T_PROT)
		check_protections();
	if (what == T_PRIVATE)
		check_private_file();
	if (what == T_SHARED)
		check_shared_file();
	_exit(bad ? CK_EXIT_MISMATCH : CK_EXIT_OK);
}

/* Create the two test files (T does this; P inherits the names). */
static int make_files(void)
{
	int fd;

	page = (unsigned long)getpagesize();
	fd = make_file(priv_path, sizeof(priv_path), 4, 10);
	if (fd < 0)
		return -1;
	close(fd);
	fd = make_file(shared_path, sizeof(shared_path), 2, 20);
	if (fd < 0) {
		unlink(priv_path);
		return -1;
	}
	close(fd);
	return 0;
}

static void remove_files(void)
{
	unlink(priv_path);
	unlink(shared_path);
}

/* Fork P, which dumps itself; returns the image (memfd at offset 0). */
static int dump_p(int what)
{
	pid_t parent = getpid(), pid;
	int fd = ck_memfd("ckpt-maps"), st;

	if (fd < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		ck_child_init(parent);
		run_p(fd, what);
	}
	st = ck_wait(pid);
	if (st != 0) {
		fprintf(stderr, "# P failed: %d\n", st);
		close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fork R, which restores from fd; returns what ck_wait() says. */
static int restore_r(int fd)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		void *junk;

		ck_child_init(parent);
		/* something else where P's mappings might have been */
		junk = mmap(NULL, 64 * page, PROT_READ | PROT_WRITE | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (junk != MAP_FAILED)
			memset(junk, 0x5a, 64 * page);
		ckpt_restore(0, fd, 0);
		fprintf(stderr, "R: ckpt_restore: %s\n", strerror(errno));
		_exit(CK_EXIT_NO_RESTORE);
	}
	return ck_wait(pid);
}

static void dump_and_restore(struct __test_metadata *_metadata, int what)
{
	int fd, pfd;

	ASSERT_EQ(0, make_files());
	fd = dump_p(what);
	EXPECT_LE(0, fd) {
		remove_files();
		return;
	}
	/* a change of the shared file between dump and restore */
	pfd = open(shared_path, O_RDWR);
	EXPECT_LE(0, pfd);
	EXPECT_EQ(9, pwrite(pfd, "T-between", 9, 200));
	close(pfd);
	EXPECT_EQ(CK_EXIT_OK, restore_r(fd));
	if (what == T_SHARED) {
		char buf[16] = { 0 };

		/* what the restored process wrote through the mapping */
		pfd = open(shared_path, O_RDONLY);
		EXPECT_LE(0, pfd);
		EXPECT_EQ(11, pread(pfd, buf, 11, (off_t)page + 300));
		EXPECT_EQ(0, memcmp(buf, "via-mapping", 11));
		close(pfd);
	}
	close(fd);
	remove_files();
}

TEST(protections)
{
	dump_and_restore(_metadata, T_PROT);
}

TEST(private_file_mapping)
{
	dump_and_restore(_metadata, T_PRIVATE);
}

TEST(shared_file_mapping)
{
	dump_and_restore(_metadata, T_SHARED);
}

TEST(proc_self_maps)
{
	dump_and_restore(_metadata, T_MAPS);
}

/* Restore attempts that must fail, leaving the caller alive. */
static void restore_fails(struct __test_metadata *_metadata, int fd,
			  int expected)
{
	struct ck_img im;
	char sbuf[64];
	int st;

	ASSERT_EQ(0, ck_slurp(fd, 1, &im));
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(expected, st) TH_LOG("restore: %s, expected %s",
				       ck_status_str(st, sbuf, sizeof(sbuf)),
				       strerror(expected));
	free(im.buf);
}

TEST(private_file_replaced_estale)
{
	char newpath[64];
	int fd, nfd;
	unsigned char *buf;

	ASSERT_EQ(0, make_files());
	fd = dump_p(T_PRIVATE);
	ASSERT_LE(0, fd);
	/* same name and content, another inode */
	buf = malloc(4 * page);
	ASSERT_TRUE(buf != NULL);
	nfd = open(priv_path, O_RDONLY);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(4 * page, pread(nfd, buf, 4 * page, 0));
	close(nfd);
	nfd = ck_tmpfile(newpath, sizeof(newpath), buf, 4 * page);
	ASSERT_LE(0, nfd);
	close(nfd);
	ASSERT_EQ(0, rename(newpath, priv_path));
	restore_fails(_metadata, fd, ESTALE);
	free(buf);
	close(fd);
	remove_files();
}

TEST(shared_file_replaced_estale)
{
	char newpath[64];
	int fd, nfd;

	ASSERT_EQ(0, make_files());
	fd = dump_p(T_SHARED);
	ASSERT_LE(0, fd);
	nfd = ck_tmpfile(newpath, sizeof(newpath), "x", 1);
	ASSERT_LE(0, nfd);
	ASSERT_EQ(0, ftruncate(nfd, 2 * page));
	close(nfd);
	ASSERT_EQ(0, rename(newpath, shared_path));
	restore_fails(_metadata, fd, ESTALE);
	close(fd);
	remove_files();
}

TEST(mapped_file_removed_enoent)
{
	int fd;

	ASSERT_EQ(0, make_files());
	fd = dump_p(T_PRIVATE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlink(priv_path));
	restore_fails(_metadata, fd, ENOENT);
	close(fd);
	remove_files();
}

/*
 * Dump refuses what it cannot represent: a mapping of a file deleted under
 * the name it was opened by but linked under another (memfd_test has the
 * deleted files it maps).
 */
TEST(dump_mapping_of_a_deleted_name_linked_elsewhere_eopnotsupp)
{
	pid_t parent = getpid(), pid;
	int fd;

	page = (unsigned long)getpagesize();
	fd = ck_memfd("ckpt-deleted");
	ASSERT_LE(0, fd);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char path[64], other[80];
		int ffd;
		void *m;
		long ret;

		ck_child_init(parent);
		ffd = ck_tmpfile(path, sizeof(path), "deleted", 7);
		if (ffd < 0)
			_exit(CK_EXIT_SETUP);
		snprintf(other, sizeof(other), "%s-other", path);
		m = mmap(NULL, page, PROT_READ, MAP_PRIVATE, ffd, 0);
		close(ffd);
		if (link(path, other))
			_exit(CK_EXIT_SETUP);
		unlink(path);
		if (m == MAP_FAILED)
			_exit(CK_EXIT_SETUP);
		fflush(NULL);
		ret = ckpt_dump(0, fd, 0, NULL, 0);
		unlink(other);
		if (ret == 0 || ret == CKPT_RESTORED)
			_exit(CK_EXIT_BAD_RETURN);
		_exit(errno & 0xff);
	}
	EXPECT_EQ(EOPNOTSUPP, ck_wait(pid));
	close(fd);
}

TEST_HARNESS_MAIN
