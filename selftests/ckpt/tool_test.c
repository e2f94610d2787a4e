// SPDX-License-Identifier: GPL-2.0
/*
 * The ckpt tool, as an administrator uses it: "ckpt dump PID --kill" into
 * a pipe, "ckpt restore -" from one, "ckpt show", and its error messages.
 * Also prints one image in base64 between "### IMAGE" markers, so that the
 * test runner can check "ckpt show" of every architecture's image on the
 * host.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <time.h>
#include <stdint.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define CKPT_TOOL	"/bin/ckpt"

static char sbuf[80];
#define STATUS(st) ck_status_str(st, sbuf, sizeof(sbuf))

static volatile uint64_t counter;

struct report {
	uint64_t counter;
	int64_t pid;
};

static void on_usr1(int sig)
{
	struct report r = { .counter = counter, .pid = getpid() };

	if (write(1, &r, sizeof(r)) != sizeof(r))
		_exit(CK_EXIT_SETUP);
}

/* SIGUSR2 stops or starts the counting, and reports too. */
static volatile int paused;

static void on_usr2(int sig)
{
	paused = !paused;
	on_usr1(sig);
}

/*
 * The target: counts; on SIGUSR1 reports on its standard output.  A
 * @pausable one also takes SIGUSR2, and reports once when it is ready.
 */
static pid_t start_counter_how(int out, int pausable)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		if (dup2(out, 1) != 1)
			_exit(CK_EXIT_SETUP);
		ck_only_fds(-1);	/* its stdout is its only pipe */
		signal(SIGUSR1, on_usr1);
		if (pausable) {
			signal(SIGUSR2, on_usr2);
			on_usr1(0);
		}
		for (;;) {
			sigset_t mask, old;

			if (!paused) {
				counter++;
				continue;
			}
			/* no SIGUSR2 lost between the test and the wait */
			sigemptyset(&mask);
			sigaddset(&mask, SIGUSR1);
			sigaddset(&mask, SIGUSR2);
			sigprocmask(SIG_BLOCK, &mask, &old);
			if (paused)
				sigsuspend(&old);
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
	}
	return pid;
}

static pid_t start_counter(int out)
{
	return start_counter_how(out, 0);
}

