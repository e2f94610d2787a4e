// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: x86_64 user registers, FPU state, TLS and vDSO.
 *
 * The general registers come from the task's pt_regs; the FS and GS bases
 * are the TLS.  The FPU state is the standard-format XSAVE buffer that
 * PTRACE_GETREGSET gives for NT_X86_XSTATE, so the image holds exactly what
 * a debugger sees, and restoring it goes through the same validation.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/regset.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/regset.h>
#include <asm/fpu/xstate.h>
#include <asm/fsgsbase.h>
#include <asm/prctl.h>
#include <asm/proto.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include <asm/sighandling.h>
#include <asm/vdso.h>

#include "internal.h"

const u16 ckpt_arch_machine = EM_X86_64;

/**
 * ckpt_arch_check_task - is the task's arch state one the image can hold?
 * @t: the task (current)
 *
 * Return: 0, or -EOPNOTSUPP naming what is not supported.
 */
int ckpt_arch_check_task(struct task_struct *t)
{
	unsigned short sel;
	int i;

	if (!user_64bit_mode(task_pt_regs(t)) || test_tsk_thread_flag(t, TIF_ADDR32))
		return ckpt_refuse_task(t, "a 32-bit task");
	if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		return ckpt_refuse_task(t, "FPU state on a CPU without XSAVE");
	savesegment(fs, sel);
	if (sel)
		return ckpt_refuse_task(t, "a nonzero FS selector");
	savesegment(gs, sel);
	if (sel)
		return ckpt_refuse_task(t, "a nonzero GS selector");
	/* exec's flush_thread() drops AMX permission: so would a restore. */
	if (t->thread.fpu.fpstate->user_xfeatures & XFEATURE_MASK_USER_DYNAMIC)
		return ckpt_refuse_task(t, "dynamically enabled FPU state (AMX)");
	for (i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++)
		if (!desc_empty(&t->thread.tls_array[i]))
			return ckpt_refuse_task(t, "TLS descriptors (set_thread_area)");
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	if (t->mm->context.ldt)
		return ckpt_refuse_task(t, "a local descriptor table (modify_ldt)");
#endif
	return 0;
}

/**
 * ckpt_arch_park_eintr - restart a call the park made fail with -EINTR
 *
 * The park is sent with TWA_SIGNAL, whose TIF_NOTIFY_SIGNAL makes
 * signal_pending() true: epoll_wait(), sigtimedwait() and the other calls
 * that return -EINTR rather than -ERESTART* then fail with no signal.
 * With no signal pending, such a call is turned back into one the kernel
 * restarts (-ERESTARTNOHAND: a handler that comes still gets -EINTR).
 *
 * Context: the parked task, in get_signal(), with no signal pending.
 */
void ckpt_arch_park_eintr(void)
{
	struct pt_regs *regs = current_pt_regs();

	if ((long)regs->orig_ax >= 0 && regs->ax == -EINTR)
		regs->ax = -ERESTARTNOHAND;
}

/**
 * ckpt_arch_regs_size - the bytes of this machine's REGS payload
 */
size_t ckpt_arch_regs_size(void)
{
	return sizeof(struct ckpt_regs_x86_64) + fpu_user_cfg.max_size;
}

/**
 * ckpt_arch_dump_regs - write the REGS record of the current task
 * @ctx: the context
 * @in_dump: the task is in its own ckpt_dump() call, else parked
 *
 * In its own ckpt_dump() call the recorded return value is %CKPT_RESTORED.
 * A parked task interrupted in a restartable system call is recorded about
 * to enter it again, as the kernel restarts it when no handler runs.
 * The image never holds a system call in progress.
 *
 * Return: 0 or -errno.
 */
int ckpt_arch_dump_regs(struct ckpt_ctx *ctx, bool in_dump)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned int xsize = fpu_user_cfg.max_size;
	struct ckpt_regs_x86_64 *r;
	unsigned short ds, es;

	r = ckpt_rec_begin(ctx, CKPT_REC_REGS, sizeof(*r) + xsize);
	if (IS_ERR(r))
		return PTR_ERR(r);
	memset(r, 0, sizeof(*r));
	r->r15 = regs->r15;
	r->r14 = regs->r14;
	r->r13 = regs->r13;
	r->r12 = regs->r12;
	r->bp = regs->bp;
	r->bx = regs->bx;
	r->r11 = regs->r11;
	r->r10 = regs->r10;
	r->r9 = regs->r9;
	r->r8 = regs->r8;
	r->ax = regs->ax;
	r->cx = regs->cx;
	r->dx = regs->dx;
	r->si = regs->si;
	r->di = regs->di;
	r->orig_ax = -1;
	r->ip = regs->ip;
	if (in_dump) {
		r->ax = CKPT_RESTORED;
	} else if ((long)regs->orig_ax >= 0 && ckpt_restart_errno(regs->ax)) {
		r->ax = regs->orig_ax;
		r->ip -= 2;
	}
	r->cs = regs->cs;
	r->flags = regs->flags;
	r->sp = regs->sp;
	r->ss = regs->ss;
	r->fs_base = x86_fsbase_read_task(current);
	r->gs_base = x86_gsbase_read_task(current);
	savesegment(ds, ds);
	savesegment(es, es);
	r->ds = ds;
	r->es = es;
	r->xstate_size = xsize;
	xstateregs_get(current, NULL, (struct membuf){ .p = r + 1, .left = xsize });
	ckpt_rec_end(ctx, sizeof(*r) + xsize);
	return 0;
}

