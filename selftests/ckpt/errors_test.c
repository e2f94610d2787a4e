// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths of ckpt_dump() and ckpt_restore().  Every restore attempt
 * runs in a forked child that reports the errno as its exit status and
 * checks that it survived the failed restore untouched (ckpt_util.h); a
 * restore that unexpectedly succeeds shows as CK_EXIT_RESTORED (42).
 *
 * The sample image is made at the start of each test by a child that
 * dumps itself into a memfd.  Crafted images are edited in memory and
 * resealed (all CRCs recomputed) so that they pass the integrity checks
 * and fail on their content.
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

/* hundreds of restore attempts: allow for slow emulators */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 250

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* Expect a restore of im to fail with err. */
#define EXPECT_RESTORE_ERR(err, im, what) do {				\
	int __st = ck_try_restore((im)->buf, (im)->len);		\
	EXPECT_EQ(err, __st) TH_LOG("%s: %s, expected %s", what,	\
				    STATUS(__st), strerror(err));	\
} while (0)

static void copy_img(struct ck_img *dst, const struct ck_img *src)
{
	dst->buf = malloc(src->len + 1);
	dst->cap = src->len + 1;
	dst->len = src->len;
	if (dst->buf)
		memcpy(dst->buf, src->buf, src->len);
}

#define HDR_OFF(field)	offsetof(struct ckpt_image_hdr, field)

/* ---------------------------------------------------------------- */
/* Arguments */

TEST(unknown_flags_einval)
{
	static const unsigned int dump_bad[] = {
		1u << 2, 1u << 7, 1u << 31, 0xfffffffcu, CKPT_DUMP_FLAGS | 1u << 9,
	};
	static const unsigned int restore_bad[] = {
		1u << 2, 1u << 3, 1u << 31, 0xffffffffu, CKPT_RESTORE_FLAGS | 1u << 7,
	};
	struct ck_img im;
	unsigned int i;
	int fd, st;

	fd = ck_memfd("ckpt-flags");
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(dump_bad) / sizeof(dump_bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ckpt_dump(0, fd, dump_bad[i], NULL, 0));
		EXPECT_EQ(EINVAL, errno) TH_LOG("dump flags %#x", dump_bad[i]);
	}
	/* nothing was written */
	EXPECT_EQ(0, lseek(fd, 0, SEEK_END));
	close(fd);

	ASSERT_EQ(0, ck_sample_image(&im));
	for (i = 0; i < sizeof(restore_bad) / sizeof(restore_bad[0]); i++) {
		st = ck_try_restore_flags(im.buf, im.len, restore_bad[i]);
		EXPECT_EQ(EINVAL, st) TH_LOG("restore flags %#x: %s",
					     restore_bad[i], STATUS(st));
	}
	/* and the image itself is fine */
	EXPECT_EQ(CK_EXIT_RESTORED, ck_try_restore(im.buf, im.len));
	free(im.buf);
}

TEST(bad_fd_ebadf)
{
	int fd = ck_memfd("ckpt-closed");

	ASSERT_LE(0, fd);
	close(fd);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, -1, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, fd, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, 100000, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_restore(0, -1, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_restore(0, fd, 0));
	EXPECT_EQ(EBADF, errno);
}

TEST(dump_to_readonly_fd_ebadf)
{
	char path[64];
	int fd, ro;

	fd = ck_memfd("ckpt-ro");
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, ro, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	/* a regular file opened read-only, too */
	close(ro);
	ro = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, ro);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, ro, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	close(ro);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_END));
	close(fd);
}

TEST(restore_from_writeonly_fd_ebadf)
{
	struct ck_img im;
	char path[64];
	pid_t parent = getpid(), pid;
	int fd, wo;

	ASSERT_EQ(0, ck_sample_image(&im));
	fd = ck_memfd_from(im.buf, im.len);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wo = open(path, O_WRONLY);
	ASSERT_LE(0, wo);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ck_child_init(parent);
		ck_restore_and_exit(wo, 0);
	}
	EXPECT_EQ(EBADF, ck_wait(pid));
	close(wo);
	close(fd);
	free(im.buf);
}

