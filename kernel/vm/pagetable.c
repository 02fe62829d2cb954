// Sv39 page tables and the kernel's half of every address space.
//
// The kernel half is three 1 GiB leaf PTEs in the root table (devices at
// KERNEL_OFFSET, RAM at KERNEL_OFFSET + KERNBASE), supervisor-only and
// global. uvmcreate() copies them into every new user page table, so a trap
// or system call never switches satp; the scheduler switches satp only when
// it starts running a process (kvm_switch_user) and flushes this hart's TLB
// then. Hence only a hart that is running a process right now can hold
// stale TLB entries for it. Changes to the running process's own table are
// flushed just before it returns to user mode (tlb_flush_before_user);
// changes to other processes' tables by tlb_shootdown().
//
// Leaf tables may be shared by several address spaces after fork: see
// "shared leaf tables" below.
//
// Page-table pages are frames with FRAME_KERNEL; PTEs hold physical
// addresses, which the kernel reaches at PA2KVA().
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sbi.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

pagetable_t kernel_pagetable;

#define KERNEL_HALF 256 // root index of the first kernel-half entry
#define GIGA(pa) PA2PTE(pa)

void kinit(void) {
  extern char end[]; // first address after the kernel image (kernel.ld)
  frame_init(PA2KVA(KERNBASE), end, PA2KVA(PHYSTOP));
}

void kvminit(void) {
  kernel_pagetable = kalloc();
  if (kernel_pagetable == 0)
    panic("kvminit: out of memory");
  memset(kernel_pagetable, 0, PGSIZE);
  uint64 common = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G;
  kernel_pagetable[PX(2, KERNEL_OFFSET)] = GIGA(0) | common;
  kernel_pagetable[PX(2, KERNEL_OFFSET + KERNBASE)] = GIGA(KERNBASE) | common | PTE_X;
}

static uint64 kernel_satp(void) { return MAKE_SATP(KVA2PA(kernel_pagetable)); }

// Switch this hart to the kernel page table. The kernel half is the same in
// every table and global, so no flush is needed.
void kvminithart(void) {
  w_satp(kernel_satp());
  sfence_vma();
}

void kvm_switch_kernel(void) { w_satp(kernel_satp()); }

// Enter a process's address space: its user half may have changed since
// this hart last ran it, so flush everything.
void kvm_switch_user(pagetable_t pt) {
  w_satp(MAKE_SATP(KVA2PA(pt)));
  sfence_vma();
  mycpu()->tlb_stale = 0;
}

// This hart's TLB may hold stale user translations of the running process;
// usertrapret() flushes them just before sret. Deferring the flush is safe
// because only that process's user mode uses them, and it saves QEMU the
// TLB refills of the rest of the kernel path (its sfence.vma flushes all).
void tlb_flush_before_user(void) {
  push_off();
  mycpu()->tlb_stale = 1;
  pop_off();
}

// Flush every hart's TLB: after PTEs of processes that may be running on
// other harts were downgraded or removed, and before the frames they named
// are reused or their content relied upon.
//
// Only harts running a process need the fence: an idle hart flushes when it
// starts running one (kvm_switch_user). The PTE stores above are ordered
// before the reads of cpu->proc below, and enter() (sched/sched.c) orders
// its store of cpu->proc before its flush, so a hart is either seen
// running here or flushes after the stores. A remote fence is expensive under QEMU (the
// target harts' threads must wake), so this matters.
void tlb_shootdown(void) {
  uint64 others = 0;
  __sync_synchronize();
  push_off(); // stay on this hart while naming the others
  for (int h = 0; h < NCPU; h++)
    if (h != cpuid() && __atomic_load_n(&cpus[h].proc, __ATOMIC_RELAXED) != 0)
      others |= 1UL << h;
  sfence_vma();
  pop_off();
  if (others)
    sbi_remote_sfence_vma(others, 0, (uint64)-1);
}

// The processes running on some hart now, as a mask of proc[] indexes. A
// process not in it holds no TLB entry anywhere, and one that starts to run
// after a PTE store that preceded this read flushes its TLB first (enter()
// publishes cpu->proc before kvm_switch_user's flush, as tlb_shootdown
// relies on).
uint64 running_procs(void) {
  uint64 mask = 0;
  __sync_synchronize(); // the caller's PTE stores before the reads below
  for (int h = 0; h < NCPU; h++) {
    struct proc *q = __atomic_load_n(&cpus[h].proc, __ATOMIC_RELAXED);
    if (q)
      mask |= 1UL << (q - proc);
  }
  return mask;
}

pagetable_t pte_table(pte_t pte) { return PA2KVA(PTE2PA(pte)); }

