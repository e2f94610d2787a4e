/* SPDX-License-Identifier: GPL-2.0 */
/*
 * regs_syscall(): load a known register set, make a raw system call, store
 * the register set as it is right after the system call instruction.
 *
 *	long regs_syscall(struct regset *in, struct regset *out,
 *			  long nr, long a0, long a1, long a2);
 *
 * Returns the raw kernel return value (-errno on failure).  Used with
 * ckpt_dump (the registers after the syscall instruction are those of the
 * restored process when it returns CKPT_RESTORED) and with ckpt_restore
 * (loaded with different values, which must all be replaced).
 *
 * Layout of struct regset (offsets are used by the assembly):
 *   0     g: general registers (x86_64: 12 x u64, see RS_*; arm64: x0-x29 as
 *          u64 (x0 = return value); m68k: d0-d7, a0-a5 as u32)
 *   256   vec: x86_64 ymm0-15 (32 bytes each; xmm = low 16 bytes);
 *          arm64 v0-v31 (q registers, 16 bytes each in 32-byte slots);
 *          m68k fp0-fp7 (12 bytes each, packed)
 *   1280  ctl: x86_64 mxcsr, arm64 fpcr (u64), m68k fpcr (first u32)
 *   1288  ret
 *   1296  avx: x86_64 only: use ymm instead of xmm
 */
#ifndef REGS_ASM_H
#define REGS_ASM_H

#include <stddef.h>
#include <stdint.h>

struct regset {
	union {
		uint64_t q[32];
		uint32_t w[64];
	} g;
	unsigned char vec[32][32];
	union {
		uint64_t q;
		uint32_t w[2];
	} ctl;
	uint64_t ret;
	uint32_t avx;
	uint32_t pad;
} __attribute__((aligned(32)));

_Static_assert(offsetof(struct regset, vec) == 256, "regset layout");
_Static_assert(offsetof(struct regset, ctl) == 1280, "regset layout");
_Static_assert(offsetof(struct regset, ret) == 1288, "regset layout");
_Static_assert(offsetof(struct regset, avx) == 1296, "regset layout");

long regs_syscall(struct regset *in, struct regset *out, long nr, long a0,
		  long a1, long a2);

#if defined(__x86_64__)
/* g.q[] slots */
enum { RS_RBX, RS_RBP, RS_R12, RS_R13, RS_R14, RS_R15, RS_R8, RS_R9, RS_R10,
       RS_RDI, RS_RSI, RS_RDX, RS_NR };
static const char *const rs_names[RS_NR] = {
	"rbx", "rbp", "r12", "r13", "r14", "r15", "r8", "r9", "r10",
	"rdi", "rsi", "rdx",
};

#define XMM_LOAD(n)  "	movdqu 256+" #n "*32(%r11), %xmm" #n "\n"
#define YMM_LOAD(n)  "	vmovdqu 256+" #n "*32(%r11), %ymm" #n "\n"
#define XMM_STORE(n) "	movdqu %xmm" #n ", 256+" #n "*32(%r11)\n"
#define YMM_STORE(n) "	vmovdqu %ymm" #n ", 256+" #n "*32(%r11)\n"
#define ALL16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
		 M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