TEST(dump_other_process_bad_arguments)
{
	pid_t parent = getpid(), pid;
	int fd = ck_memfd("ckpt-other"), rd = open("/dev/null", O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, rd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ck_child_init(parent);
		pause();
		_exit(0);
	}
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, fd, CKPT_DUMP_STOP | CKPT_DUMP_KILL, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, fd, 1u << 7, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, rd, 0, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_restore(pid, fd, 1u << 7));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0, fd, CKPT_DUMP_KILL, NULL, 0));	/* oneself */
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(-2, fd, 0, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(0x3ffffff, fd, 0, NULL, 0));
	EXPECT_EQ(ESRCH, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_restore(0x3ffffff, fd, 0));
	EXPECT_EQ(ESRCH, errno);
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(2, fd, 0, NULL, 0));		/* kthreadd */
	EXPECT_EQ(EPERM, errno);
	/* Nothing was written, and the child still pauses. */
	EXPECT_EQ(0, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(rd);
	close(fd);
}

TEST(dump_mlocked_memory_eopnotsupp)
{
	pid_t parent = getpid(), pid;
	int fd = ck_memfd("ckpt-mlock"), st;

	ASSERT_LE(0, fd);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *m;
		long ret;

		ck_child_init(parent);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || mlock(m, 4096))
			_exit(CK_EXIT_SETUP);
		ret = ckpt_dump(0, fd, 0, NULL, 0);
		if (ret == 0 || ret == CKPT_RESTORED)
			_exit(CK_EXIT_BAD_RETURN);
		_exit(errno & 0xff);
	}
	st = ck_wait(pid);
	if (st == CK_EXIT_SETUP)
		SKIP(goto out, "cannot mlock");
	EXPECT_EQ(EOPNOTSUPP, st) TH_LOG("%s", STATUS(st));
out:
	close(fd);
}

/* ---------------------------------------------------------------- */
/* Not an image, damaged images */

TEST(empty_image_ebadmsg)
{
	int st = ck_try_restore("", 0);

	EXPECT_EQ(EBADMSG, st) TH_LOG("%s", STATUS(st));
}

TEST(not_an_image_enoexec)
{
	unsigned char buf[8192];
	int fd, st;
	ssize_t n;

	/* an ELF executable */
	fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_EQ(sizeof(buf), n);
	st = ck_try_restore(buf, sizeof(buf));
	EXPECT_EQ(ENOEXEC, st) TH_LOG("ELF: %s", STATUS(st));
	/* a script */
	memset(buf, '\n', sizeof(buf));
	memcpy(buf, "#!/bin/sh\necho hello\n", 21);
	st = ck_try_restore(buf, sizeof(buf));
	EXPECT_EQ(ENOEXEC, st) TH_LOG("script: %s", STATUS(st));
	/* zeros */
	memset(buf, 0, sizeof(buf));
	st = ck_try_restore(buf, sizeof(buf));
	EXPECT_EQ(ENOEXEC, st) TH_LOG("zeros: %s", STATUS(st));
	/* the magic with one bit off */
	memcpy(buf, CKPT_MAGIC, CKPT_MAGIC_LEN);
	buf[7] ^= 0x20;
	st = ck_try_restore(buf, sizeof(buf));
	EXPECT_EQ(ENOEXEC, st) TH_LOG("almost magic: %s", STATUS(st));
}

static int truncation_ok(size_t len, int st)
{
	if (st == EBADMSG)
		return 1;
	/* a partial magic: "does not start with the magic" is fair too */
	return len > 0 && len < CKPT_MAGIC_LEN && st == ENOEXEC;
}