static int ask(pid_t pid, int in, struct report *r)
{
	if (kill(pid, SIGUSR1))
		return -1;
	return read(in, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/* Run the tool with argv; stdin/stdout/stderr from fds (-1: /dev/null). */
static pid_t run_tool(char *const argv[], int in, int out, int err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err >= 0 ? err : null, 2);
		/* No stray pipe ends: the tool must see EOF on its input. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execv(CKPT_TOOL, argv);
		_exit(127);
	}
	return pid;
}

/* Wait until process pid is named name (restored: no longer "ckpt"). */
static int wait_comm(pid_t pid, const char *name)
{
	char buf[64];
	int i;

	for (i = 0; i < 1000; i++) {
		if (ck_read_proc(pid, "comm", buf, sizeof(buf)) > 0) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, name))
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

/* Read all of fd into a malloc()ed buffer. */
static char *slurp(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/*
 * The kernel writes to the same console as the image's base64 lines, and
 * a message in the middle of a line (QEMU's clocksource watchdog, say)
 * would cut it.  While the lines are printed the console shows no kernel
 * message; those logged meanwhile are printed after them, with their
 * timestamps, so that the runner's scan of the log still sees them.
 */
static int console_level(void)
{
	char buf[64] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(fd);
	}
	return atoi(buf);
}

static int quiet_console(int *level)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	*level = console_level();
	if (fd >= 0) {
		lseek(fd, 0, SEEK_END);
		syscall(SYS_syslog, 8, NULL, 1);	/* console level 1 */
	}
	return fd;
}

static void loud_console(int fd, int level)
{
	char rec[2048];
	ssize_t n;

	if (fd < 0)
		return;
	syscall(SYS_syslog, 8, NULL, level);
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		unsigned long long usec;
		char *text;

		if (n <= 0)
			continue;
		rec[n] = 0;
		text = strchr(rec, ';');	/* "prio,seq,usec,flags;text" */
		if (!text || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
			continue;
		printf("[%5llu.%06llu] %s", usec / 1000000, usec % 1000000,
		       text + 1);
	}
	close(fd);
	fflush(stdout);
}

static void print_base64(const unsigned char *p, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t i, o = 0;

	printf("### IMAGE-BEGIN\n");
	for (i = 0; i < len; i += 3) {
		uint32_t v = p[i] << 16;

		if (i + 1 < len)
			v |= p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		line[o++] = tab[v >> 18];
		line[o++] = tab[(v >> 12) & 63];
		line[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		line[o++] = i + 2 < len ? tab[v & 63] : '=';
		if (o == 76) {
			printf("%.*s\n", (int)o, line);
			o = 0;
		}
	}
	if (o)
		printf("%.*s\n", (int)o, line);
	printf("### IMAGE-END\n");
	fflush(stdout);
}

/* Copy the image in memfd img into the file path; closes img.  0 or -1. */
static int save_image(int img, const char *path)
{
	struct ck_img im;
	int fd, err;

	err = ck_slurp(img, 1, &im);
	close(img);
	if (err)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = fd < 0 || ck_write_all(fd, im.buf, im.len) ? -1 : 0;
	if (fd >= 0)
		close(fd);
	free(im.buf);
	return err;
}

FIXTURE(tool) {
	int rep[2];
};

FIXTURE_SETUP(tool)
{
	if (access(CKPT_TOOL, X_OK))
		SKIP(return, "%s is not installed", CKPT_TOOL);
	ASSERT_EQ(0, pipe(self->rep));
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(tool)
{
	close(self->rep[0]);
	close(self->rep[1]);
}

TEST_F(tool, dump_kill_then_restore_from_a_pipe)
{
	struct report before, after, later;
	char pidstr[16], *img, *out;
	char *dump_argv[] = { "ckpt", "dump", pidstr, "--kill", NULL };
	char *restore_argv[] = { "ckpt", "restore", "-", NULL };
	char *show_argv[] = { "ckpt", "show", "-", NULL };
	int p[2], q[2], s[2];
	size_t len, outlen;
	pid_t pid, dumper, restorer, shower;

	pid = start_counter(self->rep[1]);
	ASSERT_LT(0, pid);
	usleep(50000);
	ASSERT_EQ(0, ask(pid, self->rep[0], &before));
	EXPECT_EQ(pid, before.pid);

	/* ckpt dump PID --kill | (the test keeps the bytes) */
	ASSERT_EQ(0, pipe(p));
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	dumper = run_tool(dump_argv, -1, p[1], 2);
	close(p[1]);
	img = slurp(p[0], &len);
	close(p[0]);
	ASSERT_NE(NULL, img);
	EXPECT_EQ(0, ck_wait(dumper));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));	/* reaped: its pid is free */
	ASSERT_LT(CK_HDR_SIZE, len);

	/* | ckpt restore -  (as root it gets the pid back) */
	ASSERT_EQ(0, pipe(q));
	restorer = run_tool(restore_argv, q[0], self->rep[1], 2);
	close(q[0]);
	ASSERT_EQ(0, ck_write_all(q[1], img, len));
	close(q[1]);
	ASSERT_EQ(0, wait_comm(pid, "tool_test"))
		TH_LOG("no restored process %d", pid);
	ASSERT_EQ(0, ask(pid, self->rep[0], &after))
		TH_LOG("no process %d after the restore", pid);
	EXPECT_EQ(pid, after.pid);
	EXPECT_LE(before.counter, after.counter);
	usleep(100000);
	ASSERT_EQ(0, ask(pid, self->rep[0], &later));
	EXPECT_LT(after.counter, later.counter);	/* it runs */
	kill(pid, SIGKILL);
	/* The tool waited for it and exits as a shell would. */
	EXPECT_EQ(128 + SIGKILL, ck_wait(restorer));

	/* ckpt show - */
	ASSERT_EQ(0, pipe(q));
	ASSERT_EQ(0, pipe(s));
	shower = run_tool(show_argv, q[0], s[1], 2);
	close(q[0]);
	close(s[1]);
	ASSERT_EQ(0, ck_write_all(q[1], img, len));
	close(q[1]);
	out = slurp(s[0], &outlen);
	close(s[0]);
	EXPECT_EQ(0, ck_wait(shower));
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, pidstr)) TH_LOG("ckpt show: %s", out);
	free(out);

	{
		int level, kmsg = quiet_console(&level);

		print_base64((unsigned char *)img, len);
		loud_console(kmsg, level);
	}
	free(img);
}

/* Errors name the pid and the errno, with a non-zero exit status. */
TEST_F(tool, errors_are_explained)
{
	char *dump_argv[] = { "ckpt", "dump", "4000000", "-o", "/tmp/x.img", NULL };
	char pidstr[16];
	char *rb_argv[] = { "ckpt", "rollback", pidstr, "/dev/null", NULL };
	char *usage_argv[] = { "ckpt", "frobnicate", NULL };
	char *msg;
	size_t len;
	int e[2];
	pid_t t, pid;

	ASSERT_EQ(0, pipe(e));
	t = run_tool(dump_argv, -1, -1, e[1]);
	close(e[1]);
	msg = slurp(e[0], &len);
	close(e[0]);
	EXPECT_EQ(1, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "4000000")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "ESRCH")) TH_LOG("%s", msg);
	EXPECT_NE(0, access("/tmp/x.img", F_OK));	/* no partial file */
	free(msg);

	/* Not an image: refused, and the target lives on. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	ASSERT_EQ(0, pipe(e));
	t = run_tool(rb_argv, -1, -1, e[1]);
	close(e[1]);
	msg = slurp(e[0], &len);
	close(e[0]);
	EXPECT_NE(0, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_LT(10, len) TH_LOG("%s", msg);
	free(msg);
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	kill(pid, SIGKILL);
	ck_wait(pid);

	t = run_tool(usage_argv, -1, -1, -1);
	EXPECT_EQ(2, ck_wait(t));
}

/*
 * A refusal names the process dumped and its object: the kernel logs
 * "ckpt: COMM[PID]: cannot checkpoint ..." keyed on the dumped process
 * (it named the dumper before), and the tool finds that line and prints
 * it.  The process runs on and nothing is written.
 */
static int mlocked_page(void)
{
	static char locked[4096] __attribute__((aligned(4096)));

	locked[0] = 1;
	return mlock(locked, sizeof(locked));
}

