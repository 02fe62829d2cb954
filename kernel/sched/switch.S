# switch_to(uint64 *save_sp, uint64 next_sp): the register half of a
# context switch (kernel/sched/sched.c does the rest).
#
# A thread's callee-saved registers live on its own stack while it is
# switched out, so all that names a stopped thread is one stack pointer
# (p->ksp, cpu->idle_sp). switch_to pushes ra and s0..s11 on the current
# stack, stores sp at *save_sp, takes next_sp as the stack, pops the same
# registers from it and returns, to where that thread called switch_to,
# or, for a new thread, to the return address sched_start() put in the
# frame. Caller-saved registers need no saving: switch_to is a call.
#
# Frame (SWITCH_FRAME = 112 bytes, a multiple of 16 as the ABI wants):
#   0: ra    8 * (1 + i): s<i>, i = 0..11    104: unused

.set FRAME, 112

.macro frame op
        .set slot, 0
        .irp reg, ra, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11
        \op \reg, slot(sp)
        .set slot, slot + 8
        .endr
.endm

.section .text
.global switch_to
.balign 4
switch_to:
        addi sp, sp, -FRAME
        frame sd
        sd sp, (a0)             # the stopped thread is now just this
        mv sp, a1
        frame ld
        addi sp, sp, FRAME
        ret
