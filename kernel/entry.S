# Where every hart starts, in S-mode with paging off, at a physical address:
# the boot hart at _entry (from OpenSBI: a0 = hart id, a1 = device tree),
# the others at _secondary_entry (from sbi_hart_start: a0 = hart id).
#
# The code here runs before paging, so it may only use pc-relative
# addresses. It turns on a boot page table that maps RAM both at its
# physical address (so the next instruction still runs) and at its
# kernel-half address, then jumps to the kernel half and calls C.

#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"

#define BOOTSTACK 8192          // bytes of boot stack per hart

.section .text.entry
.global _entry
_entry:
        # Only the first hart to arrive here boots the machine. A secondary
        # hart can arrive here too: OpenSBI's hart_start marks the hart
        # START_PENDING before it stores our start address, and a hart that
        # wakes in between jumps to the firmware's default address, which
        # is this one (seen under host load with QEMU 7.2's OpenSBI).
        lla t0, boot_claimed    # paging is off: a pc-relative physical address
        li t1, 1
        amoswap.w t2, t1, (t0)
        bnez t2, _secondary_entry
        li s1, 0                # s1: 0 = boot hart
        j 1f
.global _secondary_entry
_secondary_entry:
        li s1, 1                # s1: 1 = secondary hart
1:
        # satp = Sv39 | physical page number of boot_pagetable
        lla t0, boot_pagetable  # pc-relative: its physical address now
        srli t0, t0, 12
        li t1, SATP_SV39
        or t0, t0, t1
        csrw satp, t0
        sfence.vma zero, zero

        # Continue at the same code's kernel-half address.
        ld t0, high_half
        jr t0
high:
        # One boot stack per hart: sp = boot_stacks + (hartid + 1) * BOOTSTACK.
        lla sp, boot_stacks     # now pc-relative to the kernel half
        addi t0, a0, 1
        li t1, BOOTSTACK
        mul t0, t0, t1
        add sp, sp, t0
        mv tp, a0               # tp holds the hart id while in the kernel
        bnez s1, 2f
        call kmain              # kmain(hartid, dtb)
        j spin
2:
        call kmain_secondary    # kmain_secondary(hartid)
spin:
        wfi
        j spin
        # The rest of this page stays empty, so that no other code shares
        # the page the kernel starts at. Measured under QEMU 7.2: code in
        # that page runs about 4x slower (memmove placed there made a COW
        # fault 20 us instead of 14, an eager fork 3x slower); we have not
        # pinned down why, but it costs only the padding.
        .balign 4096

.section .rodata
.balign 8
high_half:
        .dword high             # absolute (kernel-half) address of 'high'

# Boot page table: three 1 GiB leaf entries.
#   index 2   (VA 0x80000000)          -> PA 0x80000000   identity, for the jump
#   index 256 (VA KERNEL_OFFSET)       -> PA 0x0          devices
#   index 258 (VA KERNEL_OFFSET + 2G)  -> PA 0x80000000   RAM
# kvminit() replaces it with a table that has no identity entry.
#define GIGA_RWX(pa) (((pa) >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G)
#define GIGA_RW(pa) (((pa) >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G)
.section .data
.balign 4096
boot_pagetable:
        .dword 0
        .dword 0
        .dword GIGA_RWX(0x80000000)
        .fill 253, 8, 0
        .dword GIGA_RW(0x0)
        .dword 0
        .dword GIGA_RWX(0x80000000)
        .fill 253, 8, 0

.section .data
.balign 4
boot_claimed:
        .word 0                 # set by the hart that boots the machine

.section .bss
.balign 16
.global boot_stacks
boot_stacks:
        .space BOOTSTACK * NCPU
