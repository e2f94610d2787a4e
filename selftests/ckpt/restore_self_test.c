// SPDX-License-Identifier: GPL-2.0
/*
 * A forked child P checkpoints itself with ckpt_dump(0, fd, 0) and another
 * child R restores the image with ckpt_restore(0, fd, 0).  The restored
 * process (which runs as R) compares globals, heap, stack and registers
 * against what P had at the checkpoint and reports through its exit status.
 *
 * Registers are loaded with known patterns right before the raw syscall
 * instruction of ckpt_dump and stored right after it (regs_asm.h); R loads
 * different patterns before its own raw ckpt_restore, so a restore that
 * loses any of them fails the test.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#ifdef __x86_64__
#include <cpuid.h>
#endif

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"
#include "regs_asm.h"

#define P_FD		40	/* P dumps to this fd number */
#define R_FD		41	/* R restores from this fd number */
#define REPORT_FD	100	/* restored process writes facts here */
#define HEAP_SIZE	(1u << 20)

/* ---- state of P, checked by the restored process ---- */
static struct regset in_p, out_p;
static struct regset in_r, out_r;
static volatile uint64_t g_scalar;
static volatile double g_double;
static unsigned char g_array[3 * 4096 + 123];
static unsigned char g_bss[8192];
static unsigned char *g_heap;
static char g_string[64];

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			seed = mix(&seed) | 1;
		p[i] = (unsigned char)(seed >> (8 * (i % 8)));
	}
}

static int check_fill(const char *what, const void *buf, size_t len,
		      uint64_t seed)
{
	unsigned char *exp = malloc(len);
	size_t i;
	int bad = 0;

	if (!exp) {
		fprintf(stderr, "restored: malloc failed\n");
		return 1;
	}
	fill(exp, len, seed);
	for (i = 0; i < len; i++) {
		if (((const unsigned char *)buf)[i] != exp[i]) {
			fprintf(stderr, "restored: %s byte %zu: %#x, expected %#x\n",
				what, i, ((const unsigned char *)buf)[i], exp[i]);
			bad = 1;
			break;
		}
	}
	free(exp);
	return bad;
}

#ifdef __x86_64__
static int have_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & (1u << 27)) || !(c & (1u << 28)))	/* OSXSAVE, AVX */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}
#endif

/* Register patterns: seed 1 for P, 2 for R. */
static void fill_regs(struct regset *r, unsigned int seed)
{
	uint64_t x = 0x1234567800000000ull * seed + seed;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 32; i++)
		r->g.q[i] = mix(&x);
	fill(r->vec, sizeof(r->vec), seed * 77);
#if defined(__x86_64__)
	/* P: round toward zero + flush to zero; R: round up */
	r->ctl.q = seed == 1 ? 0xff80 : 0x5f80;
	r->avx = have_avx();
#elif defined(__aarch64__)
	/* P: DN, FZ, round toward zero; R: round toward +inf */
	r->ctl.q = seed == 1 ? 0x03c00000 : 0x00400000;
#elif defined(__m68k__)
	/* fp0-fp7: normalized extended-precision numbers */
	for (i = 0; i < 8; i++) {
		unsigned char *f = &r->vec[0][0] + 12 * i;
		uint32_t se = (uint32_t)(0x3fff - 20 + i + 5 * seed) |
			      ((seed + (unsigned int)i) & 1 ? 0x8000u : 0);

		f[0] = (unsigned char)(se >> 8);
		f[1] = (unsigned char)se;
		f[2] = f[3] = 0;
		f[4] |= 0x80;
	}
	/* P: round to zero, double precision; R: round to minus infinity */
	r->ctl.w[0] = seed == 1 ? 0x90 : 0x20;
#endif
}