TEST(truncated_ebadmsg)
{
	struct ck_img im;
	size_t len, step, i;
	int st, failures = 0, tries = 0;

	ASSERT_EQ(0, ck_sample_image(&im));
	ASSERT_LT(4096, im.len);
	TH_LOG("sample image: %zu bytes", im.len);
	/* every 8th length over the first 4 KiB, and some odd ones */
	for (len = 0; len < 4096; len += 8) {
		for (i = 0; i < (len < 128 ? 2u : 1u); i++) {
			size_t l = len + i * 3;

			st = ck_try_restore(im.buf, l);
			tries++;
			if (!truncation_ok(l, st) && failures++ < 10)
				TH_LOG("truncated to %zu bytes: %s", l, STATUS(st));
		}
	}
	/* a few dozen spread over the rest, and the very end */
	step = (im.len - 4096) / 48 + 1;
	for (len = 4096 + 5; len < im.len; len += step) {
		st = ck_try_restore(im.buf, len);
		tries++;
		if (!truncation_ok(len, st) && failures++ < 10)
			TH_LOG("truncated to %zu bytes: %s", len, STATUS(st));
	}
	for (i = 1; i <= 24; i++) {
		st = ck_try_restore(im.buf, im.len - i);
		tries++;
		if (!truncation_ok(im.len - i, st) && failures++ < 10)
			TH_LOG("truncated to %zu bytes: %s", im.len - i, STATUS(st));
	}
	TH_LOG("%d truncations tried", tries);
	EXPECT_EQ(0, failures);
	/* the full image restores */
	EXPECT_EQ(CK_EXIT_RESTORED, ck_try_restore(im.buf, im.len));
	free(im.buf);
}

TEST(flipped_byte_ebadmsg)
{
	struct ck_img im;
	size_t off, first_records, step;
	int st, failures = 0, tries = 0, expected;
	unsigned char save;
	struct ck_rec r = { 0 };

	ASSERT_EQ(0, ck_sample_image(&im));
	/* the header, then the first records, byte by byte (up to 160) */
	first_records = CK_HDR_SIZE;
	while (ck_img_next(&im, &r) && first_records < CK_HDR_SIZE + 160)
		first_records = r.off + r.size;
	if (first_records > CK_HDR_SIZE + 160)
		first_records = CK_HDR_SIZE + 160;
	step = (im.len - first_records) / 60 + 1;
	for (off = 0; off < im.len;
	     off += off < first_records ? 1 : step) {
		unsigned char x = (unsigned char)(1u << (off % 8));

		if (off % 3 == 0)
			x = 0xff;
		save = im.buf[off];
		im.buf[off] ^= x;
		st = ck_try_restore(im.buf, im.len);
		im.buf[off] = save;
		tries++;
		expected = off < CKPT_MAGIC_LEN ? ENOEXEC : EBADMSG;
		if (st != expected && failures++ < 10)
			TH_LOG("byte %zu ^ %#x: %s, expected %s", off, x,
			       STATUS(st), strerror(expected));
	}
	/* and the last byte */
	im.buf[im.len - 1] ^= 0x80;
	st = ck_try_restore(im.buf, im.len);
	im.buf[im.len - 1] ^= 0x80;
	EXPECT_EQ(EBADMSG, st);
	TH_LOG("%d flips tried", tries);
	EXPECT_EQ(0, failures);
	EXPECT_LE(200, tries);
	free(im.buf);
}

/* ---------------------------------------------------------------- */
/* Valid CRCs, another kind of machine */

TEST(reseal_is_identity_and_restores)
{
	struct ck_img im, copy;

	ASSERT_EQ(0, ck_sample_image(&im));
	copy_img(&copy, &im);
	ASSERT_TRUE(copy.buf != NULL);
	EXPECT_LT(3, ck_img_reseal(&copy));
	EXPECT_EQ(0, memcmp(im.buf, copy.buf, im.len));
	EXPECT_EQ(0, ck_img_verify(&copy));
	EXPECT_EQ(CK_EXIT_RESTORED, ck_try_restore(copy.buf, copy.len));
	free(copy.buf);
	free(im.buf);
}

static void patch_header(struct __test_metadata *_metadata,
			 const struct ck_img *im, size_t off, int size,
			 uint64_t value, int expected, const char *what)
{
	struct ck_img c;
	int e;

	copy_img(&c, im);
	ASSERT_TRUE(c.buf != NULL);
	e = ck_img_endian(&c);
	if (size == 1)
		c.buf[off] = (unsigned char)value;
	else if (size == 2)
		ck_put16(c.buf + off, e, (uint16_t)value);
	else
		ck_put32(c.buf + off, e, (uint32_t)value);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(expected, &c, what);
	free(c.buf);
}

