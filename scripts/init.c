// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal /init for the ckpt test initramfs (static, no libc extras needed).
 *
 * - mounts /proc, /sys, /dev (devtmpfs), /dev/shm and /tmp (tmpfs)
 * - sets PATH, HOME, TERM
 * - if /etc/ckpt-run is absent or the kernel command line contains
 *   "ckpt.shell": execs /bin/sh (busybox) interactively
 * - otherwise runs every line of /etc/ckpt-run in order ("prog arg arg...",
 *   split on blanks, no quoting; '#' lines and empty lines ignored; a program
 *   without '/' is searched in PATH). Each command runs as a child whose cwd is
 *   the directory of the program (like the kselftest runner) or / otherwise.
 *   Before:  "### RUN <cmdline>"
 *   After:   "### EXIT <status> <cmdline>"  (exit code, or 128+signal)
 * - on a kernel with kmemleak (the debug variant: /sys/kernel/debug exists),
 *   after the run-list: mounts debugfs, writes "scan" to
 *   /sys/kernel/debug/kmemleak twice, 6 s apart (an object must be older than
 *   5 s and unreferenced to be reported), and prints what it then reads:
 *     "### KMEMLEAK-BEGIN", the report, "### KMEMLEAK-END",
 *     "### KMEMLEAK <n>"  (n suspected leaks: "unreferenced object" entries)
 *   or "### KMEMLEAK error <what>" if the scan could not be done.
 * - then prints "### DONE", syncs and reboots (QEMU runs with -no-reboot, so
 *   it exits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_LIST "/etc/ckpt-run"
#define PATH_ENV "/user:/bin:/sbin:/usr/bin:/usr/sbin:/tests/ckpt"
#define MAX_ARGS 64

static void do_mount(const char *src, const char *dir, const char *type,
		     unsigned long flags, const char *data)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, data) && errno != EBUSY)
		fprintf(stderr, "init: mount %s on %s: %s\n", type, dir,
			strerror(errno));
}

static void setup_console(void)
{
	int fd;

	if (fcntl(0, F_GETFD) != -1)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int cmdline_has(const char *word)
{
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY);
	char *p;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = strtok(buf, " \t\n"); p; p = strtok(NULL, " \t\n"))
		if (!strcmp(p, word))
			return 1;
	return 0;
}

static void finish(void)
{
	printf("### DONE\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

/* Returns 0 or an errno. */
static int kmemleak_scan(void)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	int err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, "scan", 4) != 4)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

static void kmemleak_check(void)
{
	char buf[4096];
	const char *what = NULL;
	int fd, err, n = 0;
	ssize_t len;

	/* The kernel creates this mount point only with CONFIG_DEBUG_FS. */
	if (access("/sys/kernel/debug", F_OK))
		return;
	do_mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(KMEMLEAK, F_OK))
		return;
	printf("init: kmemleak: scanning twice, 6 s apart\n");
	err = kmemleak_scan();
	if (!err) {
		sleep(6);
		err = kmemleak_scan();
	}
	if (err) {
		what = "scan";
	} else if ((fd = open(KMEMLEAK, O_RDONLY)) < 0) {
		what = "open";
		err = errno;
	} else {
		printf("### KMEMLEAK-BEGIN\n");
		fflush(stdout);
		while ((len = read(fd, buf, sizeof(buf) - 1)) > 0) {
			char *p = buf;

			buf[len] = '\0';
			while ((p = strstr(p, "unreferenced object ")))
				n++, p++;
			fwrite(buf, 1, len, stdout);
		}
		if (len < 0) {
			what = "read";
			err = errno;
		}
		close(fd);
		fflush(stdout);
		printf("### KMEMLEAK-END\n");
	}
	if (what)
		printf("### KMEMLEAK error %s %s: %s\n", what, KMEMLEAK,
		       strerror(err));
	else
		printf("### KMEMLEAK %d\n", n);
	fflush(stdout);
}

static void run_shell(void)
{
	char *argv[] = { "/bin/sh", NULL };

	if (access("/bin/sh", X_OK)) {
		printf("init: no /bin/sh in this initramfs\n");
		return;
	}
	setsid();
	ioctl(0, TIOCSCTTY, 1);
	printf("init: starting /bin/sh (poweroff: exit or Ctrl-D)\n");
	fflush(stdout);
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (pid > 0 && wait(NULL) != pid)
		;
}

static int run_one(char *line)
{
	char *argv[MAX_ARGS + 1];
	char copy[4096];
	int argc = 0, status = 0;
	char *p;
	pid_t pid, w;

	snprintf(copy, sizeof(copy), "%s", line);
	for (p = strtok(copy, " \t"); p && argc < MAX_ARGS; p = strtok(NULL, " \t"))
		argv[argc++] = p;
	argv[argc] = NULL;
	if (!argc)
		return 0;

	printf("### RUN %s\n", line);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("init: fork");
		return 255;
	}
	if (pid == 0) {
		char dir[4096];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", argv[0]);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (chdir(dir))
				perror("init: chdir");
		} else {
			if (chdir("/"))
				perror("init: chdir /");
		}
		execvp(argv[0], argv);
		fprintf(stderr, "init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* Also reaps orphans reparented to us (we are PID 1). */
	do {
		w = wait(&status);
	} while (w != pid && !(w < 0 && errno == ECHILD));

	if (w < 0)
		status = 255;
	else if (WIFEXITED(status))
		status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		status = 128 + WTERMSIG(status);
	fflush(stdout);
	printf("\n### EXIT %d %s\n", status, line);
	fflush(stdout);
	return status;
}

int main(void)
{
	char line[4096];
	FILE *f;

	do_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	do_mount("proc", "/proc", "proc", 0, NULL);
	do_mount("sysfs", "/sys", "sysfs", 0, NULL);
	do_mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	do_mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
	/* ptys: /dev/ptmx opens the devpts mounted at /dev/pts */
	do_mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
	mkdir("/root", 0700);

	setenv("PATH", PATH_ENV, 1);
	setenv("HOME", "/root", 1);
	setenv("TERM", "linux", 1);
	if (chdir("/"))
		perror("init: chdir /");

	f = fopen(RUN_LIST, "r");
	if (!f || cmdline_has("ckpt.shell")) {
		run_shell();
		finish();
	}

	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		run_one(s);
	}
	fclose(f);
	kmemleak_check();
	finish();
	return 0;
}
