// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt - checkpoint a process into an image, restore it, roll it back,
 * show an image.  See ckpt.1.
 *
 *	ckpt dump PID [-o FILE|-] [--stop|--kill|--cow]
 *	ckpt restore [-d|--detach] [--allow-changed-files] [--without-children]
 *		[--inherit-fd N=FD]...
 *		FILE|-
 *	ckpt rollback [--allow-changed-files] PID FILE|-
 *	ckpt snapshot [--allow-changed-files] PID
 *	ckpt track PID BASE
 *	ckpt show FILE|-
 *	ckpt COMMAND --help
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "libckpt.h"

#ifndef __NR_clone3
#define __NR_clone3		435
#endif
#ifndef __NR_close_range
#define __NR_close_range	436
#endif

#define U64(x) ((unsigned long long)(x))

/* Exit statuses (restore without --detach: the restored process's). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_NORESTORE	125	/* the child could not become the image */

static const char *prog = "ckpt";

static const char usage_text[] =
"usage: ckpt dump PID [-o FILE|-] [--stop|--kill|--cow]\n"
"       ckpt restore [-d|--detach] [--allow-changed-files]\n"
"                    [--without-children] [--inherit-fd N=FD]... FILE|-\n"
"       ckpt rollback [--allow-changed-files] PID FILE|-\n"
"       ckpt snapshot [--allow-changed-files] PID\n"
"       ckpt track PID BASE\n"
"       ckpt show FILE|-\n"
"       ckpt -h|--help | --version\n"
"\n"
"  dump      write an image of process PID (0: ckpt itself) to FILE or to\n"
"            standard output (-o -, the default; never to a terminal);\n"
"            afterwards the process goes on, or stays stopped (--stop),\n"
"            or is killed (--kill); with --cow it goes on once its memory\n"
"            is copied on write, while its pages are written\n"
"  restore   start the image's process again as a new child of ckpt, with\n"
"            its old pid if that is free and allowed; wait for it and exit\n"
"            with its status, or print its pid and exit (-d, --detach)\n"
"  rollback  put live process PID back into the state of the image\n"
"  snapshot  keep an image of process PID in the kernel, its memory\n"
"            copied on write; each line read on standard input rolls the\n"
"            process back to it, the end of input drops it\n"
"  track     write an image of process PID to file BASE and keep it as a\n"
"            base: each line read on standard input names a file to write\n"
"            a diff to, which holds only what changed since the base\n"
"  --allow-changed-files  restore even if a file the process has open\n"
"            changed since the dump (it then reads the file as it is)\n"
"  --without-children  restore a process that had children without them\n"
"  --inherit-fd N=FD  the restored process's pipe, terminal or socket at\n"
"            fd N is ckpt's fd FD\n"
"  show      check an image and list its records\n"
"\n"
"FILE '-' is standard input (restore, rollback, show) or output (dump).\n"
"'ckpt COMMAND --help' describes one command.\n"
"Exit status: 0 success, 1 failure, 2 usage error; restore without -d\n"
"exits with the restored process's status (128+N if killed by signal N,\n"
"125 if the image could not be restored).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'ckpt --help'.\n");
	return EXIT_USAGE;
}

/* Each command's own --help. */
static const struct {
	const char *name;
	const char *text;
} cmd_help[] = {
	{ "dump",
	  "usage: ckpt dump PID [-o FILE|-] [--stop|--kill|--cow] [--file-data[=SIZE]]\n"
	  "Write an image of process PID (0: ckpt itself) to FILE, or to standard\n"
	  "output (-o -, the default; never to a terminal).\n"
	  "  -o, --output FILE  where the image goes\n"
	  "      --stop         leave the process stopped afterwards\n"
	  "      --kill         kill the process afterwards\n"
	  "      --cow          let the process run on once its memory is copied\n"
	  "                     on write, as fork() copies it: the image has its\n"
	  "                     pages as they were then (not with shared anonymous\n"
	  "                     memory or MADV_DONTFORK, MADV_WIPEONFORK mappings:\n"
	  "                     the process is held for the whole dump then)\n"
	  "      --file-data[=SIZE]  also save the content of the files it has\n"
	  "                     open for writing, at most SIZE bytes in all (K, M,\n"
	  "                     G: KiB, MiB, GiB; default 64M); a restore or\n"
	  "                     rollback then puts those files back too\n"
	  "A process holding something ckpt cannot save (a socket, an epoll fd,\n"
	  "...) is not dumped; the message names it.\n" },
	{ "restore",
	  "usage: ckpt restore [-d|--detach] [--allow-changed-files]\n"
	  "                    [--without-children] [--inherit-fd N=FD]... FILE|-\n"
	  "Start the image's process again as a child of ckpt, with its old pid\n"
	  "if that is free and allowed; its terminals and pipes at fds 0-2 are\n"
	  "ckpt's, and it is in ckpt's process group (a session leader without\n"
	  "a terminal gets a session of its own again).\n"
	  "  -d, --detach            print its pid and exit instead of waiting\n"
	  "      --allow-changed-files  restore even if a file it has open was\n"
	  "                          modified since the dump\n"
	  "      --without-children  restore it even if it had children, which\n"
	  "                          are not in the image: it has none then\n"
	  "      --inherit-fd N=FD   its pipe, terminal or socket at fd N (to a\n"
	  "                          process not in the image) is ckpt's fd FD\n"
	  "                          instead: a pipe of the same direction, a\n"
	  "                          terminal, the same socket or one of its\n"
	  "                          kind on the same addresses; may be given\n"
	  "                          several times\n" },
	{ "rollback",
	  "usage: ckpt rollback [--allow-changed-files] PID FILE|-\n"
	  "Put live process PID back into the state of the image: memory,\n"
	  "threads, signals, descriptors (those opened since are closed; its\n"
	  "pipes and terminals stay connected; its children are kept).\n"
	  "      --allow-changed-files  roll back even if a file it has open was\n"
	  "                          modified since the dump\n" },
	{ "snapshot",
	  "usage: ckpt snapshot [--allow-changed-files] PID\n"
	  "Keep an image of process PID in the kernel, its memory copied on\n"
	  "write as fork() copies it (the process is held only for that), and\n"
	  "roll the process back to it once for each line read on standard\n"
	  "input, in about the time of a fork(); the end of input drops it.\n"
	  "Prints \"snapshot of process PID kept\" once it is, \"rolled back N\"\n"
	  "after the Nth rollback.\n"
	  "      --allow-changed-files  roll back even if a file it has open was\n"
	  "                          modified since the snapshot\n" },
	{ "track",
	  "usage: ckpt track PID BASE\n"
	  "Write an image of process PID to the file BASE, its memory copied\n"
	  "on write as with --cow, and keep that copy as a base; then, for each\n"
	  "line read on standard input, write to the file it names a diff: an\n"
	  "image of the process that holds only the pages it wrote since the\n"
	  "base, and names the others, which a restore reads from BASE (which\n"
	  "must stay as it is).  The end of input drops the base.  Prints\n"
	  "\"base of process PID in BASE\" once the base is written, \"diff N in\n"
	  "FILE (BYTES bytes)\" after the Nth diff.\n" },
	{ "show",
	  "usage: ckpt show FILE|-\n"
	  "Check an image and list its records, the file table included.\n" },
};

static int sub_help(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(cmd_help) / sizeof(cmd_help[0]); i++)
		if (!strcmp(cmd_help[i].name, name))
			fputs(cmd_help[i].text, stdout);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

/*
 * getopt_long() for a command: argv[0] is its name.  Returns the option,
 * -1 at the end, or '?' after printing the usage error (*ret set).
 */
static int next_opt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts, int *ret)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == '?' || c == ':') {
		char what[64];

		snprintf(what, sizeof(what), "%s: %s %%s", argv[0],
			 c == ':' ? "missing the argument of" : "unknown option");
		*ret = usage_error(what, argv[optind - 1]);
		return '?';
	}
	return c;
}

/* ------------------------------------------------------------------ */
/* Errors in words */

enum op {
	OP_DUMP = 1,
	OP_RESTORE = 2,		/* a new process from the image */
	OP_ROLLBACK = 4,	/* a live process back to the image */
};
#define OP_IMAGE	(OP_RESTORE | OP_ROLLBACK)
#define OP_ALL		(OP_DUMP | OP_IMAGE)

/*
 * What each errno of ckpt_dump()/ckpt_restore() means to whoever runs
 * ckpt.  {pid} and {file} in "why" are replaced by the process and image.
 * The first entry matching errno and operation wins.
 */
static const struct err_text {
	int err;
	unsigned int ops;
	const char *what;
	const char *why;
} err_texts[] = {
	{ EPERM, OP_DUMP, "permission denied",
	  "you may not trace process {pid}; dumping needs the same rights as "
	  "ptrace attach (same user and group ids and a dumpable process, "
	  "e.g. not setuid, or CAP_SYS_PTRACE; Yama's ptrace_scope can "
	  "restrict it further)" },
	{ EPERM, OP_RESTORE, "permission denied",
	  "the credentials recorded in the image (user and group ids, "
	  "supplementary groups) differ from yours, and restoring them "
	  "needs CAP_CHECKPOINT_RESTORE; run ckpt as the image's user; or a "
	  "TCP connection of the image is to be made again, and TCP repair "
	  "needs CAP_NET_ADMIN" },
	{ EPERM, OP_ROLLBACK, "permission denied",
	  "you may not trace process {pid} (the rules of ptrace attach, or "
	  "CAP_SYS_PTRACE), or the credentials recorded in the image differ "
	  "from the process's and you lack CAP_CHECKPOINT_RESTORE" },
	{ ESRCH, OP_DUMP, "no such process",
	  "process {pid} does not exist or exited during the dump; no image "
	  "was written" },
	{ ESRCH, OP_ALL, "no such process",
	  "process {pid} does not exist or exited" },
	{ EOPNOTSUPP, OP_DUMP, "state ckpt cannot save",
	  "process {pid} uses something ckpt cannot checkpoint; the kernel "
	  "log (dmesg) has a line \"ckpt: COMM[{pid}]: cannot checkpoint "
	  "...\" naming it; no image was written" },
	{ EOPNOTSUPP, OP_IMAGE, "not supported",
	  "{file} holds state this kernel cannot restore; look for a "
	  "\"ckpt:\" line in the kernel log (dmesg)" },
	{ EINVAL, OP_DUMP, "invalid argument",
	  "the kernel refused the pid or the flags" },
	{ EINVAL, OP_IMAGE, "malformed image",
	  "the checksums of {file} are right but its content is "
	  "inconsistent (a crafted or badly edited image)" },
	{ EBADF, OP_DUMP, "bad output",
	  "the output is not open for writing" },
	{ EBADF, OP_IMAGE, "bad input",
	  "{file} is not open for reading" },
	{ ENOEXEC, OP_IMAGE, "not a usable image",
	  "{file} is not a ckpt image, or it was made on another kind of "
	  "machine or with another image format version" },
	{ EBADMSG, OP_IMAGE, "damaged image",
	  "{file} is corrupted or truncated (a checksum does not match or "
	  "it ends early)" },
	{ ESTALE, OP_IMAGE, "a file changed",
	  "a file the checkpointed process had open or mapped was modified, "
	  "replaced or moved since the dump, or a pipe, terminal or socket it "
	  "had is not open at the same fd (--inherit-fd N=FD hands one of "
	  "ckpt's over; --allow-changed-files restores over a modified open "
	  "file; an image made with ckpt dump --file-data puts it back)" },
	{ ENOENT, OP_IMAGE, "a mapped file is missing",
	  "a file the checkpointed process had mapped no longer exists" },
	{ EACCES, OP_IMAGE, "permission denied",
	  "a file the checkpointed process had mapped cannot be opened with "
	  "your permissions, or a socket it had cannot be bound to its "
	  "address by you (a port below 1024 needs CAP_NET_BIND_SERVICE)" },
	{ EADDRINUSE, OP_IMAGE, "address in use",
	  "a socket the checkpointed process had is to be made again on an "
	  "address another socket holds now (--inherit-fd N=FD hands that "
	  "one over, if it is the process's)" },
	{ EADDRNOTAVAIL, OP_IMAGE, "address not available",
	  "a TCP connection the checkpointed process had is to be made "
	  "again, and the connection's addresses are in use (the original "
	  "connection still open?); or a socket's address is not one of "
	  "this machine's" },
	{ EBUSY, OP_ALL, "busy",
	  "a memfd of the image cannot be sealed as recorded (F_SEAL_WRITE "
	  "while it is mapped shared and writable) and nothing was changed; "
	  "or the vDSO could not be mapped where the image had it, past the "
	  "point of no return, and the process has been killed" },
	{ EINTR, OP_DUMP, "interrupted",
	  "a signal interrupted the dump; no complete image was written" },
	{ EINTR, OP_IMAGE, "interrupted",
	  "a signal interrupted the restore before anything was changed" },
	{ ENOMEM, OP_ALL, "out of memory",
	  "the kernel could not allocate the memory it needed" },
	{ ENOSPC, OP_DUMP, "no space left on device",
	  "the file system of the image is full; no complete image was "
	  "written" },
	{ EDQUOT, OP_DUMP, "disk quota exceeded",
	  "your quota on the file system of the image is used up; no "
	  "complete image was written" },
	{ EFBIG, OP_DUMP, "file too large",
	  "the files the process has open for writing do not fit in "
	  "--file-data's SIZE (the kernel log names the file), or the image "
	  "exceeds a file size limit (RLIMIT_FSIZE or the file system's)" },
	{ EPIPE, OP_DUMP, "broken pipe",
	  "the program reading the image exited before the dump was "
	  "complete" },
	{ EIO, OP_ALL, "input/output error",
	  "reading or writing the image failed" },
	{ ENOSYS, OP_ALL, "not implemented",
	  "this kernel has no ckpt system calls (not a ckpt kernel, or "
	  "built without CONFIG_CKPT)" },
};

