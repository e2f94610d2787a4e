// SPDX-License-Identifier: GPL-2.0
/*
 * An administrator checkpoints another process and rolls it back, or
 * kills it and restores it: the 1988 scenario, threads, blocked system
 * calls and signals.  Every test runs as root and as an unprivileged user.
 *
 * The target talks to the test over two pipes at fixed fd numbers: it
 * reads commands on CMD_FD and writes reports on REP_FD.  A process
 * restored from an image keeps the restorer's descriptors, so the restorer
 * puts the same pipes at the same numbers.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define CMD_FD		100
#define REP_FD		101
#define IMG_FD		102
#define TEST_UID	1000

static int cmd_pipe[2], rep_pipe[2];

/* ---- in the target ---- */

static void rep(const void *buf, size_t len)
{
	if (write(REP_FD, buf, len) != (ssize_t)len)
		_exit(CK_EXIT_SETUP);
}

static char cmd(void)
{
	char c = 0;

	if (read(CMD_FD, &c, 1) != 1)
		_exit(CK_EXIT_SETUP);
	return c;
}

/* ---- in the test ---- */

static void drop_privileges(uid_t uid)
{
	if (!uid)
		return;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		ksft_exit_fail_msg("cannot become uid %u\n", uid);
	prctl(PR_SET_DUMPABLE, 1);
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

/* In a new child: the pipes at their numbers. */
static void child_fds(pid_t parent)
{
	ck_child_init(parent);
	if (dup2(cmd_pipe[0], CMD_FD) != CMD_FD ||
	    dup2(rep_pipe[1], REP_FD) != REP_FD)
		_exit(CK_EXIT_SETUP);
}

static int img_for_child;	/* the image fd a self-dumping child gets */

/* Start fn() in a child process with the pipes. */
static pid_t start(void (*fn)(void))
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* none of the test's other fds (the one a self-dump needs) */
		const int keep[] = { img_for_child, CMD_FD, REP_FD };

		child_fds(parent);
		ck_only_fds_of(keep, 3);
		fn();
		_exit(0);
	}
	return pid;
}

/* Start fn() and wait for its first report, "R": it is set up. */
static pid_t start_ready(void (*fn)(void))
{
	pid_t pid = start(fn);
	char c;

	if (pid > 0 && (read(rep_pipe[0], &c, 1) != 1 || c != 'R')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Restore the image in img as a new child with the pipes. */
static pid_t restore(int img)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		child_fds(parent);
		if (lseek(img, 0, SEEK_SET) || dup2(img, IMG_FD) != IMG_FD)
			_exit(CK_EXIT_SETUP);
		ckpt_restore(0, IMG_FD, 0);
		_exit(CK_EXIT_NO_RESTORE);
	}
	return pid;
}