__asm__(
"	.text\n"
"	.globl regs_syscall\n"
"	.type regs_syscall, @function\n"
"regs_syscall:\n"
"	push %rbx\n"
"	push %rbp\n"
"	push %r12\n"
"	push %r13\n"
"	push %r14\n"
"	push %r15\n"
"	sub $8, %rsp\n"
"	stmxcsr (%rsp)\n"
"	push %rsi\n"			/* out at 0(%rsp) */
"	mov %rdi, %r11\n"		/* in */
"	mov %rdx, %rax\n"		/* nr */
"	mov %rcx, %rdi\n"
"	mov %r8, %rsi\n"
"	mov %r9, %rdx\n"
"	ldmxcsr 1280(%r11)\n"
"	cmpl $0, 1296(%r11)\n"
"	jne 1f\n"
	ALL16(XMM_LOAD)
"	jmp 2f\n"
"1:\n"
	ALL16(YMM_LOAD)
"2:\n"
"	mov 0(%r11), %rbx\n"
"	mov 8(%r11), %rbp\n"
"	mov 16(%r11), %r12\n"
"	mov 24(%r11), %r13\n"
"	mov 32(%r11), %r14\n"
"	mov 40(%r11), %r15\n"
"	mov 48(%r11), %r8\n"
"	mov 56(%r11), %r9\n"
"	mov 64(%r11), %r10\n"
"	syscall\n"
"	mov (%rsp), %r11\n"
"	mov %rax, 1288(%r11)\n"
"	mov %rbx, 0(%r11)\n"
"	mov %rbp, 8(%r11)\n"
"	mov %r12, 16(%r11)\n"
"	mov %r13, 24(%r11)\n"
"	mov %r14, 32(%r11)\n"
"	mov %r15, 40(%r11)\n"
"	mov %r8, 48(%r11)\n"
"	mov %r9, 56(%r11)\n"
"	mov %r10, 64(%r11)\n"
"	mov %rdi, 72(%r11)\n"
"	mov %rsi, 80(%r11)\n"
"	mov %rdx, 88(%r11)\n"
"	stmxcsr 1280(%r11)\n"
"	cmpl $0, 1296(%r11)\n"
"	jne 3f\n"
	ALL16(XMM_STORE)
"	jmp 4f\n"
"3:\n"
	ALL16(YMM_STORE)
"	vzeroupper\n"
"4:\n"
"	add $8, %rsp\n"
"	ldmxcsr (%rsp)\n"
"	add $8, %rsp\n"
"	pop %r15\n"
"	pop %r14\n"
"	pop %r13\n"
"	pop %r12\n"
"	pop %rbp\n"
"	pop %rbx\n"
"	ret\n"
"	.size regs_syscall, .-regs_syscall\n"
);

#elif defined(__aarch64__)

#define Q_LOAD(n)  "	ldr q" #n ", [x9, #" #n "*32]\n"
#define Q_STORE(n) "	str q" #n ", [x9, #" #n "*32]\n"
#define ALL32(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
		 M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) \
		 M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
		 M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)

