// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write dumps (CKPT_DUMP_COW).
 *
 * A process that writes its step count into a 4 MiB ring, word after
 * word, without a system call, is dumped with CKPT_DUMP_COW into a pipe
 * the test drains only slowly: while the dump waits for room, the process
 * runs on, its count (process_vm_readv()) going up.  Restored in a
 * fresh process, the image holds the ring and the count as they were at
 * one instant (each word the last step that wrote it, the next step's
 * word at most one ahead), from before the process ran on: its count is
 * below the one the test saw during the dump.  So with the ring in shared
 * anonymous memory, whose pages the dump copies while it holds the
 * process.  A ring with MADV_DONTFORK, which a copy would not hold, keeps
 * the process held for its whole dump instead, and its image restores as
 * well.  The flag with CKPT_DUMP_STOP or CKPT_DUMP_KILL is EINVAL; ckpt
 * show names it.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define RING_WORDS	(1u << 20)	/* 4 MiB of uint32_t */
#define SEEN_FILE	"/tmp/ckpt-cow-seen"

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* The process's state: its ring, and how many steps it made. */
static volatile uint32_t *ring;
static volatile uint64_t steps;

/* Where the ring is: private memory, shared, or private not forked. */
enum { RING_PRIVATE, RING_SHARED, RING_DONTFORK };
static int ring_kind;

static int ring_setup(void)
{
	int flags = ring_kind == RING_SHARED ? MAP_SHARED | MAP_ANONYMOUS :
					       MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = mmap(NULL, RING_WORDS * 4, PROT_READ | PROT_WRITE, flags,
		       -1, 0);
	int null = open("/dev/null", O_RDWR);
	uint32_t i;

	if (null < 0 || ck_move_fd(null, 0) != 0 || p == MAP_FAILED ||
	    (ring_kind == RING_DONTFORK &&
	     madvise(p, RING_WORDS * 4, MADV_DONTFORK)))
		return -1;
	ring = p;
	for (i = 0; i < RING_WORDS; i++)
		ring[i] = 0;
	return 0;
}

/*
 * In the restored process: the ring as it was after some step n, the
 * count: each word i holds the last step k <= n with k % RING_WORDS == i
 * (0 if none), but the word of step n + 1, which may be written already;
 * and n below what the test saw the original reach during the dump.
 */
static int ring_check(void)
{
	uint64_t n = steps, seen = 0, k;
	FILE *f = fopen(SEEN_FILE, "r");
	uint32_t i, want;

	if (!f || fscanf(f, "%llu", (unsigned long long *)&seen) != 1)
		return 10;
	fclose(f);
	if (!n || n >= seen)
		return 11;
	for (i = 0; i < RING_WORDS; i++) {
		/* the last k <= n with k % RING_WORDS == i */
		if (i > n % RING_WORDS)
			k = n / RING_WORDS ? n - n % RING_WORDS - RING_WORDS + i : 0;
		else
			k = n - n % RING_WORDS + i;
		want = (uint32_t)k;
		if (ring[i] == want)
			continue;
		if ((n + 1) % RING_WORDS == i && ring[i] == (uint32_t)(n + 1))
			continue;
		return 12;
	}
	return CK_EXIT_RESTORED;
}

/* Step after step, the restored copy checking itself once in a while. */
static void __attribute__((noreturn)) ring_run(void)
{
	uint64_t n;

	for (;;) {
		n = steps + 1;
		ring[n % RING_WORDS] = (uint32_t)n;
		steps = n;
		if (!(n & 0xffff) && getpid() != ck_original)
			_exit(ring_check());
	}
}

/* The ring's process, in memory of @kind, with only /dev/null at 0. */
static pid_t spawn_ring(int kind)
{
	static const int keep[] = { 0 };

	ring_kind = kind;
	return ck_spawn_run(ring_setup, keep, 1, ring_run);
}

/*
 * The process's step count, read as a debugger reads it (an offset in
 * /proc/PID/mem would not fit a 32-bit off_t on m68k): 0 if unreadable.
 */
static uint64_t steps_of(pid_t pid)
{
	uint64_t n = 0;
	struct iovec local = { &n, sizeof(n) };
	struct iovec remote = { (void *)&steps, sizeof(n) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(n))
		return 0;
	return n;
}

/*
 * Dump @pid with @flags into a pipe from a child, reading the image into
 * @img 64 KiB at a time; each time the pipe is full (what it holds does
 * not change: the dump waits for room) the process's count is read
 * twice, 50 ms apart.  *@ran says if it went up while the dump had bytes
 * still to write, *@seen the last count read.  Returns the dump's
 * errno, or -1.
 */