/* What the registers after syscall nr (args 0, fd, 0) must be. */
static void expected_regs(struct regset *e, const struct regset *in, int fd,
			  long nr)
{
	*e = *in;
#if defined(__x86_64__)
	e->g.q[RS_RDI] = 0;
	e->g.q[RS_RSI] = (uint64_t)fd;
	e->g.q[RS_RDX] = 0;
#elif defined(__aarch64__)
	e->g.q[1] = (uint64_t)fd;
	e->g.q[2] = 0;
	e->g.q[8] = (uint64_t)nr;
#elif defined(__m68k__)
	e->g.w[1] = 0;
	e->g.w[2] = (uint32_t)fd;
	e->g.w[3] = 0;
#endif
	(void)nr;
}

static int quiet;

static int check_regs(const struct regset *e, const struct regset *o)
{
	int bad = 0, i;

#define CMPQ(name, a, b) do {						\
	if ((a) != (b)) {						\
		if (!quiet) fprintf(stderr, "restored: %s = %#llx, expected %#llx\n",	\
			name, (unsigned long long)(b),			\
			(unsigned long long)(a));			\
		bad++;							\
	}								\
} while (0)

#if defined(__x86_64__)
	for (i = 0; i < RS_NR; i++)
		CMPQ(rs_names[i], e->g.q[i], o->g.q[i]);
	for (i = 0; i < 16; i++) {
		size_t n = e->avx ? 32 : 16;

		if (memcmp(e->vec[i], o->vec[i], n)) {
			if (!quiet)
				fprintf(stderr, "restored: %cmm%d differs\n",
				e->avx ? 'y' : 'x', i);
			bad++;
		}
	}
	CMPQ("mxcsr", e->ctl.q & 0xffff, o->ctl.q & 0xffff);
#elif defined(__aarch64__)
	for (i = 1; i <= 29; i++) {
		char name[8];

		snprintf(name, sizeof(name), "x%d", i);
		CMPQ(name, e->g.q[i], o->g.q[i]);
	}
	for (i = 0; i < 32; i++) {
		if (memcmp(e->vec[i], o->vec[i], 16)) {
			if (!quiet)
				fprintf(stderr, "restored: v%d differs\n", i);
			bad++;
		}
	}
	CMPQ("fpcr", e->ctl.q, o->ctl.q);
#elif defined(__m68k__)
	for (i = 1; i < 14; i++) {
		char name[8];

		snprintf(name, sizeof(name), "%c%d", i < 8 ? 'd' : 'a', i % 8);
		CMPQ(name, e->g.w[i], o->g.w[i]);
	}
	for (i = 0; i < 8; i++) {
		if (memcmp(&e->vec[0][0] + 12 * i, &o->vec[0][0] + 12 * i, 12)) {
			if (!quiet)
				fprintf(stderr, "restored: fp%d differs\n", i);
			bad++;
		}
	}
	CMPQ("fpcr", e->ctl.w[0] & 0xfff0, o->ctl.w[0] & 0xfff0);
#endif
#undef CMPQ
	return bad;
}

/*
 * P: set up state, dump through the raw syscall, then either scribble
 * over everything and exit (dumped) or verify everything (restored).
 */
