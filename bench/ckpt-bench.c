// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt-bench: how fast ckpt is, against what else does the same work, in
 * one boot of one kernel (scripts/bench.sh runs it under QEMU).
 *
 *	ckpt-bench [-r RUNS] [-s MiB,MiB,...] [-t MiB] [-c CRIU] [-d DIR]
 *
 * For each size, a target process (a child of its own session, its
 * standard descriptors on /dev/null) touches that much anonymous memory
 * with a pattern and then runs a loop that notes the longest time it was
 * held still; with -t, one more target touches MiB and also runs 3 more
 * threads and holds 100 files open, each at its own offset.  Each run
 * measures:
 *   memcpy     the same bytes copied into memory already faulted in;
 *   write      the same bytes written by write() to a new tmpfs file, and
 *   read       read back by read() into new memory: what putting the
 *              bytes into a file and getting them out costs anyone;
 *   dump       ckpt_dump() of the running target to a tmpfs file, and to
 *              a pipe a thread drains; the image's size;
 *   freeze     the longest the target was held still during the dump to
 *              tmpfs, as it saw it itself;
 *   cow        ckpt_dump() with CKPT_DUMP_COW to tmpfs, the target running
 *              on while its pages are written, and its freeze; this is
 *              the image the restore below restores;
 *   rollback   ckpt_dump() to a memfd, the target re-dirtying all its
 *              pages, then ckpt_restore() in place: the time of the
 *              restore, and of dump plus restore;
 *   snapshot   ckpt_dump() with CKPT_DUMP_SNAPSHOT, kept in the kernel,
 *              and its freeze; ckpt_restore() in place from it, bare (the
 *              target wrote nothing since), then after the target
 *              re-dirtied all its pages: each rollback's time;
 *   fork       the target forks (the 1988 method: the child runs on, a
 *              rollback kills it and the parent goes on), bare: fork plus
 *              kill and wait; re-dirtied: plus what the child's writes to
 *              every page cost over the same writes without a fork;
 *   restore    ckpt_restore() of the tmpfs image (the copy-on-write
 *              dump's) in a fresh process,
 *              until the restored target runs (it says so itself);
 *   criu       with -c: criu dump of the target (which kills it, as
 *              ckpt's restore case has the target killed) and criu
 *              restore -d, until the restored target runs;
 *   phases     where the time of the dump to tmpfs and of the restore
 *              went inside the kernel, from their trace events (ckpt_dump,
 *              ckpt_restore in tracefs), if the kernel has them: stopping
 *              the target, its address space, writing or reading the
 *              image, hashing the pages, the commit, the rest.
 * Every rollback and restore is checked: the restored target reads its
 * whole memory back against the pattern (and counts its threads and the
 * offsets of its files), and a wrong one fails the run.
 * Times are CLOCK_MONOTONIC, the median of RUNS with min and max.  One
 * line per measurement goes to standard output ("size 64 dump_tmpfs
 * median 443.1 min 430.2 max 460.0 ms"; the -t target's size is "MiBt"),
 * for scripts/bench.sh to turn into its table; nothing is asserted: under
 * TCG times are noisy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libckpt.h"

#define MAX_RUNS	32
#define MAX_SIZES	8
#define MANY_THREADS	4
#define MANY_FILES	100
#define TRACEFS		"/sys/kernel/tracing"

static const char *dir = "/tmp/ckpt-bench";
static char go_path[256], report_path[256], cmd_path[256];
static int tracing;	/* the ckpt trace events are enabled */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "ckpt-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Word @i of pattern @gen: every page differs, and from the other gen. */
static uint64_t word(int gen, size_t i)
{
	return (i * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)gen << 56) ^ 0x5a5a;
}

static void fill(uint64_t *mem, size_t len, int gen)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		mem[i] = word(gen, i);
}

static int same(const uint64_t *mem, size_t len, int gen)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (mem[i] != word(gen, i))
			return 0;
	return 1;
}

/* One page in a hundred (1%) to pattern @gen, or back. */
#define CHANGED_EVERY	100
#define PAGE_WORDS	(4096 / 8)

