# Entry from and return to user mode.
#
# Unlike xv6, this code needs no trampoline page: the kernel half is mapped
# (supervisor-only) in every process's page table, so a trap from user mode
# keeps the same satp and jumps straight into the kernel. While a process
# runs in user mode, stvec = uservec and sscratch = &p->tf (struct
# trapframe in struct proc, kernel/proc.h; the offsets below match it).

#define TF_A0 72
#define TF_KSP 256
#define TF_HART 264

.macro save_or_load op, base
        \op ra, 0(\base)
        \op sp, 8(\base)
        \op gp, 16(\base)
        \op tp, 24(\base)
        \op t0, 32(\base)
        \op t1, 40(\base)
        \op t2, 48(\base)
        \op s0, 56(\base)
        \op s1, 64(\base)
        # a0 (72) is handled by the caller of this macro
        \op a1, 80(\base)
        \op a2, 88(\base)
        \op a3, 96(\base)
        \op a4, 104(\base)
        \op a5, 112(\base)
        \op a6, 120(\base)
        \op a7, 128(\base)
        \op s2, 136(\base)
        \op s3, 144(\base)
        \op s4, 152(\base)
        \op s5, 160(\base)
        \op s6, 168(\base)
        \op s7, 176(\base)
        \op s8, 184(\base)
        \op s9, 192(\base)
        \op s10, 200(\base)
        \op s11, 208(\base)
        \op t3, 216(\base)
        \op t4, 224(\base)
        \op t5, 232(\base)
        \op t6, 240(\base)
.endm

.section .text
.global uservec
.balign 4
uservec:
        csrrw a0, sscratch, a0  # a0 = &p->tf; sscratch = user's a0
        save_or_load sd, a0
        csrr t0, sscratch
        sd t0, TF_A0(a0)
        ld sp, TF_KSP(a0)       # this process's kernel stack
        ld tp, TF_HART(a0)      # hart id, set by usertrapret
        call usertrap           # does not return here

# userret(struct trapframe *tf): restore user registers and sret.
# usertrapret() has set sepc, sstatus, stvec and sscratch.
.global userret
userret:
        save_or_load ld, a0
        ld a0, TF_A0(a0)
        sret