/* An inotify descriptor at fd 17: not supported in an image. */
static int inotify_at_17(void)
{
	int fd = inotify_init1(0);

	if (fd < 0 || dup2(fd, 17) != 17)
		return -1;
	close(fd);
	return 0;
}

static void check_refusal(struct __test_metadata *_metadata,
			  int (*setup)(void), const char *what)
{
	char pidstr[16], key[32];
	char *argv[] = { "ckpt", "dump", pidstr, "-o", "/tmp/refused.img", NULL };
	char *msg;
	size_t len;
	int e[2];
	pid_t t, pid;

	if (access("/dev/kmsg", R_OK))
		SKIP(return, "the kernel log is not readable here");
	pid = ck_spawn_paused(setup);
	ASSERT_LT(0, pid);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(key, sizeof(key), "[%d]: cannot checkpoint", pid);
	ASSERT_EQ(0, pipe(e));
	t = run_tool(argv, -1, -1, e[1]);
	close(e[1]);
	msg = slurp(e[0], &len);
	close(e[0]);
	EXPECT_EQ(1, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "EOPNOTSUPP")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, key)) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, what)) TH_LOG("%s", msg);
	EXPECT_NE(0, access("/tmp/refused.img", F_OK));	/* nothing written */
	free(msg);
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));	/* it runs on */
	kill(pid, SIGKILL);
	ck_wait(pid);
}

TEST_F(tool, refusal_names_the_process_and_the_object)
{
	check_refusal(_metadata, mlocked_page, "locked memory (mlock)");
}

TEST_F(tool, refusal_names_the_fd_and_its_kind)
{
	check_refusal(_metadata, inotify_at_17,
		      "fd 17: an anonymous inode (anon_inode:inotify)");
}

/*
 * An image of a process that had children: the restore names them and
 * the option that restores it anyway, which then works.
 */
TEST_F(tool, restore_names_the_children)
{
	char *argv[] = { "ckpt", "restore", "/tmp/kids.img", NULL };
	char *argv_w[] = { "ckpt", "restore", "--without-children",
			   "/tmp/kids.img", NULL };
	char *msg;
	size_t len;
	int img, st, e[2];
	pid_t t;

	img = ck_dump_child("ckpt-kids", ck_run_with_children, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("dumped process: %s", STATUS(st));
	ASSERT_EQ(0, save_image(img, "/tmp/kids.img"));

	ASSERT_EQ(0, pipe(e));
	t = run_tool(argv, -1, -1, e[1]);
	close(e[1]);
	msg = slurp(e[0], &len);
	close(e[0]);
	EXPECT_EQ(125, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "EOPNOTSUPP")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "(ckpt-kid)")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "(ckpt-zombie), a zombie")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "--without-children")) TH_LOG("%s", msg);
	free(msg);

	t = run_tool(argv_w, -1, -1, -1);
	st = ck_wait(t);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("--without-children: %s (10: it has a child)",
					       STATUS(st));
	unlink("/tmp/kids.img");
}

/*
 * Sessions and groups: a process that led its session (setsid()) gets
 * one of its own again from ckpt restore; any other joins ckpt's group.
 */
static void __attribute__((noreturn)) dump_as(int img, int leader)
{
	int null = open("/dev/null", O_RDWR);
	long ret;

	if (null < 0 || dup2(null, 0) || dup2(null, 1) != 1 ||
	    dup2(null, 2) != 2 || (leader && setsid() < 0))
		_exit(CK_EXIT_SETUP);
	ck_only_fds(img);
	ret = ckpt_dump(0, img, 0, NULL, 0);
	if (ret == 0)
		_exit(0);
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
	if (leader)
		_exit(getsid(0) == getpid() && getpgrp() == getpid() ?
		      CK_EXIT_RESTORED : 10);
	_exit(getpgrp() == getpgid(getppid()) && getsid(0) == getsid(getppid()) &&
	      getpgrp() != getpid() ? CK_EXIT_RESTORED : 11);
}

static void __attribute__((noreturn)) run_session_leader(int img)
{
	dump_as(img, 1);
}

static void __attribute__((noreturn)) run_group_member(int img)
{
	dump_as(img, 0);
}

static int tool_restores(void (*run)(int img))
{
	char *argv[] = { "ckpt", "restore", "/tmp/session.img", NULL };
	int img, st;

	img = ck_dump_child("ckpt-session", run, &st);
	if (img < 0 || st || save_image(img, "/tmp/session.img"))
		return -1;
	st = ck_wait(run_tool(argv, -1, -1, -1));
	unlink("/tmp/session.img");
	return st;
}

TEST_F(tool, restore_gives_a_session_leader_its_own_session)
{
	int st = tool_restores(run_session_leader);

	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("%s (10: not a session leader)", STATUS(st));
}

TEST_F(tool, restore_puts_another_process_in_its_group)
{
	int st = tool_restores(run_group_member);

	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("%s (11: not in ckpt's group and session)",
					       STATUS(st));
}

/*
 * A shell on a terminal: a session leader with a pty as its controlling
 * terminal and standard streams, in its foreground, without children,
 * answers each line it reads with whether it is in its terminal's
 * foreground.  Dumped with CKPT_DUMP_KILL, it is restored by ckpt restore
 * run by a "shell" on another pty, in that one's foreground, and goes on
 * reading there, in the foreground: it is not given a session of its own
 * (which would have no terminal), it joins ckpt's job.
 */
