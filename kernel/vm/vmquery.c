// vmquery(): one state byte per page of an address space (kernel/vmquery.h
// has the states and the system call's contract; vmmap draws them).
//
// A page's state comes from its PTE and its frame:
//
//   PTE                          frame                      state
//   ---------------------------  -------------------------  -----------
//   0 (or no leaf table)         -                          LAZY below sz,
//                                                           else NONE
//   PTE_GUARD                    -                          GUARD
//   swap PTE                     slot cached (swap.c)       SWAPCACHE
//   swap PTE                     slot not cached            SWAPPED
//   valid                        the zero frame             ZERO
//   valid                        FRAME_MERGED, sharers > 1  MERGED
//   valid, PTE_W                 -                          PRIVATE
//   valid, PTE_COW               sharers > 1                COW
//   valid, PTE_COW               sharers == 1               PRIVATE
//   valid, read-only, no COW     -                          READONLY
//
// Sharers follow rule S2 (pagetable.c): a frame holds one reference per
// PTE slot, and a leaf table shared after fork holds one reference per
// address space that sees it. So the address spaces that see this slot
// are the leaf table's references, and each other slot of the frame adds
// at least one more: sharers = leaf refs + frame refs - kernel refs - 1,
// the kernel's references being the zero frame's and the swap cache's. A
// page on swap counts its slot's references the same way, and the
// mappings of the slot's cached frame, if any.
// A page in a shared leaf table is shared even if its frame has one
// reference.
//
// Locking: the target's vmlock is held while its PTEs are read, so they
// cannot change; frames they map cannot be freed meanwhile. The lock is
// held for one chunk of at most PGSIZE pages at a time and released before
// the chunk is copied out to the caller, so a query never holds two
// vmlocks (the copy takes the caller's) and never blocks the target long.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vmquery.h"
#include "kernel/vm/vm.h"

#define CHUNK PGSIZE // states filled per hold of the target's vmlock

// Is p process pid, and running or ready to run? A process still being
// made by fork (USED) is not: its table is set up without its vmlock.
static int is_live(struct proc *p, int pid) {
  acquire(&p->lock);
  int live = p->pid == pid && (p->state == RUNNABLE || p->state == RUNNING || p->state == SLEEPING);
  release(&p->lock);
  return live;
}

// The live process pid with its vmlock held, or 0 if there is none (or it
// has no address space left: it is exiting).
static struct proc *lock_target(int pid) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (!is_live(p, pid))
      continue;
    acquiresleep(&p->vmlock);
    // The process may have exited, and its slot been reused, while we
    // waited for the lock.
    if (is_live(p, pid) && p->pagetable)
      return p;
    releasesleep(&p->vmlock);
    return 0;
  }
  return 0;
}

static uchar encode(int state, uint32 sharers) {
  return state | (sharers > VMQ_SHARERS_MAX ? VMQ_SHARERS_MAX : sharers) << 4;
}

// The state byte of page va of p (the table above). Caller holds p->vmlock.
static uchar page_state(struct proc *p, uint64 va) {
  pte_t *l1e = walk_l1(p->pagetable, va);
  pagetable_t leaf = l1e && (*l1e & PTE_V) ? pte_table(*l1e) : 0;
  pte_t pte = leaf ? leaf[PX(0, va)] : 0;
  if (pte == 0)
    return va < p->sz ? VMQ_LAZY : VMQ_NONE;
  if (pte == PTE_GUARD)
    return VMQ_GUARD;
  if (IS_SWAP_PTE(pte)) { // counts read without swap.c's lock: a snapshot
    void *f = swap_slot_frame(SWAP_SLOT(pte));
    uint32 sharers = frame_refs(leaf) + swap_slot_refs(SWAP_SLOT(pte)) - 1;
    if (f) // the cache's references on slot and frame are no sharers
      sharers += frame_refs(f) - 2;
    return encode(f ? VMQ_SWAPCACHE : VMQ_SWAPPED, sharers);
  }
  if (!(pte & PTE_V))
    return VMQ_NONE;
  void *f = PA2KVA(PTE2PA(pte));
  int zero = f == dedup_zero_frame(); // holds one kernel reference
  int cached = frame_of(f)->aux != NO_SLOT; // the swap cache holds one too
  uint32 sharers = frame_refs(leaf) + frame_refs(f) - zero - cached - 1;
  if (zero)
    return encode(VMQ_ZERO, sharers);
  if ((frame_of(f)->flags & FRAME_MERGED) && sharers > 1)
    return encode(VMQ_MERGED, sharers);
  if (pte & PTE_W)
    return encode(VMQ_PRIVATE, sharers);
  if (pte & PTE_COW)
    return encode(sharers > 1 ? VMQ_COW : VMQ_PRIVATE, sharers);
  return encode(VMQ_READONLY, sharers);
}