TEST(other_machine_enoexec)
{
	static const unsigned int machines[] = {
		CK_EM_X86_64, CK_EM_AARCH64, CK_EM_68K, 3 /* i386 */,
		40 /* arm */, 243 /* riscv */, 0, 0xffff,
	};
	struct ck_img im;
	unsigned int i;

	ASSERT_EQ(0, ck_sample_image(&im));
	for (i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		if (machines[i] == CK_HOST_MACHINE)
			continue;
		patch_header(_metadata, &im, HDR_OFF(machine), 2, machines[i],
			     ENOEXEC, "machine");
	}
	free(im.buf);
}

TEST(other_version_enoexec)
{
	struct ck_img im;

	ASSERT_EQ(0, ck_sample_image(&im));
	patch_header(_metadata, &im, HDR_OFF(version), 4,
		     CKPT_IMAGE_VERSION + 1, ENOEXEC, "version + 1");
	patch_header(_metadata, &im, HDR_OFF(version), 4, 0, ENOEXEC,
		     "version 0");
	free(im.buf);
}

TEST(other_endianness_enoexec)
{
	struct ck_img im;
	int other;

	ASSERT_EQ(0, ck_sample_image(&im));
	other = ck_host_endian() == CKPT_ENDIAN_LITTLE ?
		CKPT_ENDIAN_BIG : CKPT_ENDIAN_LITTLE;
	/* the header CRC is then stored in the other byte order */
	patch_header(_metadata, &im, HDR_OFF(endian), 1, (uint64_t)other,
		     ENOEXEC, "endian");
	free(im.buf);
}

TEST(other_word_size_enoexec)
{
	struct ck_img im;

	ASSERT_EQ(0, ck_sample_image(&im));
	patch_header(_metadata, &im, HDR_OFF(word_size), 1,
		     sizeof(long) == 8 ? 4 : 8, ENOEXEC, "word size");
	free(im.buf);
}

/* A snapshot's records, which lack its private pages, are not an image. */
TEST(snapshot_flag_in_an_image_einval)
{
	struct ck_img im;

	ASSERT_EQ(0, ck_sample_image(&im));
	patch_header(_metadata, &im, HDR_OFF(flags), 4, CKPT_DUMP_SNAPSHOT,
		     EINVAL, "CKPT_DUMP_SNAPSHOT in the header");
	free(im.buf);
}

TEST(other_page_size_enoexec)
{
	struct ck_img im;
	uint32_t ps;

	ASSERT_EQ(0, ck_sample_image(&im));
	ps = ck_img_page_size(&im);
	patch_header(_metadata, &im, HDR_OFF(page_size), 4, ps * 2, ENOEXEC,
		     "page size * 2");
	patch_header(_metadata, &im, HDR_OFF(page_size), 4, ps / 2, ENOEXEC,
		     "page size / 2");
	free(im.buf);
}

/* ---------------------------------------------------------------- */
/* Valid CRCs, invalid content (EINVAL) */

TEST(crafted_valid_vma_restores)
{
	struct ck_img im, c;
	uint64_t start;
	uint32_t page;

	/* the positive control for the crafted EINVAL images below */
	ASSERT_EQ(0, ck_sample_image(&im));
	page = ck_img_page_size(&im);
	ASSERT_EQ(0, ck_free_gap(&im, &start, 16ull * page));
	copy_img(&c, &im);
	ASSERT_EQ(0, ck_add_vma(&c, start, start + 16ull * page, CKPT_VMA_ANON, 0,
				0));
	EXPECT_EQ(0, ck_img_verify(&c));
	EXPECT_EQ(CK_EXIT_RESTORED, ck_try_restore(c.buf, c.len));
	free(c.buf);
	free(im.buf);
}