static void __attribute__((noreturn)) tty_shell(void)
{
	char line[64], out[96];
	ssize_t n;

	for (;;) {
		n = read(0, line, sizeof(line) - 1);
		if (n <= 0)
			_exit(n ? 20 : 21);
		line[n] = 0;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, sizeof(out), "got %s %s\n", line,
			 tcgetpgrp(0) == getpgrp() ? "fg" : "bg");
		if (write(1, out, strlen(out)) != (ssize_t)strlen(out))
			_exit(22);
		if (!strcmp(line, "quit"))
			_exit(CK_EXIT_RESTORED);
	}
}

/*
 * Fork a child that leads a session on a new pty (its controlling
 * terminal, without echo, at 0-2) and runs the shell, or else the tool
 * with argv.  The master in *master, and in *slave an open of the slave,
 * so that the master never sees it closed meanwhile.
 */
static pid_t on_pty(int *master, int *slave_fd, char *const argv[])
{
	pid_t parent = getpid(), pid;
	int m = posix_openpt(O_RDWR | O_NOCTTY), s = -1;
	struct termios t;
	char *slave;

	*master = *slave_fd = -1;
	/* no echo, no output processing, before anything is written */
	if (m < 0 || grantpt(m) || unlockpt(m) || !(slave = ptsname(m)) ||
	    (s = open(slave, O_RDWR | O_NOCTTY)) < 0 || tcgetattr(s, &t))
		goto fail;
	t.c_lflag &= ~(ECHO | ECHONL);
	t.c_oflag &= ~OPOST;
	if (tcsetattr(s, TCSANOW, &t))
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		if (setsid() < 0)
			_exit(CK_EXIT_SETUP);
		s = open(slave, O_RDWR);	/* becomes its terminal */
		if (s < 0 || dup2(s, 0) || dup2(s, 1) != 1 || dup2(s, 2) != 2)
			_exit(CK_EXIT_SETUP);
		ck_only_fds(-1);
		if (!argv)
			tty_shell();
		execv(CKPT_TOOL, argv);
		_exit(127);
	}
	if (pid < 0)
		goto fail;
	*master = m;
	*slave_fd = s;
	return pid;
fail:
	if (s >= 0)
		close(s);
	if (m >= 0)
		close(m);
	return -1;
}

/* Say line to the terminal's master; the answer, in buf; 0 or -1. */
static int say(int m, const char *line, char *buf, size_t n)
{
	struct pollfd p = { .fd = m, .events = POLLIN };
	size_t got = 0;

	if (write(m, line, strlen(line)) != (ssize_t)strlen(line))
		return -1;
	while (got < n - 1 && (!got || buf[got - 1] != '\n')) {
		ssize_t r;

		if (poll(&p, 1, 60000) != 1)
			return -1;
		r = read(m, buf + got, 1);
		if (r != 1)
			return -1;
		got++;
	}
	buf[got] = 0;
	return 0;
}

TEST_F(tool, a_shell_on_a_pty_goes_on_reading_on_ckpts_terminal)
{
	char *argv[] = { "ckpt", "restore", "/tmp/pty.img", NULL };
	char buf[128];
	struct ck_img im;
	struct ck_rec r;
	int m, s, img, st;
	uint32_t flags;
	pid_t pid;

	pid = on_pty(&m, &s, NULL);
	ASSERT_LT(0, pid) TH_LOG("no pty: %s", strerror(errno));
	ASSERT_EQ(0, say(m, "one\n", buf, sizeof(buf)));
	EXPECT_STREQ("got one fg\n", buf);
	img = open("/tmp/pty.img", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, img);
	EXPECT_EQ(0, ckpt_dump(pid, img, CKPT_DUMP_KILL, NULL, 0)) TH_LOG("dump: %s",
								 strerror(errno));
	EXPECT_EQ(1000 + SIGKILL, ck_wait(pid));
	close(s);
	close(m);
	ASSERT_EQ(0, ck_slurp(img, 1, &im));
	close(img);
	ASSERT_EQ(1, ck_img_find(&im, CKPT_REC_PROC, 0, &r));
	flags = ck_get32(r.p + CK_OFF(ckpt_proc, flags), ck_img_endian(&im));
	EXPECT_EQ(CKPT_PROC_SESSION_LEADER | CKPT_PROC_GROUP_LEADER |
		  CKPT_PROC_TTY | CKPT_PROC_FOREGROUND, flags);
	free(im.buf);

	pid = on_pty(&m, &s, argv);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, say(m, "two\n", buf, sizeof(buf)));
	EXPECT_STREQ("got two fg\n", buf);
	ASSERT_EQ(0, say(m, "quit\n", buf, sizeof(buf)));
	EXPECT_STREQ("got quit fg\n", buf);
	st = ck_wait(pid);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("ckpt restore: %s", STATUS(st));
	close(s);
	close(m);
	unlink("/tmp/pty.img");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A process holding @mib MiB it touched, paused. */
static pid_t start_big(unsigned int mib)
{
	pid_t parent = getpid(), pid;
	char *p;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ck_child_init(parent);
		ck_only_fds(-1);
		p = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(CK_EXIT_SETUP);
		memset(p, 0x5a, (size_t)mib << 20);
		for (;;)
			pause();
	}
	return pid;
}