static void __attribute__((noreturn)) run_p(int imgfd)
{
	volatile uint64_t local[40];
	volatile double dlocal = 2.718281828459045;
	struct regset expect;
	long ret;
	int i, bad = 0;

	if (ck_move_fd(imgfd, P_FD) < 0)
		_exit(CK_EXIT_SETUP);
	g_scalar = 0xC0FFEE0123456789ull;
	g_double = 3.141592653589793;
	fill(g_array, sizeof(g_array), 11);
	fill(g_bss + 4096, 4096, 12);
	strcpy(g_string, "checkpointed string");
	g_heap = malloc(HEAP_SIZE);
	if (!g_heap)
		_exit(CK_EXIT_SETUP);
	fill(g_heap, HEAP_SIZE, 13);
	for (i = 0; i < 40; i++)
		local[i] = 0xABCD000000000000ull + (uint64_t)i * 0x10101;
	fill_regs(&in_p, 1);
	/* ckpt_dump()'s fourth and fifth arguments: no struct ckpt_dump_args */
#if defined(__x86_64__)
	in_p.g.q[RS_R10] = in_p.g.q[RS_R8] = 0;
#elif defined(__aarch64__)
	in_p.g.q[3] = in_p.g.q[4] = 0;
#elif defined(__m68k__)
	in_p.g.w[4] = in_p.g.w[5] = 0;
#endif
	memset(&out_p, 0, sizeof(out_p));
	out_p.avx = in_p.avx;

	fflush(NULL);
	ret = regs_syscall(&in_p, &out_p, __NR_ckpt_dump, 0, P_FD, 0);
	if (ret == 0) {
		/* dumped: change everything, the image must not see it */
		g_scalar = 0;
		g_double = -1.0;
		memset(g_array, 0x55, sizeof(g_array));
		memset(g_bss, 0x66, sizeof(g_bss));
		memset(g_heap, 0x77, HEAP_SIZE);
		strcpy(g_string, "changed after the dump");
		for (i = 0; i < 40; i++)
			local[i] = 0;
		dlocal = 0;
		_exit(0);
	}
	if (ret != CKPT_RESTORED) {
		fprintf(stderr, "P: ckpt_dump: %s\n", strerror((int)-ret));
		_exit(CK_EXIT_DUMP_FAILED);
	}

	/* restored */
	expected_regs(&expect, &in_p, P_FD, __NR_ckpt_dump);
	bad += check_regs(&expect, &out_p);
	if (out_p.ret != CKPT_RESTORED && CK_HOST_MACHINE != CK_EM_68K) {
		fprintf(stderr, "restored: syscall return %llu\n",
			(unsigned long long)out_p.ret);
		bad++;
	}
	if (g_scalar != 0xC0FFEE0123456789ull) {
		fprintf(stderr, "restored: g_scalar = %#llx\n",
			(unsigned long long)g_scalar);
		bad++;
	}
	if (g_double != 3.141592653589793) {
		fprintf(stderr, "restored: g_double = %g\n", g_double);
		bad++;
	}
	if (dlocal != 2.718281828459045) {
		fprintf(stderr, "restored: dlocal = %g\n", dlocal);
		bad++;
	}
	bad += check_fill("g_array", g_array, sizeof(g_array), 11);
	bad += check_fill("g_bss", g_bss + 4096, 4096, 12);
	for (i = 0; i < 4096; i++) {
		if (g_bss[i]) {
			fprintf(stderr, "restored: g_bss[%d] = %#x\n", i, g_bss[i]);
			bad++;
			break;
		}
	}
	bad += check_fill("heap", g_heap, HEAP_SIZE, 13);
	if (strcmp(g_string, "checkpointed string")) {
		fprintf(stderr, "restored: g_string = '%s'\n", g_string);
		bad++;
	}
	for (i = 0; i < 40; i++) {
		if (local[i] != 0xABCD000000000000ull + (uint64_t)i * 0x10101) {
			fprintf(stderr, "restored: local[%d] = %#llx\n", i,
				(unsigned long long)local[i]);
			bad++;
		}
	}
	/* carry on: the C library, malloc, stdio and floating point work */
	free(g_heap);
	g_heap = malloc(3 * HEAP_SIZE);
	if (!g_heap) {
		fprintf(stderr, "restored: malloc after restore failed\n");
		bad++;
	} else {
		memset(g_heap, 1, 3 * HEAP_SIZE);
	}
	dlocal = dlocal * 2.0 + g_double;
	printf("# restored process %d: %s, computed %.6f\n", (int)getpid(),
	       bad ? "MISMATCHES" : "all values equal", dlocal);
	fflush(stdout);
	_exit(bad ? CK_EXIT_MISMATCH : CK_EXIT_OK);
}

/* R: different register patterns, then the raw ckpt_restore. */
static void __attribute__((noreturn)) run_r(int imgfd)
{
	long ret;

	if (ck_move_fd(imgfd, R_FD) < 0)
		_exit(CK_EXIT_SETUP);
	fill_regs(&in_r, 2);
	out_r.avx = in_r.avx;
	fflush(NULL);
	ret = regs_syscall(&in_r, &out_r, __NR_ckpt_restore, 0, R_FD, 0);
	fprintf(stderr, "R: ckpt_restore: %s\n", strerror((int)-ret));
	_exit(CK_EXIT_NO_RESTORE);
}

