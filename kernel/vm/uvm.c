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

struct usage {
  int resident; // valid user PTEs
  int swapped;  // swap PTEs
};

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

// One zeroed user page mapped at va, waiting for memory (reclaim.c) while
// swapping can make some. Returns 0, or -1 when memory is exhausted.
static int map_zero_page(pagetable_t pt, uint64 va, int perm) {
  for (;;) {
    char *mem = upage_alloc();
    if (mem) {
      memset(mem, 0, PGSIZE);
      if (mappages(pt, va, PGSIZE, KVA2PA(mem), perm) == 0)
        return 0;
      krelease(mem); // no page-table page: wait as for a frame
    }
    if (vm_wait_for_memory() < 0)
      return -1;
  }
}

// Map fresh zeroed user pages over [PGROUNDUP(oldsz), newsz) with
// permissions R|U|xperm. Returns newsz, or 0 with nothing new left mapped.
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm) {
  for (uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    if (map_zero_page(pt, a, PTE_R | PTE_U | xperm) < 0) {
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

// Pages of a leaf table: resident (valid) and on swap.
static void count_leaf(pte_t *leaf, struct usage *u) {
  for (int i = 0; i < 512; i++) {
    u->resident += (leaf[i] & PTE_V) != 0;
    u->swapped += IS_SWAP_PTE(leaf[i]);
  }
}

static int empty_leaf(pte_t *leaf) {
  for (int i = 0; i < 512; i++)
    if (leaf[i] != 0)
      return 0;
  return 1;
}

// Clear [start, end), which lies within one leaf table, adding what it
// held to *gone. A table covered whole is just unlinked; otherwise it must
// be private (unmap_range made sure), and it goes too once it is empty.
static void unmap_chunk(pagetable_t pt, uint64 start, uint64 end, struct usage *gone) {
  pte_t *l1e = walk_l1(pt, start);
  if (l1e == 0 || !(*l1e & PTE_V))
    return;
  // pt may be the running process's: its TLB may hold what is removed
  // here, and the frames are freed now. Record the flush before the change.
  tlb_flush_before_user();
  if (start % LEAF_SPAN == 0 && end - start == LEAF_SPAN) {
    count_leaf(pte_table(*l1e), gone);
    leaf_unlink(l1e);
    return;
  }
  pte_t *pte = walk(pt, start, 1);
  for (; start < end; start += PGSIZE, pte++) {
    gone->resident += (*pte & PTE_V) != 0;
    gone->swapped += IS_SWAP_PTE(*pte);
    pte_release(pte);
  }
  if (empty_leaf((pte_t *)PGROUNDDOWN((uint64)(pte - 1))))
    leaf_unlink(l1e); // the table and its links go back too
}

static uint64 chunk_end(uint64 va, uint64 end) {
  uint64 next = (va & ~(LEAF_SPAN - 1)) + LEAF_SPAN;
  return next < end ? next : end;
}

// Unmap [start, end) (page-aligned): release every mapped page and swap
// slot and clear markers; *gone counts what went. Returns 0, or -1 (with
// nothing unmapped) if a shared leaf table that is only partly unmapped
// could not be copied for lack of memory.
static int unmap_range(pagetable_t pt, uint64 start, uint64 end, struct usage *gone) {
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
  for (uint64 va = start; va < end; va = chunk_end(va, end))
    unmap_chunk(pt, va, chunk_end(va, end), gone);
  return 0;
}

// Shrink from oldsz to newsz, releasing the pages above PGROUNDUP(newsz).
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz) {
  struct usage gone = {0, 0};
  if (newsz < oldsz && unmap_range(pt, PGROUNDUP(newsz), PGROUNDUP(oldsz), &gone) < 0)
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
  if (frame_refs(leaf) > 1 || frame_has(f, FRAME_NOWRITE))
    return; // shared already (S1) or scanned already: nothing writable
  _Static_assert(PTE_W == PTE_V << 2 && PTE_COW == PTE_W << 6, "PTE bits as the loop needs");
  uint64 downgraded = 0;
  for (int i = 0; i < 512; i++) { // without branches: TCG runs it faster
    pte_t e = leaf[i];
    uint64 w = e & (e << 2) & PTE_W; // PTE_W if valid and writable
    leaf[i] = (e & ~w) | (w << 6);   // PTE_W becomes PTE_COW
    downgraded |= w;
  }
  if (downgraded) // nothing between the downgrade and here can fail
    tlb_flush_before_user();
  frame_set(f, FRAME_NOWRITE);
}

// The copy of the page PTE e maps, for an eager fork: a fresh frame mapped
// with e's permissions, writable again where e was COW (the copy is not
// shared). Returns 0, or -1 if no frame is left.
static int copy_page(pte_t *dst, pte_t e) {
  char *mem = upage_alloc();
  if (mem == 0)
    return -1;
  memmove(mem, PA2KVA(PTE2PA(e)), PGSIZE);
  uint64 flags = PTE_FLAGS(e) & ~(PTE_A | PTE_D);
  if (flags & PTE_COW)
    flags = (flags & ~PTE_COW) | PTE_W;
  *dst = PA2PTE(KVA2PA(mem)) | flags;
  rmap_add(mem, dst);
  return 0;
}

// A private copy of a leaf table with a copy of every resident page in
// it, as xv6's fork makes (VMCTL_FORK_COPY); pages on swap share their
// slot. Returns 0 if memory ran out.
static pagetable_t copy_leaf(pagetable_t leaf) {
  pagetable_t copy = ptpage_alloc(0, 0);
  if (copy == 0)
    return 0;
  for (int i = 0; i < 512; i++) {
    if (leaf[i] & PTE_V) {
      if (copy_page(&copy[i], leaf[i]) < 0) {
        leaf_free(copy); // releases the pages copied so far
        return 0;
      }
    } else {
      copy[i] = leaf[i]; // empty, a marker, or a swap slot, shared
      if (IS_SWAP_PTE(copy[i]))
        swap_dup(SWAP_SLOT(copy[i]));
    }
  }
  return copy;
}

// Give the new, empty table the memory of old, the running process's:
// shared copy-on-write leaf tables, or copies of every page when eager.
// Returns 0, or -1 if memory ran out (new then holds part of it; uvmfree
// releases that correctly, and the PTEs of old already downgraded stay
// COW, their flush recorded by share_leaf).
// Share every leaf table of old_mid through new_mid (fork's usual way):
// one reverse-map lock for all of them.
static void share_mid(pagetable_t old_mid, pagetable_t new_mid) {
  for (int i1 = 0; i1 < 512; i1++)
    if (old_mid[i1] & PTE_V)
      share_leaf(pte_table(old_mid[i1]));
  rmap_lock();
  for (int i1 = 0; i1 < 512; i1++) {
    if (!(old_mid[i1] & PTE_V))
      continue;
    pagetable_t leaf = pte_table(old_mid[i1]);
    kretain(leaf);
    new_mid[i1] = old_mid[i1];
    rmap_add_locked(leaf, &new_mid[i1]);
  }
  rmap_unlock();
}

// Copy every leaf table of old_mid into new_mid (VMCTL_FORK_COPY).
// Returns 0, or -1 if memory ran out.
static int copy_mid(pagetable_t old_mid, pagetable_t new_mid) {
  for (int i1 = 0; i1 < 512; i1++) {
    if (!(old_mid[i1] & PTE_V))
      continue;
    pagetable_t leaf = copy_leaf(pte_table(old_mid[i1]));
    if (leaf == 0)
      return -1;
    new_mid[i1] = PA2PTE(KVA2PA(leaf)) | PTE_V;
    rmap_add(leaf, &new_mid[i1]);
  }
  return 0;
}

int uvmcopy(pagetable_t old, pagetable_t new, int eager) {
  for (int i2 = 0; i2 < 256; i2++) {
    if (!(old[i2] & PTE_V))
      continue;
    pagetable_t new_mid = ptpage_alloc(1, frame_of(new)->owner);
    if (new_mid == 0)
      return -1;
    new[i2] = PA2PTE(KVA2PA(new_mid)) | PTE_V;
    if (!eager)
      share_mid(pte_table(old[i2]), new_mid);
    else if (copy_mid(pte_table(old[i2]), new_mid) < 0)
      return -1;
  }
  return 0;
}

static int count_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  count_leaf(leaf, arg);
  return 0;
}

// Resident pages and pages on swap of a table.
void uvmcount(pagetable_t pt, int *resident, int *swapped) {
  struct usage u = {0, 0};
  for_each_leaf_table(pt, count_leaf_table, &u);
  *resident = u.resident;
  *swapped = u.swapped;
}

// ---------------------------------------------------------------- several address spaces
//
// The reclaimer and a COW fault that gives its copy away change PTEs of
// other address spaces, found through the reverse map as a mask of proc[]
// indexes (rmap_sharers). They only TRY those vmlocks: they may hold their
// own already, and waiting for another out of proc-table order could close
// a cycle (vm.h); an address space that is busy is left alone this time.

// Try the vmlock of every process in mask that the caller does not hold
// already; *taken gets the ones taken. Returns 0, or -1 (with none taken)
// if one is busy.
int vm_trylock_procs(uint64 mask, uint64 *taken) {
  *taken = 0;
  for (int i = 0; i < NPROC; i++) {
    if (!(mask >> i & 1) || holdingsleep(&proc[i].vmlock))
      continue;
    if (!tryacquiresleep(&proc[i].vmlock)) {
      vm_unlock_procs(*taken);
      *taken = 0;
      return -1;
    }
    *taken |= 1UL << i;
  }
  return 0;
}

void vm_unlock_procs(uint64 taken) {
  for (int i = 0; i < NPROC; i++)
    if (taken >> i & 1)
      releasesleep(&proc[i].vmlock);
}

// Does the caller hold the vmlock of every process in mask?
int vm_holds_procs(uint64 mask) {
  for (int i = 0; i < NPROC; i++)
    if ((mask >> i & 1) && !holdingsleep(&proc[i].vmlock))
      return 0;
  return 1;
}

// ---------------------------------------------------------------- processes

// Can n more pages be backed by free frames and free swap slots, beside
// the page-table pages they need and the kernel's reserve? The commit rule
// of eager sbrk while swapping is on (docs/vm.md): without it a request
// that cannot succeed would first push everything else out to disk.
// Without swapping the allocation itself finds out.
static int can_back(uint64 npages) {
  if (!vm_swap_on || swap_slots() == 0)
    return 1;
  uint64 tables = 2 * (npages / 512 + 2); // leaf tables and their links
  return npages + tables + VM_RESERVE <= freepages() + swap_slots_free();
}

// Map fresh zero pages over [PGROUNDUP(sz), end) of p, counting each as
// it is mapped: reclaim, which may run while later pages wait for memory,
// moves an earlier one to swap and p's counts with it. On failure it
// unmaps them again, taking from the counts whatever they have become.
static int map_heap(struct proc *p, uint64 sz, uint64 end) {
  for (uint64 a = PGROUNDUP(sz); a < end; a += PGSIZE) {
    if (map_zero_page(p->pagetable, a, PTE_R | PTE_U | PTE_W) == 0) {
      p->rss++;
      continue;
    }
    struct usage gone = {0, 0};
    // The tables these pages went into are private (mapping made them
    // so), so unmapping allocates nothing and cannot fail.
    if (unmap_range(p->pagetable, PGROUNDUP(sz), a, &gone) < 0)
      panic("map_heap: cannot unmap what it mapped");
    p->rss -= gone.resident;
    p->swapped -= gone.swapped;
    return -1;
  }
  return 0;
}

static int grow(struct proc *p, uint64 n, int lazy) {
  uint64 sz = p->sz;
  if (sz + n > TRAPFRAME)
    return -1;
  if (!lazy) {
    uint64 npages = (PGROUNDUP(sz + n) - PGROUNDUP(sz)) / PGSIZE;
    if (!can_back(npages) || map_heap(p, sz, sz + n) < 0)
      return -1;
  }
  p->sz = sz + n;
  return 0;
}

static int shrink(struct proc *p, uint64 n) {
  uint64 sz = p->sz;
  struct usage gone = {0, 0};
  if (unmap_range(p->pagetable, PGROUNDUP(sz - n), PGROUNDUP(sz), &gone) < 0)
    return -1;
  p->rss -= gone.resident;
  p->swapped -= gone.swapped;
  p->sz = sz - n; // unmap_range recorded the TLB flush
  return 0;
}

// sbrk: grow by n bytes (n > 0: eagerly, or lazily so that vmfault fills
// pages on first touch) or shrink (n < 0). The heap may not reach the
// addresses xv6 reserves for TRAPFRAME and TRAMPOLINE. Shrinking below 0
// changes nothing and succeeds, as on xv6 (whose test suites check that
// sbrk(-(sbrk(0) + 1)) returns the old size).
int vm_grow(struct proc *p, int n, int lazy) {
  int r = 0;
  acquiresleep(&p->vmlock);
  if (n > 0)
    r = grow(p, n, lazy);
  else if (n < 0 && (uint64)(-(long)n) <= p->sz)
    r = shrink(p, (uint64)(-(long)n));
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
  // uvmcopy never waits for memory (reclaim), so nothing moved the
  // parent's pages meanwhile, and the child's counts are the parent's.
  int r = uvmcopy(parent->pagetable, child->pagetable, vm_fork_copy);
  if (r == 0) {
    child->sz = parent->sz;
    child->rss = parent->rss;
    child->swapped = parent->swapped;
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
  pagetable_t pt = uvmcreate(p);
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
  f->flags = FRAME_USER; // ours alone: nobody else reads its flags yet
  if (mappages(pt, va, PGSIZE, KVA2PA(page), PTE_R | PTE_U | perm) < 0) {
    f->flags = FRAME_KERNEL;
    return -1;
  }
  return 0;
}

// Install the new image pt of size sz, free the old one, unlock.
void vm_exec_commit(struct proc *p, pagetable_t pt, uint64 sz) {
  pagetable_t old = p->pagetable;
  p->pagetable = pt;
  p->sz = sz;
  uvmcount(pt, &p->rss, &p->swapped);
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
  p->swapped = 0;
  kvm_switch_kernel();
  if (pt)
    uvmfree(pt);
  releasesleep(&p->vmlock);
}
