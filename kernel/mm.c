// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: the address space.
 *
 * Dump takes a snapshot of the VMAs and of which pages exist under
 * mmap_lock, as the core dump does, then drops the lock and reads the pages
 * one batch at a time with get_user_pages_remote() while it writes.  Pages
 * that were never touched are not in the page tables and are not read or
 * written; anonymous pages that hold only zeros are skipped as well.
 *
 * Restore builds a new mm off to the side, as execve() builds the new stack:
 * VMAs are inserted into it and page contents written into it through
 * get_user_pages_remote().  The caller keeps running on its own mm until
 * the whole image has been read and checked; only then does
 * ckpt_commit_mm() swap the new mm in with exec_mmap().
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/elf.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/oom.h>
#include <linux/pagewalk.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swapops.h>
#include <linux/uprobes.h>
#include <linux/userfaultfd_k.h>

#include "internal.h"

/* Pages read or written per get_user_pages_remote() call. */
#define CKPT_GUP_BATCH		16

/* vm_flags a dump understands; a VMA with any other flag is refused. */
#define CKPT_VM_KNOWN	(VM_READ | VM_WRITE | VM_EXEC | VM_SHARED |	\
			 VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |	\
			 VM_MAYSHARE | VM_GROWSDOWN | VM_NORESERVE |	\
			 VM_ACCOUNT | VM_DONTCOPY | VM_DONTDUMP |	\
			 VM_WIPEONFORK | VM_SEQ_READ | VM_RAND_READ |	\
			 VM_HUGEPAGE | VM_NOHUGEPAGE | VM_SOFTDIRTY |	\
			 VM_MERGEABLE)

static const struct {
	vm_flags_t vm;
	u32 ckpt;
} ckpt_vma_flag_map[] = {
	{ VM_SHARED,	 CKPT_VMA_SHARED },
	{ VM_MAYSHARE,	 CKPT_VMA_MAYSHARE },
	{ VM_GROWSDOWN,	 CKPT_VMA_GROWSDOWN },
	{ VM_NORESERVE,	 CKPT_VMA_NORESERVE },
	{ VM_ACCOUNT,	 CKPT_VMA_ACCOUNT },
	{ VM_DONTCOPY,	 CKPT_VMA_DONTCOPY },
	{ VM_DONTDUMP,	 CKPT_VMA_DONTDUMP },
	{ VM_WIPEONFORK, CKPT_VMA_WIPEONFORK },
	{ VM_SEQ_READ,	 CKPT_VMA_SEQ_READ },
	{ VM_RAND_READ,	 CKPT_VMA_RAND_READ },
	{ VM_HUGEPAGE,	 CKPT_VMA_HUGEPAGE },
	{ VM_NOHUGEPAGE, CKPT_VMA_NOHUGEPAGE },
};

/* A run of pages to dump: @nr pages from @addr. */
struct ckpt_run {
	unsigned long addr;
	unsigned long nr;
};

/* A VMA as the dump found it under mmap_lock. */
struct ckpt_vma_snap {
	struct ckpt_vma rec;
	vm_flags_t vm_flags;
	struct file *file;		/* a reference is held */
	unsigned int first_run;
	unsigned int nr_runs;
	unsigned int first_base;	/* the base's records it holds whole */
	unsigned int nr_base;
	struct page **copies;		/* CKPT_VMA_SHMEM: its pages, copied */
};

struct ckpt_mm_snap {
	struct ckpt_vma_snap *vmas;
	unsigned int nr_vmas;
	unsigned int max_vmas;
	struct ckpt_run *runs;
	unsigned int nr_runs;
	unsigned int max_runs;
	unsigned long resume;		/* where a walk stopped for room */
	struct ckpt_mm mm;
	u64 auxv[AT_VECTOR_SIZE];
	struct file *exe_file;
	struct task_struct *task;	/* the process dumped, for refusals */
	bool held;			/* private pages: in a held copy */
	struct ckpt_base *base;		/* %CKPT_DUMP_DIFF: against it */
	u64 *base_bits;			/* of each base record: pages kept */
	unsigned int base_cur;		/* the walk's base record */
	unsigned int base_end;		/* the VMA's last one, + 1 */
};

static bool ckpt_vma_is_shared_anon(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	return file && shmem_file(file) && IS_PRIVATE(file_inode(file)) &&
	       !strcmp(file->f_path.dentry->d_name.name, "dev/zero");
}

/* Note @nr pages from @addr as existing; -EAGAIN when the runs are full. */
static int ckpt_snap_add(struct ckpt_mm_snap *snap, unsigned long addr,
			 unsigned long nr)
{
	struct ckpt_run *run = snap->nr_runs ? &snap->runs[snap->nr_runs - 1] : NULL;

	if (run && snap->vmas[snap->nr_vmas - 1].first_run < snap->nr_runs &&
	    run->addr + run->nr * PAGE_SIZE == addr) {
		run->nr += nr;
		return 0;
	}
	if (snap->nr_runs == snap->max_runs) {
		snap->resume = addr;
		return -EAGAIN;
	}
	snap->runs[snap->nr_runs].addr = addr;
	snap->runs[snap->nr_runs].nr = nr;
	snap->nr_runs++;
	return 0;
}

/*
 * The page frame the base's copy of the address space maps at @addr, or
 * -1.  Its page tables are never freed while the base lives (the copy
 * never runs, nor has its huge pages collapsed); reclaim may change an
 * entry meanwhile, which only makes a page found the same one it was.
 */
static unsigned long ckpt_base_pfn(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;
	pte_t *ptep, pte;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return -1UL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return -1UL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		return -1UL;
	pmd = pmd_offset(pud, addr);
	pmdval = pmd_read_atomic(pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval))
		return -1UL;
	if (pmd_trans_huge(pmdval))
		return pmd_pfn(pmdval) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
	if (pmd_bad(pmdval))
		return -1UL;
	ptep = pte_offset_map(pmd, addr);
	pte = ptep_get(ptep);
	pte_unmap(ptep);
	return pte_present(pte) ? pte_pfn(pte) : -1UL;
}

/*
 * With %CKPT_DUMP_DIFF: is the page @pfn at @addr the very page the base's
 * copy maps there, in a base record the VMA holds whole?  Neither has
 * written it since the base, as a write to a page both map copies it
 * first: its bit is set, and it is not written.  Called in address order.
 */
static bool ckpt_snap_unchanged(struct ckpt_mm_snap *snap, unsigned long addr,
				unsigned long pfn)
{
	const struct ckpt_base_run *run;
	unsigned long i;

	for (; snap->base_cur < snap->base_end; snap->base_cur++) {
		run = &snap->base->runs[snap->base_cur];
		if (addr < run->addr)
			return false;
		i = (addr - run->addr) >> PAGE_SHIFT;
		if (i < run->nr_pages)
			break;
	}
	if (snap->base_cur == snap->base_end ||
	    ckpt_base_pfn(snap->base->mm, addr) != pfn)
		return false;
	snap->base_bits[snap->base_cur] |= 1ULL << i;
	return true;
}

static int ckpt_snap_pte(pte_t *ptep, unsigned long addr, unsigned long next,
			 struct mm_walk *walk)
{
	struct ckpt_mm_snap *snap = walk->private;
	pte_t pte = ptep_get(ptep);

	if (pte_none(pte))
		return 0;
	if (pte_present(pte)) {
		struct page *page = vm_normal_page(walk->vma, addr, pte);

		/* The zero page, and file pages not copied on write. */
		if (!page || !PageAnon(page))
			return 0;
		if (snap->base_cur < snap->base_end &&
		    ckpt_snap_unchanged(snap, addr, pte_pfn(pte)))
			return 0;
	} else if (is_pte_marker_entry(pte_to_swp_entry(pte))) {
		return 0;
	}
	/* Present anonymous, swapped out or under migration: it exists. */
	return ckpt_snap_add(snap, addr, 1);
}

/* A transparent huge page is taken whole: the dump never splits it. */
static int ckpt_snap_pmd(pmd_t *pmd, unsigned long addr, unsigned long next,
			 struct mm_walk *walk)
{
	spinlock_t *ptl = pmd_trans_huge_lock(pmd, walk->vma);
	struct ckpt_mm_snap *snap = walk->private;
	int err = 0;