/* The xfeatures of a standard-format XSAVE buffer's header. */
static u64 ckpt_xstate_features(const void *xsave)
{
	const struct xregs_state *x = xsave;

	return x->header.xfeatures;
}

/**
 * ckpt_arch_check_regs - check a REGS record before the point of no return
 * @regs: the payload
 * @len: its length
 *
 * Return: 0, or -EINVAL for registers the task could not run with.
 */
int ckpt_arch_check_regs(const void *regs, size_t len)
{
	const struct ckpt_regs_x86_64 *r = regs;

	if (len < sizeof(*r) || r->pad || r->xstate_size != len - sizeof(*r) ||
	    r->xstate_size != fpu_user_cfg.max_size)
		return -EINVAL;
	/*
	 * The committing task's fpstate is reset by flush_thread() to the
	 * default features, whoever checks here: only those may be set.
	 */
	if (ckpt_xstate_features(r + 1) & ~fpu_user_cfg.default_features)
		return -EINVAL;
	if (r->cs != __USER_CS || r->ss != __USER_DS ||
	    (r->ds && r->ds != __USER_DS) || (r->es && r->es != __USER_DS) ||
	    r->fs || r->gs || r->ip >= TASK_SIZE_MAX ||
	    r->fs_base >= TASK_SIZE_MAX || r->gs_base >= TASK_SIZE_MAX)
		return -EINVAL;
	return fpu_ckpt_set_uabi_xstate(r + 1, true);
}

/**
 * ckpt_arch_restore_regs - load the registers of a checked REGS record
 * @regs: the payload
 * @len: its length
 *
 * Context: the current task, after the point of no return.
 * Return: the restored value of the return register.
 */
long ckpt_arch_restore_regs(const void *regs, size_t len)
{
	const struct ckpt_regs_x86_64 *r = regs;
	struct pt_regs *pt = current_pt_regs();

	pt->r15 = r->r15;
	pt->r14 = r->r14;
	pt->r13 = r->r13;
	pt->r12 = r->r12;
	pt->bp = r->bp;
	pt->bx = r->bx;
	pt->r11 = r->r11;
	pt->r10 = r->r10;
	pt->r9 = r->r9;
	pt->r8 = r->r8;
	pt->ax = r->ax;
	pt->cx = r->cx;
	pt->dx = r->dx;
	pt->si = r->si;
	pt->di = r->di;
	pt->orig_ax = -1;	/* no syscall restart for ckpt_restore() */
	pt->ip = r->ip;
	pt->cs = __USER_CS;
	pt->flags = (pt->flags & ~FIX_EFLAGS) | (r->flags & FIX_EFLAGS);
	pt->sp = r->sp;
	pt->ss = __USER_DS;
	do_arch_prctl_64(current, ARCH_SET_FS, r->fs_base);
	do_arch_prctl_64(current, ARCH_SET_GS, r->gs_base);
	/* Checked before the point of no return: it cannot fail now. */
	fpu_ckpt_set_uabi_xstate(r + 1, false);
	return r->ax;
}

/**
 * ckpt_arch_vdso_range - where the vDSO and its data pages are mapped
 * @mm: the address space; mmap_lock held
 * @start: set to the start of the data pages
 * @end: set to the end of the vDSO text
 *
 * Return: true if @mm has a vDSO.
 */
bool ckpt_arch_vdso_range(struct mm_struct *mm, unsigned long *start,
			  unsigned long *end)
{
	const struct vdso_image *image = mm->context.vdso_image;
	unsigned long text = (unsigned long)mm->context.vdso;

	if (!image || !text)
		return false;
	*start = text + image->sym_vvar_start;
	*end = text + image->size;
	return true;
}

/**
 * ckpt_arch_vdso_size - bytes of this kernel's 64-bit vDSO mapping
 */
unsigned long ckpt_arch_vdso_size(void)
{
	return vdso_image_64.size - vdso_image_64.sym_vvar_start;
}

/**
 * ckpt_arch_map_vdso - map the vDSO into the current task at @start
 * @start: where its data pages start, as at the checkpoint
 *
 * Return: 0, or -errno if it could not be mapped exactly there.
 */
int ckpt_arch_map_vdso(unsigned long start)
{
	int err = map_vdso_once(&vdso_image_64, start);

	if (err)
		return err;
	if ((unsigned long)current->mm->context.vdso !=
	    start - vdso_image_64.sym_vvar_start)
		return -EBUSY;
	return 0;
}