TEST(unknown_record_type_einval)
{
	static const uint32_t types[] = { 0, 8, 99, 0x80000001u };
	unsigned char payload[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char rec[CK_RHDR_SIZE + 8];
	struct ck_img im, c;
	struct ck_rec end;
	unsigned int i;
	size_t n;

	ASSERT_EQ(0, ck_sample_image(&im));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* as the first record */
		copy_img(&c, &im);
		n = ck_make_rec(&c, types[i], payload, 8, rec);
		ASSERT_EQ(0, ck_img_insert(&c, CK_HDR_SIZE, rec, n));
		ck_img_reseal(&c);
		EXPECT_RESTORE_ERR(EINVAL, &c, "unknown type first");
		free(c.buf);
		/* right before END */
		copy_img(&c, &im);
		ASSERT_TRUE(ck_img_find(&c, CKPT_REC_END, 0, &end));
		ASSERT_EQ(0, ck_img_insert(&c, end.off, rec, n));
		ck_img_reseal(&c);
		EXPECT_RESTORE_ERR(EINVAL, &c, "unknown type before END");
		free(c.buf);
	}
	free(im.buf);
}

TEST(vma_bad_range_einval)
{
	struct ck_img im, c;
	uint64_t start, page;
	unsigned int i;
	struct {
		uint64_t start, end;
		const char *what;
	} bad[] = {
		{ 0, 0, "start == end" },
		{ 0, 0, "start > end" },
		{ 0, 0, "start not page aligned" },
		{ 0, 0, "end not page aligned" },
		{ 1ull << 63, (1ull << 63) + 65536, "at 2^63" },
		{ 0xffffffffffff0000ull, 0, "wrapping around" },
#if defined(__x86_64__)
		{ 1ull << 47, (1ull << 47) + 65536, "at 2^47" },
		{ (1ull << 47) - 65536, (1ull << 47) + 65536, "across 2^47" },
#elif defined(__aarch64__)
		{ 1ull << 52, (1ull << 52) + 65536, "at 2^52" },
#else
		{ 1ull << 32, (1ull << 32) + 65536, "at 2^32" },
		{ 0xfffe0000ull, 0x100010000ull, "across 2^32" },
#endif
	};

	ASSERT_EQ(0, ck_sample_image(&im));
	page = ck_img_page_size(&im);
	ASSERT_EQ(0, ck_free_gap(&im, &start, 16 * page));
	bad[0].start = start;
	bad[0].end = start;
	bad[1].start = start + 4 * page;
	bad[1].end = start;
	bad[2].start = start + 8;
	bad[2].end = start + 4 * page;
	bad[3].start = start;
	bad[3].end = start + 4 * page - 8;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		copy_img(&c, &im);
		ASSERT_EQ(0, ck_add_vma(&c, bad[i].start, bad[i].end,
					CKPT_VMA_ANON, 0, 0));
		EXPECT_RESTORE_ERR(EINVAL, &c, bad[i].what);
		free(c.buf);
	}
	free(im.buf);
}

/* The first PAGES record and the VMA it belongs to. */
static int first_pages(const struct ck_img *im, struct ck_rec *vma,
		       struct ck_rec *pages)
{
	struct ck_rec r = { 0 };
	int have_vma = 0;

	while (ck_img_next(im, &r)) {
		if (r.type == CKPT_REC_VMA) {
			*vma = r;
			have_vma = 1;
		} else if (r.type == CKPT_REC_PAGES && have_vma) {
			*pages = r;
			return 0;
		}
	}
	return -1;
}

TEST(pages_outside_vma_einval)
{
	struct ck_img im, c;
	struct ck_rec vma, pages;
	uint64_t vstart, vend, addr, page;
	uint32_t nr;
	int e, i;

	ASSERT_EQ(0, ck_sample_image(&im));
	page = ck_img_page_size(&im);
	e = ck_img_endian(&im);
	ASSERT_EQ(0, first_pages(&im, &vma, &pages));
	vstart = CK_VMA_GET64(&im, &vma, start);
	vend = CK_VMA_GET64(&im, &vma, end);
	nr = ck_get32(pages.p + CK_OFF(ckpt_pages, nr_pages), e);
	for (i = 0; i < 4; i++) {
		const char *what;

		switch (i) {
		case 0:
			addr = vend;
			what = "pages at the VMA's end";
			break;
		case 1:
			addr = vstart - page;
			what = "pages below the VMA";
			break;
		case 2:
			addr = vend - (nr - 1) * page > vstart ?
				vend - (nr - 1) * page : vend;
			what = "pages running past the VMA's end";
			break;
		default:
			addr = ck_get64(pages.p, e) + 16;
			what = "pages not page aligned";
			break;
		}
		copy_img(&c, &im);
		ck_put64(c.buf + pages.off + CK_RHDR_SIZE, e, addr);
		ck_img_reseal(&c);
		EXPECT_RESTORE_ERR(EINVAL, &c, what);
		free(c.buf);
	}
	free(im.buf);
}

