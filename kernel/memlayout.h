// Physical memory map of QEMU's virt machine and this kernel's virtual
// address layout.
//
// Physical (QEMU virt, 128 MiB):
//   0x0c000000  PLIC
//   0x10000000  UART 16550
//   0x10001000  virtio-mmio slot 0 (disk 0: file system), IRQ 1
//   0x10002000  virtio-mmio slot 1 (disk 1: swap), IRQ 2
//   0x80000000  RAM: OpenSBI firmware first, the kernel at 0x80200000,
//               then frames for kalloc() up to PHYSTOP.
//
// Virtual, in every address space (one page table per process):
//   0 .. MAXVA              user memory (text, data, guard page, stack, heap)
//   KERNEL_OFFSET + pa      the kernel's direct map of all physical
//                           memory and devices, supervisor-only (PTE_U clear)
//
// Because the kernel is mapped in every process's page table, a trap needs
// no satp switch. User programs still see xv6's constants below: an access
// to KERNBASE from user mode faults because it is not mapped in the low half.
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define UART0 0x10000000L
#define UART0_IRQ 10

#define VIRTIO0 0x10001000L
#define VIRTIO0_IRQ 1
#define VIRTIO_STRIDE 0x1000L // distance between virtio-mmio slots

#define PLIC 0x0c000000L
#define PLIC_PRIORITY (PLIC + 0x0)
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_SENABLE(hart) (PLIC + 0x2080 + (hart)*0x100)
#define PLIC_SPRIORITY(hart) (PLIC + 0x201000 + (hart)*0x2000)
#define PLIC_SCLAIM(hart) (PLIC + 0x201004 + (hart)*0x2000)

// RAM, as xv6 names it. The kernel runs at KERNEL_OFFSET + these.
#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128 * 1024 * 1024)

// xv6 maps a trampoline and a trapframe page at the top of user space.
// This kernel needs neither (its trap code lives in the kernel half), but
// keeps the names so that programs using them build; both addresses are
// unmapped and fault like any other unmapped address.
#define TRAMPOLINE (MAXVA - PGSIZE)
#define TRAPFRAME (TRAMPOLINE - PGSIZE)

// Start of the kernel half: the lowest Sv39 address with bit 38 set,
// sign-extended. Physical address pa is at KERNEL_OFFSET + pa.
#define KERNEL_OFFSET 0xffffffc000000000L

#ifndef __ASSEMBLER__
#define PA2KVA(pa) ((void *)((uint64)(pa) + KERNEL_OFFSET))
#define KVA2PA(va) ((uint64)(va)-KERNEL_OFFSET)
#endif

#endif