static void put_why(const char *t, long pid, const char *file)
{
	while (*t) {
		if (!strncmp(t, "{pid}", 5)) {
			fprintf(stderr, "%ld", pid);
			t += 5;
		} else if (!strncmp(t, "{file}", 6)) {
			fputs(file, stderr);
			t += 6;
		} else {
			fputc(*t++, stderr);
		}
	}
}

/*
 * "ckpt: cannot dump process 1234: permission denied (EPERM): why"
 * why: the table's text for err and op, unless the caller knows better.
 */
static void report(enum op op, int err, long pid, const char *file,
		   const char *why)
{
	const struct err_text *t = NULL;
	size_t i;

	for (i = 0; i < sizeof(err_texts) / sizeof(err_texts[0]); i++) {
		if (err_texts[i].err == err && (err_texts[i].ops & op)) {
			t = &err_texts[i];
			break;
		}
	}
	fflush(stdout);
	if (op == OP_DUMP)
		fprintf(stderr, "%s: cannot dump process %ld: ", prog, pid);
	else if (op == OP_RESTORE)
		fprintf(stderr, "%s: cannot restore %s: ", prog, file);
	else
		fprintf(stderr, "%s: cannot roll back process %ld to %s: ",
			prog, pid, file);
	fprintf(stderr, "%s (%s)", t ? t->what : strerror(err),
		ckpt_errno_name(err));
	if (why || t) {
		fputs(": ", stderr);
		put_why(why ? why : t->why, pid, file);
	}
	fputc('\n', stderr);
}

/* A further line under report(): "ckpt:   ..." */
static void detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void detail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:   ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The kernel's last "ckpt: COMM[PID]: ..." line about pid, from
 * /dev/kmsg, if we may read it.  Returns 1 if one was printed.
 */
static int kmsg_explain(long pid)
{
	char buf[8192], key[32], last[512] = "";
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		if (errno == EPERM || errno == EACCES)
			detail("(reading the kernel log needs more privilege here: try 'dmesg | grep ckpt:' as root)");
		return 0;
	}
	snprintf(key, sizeof(key), "[%ld]: ", pid);
	for (;;) {
		char *msg, *end;

		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten; go on */
			continue;
		if (n <= 0)
			break;
		buf[n] = 0;
		msg = strchr(buf, ';');		/* "prio,seq,time,flags;text\n" */
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = 0;
		if (!strncmp(msg, "ckpt: ", 6) && strstr(msg, key))
			snprintf(last, sizeof(last), "%s", msg);
	}
	close(fd);
	if (!last[0])
		return 0;
	detail("kernel log: %s", last);
	return 1;
}

/* Credentials as /proc/PID/status shows them. */
struct creds {
	unsigned long uid[4], gid[4];	/* real, effective, saved, fs */
	unsigned long groups[256];
	int ngroups;			/* -1: more than fit */
};

static int read_creds(const char *procdir, struct creds *c)
{
	char path[64], line[4096];
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%s/status", procdir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &c->uid[0],
			   &c->uid[1], &c->uid[2], &c->uid[3]) == 4) {
			got |= 1;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &c->gid[0],
				  &c->gid[1], &c->gid[2], &c->gid[3]) == 4) {
			got |= 2;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			for (;;) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				if (c->ngroups < 0 ||
				    c->ngroups == (int)(sizeof(c->groups) /
							sizeof(c->groups[0]))) {
					c->ngroups = -1;
					break;
				}
				c->groups[c->ngroups++] = g;
				p = end;
			}
			got |= 4;
		}
	}
	fclose(f);
	return got == 7 ? 0 : -1;
}

static int has_group(const struct creds *c, unsigned long g)
{
	int i;

	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return 1;
	return 0;
}

/* What we know of an image before handing it to the kernel. */
struct image_info {
	struct ckpt_image_hdr hdr;
	struct ckpt_proc proc;
	struct creds creds;		/* of the image, from PROC */
	char root[256];			/* the dumped process's root */
};

/*
 * Say which credentials of the image differ from process procdir's; that
 * they match only if no other cause was named (other).
 */
static void creds_explain(const struct image_info *ii, const char *procdir,
			  const char *whose, int other)
{
	static const char *const names[4] = {
		"real", "effective", "saved", "filesystem"
	};
	const struct creds *ic = &ii->creds;
	struct creds pc;
	int i, same = 1;

	if (read_creds(procdir, &pc))
		return;
	for (i = 0; i < 4; i++) {
		if (ic->uid[i] != pc.uid[i]) {
			detail("image %s uid %lu, %s %lu", names[i],
			       ic->uid[i], whose, pc.uid[i]);
			same = 0;
		}
	}
	for (i = 0; i < 4; i++) {
		if (ic->gid[i] != pc.gid[i]) {
			detail("image %s gid %lu, %s %lu", names[i],
			       ic->gid[i], whose, pc.gid[i]);
			same = 0;
		}
	}
	if (ic->ngroups >= 0 && pc.ngroups >= 0) {
		for (i = 0; i < ic->ngroups; i++) {
			if (!has_group(&pc, ic->groups[i])) {
				detail("image has supplementary group %lu, %s not",
				       ic->groups[i], whose);
				same = 0;
			}
		}
		for (i = 0; i < pc.ngroups; i++) {
			if (!has_group(ic, pc.groups[i])) {
				detail("%s supplementary group %lu is not in the image",
				       whose, pc.groups[i]);
				same = 0;
			}
		}
	}
	if (same && !other)
		detail("the credentials of the image and %s match: the ptrace rules (or an LSM) refused",
		       whose);
}

/*
 * Read the image again from its start and say where libckpt finds it
 * bad.  Returns 1 if it found something.
 */
static int image_explain(int fd)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	int ret;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	ckpt_reader_init_fd(&r, fd);
	while ((ret = ckpt_reader_next(&r, &rec)) > 0)
		;
	if (ret < 0)
		detail("at offset %#llx: %s (%s)", U64(r.err_off), r.msg,
		       ckpt_errno_name(-ret));
	ckpt_reader_fini(&r);
	return ret < 0;
}

static const char *file_type_name(uint32_t type)
{
	switch (type) {
	case CKPT_FILE_REG:	return "reg";
	case CKPT_FILE_DIR:	return "dir";
	case CKPT_FILE_CHR:	return "chr";
	case CKPT_FILE_TTY:	return "tty";
	case CKPT_FILE_PIPE:	return "pipe";
	case CKPT_FILE_UNLINKED: return "unlinked";
	case CKPT_FILE_EVENTFD:	return "eventfd";
	case CKPT_FILE_EPOLL:	return "epoll";
	case CKPT_FILE_SIGNALFD: return "signalfd";
	case CKPT_FILE_MEMFD:	return "memfd";
	case CKPT_FILE_TIMERFD:	return "timerfd";
	case CKPT_FILE_CONTENT:	return "content";
	case CKPT_FILE_SOCKET:	return "socket";
	}
	return "unknown-type";
}

/*
 * ESTALE, ENOENT, EACCES: compare each FILE record with what its path
 * holds now.  Returns the number of files found changed.
 */
static int files_explain(int fd, const struct image_info *ii)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	int found = 0;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	ckpt_reader_init_fd(&r, fd);
	while (ckpt_reader_next(&r, &rec) > 0) {
		const struct ckpt_file *f = &rec.u.file;
		char path[4096];
		struct stat st;

		/* only files, directories and devices are reopened by path */
		if (rec.type != CKPT_REC_FILE || f->type == CKPT_FILE_TTY ||
		    f->type == CKPT_FILE_PIPE || f->type == CKPT_FILE_UNLINKED ||
		    f->type == CKPT_FILE_EVENTFD || f->type == CKPT_FILE_EPOLL ||
		    f->type == CKPT_FILE_SIGNALFD || f->type == CKPT_FILE_MEMFD ||
		    f->type == CKPT_FILE_TIMERFD || f->type == CKPT_FILE_SOCKET)
			continue;
		snprintf(path, sizeof(path), "%s%s",
			 strcmp(ii->root, "/") ? ii->root : "", rec.path);
		if (stat(path, &st) < 0) {
			detail("%s: %s", path, strerror(errno));
			found++;
		} else if (f->type == CKPT_FILE_CONTENT) {
			/* replaced by the image's copy, whatever it is now */
			continue;
		} else if ((uint64_t)st.st_ino != f->ino) {
			detail("%s: replaced (inode %llu, was %llu)", path,
			       U64(st.st_ino), U64(f->ino));
			found++;
		} else if (f->type == CKPT_FILE_REG &&
			   ((uint64_t)st.st_size != f->size ||
			   (uint64_t)st.st_mtim.tv_sec != f->mtime_sec ||
			    (uint32_t)st.st_mtim.tv_nsec != f->mtime_nsec)) {
			detail("%s: modified (size %llu, was %llu; mtime %llu.%09ld, was %llu.%09u)",
			       path, U64(st.st_size), U64(f->size),
			       U64(st.st_mtim.tv_sec), (long)st.st_mtim.tv_nsec,
			       U64(f->mtime_sec), f->mtime_nsec);
			found++;
		} else if (access(path, R_OK) < 0) {
			detail("%s: %s", path, strerror(errno));
			found++;
		}
	}
	ckpt_reader_fini(&r);
	return found;
}

