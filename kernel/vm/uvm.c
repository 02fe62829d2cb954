// User address spaces: building, growing, shrinking, copying (fork) and
// freeing them.
//
// Layout of a process (exec.c builds it):
//   0                  text (read-only), then data and bss
//   guard page         PTE_GUARD: not mapped, any access kills
//   stack              USERSTACK pages; sp starts at the top
//   heap               grows with sbrk up to p->sz
// Every user leaf PTE slot holds one reference on its frame (vm.h, I1).
//
// fork shares memory copy-on-write at the level of leaf tables: the child's
// level-1 entries name the parent's leaf tables, whose writable PTEs first
// become COW. So fork costs one step per 2 MiB of address space, exit of a
// child that wrote nothing as much, and the first write in each 2 MiB
// region copies that leaf table (walk(..., 1), see pagetable.c).
//
// Process-level operations (vm_grow, vm_fork, vm_exec_*, vm_exit) take
// p->vmlock; the page-table-level ones (uvm*) leave locking to their caller
// and are also used on tables nobody else can see yet (exec's new image).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

#define LEAF_SPAN (512L * PGSIZE) // bytes of address space per leaf table

// Call visit(leaf, va) for every leaf table of pt's user half, where va is
// the address its first entry maps. Stops at the first visit that fails.
// A leaf table shared by several address spaces is visited once per table
// that names it.
int for_each_leaf_table(pagetable_t pt, int (*visit)(pte_t *leaf, uint64 va, void *arg),
                        void *arg) {
  for (int i2 = 0; i2 < 256; i2++) {
    if (!(pt[i2] & PTE_V))
      continue;
    pagetable_t mid = pte_table(pt[i2]);
    for (int i1 = 0; i1 < 512; i1++) {
      if (!(mid[i1] & PTE_V))
        continue;
      uint64 va = ((uint64)i2 << PXSHIFT(2)) | ((uint64)i1 << PXSHIFT(1));
      if (visit(pte_table(mid[i1]), va, arg) < 0)
        return -1;
    }
  }
  return 0;
}

// Map fresh zeroed user pages over [PGROUNDUP(oldsz), newsz) with
// permissions R|U|xperm. Returns newsz, or 0 with nothing new left mapped.
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm) {
  for (uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    char *mem = frame_alloc(FRAME_USER);
    if (mem == 0 || mappages(pt, a, PGSIZE, KVA2PA(mem), PTE_R | PTE_U | xperm) < 0) {
      if (mem)
        krelease(mem);
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
  }
  return newsz;
}

static int count_valid(pte_t *leaf) {
  int n = 0;
  for (int i = 0; i < 512; i++)
    n += (leaf[i] & PTE_V) != 0;
  return n;
}

// Clear [start, end), which lies within one leaf table. A table covered
// whole is just let go; otherwise it must be private (unmap_range made
// sure). Returns the pages unmapped.
static int unmap_chunk(pagetable_t pt, uint64 start, uint64 end) {
  pte_t *l1e = walk_l1(pt, start);
  if (l1e == 0 || !(*l1e & PTE_V))
    return 0;
  pagetable_t leaf = pte_table(*l1e);
  // pt may be the running process's: its TLB may hold what is removed
  // here, and the frames are freed now. Record the flush before the change.
  tlb_flush_before_user();
  if (start % LEAF_SPAN == 0 && end - start == LEAF_SPAN) {
    int n = count_valid(leaf);
    *l1e = 0;
    leaf_put(leaf);
    return n;
  }
  int n = 0;
  for (pte_t *pte = walk(pt, start, 1); start < end; start += PGSIZE, pte++) {
    if (*pte & PTE_V) {
      krelease(PA2KVA(PTE2PA(*pte)));
      n++;
    }
    *pte = 0;
  }
  return n;
}

// Unmap [start, end) (page-aligned): release every mapped page and clear
// markers. Returns the number of pages unmapped, or -1 (with nothing
// unmapped) if a shared leaf table that is only partly unmapped could not
// be copied for lack of memory.
static uint64 chunk_end(uint64 va, uint64 end) {
  uint64 next = (va & ~(LEAF_SPAN - 1)) + LEAF_SPAN;
  return next < end ? next : end;
}

static int unmap_range(pagetable_t pt, uint64 start, uint64 end) {
  if (start >= end)
    return 0;
  // Only the first and the last leaf table can be partly covered: make
  // them private first, so that nothing below can fail halfway.
  uint64 firsts[2] = {start, (end - 1) & ~(LEAF_SPAN - 1)};
  for (int i = 0; i < 2; i++) {
    uint64 cs = firsts[i] < start ? start : firsts[i], ce = chunk_end(cs, end);
    pte_t *l1e = walk_l1(pt, cs);
    int partial = cs % LEAF_SPAN != 0 || ce - cs != LEAF_SPAN;
    if (partial && l1e && (*l1e & PTE_V) && walk(pt, cs, 1) == 0)
      return -1;
  }
  int unmapped = 0;
  for (uint64 va = start; va < end; va = chunk_end(va, end))
    unmapped += unmap_chunk(pt, va, chunk_end(va, end));
  return unmapped;
}

// Shrink from oldsz to newsz, releasing the pages above PGROUNDUP(newsz).
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz) {
  if (newsz < oldsz && unmap_range(pt, PGROUNDUP(newsz), PGROUNDUP(oldsz)) < 0)
    return oldsz;
  return newsz;
}