	if (!ptl)
		return 0;	/* a page table: down to ckpt_snap_pte() */
	walk->action = ACTION_CONTINUE;
	if (pmd_present(*pmd) && snap->base_cur < snap->base_end &&
	    !is_huge_zero_pmd(*pmd) && PageAnon(pmd_page(*pmd))) {
		/* against a base: each page the base's copy has not */
		unsigned long pfn = pmd_pfn(*pmd) +
				    ((addr & ~PMD_MASK) >> PAGE_SHIFT);

		for (; addr < next && !err; addr += PAGE_SIZE, pfn++)
			if (!ckpt_snap_unchanged(snap, addr, pfn))
				err = ckpt_snap_add(snap, addr, 1);
	} else if (!pmd_present(*pmd) ||
		   (!is_huge_zero_pmd(*pmd) && PageAnon(pmd_page(*pmd)))) {
		/* Under migration, or present, anonymous, not the zero page. */
		err = ckpt_snap_add(snap, addr, (next - addr) >> PAGE_SHIFT);
	}
	spin_unlock(ptl);
	return err;
}

static const struct mm_walk_ops ckpt_snap_ops = {
	.pmd_entry = ckpt_snap_pmd,
	.pte_entry = ckpt_snap_pte,
};

/* Record the pages of @vma that exist; mmap_lock is held. */
static int ckpt_snap_pages(struct mm_struct *mm, struct vm_area_struct *vma,
			   struct ckpt_mm_snap *snap)
{
	unsigned long addr = vma->vm_start;
	int err;

	for (;;) {
		err = walk_page_range(mm, addr, vma->vm_end, &ckpt_snap_ops,
				      snap);
		if (err != -EAGAIN)
			return err;
		if (ckpt_grow((void **)&snap->runs, &snap->max_runs,
			      sizeof(*snap->runs)))
			return -ENOMEM;
		addr = snap->resume;
	}
}

static int ckpt_refuse_vma(struct ckpt_mm_snap *snap,
			   struct vm_area_struct *vma, const char *what)
{
	return ckpt_refuse_task(snap->task, "mapping %lx-%lx: %s",
				vma->vm_start, vma->vm_end, what);
}

/*
 * The base's records an anonymous VMA holds whole, for the walk of its
 * pages: a page of another, or in a mapping that has changed, is written.
 */
static void ckpt_snap_base_runs(struct ckpt_mm_snap *snap,
				struct ckpt_vma_snap *s)
{
	const struct ckpt_base *base = snap->base;
	unsigned int lo = 0, hi = base->nr_runs, mid;

	while (lo < hi) {		/* the first that starts in it */
		mid = lo + (hi - lo) / 2;
		if (base->runs[mid].addr < s->rec.start)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->first_base = lo;
	while (lo < base->nr_runs &&
	       base->runs[lo].addr + ((u64)base->runs[lo].nr_pages << PAGE_SHIFT) <=
	       s->rec.end)
		lo++;
	s->nr_base = lo - s->first_base;
	snap->base_cur = s->first_base;
	snap->base_end = lo;
}

/* Take one VMA into the snapshot; mmap_lock is held. */
static int ckpt_snap_vma(struct mm_struct *mm, struct vm_area_struct *vma,
			 struct ckpt_mm_snap *snap, unsigned long vdso_start,
			 unsigned long vdso_end)
{
	struct ckpt_vma_snap *s;
	vm_flags_t flags = vma->vm_flags;
	unsigned int i;
	u32 type;

	if (vma->vm_start >= vdso_start && vma->vm_end <= vdso_end) {
		/* The vDSO and its data pages: one record for them all. */
		if (vma->vm_start != vdso_start)
			return 0;
		type = CKPT_VMA_VDSO;
	} else if (flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP)) {
		return ckpt_refuse_vma(snap, vma, "device or special mapping");
	} else if (flags & (VM_LOCKED | VM_LOCKONFAULT)) {
		return ckpt_refuse_vma(snap, vma, "locked memory (mlock)");
	} else if (is_vm_hugetlb_page(vma)) {
		return ckpt_refuse_vma(snap, vma, "hugetlbfs");
	} else if (userfaultfd_armed(vma)) {
		return ckpt_refuse_vma(snap, vma, "userfaultfd");
	} else if (flags & ~CKPT_VM_KNOWN) {
		return ckpt_refuse_vma(snap, vma, "unsupported mapping flags");
	} else if (vma_is_anonymous(vma)) {
		type = CKPT_VMA_ANON;
	} else if (ckpt_vma_is_shared_anon(vma)) {
		if (vma->vm_pgoff ||
		    i_size_read(file_inode(vma->vm_file)) !=
		    vma->vm_end - vma->vm_start)
			return ckpt_refuse_vma(snap, vma, "part of a shared anonymous mapping");
		type = CKPT_VMA_SHMEM;
	} else if (vma->vm_file && !(vma->vm_ops && vma->vm_ops->name)) {
		type = CKPT_VMA_FILE;
	} else {
		return ckpt_refuse_vma(snap, vma, "special mapping");
	}

	if (snap->nr_vmas == snap->max_vmas) {
		if (ckpt_grow((void **)&snap->vmas, &snap->max_vmas,
			      sizeof(*snap->vmas)))
			return -ENOMEM;
	}
	s = &snap->vmas[snap->nr_vmas++];
	memset(s, 0, sizeof(*s));
	s->rec.start = vma->vm_start;
	s->rec.end = vma->vm_end;
	s->rec.type = type;
	s->vm_flags = flags;
	s->first_run = snap->nr_runs;
	if (type == CKPT_VMA_VDSO) {
		s->rec.end = vdso_end;
		s->rec.prot = PROT_READ | PROT_EXEC;
		return 0;
	}
	s->rec.pgoff = vma->vm_file ? vma->vm_pgoff : 0;
	s->rec.prot = (flags & VM_READ ? PROT_READ : 0) |
		      (flags & VM_WRITE ? PROT_WRITE : 0) |
		      (flags & VM_EXEC ? PROT_EXEC : 0);
	for (i = 0; i < ARRAY_SIZE(ckpt_vma_flag_map); i++)
		if (flags & ckpt_vma_flag_map[i].vm)
			s->rec.flags |= ckpt_vma_flag_map[i].ckpt;
	if (vma->vm_file)
		s->file = get_file(vma->vm_file);
	if (type == CKPT_VMA_ANON && snap->base)
		ckpt_snap_base_runs(snap, s);
	if (type == CKPT_VMA_ANON ||
	    (type == CKPT_VMA_FILE && !(flags & VM_MAYSHARE))) {
		int err = snap->held ? 0 : ckpt_snap_pages(mm, vma, snap);

		if (err)
			return err;
	}
	s->nr_runs = snap->nr_runs - s->first_run;
	snap->base_cur = 0;
	snap->base_end = 0;
	return 0;
}

static void ckpt_snap_mm_fields(struct mm_struct *mm, struct ckpt_mm_snap *snap)
{
	struct ckpt_mm *m = &snap->mm;
	unsigned int i;

	m->start_code = mm->start_code;
	m->end_code = mm->end_code;
	m->start_data = mm->start_data;
	m->end_data = mm->end_data;
	m->start_brk = mm->start_brk;
	m->brk = mm->brk;
	m->start_stack = mm->start_stack;
	m->arg_start = mm->arg_start;
	m->arg_end = mm->arg_end;
	m->env_start = mm->env_start;
	m->env_end = mm->env_end;
	m->mmap_base = mm->mmap_base;
	for (i = 0; i < AT_VECTOR_SIZE; i += 2) {
		snap->auxv[i] = mm->saved_auxv[i];
		snap->auxv[i + 1] = mm->saved_auxv[i + 1];
		if (mm->saved_auxv[i] == AT_NULL)
			break;
	}
	m->nr_auxv = min_t(unsigned int, i + 2, AT_VECTOR_SIZE);
	snap->exe_file = get_mm_exe_file(mm);
}

/* The copies ckpt_snap_shmem_copy() made. */
static void ckpt_snap_shmem_free(struct ckpt_vma_snap *s)
{
	unsigned long nr = (s->rec.end - s->rec.start) >> PAGE_SHIFT, i;

	if (!s->copies)
		return;
	for (i = 0; i < nr; i++)
		if (s->copies[i])
			put_page(s->copies[i]);
	kvfree(s->copies);
	s->copies = NULL;
}

static void ckpt_snap_free(struct ckpt_mm_snap *snap)
{
	unsigned int i;

	for (i = 0; i < snap->nr_vmas; i++) {
		if (snap->vmas[i].file)
			fput(snap->vmas[i].file);
		ckpt_snap_shmem_free(&snap->vmas[i]);
	}
	if (snap->exe_file)
		fput(snap->exe_file);
	kvfree(snap->vmas);
	kvfree(snap->runs);
	kvfree(snap->base_bits);
	kfree(snap);
}

/*
 * An open PAGES record being filled: its pages are held, and written from
 * where they are when it closes (ckpt_rec_end_pages()).
 */
struct ckpt_pages_out {
	struct ckpt_pages *rec;
	unsigned long next;
	unsigned int nr;
	struct ckpt_base *base;		/* %CKPT_DUMP_BASE: where they go */
	struct page *pages[CKPT_PAGES_PER_REC];
};