/* EOPNOTSUPP: the children the image's process had.  Returns how many. */
static int children_explain(int fd)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	int n = 0;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	ckpt_reader_init_fd(&r, fd);
	while (ckpt_reader_next(&r, &rec) > 0 && rec.type != CKPT_REC_MM)
		if (rec.type == CKPT_REC_CHILD && n++ < 5)
			detail("it had child %u (%.16s)%s, which is not in the image",
			       rec.u.child.pid, rec.u.child.comm,
			       rec.u.child.flags & CKPT_CHILD_ZOMBIE ?
			       ", a zombie" : "");
	ckpt_reader_fini(&r);
	if (n)
		detail("--without-children restores it without %s",
		       n == 1 ? "it" : "them");
	return n;
}

/*
 * EPERM: the TCP connections of the image, made again by TCP repair unless
 * handed over.  Returns how many.
 */
static int tcp_explain(int fd)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	int n = 0;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return 0;
	ckpt_reader_init_fd(&r, fd);
	while (ckpt_reader_next(&r, &rec) > 0 && rec.type != CKPT_REC_THREAD)
		n += rec.type == CKPT_REC_TCP;
	ckpt_reader_fini(&r);
	if (n)
		detail("the image has %d TCP connection%s, made again by TCP repair unless handed over (--inherit-fd N=FD); TCP repair needs CAP_NET_ADMIN",
		       n, n == 1 ? "" : "s");
	return n;
}

/* Everything we can add to a failed ckpt_restore(). */
static void restore_explain(enum op op, int err, int fd, long pid,
			    const struct image_info *ii)
{
	switch (err) {
	case EPERM:
		if (op == OP_RESTORE) {
			creds_explain(ii, "self", "you have", tcp_explain(fd));
		} else {
			char dir[24];

			snprintf(dir, sizeof(dir), "%ld", pid);
			creds_explain(ii, dir, "the process has", 0);
		}
		break;
	case ENOEXEC:
	case EBADMSG:
	case EINVAL:
		image_explain(fd);
		break;
	case ESTALE:
	case ENOENT:
	case EACCES:
		files_explain(fd, ii);
		break;
	case EOPNOTSUPP:
		if (op != OP_RESTORE || !children_explain(fd))
			kmsg_explain(op == OP_RESTORE ? (long)getpid() : pid);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* show */

static void print_hex_line(const char *label, const uint64_t *v, int n,
			   const char *const *names)
{
	int i;

	printf("  %-9s", label);
	for (i = 0; i < n; i++)
		printf(" %s=%#llx", names[i], U64(v[i]));
	printf("\n");
}

static void prot_string(uint32_t prot, uint32_t flags, char *s)
{
	s[0] = (prot & 1) ? 'r' : '-';
	s[1] = (prot & 2) ? 'w' : '-';
	s[2] = (prot & 4) ? 'x' : '-';
	s[3] = (flags & CKPT_VMA_SHARED) ? 's' : 'p';
	s[4] = 0;
}

static const char *vma_type_name(uint32_t type)
{
	switch (type) {
	case CKPT_VMA_ANON:	return "anon";
	case CKPT_VMA_FILE:	return "file";
	case CKPT_VMA_SHMEM:	return "shmem";
	case CKPT_VMA_VDSO:	return "vdso";
	default:		return "?";
	}
}

static void vma_flag_names(uint32_t flags, char *buf, size_t sz)
{
	static const char *const names[] = {
		"shared", "growsdown", "noreserve", "account", "dontcopy",
		"dontdump", "wipeonfork", "seqread", "randread", "hugepage",
		"nohugepage", "mayshare",
	};
	size_t i, used = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & (1u << i))
			used += (size_t)snprintf(buf + used, sz - used, "%s%s",
						 used ? "," : "", names[i]);
		if (used >= sz)
			return;
	}
	if (flags & ~CKPT_VMA_FLAGS)
		snprintf(buf + used, sz - used, "%s?%#x", used ? "," : "",
			 flags & ~CKPT_VMA_FLAGS);
}

static void show_regs(const struct ckpt_reader *r, const struct ckpt_record *rec)
{
	switch (r->hdr.machine) {
	case EM_X86_64: {
		const struct ckpt_regs_x86_64 *g = &rec->u.x86_64;
		static const char *const n1[] = { "ip", "sp", "flags", "ax", "bx" };
		static const char *const n2[] = { "cx", "dx", "si", "di", "bp" };
		static const char *const n3[] = { "r12", "r13", "r14", "r15" };
		static const char *const n4[] = { "fs_base", "gs_base", "cs", "ss" };
		uint64_t v1[] = { g->ip, g->sp, g->flags, g->ax, g->bx };
		uint64_t v2[] = { g->cx, g->dx, g->si, g->di, g->bp };
		uint64_t v3[] = { g->r12, g->r13, g->r14, g->r15 };
		uint64_t v4[] = { g->fs_base, g->gs_base, g->cs, g->ss };

		printf("REGS   x86_64 pc=%#llx sp=%#llx"
		       " xstate %u bytes\n", U64(g->ip), U64(g->sp), g->xstate_size);
		print_hex_line("", v1, 5, n1);
		print_hex_line("", v2, 5, n2);
		print_hex_line("", v3, 4, n3);
		print_hex_line("", v4, 4, n4);
		if (rec->xstate && rec->xstate_size >= 32)
			printf("            mxcsr=%#x fcw=%#x\n",
			       ckpt_get32(rec->xstate + 24, CKPT_ENDIAN_LITTLE),
			       ckpt_get16(rec->xstate, CKPT_ENDIAN_LITTLE));
		break;
	}
	case EM_AARCH64: {
		const struct ckpt_regs_arm64 *g = &rec->u.arm64;
		int i;

		printf("REGS   aarch64 pc=%#llx sp=%#llx"
		       " pstate=%#llx tpidr_el0=%#llx\n",
		       U64(g->pc), U64(g->sp), U64(g->pstate), U64(g->tpidr_el0));
		for (i = 0; i < 31; i += 4) {
			int j;

			printf("           ");
			for (j = i; j < i + 4 && j < 31; j++)
				printf(" x%d=%#llx", j, U64(g->regs[j]));
			printf("\n");
		}
		printf("            fpsr=%#x fpcr=%#x v0=%016llx%016llx\n",
		       g->fpsr, g->fpcr, U64(g->vregs[1]), U64(g->vregs[0]));
		break;
	}
	case EM_68K: {
		const struct ckpt_regs_m68k *g = &rec->u.m68k;
		int i;

		printf("REGS   m68k pc=%#x sp=%#x sr=%#x tls=%#x\n",
		       g->pc, g->a[7], g->sr, g->tls);
		printf("           ");
		for (i = 0; i < 8; i++)
			printf(" d%d=%#x", i, g->d[i]);
		printf("\n           ");
		for (i = 0; i < 7; i++)
			printf(" a%d=%#x", i, g->a[i]);
		printf("\n            fpcr=%#x fpsr=%#x fpiar=%#x fp0=%08x:%08x:%08x\n",
		       g->fpcr, g->fpsr, g->fpiar, g->fp[0], g->fp[1], g->fp[2]);
		break;
	}
	default:
		printf("REGS   (machine %u: %u bytes, not decoded)\n",
		       r->hdr.machine, rec->len);
	}
}


/* "SIGINT" or "SIGRTMIN+2" (SIGRTMIN is 32 to the kernel) */
static const char *sig_name(unsigned int sig, char *buf, size_t len)
{
	const char *n = ckpt_signal_name(sig);

	if (n)
		return n;
	if (sig >= 32 && sig <= CKPT_NSIG)
		snprintf(buf, len, "SIGRTMIN+%u", sig - 32);
	else
		snprintf(buf, len, "signal %u", sig);
	return buf;
}

/* A path from the image, with control characters shown as '?'. */
static void print_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_rlim(uint64_t v)
{
	if (v == ~0ull)
		printf("unlimited");
	else
		printf("%llu", U64(v));
}

static void show_proc(const struct ckpt_reader *r,
		      const struct ckpt_record *rec)
{
	const struct ckpt_proc *p = &rec->u.proc;
	uint32_t i;

	printf("PROC   pid %u threads %u umask %04o personality %#x flags %#x%s%s%s%s\n",
	       p->pid, p->nr_threads, p->umask, p->personality, p->flags,
	       (p->flags & CKPT_PROC_STOPPED) ? " (stopped)" : "",
	       (p->flags & CKPT_PROC_SESSION_LEADER) ? " (session leader)" : "",
	       (p->flags & CKPT_PROC_GROUP_LEADER) ? " (group leader)" : "",
	       (p->flags & CKPT_PROC_FOREGROUND) ? " (in its terminal's foreground)" :
	       (p->flags & CKPT_PROC_TTY) ? " (with a terminal)" : "");
	printf("         uid %u/%u/%u/%u gid %u/%u/%u/%u (real/eff/saved/fs)\n",
	       p->uid, p->euid, p->suid, p->fsuid, p->gid, p->egid, p->sgid,
	       p->fsgid);
	printf("         groups %u:", p->ngroups);
	for (i = 0; i < p->ngroups && i < 32; i++)
		printf(" %u", ckpt_record_group(r, rec, i));
	printf("%s\n", p->ngroups > 32 ? " ..." : "");
	printf("         cwd ");
	print_clean(rec->cwd);
	printf(" (ino %llu dev %#x)\n         root ",
	       (unsigned long long)p->cwd_ino, p->cwd_dev);
	print_clean(rec->root);
	printf(" (ino %llu dev %#x)\n", (unsigned long long)p->root_ino,
	       p->root_dev);
	for (i = 0; i < CKPT_NLIMITS; i++) {
		if (i % 4 == 0)
			printf("         rlimit");
		printf(" %s ", ckpt_rlimit_name(i));
		print_rlim(p->rlim[i].cur);
		printf("/");
		print_rlim(p->rlim[i].max);
		if (i % 4 == 3)
			printf("\n");
	}
	for (i = 0; i < CKPT_ITIMERS; i++) {
		static const char *const names[] = { "REAL", "VIRTUAL", "PROF" };

		if (!p->itimer[i].value)
			continue;
		printf("         itimer %s %llu.%09llu s, interval %llu.%09llu s\n",
		       names[i],
		       (unsigned long long)(p->itimer[i].value / 1000000000),
		       (unsigned long long)(p->itimer[i].value % 1000000000),
		       (unsigned long long)(p->itimer[i].interval / 1000000000),
		       (unsigned long long)(p->itimer[i].interval % 1000000000));
	}
}