static void fill_some(uint64_t *mem, size_t len, int gen)
{
	size_t i, k;

	for (i = 0; i < len / 4096; i += CHANGED_EVERY)
		for (k = i * PAGE_WORDS; k < (i + 1) * PAGE_WORDS; k++)
			mem[k] = word(gen, k);
}

/* Pattern @gen, but @some in every hundredth page. */
static int same_but_some(const uint64_t *mem, size_t len, int gen, int some)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (mem[i] != word(i / PAGE_WORDS % CHANGED_EVERY ? gen : some, i))
			return 0;
	return 1;
}

/* Write @text to @path at once: a reader sees all of it or nothing. */
static void put_file(const char *path, const char *text)
{
	char tmp[300];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		unlink(tmp);
	close(fd);
	rename(tmp, path);
}

/* Wait up to 300 s for @path and read it into @buf: 0, or -1. */
static int take_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, i;

	for (i = 0; i < 3000000; i++) {
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, size - 1);
			close(fd);
			unlink(path);
			if (n < 0)
				return -1;
			buf[n] = 0;
			return 0;
		}
		usleep(100);
	}
	return -1;
}

/*
 * The target.  Commands come as a file (cmd_path), answers go to
 * report_path: "r" reset the longest stall; "q" report it and check the
 * memory; "d" re-dirty every page (pattern 2); "f" and "F" the fork
 * rollback, bare and re-dirtied.  Once go_path exists (made before a
 * restore as a new process) a target that finds itself restored says
 * when it ran, then checks its memory.
 */
static uint64_t *tmem;
static size_t tlen;
static int tsome;		/* every hundredth page in pattern 3 ('p') */
static int tmany;	/* with its threads and files */
static int tfd[MANY_FILES];

static void *target_thread(void *arg)
{
	for (;;)
		usleep(1000);
	return NULL;
}

/* Its threads, and its files, each at offset 100 + its index. */
static void target_many(void)
{
	char path[300];
	pthread_t th;
	int i;

	for (i = 1; i < MANY_THREADS; i++)
		if (pthread_create(&th, NULL, target_thread, NULL))
			_exit(1);
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(path, sizeof(path), "%s/file%d", dir, i);
		tfd[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (tfd[i] < 0 || ftruncate(tfd[i], 4096) ||
		    lseek(tfd[i], 100 + i, SEEK_SET) != 100 + i)
			_exit(1);
	}
}