// Mark the unmapped page at va as a guard page.
int uvmguard(pagetable_t pt, uint64 va) {
  pte_t *pte = walk(pt, va, 1);
  if (pte == 0)
    return -1;
  if (*pte & PTE_V)
    panic("uvmguard: page is mapped");
  *pte = PTE_GUARD;
  return 0;
}

// ---------------------------------------------------------------- fork

// Prepare a leaf table of the parent for sharing (S1): its writable PTEs
// become read-only COW. The parent is the running process and its TLB may
// hold the writable translations, so the flush is recorded at the moment
// of the downgrade: whatever fork does next, failing included, the parent
// cannot return to user mode with a stale writable entry.
// A table is scanned only if it may hold a writable PTE: FRAME_NOWRITE
// marks one that was scanned and not changed since (walk(..., 1), the only
// way to change a PTE, clears the mark; so does dedup when it gives PTE_W
// back). Forking again a process that did not write is then cheap.
static void share_leaf(pagetable_t leaf) {
  struct frame *f = frame_of(leaf);
  if (frame_refs(leaf) > 1 || (f->flags & FRAME_NOWRITE))
    return; // shared already (S1) or scanned already: nothing writable
  for (int i = 0; i < 512; i++) {
    if ((leaf[i] & (PTE_V | PTE_W)) == (PTE_V | PTE_W)) {
      leaf[i] = (leaf[i] & ~PTE_W) | PTE_COW;
      tlb_flush_before_user();
    }
  }
  f->flags |= FRAME_NOWRITE; // the table is ours alone: only we change its flags
}

// A private copy of a leaf table with a copy of every page in it, as
// xv6's fork makes (VMCTL_FORK_COPY). Returns 0 if memory ran out.
static pagetable_t copy_leaf(pagetable_t leaf) {
  pagetable_t copy = kalloc();
  if (copy == 0)
    return 0;
  memset(copy, 0, PGSIZE);
  for (int i = 0; i < 512; i++) {
    if (!(leaf[i] & PTE_V)) {
      copy[i] = leaf[i]; // empty, or a marker: nothing to copy
      continue;
    }
    char *mem = frame_alloc(FRAME_USER);
    if (mem == 0) {
      leaf_put(copy); // releases the pages copied so far
      return 0;
    }
    memmove(mem, PA2KVA(PTE2PA(leaf[i])), PGSIZE);
    uint64 flags = PTE_FLAGS(leaf[i]);
    if (flags & PTE_COW) // shared in the parent; the copy is not
      flags = (flags & ~PTE_COW) | PTE_W;
    copy[i] = PA2PTE(KVA2PA(mem)) | flags;
  }
  return copy;
}

// Give the new, empty table the memory of old, the running process's:
// shared copy-on-write leaf tables, or copies of every page when eager.
// Returns 0, or -1 if memory ran out (new then holds part of it; uvmfree
// releases that correctly, and the PTEs of old already downgraded stay
// COW, their flush recorded by share_leaf).
int uvmcopy(pagetable_t old, pagetable_t new, int eager) {
  for (int i2 = 0; i2 < 256; i2++) {
    if (!(old[i2] & PTE_V))
      continue;
    pagetable_t old_mid = pte_table(old[i2]), new_mid = kalloc();
    if (new_mid == 0)
      return -1;
    memset(new_mid, 0, PGSIZE);
    new[i2] = PA2PTE(KVA2PA(new_mid)) | PTE_V;
    for (int i1 = 0; i1 < 512; i1++) {
      if (!(old_mid[i1] & PTE_V))
        continue;
      pagetable_t leaf = pte_table(old_mid[i1]);
      if (eager) {
        pagetable_t copy = copy_leaf(leaf);
        if (copy == 0)
          return -1;
        new_mid[i1] = PA2PTE(KVA2PA(copy)) | PTE_V;
      } else {
        share_leaf(leaf);
        kretain(leaf);
        new_mid[i1] = old_mid[i1];
      }
    }
  }
  return 0;
}

static int count_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  *(int *)arg += count_valid(leaf);
  return 0;
}

// Resident pages of a table.
int uvmcount(pagetable_t pt) {
  int n = 0;
  for_each_leaf_table(pt, count_leaf_table, &n);
  return n;
}

