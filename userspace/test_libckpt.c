// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of libckpt's CRC, image reader and reseal on synthetic images
 * of both byte orders and all three machines (no kernel support needed).
 * Also cross-checks the selftests' ckpt_util.h helpers when given
 * -DWITH_CKPT_UTIL.  Run by "make check".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libckpt.h"
#ifdef WITH_CKPT_UTIL
#define CK_HAVE_CKPT_WRAPPERS
#include "../selftests/ckpt/ckpt_util.h"
#endif

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

struct w {
	unsigned char *buf;
	size_t len, cap;
	int e;
};

static void w_bytes(struct w *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->buf = realloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void w8(struct w *w, unsigned v) { unsigned char b = (unsigned char)v; w_bytes(w, &b, 1); }
static void w16(struct w *w, unsigned v) { unsigned char b[2]; ckpt_put16(b, w->e, (uint16_t)v); w_bytes(w, b, 2); }
static void w32(struct w *w, uint32_t v) { unsigned char b[4]; ckpt_put32(b, w->e, v); w_bytes(w, b, 4); }
static void w64(struct w *w, uint64_t v) { unsigned char b[8]; ckpt_put64(b, w->e, v); w_bytes(w, b, 8); }

static size_t rec_start;

static void rec_begin(struct w *w, uint32_t type)
{
	rec_start = w->len;
	w32(w, type);
	w32(w, 0);	/* len, patched */
	w32(w, 0);	/* crc, by reseal */
	w32(w, 0);
}

static void rec_end(struct w *w)
{
	uint32_t len = (uint32_t)(w->len - rec_start - 16);

	ckpt_put32(w->buf + rec_start + 4, w->e, len);
	while (w->len % 8)
		w8(w, 0);
}

static void build(struct w *w, int endian, unsigned machine, unsigned ps)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->e = endian;
	w_bytes(w, CKPT_MAGIC, 8);
	w8(w, (unsigned)endian);
	w8(w, machine == EM_68K ? 4 : 8);
	w16(w, machine);
	w32(w, CKPT_IMAGE_VERSION);
	w32(w, ps);
	w32(w, 0);
	w32(w, 96);
	w32(w, 0);
	{
		char rel[64] = "6.1.0-ckpt-test";

		w_bytes(w, rel, 64);
	}
	/* FILE */
	rec_begin(w, CKPT_REC_FILE);
	w32(w, 7); w32(w, CKPT_FILE_REG); w32(w, 0); w32(w, 0100755);
	w64(w, 0); w64(w, 0x801); w64(w, 123456); w64(w, 99999);
	w64(w, 1700000000); w32(w, 5); w32(w, 14);
	w_bytes(w, "/usr/bin/prog", 14);
	rec_end(w);
	/* MM with auxv */
	rec_begin(w, CKPT_REC_MM);
	for (i = 0; i < 12; i++)
		w64(w, 0x400000 + (uint64_t)i * 0x1000);
	w32(w, 7);
	w32(w, 4);
	w64(w, 33); w64(w, 0x7fff0000); w64(w, 0); w64(w, 0);
	rec_end(w);
	/* VMA + PAGES */
	rec_begin(w, CKPT_REC_VMA);
	w64(w, 0x10000); w64(w, 0x10000 + 4ull * ps); w64(w, 0);
	w32(w, 3); w32(w, 0); w32(w, CKPT_VMA_ANON); w32(w, 0);
	rec_end(w);
	rec_begin(w, CKPT_REC_PAGES);
	w64(w, 0x10000 + ps); w32(w, 2); w32(w, 0);
	for (i = 0; i < 2 * (int)ps; i++)
		w8(w, (unsigned)(i * 7));
	rec_end(w);
	rec_begin(w, CKPT_REC_VMA);
	w64(w, 0x400000); w64(w, 0x400000 + ps); w64(w, 3);
	w32(w, 5); w32(w, CKPT_VMA_SHARED); w32(w, CKPT_VMA_FILE); w32(w, 7);
	rec_end(w);
	/* THREAD + REGS */
	rec_begin(w, CKPT_REC_THREAD);
	w32(w, 4242); w32(w, 0); w64(w, 0x8000000000000001ull);
	w64(w, 0x7000); w64(w, 0x2000); w64(w, 0x12345); w64(w, 0x6789a);
	w64(w, 0x7f00); w32(w, 0x53053053); w32(w, 32);
	w_bytes(w, "prog\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	rec_end(w);
	rec_begin(w, CKPT_REC_REGS);
	if (machine == EM_X86_64) {
		for (i = 0; i < 27; i++)
			w64(w, 0x1000 + (uint64_t)i);
		w32(w, 576); w32(w, 0);
		for (i = 0; i < 576; i++)
			w8(w, (unsigned)i);
	} else if (machine == EM_AARCH64) {
		for (i = 0; i < 35; i++)
			w64(w, 0x2000 + (uint64_t)i);
		for (i = 0; i < 64; i++)
			w64(w, 0x3000 + (uint64_t)i);
		w32(w, 0x11); w32(w, 0x03c00000);
	} else {
		for (i = 0; i < 46; i++)
			w32(w, 0x4000 + (uint32_t)i);
	}
	rec_end(w);
	rec_begin(w, CKPT_REC_END);
	rec_end(w);
	CHECK(ckpt_image_reseal(w->buf, w->len) == 8);
}

static int read_all(struct ckpt_reader *r, int *nrec, uint64_t *regs_first)
{
	struct ckpt_record rec;
	int ret;

	*nrec = 0;
	while ((ret = ckpt_reader_next(r, &rec)) > 0) {
		(*nrec)++;
		switch (rec.type) {
		case CKPT_REC_FILE:
			CHECK(rec.u.file.id == 7);
			CHECK(rec.u.file.ino == 123456);
			CHECK(rec.u.file.mtime_nsec == 5);
			CHECK(strcmp(rec.path, "/usr/bin/prog") == 0);
			break;
		case CKPT_REC_MM:
			CHECK(rec.u.mm.start_code == 0x400000);
			CHECK(rec.u.mm.mmap_base == 0x40b000);
			CHECK(rec.u.mm.exe_file == 7);
			CHECK(ckpt_record_auxv(r, &rec, 0) == 33);
			CHECK(ckpt_record_auxv(r, &rec, 1) == 0x7fff0000);
			break;
		case CKPT_REC_VMA:
			CHECK(rec.u.vma.start == 0x10000 || rec.u.vma.start == 0x400000);
			break;
		case CKPT_REC_PAGES:
			CHECK(rec.u.pages.nr_pages == 2);
			CHECK(rec.u.pages.addr == 0x10000 + r->hdr.page_size);
			if (rec.page_data)
				CHECK(rec.page_data[1] == 7);
			break;
		case CKPT_REC_THREAD:
			CHECK(rec.u.thread.tid == 4242);
			CHECK(rec.u.thread.sigmask == 0x8000000000000001ull);
			CHECK(rec.u.thread.sas_size == 0x2000);
			CHECK(rec.u.thread.clear_child_tid == 0x6789a);
			CHECK(rec.u.thread.rseq == 0x7f00);
			CHECK(rec.u.thread.rseq_sig == 0x53053053);
			CHECK(rec.u.thread.rseq_len == 32);
			CHECK(rec.u.thread.comm[0] == 'p');
			break;
		case CKPT_REC_REGS:
			if (r->hdr.machine == EM_X86_64) {
				*regs_first = rec.u.x86_64.r15;
				CHECK(rec.u.x86_64.ip == 0x1000 + 16);
				CHECK(rec.xstate_size == 576 && rec.xstate[5] == 5);
			} else if (r->hdr.machine == EM_AARCH64) {
				*regs_first = rec.u.arm64.regs[0];
				CHECK(rec.u.arm64.pc == 0x2000 + 32);
				CHECK(rec.u.arm64.vregs[63] == 0x3000 + 63);
				CHECK(rec.u.arm64.fpcr == 0x03c00000);
			} else {
				*regs_first = rec.u.m68k.d[0];
				CHECK(rec.u.m68k.pc == 0x4000 + 16);
				CHECK(rec.u.m68k.fp[23] == 0x4000 + 45);
			}
			break;
		}
	}
	return ret;
}

static int mem_read(const unsigned char *buf, size_t len, int *nrec)
{
	struct ckpt_reader r;
	uint64_t first = 0;
	int ret;

	ckpt_reader_init_mem(&r, buf, len);
	ret = read_all(&r, nrec, &first);
	ckpt_reader_fini(&r);
	return ret;
}

static int fd_read(const unsigned char *buf, size_t len, int use_fp)
{
	char path[] = "/tmp/test_libckpt-XXXXXX";
	int fd = mkstemp(path), ret, n;
	struct ckpt_reader r;
	uint64_t first = 0;
	FILE *fp = NULL;

	unlink(path);
	if (write(fd, buf, len) != (ssize_t)len)
		return -EIO;
	lseek(fd, 0, SEEK_SET);
	if (use_fp) {
		fp = fdopen(fd, "rb");
		ckpt_reader_init_fp(&r, fp);
	} else {
		ckpt_reader_init_fd(&r, fd);
	}
	ret = read_all(&r, &n, &first);
	ckpt_reader_fini(&r);
	if (fp)
		fclose(fp);
	else
		close(fd);
	return ret;
}

static void test_image(int endian, unsigned machine, unsigned ps)
{
	struct w w;
	int n, ret;
	size_t off;
	unsigned char *copy;

	build(&w, endian, machine, ps);
	if (getenv("TEST_LIBCKPT_SAVE")) {	/* for trying "ckpt show" */
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-%s-%u.img",
			 getenv("TEST_LIBCKPT_SAVE"), ckpt_machine_name(machine),
			 endian == CKPT_ENDIAN_BIG ? "be" : "le", ps);
		f = fopen(path, "wb");
		if (f) {
			fwrite(w.buf, 1, w.len, f);
			fclose(f);
		}
	}
	CHECK(mem_read(w.buf, w.len, &n) == 0);
	CHECK(n == 8);
	CHECK(fd_read(w.buf, w.len, 0) == 0);
	CHECK(fd_read(w.buf, w.len, 1) == 0);
#ifdef WITH_CKPT_UTIL
	{
		struct ck_img im = { w.buf, w.len, w.len };

		CHECK(ck_img_verify(&im) == 0);
	}
#endif

	/* every truncation: EBADMSG (ENOEXEC allowed inside the magic) */
	for (off = 0; off < w.len; off++) {
		ret = mem_read(w.buf, off, &n);
		CHECK(ret == -EBADMSG || (off && off < 8 && ret == -ENOEXEC));
		if (off % 61 == 0 || off < 200)
			CHECK(fd_read(w.buf, off, off & 1) == ret);
	}
	/* every flipped byte: EBADMSG, ENOEXEC in the magic */
	copy = malloc(w.len);
	for (off = 0; off < w.len; off++) {
		memcpy(copy, w.buf, w.len);
		copy[off] ^= (unsigned char)(1u << (off % 8));
		ret = mem_read(copy, w.len, &n);
		CHECK(ret == (off < 8 ? -ENOEXEC : -EBADMSG));
#ifdef WITH_CKPT_UTIL
		{
			struct ck_img im = { copy, w.len, w.len };

			CHECK(ck_img_verify(&im) == (off < 8 ? -ENOEXEC : -EBADMSG));
		}
#endif
	}
	/* trailing data */
	memcpy(copy, w.buf, w.len);
	w8(&w, 0);
	CHECK(mem_read(w.buf, w.len, &n) == -EBADMSG);
	w.len--;
	/* reseal makes patched headers valid but foreign: ENOEXEC */
	memcpy(copy, w.buf, w.len);
	ckpt_put32(copy + 12, endian, 2);	/* version */
	CHECK(mem_read(copy, w.len, &n) == -EBADMSG);
	ckpt_image_reseal(copy, w.len);
	CHECK(mem_read(copy, w.len, &n) == -ENOEXEC);
#ifdef WITH_CKPT_UTIL
	memcpy(copy, w.buf, w.len);
	ckpt_put32(copy + 12, endian, 2);
	ck_reseal(copy, w.len);
	CHECK(mem_read(copy, w.len, &n) == -ENOEXEC);
#endif
	/* an unknown record type with valid CRC: EINVAL */
	memcpy(copy, w.buf, w.len);
	ckpt_put32(copy + 96, endian, 99);
	ckpt_image_reseal(copy, w.len);
	CHECK(mem_read(copy, w.len, &n) == -EINVAL);
	/* reseal of an intact image changes nothing */
	memcpy(copy, w.buf, w.len);
	ckpt_image_reseal(copy, w.len);
	CHECK(memcmp(copy, w.buf, w.len) == 0);
	free(copy);
	free(w.buf);
}

int main(void)
{
	/* zlib check value */
	CHECK(ckpt_crc32(0, "123456789", 9) == 0xCBF43926u);
	CHECK(ckpt_crc32(ckpt_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);
#ifdef WITH_CKPT_UTIL
	CHECK(ck_crc32(0, "123456789", 9) == 0xCBF43926u);
#endif
	test_image(CKPT_ENDIAN_LITTLE, EM_X86_64, 4096);
	test_image(CKPT_ENDIAN_LITTLE, EM_AARCH64, 65536);
	test_image(CKPT_ENDIAN_BIG, EM_68K, 4096);
	test_image(CKPT_ENDIAN_BIG, EM_68K, 8192);
	test_image(CKPT_ENDIAN_BIG, EM_AARCH64, 4096);
	if (failures) {
		fprintf(stderr, "test_libckpt: %d failures\n", failures);
		return 1;
	}
	printf("test_libckpt: all passed\n");
	return 0;
}