static int get(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(rep_pipe[0], (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static void put(char c)
{
	if (write(cmd_pipe[1], &c, 1) != 1)
		ksft_exit_fail_msg("write cmd: %s\n", strerror(errno));
}

static int dump(pid_t pid, int img, unsigned int flags)
{
	if (ftruncate(img, 0) || lseek(img, 0, SEEK_SET))
		return -1;
	return ckpt_dump(pid, img, flags, NULL, 0);
}

/*
 * Dump pid with CKPT_DUMP_KILL into img, reap it, and restore the image as
 * a new child.  Returns the child, or -1 (errno says why).
 */
static pid_t move(pid_t pid, int img)
{
	if (dump(pid, img, CKPT_DUMP_KILL))
		return -1;
	if (ck_wait(pid) != 1000 + SIGKILL) {
		errno = ECHILD;
		return -1;
	}
	return restore(img);
}

/* The state letter of /proc/PID/stat, or 0. */
static char proc_state(pid_t pid)
{
	char buf[512], *p;

	if (ck_read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait until pid sleeps (a restored process back in its call). */
static int wait_sleeping(pid_t pid, char state)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (proc_state(pid) == state)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Roll pid back to the image in img (read from its start). */
static int rollback(pid_t pid, int img)
{
	if (lseek(img, 0, SEEK_SET))
		return -1;
	return ckpt_restore(pid, img, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(proc) {
	int img;
};

FIXTURE_VARIANT(proc) {
	uid_t uid;
};

FIXTURE_VARIANT_ADD(proc, root) {
	.uid = 0,
};

FIXTURE_VARIANT_ADD(proc, user) {
	.uid = TEST_UID,
};

FIXTURE_SETUP(proc)
{
	drop_privileges(variant->uid);
	open_pipes();
	self->img = ck_memfd("ckpt-process");
	ASSERT_LE(0, self->img);
}

FIXTURE_TEARDOWN(proc)
{
	close(self->img);
	close_pipes();
}

/* ---------------------------------------------------------------- */
/* 1. The 1988 scenario: count, checkpoint, run on, roll back. */

#define MEM_WORDS	4096
static volatile uint64_t counter, epoch;
static volatile uint64_t mem[MEM_WORDS];

struct count_report {
	uint64_t counter, epoch;
	int64_t pid, ppid;
	uint64_t consistent;
};

static void count_report(int sig)
{
	struct count_report r = {
		.counter = counter, .epoch = epoch,
		.pid = getpid(), .ppid = getppid(), .consistent = 1,
	};
	uint64_t i;

	/* Every word written so far holds the count that wrote it. */
	for (i = 0; i < MEM_WORDS && i < r.counter; i++) {
		uint64_t w = mem[i];

		/* (counter is stored after the word it counts) */
		if (w && (w % MEM_WORDS != i || w > r.counter + 1))
			r.consistent = 0;
	}
	rep(&r, sizeof(r));
}

static void counting(void)
{
	signal(SIGUSR1, count_report);
	rep("R", 1);
	for (;;) {
		uint64_t c = counter + 1;

		mem[c % MEM_WORDS] = c;
		counter = c;
	}
}

static int ask_count(pid_t pid, struct count_report *r)
{
	if (kill(pid, SIGUSR1))
		return -1;
	return get(r, sizeof(*r));
}

TEST_F(proc, count_rollback_in_place)
{
	struct count_report before, after;
	uint64_t one = 1;
	struct iovec local = { &one, sizeof(one) };
	struct iovec remote = { (void *)&epoch, sizeof(epoch) };
	pid_t pid = start_ready(counting);

	ASSERT_LT(0, pid);
	usleep(100000);
	ASSERT_EQ(0, dump(pid, self->img, 0)) TH_LOG("dump: %s", strerror(errno));
	/* It runs on; the admin marks its memory. */
	ASSERT_EQ(sizeof(one), process_vm_writev(pid, &local, 1, &remote, 1, 0));
	usleep(300000);
	ASSERT_EQ(0, ask_count(pid, &before));
	EXPECT_EQ(1, before.epoch);
	EXPECT_EQ(1, before.consistent);

	ASSERT_EQ(0, rollback(pid, self->img))
		TH_LOG("rollback: %s", strerror(errno));
	ASSERT_EQ(0, ask_count(pid, &after));
	EXPECT_EQ(0, after.epoch);		/* the memory is the image's */
	EXPECT_EQ(1, after.consistent);
	EXPECT_LT(after.counter, before.counter);
	EXPECT_LT(0, after.counter);
	EXPECT_EQ(pid, after.pid);		/* the same process */
	EXPECT_EQ(getpid(), after.ppid);
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
}

/* Under user control: blocked in read on the live pipe, rolled back. */
static void stepping(void)
{
	uint64_t vals[2];

	rep("R", 1);
	for (;;) {
		char c = cmd();

		if (c == '+')
			counter++;
		vals[0] = counter;
		vals[1] = (uint64_t)c;
		rep(vals, sizeof(vals));
	}
}

TEST_F(proc, read_rollback_keeps_live_pipe)
{
	uint64_t vals[2];
	int i;
	pid_t pid = start_ready(stepping);

	ASSERT_LT(0, pid);
	for (i = 0; i < 5; i++) {
		put('+');
		ASSERT_EQ(0, get(vals, sizeof(vals)));
	}
	ASSERT_EQ(5, vals[0]);
	usleep(20000);			/* in read() */
	ASSERT_EQ(0, dump(pid, self->img, 0)) TH_LOG("dump: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		put('+');
		ASSERT_EQ(0, get(vals, sizeof(vals)));
	}
	ASSERT_EQ(8, vals[0]);
	usleep(20000);
	ASSERT_EQ(0, rollback(pid, self->img))
		TH_LOG("rollback: %s", strerror(errno));
	put('=');
	ASSERT_EQ(0, get(vals, sizeof(vals)));
	EXPECT_EQ(5, vals[0]);
	EXPECT_EQ('=', vals[1]);
	put('+');
	ASSERT_EQ(0, get(vals, sizeof(vals)));
	EXPECT_EQ(6, vals[0]);
	kill(pid, SIGKILL);
	ck_wait(pid);
}

/* ---------------------------------------------------------------- */
/* 2. Four threads: a mutex, a condvar, own counters and FPU values. */

#define NTHREADS	4

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile uint64_t stop;		/* set by the test, remotely */
static uint64_t total, finished;
static uint64_t own[NTHREADS];
static double fpu_out[NTHREADS];

/*
 * Each thread counts in its own counter and in an FPU register, and adds 64
 * to the shared total under the mutex at the start of every 64 counts, until
 * the test sets stop.  Then total is the sum of own[] rounded up to 64s and
 * each FPU value is id + own * (0.5 + id), exactly.
 */
static void *worker(void *arg)
{
	long id = (long)arg;
	double acc = id, step = 0.5 + id;
	uint64_t i;

	for (i = 0; !stop; i++) {
		acc += step;
		if (i % 64 == 0) {
			pthread_mutex_lock(&mtx);
			total += 64;
			pthread_mutex_unlock(&mtx);
		}
		own[id]++;
	}
	pthread_mutex_lock(&mtx);
	fpu_out[id] = acc;
	finished++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mtx);
	return NULL;
}

struct thread_report {
	uint64_t total, finished, own[NTHREADS];
	double fpu[NTHREADS];
	int64_t joined;
};

static void threads(void)
{
	pthread_t th[NTHREADS];
	struct thread_report r = { };
	long i;

	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			_exit(CK_EXIT_SETUP);
	rep("R", 1);
	pthread_mutex_lock(&mtx);
	while (finished < NTHREADS)
		pthread_cond_wait(&cv, &mtx);
	pthread_mutex_unlock(&mtx);
	for (i = 0; i < NTHREADS; i++)
		r.joined += !pthread_join(th[i], NULL);
	r.total = total;
	r.finished = finished;
	memcpy(r.own, own, sizeof(own));
	memcpy(r.fpu, fpu_out, sizeof(fpu_out));
	rep(&r, sizeof(r));
}

static int set_stop(pid_t pid)
{
	uint64_t one = 1;
	struct iovec local = { &one, sizeof(one) };
	struct iovec remote = { (void *)&stop, sizeof(stop) };

	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == sizeof(one) ?
	       0 : -1;
}

static void check_threads(struct __test_metadata *_metadata,
			  const struct thread_report *r)
{
	uint64_t sum = 0;
	int i;

	EXPECT_EQ(NTHREADS, r->joined);
	EXPECT_EQ(NTHREADS, r->finished);
	for (i = 0; i < NTHREADS; i++) {
		EXPECT_LT(0, r->own[i]);
		EXPECT_EQ(i + r->own[i] * (0.5 + i), r->fpu[i])
			TH_LOG("thread %d: %.1f after %llu", i, r->fpu[i],
			       (unsigned long long)r->own[i]);
		sum += (r->own[i] + 63) / 64 * 64;
	}
	EXPECT_EQ(sum, r->total);
}

TEST_F(proc, four_threads_kill_restore)
{
	struct thread_report r;
	pid_t pid = start_ready(threads), rpid;

	ASSERT_LT(0, pid);
	usleep(100000);			/* running */
	rpid = move(pid, self->img);
	ASSERT_LT(0, rpid) TH_LOG("dump and restore: %s", strerror(errno));
	usleep(200000);			/* running again */
	ASSERT_EQ(0, set_stop(rpid)) TH_LOG("restored process: %s",
					     strerror(errno));
	ASSERT_EQ(0, get(&r, sizeof(r)));
	EXPECT_EQ(0, ck_wait(rpid));
	check_threads(_metadata, &r);
}

/* A multithreaded process rolled back in place, while it runs. */
TEST_F(proc, four_threads_rollback_in_place)
{
	struct thread_report r;
	pid_t pid = start_ready(threads);

	ASSERT_LT(0, pid);
	usleep(100000);
	ASSERT_EQ(0, dump(pid, self->img, 0)) TH_LOG("dump: %s", strerror(errno));
	usleep(100000);
	ASSERT_EQ(0, rollback(pid, self->img))
		TH_LOG("rollback: %s", strerror(errno));
	usleep(100000);
	ASSERT_EQ(0, set_stop(pid));
	ASSERT_EQ(0, get(&r, sizeof(r)));
	EXPECT_EQ(0, ck_wait(pid));
	check_threads(_metadata, &r);
}

/* A thread of a multithreaded process dumps its own process. */
static void threads_dump_themselves(void)
{
	pthread_t th[NTHREADS];
	struct thread_report r = { };
	long i, ret;

	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			_exit(CK_EXIT_SETUP);
	usleep(50000);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(0);			/* the original: done */
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	usleep(50000);
	stop = 1;
	for (i = 0; i < NTHREADS; i++)
		r.joined += !pthread_join(th[i], NULL);
	r.total = total;
	r.finished = finished;
	memcpy(r.own, own, sizeof(own));
	memcpy(r.fpu, fpu_out, sizeof(fpu_out));
	rep(&r, sizeof(r));
}

static void dump_self_child(void)
{
	if (dup2(img_for_child, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	threads_dump_themselves();
}

/* The restorer has threads of its own: they end, as in execve(). */
static void *idle(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

TEST_F(proc, threaded_self_dump_restored_by_threaded_caller)
{
	struct thread_report r;
	pid_t parent = getpid(), pid, rpid;

	img_for_child = self->img;
	pid = start(dump_self_child);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, ck_wait(pid));

	fflush(NULL);
	rpid = fork();
	ASSERT_LE(0, rpid);
	if (rpid == 0) {
		pthread_t t;

		child_fds(parent);
		if (pthread_create(&t, NULL, idle, NULL) ||
		    pthread_create(&t, NULL, idle, NULL) ||
		    lseek(self->img, 0, SEEK_SET) ||
		    dup2(self->img, IMG_FD) != IMG_FD)
			_exit(CK_EXIT_SETUP);
		ckpt_restore(0, IMG_FD, 0);
		_exit(CK_EXIT_NO_RESTORE);
	}
	ASSERT_EQ(0, get(&r, sizeof(r))) TH_LOG("restored process: %d",
						 ck_wait(rpid));
	EXPECT_EQ(0, ck_wait(rpid));
	check_threads(_metadata, &r);
}

/* ---------------------------------------------------------------- */
/* 3. Blocked in nanosleep and in pause. */

#define SLEEP_NS	1000000000L

struct sleep_report {
	int64_t ret, err;
	double elapsed;
};

static void sleeping(void)
{
	struct timespec ts = { SLEEP_NS / 1000000000L, SLEEP_NS % 1000000000L };
	struct sleep_report r;
	double t0 = now();

	rep("R", 1);
	r.ret = nanosleep(&ts, NULL);
	r.err = r.ret ? errno : 0;
	r.elapsed = now() - t0;
	rep(&r, sizeof(r));
}

/* A dump that lets it run on does not restart the sleep from scratch. */
TEST_F(proc, nanosleep_dump_sleeps_what_was_left)
{
	struct sleep_report r;
	pid_t pid = start_ready(sleeping);

	ASSERT_LT(0, pid);
	usleep(300000);
	ASSERT_EQ(0, dump(pid, self->img, 0)) TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, get(&r, sizeof(r)));
	EXPECT_EQ(0, r.ret);
	EXPECT_LE(SLEEP_NS / 1e9, r.elapsed);
	/* Made again from scratch it would take 1.3 s. */
	EXPECT_GT(SLEEP_NS / 1e9 + 0.2, r.elapsed) TH_LOG("slept %.3f s", r.elapsed);
	EXPECT_EQ(0, ck_wait(pid));
}

/* Restored from the image, the interrupted sleep is made again. */
TEST_F(proc, nanosleep_kill_restore)
{
	struct sleep_report r;
	pid_t pid = start_ready(sleeping), rpid;

	ASSERT_LT(0, pid);
	usleep(200000);
	rpid = move(pid, self->img);
	ASSERT_LT(0, rpid) TH_LOG("dump and restore: %s", strerror(errno));
	ASSERT_EQ(0, get(&r, sizeof(r)));
	EXPECT_EQ(0, r.ret);
	EXPECT_LE(SLEEP_NS / 1e9, r.elapsed);
	EXPECT_EQ(0, ck_wait(rpid));
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = sig;
}

static void pausing(void)
{
	int64_t r[3];

	signal(SIGUSR1, on_usr1);
	rep("R", 1);
	r[0] = pause();
	r[1] = errno;
	r[2] = got_usr1;
	rep(r, sizeof(r));
}

TEST_F(proc, pause_kill_restore_then_signal)
{
	int64_t r[3];
	pid_t pid = start_ready(pausing), rpid;

	ASSERT_LT(0, pid);
	usleep(20000);
	rpid = move(pid, self->img);
	ASSERT_LT(0, rpid) TH_LOG("dump and restore: %s", strerror(errno));
	ASSERT_EQ(0, wait_sleeping(rpid, 'S'));	/* back in pause() */
	ASSERT_EQ(0, kill(rpid, SIGUSR1));
	ASSERT_EQ(0, get(r, sizeof(r)));
	EXPECT_EQ(-1, r[0]);
	EXPECT_EQ(EINTR, r[1]);
	EXPECT_EQ(SIGUSR1, r[2]);
	EXPECT_EQ(0, ck_wait(rpid));
}

/* Blocked in poll() with a timeout, dumped, killed and restored. */
static void polling(void)
{
	struct pollfd pfd = { .fd = CMD_FD, .events = POLLIN };
	int64_t r[3];

	rep("R", 1);
	r[0] = poll(&pfd, 1, 20000);
	r[1] = pfd.revents;
	r[2] = cmd();
	rep(r, sizeof(r));
}

TEST_F(proc, poll_kill_restore)
{
	int64_t r[3];
	pid_t pid = start_ready(polling), rpid;

	ASSERT_LT(0, pid);
	usleep(20000);
	rpid = move(pid, self->img);
	ASSERT_LT(0, rpid) TH_LOG("dump and restore: %s", strerror(errno));
	ASSERT_EQ(0, wait_sleeping(rpid, 'S'));	/* back in poll() */
	put('p');
	ASSERT_EQ(0, get(r, sizeof(r)));
	EXPECT_EQ(1, r[0]);
	EXPECT_EQ(POLLIN, r[1]);
	EXPECT_EQ('p', r[2]);
	EXPECT_EQ(0, ck_wait(rpid));
}

/* Interval timers: the restored process sees what remained of them. */
static void on_alarm(int sig)
{
}

static void timed(void)
{
	static const int which[3] = { ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF };
	static const long value[3] = { 30, 100, 200 }, interval[3] = { 7, 3, 0 };
	struct itimerval it;
	int64_t r[6];
	int i;

	signal(SIGALRM, on_alarm);
	signal(SIGVTALRM, on_alarm);
	signal(SIGPROF, on_alarm);
	for (i = 0; i < 3; i++) {
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = value[i];
		it.it_interval.tv_sec = interval[i];
		if (setitimer(which[i], &it, NULL))
			_exit(CK_EXIT_SETUP);
	}
	rep("R", 1);
	cmd();
	for (i = 0; i < 3; i++) {
		getitimer(which[i], &it);
		r[2 * i] = it.it_value.tv_sec * 1000000LL + it.it_value.tv_usec;
		r[2 * i + 1] = it.it_interval.tv_sec * 1000000LL +
			       it.it_interval.tv_usec;
	}
	rep(r, sizeof(r));
}

TEST_F(proc, itimers_kill_restore)
{
	int64_t r[6];
	pid_t pid = start_ready(timed), rpid;

	ASSERT_LT(0, pid);
	usleep(500000);
	rpid = move(pid, self->img);
	ASSERT_LT(0, rpid) TH_LOG("dump and restore: %s", strerror(errno));
	ASSERT_EQ(0, wait_sleeping(rpid, 'S'));
	put('t');
	ASSERT_EQ(0, get(r, sizeof(r)));
	/* ITIMER_REAL: what remained at the dump, less the time since. */
	EXPECT_LT(20 * 1000000LL, r[0]);
	EXPECT_GT(30 * 1000000LL - 400000, r[0]) TH_LOG("REAL %lld us", (long long)r[0]);
	EXPECT_EQ(7 * 1000000LL, r[1]);
	/* The CPU-time timers barely moved: the process sleeps. */
	EXPECT_LT(95 * 1000000LL, r[2]);
	EXPECT_GE(100 * 1000000LL + 10000, r[2]);
	EXPECT_EQ(3 * 1000000LL, r[3]);
	EXPECT_LT(195 * 1000000LL, r[4]);
	EXPECT_GE(200 * 1000000LL + 10000, r[4]);
	EXPECT_EQ(0, r[5]);
	EXPECT_EQ(0, ck_wait(rpid));
}

/* ---------------------------------------------------------------- */
/* 4. Pending and blocked signals, SA_SIGINFO, SA_RESTART, altstack. */

#define LOG_MAX		16

struct sig_log {
	int64_t n;
	int64_t sig[LOG_MAX], code[LOG_MAX], val[LOG_MAX], pid[LOG_MAX];
	int64_t on_stack[LOG_MAX];
	uint64_t pending;		/* sigpending() before unblocking */
	int64_t read_ret, read_char, usr2;
};

static struct sig_log slog;
static char altstack[64 * 1024];

static void on_info(int sig, siginfo_t *si, void *uc)
{
	char here;
	int64_t n = slog.n;

	if (n >= LOG_MAX)
		return;
	slog.sig[n] = sig;
	slog.code[n] = si->si_code;
	slog.val[n] = si->si_value.sival_int;
	slog.pid[n] = si->si_pid;
	slog.on_stack[n] = &here >= altstack && &here < altstack + sizeof(altstack);
	slog.n = n + 1;
}

static void on_usr2(int sig)
{
	slog.usr2++;
}

static uint64_t sigset_bits(const sigset_t *s)
{
	uint64_t b = 0;
	int i;

	for (i = 1; i <= 64; i++)
		if (sigismember(s, i) == 1)
			b |= 1ull << (i - 1);
	return b;
}

static void signalled(void)
{
	struct sigaction sa = { .sa_sigaction = on_info,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigset_t block, pend;
	char c;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGRTMIN);
	sigaddset(&block, SIGRTMIN + 1);
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL) ||
	    sigaction(SIGRTMIN, &sa, NULL) || sigaction(SIGRTMIN + 1, &sa, NULL) ||
	    sigprocmask(SIG_BLOCK, &block, NULL))
		_exit(CK_EXIT_SETUP);
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR2, &sa, NULL))
		_exit(CK_EXIT_SETUP);
	rep("R", 1);
	/* Signals are queued; the test may dump here; SIGUSR2 comes. */
	slog.read_ret = read(CMD_FD, &c, 1);
	slog.read_char = c;
	sigpending(&pend);
	slog.pending = sigset_bits(&pend);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	rep(&slog, sizeof(slog));
}

static int queue_signals(pid_t pid)
{
	union sigval v;
	siginfo_t si = { .si_signo = SIGRTMIN + 1, .si_code = SI_QUEUE,
			 .si_pid = getpid(), .si_uid = getuid() };

	v.sival_int = 1;
	if (sigqueue(pid, SIGRTMIN, v))		/* the process's queue */
		return -1;
	v.sival_int = 2;
	if (sigqueue(pid, SIGRTMIN, v))
		return -1;
	si.si_value.sival_int = 3;		/* the thread's queue */
	if (syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGRTMIN + 1, &si))
		return -1;
	return syscall(SYS_tgkill, pid, pid, SIGUSR1);
}

/* Run the scenario; with restore, dump and kill it in the middle. */
static int run_signals(int img, bool with_restore, struct sig_log *out)
{
	pid_t pid = start_ready(signalled);

	if (pid < 0 || queue_signals(pid))
		return -1;
	usleep(20000);
	if (with_restore) {
		if (dump(pid, img, CKPT_DUMP_KILL) || ck_wait(pid) != 1000 + SIGKILL)
			return -2;
		pid = restore(img);
		if (wait_sleeping(pid, 'S'))	/* back in read() */
			return -4;
	}
	kill(pid, SIGUSR2);		/* interrupts read(), restarted */
	usleep(50000);
	put('x');
	if (get(out, sizeof(*out)))
		return -3;
	return ck_wait(pid);
}

TEST_F(proc, pending_signals_kill_restore)
{
	struct sig_log ref, got;
	int64_t i;

	ASSERT_EQ(0, run_signals(self->img, false, &ref));
	ASSERT_EQ(0, run_signals(self->img, true, &got))
		TH_LOG("errno %s", strerror(errno));
	/* The restored process receives exactly what the original did. */
	ASSERT_EQ(4, ref.n);
	EXPECT_EQ(ref.n, got.n);
	for (i = 0; i < ref.n && i < got.n; i++) {
		EXPECT_EQ(ref.sig[i], got.sig[i]) TH_LOG("signal %ld", (long)i);
		EXPECT_EQ(ref.code[i], got.code[i]);
		EXPECT_EQ(ref.val[i], got.val[i]);
		EXPECT_EQ(ref.pid[i], got.pid[i]);
		EXPECT_EQ(1, got.on_stack[i]);
	}
	EXPECT_EQ(ref.pending, got.pending);
	EXPECT_EQ(1, got.read_ret);
	EXPECT_EQ('x', got.read_char);
	EXPECT_EQ(1, got.usr2);
}

/* ---------------------------------------------------------------- */
/* Dump flags and a stopped target. */

TEST_F(proc, dump_stop_leaves_it_stopped)
{
	struct count_report r;
	siginfo_t si = { };
	pid_t pid = start_ready(counting);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, dump(pid, self->img, CKPT_DUMP_STOP))
		TH_LOG("dump: %s", strerror(errno));
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WSTOPPED));
	EXPECT_EQ(CLD_STOPPED, si.si_code);
	/* Already stopped: dumped again, it stays stopped. */
	ASSERT_EQ(0, dump(pid, self->img, 0)) TH_LOG("dump: %s", strerror(errno));
	usleep(50000);
	EXPECT_EQ('T', proc_state(pid));
	si.si_pid = 0;
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WCONTINUED | WNOHANG));
	EXPECT_EQ(0, si.si_pid);
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(0, ask_count(pid, &r));
	EXPECT_EQ(pid, r.pid);
	kill(pid, SIGKILL);
	ck_wait(pid);
}