/* The SA_* flags x86_64, arm64 and m68k share, and SA_RESTORER. */
static void sa_flag_names(uint64_t flags, unsigned int machine, char *buf,
			  size_t sz)
{
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ 0x00000001, "nocldstop" }, { 0x00000002, "nocldwait" },
		{ 0x00000004, "siginfo" }, { 0x04000000, "restorer" },
		{ 0x08000000, "onstack" }, { 0x10000000, "restart" },
		{ 0x40000000, "nodefer" }, { 0x80000000, "resethand" },
	};
	size_t i, used = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		if (names[i].bit == 0x04000000 && machine == EM_68K)
			continue;	/* m68k has no SA_RESTORER */
		flags &= ~names[i].bit;
		used += (size_t)snprintf(buf + used, sz - used, "%s%s",
					 used ? "," : "", names[i].name);
		if (used >= sz)
			return;
	}
	if (flags)
		snprintf(buf + used, sz - used, "%s%#llx", used ? "," : "",
			 U64(flags));
}

static void show_sighand(const struct ckpt_reader *r,
			 const struct ckpt_record *rec)
{
	unsigned int sig, handled = 0, ignored = 0;
	char name[24], fl[120];

	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		uint64_t h = rec->u.sighand[sig - 1].handler;

		handled += h > 1;
		ignored += h == 1;
	}
	printf("SIGHAND %u handled, %u ignored, %u default\n", handled,
	       ignored, CKPT_NSIG - handled - ignored);
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		const struct ckpt_sigaction *a = &rec->u.sighand[sig - 1];

		if (!a->handler && !a->flags && !a->mask && !a->restorer)
			continue;
		printf("         %-11s ", sig_name(sig, name, sizeof(name)));
		if (a->handler == 0)
			printf("default");
		else if (a->handler == 1)
			printf("ignore ");
		else
			printf("%#llx", U64(a->handler));
		sa_flag_names(a->flags, r->hdr.machine, fl, sizeof(fl));
		printf(" flags %#llx%s%s%s mask %#llx", U64(a->flags),
		       fl[0] ? " (" : "", fl, fl[0] ? ")" : "", U64(a->mask));
		if (a->restorer)
			printf(" restorer %#llx", U64(a->restorer));
		printf("\n");
	}
}

static const char *si_code_name(int32_t code)
{
	switch (code) {
	case 0:		return "SI_USER";
	case 0x80:	return "SI_KERNEL";
	case -1:	return "SI_QUEUE";
	case -2:	return "SI_TIMER";
	case -3:	return "SI_MESGQ";
	case -4:	return "SI_ASYNCIO";
	case -5:	return "SI_SIGIO";
	case -6:	return "SI_TKILL";
	default:	return NULL;
	}
}

static void show_siginfo(const struct ckpt_record *rec)
{
	const struct ckpt_siginfo *si = &rec->u.siginfo;
	const char *code = si_code_name(rec->si_code);
	char name[24];

	printf("SIGINFO ");
	if (si->tid)
		printf("thread %u", si->tid);
	else
		printf("process");
	printf(" %s (%u) si_signo %d si_errno %d si_code %d%s%s%s\n",
	       sig_name(si->signo, name, sizeof(name)), si->signo,
	       rec->si_signo, rec->si_errno, rec->si_code,
	       code ? " (" : "", code ? code : "", code ? ")" : "");
}

/* A TCP state's name, as ss(8) prints it; a unix socket's is of its own. */
static const char *sock_state_name(const struct ckpt_socket *k)
{
	static const char *const tcp[] = {
		[1] = "established", [2] = "syn-sent", [3] = "syn-recv",
		[4] = "fin-wait-1", [5] = "fin-wait-2", [6] = "time-wait",
		[7] = "close", [8] = "close-wait", [9] = "last-ack",
		[10] = "listen", [11] = "closing", [12] = "new-syn-recv",
	};

	if (k->family == AF_UNIX || k->type == SOCK_DGRAM) {
		switch (k->state) {
		case 1:		return "connected";
		case 7:		return "unconnected";
		case 10:	return "listening";
		}
	}
	if (k->state < sizeof(tcp) / sizeof(tcp[0]) && tcp[k->state])
		return tcp[k->state];
	return "state?";
}

/* An address of a SOCKET record of @family, as text, into @buf. */
static void sock_addr_text(uint16_t family, const unsigned char *a,
			   unsigned int len, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	size_t path = offsetof(struct sockaddr_un, sun_path);
	unsigned int i, n;

	snprintf(buf, size, "?");
	if (family == AF_UNIX) {
		if (len <= path) {
			snprintf(buf, size, "(none)");
			return;
		}
		/* an abstract name starts with a NUL, shown as @ */
		n = snprintf(buf, size, "%s", a[path] ? "" : "@");
		for (i = path + !a[path]; i < len && n + 5 < size; i++) {
			if (!a[i] && a[path])
				break;
			n += snprintf(buf + n, size - n,
				      a[i] > 0x20 && a[i] < 0x7f ? "%c" : "\\x%02x",
				      a[i]);
		}
	} else if (family == AF_INET &&
		   len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;

		memcpy(&in, a, sizeof(in));
		inet_ntop(AF_INET, &in.sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(in.sin_port));
	} else if (family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;

		memcpy(&in6, a, sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(in6.sin6_port));
	}
}

/*
 * What a SOCKET record says, for the file table: family and type, state,
 * addresses, and how it is restored.
 */
static char *sock_describe(const struct ckpt_record *rec)
{
	const struct ckpt_socket *k = &rec->u.socket;
	const char *fam = k->family == AF_UNIX ? "unix" :
			  k->family == AF_INET ? "ipv4" :
			  k->family == AF_INET6 ? "ipv6" : "family?";
	const char *type = k->family != AF_UNIX && k->type == SOCK_STREAM ? "tcp" :
			   k->family != AF_UNIX && k->type == SOCK_DGRAM ? "udp" :
			   k->type == SOCK_STREAM ? "stream" :
			   k->type == SOCK_DGRAM ? "dgram" :
			   k->type == SOCK_SEQPACKET ? "seqpacket" : "type?";
	int tcp = ckpt_socket_has_tcp(k);
	char local[256], peer[256], place[64] = "", *out;

	if (!(k->flags & CKPT_SOCK_LIVE)) {
		if (asprintf(&out, "%s %s, %s, made again on restore", fam,
			     type, k->peer || k->flags & CKPT_SOCK_CONNECTED ?
			     "an end of a pair" : "unconnected") < 0)
			out = NULL;
		return out;
	}
	sock_addr_text(k->family, rec->sock_addr, k->addr_len, local,
		       sizeof(local));
	sock_addr_text(k->family, rec->sock_addr + k->addr_len, k->peer_len,
		       peer, sizeof(peer));
	/* a unix client whose connection waited in its listener's backlog */
	if (k->family == AF_UNIX && k->type != SOCK_DGRAM && k->backlog &&
	    k->state == 1 /* TCP_ESTABLISHED */ && k->flags & CKPT_SOCK_REMAKE)
		snprintf(place, sizeof(place),
			 " into its listener's backlog, place %u", k->backlog);
	if (asprintf(&out, "%s %s %s %s%s%s, the live one on restore%s%s%s", fam,
		     type, sock_state_name(k), local,
		     !k->peer_len ? "" : tcp ? " -> " : " peer ",
		     k->peer_len ? peer : "",
		     k->flags & CKPT_SOCK_REMAKE ? ", else made again" : "",
		     tcp ? " by TCP repair" : "", place) < 0)
		out = NULL;
	return out;
}

/* What `ckpt show` keeps of the file table, for its summary. */
struct show_file {
	uint32_t id, type, flags, inode;
	uint64_t pos, size;
	char *path;
	char *sock;		/* a socket's description */
	uint64_t queued;	/* bytes queued for a socket in the image */
	uint32_t msgs;		/* in how many SOCK_DATA records */
	int tcp;		/* a TCP connection: its TCP record's queues */
	int fin;		/* and its FIN, after the send queue */
	uint32_t rcv_len, snd_len;
	int udp;		/* a UDP socket made again: its SOCK_MSGs */
	uint32_t dgrams;	/* how many */
	uint64_t dgram_bytes;	/* of how many bytes */
	char *waiting;		/* a TCP listener's backlog, one line each */
	char *conn;		/* the last of them, until its TCP record */
};

struct show_fds {
	struct show_file *files;
	struct ckpt_fd *fds;
	size_t nr_files, nr_fds, max_files, max_fds;
};

/* Room for one more of n entries of size in p (*max of them). */
static void *grow(void *p, size_t n, size_t *max, size_t size)
{
	if (n < *max)
		return p;
	*max = *max ? 2 * *max : 16;
	p = realloc(p, *max * size);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_FAIL);
	}
	return p;
}

static void note_file(struct show_fds *t, const struct ckpt_record *rec)
{
	struct show_file *f;

	t->files = grow(t->files, t->nr_files, &t->max_files, sizeof(*t->files));
	f = &t->files[t->nr_files++];
	f->id = rec->u.file.id;
	f->type = rec->u.file.type;
	f->flags = rec->u.file.flags;
	f->inode = rec->u.file.inode;
	f->pos = rec->u.file.pos;
	f->size = rec->u.file.size;
	f->path = strdup(rec->path);
}

static void note_fd(struct show_fds *t, const struct ckpt_record *rec)
{
	t->fds = grow(t->fds, t->nr_fds, &t->max_fds, sizeof(*t->fds));
	t->fds[t->nr_fds++] = rec->u.fd;
}

static struct show_file *show_file_of(const struct show_fds *t, uint32_t id)
{
	size_t i;

	for (i = 0; i < t->nr_files; i++)
		if (t->files[i].id == id)
			return &t->files[i];
	return NULL;
}

static void note_socket(struct show_fds *t, const struct ckpt_record *rec)
{
	struct show_file *f = show_file_of(t, rec->u.socket.id);
	unsigned int place = ckpt_socket_waiting(&rec->u.socket);

	if (f && f->sock && place) {
		const struct ckpt_socket *k = &rec->u.socket;
		char local[256], peer[256];

		sock_addr_text(k->family, rec->sock_addr, k->addr_len, local,
			       sizeof(local));
		sock_addr_text(k->family, rec->sock_addr + k->addr_len,
			       k->peer_len, peer, sizeof(peer));
		free(f->conn);
		if (asprintf(&f->conn, "waiting in its backlog, place %u: %s -> %s",
			     place, local, peer) < 0)
			f->conn = NULL;
	} else if (f && !f->sock) {
		f->sock = sock_describe(rec);
		f->udp = ckpt_socket_has_msgs(&rec->u.socket);
	}
}

static void note_sock_data(struct show_fds *t, const struct ckpt_record *rec)
{
	struct show_file *f = show_file_of(t, rec->u.sock_data.id);

	if (f && !f->waiting) {	/* not a backlog's */
		f->queued += rec->u.sock_data.len;
		f->msgs++;
	}
}

static void note_sock_msg(struct show_fds *t, const struct ckpt_record *rec)
{
	struct show_file *f = show_file_of(t, rec->u.sock_msg.id);

	if (f) {
		f->dgram_bytes += rec->u.sock_msg.len;
		f->dgrams++;
	}
}