static void ckpt_pages_drop(struct ckpt_pages_out *out)
{
	while (out->nr)
		put_page(out->pages[--out->nr]);
	out->rec = NULL;
}

/* With %CKPT_DUMP_BASE: where a PAGES record of an anonymous VMA went. */
static int ckpt_base_add_run(struct ckpt_base *base,
			     const struct ckpt_pages *rec, u64 offset)
{
	struct ckpt_base_run *run;

	if (base->nr_runs == base->max_runs &&
	    ckpt_grow((void **)&base->runs, &base->max_runs,
		      sizeof(*base->runs)))
		return -ENOMEM;
	run = &base->runs[base->nr_runs++];
	run->addr = rec->addr;
	run->offset = offset;
	run->hash = rec->hash;
	run->nr_pages = rec->nr_pages;
	run->hash_type = rec->hash_type;
	return 0;
}

static int ckpt_pages_close(struct ckpt_ctx *ctx, struct ckpt_pages_out *out)
{
	struct ckpt_pages *rec = out->rec;
	u64 offset = ctx->start + ctx->pos;	/* of the record, not ended */
	int err;

	if (!rec)
		return 0;
	BUILD_BUG_ON(!IS_ALIGNED(sizeof(*rec), 8));
	rec->nr_pages = out->nr;
	err = ckpt_rec_end_pages(ctx, sizeof(*rec), out->pages, out->nr,
				 &rec->hash);
	/* the record is still in the buffer, which the next one reuses */
	if (!err && out->base)
		err = ckpt_base_add_run(out->base, rec, offset);
	ckpt_pages_drop(out);
	return err;
}

static int ckpt_pages_add(struct ckpt_ctx *ctx, struct ckpt_pages_out *out,
			  unsigned long addr, struct page *page, bool skip_zero)
{
	int err;

	if (skip_zero) {
		void *kaddr = kmap_local_page(page);
		bool zero = !memchr_inv(kaddr, 0, PAGE_SIZE);

		kunmap_local(kaddr);
		if (zero)
			return ckpt_pages_close(ctx, out);
	}
	if (out->rec && (out->next != addr ||
			 out->nr == CKPT_PAGES_PER_REC)) {
		err = ckpt_pages_close(ctx, out);
		if (err)
			return err;
	}
	if (!out->rec) {
		struct ckpt_pages *rec;

		rec = ckpt_rec_begin(ctx, CKPT_REC_PAGES, sizeof(*rec));
		if (IS_ERR(rec))
			return PTR_ERR(rec);
		rec->addr = addr;
		rec->nr_pages = 0;
		rec->hash_type = CKPT_PAGES_HASH;
		out->rec = rec;
	}
	get_page(page);
	out->pages[out->nr++] = page;
	out->next = addr + PAGE_SIZE;
	return 0;
}

/* Write the pages of a run of a private VMA, reading them through the mm. */
static int ckpt_dump_run(struct ckpt_ctx *ctx, struct mm_struct *mm,
			 const struct ckpt_run *run, bool skip_zero,
			 struct ckpt_pages_out *out)
{
	struct page *pages[CKPT_GUP_BATCH];
	unsigned long addr = run->addr, left = run->nr;

	while (left) {
		long got, i;
		int err = 0;

		if (mmap_read_lock_killable(mm))
			return -EINTR;
		got = get_user_pages_remote(mm, addr,
					    min_t(unsigned long, left, CKPT_GUP_BATCH),
					    FOLL_FORCE, pages, NULL, NULL);
		mmap_read_unlock(mm);
		if (got <= 0)
			return got ? got : -EFAULT;
		for (i = 0; i < got; i++) {
			if (!err)
				err = ckpt_pages_add(ctx, out, addr + i * PAGE_SIZE,
						     pages[i], skip_zero);
			put_page(pages[i]);
		}
		if (err)
			return err;
		addr += got * PAGE_SIZE;
		left -= got;
	}
	return 0;
}

/* Write the pages of a shared anonymous VMA: those its shmem file has. */
static int ckpt_dump_shmem(struct ckpt_ctx *ctx, const struct ckpt_vma_snap *s,
			   struct ckpt_pages_out *out)
{
	struct address_space *mapping = s->file->f_mapping;
	unsigned long nr = (s->rec.end - s->rec.start) >> PAGE_SHIFT, i;
	int err = 0;

	for (i = 0; i < nr && !err; i++) {
		struct page *page;

		if (s->copies) {	/* as they were (ckpt_snap_shmem_copy()) */
			if (s->copies[i])
				err = ckpt_pages_add(ctx, out,
						     s->rec.start + i * PAGE_SIZE,
						     s->copies[i], true);
			continue;
		}
		if (!xa_load(&mapping->i_pages, i))
			continue;
		page = shmem_read_mapping_page(mapping, i);
		if (IS_ERR(page))
			return PTR_ERR(page);
		err = ckpt_pages_add(ctx, out, s->rec.start + i * PAGE_SIZE,
				     page, true);
		put_page(page);
		cond_resched();
	}
	return err;
}

/*
 * Against a base: a BASE_PAGES record for each base record @s holds
 * whole with a page the process has not written, to be read from there.
 */
static int ckpt_dump_base_pages(struct ckpt_ctx *ctx,
				const struct ckpt_mm_snap *snap,
				const struct ckpt_vma_snap *s)
{
	struct {
		struct ckpt_base_pages rec;
		u64 bits;		/* a record has at most 64 pages */
	} b = { };
	unsigned int i;
	int err = 0;

	BUILD_BUG_ON(CKPT_PAGES_PER_REC > 64);
	BUILD_BUG_ON(sizeof(b) != sizeof(b.rec) + sizeof(u64));
	for (i = s->first_base; i < s->first_base + s->nr_base && !err; i++) {
		const struct ckpt_base_run *run = &snap->base->runs[i];

		if (!snap->base_bits[i])
			continue;
		b.rec.addr = run->addr;
		b.rec.offset = run->offset;
		b.rec.nr_pages = run->nr_pages;
		b.rec.file = ctx->base_file;
		b.rec.hash_type = run->hash_type;
		b.rec.hash = run->hash;
		b.bits = snap->base_bits[i];
		err = ckpt_write_rec(ctx, CKPT_REC_BASE_PAGES, &b, sizeof(b));
	}
	return err;
}

static int ckpt_dump_vma(struct ckpt_ctx *ctx, struct mm_struct *mm,
			 struct ckpt_mm_snap *snap, struct ckpt_vma_snap *s)
{
	struct ckpt_pages_out out = { };
	unsigned int i;
	int err;

	if (s->file && s->rec.type == CKPT_VMA_FILE) {
		err = ckpt_dump_file(ctx, s->file, -1, &s->rec.file);
		if (err)
			return err;
	}
	err = ckpt_write_rec(ctx, CKPT_REC_VMA, &s->rec, sizeof(s->rec));
	if (!err && s->nr_base)
		err = ckpt_dump_base_pages(ctx, snap, s);
	if (err)
		return err;

	if (s->rec.type == CKPT_VMA_ANON && ctx->flags & CKPT_DUMP_BASE)
		out.base = ctx->base;
	if (s->rec.type == CKPT_VMA_SHMEM) {
		err = ckpt_dump_shmem(ctx, s, &out);
	} else {
		for (i = 0; i < s->nr_runs && !err; i++)
			err = ckpt_dump_run(ctx, mm, &snap->runs[s->first_run + i],
					    s->rec.type == CKPT_VMA_ANON, &out);
	}
	if (!err)
		err = ckpt_pages_close(ctx, &out);
	ckpt_pages_drop(&out);
	return err;
}

/**
 * ckpt_snap_mm - take a snapshot of the VMAs of an address space
 * @ctx: the context
 * @mm: the address space; its tasks do not run meanwhile
 *
 * The VMAs, which of their pages exist, and the fields of the MM record,
 * under mmap_lock, as the core dump takes them; nothing is written yet.
 *
 * Context: process context, no locks held; takes mmap_lock for reading.
 * Return: the snapshot, for ckpt_write_mm() or ckpt_snap_mm_free(); an
 * ERR_PTR(): -EOPNOTSUPP for a mapping ckpt cannot restore, -EINTR,
 * -ENOMEM.
 */
struct ckpt_mm_snap *ckpt_snap_mm(struct ckpt_ctx *ctx, struct mm_struct *mm)
{
	unsigned long vdso_start = 0, vdso_end = 0;
	u64 t = ckpt_phase_begin(ctx);
	struct vm_area_struct *vma;
	struct ckpt_mm_snap *snap;
	int err = 0;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return ERR_PTR(-ENOMEM);
	snap->task = ctx->task;
	/* A snapshot's private pages stay in the copy it holds of @mm. */
	snap->held = ctx->flags & CKPT_DUMP_SNAPSHOT;
	if (ctx->flags & CKPT_DUMP_DIFF) {
		snap->base = ctx->base;
		snap->base_bits = kvcalloc(max(snap->base->nr_runs, 1U),
					   sizeof(u64), GFP_KERNEL);
		if (!snap->base_bits) {
			ckpt_snap_free(snap);
			return ERR_PTR(-ENOMEM);
		}
	}