// Could p store to every byte of [va, va + len), as copyout would (by
// breaking COW or filling lazy pages)? Caller holds p->vmlock.
static int user_writable(struct proc *p, uint64 va, uint64 len) {
  if (va + len < va || va + len > MAXVA)
    return 0;
  for (uint64 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
    pte_t *pte = walk(p->pagetable, a, 0);
    pte_t e = pte ? *pte : 0;
    if (e == 0 && a >= p->sz)
      return 0;
    if (IS_SWAP_PTE(e) && (e & PTE_COW))
      continue; // was writable: comes back as COW
    if (e != 0 && ((e & (PTE_V | PTE_U)) != (PTE_V | PTE_U) || !(e & (PTE_W | PTE_COW))))
      return 0;
  }
  return 1;
}

// Fill buf with the states of n pages from va of process pid. Returns the
// process's size in pages, or -1 if it is gone.
static int fill_chunk(int pid, uint64 va, int n, char *buf) {
  struct proc *p = lock_target(pid);
  if (p == 0)
    return -1;
  for (int i = 0; i < n; i++)
    buf[i] = page_state(p, va + (uint64)i * PGSIZE);
  int size = PGROUNDUP(p->sz) / PGSIZE;
  releasesleep(&p->vmlock);
  return size;
}

// int vmquery(int pid, uint64 va, int npages, char *states)
uint64 sys_vmquery(void) {
  int pid, npages;
  uint64 va, dst;
  argint(0, &pid);
  argaddr(1, &va);
  argint(2, &npages);
  argaddr(3, &dst);
  struct proc *me = myproc();
  if (pid == 0)
    pid = me->pid;
  if (pid < 0 || va % PGSIZE != 0 || va >= MAXVA || npages <= 0 || npages > VMQ_MAXPAGES ||
      (uint64)npages > (MAXVA - va) / PGSIZE)
    return -1;
  acquiresleep(&me->vmlock);
  int ok = user_writable(me, dst, npages);
  releasesleep(&me->vmlock);
  char *buf = ok ? kalloc() : 0;
  if (buf == 0)
    return -1;
  int r = 0;
  for (int done = 0, n; done < npages && r >= 0; done += n) {
    n = npages - done < CHUNK ? npages - done : CHUNK;
    r = fill_chunk(pid, va + (uint64)done * PGSIZE, n, buf);
    // The buffer was checked, so only running out of memory for a COW
    // break or a lazy page of it can make this fail.
    if (r >= 0 && copyout(me->pagetable, dst + done, buf, n) < 0)
      r = -1;
  }
  krelease(buf);
  return r;
}

// For ^P: count into shared[i] the resident pages of proc[i] whose frame
// other PTE views map too (sharers > 1 above: another address space, a
// leaf table shared after fork, or a second slot of the same process).
//
// It runs from the console's interrupt, where no vmlock can be taken, so
// it reads the reverse map instead, under rmap_lock (a spinlock: the
// interrupted code on this hart holds none). Each frame is pinned while
// its list is read, so the counts are a snapshot of the reverse map that
// may trail PTEs changing at that moment. Leaf tables that no level-1
// entry names (being built or freed) count for nobody. Cost: one pass
// over the frame table, the free-list and reverse-map locks taken per
// user frame.
// Add the frame kva's PTE views to shared[] if it has two or more. Caller
// holds rmap_lock.
static void count_sharers(void *kva, int shared[NPROC]) {
  int views = 0;
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT && views < 2; s = rmap_next(s)) {
    uint64 mask = 0;
    if (rmap_sharers((pagetable_t)PGROUNDDOWN((uint64)ptslot_pte(s)), &mask) == 0)
      for (; mask; mask &= mask - 1) // one per address space
        views++;
  }
  if (views < 2)
    return;
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT; s = rmap_next(s)) {
    uint64 mask = 0;
    rmap_sharers((pagetable_t)PGROUNDDOWN((uint64)ptslot_pte(s)), &mask);
    for (int i = 0; i < NPROC; i++)
      shared[i] += (mask >> i) & 1;
  }
}

void vm_shared_pages(int shared[NPROC]) {
  for (int i = 0; i < NPROC; i++)
    shared[i] = 0;
  for (uint32 n = 0; n < frame_count(); n++) {
    struct frame *f = &frames[n];
    // Pinned, so that it cannot be freed (and its reverse map with it)
    // while we read; the pin goes after the lock.
    if (!(__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & FRAME_USER) || !frame_pin_user(f))
      continue;
    void *kva = frame_kva(f);
    rmap_lock();
    count_sharers(kva, shared);
    rmap_unlock();
    page_release(kva);
  }
}
