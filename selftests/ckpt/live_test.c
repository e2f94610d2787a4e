// SPDX-License-Identifier: GPL-2.0
/*
 * A dump holds a live process still and lets it go on as if nothing had
 * happened: no call fails with EINTR for it, no huge page is split; and
 * holding a process scales: one with thousands of threads is dumped,
 * killed and restored with every thread, and a dump of it can be killed
 * at any moment without harm to it.
 *
 * The target talks to the test over two pipes at fixed fd numbers: its
 * threads read commands on CMD_FD and write reports on REP_FD.  A process
 * restored from an image keeps the restorer's descriptors, so the restorer
 * puts the same pipes at the same numbers.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define CMD_FD		100
#define REP_FD		101

#if defined(__m68k__)
#define MANY_THREADS	1024
#else
#define MANY_THREADS	4096		/* CKPT_MAX_THREADS, the leader included */
#endif

static int cmd_pipe[2], rep_pipe[2];

static void rep(const void *buf, size_t len)
{
	if (write(REP_FD, buf, len) != (ssize_t)len)
		_exit(CK_EXIT_SETUP);
}

static void open_pipes(void)
{
	if (pipe(cmd_pipe) || pipe(rep_pipe))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
}

static void close_pipes(void)
{
	close(cmd_pipe[0]);
	close(cmd_pipe[1]);
	close(rep_pipe[0]);
	close(rep_pipe[1]);
}

static void child_fds(pid_t parent)
{
	ck_child_init(parent);
	if (dup2(cmd_pipe[0], CMD_FD) != CMD_FD ||
	    dup2(rep_pipe[1], REP_FD) != REP_FD)
		_exit(CK_EXIT_SETUP);
}