// ---------------------------------------------------------------- processes

// sbrk: grow by n bytes (n > 0: eagerly, or lazily so that vmfault fills
// pages on first touch) or shrink (n < 0). The heap may not reach the
// addresses xv6 reserves for TRAPFRAME and TRAMPOLINE.
int vm_grow(struct proc *p, int n, int lazy) {
  int r = 0;
  acquiresleep(&p->vmlock);
  uint64 sz = p->sz;
  if (n > 0) {
    if (sz + n > TRAPFRAME)
      r = -1;
    else if (!lazy && uvmalloc(p->pagetable, sz, sz + n, PTE_W) == 0)
      r = -1;
    else if (!lazy)
      p->rss += (PGROUNDUP(sz + n) - PGROUNDUP(sz)) / PGSIZE;
    if (r == 0)
      p->sz = sz + n;
  } else if (n < 0 && (uint64)(-(long)n) <= sz) {
    // Shrinking below 0 changes nothing and succeeds, as on xv6 (whose
    // test suites check that sbrk(-(sbrk(0) + 1)) returns the old size).
    uint64 shrink = (uint64)(-(long)n);
    int gone = unmap_range(p->pagetable, PGROUNDUP(sz - shrink), PGROUNDUP(sz));
    if (gone < 0) {
      r = -1;
    } else {
      p->rss -= gone;
      p->sz = sz - shrink; // unmap_range recorded the TLB flush
    }
  }
  releasesleep(&p->vmlock);
  return r;
}

// fork: give child (new, not yet runnable) the parent's memory. On
// failure the child is left with no address space.
int vm_fork(struct proc *parent, struct proc *child) {
  // Two vmlocks: take them in proc-table order (vm.h).
  struct proc *first = parent < child ? parent : child;
  struct proc *second = parent < child ? child : parent;
  acquiresleep(&first->vmlock);
  acquiresleep(&second->vmlock);
  int r = uvmcopy(parent->pagetable, child->pagetable, vm_fork_copy);
  if (r == 0) {
    child->sz = parent->sz;
    child->rss = parent->rss;
  } else {
    uvmfree(child->pagetable);
    child->pagetable = 0;
  }
  releasesleep(&second->vmlock);
  releasesleep(&first->vmlock);
  return r;
}

// exec builds the new image in a fresh table under p->vmlock, so that
// vmaudit and dedup never see frames of a table not yet installed. The
// program's pages are read from the file before (file-system locks come
// before vmlock, vm.h) into frames from kalloc(), which vm_exec_map()
// turns into user pages. Returns the empty table with p->vmlock held, or
// 0 (unlocked) if there is no memory for it.
pagetable_t vm_exec_begin(struct proc *p) {
  acquiresleep(&p->vmlock);
  pagetable_t pt = uvmcreate();
  if (pt == 0)
    releasesleep(&p->vmlock);
  return pt;
}

// Map page, a frame from kalloc() holding the caller's one reference, at
// va of exec's new table pt as a user page with permissions R|U|perm. On
// success the reference becomes the mapping's. Returns 0, or -1 if a
// page-table page could not be allocated (the caller keeps the frame).
int vm_exec_map(pagetable_t pt, uint64 va, void *page, int perm) {
  struct frame *f = frame_of(page);
  if (f->flags != FRAME_KERNEL || frame_refs(page) != 1)
    panic("vm_exec_map: not a fresh kernel frame");
  if (mappages(pt, va, PGSIZE, KVA2PA(page), PTE_R | PTE_U | perm) < 0)
    return -1;
  f->flags = FRAME_USER; // ours alone: nobody else reads its flags yet
  return 0;
}

// Install the new image pt of size sz, free the old one, unlock.
void vm_exec_commit(struct proc *p, pagetable_t pt, uint64 sz) {
  pagetable_t old = p->pagetable;
  p->pagetable = pt;
  p->sz = sz;
  p->rss = uvmcount(pt);
  kvm_switch_user(pt);
  uvmfree(old);
  releasesleep(&p->vmlock);
}

// Exec failed: free the partial image (if any), unlock.
void vm_exec_abort(struct proc *p, pagetable_t pt) {
  if (pt)
    uvmfree(pt);
  releasesleep(&p->vmlock);
}

// exit: release all user memory. The process keeps running on the kernel
// page table until it is reaped. Freeing happens under the lock so that
// vmaudit never counts a frame whose table is half freed.
void vm_exit(struct proc *p) {
  acquiresleep(&p->vmlock);
  pagetable_t pt = p->pagetable;
  p->pagetable = 0; // from now on the scheduler runs p on kernel_pagetable
  p->sz = 0;
  p->rss = 0;
  kvm_switch_kernel();
  if (pt)
    uvmfree(pt);
  releasesleep(&p->vmlock);
}