static pid_t fork_p(int imgfd)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		ck_only_fds(imgfd);
		run_p(imgfd);
	}
	return pid;
}

static pid_t fork_r(int imgfd)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		run_r(imgfd);
	}
	return pid;
}

/*
 * The test's own machinery: registers survive a harmless system call.
 * (Needs no ckpt support; if this fails, the other results mean nothing.)
 */
TEST(regs_helper_roundtrip)
{
	struct regset in, out, expect;
	long ret;

	fill_regs(&in, 1);
	memset(&out, 0, sizeof(out));
	out.avx = in.avx;
	ret = regs_syscall(&in, &out, __NR_getppid, 0, P_FD, 0);
	EXPECT_EQ(getppid(), ret);
	expected_regs(&expect, &in, P_FD, __NR_getppid);
	EXPECT_EQ(0, check_regs(&expect, &out));
	/* and the patterns of P and R differ everywhere */
	fill_regs(&out, 2);
	expected_regs(&expect, &out, P_FD, __NR_getppid);
	quiet = 1;
	EXPECT_LT(20, check_regs(&expect, &in));
	quiet = 0;
}

TEST(through_regular_file)
{
	char path[] = "/tmp/ckpt-self-XXXXXX";
	int fd, rfd, st;
	pid_t pid;
	struct stat sb;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	pid = fork_p(fd);
	ASSERT_LT(0, pid);
	st = ck_wait(pid);
	close(fd);
	EXPECT_EQ(0, st) {
		unlink(path);
		return;
	}
	ASSERT_EQ(0, stat(path, &sb));
	TH_LOG("image of %lld bytes", (long long)sb.st_size);

	rfd = open(path, O_RDONLY);
	ASSERT_LE(0, rfd);
	pid = fork_r(rfd);
	ASSERT_LT(0, pid);
	close(rfd);
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	unlink(path);
}

TEST(through_memfd)
{
	int fd, st;
	pid_t pid;

	fd = ck_memfd("ckpt-self");
	ASSERT_LE(0, fd);
	pid = fork_p(fd);
	ASSERT_LT(0, pid);
	st = ck_wait(pid);
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	pid = fork_r(fd);
	ASSERT_LT(0, pid);
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	close(fd);
}

/* Dump into a pipe, slurp it, restore from another pipe. */
TEST(through_pipe)
{
	int dp[2], rp[2], st;
	struct ck_img im;
	pid_t pid, w, parent = getpid();

	ASSERT_EQ(0, pipe(dp));
	pid = fork_p(dp[1]);
	ASSERT_LT(0, pid);
	close(dp[1]);
	ASSERT_EQ(0, ck_slurp(dp[0], 0, &im));
	close(dp[0]);
	st = ck_wait(pid);
	ASSERT_EQ(0, st);
	EXPECT_EQ(0, ck_img_verify(&im));
	TH_LOG("image of %zu bytes through a pipe", im.len);

	ASSERT_EQ(0, pipe(rp));
	w = fork();
	ASSERT_LE(0, w);
	if (w == 0) {
		ck_child_init(parent);
		close(rp[0]);
		_exit(ck_write_all(rp[1], im.buf, im.len) ? 1 : 0);
	}
	close(rp[1]);
	pid = fork_r(rp[0]);
	ASSERT_LT(0, pid);
	close(rp[0]);
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	ck_wait(w);
	free(im.buf);
}

/*
 * Page bytes under the hash the other word size writes (XXH64 from a
 * 64-bit kernel, XXH32 from a 32-bit one) restore the same: every record's
 * type changed, its hash made again, then every value checked.
 */