	if (mmap_read_lock_killable(mm)) {
		ckpt_snap_free(snap);
		return ERR_PTR(-EINTR);
	}
	/* the base's copy never runs: its lock is only taken so */
	if (snap->base)
		down_read_nested(&snap->base->mm->mmap_lock,
				 SINGLE_DEPTH_NESTING);
	ckpt_arch_vdso_range(mm, &vdso_start, &vdso_end);
	ckpt_snap_mm_fields(mm, snap);
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			err = ckpt_snap_vma(mm, vma, snap, vdso_start, vdso_end);
			if (err)
				break;
		}
	}
	if (snap->base)
		up_read(&snap->base->mm->mmap_lock);
	mmap_read_unlock(mm);
	ckpt_phase_end(ctx, &ctx->times.mm, t);
	if (err) {
		ckpt_snap_free(snap);
		return ERR_PTR(err);
	}
	return snap;
}

/* A snapshot ckpt_write_mm() was not given. */
void ckpt_snap_mm_free(struct ckpt_mm_snap *snap)
{
	ckpt_snap_free(snap);
}

/*
 * The pages a shared anonymous mapping has now, copied, for a dump that
 * writes them once the process runs on: a copy of the address space
 * shares them still, and the process's writes would reach them.
 */
static int ckpt_snap_shmem_copy(struct ckpt_vma_snap *s)
{
	struct address_space *mapping = s->file->f_mapping;
	unsigned long nr = (s->rec.end - s->rec.start) >> PAGE_SHIFT, i;

	s->copies = kvcalloc(nr, sizeof(*s->copies), GFP_KERNEL_ACCOUNT);
	if (!s->copies)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct page *page, *copy;

		if (!xa_load(&mapping->i_pages, i))
			continue;
		page = shmem_read_mapping_page(mapping, i);
		if (IS_ERR(page))
			return PTR_ERR(page);
		copy = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
		if (copy)
			copy_highpage(copy, page);
		put_page(page);
		if (!copy)
			return -ENOMEM;
		s->copies[i] = copy;
		cond_resched();
	}
	return 0;
}

/* The first mapping a copy-on-write copy would not hold whole, or NULL. */
static struct ckpt_vma_snap *ckpt_snap_not_copied(struct ckpt_mm_snap *snap)
{
	unsigned int i;

	for (i = 0; i < snap->nr_vmas; i++)
		if (snap->vmas[i].vm_flags & (VM_DONTCOPY | VM_WIPEONFORK))
			return &snap->vmas[i];
	return NULL;
}

/*
 * The copy fork() would give a child, and the pages of each shared
 * anonymous mapping, which the copy shares still, copied into @snap.
 * NULL without the memory for them.
 */
static struct mm_struct *ckpt_snap_copy(struct ckpt_mm_snap *snap,
					struct mm_struct *mm)
{
	struct mm_struct *copy;
	unsigned int i;

	for (i = 0; i < snap->nr_vmas; i++) {
		if (snap->vmas[i].rec.type == CKPT_VMA_SHMEM &&
		    ckpt_snap_shmem_copy(&snap->vmas[i]))
			goto fail;
	}
	copy = dup_mm_snapshot(mm);
	if (copy)
		return copy;
fail:
	for (i = 0; i < snap->nr_vmas; i++)
		ckpt_snap_shmem_free(&snap->vmas[i]);
	return NULL;
}

/**
 * ckpt_snap_mm_cow - a copy-on-write copy of the address space snapped
 * @snap: what ckpt_snap_mm() took of @mm
 * @mm: the address space; its tasks do not run meanwhile
 *
 * For a dump that lets the process run on while its pages are written
 * (%CKPT_DUMP_COW): the copy fork() would give a child, from which
 * ckpt_write_mm() reads what @snap holds as it was now.  The pages of a
 * shared anonymous mapping, which the copy shares still, are copied one
 * by one into @snap meanwhile.  Not for an address space the copy does
 * not hold whole, with a mapping with VM_DONTCOPY or VM_WIPEONFORK: its
 * dump holds the process for its whole length.
 *
 * Return: the copy, for mmput(); NULL for such an address space, or
 * without the memory for the copy.
 */
struct mm_struct *ckpt_snap_mm_cow(struct ckpt_mm_snap *snap,
				   struct mm_struct *mm)
{
	struct ckpt_vma_snap *s = ckpt_snap_not_copied(snap);
	struct mm_struct *copy;

	if (s) {
		pr_info_ratelimited("%s[%d]: mapping %llx-%llx has MADV_DONTFORK or MADV_WIPEONFORK: held for the whole dump\n",
				    snap->task->comm, task_pid_nr(snap->task),
				    s->rec.start, s->rec.end);
		return NULL;
	}
	copy = ckpt_snap_copy(snap, mm);
	if (!copy)
		pr_info_ratelimited("%s[%d]: no memory for a copy-on-write snapshot: held for the whole dump\n",
				    snap->task->comm, task_pid_nr(snap->task));
	return copy;
}

/**
 * ckpt_snap_mm_hold - the copy of the address space a snapshot keeps
 * @snap: what ckpt_snap_mm() took of @mm, for %CKPT_DUMP_SNAPSHOT
 * @mm: the address space; its tasks do not run meanwhile
 *
 * As ckpt_snap_mm_cow(), but the copy is kept, for as long as the
 * snapshot, as the source of the private pages of every restore from
 * it.  It belongs to no task and never runs: no huge page is collapsed
 * in it, and under a memory cgroup it has no owner that could exit
 * before it.  A mapping the copy would not hold is refused.
 *
 * Return: the copy, for mmput(); ERR_PTR(-EOPNOTSUPP) for a mapping
 * with MADV_DONTFORK or MADV_WIPEONFORK (the log names it), -ENOMEM.
 */
struct mm_struct *ckpt_snap_mm_hold(struct ckpt_mm_snap *snap,
				    struct mm_struct *mm)
{
	struct ckpt_vma_snap *s = ckpt_snap_not_copied(snap);
	struct mm_struct *copy;

	if (s)
		return ERR_PTR(ckpt_refuse_task(snap->task,
				"mapping %llx-%llx: MADV_DONTFORK or MADV_WIPEONFORK, which a snapshot cannot hold",
				s->rec.start, s->rec.end));
	copy = ckpt_snap_copy(snap, mm);
	if (!copy)
		return ERR_PTR(-ENOMEM);
	set_bit(MMF_DISABLE_THP, &copy->flags);
#ifdef CONFIG_MEMCG
	/* dup_mm() made the dumper its owner, which may exit before it. */
	WRITE_ONCE(copy->owner, NULL);
#endif
	return copy;
}

/**
 * ckpt_write_mm - write the address space snapped
 * @ctx: the context
 * @snap: what ckpt_snap_mm() took, freed here
 * @mm: the address space it was taken of, its tasks still held; or its
 *	copy from ckpt_snap_mm_cow(), the process running on
 *
 * Writes the MM record, then each VMA with the pages it has, preceded by the
 * records of the files it maps.
 *
 * Context: process context, no locks held; takes mmap_lock for reading.
 * Return: 0, -EINTR, -ENOMEM, or a write error.
 */
int ckpt_write_mm(struct ckpt_ctx *ctx, struct ckpt_mm_snap *snap,
		  struct mm_struct *mm)
{
	u64 t = ckpt_phase_begin(ctx);
	unsigned int i;
	void *rec;
	int err = 0;

	if (snap->exe_file) {
		err = ckpt_dump_file(ctx, snap->exe_file, -1, &snap->mm.exe_file);
		if (err)
			goto out_free;
	}
	/* the base image, which the BASE_PAGES records name */
	if (snap->base) {
		err = ckpt_dump_file(ctx, snap->base->image, -1, &ctx->base_file);
		if (err)
			goto out_free;
	}
	rec = ckpt_rec_begin(ctx, CKPT_REC_MM, sizeof(snap->mm) +
			     snap->mm.nr_auxv * sizeof(u64));
	if (IS_ERR(rec)) {
		err = PTR_ERR(rec);
		goto out_free;
	}
	memcpy(rec, &snap->mm, sizeof(snap->mm));
	memcpy(rec + sizeof(snap->mm), snap->auxv,
	       snap->mm.nr_auxv * sizeof(u64));
	ckpt_rec_end(ctx, sizeof(snap->mm) + snap->mm.nr_auxv * sizeof(u64));