TEST_F(proc, exited_target_esrch)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(0, ck_wait(pid));
	errno = 0;
	EXPECT_EQ(-1, ckpt_dump(pid, self->img, 0, NULL, 0));
	EXPECT_EQ(ESRCH, errno);
	errno = 0;
	EXPECT_EQ(-1, rollback(pid, self->img));
	EXPECT_EQ(ESRCH, errno);
}

/* 8 MiB of data: its image takes a while to write into a pipe. */
static void big_stepping(void)
{
	size_t i, len = 8 << 20;
	char *m = malloc(len);

	if (!m)
		_exit(CK_EXIT_SETUP);
	for (i = 0; i < len; i += 512)
		m[i] = (char)(i >> 9) | 1;
	stepping();
}

/* Killed while its image is being written: ESRCH, and no END record. */
TEST_F(proc, target_killed_during_dump_esrch)
{
	pid_t parent = getpid(), pid = start_ready(big_stepping), dumper;
	int p[2], st;
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pipe(p));
	fflush(NULL);
	dumper = fork();
	ASSERT_LE(0, dumper);
	if (dumper == 0) {
		ck_child_init(parent);
		close(p[0]);
		_exit(ckpt_dump(pid, p[1], 0, NULL, 0) ? errno : 0);
	}
	close(p[1]);
	/* The dumper fills the pipe and waits: the target is held. */
	ASSERT_EQ(1, read(p[0], buf, 1));
	usleep(100000);
	EXPECT_EQ('D', proc_state(pid));	/* parked, killable */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		total += n;
	close(p[0]);
	st = ck_wait(dumper);
	EXPECT_EQ(ESRCH, st) TH_LOG("dump of a killed process: %d", st);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	EXPECT_LT(0, total);
}