/* Run the tool with argv on a pty: what it wrote there, and its status. */
static char *on_pty_output(char *const argv[], int *status)
{
	size_t n = 0, cap = 65536;
	char *out = malloc(cap);
	int m, s;
	ssize_t r;
	pid_t pid;

	pid = on_pty(&m, &s, argv);
	if (pid < 0 || !out) {
		free(out);
		return NULL;
	}
	close(s);
	/* until the tool is gone and the slave with it: EIO */
	while ((r = read(m, out + n, cap - 1 - n)) > 0 && n < cap - 1)
		n += r;
	out[n] = 0;
	close(m);
	*status = ck_wait(pid);
	return out;
}

/*
 * Test: on a terminal, a dump or a rollback says how far it got (MiB of
 * the expected total, rate) once it has run CKPT_PROGRESS_DELAY_MS (0
 * here; a second by default); not on a terminal, it says nothing.  The
 * process grows until its dump takes 0.2 s.
 */
TEST_F(tool, progress_on_a_terminal_only)
{
	char pidstr[16], *out = NULL, *err;
	char *dump_argv[] = { "ckpt", "dump", pidstr, "-o", "/tmp/progress.img", NULL };
	char *rollback_argv[] = { "ckpt", "rollback", pidstr, "/tmp/progress.img", NULL };
	unsigned int mib;
	uint64_t t = 0;
	int st, e[2];
	size_t len;
	struct sysinfo si;
	pid_t pid = -1, tool;

	/* the process and its image in tmpfs, in half of memory */
	ASSERT_EQ(0, sysinfo(&si));
	setenv("CKPT_PROGRESS_DELAY_MS", "0", 1);
	for (mib = 8; (uint64_t)mib << 22 <= (uint64_t)si.totalram * si.mem_unit * 2;
	     mib *= 2) {
		pid = start_big(mib);
		ASSERT_LT(0, pid);
		usleep(100000);
		snprintf(pidstr, sizeof(pidstr), "%d", pid);
		t = now_ns();
		free(out);
		out = on_pty_output(dump_argv, &st);
		t = now_ns() - t;
		ASSERT_NE(NULL, out);
		ASSERT_EQ(0, st) TH_LOG("dump: %s: %s", STATUS(st), out);
		if (t >= 200000000ull)
			break;
		kill(pid, SIGKILL);
		ck_wait(pid);
		unlink("/tmp/progress.img");
	}
	if ((uint64_t)mib << 22 > (uint64_t)si.totalram * si.mem_unit * 2)
		SKIP(return, "a dump of %u MiB took %llu ms: under 0.2 s",
		     mib / 2, (unsigned long long)t / 1000000);
	EXPECT_NE(NULL, strstr(out, "ckpt: dump: ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " MiB (")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " MiB/s")) TH_LOG("%s", out);

	/* a rollback from that image, as long */
	free(out);
	out = on_pty_output(rollback_argv, &st);
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, st) TH_LOG("rollback: %s: %s", STATUS(st), out);
	EXPECT_NE(NULL, strstr(out, "ckpt: rollback: ")) TH_LOG("%s", out);
	free(out);

	/* on a pipe: nothing but errors, and there are none */
	ASSERT_EQ(0, pipe(e));
	tool = run_tool(dump_argv, -1, -1, e[1]);
	close(e[1]);
	err = slurp(e[0], &len);
	close(e[0]);
	EXPECT_EQ(0, ck_wait(tool));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(0, len) TH_LOG("on a pipe: %s", err);
	free(err);
	kill(pid, SIGKILL);
	ck_wait(pid);
	unlink("/tmp/progress.img");
}

/*
 * --inherit-fd: a process reading numbers from a pipe at fd 7 whose
 * writer is not in the image dumps itself; ckpt restore cannot restore
 * it alone (it has no pipe at 7), but with --inherit-fd 7=0 the restored
 * process reads, in order and to the end, what is written into the pipe
 * at ckpt's standard input.
 */
static int p7[2];	/* the pipe the reader reads at fd 7 */

/*
 * In a child: /dev/null at 0-2, @from at @at and nothing else, dump
 * itself into img; the original exits 0, the restored copy returns.
 */
static void dump_with_fd(int img, int from, int at)
{
	const int keep[] = { at, 20 };
	int null = open("/dev/null", O_RDWR);
	long ret;

	if (null < 0 || dup2(null, 0) || dup2(null, 1) != 1 ||
	    dup2(null, 2) != 2 || dup2(from, at) != at ||
	    ck_move_fd(img, 20) != 20)
		_exit(CK_EXIT_SETUP);
	ck_only_fds_of(keep, 2);
	ret = ckpt_dump(0, 20, 0, NULL, 0);
	if (ret == 0)
		_exit(0);
	if (ret != CKPT_RESTORED)
		_exit(CK_EXIT_DUMP_FAILED);
}

static void __attribute__((noreturn)) run_reader(int img)
{
	uint64_t v, want = 1;

	dump_with_fd(img, p7[0], 7);
	while (read(7, &v, sizeof(v)) == sizeof(v))
		if (v != want++)
			_exit(10);
	_exit(want == 101 ? CK_EXIT_RESTORED : 11);
}

TEST_F(tool, inherit_fd_hands_a_pipe_over)
{
	char *plain[] = { "ckpt", "restore", "/tmp/inherit.img", NULL };
	char *inherit[] = { "ckpt", "restore", "--inherit-fd", "7=0",
			    "/tmp/inherit.img", NULL };
	char *no_fd[] = { "ckpt", "restore", "--inherit-fd", "7=99",
			  "/tmp/inherit.img", NULL };
	char *bad[] = { "ckpt", "restore", "--inherit-fd", "7",
			"/tmp/inherit.img", NULL };
	int img, st, q[2];
	uint64_t v;
	pid_t t;

	ASSERT_EQ(0, pipe(p7));
	img = ck_dump_child("ckpt-reader", run_reader, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("dumped process: %s", STATUS(st));
	close(p7[0]);
	ASSERT_EQ(0, save_image(img, "/tmp/inherit.img"));

	st = ck_wait(run_tool(plain, -1, -1, -1));
	EXPECT_EQ(125, st) TH_LOG("without --inherit-fd: %s", STATUS(st));
	EXPECT_EQ(2, ck_wait(run_tool(no_fd, -1, -1, -1)));
	EXPECT_EQ(2, ck_wait(run_tool(bad, -1, -1, -1)));

	ASSERT_EQ(0, pipe(q));
	t = run_tool(inherit, q[0], -1, -1);
	close(q[0]);
	for (v = 1; v <= 100; v++)
		ASSERT_EQ(sizeof(v), write(q[1], &v, sizeof(v)));
	close(q[1]);
	st = ck_wait(t);
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("--inherit-fd 7=0: %s (10: out of order, 11: short)",
					       STATUS(st));
	close(p7[1]);
	unlink("/tmp/inherit.img");
}

/*
 * ckpt dump --file-data: ckpt show lists the log with its content, a
 * rollback from an image without it names the changed log, and one with
 * it puts the log back.
 */
#define FD_LOG		"/tmp/ckpt-tool-log"

static int open_log(void)
{
	int fd = open(FD_LOG, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0600);

	return fd < 0 || ck_write_all(fd, "one\n", 4) || ck_move_fd(fd, 5) != 5;
}

static char *tool_output(struct __test_metadata *_metadata,
			 char *const argv[], int status)
{
	size_t len;
	char *msg;
	int o[2];
	pid_t t;

	if (pipe(o))
		return NULL;
	t = run_tool(argv, -1, o[1], o[1]);
	close(o[1]);
	msg = slurp(o[0], &len);
	close(o[0]);
	EXPECT_EQ(status, ck_wait(t)) TH_LOG("%s: %s", argv[1], msg);
	return msg;
}

TEST_F(tool, file_data_rolls_a_log_back)
{
	char pidstr[16];
	char *plain_argv[] = { "ckpt", "dump", pidstr, "-o", "/tmp/log.img", NULL };
	char *data_argv[] = { "ckpt", "dump", pidstr, "--file-data=1K", "-o",
			      "/tmp/logd.img", NULL };
	char *small_argv[] = { "ckpt", "dump", pidstr, "--file-data=3", "-o",
			       "/tmp/logs.img", NULL };
	char *show_argv[] = { "ckpt", "show", "/tmp/logd.img", NULL };
	char *rb_argv[] = { "ckpt", "rollback", pidstr, "/tmp/log.img", NULL };
	char *rbd_argv[] = { "ckpt", "rollback", pidstr, "/tmp/logd.img", NULL };
	char *msg, buf[16];
	ssize_t n;
	pid_t pid;
	int fd;

	pid = ck_spawn_paused(open_log);
	ASSERT_LT(0, pid);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	free(tool_output(_metadata, plain_argv, 0));
	free(tool_output(_metadata, data_argv, 0));
	msg = tool_output(_metadata, small_argv, 1);
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "EFBIG")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "--file-data")) TH_LOG("%s", msg);
	free(msg);
	EXPECT_NE(0, access("/tmp/logs.img", F_OK));
	msg = tool_output(_metadata, show_argv, 0);
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "content  " FD_LOG " O_WRONLY|O_APPEND pos 4"))
		TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "4 bytes in the image")) TH_LOG("%s", msg);
	free(msg);

	fd = open(FD_LOG, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ck_write_all(fd, "two\n", 4));
	close(fd);
	msg = tool_output(_metadata, rb_argv, 1);
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, FD_LOG ": modified")) TH_LOG("%s", msg);
	free(msg);
	free(tool_output(_metadata, rbd_argv, 0));
	fd = open(FD_LOG, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	EXPECT_EQ(4, n);
	EXPECT_EQ(0, memcmp(buf, "one\n", 4));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));
	kill(pid, SIGKILL);
	ck_wait(pid);
	unlink("/tmp/log.img");
	unlink("/tmp/logd.img");
	unlink(FD_LOG);
}

