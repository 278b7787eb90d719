/* SPDX-License-Identifier: MIT */
/*
 * dlsym_x86_64.S - the interposer's dlsym and dlvsym.
 *
 * glibc's dlsym finds its caller from its return address: RTLD_NEXT means
 * "after the object that called me", RTLD_DEFAULT searches the caller's
 * scope, and a symbol found through a handle becomes a dependency of the
 * caller. A wrapper written in C that calls the real dlsym would make every
 * caller look like the interposer. So these enter the real function with a
 * jump, the caller's return address untouched: fp_dlsym_route() (C, in
 * hooks.c) returns the function to jump to, the real dlsym for everything
 * but the few verbs calls the interposer wraps, and for those a C function
 * that looks the symbol up and hands back the wrapper.
 */
#if defined(__CET__)
#define BTI endbr64
#else
#define BTI
#endif

	.text

	.globl	dlsym
	.type	dlsym, @function
	.p2align 4
dlsym:
	.cfi_startproc
	BTI
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp		/* the call below on a 16-byte boundary */
	.cfi_adjust_cfa_offset 8
	call	fp_dlsym_route
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	jmp	*%rax
	.cfi_endproc
	.size	dlsym, .-dlsym

	.globl	dlvsym
	.type	dlvsym, @function
	.p2align 4
dlvsym:
	.cfi_startproc
	BTI
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	pushq	%rdx			/* three pushes: aligned */
	.cfi_adjust_cfa_offset 8
	call	fp_dlvsym_route
	popq	%rdx
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	jmp	*%rax
	.cfi_endproc
	.size	dlvsym, .-dlvsym

	.section .note.GNU-stack,"",@progbits
