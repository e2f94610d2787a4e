// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt - checkpoint a process into an image, restore it, show an image.
 *
 *	ckpt show FILE|-
 *	ckpt restore FILE|-
 *	ckpt dump PID -o FILE|- [--stop|--kill]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libckpt.h"

#define U64(x) ((unsigned long long)(x))

static const char *prog = "ckpt";

static void usage(FILE *f)
{
	fprintf(f,
"usage: ckpt show FILE|-          list the contents of a checkpoint image\n"
"       ckpt restore FILE|-       replace this process by the image's process\n"
"       ckpt dump PID -o FILE|- [--stop|--kill]\n"
"                                 checkpoint process PID (0: ckpt itself)\n"
"       ckpt --help | --version\n"
"\n"
"FILE '-' is standard input (show, restore) or standard output (dump).\n"
"The restored process keeps ckpt's open files, pid, parent and credentials.\n");
}

/* A sentence a system administrator understands, per errno. */
static const char *explain(int err, int restoring)
{
	switch (err) {
	case EBADMSG:
		return "image is damaged (checksum mismatch or truncated image)";
	case ENOEXEC:
		return "not a checkpoint image, or it was made on another kind "
		       "of machine or by an incompatible kernel version";
	case EINVAL:
		return restoring ?
		       "image content is invalid (inconsistent or crafted image), or invalid flags" :
		       "invalid arguments or flags";
	case ESTALE:
		return "a file mapped by the checkpointed process was replaced "
		       "or changed since the checkpoint";
	case ENOENT:
		return restoring ?
		       "a file mapped by the checkpointed process no longer exists" :
		       "no such file or directory";
	case EBADF:
		return restoring ? "the image is not open for reading" :
				   "the output is not open for writing";
	case EBUSY:
		return "the process is multi-threaded; only single-threaded "
		       "processes can be checkpointed or restored";
	case EOPNOTSUPP:
		return restoring ? "operation not supported" :
		       "the process has state that cannot be checkpointed "
		       "(e.g. locked memory, a mapping of a deleted file or a "
		       "device), or dumping another process is not supported "
		       "by this kernel";
	case ESRCH:
		return "no such process";
	case EPERM:
	case EACCES:
		return "permission denied";
	case ENOMEM:
		return "not enough memory";
	case ENOSYS:
		return "this kernel has no checkpoint/restore support "
		       "(ckpt system calls missing)";
	case ENOSPC:
		return "no space left on the output device";
	case EPIPE:
		return "the reader of the output went away";
	case EFAULT:
		return "bad address";
	case EINTR:
		return "interrupted by a signal";
	default:
		return strerror(err);
	}
}

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

static int cmd_show(const char *path)
{
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
		printf("  flags       %#x%s%s\n", h->flags,
		       (h->flags & CKPT_DUMP_STOP) ? " stop" : "",
		       (h->flags & CKPT_DUMP_KILL) ? " kill" : "");
		printf("  header crc  %08x ok\n", h->crc);
		printf("  release     %s\n", rel);
		printf("records:\n");
	}
	while (ret >= 0 && (ret = ckpt_reader_next(&r, &rec)) > 0) {
		printf("%08llx ", U64(rec.offset));
		switch (rec.type) {
		case CKPT_REC_FILE: {
			const struct ckpt_file *f = &rec.u.file;

			printf("FILE   id %u %s flags %#o mode %#o ino %llu"
			       " dev %#llx size %llu pos %llu"
			       " mtime %llu.%09u%s\n",
			       f->id, rec.path, f->flags, f->mode, U64(f->ino), U64(f->dev),
			       U64(f->size), U64(f->pos), U64(f->mtime_sec), f->mtime_nsec,
			       f->type == CKPT_FILE_REG ? "" : " (unknown type)");
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
		printf("summary: %llu records, %llu"
		       " pages (%llu bytes of page data), image %llu"
		       " bytes\n", U64(r.nr_records), U64(r.nr_pages),
		       U64(r.nr_pages * r.hdr.page_size), U64(r.off));
	}
	ckpt_reader_fini(&r);
	if (fp != stdin)
		fclose(fp);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return 1;
	}
	return ret < 0 ? 1 : 0;
}

static int cmd_restore(const char *path)
{
	int fd, err;

	if (strcmp(path, "-") == 0) {
		fd = 0;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, path,
				strerror(errno));
			return 1;
		}
	}
	fflush(NULL);
	ckpt_restore(0, fd, 0);
	/* only returns on failure */
	err = errno;
	fprintf(stderr, "%s: restore of %s failed: %s [%s]\n", prog, path,
		explain(err, 1), ckpt_errno_name(err));
	if (fd != 0)
		close(fd);
	return 1;
}

static int cmd_dump(int argc, char **argv)
{
	const char *out = NULL, *pidstr = NULL;
	unsigned int flags = 0;
	char *end;
	long pid, ret;
	int fd, i, err, created = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "%s: -o needs a file name\n", prog);
				return 2;
			}
			out = argv[i];
		} else if (strncmp(argv[i], "-o", 2) == 0) {
			out = argv[i] + 2;
		} else if (strcmp(argv[i], "--stop") == 0) {
			flags |= CKPT_DUMP_STOP;
		} else if (strcmp(argv[i], "--kill") == 0) {
			flags |= CKPT_DUMP_KILL;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option %s\n", prog, argv[i]);
			return 2;
		} else if (!pidstr) {
			pidstr = argv[i];
		} else {
			fprintf(stderr, "%s: extra argument %s\n", prog, argv[i]);
			return 2;
		}
	}
	if (!pidstr || !out) {
		usage(stderr);
		return 2;
	}
	errno = 0;
	pid = strtol(pidstr, &end, 10);
	if (errno || *end || end == pidstr || pid < 0 || pid > 0x7fffffffL) {
		fprintf(stderr, "%s: bad pid '%s'\n", prog, pidstr);
		return 2;
	}
	if (strcmp(out, "-") == 0) {
		fd = 1;
	} else {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot create %s: %s\n", prog, out,
				strerror(errno));
			return 1;
		}
		created = 1;
	}
	fflush(NULL);
	ret = ckpt_dump((pid_t)pid, fd, flags);
	if (ret == CKPT_RESTORED) {
		/* "ckpt dump 0" restored: the image was of ckpt itself */
		fprintf(stderr, "%s: restored\n", prog);
		return 0;
	}
	if (ret < 0) {
		err = errno;
		fprintf(stderr, "%s: dump of process %ld failed: %s [%s]\n",
			prog, pid, explain(err, 0), ckpt_errno_name(err));
		if (created) {
			close(fd);
			unlink(out);
		}
		return 1;
	}
	if (created && close(fd) < 0) {
		fprintf(stderr, "%s: writing %s: %s\n", prog, out, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ckpt %s (image format version %d)\n", LIBCKPT_VERSION,
		       CKPT_IMAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "show") == 0) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		return cmd_show(argv[2]);
	}
	if (strcmp(argv[1], "restore") == 0) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		return cmd_restore(argv[2]);
	}
	if (strcmp(argv[1], "dump") == 0)
		return cmd_dump(argc - 2, argv + 2);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