/*
 * A PAGES record's hash type: one unknown is EINVAL; under either known
 * one, a page byte changed after the hash is EBADMSG.
 */
TEST(pages_hash_type)
{
	struct ck_img im, c;
	struct ck_rec vma, pages;
	size_t type_off;
	uint32_t t;
	int e;

	ASSERT_EQ(0, ck_sample_image(&im));
	e = ck_img_endian(&im);
	ASSERT_EQ(0, first_pages(&im, &vma, &pages));
	type_off = pages.off + CK_RHDR_SIZE + CK_OFF(ckpt_pages, hash_type);
	copy_img(&c, &im);
	ck_put32(c.buf + type_off, e, CKPT_PAGES_XXH32 + 1);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "hash type 2");
	free(c.buf);
	for (t = CKPT_PAGES_XXH64; t <= CKPT_PAGES_XXH32; t++) {
		copy_img(&c, &im);
		ck_put32(c.buf + type_off, e, t);
		ck_img_reseal(&c);
		EXPECT_EQ(0, ck_img_verify(&c));
		c.buf[pages.off + CK_RHDR_SIZE + sizeof(struct ckpt_pages) + 5] ^= 1;
		EXPECT_RESTORE_ERR(EBADMSG, &c, t ? "XXH32" : "XXH64");
		free(c.buf);
	}
	free(im.buf);
}

TEST(overlapping_vmas_einval)
{
	struct ck_img im, c;
	struct ck_rec vma, pages, r;
	unsigned char rec[CK_RHDR_SIZE + sizeof(struct ckpt_vma)];
	unsigned char payload[sizeof(struct ckpt_vma)];
	uint64_t vstart, vend, page;
	size_t n, where;

	ASSERT_EQ(0, ck_sample_image(&im));
	page = ck_img_page_size(&im);
	ASSERT_EQ(0, first_pages(&im, &vma, &pages));
	vstart = CK_VMA_GET64(&im, &vma, start);
	vend = CK_VMA_GET64(&im, &vma, end);

	/* a second VMA inside the first, right after the first's pages */
	copy_img(&c, &im);
	where = vma.off + vma.size;
	r = vma;
	while (ck_img_next(&c, &r) && r.type == CKPT_REC_PAGES)
		where = r.off + r.size;
	ck_make_vma(&c, payload, vstart, vstart + page, 0,
		    PROT_READ | PROT_WRITE, 0, CKPT_VMA_ANON, 0);
	n = ck_make_rec(&c, CKPT_REC_VMA, payload, sizeof(payload), rec);
	ASSERT_EQ(0, ck_img_insert(&c, where, rec, n));
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "VMA inside the previous one");
	free(c.buf);

	/* the same range twice, the copy right before the original */
	copy_img(&c, &im);
	ASSERT_EQ(0, ck_img_insert(&c, vma.off, im.buf + vma.off, vma.size));
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "duplicate VMA");
	free(c.buf);

	/* the first VMA's end stretched over the next VMA */
	copy_img(&c, &im);
	{
		struct ck_rec next;
		int i = 0;

		while (ck_img_find(&c, CKPT_REC_VMA, i, &next) &&
		       next.off <= vma.off)
			i++;
		ASSERT_TRUE(ck_img_find(&c, CKPT_REC_VMA, i, &next));
		ck_put64(c.buf + vma.off + CK_RHDR_SIZE + CK_OFF(ckpt_vma, end),
			 ck_img_endian(&c),
			 CK_VMA_GET64(&c, &next, start) + page);
	}
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "VMA end over the next VMA");
	free(c.buf);
	(void)vend;
	free(im.buf);
}