static void note_tcp(struct show_fds *t, const struct ckpt_record *rec)
{
	struct show_file *f = show_file_of(t, rec->u.tcp.id);

	char *more;

	if (f && f->conn) {
		/* one waiting in a listener's backlog: a line of its own */
		if (asprintf(&more, "%s\n         %s, %u bytes received not read",
			     f->waiting ? f->waiting : "", f->conn,
			     rec->u.tcp.rcv_len) >= 0) {
			free(f->waiting);
			f->waiting = more;
		}
		free(f->conn);
		f->conn = NULL;
	} else if (f) {
		f->tcp = 1;
		f->fin = !!(rec->u.tcp.flags & CKPT_TCP_FIN);
		f->rcv_len = rec->u.tcp.rcv_len;
		f->snd_len = rec->u.tcp.snd_len;
	}
}

/* The table, one line per descriptor: what it is, how open, what it shares. */
static void show_fd_table(const struct show_fds *t)
{
	static const struct { uint32_t bit; const char *name; } fl[] = {
		{ O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DIRECT, "O_DIRECT" }, { O_NOATIME, "O_NOATIME" },
		{ O_DSYNC, "O_DSYNC" }, { O_PATH, "O_PATH" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "?" };
	size_t i, j, k;

	printf("file descriptors: %zu\n", t->nr_fds);
	for (i = 0; i < t->nr_fds; i++) {
		const struct ckpt_fd *d = &t->fds[i];
		const struct show_file *f = show_file_of(t, d->file);

		printf("  %4u ", d->fd);
		if (d->flags & CKPT_FD_IMAGE) {
			printf("the image being written (closed after a restore)\n");
			continue;
		}
		if (!f) {
			printf("file %u, not in the image\n", d->file);
			continue;
		}
		printf("%-8s %s %s", file_type_name(f->type), f->path,
		       acc[f->flags & O_ACCMODE]);
		for (k = 0; k < sizeof(fl) / sizeof(fl[0]); k++)
			if (f->flags & fl[k].bit)
				printf("|%s", fl[k].name);
		if (f->type == CKPT_FILE_REG || f->type == CKPT_FILE_UNLINKED ||
		    f->type == CKPT_FILE_MEMFD || f->type == CKPT_FILE_DIR ||
		    f->type == CKPT_FILE_CONTENT)
			printf(" pos %llu", U64(f->pos));
		if (d->flags & CKPT_FD_CLOEXEC)
			printf(" cloexec");
		for (j = 0; j < t->nr_fds; j++)
			if (j != i && t->fds[j].file == d->file &&
			    !(t->fds[j].flags & CKPT_FD_IMAGE))
				printf(", one open file with fd %u", t->fds[j].fd);
		if (f->type == CKPT_FILE_PIPE && f->inode)
			printf(", pipe %u of the image", f->inode);
		else if (f->type == CKPT_FILE_PIPE || f->type == CKPT_FILE_TTY)
			printf(", a live one on restore");
		if ((f->type == CKPT_FILE_UNLINKED ||
		     f->type == CKPT_FILE_MEMFD ||
		     f->type == CKPT_FILE_CONTENT) && f->inode)
			printf(", the same file as file %u", f->inode);
		else if (f->type == CKPT_FILE_CONTENT)
			printf(", %llu bytes in the image, put back on restore",
			       U64(f->size));
		if (f->sock)
			printf(", %s", f->sock);
		if (f->tcp)
			printf(", %u bytes received not read, %u bytes in its send queue%s",
			       f->rcv_len, f->snd_len,
			       f->fin ? ", then its FIN" : "");
		else if (f->udp)
			printf(", %u datagram%s queued (%llu bytes)", f->dgrams,
			       f->dgrams == 1 ? "" : "s", U64(f->dgram_bytes));
		else if (f->msgs)
			printf(", %llu bytes queued in %u records",
			       U64(f->queued), f->msgs);
		if (f->waiting)
			printf("%s", f->waiting);
		printf("\n");
	}
}

static void show_fds_free(struct show_fds *t)
{
	size_t i;

	for (i = 0; i < t->nr_files; i++) {
		free(t->files[i].path);
		free(t->files[i].sock);
		free(t->files[i].waiting);
		free(t->files[i].conn);
	}
	free(t->files);
	free(t->fds);
}

static int cmd_show(const char *path)
{
	struct show_fds table = { 0 };
	struct ckpt_reader r;
	struct ckpt_record rec;
	FILE *fp;
	int ret;
	unsigned int i;

	if (strcmp(path, "-") == 0) {
		fp = stdin;
	} else {
		fp = fopen(path, "rb");
		if (!fp) {
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, path,
				strerror(errno));
			return 1;
		}
	}
	ckpt_reader_init_fp(&r, fp);
	ret = ckpt_reader_header(&r);
	if (ret == 0) {
		const struct ckpt_image_hdr *h = &r.hdr;
		char rel[sizeof(h->release) + 1];

		memcpy(rel, h->release, sizeof(h->release));
		rel[sizeof(h->release)] = 0;
		for (i = 0; rel[i]; i++)
			if (rel[i] < 0x20 || rel[i] > 0x7e)
				rel[i] = '?';
		printf("image %s\n", path);
		printf("  machine     %s (%u)\n", ckpt_machine_name(h->machine),
		       h->machine);
		printf("  endianness  %s\n", h->endian == CKPT_ENDIAN_BIG ?
		       "big" : "little");
		printf("  word size   %u\n", h->word_size);
		printf("  version     %u\n", h->version);
		printf("  page size   %u\n", h->page_size);
		printf("  flags       %#x%s%s%s%s\n", h->flags,
		       (h->flags & CKPT_DUMP_STOP) ? " stop" : "",
		       (h->flags & CKPT_DUMP_KILL) ? " kill" : "",
		       (h->flags & CKPT_DUMP_FILE_DATA) ? " file-data" : "",
		       (h->flags & CKPT_DUMP_COW) ? " cow" : "");
		printf("  header crc  %08x ok\n", h->crc);
		printf("  release     %s\n", rel);
		printf("records:\n");
	}
	while (ret >= 0 && (ret = ckpt_reader_next(&r, &rec)) > 0) {
		printf("%08llx ", U64(rec.offset));
		if (rec.type == CKPT_REC_FILE)
			note_file(&table, &rec);
		else if (rec.type == CKPT_REC_FD)
			note_fd(&table, &rec);
		else if (rec.type == CKPT_REC_SOCKET)
			note_socket(&table, &rec);
		else if (rec.type == CKPT_REC_SOCK_DATA)
			note_sock_data(&table, &rec);
		else if (rec.type == CKPT_REC_TCP)
			note_tcp(&table, &rec);
		else if (rec.type == CKPT_REC_SOCK_MSG)
			note_sock_msg(&table, &rec);
		switch (rec.type) {
		case CKPT_REC_FILE: {
			const struct ckpt_file *f = &rec.u.file;

			printf("FILE   id %u %s %s flags %#o mode %#o ino %llu"
			       " dev %#llx size %llu pos %llu"
			       " mtime %llu.%09u",
			       f->id, file_type_name(f->type), rec.path, f->flags,
			       f->mode, U64(f->ino), U64(f->dev), U64(f->size),
			       U64(f->pos), U64(f->mtime_sec), f->mtime_nsec);
			if (f->rdev)	/* the kernel's new_encode_dev() */
				printf(" rdev %u:%u", (f->rdev & 0xfff00) >> 8,
				       (f->rdev & 0xff) | ((f->rdev >> 12) & 0xfff00));
			if (f->inode)
				printf(" %s %u", f->type == CKPT_FILE_PIPE ?
				       "of pipe" : "same file as", f->inode);
			printf("\n");
			break;
		}
		case CKPT_REC_SIGNALFD:
			printf("SIGNALFD file %u mask %#llx\n", rec.u.signalfd.id,
			       U64(rec.u.signalfd.mask));
			break;
		case CKPT_REC_MEMFD:
			printf("MEMFD file %u seals %#x\n", rec.u.memfd.id,
			       rec.u.memfd.seals);
			break;
		case CKPT_REC_TIMERFD: {
			const struct ckpt_timerfd *t = &rec.u.timerfd;

			printf("TIMERFD file %u clock %d flags %#x left %llu.%09u interval %llu.%09u ticks %llu\n",
			       t->id, t->clockid, t->flags, U64(t->value_sec),
			       t->value_nsec, U64(t->interval_sec),
			       t->interval_nsec, U64(t->ticks));
			break;
		}
		case CKPT_REC_SOCKET: {
			const struct ckpt_socket *k = &rec.u.socket;

			char *d;

			if (k->flags & CKPT_SOCK_LIVE) {
				d = sock_describe(&rec);
				printf("SOCKET file %u %s cookie %llu", k->id,
				       d ? d : "?", U64(k->cookie));
				free(d);
				if (k->flags & CKPT_SOCK_REMAKE)
					printf("%s%s%s%s%s%s backlog %u sndbuf %u%s rcvbuf %u%s",
					       k->flags & CKPT_SOCK_REUSEADDR ? " reuseaddr" : "",
					       k->flags & CKPT_SOCK_REUSEPORT ? " reuseport" : "",
					       k->flags & CKPT_SOCK_V6ONLY ? " v6only" : "",
					       k->flags & CKPT_SOCK_KEEPALIVE ? " keepalive" : "",
					       k->flags & CKPT_SOCK_NODELAY ? " nodelay" : "",
					       k->flags & CKPT_SOCK_CORK ? " cork" : "",
					       k->backlog, k->sndbuf,
					       k->flags & CKPT_SOCK_SNDBUF ? " (set)" : "",
					       k->rcvbuf,
					       k->flags & CKPT_SOCK_RCVBUF ? " (set)" : "");
				if (k->flags & CKPT_SOCK_REMAKE &&
				    (k->flags & CKPT_SOCK_LINGER || k->linger_s))
					printf(" linger %s %us",
					       k->flags & CKPT_SOCK_LINGER ? "on" : "off",
					       k->linger_s);
				if (k->flags & CKPT_SOCK_REMAKE && k->keepidle_s)
					printf(" keepidle %us", k->keepidle_s);
				if (k->flags & CKPT_SOCK_REMAKE && k->keepintvl_s)
					printf(" keepintvl %us", k->keepintvl_s);
				if (k->flags & CKPT_SOCK_REMAKE && k->keepcnt)
					printf(" keepcnt %u", k->keepcnt);
				printf("\n");
				break;
			}
			printf("SOCKET file %u %s %s", k->id,
			       k->family == AF_UNIX ? "unix" : "family?",
			       k->type == SOCK_STREAM ? "stream" :
			       k->type == SOCK_DGRAM ? "dgram" :
			       k->type == SOCK_SEQPACKET ? "seqpacket" : "type?");
			if (k->flags & CKPT_SOCK_CONNECTED)
				printf(" pair (its peer follows)");
			else if (k->peer)
				printf(" pair with file %u", k->peer);
			else
				printf(" unconnected");
			printf("%s%s%s%s sndbuf %u%s rcvbuf %u%s\n",
			       k->flags & CKPT_SOCK_SHUT_RD ? " shut-rd" : "",
			       k->flags & CKPT_SOCK_SHUT_WR ? " shut-wr" : "",
			       k->flags & CKPT_SOCK_PASSCRED ? " passcred" : "",
			       k->flags & CKPT_SOCK_PASSSEC ? " passsec" : "",
			       k->sndbuf, k->flags & CKPT_SOCK_SNDBUF ? " (set)" : "",
			       k->rcvbuf, k->flags & CKPT_SOCK_RCVBUF ? " (set)" : "");
			break;
		}
		case CKPT_REC_SOCK_DATA:
			printf("SOCK_DATA socket %u len %u\n", rec.u.sock_data.id,
			       rec.u.sock_data.len);
			break;
		case CKPT_REC_SOCK_MSG: {
			const struct ckpt_sock_msg *m = &rec.u.sock_msg;
			char from[256];

			sock_addr_text(ckpt_record_msg_family(&r, &rec),
				       rec.sock_addr, m->addr_len, from,
				       sizeof(from));
			printf("SOCK_MSG socket %u len %u from %s\n", m->id, m->len,
			       from);
			break;
		}
		case CKPT_REC_TCP: {
			const struct ckpt_tcp *c = &rec.u.tcp;

			printf("TCP socket %u snd_seq %u rcv_seq %u snd_len %u rcv_len %u mss %u",
			       c->id, c->snd_seq, c->rcv_seq, c->snd_len,
			       c->rcv_len, c->mss);
			if (c->flags & CKPT_TCP_WSCALE)
				printf(" wscale %u/%u", c->snd_wscale,
				       c->rcv_wscale);
			printf("%s%s%s window snd %u rcv %u\n",
			       c->flags & CKPT_TCP_SACK ? " sack" : "",
			       c->flags & CKPT_TCP_TIMESTAMP ? " ts" : "",
			       c->flags & CKPT_TCP_FIN ? " fin" : "",
			       c->snd_wnd, c->rcv_wnd);
			break;
		}
		case CKPT_REC_EPOLL_ITEM:
			printf("EPOLL_ITEM epoll %u watches fd %u (file %u) events %#x data %#llx\n",
			       rec.u.epoll_item.id, rec.u.epoll_item.fd,
			       rec.u.epoll_item.file, rec.u.epoll_item.events,
			       U64(rec.u.epoll_item.data));
			break;
		case CKPT_REC_EVENTFD:
			printf("EVENTFD file %u count %llu%s\n",
			       rec.u.eventfd.id, U64(rec.u.eventfd.count),
			       rec.u.eventfd.flags & CKPT_EVENTFD_SEMAPHORE ?
			       " semaphore" : "");
			break;
		case CKPT_REC_CHILD:
			printf("CHILD  pid %u %.16s%s\n", rec.u.child.pid,
			       rec.u.child.comm,
			       rec.u.child.flags & CKPT_CHILD_ZOMBIE ? " zombie" : "");
			break;
		case CKPT_REC_FILE_DATA:
			printf("FILE_DATA file %u off %llu len %u\n",
			       rec.u.file_data.id, U64(rec.u.file_data.off),
			       rec.len - (uint32_t)sizeof(struct ckpt_file_data));
			break;
		case CKPT_REC_PIPE: {
			const struct ckpt_pipe *p = &rec.u.pipe;

			printf("PIPE   id %u size %u buffered %u bytes\n", p->id,
			       p->size, p->len);
			break;
		}
		case CKPT_REC_FD: {
			const struct ckpt_fd *d = &rec.u.fd;

			if (d->flags & CKPT_FD_IMAGE)
				printf("FD     %u the image%s\n", d->fd,
				       d->flags & CKPT_FD_CLOEXEC ? " cloexec" : "");
			else
				printf("FD     %u file %u%s\n", d->fd, d->file,
				       d->flags & CKPT_FD_CLOEXEC ? " cloexec" : "");
			break;
		}
		case CKPT_REC_MM: {
			const struct ckpt_mm *m = &rec.u.mm;
			uint32_t k;

			printf("MM     exe_file %u auxv %u words\n", m->exe_file,
			       m->nr_auxv);
			printf("         code %#llx-%#llx data %#llx"
			       "-%#llx\n", U64(m->start_code),
			       U64(m->end_code), U64(m->start_data), U64(m->end_data));
			printf("         brk %#llx-%#llx stack %#llx"
			       " mmap_base %#llx\n", U64(m->start_brk),
			       U64(m->brk), U64(m->start_stack), U64(m->mmap_base));
			printf("         args %#llx-%#llx env %#llx"
			       "-%#llx\n", U64(m->arg_start), U64(m->arg_end),
			       U64(m->env_start), U64(m->env_end));
			printf("         auxv");
			for (k = 0; k + 1 < m->nr_auxv; k += 2) {
				uint64_t t = ckpt_record_auxv(&r, &rec, k);

				if (t == 0)
					break;
				printf(" %llu=%#llx", U64(t),
				       U64(ckpt_record_auxv(&r, &rec, k + 1)));
			}
			printf("\n");
			break;
		}
		case CKPT_REC_VMA: {
			const struct ckpt_vma *v = &rec.u.vma;
			char prot[5], fl[160];

			prot_string(v->prot, v->flags, prot);
			vma_flag_names(v->flags, fl, sizeof(fl));
			printf("VMA    %08llx-%08llx %s %s %u %#llx"
			       " %#x%s%s%s\n", U64(v->start), U64(v->end), prot,
			       vma_type_name(v->type), v->file, U64(v->pgoff),
			       v->flags, fl[0] ? " (" : "", fl, fl[0] ? ")" : "");
			break;
		}
		case CKPT_REC_PAGES:
			printf("PAGES  %08llx %u\n", U64(rec.u.pages.addr),
			       rec.u.pages.nr_pages);
			break;
		case CKPT_REC_BASE_PAGES:
			printf("BASE   %08llx %u of %u from file %u at %#llx\n",
			       U64(rec.u.base_pages.addr), rec.base_kept,
			       rec.u.base_pages.nr_pages, rec.u.base_pages.file,
			       U64(rec.u.base_pages.offset));
			break;
		case CKPT_REC_THREAD: {
			char comm[sizeof(rec.u.thread.comm) + 1];

			memcpy(comm, rec.u.thread.comm, sizeof(rec.u.thread.comm));
			comm[sizeof(rec.u.thread.comm)] = 0;
			for (i = 0; comm[i]; i++)
				if (comm[i] < 0x20 || comm[i] > 0x7e)
					comm[i] = '?';
			printf("THREAD tid %u comm \"%s\" sigmask %#018llx\n",
			       rec.u.thread.tid, comm, U64(rec.u.thread.sigmask));
			printf("         sigaltstack %#llx size %#llx flags %#x"
			       " robust_list %#llx clear_child_tid %#llx\n",
			       U64(rec.u.thread.sas_sp), U64(rec.u.thread.sas_size),
			       rec.u.thread.sas_flags, U64(rec.u.thread.robust_list),
			       U64(rec.u.thread.clear_child_tid));
			printf("         rseq %#llx len %u sig %#x\n",
			       U64(rec.u.thread.rseq), rec.u.thread.rseq_len,
			       rec.u.thread.rseq_sig);
			break;
		}
		case CKPT_REC_REGS:
			show_regs(&r, &rec);
			break;
		case CKPT_REC_PROC:
			show_proc(&r, &rec);
			break;
		case CKPT_REC_SIGHAND:
			show_sighand(&r, &rec);
			break;
		case CKPT_REC_SIGINFO:
			show_siginfo(&rec);
			break;
		case CKPT_REC_END:
			printf("END    crc %08x ok\n", rec.crc);
			break;
		}
	}
	if (ret < 0) {
		fflush(stdout);
		fprintf(stderr, "%s: %s: bad image at offset %#llx"
			" (%llu): %s [%s]\n", prog, path, U64(r.err_off),
			U64(r.err_off), r.msg, ckpt_errno_name(-ret));
	} else {
		show_fd_table(&table);
		printf("summary: %llu records, %llu"
		       " pages (%llu bytes of page data), image %llu"
		       " bytes\n", U64(r.nr_records), U64(r.nr_pages),
		       U64(r.nr_pages * r.hdr.page_size), U64(r.off));
	}
	ckpt_reader_fini(&r);
	show_fds_free(&table);
	if (fp != stdin)
		fclose(fp);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return 1;
	}
	return ret < 0 ? 1 : 0;
}