/* SIGSTOP sent while the image is written: the image has it pending. */
TEST_F(proc, sigstop_during_dump_restored_stopped)
{
	pid_t parent = getpid(), pid = start_ready(big_stepping), dumper, rpid;
	siginfo_t si = { };
	uint64_t vals[2];
	int p[2], st;
	char buf[4096];
	ssize_t n;

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pipe(p));
	fflush(NULL);
	dumper = fork();
	ASSERT_LE(0, dumper);
	if (dumper == 0) {
		int img = self->img;

		ck_child_init(parent);
		close(p[0]);
		if (dump(pid, img, 0)) {	/* to the memfd, for the restore */
			_exit(errno);
		}
		if (lseek(img, 0, SEEK_SET))
			_exit(CK_EXIT_SETUP);
		while ((n = read(img, buf, sizeof(buf))) > 0)
			if (write(p[1], buf, n) != n)
				_exit(CK_EXIT_SETUP);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(0, kill(pid, SIGSTOP));	/* maybe before, maybe during */
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	close(p[0]);
	st = ck_wait(dumper);
	ASSERT_EQ(0, st);
	/* The original stops, as it would have without the dump. */
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WSTOPPED));
	EXPECT_EQ(CLD_STOPPED, si.si_code);
	kill(pid, SIGKILL);
	ck_wait(pid);

	/* Restored: it stops too (pending SIGSTOP or a stopped process). */
	rpid = restore(self->img);
	ASSERT_LT(0, rpid);
	memset(&si, 0, sizeof(si));
	ASSERT_EQ(0, waitid(P_PID, rpid, &si, WSTOPPED));
	EXPECT_EQ(CLD_STOPPED, si.si_code);
	EXPECT_EQ(SIGSTOP, si.si_status);
	ASSERT_EQ(0, kill(rpid, SIGCONT));
	put('+');
	ASSERT_EQ(0, get(vals, sizeof(vals)));
	EXPECT_EQ(1, vals[0]);
	kill(rpid, SIGKILL);
	ck_wait(rpid);
}

TEST_F(proc, bad_rollback_leaves_target_running)
{
	uint64_t vals[2];
	unsigned char junk[256];
	pid_t pid = start_ready(stepping);

	ASSERT_LT(0, pid);
	put('+');
	ASSERT_EQ(0, get(vals, sizeof(vals)));
	ASSERT_EQ(0, dump(pid, self->img, 0));
	/* Truncated image: EBADMSG, and the target goes on as it was. */
	ASSERT_EQ(0, ftruncate(self->img, 1000));
	errno = 0;
	EXPECT_EQ(-1, rollback(pid, self->img));
	EXPECT_EQ(EBADMSG, errno);
	memset(junk, 0x5a, sizeof(junk));
	ASSERT_EQ(0, ftruncate(self->img, 0));
	ASSERT_EQ(sizeof(junk), pwrite(self->img, junk, sizeof(junk), 0));
	errno = 0;
	EXPECT_EQ(-1, rollback(pid, self->img));
	EXPECT_EQ(ENOEXEC, errno);
	put('+');
	ASSERT_EQ(0, get(vals, sizeof(vals)));
	EXPECT_EQ(2, vals[0]);
	kill(pid, SIGKILL);
	ck_wait(pid);
}

TEST_HARNESS_MAIN