	for (i = 0; i < snap->nr_vmas && !err; i++)
		err = ckpt_dump_vma(ctx, mm, snap, &snap->vmas[i]);
out_free:
	ckpt_snap_free(snap);
	ckpt_phase_end(ctx, &ctx->times.mm, t);
	return err;
}

/*
 * Restore.
 */
struct ckpt_mm_stage {
	struct mm_struct *mm;
	struct mm_struct *charged_mm;	/* the stager's, charged @charged pages */
	long charged;
	struct oom_staged_mm oom;	/* reaped with the stager's own mm */
	bool oom_listed;
	bool have_mm;
	struct vm_area_struct *vma;	/* the VMA that PAGES records fill */
	u32 vma_type;
	unsigned long last_end;
	unsigned long vdso_start;
	unsigned long vdso_end;
};

/*
 * As execve()'s acct_arg_size(): the pages staged for an mm that belongs to
 * no task yet count in the stager's rss, so that the OOM killer sees who
 * holds them.  Uncharged by the stager before its mm goes, or when done.
 */
static void ckpt_stage_charge(struct ckpt_mm_stage *st, long pages)
{
	st->charged_mm = current->mm;
	st->charged += pages;
	add_mm_counter(current->mm, MM_ANONPAGES, pages);
}

static void ckpt_stage_uncharge(struct ckpt_mm_stage *st)
{
	if (st->charged && st->charged_mm == current->mm) {
		add_mm_counter(current->mm, MM_ANONPAGES, -st->charged);
		st->charged = 0;
	}
}

/**
 * ckpt_stage_mm_alloc - start building a new address space
 * @task: the process it is for: current, or one rolled back
 *
 * Context: process context, may sleep.
 * Return: the stage, or NULL when out of memory.
 */
struct ckpt_mm_stage *ckpt_stage_mm_alloc(struct task_struct *task)
{
	struct ckpt_mm_stage *st;
	struct rlimit rlim_stack;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return NULL;
	st->mm = mm_alloc();
	if (!st->mm) {
		kfree(st);
		return NULL;
	}
	st->mm->task_size = TASK_SIZE;
	/* mm_alloc() made it the caller's: make it @task's (dumpability too). */
	put_user_ns(st->mm->user_ns);
	st->mm->user_ns = get_user_ns(task_cred_xxx(task, user_ns));
	task_lock(task->group_leader);
	rlim_stack = task->signal->rlim[RLIMIT_STACK];
	task_unlock(task->group_leader);
	arch_pick_mmap_layout(st->mm, &rlim_stack);
	oom_stage_mm(&st->oom, st->mm);
	st->oom_listed = true;
	return st;
}

static void ckpt_stage_unlist(struct ckpt_mm_stage *st)
{
	if (st->oom_listed) {
		oom_unstage_mm(&st->oom);
		st->oom_listed = false;
	}
}

/**
 * ckpt_stage_mm_precommit - take the new address space from the OOM reaper
 * @st: the stage
 *
 * Context: process context, may sleep; before the point of no return.
 * Return: 0, or -ENOMEM if the OOM killer picked the stager and the OOM
 * reaper took pages of the new address space.
 */
int ckpt_stage_mm_precommit(struct ckpt_mm_stage *st)
{
	ckpt_stage_unlist(st);
	if (test_bit(MMF_UNSTABLE, &st->mm->flags))
		return -ENOMEM;
	return 0;
}

/**
 * ckpt_stage_mm_free - drop an address space that was not committed
 * @st: the stage, or NULL
 */
void ckpt_stage_mm_free(struct ckpt_mm_stage *st)
{
	if (!st)
		return;
	ckpt_stage_uncharge(st);
	ckpt_stage_unlist(st);
	if (st->mm)
		mmput(st->mm);
	kfree(st);
}

static bool ckpt_addr_ok(struct mm_struct *mm, u64 addr)
{
	return addr <= mm->task_size;
}

/*
 * /proc/PID/exe names what a process runs; prctl(PR_SET_MM_EXE_FILE) needs
 * CAP_CHECKPOINT_RESTORE to change it.  Without that capability a restored
 * process keeps the caller's executable, unless the image's is the same.
 */
static int ckpt_stage_exe_file(struct ckpt_ctx *ctx, struct mm_struct *mm,
			       struct file *exe)
{
	struct file *cur = get_task_exe_file(ctx->task);
	int err;

	if (cur && file_inode(cur) != file_inode(exe) &&
	    !ckpt_checkpoint_restore_capable(ctx))
		exe = cur;
	err = set_mm_exe_file(mm, exe);
	if (cur)
		fput(cur);
	return err;
}

static int ckpt_stage_mm_fields(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
				const struct ckpt_rec_hdr *h)
{
	struct mm_struct *mm = st->mm;
	struct ckpt_mm *m;
	u64 *auxv;
	unsigned int i;
	int err = -EINVAL;

	m = ckpt_read_payload(ctx, h, sizeof(*m),
			      sizeof(*m) + AT_VECTOR_SIZE * sizeof(u64));
	if (IS_ERR(m))
		return PTR_ERR(m);
	auxv = (u64 *)(m + 1);

	if (st->have_mm || st->last_end ||
	    m->nr_auxv != (h->len - sizeof(*m)) / sizeof(u64) ||
	    m->nr_auxv < 2 || m->nr_auxv % 2 ||
	    auxv[m->nr_auxv - 2] != AT_NULL)
		goto out_free;
	for (i = 0; i < m->nr_auxv; i++)
		if (auxv[i] != (unsigned long)auxv[i])
			goto out_free;
	if (!ckpt_addr_ok(mm, m->start_code) || !ckpt_addr_ok(mm, m->end_code) ||
	    !ckpt_addr_ok(mm, m->start_data) || !ckpt_addr_ok(mm, m->end_data) ||
	    !ckpt_addr_ok(mm, m->start_brk) || !ckpt_addr_ok(mm, m->brk) ||
	    !ckpt_addr_ok(mm, m->start_stack) || !ckpt_addr_ok(mm, m->arg_start) ||
	    !ckpt_addr_ok(mm, m->arg_end) || !ckpt_addr_ok(mm, m->env_start) ||
	    !ckpt_addr_ok(mm, m->env_end) || !ckpt_addr_ok(mm, m->mmap_base) ||
	    m->start_code > m->end_code || m->start_data > m->end_data ||
	    m->start_brk > m->brk || m->arg_start > m->arg_end ||
	    m->env_start > m->env_end || m->mmap_base & ~PAGE_MASK)
		goto out_free;

	if (m->exe_file) {
		struct ckpt_obj *obj = ckpt_obj_find(ctx, m->exe_file);

		if (!obj || obj->rec.type != CKPT_FILE_REG)
			goto out_free;
		err = ckpt_stage_exe_file(ctx, mm, obj->file);
		if (err)
			goto out_free;
	}
	mm->start_code = m->start_code;
	mm->end_code = m->end_code;
	mm->start_data = m->start_data;
	mm->end_data = m->end_data;
	mm->start_brk = m->start_brk;
	mm->brk = m->brk;
	mm->start_stack = m->start_stack;
	mm->arg_start = m->arg_start;
	mm->arg_end = m->arg_end;
	mm->env_start = m->env_start;
	mm->env_end = m->env_end;
	mm->mmap_base = m->mmap_base;
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	for (i = 0; i < m->nr_auxv; i++)
		mm->saved_auxv[i] = auxv[i];
	st->have_mm = true;
	err = 0;
out_free:
	kvfree(m);
	return err;
}

static vm_flags_t ckpt_vm_flags(const struct ckpt_vma *v)
{
	vm_flags_t flags = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	unsigned int i;

	if (v->prot & PROT_READ)
		flags |= VM_READ;
	if (v->prot & PROT_WRITE)
		flags |= VM_WRITE;
	if (v->prot & PROT_EXEC)
		flags |= VM_EXEC;
	for (i = 0; i < ARRAY_SIZE(ckpt_vma_flag_map); i++)
		if (v->flags & ckpt_vma_flag_map[i].ckpt)
			flags |= ckpt_vma_flag_map[i].vm;
	return flags;
}

/* file_mmap_ok() of mm/mmap.c (static there): is the file range mappable? */
static bool ckpt_file_mmap_ok(struct file *file, unsigned long pgoff,
			      unsigned long len)
{
	umode_t mode = file_inode(file)->i_mode;
	u64 maxsize = ULONG_MAX;

	if (S_ISREG(mode) || S_ISBLK(mode) || S_ISSOCK(mode))
		maxsize = MAX_LFS_FILESIZE;
	else if (file->f_mode & FMODE_UNSIGNED_OFFSET)
		maxsize = 0;
	if (maxsize && len > maxsize)
		return false;
	maxsize -= len;
	return pgoff <= maxsize >> PAGE_SHIFT;
}