/*
 * A server's listener, which the test holds too: ckpt show names it, a
 * restore without it makes it again on an address in use (EADDRINUSE)
 * and says what to do, and --inherit-fd 3=0 hands it over, with a client
 * waiting in its backlog.
 */
static int srv_listener;

static void __attribute__((noreturn)) run_listening(int img)
{
	int c;

	dump_with_fd(img, srv_listener, 3);
	c = accept(3, NULL, NULL);
	_exit(c >= 0 && write(c, "x", 1) == 1 ? CK_EXIT_RESTORED : 10);
}

TEST_F(tool, inherit_fd_hands_a_listener_over)
{
	char *show_argv[] = { "ckpt", "show", "/tmp/listen.img", NULL };
	char *plain[] = { "ckpt", "restore", "/tmp/listen.img", NULL };
	char *inherit[] = { "ckpt", "restore", "--inherit-fd", "3=0",
			    "/tmp/listen.img", NULL };
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);
	char *msg, want[80], c;
	int img, st, cl;

	ASSERT_EQ(0, ck_loopback_up());
	srv_listener = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, srv_listener);
	ASSERT_EQ(0, bind(srv_listener, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(srv_listener, 4));
	ASSERT_EQ(0, getsockname(srv_listener, (struct sockaddr *)&sa, &len));
	img = ck_dump_child("ckpt-listening", run_listening, &st);
	ASSERT_LE(0, img);
	ASSERT_EQ(0, st) TH_LOG("dumped process: %s", STATUS(st));
	ASSERT_EQ(0, save_image(img, "/tmp/listen.img"));

	msg = tool_output(_metadata, show_argv, 0);
	ASSERT_NE(NULL, msg);
	snprintf(want, sizeof(want),
		 "ipv4 tcp listen 127.0.0.1:%u, the live one on restore, else made again",
		 ntohs(sa.sin_port));
	EXPECT_NE(NULL, strstr(msg, want)) TH_LOG("%s", msg);
	free(msg);
	/* made again, on the address the test's listener holds */
	msg = tool_output(_metadata, plain, 125);
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "EADDRINUSE")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "--inherit-fd")) TH_LOG("%s", msg);
	free(msg);

	cl = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, cl);
	ASSERT_EQ(0, connect(cl, (struct sockaddr *)&sa, sizeof(sa)));
	st = ck_wait(run_tool(inherit, srv_listener, -1, -1));
	EXPECT_EQ(CK_EXIT_RESTORED, st) TH_LOG("--inherit-fd 3=0: %s", STATUS(st));
	EXPECT_EQ(1, read(cl, &c, 1));
	EXPECT_EQ('x', c);
	close(cl);
	close(srv_listener);
	close(img);
	unlink("/tmp/listen.img");
}