TEST(undefined_file_id_einval)
{
	struct ck_img im, c;
	struct ck_rec r = { 0 }, mm;
	int e, found = 0;

	ASSERT_EQ(0, ck_sample_image(&im));
	e = ck_img_endian(&im);
	/* a file VMA naming an id no FILE record defines */
	while (ck_img_next(&im, &r)) {
		if (r.type == CKPT_REC_VMA &&
		    CK_VMA_GET32(&im, &r, type) == CKPT_VMA_FILE) {
			found = 1;
			break;
		}
	}
	ASSERT_TRUE(found) TH_LOG("no file VMA in the sample image");
	copy_img(&c, &im);
	ck_put32(c.buf + r.off + CK_RHDR_SIZE + CK_OFF(ckpt_vma, file), e,
		 0x7ffffff0);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "VMA with undefined file id");
	free(c.buf);

	/* a file VMA with no file at all */
	copy_img(&c, &im);
	ck_put32(c.buf + r.off + CK_RHDR_SIZE + CK_OFF(ckpt_vma, file), e, 0);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "file VMA with file id 0");
	free(c.buf);

	/* the executable naming an undefined file */
	ASSERT_TRUE(ck_img_find(&im, CKPT_REC_MM, 0, &mm));
	copy_img(&c, &im);
	ck_put32(c.buf + mm.off + CK_RHDR_SIZE + CK_OFF(ckpt_mm, exe_file), e,
		 0x7ffffff1);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EINVAL, &c, "MM exe_file undefined");
	free(c.buf);
	free(im.buf);
}

TEST(regs_wrong_size_einval)
{
	struct ck_img im, c;
	struct ck_rec regs;
	int e;

	ASSERT_EQ(0, ck_sample_image(&im));
	e = ck_img_endian(&im);
	ASSERT_TRUE(ck_img_find(&im, CKPT_REC_REGS, 0, &regs));
	/* 8 bytes shorter (drop its last 8 payload bytes) */
	copy_img(&c, &im);
	ck_put32(c.buf + regs.off + 4, e, regs.len - 8);
	ck_img_remove(&c, regs.off + CK_RHDR_SIZE + CK_PAD8((size_t)regs.len) - 8, 8);
	ck_img_reseal(&c);
	EXPECT_EQ(0, ck_img_verify(&c));
	EXPECT_RESTORE_ERR(EINVAL, &c, "REGS 8 bytes short");
	free(c.buf);
	free(im.buf);
}

/* ---------------------------------------------------------------- */
/* Valid CRCs, but the stream itself is incomplete or too long */

TEST(record_len_past_end_ebadmsg)
{
	struct ck_img im, c;
	struct ck_rec r = { 0 }, last_pages = { 0 }, vma = { 0 }, last_vma = { 0 };
	uint64_t page, vstart, vend, addr, remaining;
	uint32_t nr;
	int e;

	ASSERT_EQ(0, ck_sample_image(&im));
	page = ck_img_page_size(&im);
	e = ck_img_endian(&im);
	/* the PAGES record nearest the end, and its VMA */
	while (ck_img_next(&im, &r)) {
		if (r.type == CKPT_REC_VMA)
			vma = r;
		if (r.type == CKPT_REC_PAGES) {
			last_pages = r;
			last_vma = vma;
		}
	}
	ASSERT_NE(0, last_pages.size);
	vstart = CK_VMA_GET64(&im, &last_vma, start);
	vend = CK_VMA_GET64(&im, &last_vma, end);
	remaining = im.len - (last_pages.off + CK_RHDR_SIZE);
	/* as many pages as fit in the VMA from its start: more than remain */
	addr = vstart;
	nr = (uint32_t)((vend - vstart) / page);
	if (sizeof(struct ckpt_pages) + nr * page <= remaining)
		SKIP(goto out, "last VMA too small (%u pages)", nr);
	copy_img(&c, &im);
	ck_put64(c.buf + last_pages.off + CK_RHDR_SIZE, e, addr);
	ck_put32(c.buf + last_pages.off + CK_RHDR_SIZE + 8, e, nr);
	ck_put32(c.buf + last_pages.off + 4, e,
		 (uint32_t)(sizeof(struct ckpt_pages) + nr * page));
	ck_img_reseal(&c);	/* stops at that record: it runs past the end */
	EXPECT_RESTORE_ERR(EBADMSG, &c, "PAGES record longer than the image");
	free(c.buf);
out:
	free(im.buf);
}

