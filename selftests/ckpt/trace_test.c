// SPDX-License-Identifier: GPL-2.0
/*
 * The ckpt_dump and ckpt_restore trace events: each call that starts while
 * its event is enabled reports the pid, its return value, the bytes of
 * image it wrote or read, and where its time went.
 *
 * A child fills 4 MiB with a pattern and is dumped: its event has its pid,
 * return 0 and the image's size, time in the phases of the address space
 * (its records, the writes, the hashing of the pages), none in a commit,
 * phases that add up to no more than the call and fit in the time the
 * child was held.  The image of a child that dumped itself,
 * restored in a fresh process (which checks its pattern), reports the
 * restorer's pid, CKPT_RESTORED and the same size, and no process stopped
 * or held; a rollback in place a commit inside its hold; a refused dump
 * its EOPNOTSUPP with no byte written; with the events disabled, nothing
 * is reported.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mount.h>

/* harness macros: unused parameters, int vs unsigned in EXPECT_*() */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
/* ASSERT_*() longjmp()s out of the (inlined) test function */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define TRACEFS		"/sys/kernel/tracing"
#define IMG_FD		20
#define PATTERN_MIB	4

struct ev {
	int pid;
	unsigned int flags;
	long ret;
	unsigned long long bytes, total, stop, held, mm, io, hash, commit;
};

static char *pattern;

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

/*
 * The last event named name ("ckpt_dump" or "ckpt_restore") of pid in the
 * trace: 0, or -1 if there is none.
 */
static int last_event(const char *name, int pid, struct ev *e)
{
	char line[512], key[40];
	FILE *f = fopen(TRACEFS "/trace", "r");
	int found = -1;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " %s: ", name);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);
		struct ev x;

		if (!p || sscanf(p + strlen(key),
				 "pid=%d flags=%x ret=%ld bytes=%llu total_ns=%llu stop_ns=%llu held_ns=%llu mm_ns=%llu io_ns=%llu hash_ns=%llu commit_ns=%llu",
				 &x.pid, &x.flags, &x.ret, &x.bytes, &x.total,
				 &x.stop, &x.held, &x.mm, &x.io, &x.hash,
				 &x.commit) != 11)
			continue;
		if (x.pid == pid) {
			*e = x;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* The phases do not overlap, and are all in the call. */
static int phases_fit(const struct ev *e)
{
	return e->stop + e->mm + e->io + e->hash + e->commit <= e->total &&
	       e->held <= e->total;
}

static int fill(void)
{
	size_t i;

	pattern = malloc(PATTERN_MIB << 20);
	if (!pattern)
		return -1;
	for (i = 0; i < (PATTERN_MIB << 20); i++)
		pattern[i] = (char)(i * 7 + i / 4096);
	return 0;
}

static int pattern_ok(void)
{
	size_t i;

	for (i = 0; i < (PATTERN_MIB << 20); i++)
		if (pattern[i] != (char)(i * 7 + i / 4096))
			return 0;
	return 1;
}

static int a_netlink_socket(void)
{
	return socket(AF_NETLINK, SOCK_RAW, 0) < 0 ? -1 : 0;
}

/*
 * A child that fills its pattern and dumps itself into img: its pid.  The
 * dumping run exits 0; a restored one CK_EXIT_RESTORED if its pattern is
 * intact, else CK_EXIT_MISMATCH.
 */
static pid_t dump_self(int img)
{
	pid_t parent = getpid(), pid;
	long ret;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	ck_child_init(parent);
	if (ck_move_fd(img, IMG_FD) != IMG_FD)
		_exit(CK_EXIT_SETUP);
	ck_only_fds(IMG_FD);
	if (fill())
		_exit(CK_EXIT_SETUP);
	ret = ckpt_dump(0, IMG_FD, 0, NULL, 0);
	if (ret == 0)
		_exit(0);
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	_exit(pattern_ok() ? CK_EXIT_RESTORED : CK_EXIT_MISMATCH);
}

FIXTURE(trace) {
	int img;
	pid_t pid;
	const char *skip;	/* why the kernel cannot be traced */
};

/* The 6.1 harness runs a test whose setup skipped: each test skips too. */
#define SKIP_UNTRACED()	do {						\
		if (self->skip)						\
			SKIP(return, "%s", self->skip);			\
	} while (0)

FIXTURE_SETUP(trace)
{
	struct stat st;

	self->img = -1;
	self->pid = -1;
	self->skip = NULL;
	if (stat(TRACEFS "/events", &st) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		self->skip = "no tracefs at " TRACEFS;
	else if (stat(TRACEFS "/events/ckpt", &st))
		self->skip = "kernel without the ckpt trace events";
	if (self->skip)
		return;
	ASSERT_EQ(0, tracefs_write("events/ckpt/enable", "1"));
	ASSERT_EQ(0, tracefs_write("trace", ""));
	self->img = ck_memfd("ckpt-trace");
	ASSERT_LE(0, self->img);
}

FIXTURE_TEARDOWN(trace)
{
	if (!self->skip)
		tracefs_write("events/ckpt/enable", "0");
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		ck_wait(self->pid);
	}
	if (self->img >= 0)
		close(self->img);
}