/* A process that only pauses. */
static int nothing(void)
{
	return 0;
}

/*
 * "ckpt dump PID --cow": the process runs on, and the image says so
 * (cow_test restores such images).  With --kill it is a usage error, and
 * nothing is written.
 */
TEST_F(tool, dump_cow_and_its_usage)
{
	char pidstr[16];
	char *cow_argv[] = { "ckpt", "dump", pidstr, "--cow", "-o",
			     "/tmp/cow.img", NULL };
	char *bad_argv[] = { "ckpt", "dump", pidstr, "--cow", "--kill", "-o",
			     "/tmp/cow-bad.img", NULL };
	char *show_argv[] = { "ckpt", "show", "/tmp/cow.img", NULL };
	char *msg;
	size_t len;
	int e[2], o[2];
	pid_t t, pid;

	pid = ck_spawn_paused(nothing);
	ASSERT_LT(0, pid);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);

	ASSERT_EQ(0, pipe(e));
	t = run_tool(bad_argv, -1, -1, e[1]);
	close(e[1]);
	msg = slurp(e[0], &len);
	close(e[0]);
	EXPECT_EQ(2, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, "--cow")) TH_LOG("%s", msg);
	free(msg);
	EXPECT_NE(0, access("/tmp/cow-bad.img", F_OK));

	t = run_tool(cow_argv, -1, -1, -1);
	EXPECT_EQ(0, ck_wait(t));
	EXPECT_EQ(0, waitpid(pid, NULL, WNOHANG));	/* it runs on */
	ASSERT_EQ(0, pipe(o));
	t = run_tool(show_argv, -1, o[1], -1);
	close(o[1]);
	msg = slurp(o[0], &len);
	close(o[0]);
	EXPECT_EQ(0, ck_wait(t));
	ASSERT_NE(NULL, msg);
	EXPECT_NE(NULL, strstr(msg, " cow\n")) TH_LOG("%s", msg);
	free(msg);
	kill(pid, SIGKILL);
	ck_wait(pid);
	unlink("/tmp/cow.img");
}

/*
 * ckpt snapshot: a counter paused (SIGUSR2 toggles it, acknowledging
 * with a report) at s is snapshotted, counts on past s, and each line
 * on the tool's input rolls it back to s exactly.
 */
static int toggle(pid_t pid, int in)
{
	struct report r;

	if (kill(pid, SIGUSR2))
		return -1;
	return read(in, &r, sizeof(r)) == sizeof(r) ? 0 : -1;
}

