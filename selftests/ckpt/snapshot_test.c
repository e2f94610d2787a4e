// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots (CKPT_DUMP_SNAPSHOT): an image kept in the kernel, its
 * private pages in a copy-on-write copy of the address space.
 *
 * A process with 8 MiB of private memory in a pattern of its generation,
 * a shared anonymous page, a file at fd 3 with an offset and a private
 * mapping of it, is snapshotted; then, three times over, it rewrites all
 * of that in the next generation and is rolled back from the one
 * snapshot: each time it reports the snapshot's state again, value by
 * value, with its pid.  Once it is killed the snapshot still restores it,
 * in a fresh process that never had its memory.  What a snapshot cannot
 * hold is refused by name (MADV_DONTFORK), and so are its misuses: of
 * the caller itself, with an fd, with STOP, KILL or COW; its descriptor
 * is close-on-exec, cannot be read, and a process holding one cannot be
 * dumped.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define BIG_PAGES	2048		/* 8 MiB of 4 KiB pages */
#define WORDS		(4096 / 4)
#define FILE_PATH	"/tmp/ckpt-snapshot-file"

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

/* The process's state, all of it rewritten by each generation. */
static uint32_t *big;
static volatile uint32_t *shared;
static char *fmap;
static uint32_t gen;

struct report {
	uint32_t gen;		/* its count of generations */
	int32_t big_gen;	/* the generation all of big holds, or -1 */
	int32_t shared_gen;
	int32_t fmap_gen;	/* the private file page's, or -1 */
	int32_t fmap_tail;	/* the file's second page still the file's */
	int32_t pid;
	int64_t off;		/* fd 3's offset */
};

static void write_gen(uint32_t g)
{
	uint32_t i;

	for (i = 0; i < BIG_PAGES; i++) {
		big[i * WORDS] = g * BIG_PAGES + i;
		big[i * WORDS + WORDS - 1] = ~(g * BIG_PAGES + i);
	}
	*shared = g;
	snprintf(fmap, 64, "generation %u", g);
	gen = g;
}

static void report(struct report *r)
{
	uint32_t i, g;

	memset(r, 0, sizeof(*r));
	r->gen = gen;
	g = big[0] / BIG_PAGES;
	r->big_gen = (int32_t)g;
	for (i = 0; i < BIG_PAGES; i++)
		if (big[i * WORDS] != g * BIG_PAGES + i ||
		    big[i * WORDS + WORDS - 1] != ~(g * BIG_PAGES + i))
			r->big_gen = -1;
	r->shared_gen = (int32_t)*shared;
	if (sscanf(fmap, "generation %d", &r->fmap_gen) != 1)
		r->fmap_gen = -1;
	r->fmap_tail = fmap[4096] == 'B' && fmap[8191] == 'B';
	r->pid = getpid();
	r->off = lseek(3, 0, SEEK_CUR);
}

