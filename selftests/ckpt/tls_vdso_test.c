// SPDX-License-Identifier: GPL-2.0
/*
 * TLS and vDSO across a checkpoint/restore.
 *
 * The restorer is a fresh execve() of this binary ("--ckpt-restore FD"), so
 * its layout (vDSO, stack, TLS block) is newly randomized, and it sets its
 * thread pointer to a bogus value right before the raw ckpt_restore: the
 * restored process must get P's thread pointer (and on x86_64 also P's GS
 * base), P's __thread variables, and a working vDSO at P's address.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>
#include <sys/auxv.h>
#ifdef __x86_64__
#include <asm/prctl.h>
#endif

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#ifndef __NR_get_thread_area
#define __NR_get_thread_area	333	/* m68k */
#endif

#define BOGUS_TP	0x10000ul

static __thread uint64_t tls_var = 1;
static __thread char tls_str[32] = "initial";

static struct {
	uint64_t tp;		/* thread pointer register */
	uint64_t gs_base;	/* x86_64 */
	uint64_t tls_val;
	uintptr_t tls_addr;
	unsigned long vdso;	/* getauxval(AT_SYSINFO_EHDR) */
	struct timespec mono;
	struct timespec real;
} before;

static int bad;
#define FAIL(...) do { fprintf(stderr, "restored: " __VA_ARGS__); bad++; } while (0)

static uint64_t read_tp(void)
{
#if defined(__x86_64__)
	unsigned long fs = 0;

	syscall(__NR_arch_prctl, ARCH_GET_FS, &fs);
	return fs;
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
	return v;
#else
	return (uint32_t)syscall(__NR_get_thread_area);
#endif
}

static uint64_t read_gs(void)
{
#if defined(__x86_64__)
	unsigned long gs = 0;

	syscall(__NR_arch_prctl, ARCH_GET_GS, &gs);
	return gs;
#else
	return 0;
#endif
}

/* AT_SYSINFO_EHDR as the kernel reports it in /proc/self/auxv */
static unsigned long proc_auxv_vdso(void)
{
	unsigned long buf[256];
	int fd = open("/proc/self/auxv", O_RDONLY);
	ssize_t n;
	size_t i;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return 0;
	for (i = 0; i + 1 < (size_t)n / sizeof(long); i += 2)
		if (buf[i] == AT_SYSINFO_EHDR)
			return buf[i + 1];
	return 0;
}

