// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt: m68k user registers, FPU state and TLS.
 *
 * In a system call the user's d0-d5, a0-a2, sr and pc are in pt_regs and,
 * because the syscall table routes ckpt_dump() and ckpt_restore() through
 * stubs in entry.S that save a switch stack, d6, d7 and a3-a6 are right
 * below it, as in ptrace's get_reg().  The user stack pointer is in usp and
 * the FPU registers are still live in the FPU: they are read and written as
 * signal delivery does.  m68k has no vDSO.
 */
#define pr_fmt(fmt) "ckpt: " fmt

#include <linux/elf.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/fpu.h>
#include <asm/ptrace.h>
#include <asm/setup.h>
#include <asm/traps.h>

#include "internal.h"

const u16 ckpt_arch_machine = EM_68K;

/* The status register bits a user may set: the condition codes. */
#define CKPT_M68K_SR_USER	0x001f

asmlinkage long m68k_ckpt_dump(struct pt_regs *regs)
{
	return ckpt_do_dump(regs->d1, regs->d2, regs->d3,
			    (const struct ckpt_dump_args __user *)regs->d4,
			    regs->d5);
}

asmlinkage long m68k_ckpt_restore(struct pt_regs *regs)
{
	return ckpt_do_restore(regs->d1, regs->d2, regs->d3);
}

static struct switch_stack *ckpt_switch_stack(struct pt_regs *regs)
{
	return (struct switch_stack *)regs - 1;
}

/**
 * ckpt_arch_check_task - is the task's arch state one the image can hold?
 * @t: the task (current)
 *
 * Return: 0: every m68k task is.
 */
int ckpt_arch_check_task(struct task_struct *t)
{
	return 0;
}

static void ckpt_save_fpu(struct ckpt_regs_m68k *r)
{
#ifdef CONFIG_FPU
	unsigned char fpstate[FPSTATESIZE];

	if (FPU_IS_EMU) {
		memcpy(r->fp, current->thread.fp, sizeof(r->fp));
		r->fpcr = current->thread.fpcntl[0];
		r->fpsr = current->thread.fpcntl[1];
		r->fpiar = current->thread.fpcntl[2];
		return;
	}
	/* Save the internal state, read the registers, put the state back. */
	__asm__ volatile (".chip 68k/68881\n\t"
			  "fsave %0\n\t"
			  "fmovemx %%fp0-%%fp7,%1\n\t"
			  "fmoveml %%fpcr,%2\n\t"
			  "fmoveml %%fpsr,%3\n\t"
			  "fmoveml %%fpiar,%4\n\t"
			  "frestore %0\n\t"
			  ".chip 68k"
			  : "+m" (fpstate), "=m" (r->fp), "=m" (r->fpcr),
			    "=m" (r->fpsr), "=m" (r->fpiar)
			  : : "memory");
#endif
}

static void ckpt_load_fpu(const struct ckpt_regs_m68k *r)
{
#ifdef CONFIG_FPU
	if (FPU_IS_EMU) {
		memcpy(current->thread.fp, r->fp, sizeof(r->fp));
		current->thread.fpcntl[0] = r->fpcr;
		current->thread.fpcntl[1] = r->fpsr;
		current->thread.fpcntl[2] = r->fpiar;
		return;
	}
	/* flush_thread() has reset the FPU to its null state. */
	__asm__ volatile (".chip 68k/68881\n\t"
			  "fmovemx %0,%%fp0-%%fp7\n\t"
			  "fmoveml %1,%%fpcr\n\t"
			  "fmoveml %2,%%fpsr\n\t"
			  "fmoveml %3,%%fpiar\n\t"
			  ".chip 68k"
			  : : "m" (r->fp), "m" (r->fpcr), "m" (r->fpsr),
			      "m" (r->fpiar));
#endif
}

/**
 * ckpt_arch_dump_regs - write the REGS record of the current task
 * @ctx: the context
 * @in_dump: the task is in its own ckpt_dump() call, else parked
 *
 * In its own ckpt_dump() call the recorded d0 is %CKPT_RESTORED.  A parked
 * task interrupted in a restartable system call is recorded about to
 * execute its trap #0 again, as the kernel restarts it when no handler runs.
 *
 * Return: 0 or -errno.
 */