/*
 * What mmap() and madvise() would say to the mapping the image asks for.
 * @flags comes in as the record has them and leaves as do_mmap() and
 * mmap_region() would have made them; each check names what it mirrors.
 * Then the LSM's checks, for the caller and the process restored.
 */
static int ckpt_mmap_checks(struct ckpt_ctx *ctx, struct ckpt_obj *obj,
			    const struct ckpt_vma *v, vm_flags_t *flags)
{
	struct file *file = obj ? obj->file : NULL;
	bool shared = v->flags & CKPT_VMA_MAYSHARE;
	vm_flags_t vm = *flags;
	int err;

	/* madvise(MADV_WIPEONFORK): private anonymous memory only. */
	if ((vm & VM_WIPEONFORK) && v->type != CKPT_VMA_ANON)
		return -EINVAL;
	/* do_mmap(): no VM_GROWSDOWN on a file or shared anonymous memory. */
	if ((vm & VM_GROWSDOWN) && v->type != CKPT_VMA_ANON)
		return -EINVAL;
	if (file) {
		struct inode *inode = file_inode(file);

		/* do_mmap(): file_mmap_ok(). */
		if (!ckpt_file_mmap_ok(file, v->pgoff, v->end - v->start))
			return -EOVERFLOW;
		if (shared) {
			/* do_mmap(), MAP_SHARED: writable needs FMODE_WRITE... */
			if (v->prot & PROT_WRITE) {
				if (!(file->f_mode & FMODE_WRITE))
					return -EACCES;
				/* ...and no swap file. */
				if (IS_SWAPFILE(file->f_mapping->host))
					return -ETXTBSY;
			}
			/* No writing to an append-only file. */
			if (IS_APPEND(inode) && (file->f_mode & FMODE_WRITE))
				return -EACCES;
			/* Read-only open: never VM_SHARED, nor VM_MAYWRITE. */
			if (!(file->f_mode & FMODE_WRITE))
				vm &= ~(VM_MAYWRITE | VM_SHARED);
			if (!!(vm & VM_SHARED) != !!(v->flags & CKPT_VMA_SHARED))
				return -EINVAL;
		} else if (v->flags & CKPT_VMA_SHARED) {
			return -EINVAL;
		}
		/* do_mmap(), MAP_PRIVATE and MAP_SHARED alike: FMODE_READ. */
		if (!(file->f_mode & FMODE_READ))
			return -EACCES;
		/* do_mmap(): path_noexec(). */
		if (path_noexec(&file->f_path)) {
			if (vm & VM_EXEC)
				return -EPERM;
			vm &= ~VM_MAYEXEC;
		}
		/* do_mmap(): a file without ->mmap(). */
		if (!file->f_op->mmap)
			return -ENODEV;
		/* Not mmap's: a private copy of changed content is wrong. */
		if (!shared && !ckpt_file_unchanged(obj)) {
			pr_info_ratelimited("%s[%d]: a privately mapped file has changed since the checkpoint (size or modification time)\n",
					    current->comm, task_pid_nr(current));
			return -ESTALE;
		}
	}
	/* do_mmap(): MAP_NORESERVE only where overcommit is allowed. */
	if (sysctl_overcommit_memory == OVERCOMMIT_NEVER)
		vm &= ~VM_NORESERVE;
	/*
	 * mmap_region(): accountable_mapping() sets VM_ACCOUNT on private
	 * writable memory; mprotect() sets it too, and never clears it, so
	 * the image's is kept on private memory.  insert_vm_struct() charges
	 * it with security_vm_enough_memory_mm().
	 */
	if (vm & VM_SHARED || shared)
		vm &= ~VM_ACCOUNT;
	else if ((vm & (VM_NORESERVE | VM_WRITE)) == VM_WRITE)
		vm |= VM_ACCOUNT;
	/* mmap_region(): arch_validate_flags(). */
	if (!arch_validate_flags(vm))
		return -EINVAL;
	/* do_mmap(): the LSM, anonymous executable memory included. */
	err = ckpt_mmap_permission(ctx, file, v->prot,
				   shared ? MAP_SHARED : MAP_PRIVATE);
	if (err)
		return err;
	/* get_unmapped_area(): mmap_min_addr. */
	err = security_mmap_addr(v->start);
	if (err)
		return err;
	*flags = vm;
	return 0;
}

static int ckpt_insert_vma(struct mm_struct *mm, const struct ckpt_vma *v,
			   vm_flags_t flags, struct file *file,
			   struct vm_area_struct **out)
{
	unsigned long npages = (v->end - v->start) >> PAGE_SHIFT;
	bool writable = file && is_shared_maywrite(flags);
	struct vm_area_struct *vma;
	int err;

	if (!may_expand_vm(mm, flags, npages) ||
	    mm->map_count >= sysctl_max_map_count)
		return -ENOMEM;
	if (writable) {
		err = mapping_map_writable(file->f_mapping);
		if (err)
			return err;
	}
	err = -ENOMEM;
	vma = vm_area_alloc(mm);
	if (!vma)
		goto out_writable;
	vma->vm_start = v->start;
	vma->vm_end = v->end;
	vma->vm_pgoff = v->pgoff;
	vma->vm_flags = flags;
	vma->vm_page_prot = vm_get_page_prot(flags);

	if (file) {
		vma->vm_file = get_file(file);
		err = call_mmap(file, vma);
		if (!err && (vma->vm_start != v->start || vma->vm_end != v->end ||
			     vma->vm_pgoff != v->pgoff))
			err = -EINVAL;
		if (err) {
			/* As mmap_region(): no close() after a failed mmap(). */
			fput(vma->vm_file);
			vm_area_free(vma);
			goto out_writable;
		}
	} else if (flags & VM_SHARED) {
		err = shmem_zero_setup(vma);
		if (err) {
			vm_area_free(vma);
			goto out_writable;
		}
	} else {
		vma_set_anonymous(vma);
	}

	flags = vma->vm_flags;
	err = insert_vm_struct(mm, vma);
	if (err) {
		if (vma->vm_ops && vma->vm_ops->close)
			vma->vm_ops->close(vma);
		if (vma->vm_file)
			fput(vma->vm_file);
		vm_area_free(vma);
		goto out_writable;
	}
	vm_stat_account(mm, flags, npages);
	vma_set_page_prot(vma);
	if (file)
		uprobe_mmap(vma);
	*out = vma;
out_writable:
	if (writable)
		mapping_unmap_writable(file->f_mapping);
	return err;
}

/*
 * The pages of a private VMA of a snapshot's image (%CKPT_DUMP_SNAPSHOT):
 * those of the VMA over the same range in the copy @held the snapshot
 * keeps, shared copy-on-write, as dup_mmap() shares a parent's with its
 * child.  The copy stays as it is, for the next restore.
 */
static int ckpt_stage_held_pages(struct mm_struct *held,
				 struct vm_area_struct *vma)
{
	struct vm_area_struct *src;
	int err = -EINVAL;

	if (mmap_write_lock_killable(held))
		return -EINTR;
	mmap_write_lock_nested(vma->vm_mm, SINGLE_DEPTH_NESTING);
	src = vma_lookup(held, vma->vm_start);
	if (src && src->vm_start == vma->vm_start &&
	    src->vm_end == vma->vm_end && !src->vm_file == !vma->vm_file &&
	    (!src->vm_file ||
	     file_inode(src->vm_file) == file_inode(vma->vm_file)) &&
	    !(src->vm_flags & VM_MAYSHARE)) {
		err = anon_vma_fork(vma, src) ? -ENOMEM : 0;
		err = err ?: copy_page_range(vma, src);
	}
	mmap_write_unlock(vma->vm_mm);
	mmap_write_unlock(held);
	return err;
}