TEST(other_page_hash)
{
	struct ck_rec r = { 0 };
	struct ck_img im;
	int fd, st, e, n = 0;
	uint32_t other = sizeof(long) == 4 ? CKPT_PAGES_XXH64 : CKPT_PAGES_XXH32;
	pid_t pid;

	fd = ck_memfd("ckpt-self");
	ASSERT_LE(0, fd);
	pid = fork_p(fd);
	ASSERT_LT(0, pid);
	st = ck_wait(pid);
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, ck_slurp(fd, 1, &im));
	close(fd);
	e = ck_img_endian(&im);
	while (ck_img_next(&im, &r)) {
		if (r.type != CKPT_REC_PAGES)
			continue;
		ck_put32(im.buf + r.off + CK_RHDR_SIZE +
			 CK_OFF(ckpt_pages, hash_type), e, other);
		n++;
	}
	EXPECT_LT(0, n);
	ASSERT_LT(0, ck_img_reseal(&im));
	EXPECT_EQ(0, ck_img_verify(&im));
	fd = ck_memfd("ckpt-self-other");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ck_write_all(fd, im.buf, im.len));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	pid = fork_r(fd);
	ASSERT_LT(0, pid);
	close(fd);
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	free(im.buf);
}

/* Dump into a socket: any writable fd will do. */
TEST(through_socket)
{
	int sv[2], st;
	struct ck_img im;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork_p(sv[1]);
	ASSERT_LT(0, pid);
	close(sv[1]);
	ASSERT_EQ(0, ck_slurp(sv[0], 0, &im));
	close(sv[0]);
	st = ck_wait(pid);
	ASSERT_EQ(0, st);
	EXPECT_EQ(0, ck_img_verify(&im));
	free(im.buf);
}

/*
 * The image as the header comment of linux/ckpt.h describes it: header
 * fields of this machine, a correct CRC chain, VMAs sorted and not
 * overlapping with their PAGES inside, FILE ids defined before use, one
 * THREAD followed by its REGS, END last.
 */