int ckpt_arch_dump_regs(struct ckpt_ctx *ctx, bool in_dump)
{
	struct pt_regs *regs = current_pt_regs();
	struct switch_stack *sw = ckpt_switch_stack(regs);
	struct ckpt_regs_m68k *r;

	BUILD_BUG_ON(sizeof(*r) != 184);
	r = ckpt_rec_begin(ctx, CKPT_REC_REGS, sizeof(*r));
	if (IS_ERR(r))
		return PTR_ERR(r);
	memset(r, 0, sizeof(*r));
	r->d[0] = regs->d0;
	r->d[1] = regs->d1;
	r->d[2] = regs->d2;
	r->d[3] = regs->d3;
	r->d[4] = regs->d4;
	r->d[5] = regs->d5;
	r->d[6] = sw->d6;
	r->d[7] = sw->d7;
	r->a[0] = regs->a0;
	r->a[1] = regs->a1;
	r->a[2] = regs->a2;
	r->a[3] = sw->a3;
	r->a[4] = sw->a4;
	r->a[5] = sw->a5;
	r->a[6] = sw->a6;
	r->a[7] = rdusp();
	r->pc = regs->pc;
	if (in_dump) {
		r->d[0] = CKPT_RESTORED;
	} else if (regs->orig_d0 >= 0 && ckpt_restart_errno(regs->d0)) {
		r->d[0] = regs->orig_d0;
		r->pc -= 2;
	}
	r->sr = regs->sr & CKPT_M68K_SR_USER;
	r->tls = task_thread_info(current)->tp_value;
	ckpt_save_fpu(r);
	ckpt_rec_end(ctx, sizeof(*r));
	return 0;
}

/**
 * ckpt_arch_regs_size - the bytes of this machine's REGS payload
 */
size_t ckpt_arch_regs_size(void)
{
	return sizeof(struct ckpt_regs_m68k);
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

	if (regs->orig_d0 >= 0 && regs->d0 == -EINTR)
		regs->d0 = -ERESTARTNOHAND;
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
	const struct ckpt_regs_m68k *r = regs;

	if (len != sizeof(*r) || r->sr & ~CKPT_M68K_SR_USER)
		return -EINVAL;
	return 0;
}

/**
 * ckpt_arch_restore_regs - load the registers of a checked REGS record
 * @regs: the payload
 * @len: its length
 *
 * The switch stack is reloaded by the entry stub on the way out.
 *
 * Context: the current task, after the point of no return.
 * Return: the restored d0.
 */
long ckpt_arch_restore_regs(const void *regs, size_t len)
{
	const struct ckpt_regs_m68k *r = regs;
	struct pt_regs *pt = current_pt_regs();
	struct switch_stack *sw = ckpt_switch_stack(pt);

	pt->d1 = r->d[1];
	pt->d2 = r->d[2];
	pt->d3 = r->d[3];
	pt->d4 = r->d[4];
	pt->d5 = r->d[5];
	sw->d6 = r->d[6];
	sw->d7 = r->d[7];
	pt->a0 = r->a[0];
	pt->a1 = r->a[1];
	pt->a2 = r->a[2];
	sw->a3 = r->a[3];
	sw->a4 = r->a[4];
	sw->a5 = r->a[5];
	sw->a6 = r->a[6];
	wrusp(r->a[7]);
	pt->pc = r->pc;
	pt->sr = (pt->sr & ~CKPT_M68K_SR_USER) | r->sr;
	pt->d0 = r->d[0];
	pt->orig_d0 = -1;	/* no syscall restart for ckpt_restore() */
	task_thread_info(current)->tp_value = r->tls;
	ckpt_load_fpu(r);
	return r->d[0];
}

bool ckpt_arch_vdso_range(struct mm_struct *mm, unsigned long *start,
			  unsigned long *end)
{
	return false;
}

unsigned long ckpt_arch_vdso_size(void)
{
	return 0;
}

int ckpt_arch_map_vdso(unsigned long start)
{
	return -EINVAL;
}