static int dump_slowly(pid_t pid, unsigned int flags, int img, int *ran,
		       uint64_t *seen)
{
	uint64_t a, b, got = 0, mark = 0;
	char buf[65536];
	int p[2], st, n;
	pid_t dumper;
	ssize_t k;

	*ran = 0;
	*seen = 0;
	if (pipe(p))
		return -1;
	fflush(NULL);
	dumper = fork();
	if (dumper == 0) {
		close(p[0]);
		_exit(ckpt_dump(pid, p[1], flags, NULL, 0) ? errno : 0);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		if (poll(&pf, 1, 60000) != 1)
			break;
		/* full: the dump waits for room, the pipe holding still */
		for (n = 0, k = -1; n < 20; n++) {
			if (ioctl(p[0], FIONREAD, &st))
				break;
			if (st == k)
				break;
			k = st;
			usleep(20000);
		}
		if (n < 20) {
			a = steps_of(pid);
			usleep(50000);
			b = steps_of(pid);
			/* what the dump had written by then */
			if (a && b > a && !mark)
				mark = got + st;
			if (b)
				*seen = b;
		}
		k = read(p[0], buf, sizeof(buf));
		if (k <= 0)
			break;
		if (write(img, buf, k) != k)
			break;
		got += k;
	}
	/* it ran while the dump still had bytes to write, not after */
	*ran = mark && got > mark;
	if (!*ran)
		fprintf(stderr, "# ran at byte %llu of %llu, last count %llu\n",
			(unsigned long long)mark, (unsigned long long)got,
			(unsigned long long)*seen);
	close(p[0]);
	st = ck_wait(dumper);
	return st < 0 || st > 255 ? -1 : st;
}

/*
 * Dump the ring's process, in memory of @kind, with CKPT_DUMP_COW: it runs
 * on during the dump if @runs, else it is held; either way its image,
 * restored in a fresh process, is of the instant the dump began.
 */
static void cow_dump(struct __test_metadata *_metadata, int kind, int runs)
{
	int img = ck_memfd("ckpt-cow"), ran, st;
	struct ck_img im;
	uint64_t seen;
	char *out;
	FILE *f;
	pid_t pid;

	ASSERT_LE(0, img);
	pid = spawn_ring(kind);
	ASSERT_LT(0, pid);
	usleep(200000);
	st = dump_slowly(pid, CKPT_DUMP_COW, img, &ran, &seen);
	EXPECT_EQ(0, st) TH_LOG("dump: %s", st > 0 ? strerror(st) : "failed");
	EXPECT_EQ(runs, ran) TH_LOG("the process %s during the dump",
				    runs ? "was held" : "ran");
	EXPECT_EQ(0, kill(pid, 0));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));

	/* the restored copy checks itself against what was seen */
	f = fopen(SEEN_FILE, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%llu\n", (unsigned long long)seen + !runs);
	fclose(f);
	ASSERT_EQ(0, ck_slurp(img, 1, &im));
	out = ck_show(&im);
	ASSERT_NE(NULL, out) TH_LOG("%s show failed", CK_TOOL);
	EXPECT_NE(NULL, strstr(out, " cow")) TH_LOG("%s", out);
	free(out);
	st = ck_try_restore(im.buf, im.len);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("restored: %s", STATUS(st));
	free(im.buf);
	unlink(SEEN_FILE);
	close(img);
}

/* Test 1: the process runs on, and its image is of the instant before. */
TEST(a_cow_dump_lets_the_process_run_and_keeps_its_instant)
{
	cow_dump(_metadata, RING_PRIVATE, 1);
}

/* Test 2: so with shared anonymous memory, which the dump copies then. */
TEST(a_cow_dump_copies_shared_memory_and_keeps_its_instant)
{
	cow_dump(_metadata, RING_SHARED, 1);
}

/* Test 3: memory a copy would not hold (MADV_DONTFORK): it is held. */
TEST(a_cow_dump_of_memory_not_forked_holds_the_process)
{
	cow_dump(_metadata, RING_DONTFORK, 0);
}

/* Test 4: CKPT_DUMP_COW with CKPT_DUMP_STOP or CKPT_DUMP_KILL. */
TEST(cow_with_stop_or_kill_is_einval)
{
	int img = ck_memfd("ckpt-cow-flags");
	pid_t pid;

	ASSERT_LE(0, img);
	pid = spawn_ring(RING_PRIVATE);
	ASSERT_LT(0, pid);
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_COW | CKPT_DUMP_STOP,
				NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_COW | CKPT_DUMP_KILL,
				NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	EXPECT_EQ(0, kill(pid, 0));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(img);
}

TEST_HARNESS_MAIN
