// RISC-V definitions: Sv39 page-table format and register access.
// User programs include this header too (xv6's ABI), so everything here is
// either a constant or a static inline function.
#ifndef RISCV_H
#define RISCV_H

#define PGSIZE 4096 // bytes per page
#define PGSHIFT 12  // bits of offset within a page

#define PGROUNDUP(sz) (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

// Page-table entry bits (privileged spec, Sv39).
#define PTE_V (1L << 0) // valid
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4) // user may access
#define PTE_G (1L << 5) // global: present in every address space
#define PTE_A (1L << 6) // accessed
#define PTE_D (1L << 7) // dirty
// The two bits reserved for software (RSW).
#define PTE_COW (1L << 8) // shared copy-on-write: writable once copied
#define PTE_SW1 (1L << 9) // second software bit (see kernel/vm/vm.h)

// Physical address <-> PTE.
#define PA2PTE(pa) ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte)&0x3FF)

// The three 9-bit page-table indexes of a virtual address.
#define PXMASK 0x1FF
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va) ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

// One past the highest user virtual address. xv6 keeps user addresses
// below bit 38 so that none needs sign extension; so do we.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

// satp: Sv39 mode and the physical page number of the root table.
#define SATP_SV39 (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)pagetable) >> 12))

// sstatus bits.
#define SSTATUS_SPP (1L << 8)  // previous mode: 1 = supervisor, 0 = user
#define SSTATUS_SPIE (1L << 5) // interrupts enabled before the trap
#define SSTATUS_SIE (1L << 1)  // supervisor interrupts enabled
#define SSTATUS_SUM (1L << 18) // supervisor may touch user pages

// sie / sip bits.
#define SIE_SSIE (1L << 1) // software (inter-processor) interrupt
#define SIE_STIE (1L << 5) // timer
#define SIE_SEIE (1L << 9) // external (PLIC)

#ifndef __ASSEMBLER__

typedef uint64 pte_t;
typedef uint64 *pagetable_t; // 512 PTEs

#define CSR_READ(name)                                                                             \
  static inline uint64 r_##name(void) {                                                            \
    uint64 x;                                                                                      \
    __asm__ __volatile__("csrr %0, " #name : "=r"(x));                                             \
    return x;                                                                                      \
  }
#define CSR_WRITE(name)                                                                            \
  static inline void w_##name(uint64 x) { __asm__ __volatile__("csrw " #name ", %0" : : "r"(x)); }

CSR_READ(sstatus)
CSR_WRITE(sstatus)
CSR_READ(sip)
CSR_WRITE(sip)
CSR_READ(sie)
CSR_WRITE(sie)
CSR_READ(sepc)
CSR_WRITE(sepc)
CSR_READ(stvec)
CSR_WRITE(stvec)
CSR_READ(satp)
CSR_WRITE(satp)
CSR_READ(sscratch)
CSR_WRITE(sscratch)
CSR_READ(scause)
CSR_READ(stval)
CSR_WRITE(scounteren)
CSR_READ(time) // readable from user mode once the kernel allows it

#undef CSR_READ
#undef CSR_WRITE

static inline uint64 r_sp(void) {
  uint64 x;
  __asm__ __volatile__("mv %0, sp" : "=r"(x));
  return x;
}

static inline uint64 r_tp(void) {
  uint64 x;
  __asm__ __volatile__("mv %0, tp" : "=r"(x));
  return x;
}

static inline void w_tp(uint64 x) { __asm__ __volatile__("mv tp, %0" : : "r"(x)); }

static inline uint64 r_ra(void) {
  uint64 x;
  __asm__ __volatile__("mv %0, ra" : "=r"(x));
  return x;
}

static inline uint64 r_fp(void) {
  uint64 x;
  __asm__ __volatile__("mv %0, s0" : "=r"(x));
  return x;
}

// Each CSR access costs about 100 ns under QEMU (a helper call; a write
// also ends the translation block), so these use one instruction each.
static inline void intr_on(void) { __asm__ __volatile__("csrs sstatus, %0" : : "r"(SSTATUS_SIE)); }
static inline void intr_off(void) { __asm__ __volatile__("csrc sstatus, %0" : : "r"(SSTATUS_SIE)); }
static inline int intr_get(void) { return (r_sstatus() & SSTATUS_SIE) != 0; }

// Turn interrupts off; returns whether they were on.
static inline int intr_off_was_on(void) {
  uint64 old;
  __asm__ __volatile__("csrrc %0, sstatus, %1" : "=r"(old) : "r"(SSTATUS_SIE));
  return (old & SSTATUS_SIE) != 0;
}

// Flush this hart's whole TLB.
static inline void sfence_vma(void) { __asm__ __volatile__("sfence.vma zero, zero" ::: "memory"); }

// Flush this hart's TLB entries for one virtual address.
static inline void sfence_vma_page(uint64 va) {
  __asm__ __volatile__("sfence.vma %0, zero" : : "r"(va) : "memory");
}

#endif // __ASSEMBLER__
#endif // RISCV_H