/* Read exactly len bytes of reports, or fail after secs seconds. */
static int read_reports(void *buf, size_t len, int secs)
{
	struct pollfd p = { .fd = rep_pipe[0], .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, secs * 1000) != 1)
			return -1;
		n = read(rep_pipe[0], (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* Start fn() in a child with the pipes; wait for its "R": it is set up. */
static pid_t start_ready(void (*fn)(void))
{
	pid_t parent = getpid(), pid;
	char c;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		child_fds(parent);
		fn();
		_exit(0);
	}
	if (pid > 0 && (read_reports(&c, 1, 120) || c != 'R')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Wait for pid for at most secs seconds; kill it if it is still there. */
static int wait_bounded(pid_t pid, int secs)
{
	int i, st;

	for (i = 0; i < secs * 100; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -2;
}

/* Is the thread or process sleeping (not running, not stopped)? */
static int sleeping(pid_t pid)
{
	char buf[512], *p;

	if (ck_read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static void wait_sleeping(pid_t pid)
{
	int i;

	for (i = 0; i < 500 && !sleeping(pid); i++)
		usleep(10000);
	usleep(50000);
}

/*
 * Dump pid into a new memfd, n times, the process resuming each time.
 * err 0: each dump must succeed; else each must fail with errno err
 * and write nothing.
 */
static int dump_times_err(pid_t pid, int n, int err)
{
	int i, fd, bad;

	for (i = 0; i < n; i++) {
		fd = ck_memfd("live");
		if (fd < 0)
			return -1;
		if (err)
			bad = ckpt_dump(pid, fd, 0, NULL, 0) != -1 || errno != err ||
			      lseek(fd, 0, SEEK_END) != 0;
		else
			bad = ckpt_dump(pid, fd, 0, NULL, 0) != 0;
		close(fd);
		if (bad)
			return -1;
		usleep(20000);
	}
	return 0;
}

static int dump_times(pid_t pid, int n)
{
	return dump_times_err(pid, n, 0);
}

FIXTURE(live) {
	pid_t pid;
};

FIXTURE_SETUP(live)
{
	signal(SIGPIPE, SIG_IGN);
	open_pipes();
	self->pid = -1;
}

FIXTURE_TEARDOWN(live)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	close_pipes();
}

/*
 * epoll_wait() returns -EINTR when signal_pending(): the park's
 * TWA_SIGNAL made it fail with no signal at all (review finding 15).
 * Now the park turns it back into a restarted call: three dumps, and
 * the wait still ends with the event.
 */
static void epoll_waiter(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0), n;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, CMD_FD, &ev))
		_exit(CK_EXIT_SETUP);
	rep("R", 1);
	n = epoll_wait(ep, &ev, 1, 20000);
	n = n < 0 ? -errno : n;
	rep(&n, sizeof(n));
	pause();
}

TEST_F(live, epoll_wait_is_not_interrupted_by_a_dump)
{
	int n = 0;

	self->pid = start_ready(epoll_waiter);
	ASSERT_LT(0, self->pid);
	wait_sleeping(self->pid);
	ASSERT_EQ(0, dump_times(self->pid, 3));
	ASSERT_EQ(1, write(cmd_pipe[1], "x", 1));
	ASSERT_EQ(0, read_reports(&n, sizeof(n), 20));
	EXPECT_EQ(1, n) TH_LOG("epoll_wait() gave %d (-%d is EINTR)", n, EINTR);
}

/* sigtimedwait() likewise returns -EINTR, not -ERESTART*. */
static void sigwaiter(void)
{
	struct timespec ts = { .tv_sec = 20 };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		_exit(CK_EXIT_SETUP);
	rep("R", 1);
	sig = sigtimedwait(&set, NULL, &ts);
	sig = sig < 0 ? -errno : sig;
	rep(&sig, sizeof(sig));
	pause();
}

TEST_F(live, sigtimedwait_is_not_interrupted_by_a_dump)
{
	int sig = 0;

	self->pid = start_ready(sigwaiter);
	ASSERT_LT(0, self->pid);
	wait_sleeping(self->pid);
	ASSERT_EQ(0, dump_times(self->pid, 3));
	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	ASSERT_EQ(0, read_reports(&sig, sizeof(sig), 20));
	EXPECT_EQ(SIGUSR1, sig) TH_LOG("sigtimedwait() gave %d", sig);
}

/*
 * A dump must not split the target's transparent huge pages (review
 * finding 19: a page walk with only a pte_entry splits every PMD).
 */
#define HUGE_SZ		(2UL << 20)

/* The system's AnonHugePages: the target is the only one with any. */
static long anon_huge_kb(void)
{
	return ck_meminfo_kb("AnonHugePages:");
}

static void thp_holder(void)
{
	char *p = mmap(NULL, 3 * HUGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *h;
	size_t i;

	if (p == MAP_FAILED)
		_exit(CK_EXIT_SETUP);
	h = (char *)(((uintptr_t)p + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
	madvise(h, HUGE_SZ, MADV_HUGEPAGE);
	for (i = 0; i < HUGE_SZ; i += 4096)
		h[i] = (char)(i >> 12) | 1;
	rep("R", 1);
	pause();
}

TEST_F(live, a_dump_does_not_split_huge_pages)
{
	long before, after;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		SKIP(return, "no transparent huge pages in this kernel");
	self->pid = start_ready(thp_holder);
	ASSERT_LT(0, self->pid);
	before = anon_huge_kb();
	if (before <= 0)
		SKIP(return, "the kernel gave the target no huge page");
	ASSERT_EQ(0, dump_times(self->pid, 2));
	after = anon_huge_kb();
	EXPECT_EQ(before, after);
}

/*
 * Thousands of threads, each blocked in read(CMD_FD): each answers one
 * command byte with its id, once.  Quiescing is linear in the threads and
 * killable (review finding 9).
 */
static void *many_worker(void *arg)
{
	uint16_t id = (uint16_t)(uintptr_t)arg;
	char c;

	if (read(CMD_FD, &c, 1) != 1)
		_exit(CK_EXIT_SETUP);
	rep(&id, sizeof(id));
	for (;;)		/* once: no thread takes another's byte */
		pause();
	return NULL;
}

static void many_threads(void)
{
	pthread_attr_t attr;
	pthread_t t;
	long i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN > 65536 ?
				  PTHREAD_STACK_MIN : 65536);
	for (i = 1; i < MANY_THREADS; i++)
		if (pthread_create(&t, &attr, many_worker, (void *)i))
			_exit(CK_EXIT_SETUP);
	rep("R", 1);
	for (;;)
		pause();
}

static int threads_of(pid_t pid)
{
	char buf[4096], *p;

	if (ck_read_proc(pid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "Threads:");
	return p ? atoi(p + 8) : -1;
}

/* Every worker answers one command byte with its own id, exactly once. */
static int all_answer(struct __test_metadata *_metadata)
{
	static char cmds[MANY_THREADS];
	static uint16_t ids[MANY_THREADS];
	static unsigned char seen[MANY_THREADS];
	int i, n = MANY_THREADS - 1, bad = 0;

	memset(cmds, 'x', sizeof(cmds));
	memset(seen, 0, sizeof(seen));
	if (write(cmd_pipe[1], cmds, n) != n)
		return -1;
	if (read_reports(ids, n * sizeof(ids[0]), 60))
		return -1;
	for (i = 0; i < n; i++) {
		if (ids[i] < 1 || ids[i] >= MANY_THREADS || seen[ids[i]]++)
			bad++;
	}
	EXPECT_EQ(0, bad);
	return bad ? -1 : 0;
}

TEST_F_TIMEOUT(live, thousands_of_threads_dumped_killed_restored, 600)
{
	pid_t parent = getpid(), r;
	int img, st;

	self->pid = start_ready(many_threads);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(MANY_THREADS, threads_of(self->pid));
	img = ck_memfd("many");
	ASSERT_LE(0, img);
	ASSERT_EQ(0, ckpt_dump(self->pid, img, CKPT_DUMP_KILL, NULL, 0))
		TH_LOG("ckpt_dump: %s", strerror(errno));
	waitpid(self->pid, NULL, 0);
	self->pid = -1;

	fflush(NULL);
	r = fork();
	ASSERT_LE(0, r);
	if (r == 0) {
		child_fds(parent);
		lseek(img, 0, SEEK_SET);
		ckpt_restore(0, img, 0);
		_exit(CK_EXIT_NO_RESTORE);
	}
	self->pid = r;
	close(img);
	/* minutes on a debug kernel under TCG: bounded by the test's timeout */
	for (st = 0; st < 3000 && threads_of(r) != MANY_THREADS; st++) {
		int status;

		if (waitpid(r, &status, WNOHANG) == r) {
			self->pid = -1;
			ASSERT_EQ(0, 1) TH_LOG("the restorer ended: status %#x (%d: restore failed)",
					       status, CK_EXIT_NO_RESTORE);
		}
		usleep(100000);
	}
	ASSERT_EQ(MANY_THREADS, threads_of(r));
	ASSERT_EQ(0, all_answer(_metadata));
}

/*
 * A dump of a process with thousands of threads, killed at moments spread
 * over its course: the dumper dies promptly, the target lives on and every
 * one of its threads still answers.
 */
TEST_F_TIMEOUT(live, a_dump_of_thousands_of_threads_can_be_killed_any_time, 600)
{
	static const int delays_ms[] = { 0, 5, 30, 100, 300 };
	unsigned int i;

	self->pid = start_ready(many_threads);
	ASSERT_LT(0, self->pid);
	for (i = 0; i < ARRAY_SIZE(delays_ms); i++) {
		pid_t d;
		int st;

		fflush(NULL);
		d = fork();
		ASSERT_LE(0, d);
		if (d == 0) {
			int fd = ck_memfd("killed");

			ckpt_dump(self->pid, fd, 0, NULL, 0);
			_exit(0);
		}
		usleep(delays_ms[i] * 1000);
		kill(d, SIGKILL);
		st = wait_bounded(d, 20);
		EXPECT_LE(0, st) TH_LOG("the dumper did not die (delay %d ms)",
					delays_ms[i]);
		EXPECT_EQ(0, waitpid(self->pid, NULL, WNOHANG));
	}
	ASSERT_EQ(MANY_THREADS, threads_of(self->pid));
	ASSERT_EQ(0, all_answer(_metadata));
}

TEST_HARNESS_MAIN