/* Paused: wait for it to sleep in sigsuspend(), with no step left to make. */
static int pause_counter(pid_t pid, int in)
{
	char buf[512], *p;
	int i;

	if (toggle(pid, in))
		return -1;
	for (i = 0; i < 5000; i++) {
		if (ck_read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
			return -1;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(1000);
	}
	return -1;
}

TEST_F(tool, snapshot_rolls_back_on_each_line)
{
	char pidstr[16], line[64];
	char *argv[] = { "ckpt", "snapshot", pidstr, NULL };
	char *bad_argv[] = { "ckpt", "snapshot", "0", NULL };
	struct report at, r;
	int p[2], in[2], out[2], round;
	FILE *o;
	pid_t pid, t;

	ASSERT_EQ(2, ck_wait(run_tool(bad_argv, -1, -1, -1)));
	ASSERT_EQ(0, pipe(p));
	pid = start_counter_how(p[1], 1);
	close(p[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(r), read(p[0], &r, sizeof(r)));	/* counting */
	usleep(20000);
	ASSERT_EQ(0, pause_counter(pid, p[0]));
	ASSERT_EQ(0, ask(pid, p[0], &at));
	ASSERT_LT(0, at.counter);

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	ASSERT_EQ(0, pipe(in));
	ASSERT_EQ(0, pipe(out));
	t = run_tool(argv, in[0], out[1], -1);
	close(in[0]);
	close(out[1]);
	o = fdopen(out[0], "r");
	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, fgets(line, sizeof(line), o));
	EXPECT_EQ(0, strncmp(line, "snapshot of process ", 20)) TH_LOG("%s", line);
	for (round = 1; round <= 2; round++) {
		ASSERT_EQ(0, toggle(pid, p[0]));
		usleep(20000);
		ASSERT_EQ(0, pause_counter(pid, p[0]));
		ASSERT_EQ(0, ask(pid, p[0], &r));
		EXPECT_LT(at.counter, r.counter);
		ASSERT_EQ(1, write(in[1], "\n", 1));
		ASSERT_NE(NULL, fgets(line, sizeof(line), o));
		snprintf(pidstr, sizeof(pidstr), "rolled back %d\n", round);
		EXPECT_STREQ(pidstr, line);
		ASSERT_EQ(0, ask(pid, p[0], &r));
		EXPECT_EQ(at.counter, r.counter);
		EXPECT_EQ(pid, r.pid);
	}
	close(in[1]);
	EXPECT_EQ(0, ck_wait(t));
	fclose(o);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(p[0]);
}

/*
 * ckpt track: a base, then a diff on each line; the diff rolls the
 * counter back to where it was when the diff was written.
 */
TEST_F(tool, track_writes_a_diff_on_each_line)
{
	char pidstr[16], line[256], want[128];
	char base[] = "/tmp/ckpt-track-base", diff[] = "/tmp/ckpt-track-diff";
	char *argv[] = { "ckpt", "track", pidstr, base, NULL };
	char *roll[] = { "ckpt", "rollback", pidstr, diff, NULL };
	struct report at, r;
	int p[2], in[2], out[2];
	struct stat bst, dst;
	FILE *o;
	pid_t pid, t;

	ASSERT_EQ(0, pipe(p));
	pid = start_counter_how(p[1], 1);
	close(p[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(r), read(p[0], &r, sizeof(r)));	/* counting */
	usleep(20000);
	ASSERT_EQ(0, pause_counter(pid, p[0]));

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	ASSERT_EQ(0, pipe(in));
	ASSERT_EQ(0, pipe(out));
	t = run_tool(argv, in[0], out[1], -1);
	close(in[0]);
	close(out[1]);
	o = fdopen(out[0], "r");
	ASSERT_NE(NULL, o);
	ASSERT_NE(NULL, fgets(line, sizeof(line), o));
	snprintf(want, sizeof(want), "base of process %d in %s\n", pid, base);
	EXPECT_STREQ(want, line);

	/* it counts on, is paused, and a diff is written there */
	ASSERT_EQ(0, toggle(pid, p[0]));
	usleep(20000);
	ASSERT_EQ(0, pause_counter(pid, p[0]));
	ASSERT_EQ(0, ask(pid, p[0], &at));
	snprintf(line, sizeof(line), "%s\n", diff);
	ASSERT_EQ((ssize_t)strlen(line), write(in[1], line, strlen(line)));
	ASSERT_NE(NULL, fgets(line, sizeof(line), o));
	snprintf(want, sizeof(want), "diff 1 in %s (", diff);
	EXPECT_EQ(0, strncmp(line, want, strlen(want))) TH_LOG("%s", line);
	close(in[1]);
	EXPECT_EQ(0, ck_wait(t));
	fclose(o);
	ASSERT_EQ(0, stat(base, &bst));
	ASSERT_EQ(0, stat(diff, &dst));
	EXPECT_GT(bst.st_size, dst.st_size);

	/* it counts on again; rolled back to the diff, it is at the count */
	ASSERT_EQ(0, toggle(pid, p[0]));
	usleep(20000);
	ASSERT_EQ(0, pause_counter(pid, p[0]));
	ASSERT_EQ(0, ask(pid, p[0], &r));
	EXPECT_LT(at.counter, r.counter);
	EXPECT_EQ(0, ck_wait(run_tool(roll, -1, -1, -1)));
	ASSERT_EQ(0, ask(pid, p[0], &r));
	EXPECT_EQ(at.counter, r.counter);
	EXPECT_EQ(pid, r.pid);
	kill(pid, SIGKILL);
	ck_wait(pid);
	close(p[0]);
	unlink(base);
	unlink(diff);
}

TEST_HARNESS_MAIN