TEST(missing_end_ebadmsg)
{
	struct ck_img im, c;
	struct ck_rec end;

	ASSERT_EQ(0, ck_sample_image(&im));
	ASSERT_TRUE(ck_img_find(&im, CKPT_REC_END, 0, &end));
	EXPECT_EQ(im.len, end.off + end.size);
	copy_img(&c, &im);
	ck_img_remove(&c, end.off, end.size);
	ck_img_reseal(&c);
	EXPECT_RESTORE_ERR(EBADMSG, &c, "no END record");
	free(c.buf);
	free(im.buf);
}

/*
 * The END record ends the image: the kernel reads no further, so an image
 * can be followed by other data (or come over a socket kept open).  On a
 * seekable fd the offset is left just after END.
 */
TEST(data_after_end_left_unread)
{
	static const unsigned char tail[4096] = { 0x5a };
	pid_t parent = getpid(), pid;
	struct ck_img im;
	int fd;

	ASSERT_EQ(0, ck_sample_image(&im));
	fd = ck_memfd("ckpt-tail");
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)im.len, write(fd, im.buf, im.len));
	ASSERT_EQ((ssize_t)sizeof(tail), write(fd, tail, sizeof(tail)));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ck_child_init(parent);
		ck_restore_and_exit(fd, 0);
	}
	EXPECT_EQ(CK_EXIT_RESTORED, ck_wait(pid));
	/* The restorer shared this open file description. */
	EXPECT_EQ((off_t)im.len, lseek(fd, 0, SEEK_CUR));
	close(fd);
	free(im.buf);
}

/*
 * Random damage behind valid CRCs: a sample image with 1 to 4 bytes changed
 * past its header, then resealed, reaches the kernel's structural checks.
 * Each restore must either restore (the damage hit page data), fail with an
 * errno the ABI names, or leave a restored program that crashes on its
 * damaged state; the caller survives every one, and the kernel log must
 * stay clean (the runner scans it).
 */
TEST(random_damage_resealed)
{
	static const int allowed[] = { EINVAL, EBADMSG, ENOEXEC, ESTALE, ENOENT,
				       ENOMEM, EACCES, EPERM, EOPNOTSUPP };
	struct ck_img im, c;
	int round, restored = 0, refused = 0, crashed = 0;

	ASSERT_EQ(0, ck_sample_image(&im));
	srand(20261125);
	for (round = 0; round < 200; round++) {
		int k, st, ok = 0;
		size_t i;

		copy_img(&c, &im);
		ASSERT_TRUE(c.buf != NULL);
		for (k = 1 + rand() % 4; k; k--) {
			size_t off = 96 + (size_t)rand() % (c.len - 96);

			c.buf[off] ^= 1 + rand() % 255;
		}
		ck_img_reseal(&c);
		st = ck_try_restore(c.buf, c.len);
		free(c.buf);
		/* The restored sample exits 42; damaged, it may exit otherwise. */
		if (st == CK_EXIT_RESTORED || st == 0 ||
		    st == CK_EXIT_DUMP_FAILED) {
			restored++;
			continue;
		}
		if (st >= 1000) {	/* a signal: the restored program died */
			crashed++;
			continue;
		}
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok |= st == allowed[i];
		EXPECT_TRUE(ok) {
			TH_LOG("round %d: restore ended with status %d", round, st);
		}
		refused++;
	}
	TH_LOG("200 damaged images: %d restored, %d refused, %d crashed after restore",
	       restored, refused, crashed);
	free(im.buf);
}

TEST_HARNESS_MAIN