// ---------------------------------------------------------------- page-table pages

// A zeroed page-table page for level 2 (a root), 1 or 0 (a leaf). Levels 1
// and 0 get a links page for the reverse map (rmap.c); roots and level-1
// tables name their owner (1 + proc[] index) for the reverse map's
// leaf-to-process step. Returns 0 if no frame is left.
pagetable_t ptpage_alloc(int level, int owner) {
  pagetable_t t = kalloc();
  if (t == 0)
    return 0;
  memset(t, 0, PGSIZE);
  struct frame *f = frame_of(t);
  if (level < 2) {
    void *links = kalloc();
    if (links == 0) {
      krelease(t);
      return 0;
    }
    rmap_links_init(links);
    f->aux = frame_number(frame_of(links));
  }
  f->owner = level > 0 ? owner : 0;
  if (level == 0)
    f->rmap = NO_PTSLOT;
  return t;
}

// Free a page-table page whose last reference was just dropped (or whose
// only one is the caller's, for roots and level-1 tables), with its links.
void ptpage_free(pagetable_t t) {
  struct frame *f = frame_of(t);
  if (f->refs == 1)
    frame_unref(t);
  if (f->aux != NO_SLOT)
    krelease(frame_kva(&frames[f->aux]));
  f->aux = NO_SLOT;
  frame_free(t);
}

// Drop a mapping's reference to a user frame. A frame in the swap cache
// goes through swap.c, which frees the cache's copy too when nothing will
// ever need it again. The caller owns the mapping (holds its vmlock), so
// the frame cannot enter the swap cache meanwhile (reclaim.c needs that
// lock to rewrite the PTE). Returns 1 if the frame was freed.
int page_release(void *kva) {
  if (frame_of(kva)->aux != NO_SLOT)
    return swap_release_mapping(kva);
  return frame_put(kva);
}

// Empty the leaf PTE at pte, releasing what it holds: a mapped frame (and
// its reverse-map entry) or a swap slot. Markers just go.
void pte_release(pte_t *pte) {
  pte_t e = *pte;
  *pte = 0;
  if (e & PTE_V) {
    void *kva = PA2KVA(PTE2PA(e));
    rmap_del(kva, pte);
    page_release(kva);
  } else if (IS_SWAP_PTE(e)) {
    swap_put(SWAP_SLOT(e));
  }
}

// ---------------------------------------------------------------- shared leaf tables
//
// fork shares leaf (level-0) tables copy-on-write (uvm.c): the level-1
// entries of several address spaces may name one leaf table, whose frame's
// reference count is the number of such entries (each on the table's
// reverse map). Two rules keep that correct:
//   S1 a shared leaf table holds no writable PTE, so every sharer sees the
//      same read-only (or COW) pages;
//   S2 a page (or swap slot) holds one reference per PTE slot, however
//      many address spaces see the slot.
// Whoever changes a PTE first makes the table its own: walk(pt, va, 1)
// copies a shared table (leaf_private). Only dedup and the reclaimer change
// PTEs of shared tables in place, holding the vmlock of every sharer.

// Release every page and slot a leaf table holds and free it; its last
// reference is gone.
void leaf_free(pagetable_t leaf) {
  for (int i = 0; i < 512; i++)
    pte_release(&leaf[i]);
  ptpage_free(leaf);
}

// Empty level-1 entry *l1e, dropping its reference to the leaf table it
// names; the last reference releases the table's pages.
void leaf_unlink(pte_t *l1e) {
  pagetable_t leaf = pte_table(*l1e);
  rmap_del(leaf, l1e);
  *l1e = 0;
  if (frame_unref(leaf) == 0)
    leaf_free(leaf);
}

// Fill copy with leaf's PTEs; each page and swap slot gains a reference
// and each page a reverse-map entry for its new slot (S2).
static void leaf_copy(pagetable_t copy, pagetable_t leaf) {
  rmap_lock();
  for (int i = 0; i < 512; i++) {
    copy[i] = leaf[i];
    if (copy[i] & PTE_V) {
      kretain(PA2KVA(PTE2PA(copy[i])));
      rmap_add_locked(PA2KVA(PTE2PA(copy[i])), &copy[i]);
    }
  }
  rmap_unlock();
  for (int i = 0; i < 512; i++)
    if (IS_SWAP_PTE(copy[i]))
      swap_dup(SWAP_SLOT(copy[i]));
}