/* ------------------------------------------------------------------ */
/* Image input */

/* Copy all of fd into an anonymous file; return its fd, or -1. */
static int slurp(int fd, const char *file)
{
	char buf[65536];
	const char *tmp = getenv("TMPDIR");
	int out;

	out = (int)syscall(__NR_memfd_create, "ckpt-image", 1u /* CLOEXEC */);
	if (out < 0)
		out = open(tmp && *tmp ? tmp : "/tmp",
			   O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(stderr, "%s: cannot buffer %s: no memfd or O_TMPFILE: %s\n",
			prog, file, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: reading %s: %s\n", prog, file,
				strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		while (done < n) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				fprintf(stderr, "%s: buffering %s: %s\n", prog,
					file, strerror(errno));
				goto fail;
			}
			done += w;
		}
	}
	if (lseek(out, 0, SEEK_SET) == 0)
		return out;
	fprintf(stderr, "%s: buffering %s: %s\n", prog, file, strerror(errno));
fail:
	close(out);
	return -1;
}


/* ------------------------------------------------------------------ */
/* progress */

static volatile sig_atomic_t progress_shown;

static void progress_done(int sig)
{
	(void)sig;
	_exit(progress_shown);
}

/* The position and inode of descriptor @fd of process @pid: 0, or -1. */
static int fd_pos(pid_t pid, int fd, uint64_t *pos, uint64_t *ino)
{
	char path[64], line[128];
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pos: %" SCNu64, pos) == 1)
			got |= 1;
		else if (sscanf(line, "ino: %" SCNu64, ino) == 1)
			got |= 2;
	}
	fclose(f);
	return got == 3 ? 0 : -1;
}

