// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: arm64 user registers, FP/SIMD state, TLS and vDSO.
 *
 * The general registers are the task's user_pt_regs, checked on restore by
 * valid_user_regs() as ptrace and sigreturn check them.  The FP/SIMD state
 * goes through fpsimd_preserve_current_state() and
 * fpsimd_update_current_state(), the helpers of signal delivery and return.
 * SVE, SME, MTE, pointer authentication and the tagged address ABI are
 * refused until they are supported.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpsimd.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <asm/vdso.h>

#include "internal.h"

/* The A64 encoding of svc #0, which makes a system call. */
#define CKPT_ARM64_SVC0		0xd4000001

const u16 ckpt_arch_machine = EM_AARCH64;

/**
 * ckpt_arch_check_task - is the task's arch state one the image can hold?
 * @t: the task (current)
 *
 * Return: 0, or -EOPNOTSUPP naming what is not supported.
 */
int ckpt_arch_check_task(struct task_struct *t)
{
	if (test_tsk_thread_flag(t, TIF_32BIT))
		return ckpt_refuse_task(t, "a 32-bit task");
	if (test_tsk_thread_flag(t, TIF_SVE) || test_tsk_thread_flag(t, TIF_SME))
		return ckpt_refuse_task(t, "SVE or SME state");
	if (test_tsk_thread_flag(t, TIF_TAGGED_ADDR))
		return ckpt_refuse_task(t, "the tagged address ABI");
	if (system_supports_address_auth() || system_supports_generic_auth())
		return ckpt_refuse_task(t, "pointer authentication keys");
	if (system_supports_mte())
		return ckpt_refuse_task(t, "on a CPU with MTE");
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
 * arm64's do_signal() has already forgotten the call when get_signal()
 * runs the park: the call is recognised by the svc #0 before the pc, and
 * rewound as do_signal() rewinds -ERESTARTNOHAND.
 *
 * Context: the parked task, in get_signal(), with no signal pending.
 */
void ckpt_arch_park_eintr(void)
{
	struct pt_regs *regs = current_pt_regs();
	u32 insn;

	if (regs->regs[0] != -EINTR || compat_user_mode(regs) ||
	    get_user(insn, (u32 __user *)(regs->pc - 4)) ||
	    le32_to_cpu(insn) != CKPT_ARM64_SVC0)
		return;
	regs->regs[0] = regs->orig_x0;
	regs->pc -= 4;
}

/**
 * ckpt_arch_regs_size - the bytes of this machine's REGS payload
 */
size_t ckpt_arch_regs_size(void)
{
	return sizeof(struct ckpt_regs_arm64);
}

/**
 * ckpt_arch_dump_regs - write the REGS record of the current task
 * @ctx: the context
 * @in_dump: the task is in its own ckpt_dump() call, else parked
 *
 * In its own ckpt_dump() call the recorded x0 is %CKPT_RESTORED.  A parked
 * task interrupted in a restartable system call is recorded about to enter
 * it again; do_signal() has already rewound it if it parked in get_signal().
 *
 * Return: 0 or -errno.
 */
int ckpt_arch_dump_regs(struct ckpt_ctx *ctx, bool in_dump)
{
	struct pt_regs *regs = current_pt_regs();
	struct user_fpsimd_state *fp = &current->thread.uw.fpsimd_state;
	struct ckpt_regs_arm64 *r;
	int i;

	BUILD_BUG_ON(sizeof(*r) != 800);
	r = ckpt_rec_begin(ctx, CKPT_REC_REGS, sizeof(*r));
	if (IS_ERR(r))
		return PTR_ERR(r);
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 31; i++)
		r->regs[i] = regs->regs[i];
	r->sp = regs->sp;
	r->pc = regs->pc;
	if (in_dump) {
		r->regs[0] = CKPT_RESTORED;
	} else if (in_syscall(regs) && ckpt_restart_errno(regs->regs[0])) {
		r->regs[0] = regs->orig_x0;
		r->pc -= 4;	/* the svc #0 */
	}
	r->pstate = regs->pstate;
	r->tpidr_el0 = read_sysreg(tpidr_el0);

	fpsimd_preserve_current_state();
	for (i = 0; i < 32; i++) {
		r->vregs[2 * i] = (u64)fp->vregs[i];
		r->vregs[2 * i + 1] = (u64)(fp->vregs[i] >> 64);
	}
	r->fpsr = fp->fpsr;
	r->fpcr = fp->fpcr;
	ckpt_rec_end(ctx, sizeof(*r));
	return 0;
}

static void ckpt_to_user_pt_regs(const struct ckpt_regs_arm64 *r,
				 struct user_pt_regs *u)
{
	int i;

	for (i = 0; i < 31; i++)
		u->regs[i] = r->regs[i];
	u->sp = r->sp;
	u->pc = r->pc;
	u->pstate = r->pstate;
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
	const struct ckpt_regs_arm64 *r = regs;
	struct user_pt_regs u;

	if (len != sizeof(*r))
		return -EINVAL;
	ckpt_to_user_pt_regs(r, &u);
	if (!valid_user_regs(&u, current) || u.pstate != r->pstate)
		return -EINVAL;
	return 0;
}

/**
 * ckpt_arch_restore_regs - load the registers of a checked REGS record
 * @regs: the payload
 * @len: its length
 *
 * Context: the current task, after the point of no return.
 * Return: the restored x0, which the syscall return leaves in place.
 */
long ckpt_arch_restore_regs(const void *regs, size_t len)
{
	const struct ckpt_regs_arm64 *r = regs;
	struct pt_regs *pt = current_pt_regs();
	struct user_fpsimd_state fp = { };
	int i;

	ckpt_to_user_pt_regs(r, &pt->user_regs);
	valid_user_regs(&pt->user_regs, current);
	forget_syscall(pt);

	preempt_disable();
	current->thread.uw.tp_value = r->tpidr_el0;
	write_sysreg(r->tpidr_el0, tpidr_el0);
	preempt_enable();

	for (i = 0; i < 32; i++)
		fp.vregs[i] = (__uint128_t)r->vregs[2 * i + 1] << 64 |
			      r->vregs[2 * i];
	fp.fpsr = r->fpsr;
	fp.fpcr = r->fpcr;
	fpsimd_update_current_state(&fp);
	return pt->regs[0];
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
	unsigned long text = (unsigned long)mm->context.vdso;

	if (!text)
		return false;
	*start = text - __VVAR_PAGES * PAGE_SIZE;
	*end = *start + ckpt_arch_vdso_size();
	return true;
}