// The leaf table named by level-1 entry *l1e, made private to this address
// space: a shared one is copied and *l1e switched to the copy. Returns 0
// if no frame is left.
static pagetable_t leaf_private(pte_t *l1e) {
  pagetable_t leaf = pte_table(*l1e);
  if (frame_refs(leaf) == 1)
    return leaf; // ours alone, and only we could add a sharer (by forking)
  pagetable_t copy = ptpage_alloc(0, 0);
  if (copy == 0)
    return 0;
  leaf_copy(copy, leaf);
  rmap_lock();
  rmap_del_locked(leaf, l1e);
  *l1e = PA2PTE(KVA2PA(copy)) | PTE_V;
  rmap_add_locked(copy, l1e);
  rmap_unlock();
  if (frame_unref(leaf) == 0) // another sharer may have exited meanwhile
    leaf_free(leaf);
  // This hart's page-walk cache may still name the old table, which the
  // other sharers may free: flush before our user mode walks again.
  tlb_flush_before_user();
  return copy;
}

// The level-1 entry covering user address va, or 0 if its level-1 table
// is missing.
pte_t *walk_l1(pagetable_t pt, uint64 va) {
  if (va >= MAXVA || !(pt[PX(2, va)] & PTE_V))
    return 0;
  return &pte_table(pt[PX(2, va)])[PX(1, va)];
}

// A new table below *pte (an empty entry of table pt at level), linked in.
static pagetable_t add_table(pagetable_t pt, pte_t *pte, int level) {
  pagetable_t t = ptpage_alloc(level - 1, frame_of(pt)->owner);
  if (t == 0)
    return 0;
  *pte = PA2PTE(KVA2PA(t)) | PTE_V;
  if (level == 1)
    rmap_add(t, pte); // a leaf table's list names the level-1 entries
  return t;
}

// The leaf PTE for user address va, or 0 if va >= MAXVA or a table on the
// way is missing. alloc means the caller will change the PTE: missing
// tables are created and a shared leaf table is first copied (returns 0
// if no frame is left for either).
pte_t *walk(pagetable_t pt, uint64 va, int alloc) {
  if (va >= MAXVA)
    return 0;
  for (int level = 2; level > 0; level--) {
    pte_t *pte = &pt[PX(level, va)];
    if (!(*pte & PTE_V)) {
      if (!alloc || (pt = add_table(pt, pte, level)) == 0)
        return 0;
      continue;
    }
    if (*pte & (PTE_R | PTE_W | PTE_X))
      panic("walk: unexpected superpage in user half");
    pt = level == 1 && alloc ? leaf_private(pte) : pte_table(*pte);
    if (pt == 0)
      return 0;
    if (level == 1 && alloc)
      frame_clear(frame_of(pt), FRAME_NOWRITE); // the caller may add PTE_W
  }
  return &pt[PX(0, va)];
}

// Physical address of the user page at va, or 0 if it is not mapped for
// user access.
uint64 walkaddr(pagetable_t pt, uint64 va) {
  pte_t *pte = walk(pt, va, 0);
  if (pte == 0 || (*pte & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0;
  return PTE2PA(*pte);
}

// Map [va, va + size) to the user frames at physical pa with permissions
// perm; each frame's reference (one per page, held by the caller) becomes
// its mapping's. Returns -1 if a page-table page could not be allocated
// (what was mapped stays mapped).
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm) {
  if (size == 0 || va % PGSIZE != 0 || size % PGSIZE != 0)
    panic("mappages: bad range");
  for (uint64 off = 0; off < size; off += PGSIZE) {
    pte_t *pte = walk(pt, va + off, 1);
    if (pte == 0)
      return -1;
    if (*pte & PTE_V)
      panic("mappages: remap");
    *pte = PA2PTE(pa + off) | perm | PTE_V;
    rmap_add(PA2KVA(pa + off), pte);
  }
  return 0;
}

// A new, empty user page table for process owner that shares the kernel
// half.
pagetable_t uvmcreate(struct proc *owner) {
  pagetable_t pt = ptpage_alloc(2, 1 + (owner - proc));
  if (pt == 0)
    return 0;
  memmove(pt + KERNEL_HALF, kernel_pagetable + KERNEL_HALF, PGSIZE / 2);
  return pt;
}

// Free an address space: unlink every leaf table (which releases the
// pages of those no one else shares), then free the level-1 tables and the
// root.
void uvmfree(pagetable_t pt) {
  for (int i2 = 0; i2 < KERNEL_HALF; i2++) {
    if (!(pt[i2] & PTE_V))
      continue;
    pagetable_t mid = pte_table(pt[i2]);
    for (int i1 = 0; i1 < 512; i1++)
      if (mid[i1] & PTE_V)
        leaf_unlink(&mid[i1]);
    ptpage_free(mid);
  }
  ptpage_free(pt);
}
