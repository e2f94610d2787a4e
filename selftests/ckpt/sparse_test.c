// SPDX-License-Identifier: GPL-2.0
/*
 * A 64 MiB private anonymous mapping with a few touched pages: the image
 * must hold only those (it is small), and after a restore the touched pages
 * are exact and every other page, including one written with zeros, reads
 * as zero.
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

#define REGION		(64ul << 20)
#define NTOUCH		6

/* page indices (in 4 KiB units, scaled to the page size at run time) */
static const unsigned long touch_4k[NTOUCH] = { 0, 1, 777, 5000, 12345, 16383 };
#define ZERO_PAGE_4K	9000	/* written, but with zeros */

static unsigned char *region;
static unsigned long page_size, npages;
static unsigned long touched[NTOUCH], zero_page;

static void pattern(unsigned char *p, unsigned long idx)
{
	unsigned long i;

	for (i = 0; i < page_size; i++)
		p[i] = (unsigned char)(idx * 31 + i * 7 + (i >> 8) + 1);
	/* never all zero: */
	p[0] = (unsigned char)(0x80 | idx);
}

static void setup_indices(void)
{
	int i;

	page_size = (unsigned long)getpagesize();
	npages = REGION / page_size;
	for (i = 0; i < NTOUCH; i++)
		touched[i] = touch_4k[i] * 4096 / page_size;
	zero_page = ZERO_PAGE_4K * 4096ul / page_size;
}

static int is_touched(unsigned long idx)
{
	int i;

	for (i = 0; i < NTOUCH; i++)
		if (touched[i] == idx)
			return 1;
	return 0;
}

static void __attribute__((noreturn)) run_p(int fd)
{
	unsigned char *expect, *zero;
	unsigned long i;
	long ret;
	int bad = 0;

	region = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		_exit(CK_EXIT_SETUP);
	for (i = 0; i < NTOUCH; i++)
		pattern(region + touched[i] * page_size, touched[i]);
	memset(region + zero_page * page_size, 0, page_size);
	/* read a few other pages (maps the zero page, must stay zero) */
	for (i = 3; i < npages; i += 1001)
		bad += region[i * page_size + 5];

	fflush(NULL);
	ret = ckpt_dump(0, fd, 0, NULL, 0);
	if (ret == 0) {
		/* overwrite the touched pages, touch others */
		for (i = 0; i < NTOUCH; i++)
			memset(region + touched[i] * page_size, 0xEE, page_size);
		for (i = 2; i < npages; i += 97)
			region[i * page_size + 17] = 0xDD;
		_exit(0);
	}
	if (ret != CKPT_RESTORED) {
		fprintf(stderr, "P: ckpt_dump: %s\n", strerror(errno));
		_exit(CK_EXIT_DUMP_FAILED);
	}

	/* restored */
	expect = malloc(page_size);
	zero = calloc(1, page_size);
	if (!expect || !zero)
		_exit(CK_EXIT_SETUP);
	for (i = 0; i < npages; i++) {
		unsigned char *p = region + i * page_size;

		if (is_touched(i)) {
			pattern(expect, i);
			if (memcmp(p, expect, page_size)) {
				fprintf(stderr, "restored: touched page %lu differs\n", i);
				bad++;
			}
		} else if (memcmp(p, zero, page_size)) {
			fprintf(stderr, "restored: page %lu is not zero (%s)\n", i,
				i == zero_page ? "the page written with zeros" :
				"untouched");
			if (++bad > 20)
				break;
		}
	}
	/* the region is still a private writable mapping of the same size */
	region[(npages - 1) * page_size] = 1;
	region[0] = 2;
	printf("# restored process: %lu pages checked, %d bad\n", npages, bad);
	fflush(stdout);
	_exit(bad ? CK_EXIT_MISMATCH : CK_EXIT_OK);
}

static void sparse(struct __test_metadata *_metadata, int use_pipe)
{
	pid_t parent = getpid(), pid;
	int fd = -1, pfd[2], st;
	struct ck_img im = { 0 };
	size_t image_size = 0;

	setup_indices();
	if (use_pipe) {
		ASSERT_EQ(0, pipe(pfd));
	} else {
		fd = ck_memfd("ckpt-sparse");
		ASSERT_LE(0, fd);
	}

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ck_child_init(parent);
		if (use_pipe)
			close(pfd[0]);
		run_p(use_pipe ? pfd[1] : fd);
	}
	if (use_pipe) {
		close(pfd[1]);
		ASSERT_EQ(0, ck_slurp(pfd[0], 0, &im));
		close(pfd[0]);
		image_size = im.len;
		fd = ck_memfd_from(im.buf, im.len);
		ASSERT_LE(0, fd);
	}
	st = ck_wait(pid);
	ASSERT_EQ(0, st);
	if (!use_pipe) {
		struct stat sb;

		ASSERT_EQ(0, fstat(fd, &sb));
		image_size = (size_t)sb.st_size;
		ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	}
	TH_LOG("image of %zu bytes for a 64 MiB region", image_size);
	/* the 64 MiB region contributes its 6 pages, nothing like 64 MiB */
	EXPECT_GT(1ul << 20, image_size);
	EXPECT_LT((size_t)NTOUCH * page_size, image_size);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char *junk;

		ck_child_init(parent);
		/* R has different memory where P's region was (maybe) */
		junk = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (junk != MAP_FAILED)
			memset(junk, 0xAB, 8ul << 20);
		ckpt_restore(0, fd, 0);
		fprintf(stderr, "R: ckpt_restore: %s\n", strerror(errno));
		_exit(CK_EXIT_NO_RESTORE);
	}
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	close(fd);
	free(im.buf);
}

TEST(sparse_memfd)
{
	sparse(_metadata, 0);
}

TEST(sparse_pipe)
{
	sparse(_metadata, 1);
}

TEST_HARNESS_MAIN