__asm__(
"	.text\n"
"	.globl regs_syscall\n"
"	.type regs_syscall, %function\n"
"regs_syscall:\n"
"	stp x29, x30, [sp, #-208]!\n"
"	stp x19, x20, [sp, #16]\n"
"	stp x21, x22, [sp, #32]\n"
"	stp x23, x24, [sp, #48]\n"
"	stp x25, x26, [sp, #64]\n"
"	stp x27, x28, [sp, #80]\n"
"	stp d8, d9, [sp, #96]\n"
"	stp d10, d11, [sp, #112]\n"
"	stp d12, d13, [sp, #128]\n"
"	stp d14, d15, [sp, #144]\n"
"	mrs x9, fpcr\n"
"	stp x9, x1, [sp, #160]\n"	/* caller's fpcr, out */
"	stp x3, x4, [sp, #176]\n"	/* a0, a1 */
"	str x5, [sp, #192]\n"		/* a2 */
"	mov x8, x2\n"			/* nr */
"	add x9, x0, #256\n"
	ALL32(Q_LOAD)
"	ldr x10, [x0, #1280]\n"
"	msr fpcr, x10\n"
"	ldp x3, x4, [x0, #24]\n"
"	ldp x5, x6, [x0, #40]\n"
"	ldr x7, [x0, #56]\n"
"	ldp x9, x10, [x0, #72]\n"
"	ldp x11, x12, [x0, #88]\n"
"	ldp x13, x14, [x0, #104]\n"
"	ldp x15, x16, [x0, #120]\n"
"	ldp x17, x18, [x0, #136]\n"
"	ldp x19, x20, [x0, #152]\n"
"	ldp x21, x22, [x0, #168]\n"
"	ldp x23, x24, [x0, #184]\n"
"	ldp x25, x26, [x0, #200]\n"
"	ldp x27, x28, [x0, #216]\n"
"	ldr x29, [x0, #232]\n"
"	ldp x0, x1, [sp, #176]\n"
"	ldr x2, [sp, #192]\n"
"	svc #0\n"
"	str x0, [sp, #200]\n"		/* ret */
"	ldr x0, [sp, #168]\n"		/* out */
"	str x1, [x0, #8]\n"
"	stp x2, x3, [x0, #16]\n"
"	stp x4, x5, [x0, #32]\n"
"	stp x6, x7, [x0, #48]\n"
"	stp x8, x9, [x0, #64]\n"
"	stp x10, x11, [x0, #80]\n"
"	stp x12, x13, [x0, #96]\n"
"	stp x14, x15, [x0, #112]\n"
"	stp x16, x17, [x0, #128]\n"
"	stp x18, x19, [x0, #144]\n"
"	stp x20, x21, [x0, #160]\n"
"	stp x22, x23, [x0, #176]\n"
"	stp x24, x25, [x0, #192]\n"
"	stp x26, x27, [x0, #208]\n"
"	stp x28, x29, [x0, #224]\n"
"	ldr x10, [sp, #200]\n"
"	str x10, [x0, #0]\n"
"	str x10, [x0, #1288]\n"
"	add x9, x0, #256\n"
	ALL32(Q_STORE)
"	mrs x10, fpcr\n"
"	str x10, [x0, #1280]\n"
"	ldr x9, [sp, #160]\n"
"	msr fpcr, x9\n"
"	ldr x0, [sp, #200]\n"
"	ldp x19, x20, [sp, #16]\n"
"	ldp x21, x22, [sp, #32]\n"
"	ldp x23, x24, [sp, #48]\n"
"	ldp x25, x26, [sp, #64]\n"
"	ldp x27, x28, [sp, #80]\n"
"	ldp d8, d9, [sp, #96]\n"
"	ldp d10, d11, [sp, #112]\n"
"	ldp d12, d13, [sp, #128]\n"
"	ldp d14, d15, [sp, #144]\n"
"	ldp x29, x30, [sp], #208\n"
"	ret\n"
"	.size regs_syscall, .-regs_syscall\n"
);

#elif defined(__m68k__)

__asm__(
"	.text\n"
"	.globl regs_syscall\n"
"	.type regs_syscall, @function\n"
"regs_syscall:\n"
"	movem.l %d2-%d7/%a2-%a6,-(%sp)\n"	/* 44 bytes */
"	fmovem.x %fp2-%fp7,-(%sp)\n"		/* 72 bytes */
"	fmove.l %fpcr,-(%sp)\n"			/* 4 bytes: args at 124 */
"	move.l 124(%sp),%a0\n"
"	fmovem.x 256(%a0),%fp0-%fp7\n"
"	fmove.l 1280(%a0),%fpcr\n"
"	movem.l 16(%a0),%d4-%d7\n"
"	movem.l 36(%a0),%a1-%a5\n"
"	move.l 32(%a0),%a0\n"
"	move.l 132(%sp),%d0\n"
"	move.l 136(%sp),%d1\n"
"	move.l 140(%sp),%d2\n"
"	move.l 144(%sp),%d3\n"
"	trap #0\n"
"	move.l 128(%sp),%a6\n"
"	movem.l %d0-%d7/%a0-%a5,(%a6)\n"
"	fmovem.x %fp0-%fp7,256(%a6)\n"
"	fmove.l %fpcr,1280(%a6)\n"
"	move.l %d0,1288(%a6)\n"
"	fmove.l (%sp)+,%fpcr\n"
"	fmovem.x (%sp)+,%fp2-%fp7\n"
"	movem.l (%sp)+,%d2-%d7/%a2-%a6\n"
"	rts\n"
"	.size regs_syscall, .-regs_syscall\n"
);

#endif

#endif /* REGS_ASM_H */