static int threads(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	int n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* Its memory is pattern @gen, and it has its threads and files. */
static int target_ok(int gen)
{
	int i;

	if (tsome ? !same_but_some(tmem, tlen, gen, 3) : !same(tmem, tlen, gen))
		return 0;
	if (!tmany)
		return 1;
	if (threads() != MANY_THREADS)
		return 0;
	for (i = 0; i < MANY_FILES; i++)
		if (lseek(tfd[i], 0, SEEK_CUR) != 100 + i)
			return 0;
	return 1;
}

static void target_fork(int redirty, uint64_t dirty_ns)
{
	uint64_t t0, t1, t2, t3;
	char buf[200], c;
	int p[2];
	pid_t pid;

	if (pipe(p))
		_exit(1);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		if (redirty)
			fill(tmem, tlen, 2);
		if (write(p[1], "d", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	t1 = now_ns();
	if (pid < 0 || read(p[0], &c, 1) != 1)
		_exit(1);
	t2 = now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t3 = now_ns();
	close(p[0]);
	close(p[1]);
	/* the child's writes, less what they cost without a fork */
	snprintf(buf, sizeof(buf), "fork %llu cow %lld rollback %llu ok %d\n",
		 (unsigned long long)(t1 - t0),
		 redirty ? (long long)(t2 - t1) - (long long)dirty_ns : 0ll,
		 (unsigned long long)(t3 - t2), target_ok(1));
	put_file(report_path, buf);
}

static void __attribute__((noreturn)) target(size_t len, int many)
{
	uint64_t last, t, stall = 0, dirty_ns;
	int restored = 0, fd;
	char cmd[16], buf[200];
	ssize_t n;

	setsid();
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	tlen = len;
	tmany = many;
	if (many)
		target_many();
	tmem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmem == MAP_FAILED)
		_exit(1);
	/* what writing every page costs, without a fork */
	fill(tmem, len, 2);
	t = now_ns();
	fill(tmem, len, 1);
	dirty_ns = now_ns() - t;
	put_file(report_path, "ready\n");
	last = now_ns();
	for (;;) {
		usleep(200);
		t = now_ns();
		if (t - last > stall)
			stall = t - last;
		last = t;
		if (!restored && !access(go_path, F_OK)) {
			restored = 1;
			snprintf(buf, sizeof(buf), "ran %llu ok %d\n",
				 (unsigned long long)t, target_ok(1));
			put_file(report_path, buf);
		}
		fd = open(cmd_path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd));
		close(fd);
		unlink(cmd_path);
		if (n < 1)
			continue;
		switch (cmd[0]) {
		case 'r':
			stall = 0;
			put_file(report_path, "reset\n");
			break;
		case 'q':
			snprintf(buf, sizeof(buf), "stall %llu ok %d\n",
				 (unsigned long long)stall, target_ok(1));
			put_file(report_path, buf);
			break;
		case 'd':
			fill(tmem, len, 2);
			put_file(report_path, "dirty\n");
			break;
		case 'p':	/* 1% of the pages, or back */
		case 'P':
			tsome = cmd[0] == 'p';
			fill_some(tmem, len, tsome ? 3 : 1);
			put_file(report_path, "some\n");
			break;
		case 'f':
		case 'F':
			target_fork(cmd[0] == 'F', dirty_ns);
			break;
		}
		last = now_ns();
	}
}

/* Ask the target @c; its answer into @buf. */
static void ask(char c, char *buf, size_t size)
{
	char s[2] = { c, 0 };

	put_file(cmd_path, s);
	if (take_file(report_path, buf, size))
		die("the target does not answer");
}

static pid_t start_target(size_t len, int many)
{
	char buf[64];
	pid_t pid;

	unlink(go_path);
	unlink(report_path);
	unlink(cmd_path);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		target(len, many);
	if (take_file(report_path, buf, sizeof(buf)) || strcmp(buf, "ready\n"))
		die("the target did not start");
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A measurement: the samples of each run. */
struct series {
	const char *name;
	double v[MAX_RUNS];
	int n;
};

enum {
	S_MEMCPY, S_WRITE, S_READ, S_DUMP_TMPFS, S_DUMP_PIPE, S_FREEZE, S_SIZE, S_ROLLBACK,
	S_DUMP_ROLLBACK, S_FORK, S_FORK_COW, S_RESTORE, S_CRIU_DUMP,
	S_CRIU_RESTORE, S_CRIU_SIZE, S_DUMP_COW, S_FREEZE_COW, S_SNAPSHOT,
	S_FREEZE_SNAP, S_SNAP_ROLLBACK, S_SNAP_ROLLBACK_COW, S_BASE, S_DIFF,
	S_DIFF_SIZE, S_DIFF_ROLLBACK,
	/* the phases, from the trace events, in the order of struct phases */
	S_DUMP_STOP, S_DUMP_MM, S_DUMP_IO, S_DUMP_HASH, S_DUMP_OTHER,
	S_RESTORE_MM, S_RESTORE_IO, S_RESTORE_HASH, S_RESTORE_COMMIT,
	S_RESTORE_OTHER, S_SNAP_MM, S_SNAP_IO, S_SNAP_HASH, S_SNAP_COMMIT,
	S_SNAP_OTHER, NR_SERIES
};

static const char *const series_name[NR_SERIES] = {
	"memcpy", "write_tmpfs", "read_tmpfs", "dump_tmpfs", "dump_pipe", "freeze", "image_mib",
	"rollback", "dump_rollback", "fork_rollback", "fork_rollback_cow",
	"restore", "criu_dump", "criu_restore", "criu_image_mib",
	"dump_cow", "freeze_cow", "snapshot", "freeze_snapshot",
	"snapshot_rollback", "snapshot_rollback_cow", "base", "diff",
	"diff_mib", "diff_rollback", "dump_stop", "dump_mm", "dump_io", "dump_hash", "dump_other",
	"restore_mm", "restore_io", "restore_hash", "restore_commit",
	"restore_other", "snap_mm", "snap_io", "snap_hash", "snap_commit",
	"snap_other",
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_series(unsigned int mib, int many, const struct series *s)
{
	double v[MAX_RUNS];

	if (!s->n)
		return;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	printf("size %u%s %s median %.3f min %.3f max %.3f %s\n", mib,
	       many ? "t" : "", s->name,
	       s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2,
	       v[0], v[s->n - 1], strstr(s->name, "mib") ? "MiB" : "ms");
	fflush(stdout);
}

static void add(struct series *s, double v)
{
	if (s->n < MAX_RUNS)
		s->v[s->n++] = v;
}

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static double measure_memcpy(size_t len)
{
	char *src = malloc(len), *dst = malloc(len);
	uint64_t t;

	if (!src || !dst)
		die("malloc");
	memset(src, 0x5a, len);
	memset(dst, 0xa5, len);
	t = now_ns();
	memcpy(dst, src, len);
	t = now_ns() - t;
	if (memcmp(dst, src, len))
		die("memcpy");
	free(src);
	free(dst);
	return ms(t);
}

/*
 * write() @len bytes to a new file in the bench's tmpfs directory, then
 * read() them into new memory: the times into @s.
 */
static void measure_file_io(size_t len, struct series *s)
{
	char path[300], *src, *dst;
	uint64_t t;
	size_t done;
	ssize_t n;
	int fd;

	/* mapped, not malloc()ed: the targets forked later inherit no heap */
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snprintf(path, sizeof(path), "%s/bytes", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (src == MAP_FAILED || fd < 0)
		die("file for write()");
	memset(src, 0x5a, len);
	t = now_ns();
	for (done = 0; done < len; done += n)
		if ((n = write(fd, src + done, len - done)) <= 0)
			die("write");
	add(&s[S_WRITE], ms(now_ns() - t));
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED || lseek(fd, 0, SEEK_SET))
		die("memory for read()");
	t = now_ns();
	for (done = 0; done < len; done += n)
		if ((n = read(fd, dst + done, len - done)) <= 0)
			die("read");
	add(&s[S_READ], ms(now_ns() - t));
	if (memcmp(dst, src, len))
		die("read() gave other bytes");
	munmap(dst, len);
	munmap(src, len);
	close(fd);
	unlink(path);
}

struct drain {
	int fd;
	uint64_t bytes;
};

static void *drain_pipe(void *p)
{
	struct drain *d = p;
	static char buf[1 << 16];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0)
		d->bytes += n;
	return NULL;
}

/* ckpt_dump() of @pid to @fd: its time, or dies. */
static uint64_t dump(pid_t pid, int fd, unsigned int flags)
{
	uint64_t t = now_ns();

	if (ckpt_dump(pid, fd, flags, NULL, 0))
		die("ckpt_dump");
	return now_ns() - t;
}

static uint64_t parse(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Write @val to the tracefs file @name: 0, or -1. */
static int tracefs_write(const char *name, const char *val)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), TRACEFS "/%s", name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* The ckpt trace events, if the kernel has them: tracing set. */
static void trace_start(void)
{
	mkdir("/sys/kernel/tracing", 0755);
	mount("nodev", TRACEFS, "tracefs", 0, NULL);
	tracing = !tracefs_write("events/ckpt/enable", "1") &&
		  !tracefs_write("trace", "");
}

/*
 * The phases of the last event @name (ckpt_dump, ckpt_restore) of @pid
 * into @s from @first on (stop, mm, io, hash, commit, other for a dump;
 * mm, io, hash, commit, other for a restore, which stops nothing), in ms;
 * the trace is emptied.
 */
static void trace_phases(const char *name, pid_t pid, struct series *s,
			 int first)
{
	unsigned long long v[7], f[7];	/* total stop held mm io hash commit */
	char line[512], key[40];
	FILE *t = fopen(TRACEFS "/trace", "r");
	int found = 0, e, i;
	long ret;

	if (!t)
		return;
	snprintf(key, sizeof(key), " %s: ", name);
	while (fgets(line, sizeof(line), t)) {
		char *p = strstr(line, key);
		unsigned int flags;
		int epid;

		if (p && sscanf(p + strlen(key),
				"pid=%d flags=%x ret=%ld bytes=%*u total_ns=%llu stop_ns=%llu held_ns=%llu mm_ns=%llu io_ns=%llu hash_ns=%llu commit_ns=%llu",
				&epid, &flags, &ret, &v[0], &v[1], &v[2], &v[3],
				&v[4], &v[5], &v[6]) == 10 && epid == pid && ret >= 0) {
			memcpy(f, v, sizeof(f));
			found = 1;
		}
	}
	fclose(t);
	tracefs_write("trace", "");
	if (!found)
		return;
	e = first;
	if (first == S_DUMP_STOP)
		add(&s[e++], ms(f[1]));
	for (i = 3; i <= 5; i++)
		add(&s[e++], ms(f[i]));
	if (first != S_DUMP_STOP)
		add(&s[e++], ms(f[6]));
	add(&s[e], ms(f[0] - f[1] - f[3] - f[4] - f[5] - f[6]));
}

static void check_ok(const char *buf, const char *what)
{
	if (!strstr(buf, " ok 1")) {
		fprintf(stderr, "ckpt-bench: %s: the memory is not the checkpoint's (%s)\n",
			what, buf);
		exit(1);
	}
}

/* Run @argv and wait for it: 0 if it exited 0. */
static int run(char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Copy the file @path to standard error: CRIU's log, when it fails. */
static void show_log(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(2, buf, n) != n)
			break;
	if (fd >= 0)
		close(fd);
}

static double dir_mib(const char *path)
{
	char cmd[400], line[64];
	double kib = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -sk %s", path);
	p = popen(cmd, "r");
	if (p && fgets(line, sizeof(line), p))
		kib = atof(line);
	if (p)
		pclose(p);
	return kib / 1024;
}

static void one_run(size_t len, int many, const char *criu, struct series *s)
{
	char img[300], buf[200], criu_dir[300], log[300];
	uint64_t t, ran;
	struct drain d = { 0 };
	pthread_t th;
	struct stat st;
	int fd, p[2], mfd, snap, k;
	pid_t pid, r;

	add(&s[S_MEMCPY], measure_memcpy(len));
	measure_file_io(len, s);

	pid = start_target(len, many);
	/* to tmpfs, the target running on; how long it was held still */
	snprintf(img, sizeof(img), "%s/image", dir);
	ask('r', buf, sizeof(buf));
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(img);
	add(&s[S_DUMP_TMPFS], ms(dump(pid, fd, 0)));
	if (tracing)
		trace_phases("ckpt_dump", pid, s, S_DUMP_STOP);
	ask('q', buf, sizeof(buf));
	check_ok(buf, "after a dump");
	add(&s[S_FREEZE], ms(parse(buf, "stall ")));
	if (fstat(fd, &st))
		die("fstat");
	add(&s[S_SIZE], st.st_size / 1048576.0);

	/* copy-on-write: written while the target runs on; restored below */
	ask('r', buf, sizeof(buf));
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
		die("ftruncate");
	add(&s[S_DUMP_COW], ms(dump(pid, fd, CKPT_DUMP_COW)));
	ask('q', buf, sizeof(buf));
	check_ok(buf, "after a copy-on-write dump");
	add(&s[S_FREEZE_COW], ms(parse(buf, "stall ")));
	close(fd);

	/* to a pipe a thread drains */
	if (pipe(p))
		die("pipe");
	d.fd = p[0];
	if (pthread_create(&th, NULL, drain_pipe, &d))
		die("pthread_create");
	add(&s[S_DUMP_PIPE], ms(dump(pid, p[1], 0)));
	close(p[1]);
	pthread_join(th, NULL);
	close(p[0]);

	/* rollback: a checkpoint in a memfd, the pages re-dirtied */
	mfd = memfd_create("ckpt-bench", 0);
	if (mfd < 0)
		die("memfd_create");
	t = dump(pid, mfd, 0);
	ask('d', buf, sizeof(buf));
	if (lseek(mfd, 0, SEEK_SET))
		die("lseek");
	ran = now_ns();
	if (ckpt_restore(pid, mfd, 0))
		die("ckpt_restore in place");
	ran = now_ns() - ran;
	add(&s[S_ROLLBACK], ms(ran));
	add(&s[S_DUMP_ROLLBACK], ms(t + ran));
	close(mfd);
	ask('q', buf, sizeof(buf));
	check_ok(buf, "after a rollback");

	/* a snapshot kept in the kernel, rolled back to twice */
	ask('r', buf, sizeof(buf));
	t = now_ns();
	snap = ckpt_snapshot(pid);
	if (snap < 0)
		die("ckpt_snapshot");
	add(&s[S_SNAPSHOT], ms(now_ns() - t));
	ask('q', buf, sizeof(buf));
	check_ok(buf, "after a snapshot");
	add(&s[S_FREEZE_SNAP], ms(parse(buf, "stall ")));
	for (k = 0; k < 2; k++) {
		if (k)
			ask('d', buf, sizeof(buf));
		ran = now_ns();
		if (ckpt_restore(pid, snap, 0))
			die("ckpt_restore in place from a snapshot");
		add(&s[k ? S_SNAP_ROLLBACK_COW : S_SNAP_ROLLBACK],
		    ms(now_ns() - ran));
		if (tracing && k)
			trace_phases("ckpt_restore", pid, s, S_SNAP_MM);
		ask('q', buf, sizeof(buf));
		check_ok(buf, "after a rollback to a snapshot");
	}
	close(snap);

	/* a base, then a diff once 1% of the pages changed, rolled back to */
	{
		char bimg[300], dimg[300];
		int bfd, dfd, base;

		snprintf(bimg, sizeof(bimg), "%s/base", dir);
		snprintf(dimg, sizeof(dimg), "%s/diff", dir);
		bfd = open(bimg, O_RDWR | O_CREAT | O_TRUNC, 0600);
		dfd = open(dimg, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (bfd < 0 || dfd < 0)
			die(bimg);
		t = now_ns();
		base = ckpt_base(pid, bfd, 0);
		if (base < 0)
			die("ckpt_base");
		add(&s[S_BASE], ms(now_ns() - t));
		ask('p', buf, sizeof(buf));
		t = now_ns();
		if (ckpt_diff(pid, dfd, 0, base))
			die("ckpt_diff");
		add(&s[S_DIFF], ms(now_ns() - t));
		if (fstat(dfd, &st))
			die("fstat");
		add(&s[S_DIFF_SIZE], st.st_size / 1048576.0);
		ask('d', buf, sizeof(buf));
		if (lseek(dfd, 0, SEEK_SET))
			die("lseek");
		t = now_ns();
		if (ckpt_restore(pid, dfd, 0))
			die("ckpt_restore in place from a diff");
		add(&s[S_DIFF_ROLLBACK], ms(now_ns() - t));
		ask('q', buf, sizeof(buf));
		check_ok(buf, "after a rollback to a diff");
		ask('P', buf, sizeof(buf));
		close(base);
		close(bfd);
		close(dfd);
		unlink(bimg);
		unlink(dimg);
	}

	/* the fork trick, bare and re-dirtied */
	ask('f', buf, sizeof(buf));
	check_ok(buf, "fork rollback");
	add(&s[S_FORK], ms(parse(buf, "fork ") + parse(buf, "rollback ")));
	ask('F', buf, sizeof(buf));
	check_ok(buf, "fork rollback, re-dirtied");
	add(&s[S_FORK_COW], ms(parse(buf, "fork ") + parse(buf, "rollback ") +
			       strtoll(strstr(buf, "cow ") + 4, NULL, 10)));

	/* restore as a new process, the target gone */
	stop(pid);
	fd = open(img, O_RDONLY);
	if (fd < 0)
		die(img);
	put_file(go_path, "go\n");
	t = now_ns();
	fflush(NULL);
	r = fork();
	if (r == 0) {
		ckpt_restore(0, fd, 0);
		_exit(1);
	}
	close(fd);
	if (r < 0 || take_file(report_path, buf, sizeof(buf)))
		die("the restored target does not run");
	check_ok(buf, "after a restore");
	add(&s[S_RESTORE], ms(parse(buf, "ran ") - t));
	if (tracing)
		trace_phases("ckpt_restore", r, s, S_RESTORE_MM);
	stop(r);

	if (!criu)
		return;
	/* CRIU: dump (which kills the target), restore detached */
	pid = start_target(len, many);
	snprintf(criu_dir, sizeof(criu_dir), "%s/criu", dir);
	snprintf(log, sizeof(log), "%s/criu.log", dir);
	if (run((char *[]){ "/bin/rm", "-rf", criu_dir, NULL }) ||
	    mkdir(criu_dir, 0700))
		die(criu_dir);
	{
		char pids[16];
		char *argv[] = { (char *)criu, "dump", "-t", pids, "-D",
				 criu_dir, "-o", log, NULL };

		snprintf(pids, sizeof(pids), "%d", pid);
		t = now_ns();
		if (run(argv)) {
			fprintf(stderr, "ckpt-bench: criu dump failed:\n");
			show_log(log);
			exit(1);
		}
		add(&s[S_CRIU_DUMP], ms(now_ns() - t));
	}
	waitpid(pid, NULL, 0);
	add(&s[S_CRIU_SIZE], dir_mib(criu_dir));
	{
		char *argv[] = { (char *)criu, "restore", "-d", "-D", criu_dir,
				 "-o", log, NULL };

		put_file(go_path, "go\n");
		t = now_ns();
		if (run(argv)) {
			fprintf(stderr, "ckpt-bench: criu restore failed:\n");
			show_log(log);
			exit(1);
		}
		if (take_file(report_path, buf, sizeof(buf)))
			die("the target CRIU restored does not run");
		check_ok(buf, "after criu restore");
		add(&s[S_CRIU_RESTORE], ms(parse(buf, "ran ") - t));
	}
	kill(pid, SIGKILL);	/* CRIU gave it its pid back */
}

/* CRIU binds to 127.0.0.1 to learn what the kernel can do. */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		die("lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		die("lo up");
	close(s);
}

int main(int argc, char **argv)
{
	unsigned int sizes[MAX_SIZES + 1] = { 1, 64, 256 }, nr_sizes = 3, i, j;
	const char *criu = NULL;
	struct series s[NR_SERIES];
	int runs = 5, c, many_mib = 0;
	char *p;

	while ((c = getopt(argc, argv, "r:s:t:c:d:")) != -1) {
		switch (c) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 's':
			for (nr_sizes = 0, p = optarg; *p && nr_sizes < MAX_SIZES;
			     p += *p == ',')
				sizes[nr_sizes++] = strtoul(p, &p, 10);
			break;
		case 't':
			many_mib = atoi(optarg);
			break;
		case 'c':
			criu = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-s MiB,...] [-t MiB] [-c CRIU] [-d DIR]\n",
				argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	mkdir(dir, 0700);
	if (criu)
		loopback_up();
	trace_start();
	snprintf(go_path, sizeof(go_path), "%s/go", dir);
	snprintf(report_path, sizeof(report_path), "%s/report", dir);
	snprintf(cmd_path, sizeof(cmd_path), "%s/cmd", dir);
	if (many_mib > 0)
		sizes[nr_sizes++] = many_mib;	/* the last: with -t */
	for (i = 0; i < nr_sizes; i++) {
		int many = many_mib > 0 && i == nr_sizes - 1;

		memset(s, 0, sizeof(s));
		for (j = 0; j < NR_SERIES; j++)
			s[j].name = series_name[j];
		for (j = 0; j < (unsigned int)runs; j++)
			one_run((size_t)sizes[i] << 20, many, criu, s);
		for (j = 0; j < NR_SERIES; j++)
			print_series(sizes[i], many, &s[j]);
	}
	return 0;
}