/* The descriptor of process @pid open on inode @ino, or -1. */
static int fd_of_inode(pid_t pid, uint64_t ino)
{
	uint64_t pos, i;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		if (!fd_pos(pid, fd, &pos, &i) && i == ino)
			return fd;
	return -1;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* How long before progress shows: CKPT_PROGRESS_DELAY_MS, or a second. */
static unsigned int progress_delay_ms(void)
{
	const char *v = getenv("CKPT_PROGRESS_DELAY_MS");
	char *end;
	unsigned long ms;

	if (!v || !*v)
		return 1000;
	ms = strtoul(v, &end, 10);
	return *end || ms > 60000 ? 1000 : ms;
}

/*
 * Progress on a terminal: once @what (dump, restore, rollback) has run a
 * second (CKPT_PROGRESS_DELAY_MS), a line on standard error says how far it got through the image
 * (the file position of process @pid's descriptor on it, inode @ino, read
 * from /proc) against @total bytes expected (0: unknown; @approx: an
 * estimate), and at what rate, redrawn four times a second until
 * progress_stop().  Silent when standard error is not a terminal.  It is
 * a child process, so that a process ckpt dumps or restores has no thread
 * of ckpt's in it; it ends by itself once the descriptor is gone (the
 * restored process's table replaced ckpt's).  Returns its pid, or -1.
 */
static pid_t progress_start(const char *what, pid_t pid, uint64_t ino,
			    uint64_t total, int approx)
{
	const double mib = 1024.0 * 1024.0;
	uint64_t pos, i;
	double t0, dt;
	pid_t child;
	int fd = -1;

	if (!isatty(2))
		return -1;
	fflush(NULL);
	child = fork();
	if (child != 0)
		return child < 0 ? -1 : child;
	signal(SIGTERM, progress_done);
	t0 = mono_s();
	usleep(progress_delay_ms() * 1000);
	for (;;) {
		if (fd < 0 || fd_pos(pid, fd, &pos, &i) || i != ino) {
			fd = fd_of_inode(pid, ino);
			if (fd < 0 || fd_pos(pid, fd, &pos, &i))
				_exit(progress_shown);
		}
		dt = mono_s() - t0;
		fprintf(stderr, "\r%s: %s: %.1f MiB", prog, what, pos / mib);
		if (total)
			fprintf(stderr, " of %s%.1f MiB (%d%%)", approx ? "~" : "",
				total / mib,
				(int)(pos >= total ? 100 : pos * 100 / total));
		fprintf(stderr, ", %.1f MiB/s\033[K", dt > 0 ? pos / mib / dt : 0);
		progress_shown = 1;
		usleep(250000);
	}
}

/* End the progress line, if there was one, leaving it on the terminal. */
static void progress_stop(pid_t child)
{
	int status;

	if (child <= 0)
		return;
	kill(child, SIGTERM);
	if (waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1)
		fputc('\n', stderr);
}

/* Wait for the progress line to end by itself (its descriptor gone). */
static void progress_wait(pid_t child)
{
	int status;

	if (child > 0 && waitpid(child, &status, 0) == child &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 1)
		fputc('\n', stderr);
}

/* The inode of @fd if it is a regular file, with its size; else 0. */
static uint64_t regular_inode(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (size)
		*size = st.st_size;
	return st.st_ino;
}

/* The resident memory of process @pid, in bytes: a dump's size, roughly. */
static uint64_t resident_bytes(pid_t pid)
{
	char path[64], line[128];
	unsigned long long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

/*
 * Open the image FILE ("-": standard input) as a seekable fd: a pipe or
 * terminal is read whole into an anonymous file first, so that it can be
 * looked at before the kernel reads it, and again to explain a failure.
 */
static int open_image(const char *file)
{
	int fd, out;

	if (!strcmp(file, "-")) {
		if (isatty(0)) {
			fprintf(stderr, "%s: refusing to read an image from a terminal; give a FILE or redirect standard input\n",
				prog);
			return -1;
		}
		fd = 0;
	} else {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, file,
				strerror(errno));
			return -1;
		}
	}
	if (lseek(fd, 0, SEEK_CUR) == 0)
		return fd;
	out = slurp(fd, file);
	if (fd != 0)
		close(fd);
	return out;
}

/*
 * Check the header and read the PROC record (the first one) before the
 * kernel gets the image: a foreign or damaged image is explained here.
 * Leaves fd at offset 0.  Returns 0, or an errno after report().
 */
static int peek_image(int fd, enum op op, long pid, const char *file,
		      struct image_info *ii)
{
	struct ckpt_reader r;
	struct ckpt_record rec;
	char why[300];
	int ret, i;

	memset(ii, 0, sizeof(*ii));
	ckpt_reader_init_fd(&r, fd);
	ret = ckpt_reader_header(&r);
	if (!ret) {
		long ps = sysconf(_SC_PAGESIZE);

		ii->hdr = r.hdr;
		ret = ckpt_image_compatible(&r.hdr, ckpt_host_machine(),
					    ckpt_host_endian(),
					    (unsigned int)sizeof(long),
					    (unsigned int)ps, why, sizeof(why));
		if (ret) {
			report(op, -ret, pid, file, why);
			goto out;
		}
		ret = ckpt_reader_next(&r, &rec);
		if (ret == 0)
			ret = -EBADMSG;	/* cannot happen: END is not first */
	}
	if (ret < 0) {
		snprintf(why, sizeof(why), "%s at offset %#llx", r.msg,
			 U64(r.err_off));
		report(op, -ret, pid, file, why);
		goto out;
	}
	ii->proc = rec.u.proc;
	for (i = 0; i < 4; i++) {
		ii->creds.uid[i] = (&rec.u.proc.uid)[i];
		ii->creds.gid[i] = (&rec.u.proc.gid)[i];
	}
	if (rec.u.proc.ngroups > sizeof(ii->creds.groups) /
				 sizeof(ii->creds.groups[0])) {
		ii->creds.ngroups = -1;
	} else {
		ii->creds.ngroups = (int)rec.u.proc.ngroups;
		for (i = 0; i < ii->creds.ngroups; i++)
			ii->creds.groups[i] =
				ckpt_record_group(&r, &rec, (uint32_t)i);
	}
	snprintf(ii->root, sizeof(ii->root), "%s", rec.root);
	ret = 0;
out:
	ckpt_reader_fini(&r);
	if (lseek(fd, 0, SEEK_SET) != 0 && !ret) {
		fprintf(stderr, "%s: %s: cannot rewind: %s\n", prog, file,
			strerror(errno));
		ret = errno;
	}
	return ret < 0 ? -ret : ret;
}

/* "4096", "64K", "16M", "1G": a size in bytes, not 0. */
static int parse_size(const char *s, unsigned long long *size)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end || !n || n > (~0ULL >> shift))
		return -1;
	*size = n << shift;
	return 0;
}

static int parse_pid(const char *s, long *pid)
{
	char *end;

	errno = 0;
	*pid = strtol(s, &end, 10);
	return errno || *end || end == s || *pid < 0 || *pid > 0x3fffffffL ?
	       -1 : 0;
}

/* ------------------------------------------------------------------ */
/* dump */

static int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "stop", no_argument, NULL, 'S' },
		{ "kill", no_argument, NULL, 'K' },
		{ "cow", no_argument, NULL, 'C' },
		{ "file-data", optional_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = "-", *pidstr = NULL;
	struct ckpt_dump_args args = { 0 };
	unsigned int flags = 0;
	int fd, c, err, regular = 0, ret = 0;
	pid_t shown;
	uint64_t ino;
	struct stat st;
	long pid;

	optind = 1;
	/* GNU getopt: options may follow the PID (ckpt dump PID --kill) */
	while ((c = next_opt(argc, argv, ":o:h", opts, &ret)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'S': flags |= CKPT_DUMP_STOP; break;
		case 'K': flags |= CKPT_DUMP_KILL; break;
		case 'C': flags |= CKPT_DUMP_COW; break;
		case 'F':
			flags |= CKPT_DUMP_FILE_DATA;
			args.file_data_max = 64ULL << 20;
			if (optarg && parse_size(optarg, &args.file_data_max))
				return usage_error("dump: --file-data: '%s' is not a size",
						   optarg);
			break;
		case 'h': return sub_help("dump");
		default: return ret;
		}
	}
	for (; optind < argc; optind++) {
		if (!pidstr)
			pidstr = argv[optind];
		else
			return usage_error("dump: extra argument %s", argv[optind]);
	}
	if (!pidstr)
		return usage_error("dump: which process? %s", "give its PID");
	if (parse_pid(pidstr, &pid))
		return usage_error("dump: '%s' is not a process id", pidstr);
	if ((flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL)) ==
	    (CKPT_DUMP_STOP | CKPT_DUMP_KILL))
		return usage_error("dump: %s", "--stop and --kill exclude each other");
	if (flags & CKPT_DUMP_COW && flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL))
		return usage_error("dump: %s", "--cow goes with neither --stop nor --kill");
	if (flags & (CKPT_DUMP_STOP | CKPT_DUMP_KILL) && pid == 0)
		return usage_error("dump: %s", "--stop and --kill need a PID other than 0");
	if (!*out)
		return usage_error("dump: %s", "empty output file name");

	if (!strcmp(out, "-")) {
		fd = 1;
		if (isatty(fd)) {
			fprintf(stderr, "%s: refusing to write a checkpoint image to a terminal; use -o FILE or redirect standard output\n",
				prog);
			return EXIT_FAIL;
		}
	} else {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot create %s: %s\n", prog, out,
				strerror(errno));
			return EXIT_FAIL;
		}
		/* only a regular file is ours to remove on failure */
		regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	}
	/* a reader that goes away is an error to report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	ino = pid ? regular_inode(fd, NULL) : 0;
	shown = ino ? progress_start("dump", getpid(), ino,
				     resident_bytes((pid_t)pid), 1) : -1;
	ret = ckpt_dump((pid_t)pid, fd, flags, &args, sizeof(args));
	progress_stop(shown);
	if (ret == CKPT_RESTORED) {
		/* "ckpt dump 0" restored: the image was of ckpt itself */
		fprintf(stderr, "%s: restored\n", prog);
		return EXIT_OK;
	}
	if (ret < 0) {
		err = errno;
		report(OP_DUMP, err, pid, out, NULL);
		if (err == EOPNOTSUPP)
			kmsg_explain(pid);
		if (regular) {
			close(fd);
			if (unlink(out) == 0)
				detail("removed the partial image %s", out);
		}
		return EXIT_FAIL;
	}
	if (fd != 1 && close(fd) < 0) {
		err = errno;
		fprintf(stderr, "%s: writing %s: %s\n", prog, out, strerror(err));
		if (regular)
			unlink(out);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* restore */

/* struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1) */
struct clone_args_v1 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

/*
 * fork(), with the child's pid want if the kernel lets us.  A pid still in
 * use may be the image's previous incarnation, still exiting after "ckpt
 * dump --kill": wait up to a second for it.  *why gets the reason the
 * child did not get want.
 */
static pid_t fork_as(pid_t want, int *why)
{
	struct clone_args_v1 args;
	pid_t tid = want;	/* the kernel reads an array of pid_t */
	int tries = 0;
	long ret;

	*why = 0;
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uintptr_t)&tid;
	args.set_tid_size = 1;
	for (;;) {
		ret = syscall(__NR_clone3, &args, sizeof(args));
		if (ret >= 0)
			return (pid_t)ret;
		if (errno != EEXIST || ++tries > 20)
			break;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	*why = errno;
	return fork();
}

static const char *set_tid_reason(int err)
{
	switch (err) {
	case EEXIST:
		return "that pid is in use";
	case EPERM:
		return "choosing a pid needs CAP_CHECKPOINT_RESTORE";
	case EINVAL:
		return "that pid is out of range here (pid_max, pid namespace)";
	case ENOSYS:
		return "this kernel has no clone3()";
	default:
		return strerror(err);
	}
}

/* --inherit-fd N=FD: the restored process's fd N is ckpt's fd FD. */
struct inherit {
	int to, from;
};

#define MAX_INHERIT	64

/* Close descriptors lo..hi (hi ~0u: all from lo). */
static void close_fds(unsigned int lo, unsigned int hi)
{
	struct rlimit rl;
	unsigned int i, max;

	if (lo > hi || syscall(__NR_close_range, lo, hi, 0u) == 0)
		return;
	max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
		max = (unsigned int)rl.rlim_cur;
	for (i = lo; i < max && i <= hi; i++)
		close((int)i);
}

static int inherited(const struct inherit *inh, unsigned int n, int fd)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (inh[i].to == fd)
			return 1;
	return 0;
}

/*
 * The restoring child's descriptors: 0-2 as ckpt's, each --inherit-fd
 * source at its number, the image at the lowest number from 3 that none
 * of them takes (close-on-exec), nothing else.  Returns the image's.
 */