/*
 * Times are not checked against any value: under TCG the guest may fall
 * back to the jiffies clock, and a short phase then reads 0.  What holds on
 * any clock is checked: the phases, read apart, add up to no more than the
 * call, and those of the address space fit in the time the process was
 * held.
 */
TEST_F(trace, a_dump_reports_its_bytes_and_phases)
{
	struct ev e;

	SKIP_UNTRACED();
	self->pid = ck_spawn_paused(fill);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, ckpt_dump(self->pid, self->img, 0, NULL, 0));
	ASSERT_EQ(0, last_event("ckpt_dump", self->pid, &e));
	EXPECT_EQ(0, e.flags);
	EXPECT_EQ(0, e.ret);
	EXPECT_EQ(lseek(self->img, 0, SEEK_END), e.bytes);
	EXPECT_LT(PATTERN_MIB << 20, e.bytes);
	EXPECT_LT(0, e.mm + e.io + e.hash);
	EXPECT_EQ(0, e.commit);
	EXPECT_TRUE(phases_fit(&e));
	/* every record is written while the child is held */
	EXPECT_LE(e.mm + e.io + e.hash, e.held);
	TH_LOG("dump of %llu bytes: %llu us; stop %llu, held %llu, mm %llu, io %llu, hash %llu",
	       e.bytes, e.total / 1000, e.stop / 1000, e.held / 1000,
	       e.mm / 1000, e.io / 1000, e.hash / 1000);
}

TEST_F(trace, a_restore_reports_its_bytes_and_phases)
{
	struct ev d, e;
	pid_t r;

	SKIP_UNTRACED();
	self->pid = dump_self(self->img);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, ck_wait(self->pid));
	ASSERT_EQ(0, last_event("ckpt_dump", self->pid, &d));
	self->pid = -1;
	EXPECT_EQ(lseek(self->img, 0, SEEK_END), d.bytes);
	ASSERT_EQ(0, lseek(self->img, 0, SEEK_SET));

	ASSERT_EQ(CK_EXIT_RESTORED, ck_restore_fresh_pid(self->img, IMG_FD, 0, &r));
	ASSERT_EQ(0, last_event("ckpt_restore", r, &e));
	EXPECT_EQ(0, e.flags);
	EXPECT_EQ(CKPT_RESTORED, e.ret);
	EXPECT_EQ(d.bytes, e.bytes);
	/* no other process was stopped or held */
	EXPECT_EQ(0, e.stop);
	EXPECT_EQ(0, e.held);
	EXPECT_LT(0, e.mm + e.io + e.hash);
	EXPECT_TRUE(phases_fit(&e));
	TH_LOG("restore of %llu bytes: %llu us; mm %llu, io %llu, hash %llu, commit %llu",
	       e.bytes, e.total / 1000, e.mm / 1000, e.io / 1000,
	       e.hash / 1000, e.commit / 1000);
}

TEST_F(trace, a_rollback_in_place_reports_its_hold)
{
	struct ev d, e;

	SKIP_UNTRACED();
	self->pid = ck_spawn_paused(fill);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, ckpt_dump(self->pid, self->img, 0, NULL, 0));
	ASSERT_EQ(0, last_event("ckpt_dump", self->pid, &d));
	ASSERT_EQ(0, lseek(self->img, 0, SEEK_SET));
	ASSERT_EQ(0, ckpt_restore(self->pid, self->img, 0));
	ASSERT_EQ(0, last_event("ckpt_restore", self->pid, &e));
	EXPECT_EQ(0, e.ret);
	EXPECT_EQ(d.bytes, e.bytes);
	EXPECT_TRUE(phases_fit(&e));
	/* the commit runs while the process is held */
	EXPECT_LE(e.commit, e.held);
	/* and it runs on */
	EXPECT_EQ(0, waitpid(self->pid, NULL, WNOHANG));
}

TEST_F(trace, a_refused_dump_reports_its_error_and_no_byte)
{
	struct ev e;

	SKIP_UNTRACED();
	self->pid = ck_spawn_paused(a_netlink_socket);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(-1, ckpt_dump(self->pid, self->img, 0, NULL, 0));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0, last_event("ckpt_dump", self->pid, &e));
	EXPECT_EQ(-EOPNOTSUPP, e.ret);
	EXPECT_EQ(0, e.bytes);
	EXPECT_EQ(0, lseek(self->img, 0, SEEK_END));
}

TEST_F(trace, nothing_is_reported_while_disabled)
{
	struct ev e;

	SKIP_UNTRACED();
	ASSERT_EQ(0, tracefs_write("events/ckpt/enable", "0"));
	self->pid = ck_spawn_paused(fill);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, ckpt_dump(self->pid, self->img, 0, NULL, 0));
	EXPECT_EQ(-1, last_event("ckpt_dump", self->pid, &e));
}

TEST_HARNESS_MAIN