TEST(image_format)
{
	struct ck_img im;
	struct ck_rec r = { 0 };
	const struct ckpt_image_hdr *h;
	int e, nthread = 0, nregs = 0, nmm = 0, nend = 0, prev_thread = 0;
	int nproc = 0, nsighand = 0, nfd = 0, nimage = 0;
	uint32_t last_fd = 0;
	uint64_t vstart = 0, vend = 0, last_end = 0;
	uint32_t ids[256], nids = 0, k;
	unsigned int page = (unsigned int)getpagesize();

	ASSERT_EQ(0, ck_sample_image(&im));
	ASSERT_LE(CK_HDR_SIZE, im.len);
	EXPECT_EQ(0, ck_img_verify(&im));
	h = (const struct ckpt_image_hdr *)im.buf;
	e = h->endian;
	EXPECT_EQ(0, memcmp(h->magic, CKPT_MAGIC, CKPT_MAGIC_LEN));
	EXPECT_EQ(ck_host_endian(), e);
	EXPECT_EQ(sizeof(long), h->word_size);
	EXPECT_EQ(CK_HOST_MACHINE, ck_get16(&h->machine, e));
	EXPECT_EQ(CKPT_IMAGE_VERSION, ck_get32(&h->version, e));
	EXPECT_EQ(page, ck_get32(&h->page_size, e));
	EXPECT_EQ(0, ck_get32(&h->flags, e));
	EXPECT_EQ(sizeof(struct ckpt_image_hdr), ck_get32(&h->hdr_size, e));

	while (ck_img_next(&im, &r)) {
		EXPECT_EQ(0, nend) TH_LOG("record after END at %zu", r.off);
		if (prev_thread)
			EXPECT_EQ(CKPT_REC_REGS, r.type);
		prev_thread = r.type == CKPT_REC_THREAD;
		switch (r.type) {
		case CKPT_REC_FILE: {
			uint32_t id = ck_get32(r.p, e);

			ASSERT_LE(sizeof(struct ckpt_file), r.len);
			EXPECT_NE(0, id);
			for (k = 0; k < nids; k++)
				EXPECT_NE(id, ids[k]);
			if (nids < 256)
				ids[nids++] = id;
			EXPECT_EQ('/', r.p[sizeof(struct ckpt_file)]);
			EXPECT_EQ(0, r.p[r.len - 1]);
			break;
		}
		case CKPT_REC_MM:
			nmm++;
			break;
		case CKPT_REC_VMA: {
			uint32_t type = ck_get32(r.p + CK_OFF(ckpt_vma, type), e);
			uint32_t file = ck_get32(r.p + CK_OFF(ckpt_vma, file), e);

			EXPECT_EQ(sizeof(struct ckpt_vma), r.len);
			vstart = ck_get64(r.p, e);
			vend = ck_get64(r.p + 8, e);
			EXPECT_LT(vstart, vend);
			EXPECT_EQ(0, vstart % page);
			EXPECT_EQ(0, vend % page);
			EXPECT_LE(last_end, vstart);
			last_end = vend;
			if (type == CKPT_VMA_FILE) {
				int found = 0;

				for (k = 0; k < nids; k++)
					found |= ids[k] == file;
				EXPECT_TRUE(found) TH_LOG("VMA file id %u undefined", file);
			} else {
				EXPECT_EQ(0, file);
			}
			break;
		}
		case CKPT_REC_PAGES: {
			uint64_t addr = ck_get64(r.p, e);
			uint32_t nr = ck_get32(r.p + 8, e);

			EXPECT_EQ(sizeof(struct ckpt_pages) + (uint64_t)nr * page,
				  r.len);
			/* the hash of this kernel's word size */
			EXPECT_EQ(sizeof(long) == 4 ? CKPT_PAGES_XXH32 :
				  CKPT_PAGES_XXH64,
				  ck_get32(r.p + CK_OFF(ckpt_pages, hash_type), e));
			EXPECT_LE(vstart, addr);
			EXPECT_GE(vend, addr + (uint64_t)nr * page);
			EXPECT_EQ(0, addr % page);
			break;
		}
		case CKPT_REC_THREAD:
			nthread++;
			EXPECT_EQ(sizeof(struct ckpt_thread), r.len);
			break;
		case CKPT_REC_REGS:
			nregs++;
#if defined(__x86_64__)
			EXPECT_LE(sizeof(struct ckpt_regs_x86_64) + 512 + 64, r.len);
			EXPECT_EQ(sizeof(struct ckpt_regs_x86_64) +
				  ck_get32(r.p + offsetof(struct ckpt_regs_x86_64,
							  xstate_size), e), r.len);
#elif defined(__aarch64__)
			EXPECT_EQ(sizeof(struct ckpt_regs_arm64), r.len);
#else
			EXPECT_EQ(sizeof(struct ckpt_regs_m68k), r.len);
#endif
			break;
		case CKPT_REC_END:
			nend++;
			EXPECT_EQ(0, r.len);
			break;
		case CKPT_REC_PROC:
			nproc++;
			EXPECT_EQ(0, r.off - CK_HDR_SIZE) TH_LOG("PROC is not first");
			EXPECT_NE(0, ck_get32(r.p, e));		/* pid */
			EXPECT_EQ(1, ck_get32(r.p + offsetof(struct ckpt_proc,
							    nr_threads), e));
			EXPECT_EQ(getuid(), ck_get32(r.p + offsetof(struct ckpt_proc,
							       uid), e));
			break;
		case CKPT_REC_SIGHAND:
			nsighand++;
			EXPECT_EQ(CKPT_NSIG * sizeof(struct ckpt_sigaction), r.len);
			break;
		case CKPT_REC_FD: {
			uint32_t nr = ck_get32(r.p + CK_OFF(ckpt_fd, fd), e);
			uint32_t fl = ck_get32(r.p + CK_OFF(ckpt_fd, flags), e);
			uint32_t id = ck_get32(r.p + CK_OFF(ckpt_fd, file), e);

			EXPECT_EQ(sizeof(struct ckpt_fd), r.len);
			if (nfd)
				EXPECT_LT(last_fd, nr) TH_LOG("fds out of order");
			last_fd = nr;
			nfd++;
			if (fl & CKPT_FD_IMAGE) {
				nimage++;
				EXPECT_EQ(0, id);
			} else {
				for (k = 0; k < nids && ids[k] != id; k++)
					;
				EXPECT_LT(k, nids) TH_LOG("fd %u names file %u, not in the image",
							  nr, id);
			}
			break;
		}
		default:
			EXPECT_EQ(0, r.type) TH_LOG("unknown record type");
		}
	}
	/* stdin, stdout, stderr and the image */
	EXPECT_LE(4, nfd);
	EXPECT_EQ(1, nimage);
	EXPECT_EQ(1, nmm);
	EXPECT_EQ(1, nthread);
	EXPECT_EQ(1, nregs);
	EXPECT_EQ(1, nend);
	EXPECT_EQ(1, nproc);
	EXPECT_EQ(1, nsighand);
	EXPECT_EQ(im.len, r.off + r.size);
	free(im.buf);
}