/* Is "[vdso]" mapped at addr? */
static int vdso_in_maps(unsigned long addr)
{
	static char maps[65536];
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t len = 0;
	ssize_t n;
	char *line;

	if (fd < 0)
		return 0;
	while ((n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	maps[len] = 0;
	for (line = maps; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long start;

		if (sscanf(line, "%lx-", &start) == 1 && start == addr) {
			char *nl = strchr(line, '\n');
			char *v = strstr(line, "[vdso]");

			return v && (!nl || v < nl);
		}
	}
	return 0;
}

static void __attribute__((noreturn)) run_p(int fd, int check_vdso)
{
	struct timespec now;
	long ret;

#ifdef __x86_64__
	syscall(__NR_arch_prctl, ARCH_SET_GS, 0x5a5a5000ul);
#endif
	tls_var = 0x7157AB1E0000CAFEull;
	strcpy(tls_str, "thread-local at dump");
	before.tp = read_tp();
	before.gs_base = read_gs();
	before.tls_val = tls_var;
	before.tls_addr = (uintptr_t)&tls_var;
	before.vdso = getauxval(AT_SYSINFO_EHDR);
	clock_gettime(CLOCK_MONOTONIC, &before.mono);
	clock_gettime(CLOCK_REALTIME, &before.real);

	fflush(NULL);
	ret = ckpt_dump(0, fd, 0, NULL, 0);
	if (ret == 0) {
		tls_var = 0;
		strcpy(tls_str, "changed");
		_exit(0);
	}
	if (ret != CKPT_RESTORED) {
		fprintf(stderr, "P: ckpt_dump: %s\n", strerror(errno));
		_exit(CK_EXIT_DUMP_FAILED);
	}
	/* restored */
	if (read_tp() != before.tp)
		FAIL("thread pointer %#llx, expected %#llx\n",
		     (unsigned long long)read_tp(), (unsigned long long)before.tp);
	if (read_gs() != before.gs_base)
		FAIL("gs base %#llx, expected %#llx\n",
		     (unsigned long long)read_gs(),
		     (unsigned long long)before.gs_base);
	if ((uintptr_t)&tls_var != before.tls_addr)
		FAIL("&tls_var moved\n");
	if (tls_var != before.tls_val)
		FAIL("tls_var = %#llx\n", (unsigned long long)tls_var);
	if (strcmp(tls_str, "thread-local at dump"))
		FAIL("tls_str = '%s'\n", tls_str);
	if (check_vdso) {
		if (getauxval(AT_SYSINFO_EHDR) != before.vdso)
			FAIL("getauxval(AT_SYSINFO_EHDR) changed\n");
		if (proc_auxv_vdso() != before.vdso)
			FAIL("/proc/self/auxv AT_SYSINFO_EHDR %#lx, expected %#lx\n",
			     proc_auxv_vdso(), before.vdso);
		if (!vdso_in_maps(before.vdso))
			FAIL("[vdso] is not at %#lx in /proc/self/maps\n",
			     before.vdso);
		/* through the vDSO (the C library found it at startup) */
		if (clock_gettime(CLOCK_MONOTONIC, &now))
			FAIL("clock_gettime: %s\n", strerror(errno));
		else if (now.tv_sec < before.mono.tv_sec ||
			 (now.tv_sec == before.mono.tv_sec &&
			  now.tv_nsec < before.mono.tv_nsec))
			FAIL("CLOCK_MONOTONIC went back: %lld.%09ld < %lld.%09ld\n",
			     (long long)now.tv_sec, now.tv_nsec,
			     (long long)before.mono.tv_sec, before.mono.tv_nsec);
		/* The guest may have no RTC: compare with the dump, not a date. */
		if (clock_gettime(CLOCK_REALTIME, &now) ||
		    now.tv_sec < before.real.tv_sec)
			FAIL("CLOCK_REALTIME went back: %lld < %lld\n",
			     (long long)now.tv_sec,
			     (long long)before.real.tv_sec);
	}
	_exit(bad ? CK_EXIT_MISMATCH : CK_EXIT_OK);
}

/*
 * The restorer: bogus thread pointer (and GS), then the raw restore; only
 * raw system calls in between (errno and the stack protector use TLS).
 */
static long restore_with_bogus_tp(int fd)
{
	long ret = -1;
#if defined(__x86_64__)
	unsigned long old = read_tp();

	syscall(__NR_arch_prctl, ARCH_SET_GS, 0x33330000ul);
	__asm__ volatile(
		"mov %[nrp], %%eax\n"
		"mov %[setfs], %%edi\n"
		"mov %[bogus], %%rsi\n"
		"syscall\n"
		"mov %[nrr], %%eax\n"
		"xor %%edi, %%edi\n"
		"mov %[fd], %%rsi\n"
		"xor %%edx, %%edx\n"
		"syscall\n"
		"mov %%rax, %[ret]\n"
		"mov %[nrp], %%eax\n"
		"mov %[setfs], %%edi\n"
		"mov %[old], %%rsi\n"
		"syscall\n"
		: [ret] "=m"(ret)
		: [nrp] "i"(__NR_arch_prctl), [nrr] "i"(__NR_ckpt_restore),
		  [setfs] "i"(ARCH_SET_FS), [bogus] "r"(BOGUS_TP),
		  [fd] "r"((long)fd), [old] "r"(old)
		: "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
#elif defined(__aarch64__)
	uint64_t old;

	__asm__ volatile(
		"mrs %[old], tpidr_el0\n"
		"msr tpidr_el0, %[bogus]\n"
		"mov x8, %[nr]\n"
		"mov x0, #0\n"
		"mov x1, %[fd]\n"
		"mov x2, #0\n"
		"svc #0\n"
		"msr tpidr_el0, %[old]\n"
		"mov %[ret], x0\n"
		: [ret] "=r"(ret), [old] "=&r"(old)
		: [bogus] "r"(BOGUS_TP), [fd] "r"((long)fd),
		  [nr] "i"(__NR_ckpt_restore)
		: "x0", "x1", "x2", "x8", "memory");
#elif defined(__m68k__)
	long old = (long)read_tp();

	__asm__ volatile(
		"move.l %[nrs], %%d0\n"
		"move.l %[bogus], %%d1\n"
		"trap #0\n"
		"move.l %[nrr], %%d0\n"
		"moveq #0, %%d1\n"
		"move.l %[fd], %%d2\n"
		"moveq #0, %%d3\n"
		"trap #0\n"
		"move.l %%d0, %[ret]\n"
		"move.l %[nrs], %%d0\n"
		"move.l %[old], %%d1\n"
		"trap #0\n"
		: [ret] "=m"(ret)
		: [nrs] "i"(334), [nrr] "i"(__NR_ckpt_restore),
		  [bogus] "g"(BOGUS_TP), [fd] "g"((long)fd), [old] "g"(old)
		: "d0", "d1", "d2", "d3", "memory");
#endif
	return ret;
}

static int restorer_main(int fd)
{
	long ret;

	ret = restore_with_bogus_tp(fd);
	fprintf(stderr, "R: ckpt_restore: %s\n", strerror((int)-ret));
	return CK_EXIT_NO_RESTORE;
}

static void dump_restore(struct __test_metadata *_metadata, int check_vdso,
			 int exec_restorer)
{
	pid_t parent = getpid(), pid;
	int fd;

	fd = ck_memfd("ckpt-tls");
	ASSERT_LE(0, fd);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ck_child_init(parent);
		run_p(fd, check_vdso);
	}
	ASSERT_EQ(0, ck_wait(pid));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));

	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char fdstr[16];
		char *argv[] = { "tls_vdso_test", "--ckpt-restore", fdstr, NULL };

		ck_child_init(parent);
		snprintf(fdstr, sizeof(fdstr), "%d", fd);
		if (exec_restorer) {
			execv("/proc/self/exe", argv);
			perror("execv");
			_exit(CK_EXIT_SETUP);
		}
		_exit(restorer_main(fd));
	}
	EXPECT_EQ(CK_EXIT_OK, ck_wait(pid));
	close(fd);
}

TEST(tls_forked_restorer)
{
	dump_restore(_metadata, 0, 0);
}

TEST(tls_execed_restorer)
{
	dump_restore(_metadata, 0, 1);
}

TEST(vdso)
{
#ifdef __m68k__
	SKIP(return, "m68k has no vDSO");
#endif
	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP(return, "no vDSO");
	dump_restore(_metadata, 1, 1);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--ckpt-restore")) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return restorer_main(atoi(argv[2]));
	}
	return test_harness_run(argc, argv);
}