static int ckpt_stage_vma(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
			  const struct ckpt_rec_hdr *h)
{
	struct mm_struct *mm = st->mm;
	struct ckpt_obj *obj = NULL;
	struct ckpt_vma v;
	vm_flags_t flags;
	int err;

	err = ckpt_read(ctx, &v, sizeof(v));
	if (err || h->len != sizeof(v))
		return ckpt_rec_fail(ctx, h, -EINVAL);
	err = ckpt_read_rec_end(ctx, h);
	if (err)
		return err;

	st->vma = NULL;
	if (!st->have_mm || v.start >= v.end || (v.start | v.end) & ~PAGE_MASK ||
	    v.end > mm->task_size || v.start < st->last_end ||
	    v.prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    v.flags & ~CKPT_VMA_FLAGS || v.pgoff > ULONG_MAX >> PAGE_SHIFT ||
	    v.pgoff + ((v.end - v.start) >> PAGE_SHIFT) < v.pgoff)
		return -EINVAL;
	st->last_end = v.end;

	switch (v.type) {
	case CKPT_VMA_VDSO:
		if (st->vdso_end || v.file || v.flags || v.pgoff)
			return -EINVAL;
		if (v.end - v.start != ckpt_arch_vdso_size())
			return -ENOEXEC;
		st->vdso_start = v.start;
		st->vdso_end = v.end;
		return 0;
	case CKPT_VMA_ANON:
		if (v.file || v.flags & (CKPT_VMA_SHARED | CKPT_VMA_MAYSHARE))
			return -EINVAL;
		break;
	case CKPT_VMA_SHMEM:
		if (v.file || v.pgoff ||
		    (v.flags & (CKPT_VMA_SHARED | CKPT_VMA_MAYSHARE)) !=
		    (CKPT_VMA_SHARED | CKPT_VMA_MAYSHARE))
			return -EINVAL;
		break;
	case CKPT_VMA_FILE:
		obj = ckpt_obj_find(ctx, v.file);
		if (!obj || !obj->file ||
		    (obj->rec.type != CKPT_FILE_REG &&
		     !ckpt_file_in_image(obj->rec.type)))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	flags = ckpt_vm_flags(&v);
	err = ckpt_mmap_checks(ctx, obj, &v, &flags);
	if (err)
		return err;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	err = ckpt_insert_vma(mm, &v, flags, obj ? obj->file : NULL, &st->vma);
	mmap_write_unlock(mm);
	st->vma_type = v.type;
	if (!err && ctx->held_mm && v.type != CKPT_VMA_SHMEM &&
	    !(flags & VM_MAYSHARE))
		err = ckpt_stage_held_pages(ctx->held_mm, st->vma);
	return err;
}

/* A page of the new mm the kernel wrote: as a ptrace write leaves it. */
static void ckpt_page_written(struct page *page)
{
	flush_dcache_page(page);
	set_page_dirty_lock(page);
}

/*
 * Read one page of the image into an executable page of the new mm:
 * through copy_to_user_page(), as ptrace writes do, so that the
 * instruction cache sees it (arm64 without IDC/DIC).  The others are read
 * in place, a batch at a time (ckpt_read_pages()).
 */
static int ckpt_stage_one_page(struct ckpt_ctx *ctx, struct vm_area_struct *vma,
			       struct page *page, unsigned long addr,
			       struct page *bounce)
{
	int err;

	err = ckpt_read_pages(ctx, &bounce, 1);
	if (!err) {
		void *kaddr = kmap_local_page(page);
		void *src = kmap_local_page(bounce);

		copy_to_user_page(vma, page, addr, kaddr, src, PAGE_SIZE);
		kunmap_local(src);
		kunmap_local(kaddr);
	}
	ckpt_page_written(page);
	return err;
}

/* Read @nr pages of a PAGES record into the staged private VMA. */
static int ckpt_stage_private_pages(struct ckpt_ctx *ctx,
				    struct ckpt_mm_stage *st,
				    unsigned long addr, unsigned long nr)
{
	struct page *pages[CKPT_GUP_BATCH];
	struct mm_struct *mm = st->mm;
	struct vm_area_struct *vma = st->vma;
	struct page *bounce = NULL;
	int err = 0;

	if (vma->vm_flags & VM_EXEC) {
		bounce = alloc_page(GFP_KERNEL);
		if (!bounce)
			return -ENOMEM;
	}
	while (nr && !err) {
		long got, i;

		if (mmap_read_lock_killable(mm)) {
			err = -EINTR;
			break;
		}
		got = get_user_pages_remote(mm, addr,
					    min_t(unsigned long, nr, CKPT_GUP_BATCH),
					    FOLL_WRITE | FOLL_FORCE, pages, NULL,
					    NULL);
		mmap_read_unlock(mm);
		if (got <= 0) {
			err = got ? got : -EFAULT;
			break;
		}
		/*
		 * Not under mmap_lock: the image is read from a file, straight
		 * into the pages but for executable ones.
		 */
		if (!bounce)
			err = ckpt_read_pages(ctx, pages, got);
		for (i = 0; i < got; i++) {
			if (bounce && !err)
				err = ckpt_stage_one_page(ctx, vma, pages[i],
							  addr + i * PAGE_SIZE,
							  bounce);
			else
				ckpt_page_written(pages[i]);
			put_page(pages[i]);
		}
		ckpt_stage_charge(st, got);
		addr += got * PAGE_SIZE;
		nr -= got;
	}
	if (bounce)
		__free_page(bounce);
	return err;
}

static int ckpt_stage_shmem_pages(struct ckpt_ctx *ctx,
				  struct vm_area_struct *vma,
				  unsigned long addr, unsigned long nr)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

	for (; nr; nr--, index++) {
		struct page *page = shmem_read_mapping_page(mapping, index);
		int err;

		if (IS_ERR(page))
			return PTR_ERR(page);
		err = ckpt_read_pages(ctx, &page, 1);
		ckpt_page_written(page);
		put_page(page);
		if (err)
			return err;
	}
	return 0;
}

static int ckpt_stage_pages(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
			    const struct ckpt_rec_hdr *h)
{
	struct vm_area_struct *vma = st->vma;
	struct ckpt_pages p;
	unsigned long len;
	int err;

	err = ckpt_read(ctx, &p, sizeof(p));
	if (err == -EINVAL)	/* shorter than struct ckpt_pages */
		return ckpt_rec_fail(ctx, h, err);
	if (err)
		return err;
	len = (unsigned long)p.nr_pages * PAGE_SIZE;
	if (!vma || !p.nr_pages || p.nr_pages > h->len / PAGE_SIZE ||
	    h->len != sizeof(p) + len || p.addr & ~PAGE_MASK ||
	    p.addr < vma->vm_start || p.addr > vma->vm_end ||
	    len > vma->vm_end - p.addr ||
	    (st->vma_type == CKPT_VMA_FILE && (vma->vm_flags & VM_MAYSHARE)) ||
	    (ctx->held_mm && st->vma_type != CKPT_VMA_SHMEM))
		return ckpt_rec_fail(ctx, h, -EINVAL);
	err = ckpt_read_pages_begin(ctx, p.hash_type);
	if (err)
		return ckpt_rec_fail(ctx, h, err);

	if (st->vma_type == CKPT_VMA_SHMEM) {
		err = ckpt_stage_shmem_pages(ctx, vma, p.addr, p.nr_pages);
		if (!err)
			ckpt_stage_charge(st, p.nr_pages);
	} else {
		err = ckpt_stage_private_pages(ctx, st, p.addr, p.nr_pages);
	}
	/*
	 * A page that cannot be faulted in (a private file page beyond the end
	 * of the file) cannot have been dumped: the image is wrong.
	 */
	if (err == -EFAULT)
		err = -EINVAL;
	if (err)
		return err == -EINVAL ? ckpt_rec_fail(ctx, h, err) : err;
	/* the CRC covers the record to @hash, the hash the pages */
	err = ckpt_read_rec_end(ctx, h);
	if (!err && !ckpt_read_pages_end(ctx, p.hash))
		err = -EBADMSG;
	return err;
}