static int child_fds(int fd, const struct inherit *inh, unsigned int n)
{
	int tmp[MAX_INHERIT], img = 3, base = fd, t;
	unsigned int i, next = 3;

	while (inherited(inh, n, img))
		img++;
	if (base < img)
		base = img;
	for (i = 0; i < n; i++) {
		if (base < inh[i].to)
			base = inh[i].to;
		if (base < inh[i].from)
			base = inh[i].from;
	}
	base++;
	/* every source out of the way first: a number may be both */
	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(inh[i].from, F_DUPFD, base);
		if (tmp[i] < 0)
			return -1;
	}
	t = fcntl(fd, F_DUPFD, base);
	if (t < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], inh[i].to) < 0)
			return -1;
	if (dup2(t, img) < 0)
		return -1;
	fcntl(img, F_SETFD, FD_CLOEXEC);
	/* close all from 3 up but the image and the inherited ones */
	for (t = 3; t < base; t++) {
		if (t != img && !inherited(inh, n, t))
			continue;
		close_fds(next, (unsigned int)t - 1);
		next = (unsigned int)t + 1;
	}
	close_fds(next, ~0u);
	return img;
}

/* Parse "N=FD" into *in; 0, or -1 with a message. */
static int parse_inherit(const char *arg, struct inherit *in)
{
	char *end;
	long to, from;

	errno = 0;
	to = strtol(arg, &end, 10);
	if (errno || end == arg || *end != '=' || to < 0 || to > 65535)
		return usage_error("restore: --inherit-fd %s: not N=FD", arg);
	arg = end + 1;
	from = strtol(arg, &end, 10);
	if (errno || end == arg || *end || from < 0 || from > 65535)
		return usage_error("restore: --inherit-fd %s: not N=FD", arg);
	if (fcntl((int)from, F_GETFD) < 0) {
		fprintf(stderr, "%s: restore: --inherit-fd: fd %ld is not open\n",
			prog, from);
		return EXIT_USAGE;
	}
	in->to = (int)to;
	in->from = (int)from;
	return 0;
}

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "allow-changed-files", no_argument, NULL, 'C' },
		{ "without-children", no_argument, NULL, 'W' },
		{ "inherit-fd", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct inherit inh[MAX_INHERIT];
	const char *file = NULL;
	struct image_info ii;
	int detach = 0, fd, c, why, status, ret = 0;
	unsigned int flags = 0, n_inh = 0, i;
	uint64_t ino, size = 0;
	pid_t pid, want;

	optind = 1;
	while ((c = next_opt(argc, argv, ":dh", opts, &ret)) != -1) {
		switch (c) {
		case 'd': detach = 1; break;
		case 'C': flags |= CKPT_RESTORE_CHANGED_FILES; break;
		case 'W': flags |= CKPT_RESTORE_WITHOUT_CHILDREN; break;
		case 'i':
			if (n_inh == MAX_INHERIT)
				return usage_error("restore: more than 64 --inherit-fd%s",
						   "");
			if (parse_inherit(optarg, &inh[n_inh]))
				return EXIT_USAGE;
			for (i = 0; i < n_inh; i++)
				if (inh[i].to == inh[n_inh].to)
					return usage_error("restore: --inherit-fd %s: fd given twice",
							   optarg);
			n_inh++;
			break;
		case 'h': return sub_help("restore");
		default: return ret;
		}
	}
	for (; optind < argc; optind++) {
		if (!file)
			file = argv[optind];
		else
			return usage_error("restore: extra argument %s", argv[optind]);
	}
	if (!file)
		return usage_error("restore: %s", "which image? give a FILE or -");

	fd = open_image(file);
	if (fd < 0)
		return EXIT_FAIL;
	if (peek_image(fd, OP_RESTORE, 0, file, &ii))
		return EXIT_FAIL;
	want = (pid_t)ii.proc.pid;

	fflush(NULL);
	pid = fork_as(want, &why);
	if (pid < 0) {
		fprintf(stderr, "%s: cannot create a process: %s\n", prog,
			strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		int err;

		/*
		 * A session leader without a terminal (a daemon) leads a
		 * session of its own again; any other process, a shell on a
		 * terminal too, joins ckpt's job, its process group, so that
		 * the shell's job control and the terminal treat the two as
		 * one: in the foreground of ckpt's terminal if ckpt is.
		 */
		if ((ii.proc.flags & (CKPT_PROC_SESSION_LEADER | CKPT_PROC_TTY)) ==
		    CKPT_PROC_SESSION_LEADER && setsid() < 0)
			fprintf(stderr, "%s: cannot give the process a session of its own: %s\n",
				prog, strerror(errno));
		fd = child_fds(fd, inh, n_inh);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot set up the descriptors to restore with: %s\n",
				prog, strerror(errno));
			_exit(EXIT_NORESTORE);
		}
		ckpt_restore(0, fd, flags);
		/* only returns on failure */
		err = errno;
		report(OP_RESTORE, err, 0, file, NULL);
		restore_explain(OP_RESTORE, err, fd, 0, &ii);
		_exit(EXIT_NORESTORE);
	}
	ino = detach ? 0 : regular_inode(fd, &size);
	if (fd != 0)
		close(fd);
	if (why)
		fprintf(stderr, "%s: the restored process is pid %d, not its original pid %d: %s\n",
			prog, (int)pid, (int)want, set_tid_reason(why));
	if (detach) {
		printf("%d\n", (int)pid);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	/* until the restored process's table has replaced its image's fd */
	if (ino)
		progress_wait(progress_start("restore", pid, ino, size, 0));

	/* like a shell: ^C and ^\ are for the restored process */
	child_pid = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "%s: waiting for process %d: %s\n",
				prog, (int)pid, strerror(errno));
			return EXIT_FAIL;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_FAIL;
}

/* ------------------------------------------------------------------ */
/* rollback */

static int cmd_rollback(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-changed-files", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct image_info ii;
	unsigned int flags = 0;
	const char *file;
	long pid;
	int fd, err, c, ret = 0;
	uint64_t ino, size = 0;
	pid_t shown;

	optind = 1;
	while ((c = next_opt(argc, argv, ":h", opts, &ret)) != -1) {
		switch (c) {
		case 'C': flags |= CKPT_RESTORE_CHANGED_FILES; break;
		case 'h': return sub_help("rollback");
		default: return ret;
		}
	}
	if (argc - optind != 2)
		return usage_error("rollback: %s", "needs a PID and a FILE");
	if (parse_pid(argv[optind], &pid) || pid == 0)
		return usage_error("rollback: '%s' is not a process id", argv[optind]);
	file = argv[optind + 1];

	fd = open_image(file);
	if (fd < 0)
		return EXIT_FAIL;
	if (peek_image(fd, OP_ROLLBACK, pid, file, &ii))
		return EXIT_FAIL;
	if (ii.proc.pid != (uint32_t)pid)
		fprintf(stderr, "%s: note: %s is an image of process %u, not %ld\n",
			prog, file, ii.proc.pid, pid);
	ino = regular_inode(fd, &size);
	shown = ino ? progress_start("rollback", getpid(), ino, size, 0) : -1;
	if (ckpt_restore((pid_t)pid, fd, flags) == 0) {
		progress_stop(shown);
		close(fd);
		return EXIT_OK;
	}
	progress_stop(shown);
	err = errno;
	report(OP_ROLLBACK, err, pid, file, NULL);
	restore_explain(OP_ROLLBACK, err, fd, pid, &ii);
	close(fd);
	return EXIT_FAIL;
}

/* ------------------------------------------------------------------ */
/* snapshot */

static int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-changed-files", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int flags = 0, n = 0;
	char line[256];
	int snap, c, ret = 0;
	long pid;

	optind = 1;
	while ((c = next_opt(argc, argv, ":h", opts, &ret)) != -1) {
		switch (c) {
		case 'C': flags |= CKPT_RESTORE_CHANGED_FILES; break;
		case 'h': return sub_help("snapshot");
		default: return ret;
		}
	}
	if (argc - optind != 1)
		return usage_error("snapshot: %s", "needs one PID");
	if (parse_pid(argv[optind], &pid) || pid == 0)
		return usage_error("snapshot: '%s' is not a process id other than 0",
				   argv[optind]);
	snap = ckpt_snapshot((pid_t)pid);
	if (snap < 0) {
		report(OP_DUMP, errno, pid, NULL, NULL);
		return EXIT_FAIL;
	}
	printf("snapshot of process %ld kept\n", pid);
	fflush(stdout);
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: Enter rolls process %ld back to it, end of input drops it\n",
			prog, pid);
	while (fgets(line, sizeof(line), stdin)) {
		if (ckpt_restore((pid_t)pid, snap, flags)) {
			report(OP_ROLLBACK, errno, pid, "its snapshot", NULL);
			close(snap);
			return EXIT_FAIL;
		}
		printf("rolled back %u\n", ++n);
		fflush(stdout);
	}
	close(snap);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* track */

static int cmd_track(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char line[4096];
	int base, fd, c, ret = 0;
	unsigned int n = 0;
	struct stat st;
	size_t len;
	long pid;

	optind = 1;
	while ((c = next_opt(argc, argv, ":h", opts, &ret)) != -1)
		return c == 'h' ? sub_help("track") : ret;
	if (argc - optind != 2)
		return usage_error("track: %s", "needs a PID and a BASE file");
	if (parse_pid(argv[optind], &pid) || pid == 0)
		return usage_error("track: '%s' is not a process id other than 0",
				   argv[optind]);
	fd = open(argv[optind + 1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind + 1],
			strerror(errno));
		return EXIT_FAIL;
	}
	base = ckpt_base((pid_t)pid, fd, 0);
	close(fd);
	if (base < 0) {
		report(OP_DUMP, errno, pid, argv[optind + 1], NULL);
		unlink(argv[optind + 1]);
		return EXIT_FAIL;
	}
	printf("base of process %ld in %s\n", pid, argv[optind + 1]);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		len = strcspn(line, "\n");
		line[len] = 0;
		if (!len)
			continue;
		fd = open(line, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, line,
				strerror(errno));
			close(base);
			return EXIT_FAIL;
		}
		if (ckpt_diff((pid_t)pid, fd, 0, base) || fstat(fd, &st)) {
			report(OP_DUMP, errno, pid, line, NULL);
			close(fd);
			unlink(line);
			close(base);
			return EXIT_FAIL;
		}
		close(fd);
		printf("diff %u in %s (%lld bytes)\n", ++n, line,
		       (long long)st.st_size);
		fflush(stdout);
	}
	close(base);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("ckpt %s (image format version %d)\n", LIBCKPT_VERSION,
		       CKPT_IMAGE_VERSION);
		return EXIT_OK;
	}
	/* each command parses its own options: argv[0] is its name */
	if (!strcmp(cmd, "show")) {
		static const struct option opts[] = {
			{ "help", no_argument, NULL, 'h' },
			{ NULL, 0, NULL, 0 }
		};
		int c, ret = 0;

		optind = 1;
		while ((c = next_opt(argc - 1, argv + 1, ":h", opts, &ret)) != -1)
			return c == 'h' ? sub_help("show") : ret;
		if (argc - 1 - optind != 1)
			return usage_error("show: %s", "needs one FILE or -");
		return cmd_show(argv[1 + optind]);
	}
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(cmd, "rollback"))
		return cmd_rollback(argc - 1, argv + 1);
	if (!strcmp(cmd, "snapshot"))
		return cmd_snapshot(argc - 1, argv + 1);
	if (!strcmp(cmd, "track"))
		return cmd_track(argc - 1, argv + 1);
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