static int kid_setup(void)
{
	char page[4096];
	int fd;

	big = mmap(NULL, BIG_PAGES * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	close(3);
	fd = open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (big == MAP_FAILED || shared == MAP_FAILED || fd != 3)
		return -1;
	memset(page, 'A', sizeof(page));
	if (write(fd, page, sizeof(page)) != sizeof(page))
		return -1;
	memset(page, 'B', sizeof(page));
	if (write(fd, page, sizeof(page)) != sizeof(page))
		return -1;
	fmap = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (fmap == MAP_FAILED || lseek(fd, 1000, SEEK_SET) != 1000)
		return -1;
	write_gen(0);
	return 0;
}

/* 'w': the next generation, fd 3 100 bytes on; 'r': a report. */
static void __attribute__((noreturn)) kid(void)
{
	struct report r;
	char c;

	for (;;) {
		if (read(CK_CMD_FD, &c, 1) != 1)
			_exit(0);
		if (c == 'w') {
			write_gen(gen + 1);
			if (lseek(3, 100, SEEK_CUR) < 0)
				_exit(CK_EXIT_SETUP);
		}
		report(&r);
		if (write(CK_REP_FD, &r, sizeof(r)) != sizeof(r))
			_exit(CK_EXIT_SETUP);
	}
}

static int ask(int cmd, int rep, char c, struct report *r)
{
	if (write(cmd, &c, 1) != 1)
		return -1;
	return read(rep, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static pid_t spawn_kid(int *cmd, int *rep)
{
	static const int keep[] = { 3 };
	pid_t pid = ck_spawn_commanded(kid_setup, keep, 1, kid, cmd, rep);
	char c;

	if (pid > 0 && read(*rep, &c, 1) != 1)
		return -1;
	return pid;
}

static long snapshot(pid_t pid)
{
	return ckpt_dump(pid, -1, CKPT_DUMP_SNAPSHOT, NULL, 0);
}

#define EXPECT_SAME_STATE(a, b) do {				\
	EXPECT_EQ((a).gen, (b).gen);				\
	EXPECT_EQ((a).big_gen, (b).big_gen);			\
	EXPECT_EQ((a).shared_gen, (b).shared_gen);		\
	EXPECT_EQ((a).fmap_gen, (b).fmap_gen);			\
	EXPECT_EQ((a).fmap_tail, (b).fmap_tail);		\
	EXPECT_EQ((a).off, (b).off);				\
} while (0)

TEST(rollback_from_one_snapshot_again_and_again)
{
	struct report at, now;
	int cmd, rep, i;
	long snap;
	pid_t pid;

	pid = spawn_kid(&cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ask(cmd, rep, 'r', &at));
	ASSERT_EQ(0, at.big_gen);
	ASSERT_EQ(1, at.fmap_tail);
	snap = snapshot(pid);
	ASSERT_LE(3, snap) TH_LOG("snapshot: %s", strerror(errno));
	EXPECT_EQ(FD_CLOEXEC, fcntl(snap, F_GETFD) & FD_CLOEXEC);
	for (i = 1; i <= 3; i++) {
		/* all of it rewritten, twice, since the snapshot */
		ASSERT_EQ(0, ask(cmd, rep, 'w', &now));
		ASSERT_EQ(0, ask(cmd, rep, 'w', &now));
		EXPECT_EQ(2, now.big_gen);
		EXPECT_EQ(2, now.shared_gen);
		EXPECT_EQ(2, now.fmap_gen);
		EXPECT_EQ(at.off + 200, now.off);
		ASSERT_EQ(0, ckpt_restore(pid, snap, 0))
			TH_LOG("rollback %d: %s", i, strerror(errno));
		ASSERT_EQ(0, ask(cmd, rep, 'r', &now));
		EXPECT_SAME_STATE(at, now);
		EXPECT_EQ(pid, now.pid);
	}
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(snap);
}

/*
 * Restore the snapshot at fd @snap in a fresh child with new command and
 * report pipes at the kid's numbers: its pid, the test's ends in *cmd and
 * *rep.
 */
static pid_t restore_fresh(int snap, int *cmd, int *rep)
{
	pid_t pid = ck_fork_piped(cmd, rep);

	if (pid == 0) {
		static const int keep[] = { 50, CK_CMD_FD, CK_REP_FD };

		if (ck_move_fd(*cmd, CK_CMD_FD) != CK_CMD_FD ||
		    ck_move_fd(*rep, CK_REP_FD) != CK_REP_FD ||
		    ck_move_fd(snap, 50) != 50)
			_exit(CK_EXIT_SETUP);
		ck_only_fds_of(keep, 3);
		ckpt_restore(0, 50, 0);
		_exit(CK_EXIT_NO_RESTORE);
	}
	return pid;
}

TEST(snapshot_outlives_its_process_and_restores_it_anew)
{
	struct report at, now;
	int cmd, rep;
	long snap;
	pid_t pid;

	pid = spawn_kid(&cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ask(cmd, rep, 'w', &at));
	snap = snapshot(pid);
	ASSERT_LE(3, snap) TH_LOG("snapshot: %s", strerror(errno));
	ASSERT_EQ(0, ask(cmd, rep, 'w', &now));
	kill(pid, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(cmd);
	close(rep);

	pid = restore_fresh(snap, &cmd, &rep);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ask(cmd, rep, 'r', &now));
	EXPECT_SAME_STATE(at, now);
	EXPECT_EQ(pid, now.pid);
	/* and it runs on from there */
	ASSERT_EQ(0, ask(cmd, rep, 'w', &now));
	EXPECT_EQ(at.gen + 1, now.gen);
	EXPECT_EQ((int32_t)at.gen + 1, now.big_gen);
	close(cmd);
	EXPECT_EQ(0, ck_wait(pid));
	close(rep);
	close(snap);
	unlink(FILE_PATH);
}

static int dontfork_setup(void)
{
	void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED || madvise(p, 65536, MADV_DONTFORK);
}

TEST(what_a_snapshot_cannot_hold_is_refused_by_name)
{
	int kmsg = ck_kmsg_open(), img = ck_memfd("ckpt-snapshot-img");
	pid_t pid = ck_spawn_paused(dontfork_setup);

	ASSERT_LT(0, pid);
	ASSERT_LE(0, img);
	EXPECT_EQ(-1, snapshot(pid));
	EXPECT_EQ(EOPNOTSUPP, errno);
	if (kmsg >= 0)
		EXPECT_TRUE(ck_kmsg_says(kmsg, "MADV_DONTFORK"));
	/* it runs on, and a dump that writes its pages takes it */
	EXPECT_EQ(0, kill(pid, 0));
	EXPECT_EQ(0, ckpt_dump(pid, img, 0, NULL, 0))
		TH_LOG("dump: %s", strerror(errno));
	kill(pid, SIGKILL);
	ck_wait(pid);
	if (kmsg >= 0)
		close(kmsg);
	close(img);
}

static int nothing(void)
{
	return 0;
}

TEST(snapshot_misuses)
{
	int img = ck_memfd("ckpt-snapshot-img");
	unsigned int bad[] = { CKPT_DUMP_STOP, CKPT_DUMP_KILL, CKPT_DUMP_COW };
	pid_t pid = ck_spawn_paused(nothing);
	char c;
	long snap;
	unsigned int i;

	ASSERT_LT(0, pid);
	ASSERT_LE(0, img);
	/* of the caller, which would not have the descriptor */
	EXPECT_EQ(-1, snapshot(0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, snapshot(getpid()));
	EXPECT_EQ(EINVAL, errno);
	/* with a descriptor to write to */
	EXPECT_EQ(-1, ckpt_dump(pid, img, CKPT_DUMP_SNAPSHOT, NULL, 0));
	EXPECT_EQ(EBADF, errno);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ckpt_dump(pid, -1, CKPT_DUMP_SNAPSHOT | bad[i],
					NULL, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	snap = snapshot(pid);
	ASSERT_LE(3, snap) TH_LOG("snapshot: %s", strerror(errno));
	/* not a file to read or write */
	EXPECT_EQ(-1, read(snap, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(snap, "x", 1));
	EXPECT_EQ(EBADF, errno);
	/* a restore with unknown flags changes nothing */
	EXPECT_EQ(-1, ckpt_restore(pid, snap, 1U << 30));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kill(pid, 0));
	close(snap);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(img);
}

/* A process holding a snapshot's descriptor at 3: not dumped. */
static int held_snap = -1;

static int holder_setup(void)
{
	return ck_move_fd(held_snap, 3) != 3;
}

static void __attribute__((noreturn)) holder_run(void)
{
	char c;

	while (read(CK_CMD_FD, &c, 1) == 1)
		;
	_exit(0);
}

TEST(a_process_holding_a_snapshot_is_refused)
{
	static const int keep[] = { 3 };
	pid_t pid = ck_spawn_paused(nothing), holder;
	int img = ck_memfd("ckpt-snapshot-img"), cmd, rep;
	long snap;
	char c;

	ASSERT_LT(0, pid);
	ASSERT_LE(0, img);
	snap = snapshot(pid);
	ASSERT_LE(3, snap) TH_LOG("snapshot: %s", strerror(errno));
	/* inherited across fork(), close-on-exec notwithstanding */
	held_snap = snap;
	holder = ck_spawn_commanded(holder_setup, keep, 1, holder_run,
				    &cmd, &rep);
	ASSERT_LT(0, holder);
	ASSERT_EQ(1, read(rep, &c, 1));
	EXPECT_EQ(-1, ckpt_dump(holder, img, 0, NULL, 0));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, lseek(img, 0, SEEK_END));
	close(cmd);
	EXPECT_EQ(0, ck_wait(holder));
	close(rep);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(snap);
	close(img);
}

TEST_HARNESS_MAIN