/*
 * Process identity, files and signals after a restore: pid, parent, the
 * restorer's open files, P's signal mask, handlers reset to SIG_DFL,
 * the restorer's SIG_IGN kept.
 */
static void sig_handler(int sig)
{
	(void)sig;
}

struct facts {
	int32_t pid, ppid;
	int32_t uid;
	int32_t fd60_closed, fd61_null;
	int32_t mask_ok;
	int32_t usr1_handler, term_handler, usr2_dfl, urg_dfl;
	int32_t sas_ok, robust_ok, ctid_ok;	/* 2: cannot tell */
	int32_t restored;
};

static unsigned char p_altstack[65536], r_altstack[32768];
static int p_ctid, r_ctid;
static void *p_robust;
static size_t p_robust_len;

TEST(identity_files_signals)
{
	int fd, rep[2], st;
	pid_t pid, parent = getpid();
	struct facts f;

	fd = ck_memfd("ckpt-self-sig");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(rep));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sigset_t set;
		struct facts out = { 0 };
		int f61;
		long ret;

		ck_child_init(parent);
		close(rep[0]);
		if (ck_move_fd(rep[1], REPORT_FD) < 0)
			_exit(CK_EXIT_SETUP);
		f61 = open("/dev/null", O_RDONLY);
		if (f61 < 0 || ck_move_fd(f61, 61) < 0)
			_exit(CK_EXIT_SETUP);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGUSR1, sig_handler);
		signal(SIGTERM, sig_handler);
		{
			stack_t ss = { .ss_sp = p_altstack, .ss_size = sizeof(p_altstack) };

			if (sigaltstack(&ss, NULL))
				_exit(CK_EXIT_SETUP);
		}
		syscall(__NR_set_tid_address, &p_ctid);
		if (syscall(__NR_get_robust_list, 0, &p_robust, &p_robust_len))
			p_robust = NULL;
		fflush(NULL);
		ck_dump_self_or_exit(fd);
		/* restored: collect facts, send them through fd REPORT_FD */
		out.restored = 1;
		out.pid = getpid();
		out.ppid = getppid();
		out.uid = (int32_t)getuid();
		/* the image's file table: R's fd 60 gone, P's 61 back */
		out.fd60_closed = fcntl(60, F_GETFD) == -1 && errno == EBADF;
		{
			struct stat sb;

			out.fd61_null = !fstat(61, &sb) && S_ISCHR(sb.st_mode) &&
					sb.st_rdev == makedev(1, 3);
		}
		sigprocmask(SIG_SETMASK, NULL, &set);
		out.mask_ok = sigismember(&set, SIGUSR1) == 1 &&
			      sigismember(&set, SIGHUP) == 1 &&
			      sigismember(&set, SIGUSR2) == 0 &&
			      sigismember(&set, SIGINT) == 0;
		{
			struct sigaction sa;

			/* The image's handlers, not R's. */
			sigaction(SIGUSR1, NULL, &sa);
			out.usr1_handler = sa.sa_handler == sig_handler;
			sigaction(SIGTERM, NULL, &sa);
			out.term_handler = sa.sa_handler == sig_handler;
			sigaction(SIGUSR2, NULL, &sa);
			out.usr2_dfl = sa.sa_handler == SIG_DFL;
			sigaction(SIGURG, NULL, &sa);
			out.urg_dfl = sa.sa_handler == SIG_DFL;
		}
		{
			stack_t ss;
			void *head = NULL, *ctid = NULL;
			size_t len = 0;

			out.sas_ok = !sigaltstack(NULL, &ss) &&
				     ss.ss_sp == p_altstack &&
				     ss.ss_size == sizeof(p_altstack) &&
				     !(ss.ss_flags & SS_DISABLE);
			if (!p_robust ||
			    syscall(__NR_get_robust_list, 0, &head, &len))
				out.robust_ok = 2;
			else
				out.robust_ok = head == p_robust && len == p_robust_len;
			if (prctl(PR_GET_TID_ADDRESS, &ctid, 0, 0, 0))
				out.ctid_ok = 2;	/* !CONFIG_CHECKPOINT_RESTORE */
			else
				out.ctid_ok = ctid == (void *)&p_ctid;
		}
		ret = write(REPORT_FD, &out, sizeof(out));
		_exit(ret == sizeof(out) ? 0 : 1);
	}
	ASSERT_EQ(0, ck_wait(pid));

	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sigset_t set;
		int f60;

		ck_child_init(parent);
		close(rep[0]);
		if (ck_move_fd(rep[1], REPORT_FD) < 0)
			_exit(CK_EXIT_SETUP);
		f60 = ck_memfd("R's file");
		if (f60 < 0 || write(f60, "R's60", 5) != 5 ||
		    ck_move_fd(f60, 60) < 0)
			_exit(CK_EXIT_SETUP);
		close(61);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGUSR2, sig_handler);
		signal(SIGURG, SIG_IGN);
		{
			stack_t ss = { .ss_sp = r_altstack, .ss_size = sizeof(r_altstack) };
			void *head;
			size_t len;

			sigaltstack(&ss, NULL);
			syscall(__NR_set_tid_address, &r_ctid);
			/* a different (valid-looking) robust list head */
			if (!syscall(__NR_get_robust_list, 0, &head, &len))
				syscall(__NR_set_robust_list, r_altstack, len);
		}
		ckpt_restore(0, fd, 0);
		fprintf(stderr, "R: ckpt_restore: %s\n", strerror(errno));
		_exit(CK_EXIT_NO_RESTORE);
	}
	close(rep[1]);
	memset(&f, 0, sizeof(f));
	st = (int)read(rep[0], &f, sizeof(f));
	close(rep[0]);
	EXPECT_EQ(0, ck_wait(pid));
	ASSERT_EQ(sizeof(f), st);
	EXPECT_EQ(1, f.restored);
	EXPECT_EQ(pid, f.pid);
	EXPECT_EQ(getpid(), f.ppid);
	EXPECT_EQ((int32_t)getuid(), f.uid);
	EXPECT_EQ(1, f.fd60_closed);
	EXPECT_EQ(1, f.fd61_null);
	EXPECT_EQ(1, f.mask_ok);
	EXPECT_EQ(1, f.usr1_handler);
	EXPECT_EQ(1, f.term_handler);
	EXPECT_EQ(1, f.usr2_dfl);
	EXPECT_EQ(1, f.urg_dfl);
	EXPECT_EQ(1, f.sas_ok);
	EXPECT_NE(0, f.robust_ok);
	EXPECT_NE(0, f.ctid_ok);
	if (f.robust_ok == 2 || f.ctid_ok == 2)
		TH_LOG("robust list (%d) / clear_child_tid (%d): 2 = not checked",
		       f.robust_ok, f.ctid_ok);
	close(fd);
}

TEST_HARNESS_MAIN