/* Bit @i of a BASE_PAGES record's bitmap. */
static bool ckpt_base_bit(const u64 *bits, unsigned long i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

/*
 * Read @nr pages of a base image at *@pos into the staged anonymous VMA
 * from @addr on; through @bounce for an executable one (as
 * ckpt_stage_one_page()).
 */
static int ckpt_stage_base_run(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
			       struct file *file, loff_t *pos, unsigned long addr,
			       unsigned long nr, struct ckpt_pages_hash *x,
			       struct page *bounce)
{
	struct vm_area_struct *vma = st->vma;
	struct page *pages[CKPT_GUP_BATCH];
	long got, i;
	int err = 0;

	if (mmap_read_lock_killable(st->mm))
		return -EINTR;
	got = get_user_pages_remote(st->mm, addr, nr, FOLL_WRITE | FOLL_FORCE,
				    pages, NULL, NULL);
	mmap_read_unlock(st->mm);
	if (got <= 0)
		return got ? got : -EFAULT;
	if (!(vma->vm_flags & VM_EXEC))
		err = ckpt_read_base_pages(ctx, file, pos, pages, got, x);
	for (i = 0; i < got; i++) {
		if (vma->vm_flags & VM_EXEC && !err) {
			err = ckpt_read_base_pages(ctx, file, pos, &bounce, 1,
						   x);
			if (!err) {
				void *kaddr = kmap_local_page(pages[i]);
				void *src = kmap_local_page(bounce);

				copy_to_user_page(vma, pages[i],
						  addr + i * PAGE_SIZE, kaddr,
						  src, PAGE_SIZE);
				kunmap_local(src);
				kunmap_local(kaddr);
			}
		}
		ckpt_page_written(pages[i]);
		put_page(pages[i]);
	}
	ckpt_stage_charge(st, got);
	if (!err && got < nr)
		err = -EFAULT;
	return err;
}

/*
 * A BASE_PAGES record: of a PAGES record of the base image, read from
 * there (the FILE record it names opened it), the pages whose bits are
 * set go into the staged anonymous VMA; all are read, for its hash.  The
 * VMA's other pages come from this image's PAGES records after it, or
 * are zero.  A base record unlike the one the diff was made against is
 * -ESTALE, page bytes unlike their hash -EBADMSG.
 */
static int ckpt_stage_base_pages(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
				 const struct ckpt_rec_hdr *h)
{
	struct {
		struct ckpt_rec_hdr h;
		struct ckpt_pages p;
	} base;
	u64 bits[DIV_ROUND_UP(CKPT_PAGES_PER_REC, 64)];
	struct vm_area_struct *vma = st->vma;
	struct page *scratch = NULL;
	struct ckpt_pages_hash x;
	struct ckpt_base_pages b;
	struct ckpt_obj *obj;
	unsigned long len, i, n;
	loff_t pos;
	ssize_t k;
	int err;

	err = ckpt_read(ctx, &b, sizeof(b));
	if (!err && (!b.nr_pages || b.nr_pages > CKPT_PAGES_PER_REC ||
		     h->len != sizeof(b) + DIV_ROUND_UP(b.nr_pages, 64) * 8))
		err = -EINVAL;
	if (!err)
		err = ckpt_read(ctx, bits, h->len - sizeof(b));
	if (err == -EINVAL)
		return ckpt_rec_fail(ctx, h, err);
	err = err ?: ckpt_read_rec_end(ctx, h);
	if (err)
		return err;
	len = (unsigned long)b.nr_pages * PAGE_SIZE;
	if (!ctx->diff || !vma || st->vma_type != CKPT_VMA_ANON || b.pad ||
	    b.addr & ~PAGE_MASK || b.addr < vma->vm_start ||
	    b.addr > vma->vm_end || len > vma->vm_end - b.addr ||
	    (b.nr_pages % 64 && bits[b.nr_pages / 64] >> (b.nr_pages % 64)))
		return -EINVAL;
	obj = ckpt_obj_find(ctx, b.file);
	if (!obj || !obj->file || obj->rec.type != CKPT_FILE_REG ||
	    !(obj->file->f_mode & FMODE_READ))
		return -EINVAL;
	/* as a private file mapping: another base, even if it would do */
	if (!ckpt_file_unchanged(obj)) {
		pr_info_ratelimited("%s[%d]: the base image has changed since the diff (size or modification time)\n",
				    current->comm, task_pid_nr(current));
		return -ESTALE;
	}
	err = ckpt_pages_hash_begin(&x, b.hash_type);
	if (err)
		return err;

	pos = b.offset;
	k = kernel_read(obj->file, &base, sizeof(base), &pos);
	if (k < 0)
		return k;
	if (k != sizeof(base) || base.h.type != CKPT_REC_PAGES ||
	    base.h.len != sizeof(base.p) + len || base.p.addr != b.addr ||
	    base.p.nr_pages != b.nr_pages ||
	    base.p.hash_type != b.hash_type || base.p.hash != b.hash)
		return -ESTALE;
	scratch = alloc_page(GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	for (i = 0; i < b.nr_pages && !err; i += n) {
		n = 1;
		if (!ckpt_base_bit(bits, i)) {	/* written since: not this one */
			err = ckpt_read_base_pages(ctx, obj->file, &pos,
						   &scratch, 1, &x);
			continue;
		}
		while (i + n < b.nr_pages && ckpt_base_bit(bits, i + n) &&
		       n < CKPT_GUP_BATCH)
			n++;
		err = ckpt_stage_base_run(ctx, st, obj->file, &pos,
					  b.addr + i * PAGE_SIZE, n, &x,
					  scratch);
	}
	__free_page(scratch);
	if (!err && ckpt_pages_hash_end(&x) != b.hash)
		err = -EBADMSG;
	return err;
}

/**
 * ckpt_stage_mm_rec - take an address space record into the new mm
 * @ctx: the context
 * @st: the stage
 * @h: the record's header (CKPT_REC_MM, CKPT_REC_VMA, CKPT_REC_PAGES or
 *	CKPT_REC_BASE_PAGES)
 *
 * Context: process context, no locks held.
 * Return: 0; -EBADMSG for a damaged record or base image; -EINVAL for a
 * malformed one; -ESTALE for a base image unlike the diff's; -ENOEXEC for
 * a vDSO unlike this kernel's; the errors of mmap() for a mapping that
 * cannot be made, or of reading the base image; -ENOMEM.
 */
int ckpt_stage_mm_rec(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st,
		      const struct ckpt_rec_hdr *h)
{
	u64 t = ckpt_phase_begin(ctx);
	int err;

	switch (h->type) {
	case CKPT_REC_MM:
		err = ckpt_stage_mm_fields(ctx, st, h);
		break;
	case CKPT_REC_VMA:
		err = ckpt_stage_vma(ctx, st, h);
		break;
	case CKPT_REC_PAGES:
		err = ckpt_stage_pages(ctx, st, h);
		break;
	case CKPT_REC_BASE_PAGES:
		err = ckpt_stage_base_pages(ctx, st, h);
		break;
	default:
		err = ckpt_rec_fail(ctx, h, -EINVAL);
		break;
	}
	ckpt_phase_end(ctx, &ctx->times.mm, t);
	return err;
}

/*
 * Can the vDSO go where the image has it?  What get_unmapped_area() checks
 * of the hint the arch's vDSO mapping passes it, so that mapping it after
 * the point of no return does not fail or land elsewhere.
 */
static int ckpt_check_vdso_place(struct ckpt_mm_stage *st)
{
	unsigned long start = st->vdso_start, end = st->vdso_end;
	struct vm_area_struct *next, *prev;
	int err;

	err = security_mmap_addr(start);
	if (err)
		return err;
	if (end > TASK_SIZE || start < mmap_min_addr)
		return -EINVAL;
	if (mmap_read_lock_killable(st->mm))
		return -EINTR;
	next = find_vma_prev(st->mm, start, &prev);
	if ((next && end > vm_start_gap(next)) ||
	    (prev && start < vm_end_gap(prev)))
		err = -EINVAL;
	mmap_read_unlock(st->mm);
	return err;
}

/**
 * ckpt_stage_mm_finish - check the new mm is complete
 * @ctx: the context
 * @st: the stage
 *
 * Return: 0; -EINVAL if the image had no MM record or its vDSO overlaps a
 * mapping or its guard gap; the LSM's error for a vDSO below mmap_min_addr.
 */
int ckpt_stage_mm_finish(struct ckpt_ctx *ctx, struct ckpt_mm_stage *st)
{
	if (!st->have_mm)
		return -EINVAL;
	if (st->vdso_end)
		return ckpt_check_vdso_place(st);
	return 0;
}

/**
 * ckpt_commit_mm - make the new mm the caller's
 * @st: the stage; its mm now belongs to the caller
 *
 * This is the exec_mmap() of execve().  The new mm takes the dumpability
 * and the other MMF_INIT_MASK flags of the one it replaces, as they are
 * now: a process made undumpable since it was staged stays so.
 *
 * Context: process context, the caller is single-threaded.  On success,
 * returns with current->signal->exec_update_lock held for writing.
 * Return: 0, or -EINTR for a fatal signal (the caller then cannot go on).
 */
int ckpt_commit_mm(struct ckpt_mm_stage *st)
{
	struct mm_struct *mm = st->mm;
	struct linux_binfmt *binfmt = current->mm->binfmt;
	unsigned long flags = READ_ONCE(current->mm->flags) & MMF_INIT_MASK;
	int err;

	mm->flags = (mm->flags & ~MMF_INIT_MASK) | flags;
	/* In the caller's own restore: before its mm goes, as acct_arg_size(). */
	ckpt_stage_uncharge(st);
#ifdef CONFIG_MEMCG
	/* mm_alloc() made the restorer its owner. */
	WRITE_ONCE(mm->owner, current);
#endif
	err = exec_mmap(mm);
	if (err)
		return err;
	st->mm = NULL;
	set_binfmt(binfmt);
	return 0;
}

/**
 * ckpt_commit_vdso - map the vDSO where the image has it
 * @st: the stage, committed
 *
 * Its place was checked when staged, as get_unmapped_area() checks a hint.
 *
 * Context: process context, after ckpt_commit_mm().
 * Return: 0, or -errno (the caller cannot go on).
 */
int ckpt_commit_vdso(struct ckpt_mm_stage *st)
{
	if (!st->vdso_end)
		return 0;
	return ckpt_arch_map_vdso(st->vdso_start);
}
