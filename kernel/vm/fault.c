// The page-fault handler: what happens when a user access (or a kernel
// copy to or from user memory, through copyin/copyout) finds a page not
// mapped the way the access needs.
//
// A word on page faults: the PTE for the faulting address decides.
//
//   PTE state                  access        action
//   -------------------------  ------------  ---------------------------------
//   none (0), va <  p->sz      any           lazy page: map a zeroed frame
//   none (0), va >= p->sz      any           kill: outside the process
//   PTE_GUARD                  any           kill: stack overflow / guard page
//   swap PTE                   any           swap-in (below), then as valid
//   valid, PTE_COW             write         COW break (below)
//   valid, read-only, no COW   write         kill: text or other read-only page
//   valid, no PTE_X            execute       kill
//   valid, allows the access   any           stale TLB entry: flush it, retry
//   va >= MAXVA, not PTE_U     any           kill
//
// COW break: first, if the leaf table is shared with other address spaces
// (fork shares them, uvm.c), this one gets its own copy of the table. Then,
// if nobody else needs the frame (one reference; or two, the other being
// the swap cache's copy of a slot no PTE names, which is dropped) the page
// is ours alone: make the PTE writable in place (no copy, no flush).
// Otherwise the frame is copied, and one side gets the copy:
//   - the other sharers, if none of them can be running on any hart
//     (give_copy_away): their PTEs are rewritten to the copy (holding
//     their vmlocks, tried only), and ours becomes writable in place. No
//     TLB anywhere holds the old frame for them (a process that is not
//     running holds no entry, and one that starts to run flushes first),
//     and ours only gains a permission: no flush at all, which under QEMU
//     saves the refill of its whole software TLB;
//   - otherwise we do: map the copy writable, release the old frame, and
//     flush our stale entry before we run in user mode again.
//
// Swap-in: the leaf table is made private, then the swap cache (swap.c)
// gives the frame holding the slot's content, reading it from disk if no
// sharer did already: a page shared by k processes is read once. The PTE
// gets the frame with the permissions the swap PTE kept (never PTE_W: a
// frame in the swap cache is clean, I5), and the slot loses this PTE's
// reference; with swap half full a page nobody else needs leaves the
// cache at once, giving its slot back. A store then breaks COW as above,
// in the same fault.
//
// No frame for a lazy page, a copy, a swap-in or a page-table page: the
// handler returns VM_NOMEM having changed nothing but a private copy of a
// leaf table. vmfault() then lets go of the vmlock (so that a reclaimer
// may take pages of this process too), waits until the reclaimer made
// memory (reclaim.c) and starts again; only when no memory can be made
// is the process killed.
//
// Locking: the process's vmlock is held throughout a case, so the PTE
// cannot change under us; reference counts are atomic (frame.c).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

struct vmstats vmstats;

static int fault_lazy(struct proc *p, uint64 va) {
  char *mem = upage_alloc();
  pte_t *pte = mem ? walk(p->pagetable, va, 1) : 0; // a private leaf table
  if (pte == 0) {
    if (mem)
      krelease(mem);
    return VM_NOMEM;
  }
  memset(mem, 0, PGSIZE);
  *pte = PA2PTE(KVA2PA(mem)) | PTE_R | PTE_W | PTE_U | PTE_V;
  rmap_add(mem, pte);
  p->rss++;
  return VM_OK; // the PTE was invalid, so no TLB entry can be stale
}

// Is the frame mapped by our PTE ours alone? A swap-cache copy nobody else
// needs is let go on the way (swap.c).
static int sole_user(void *old) {
  if (frame_refs(old) == 1)
    return 1;
  return frame_refs(old) == 2 && swap_cache_drop(old) == 0;
}

// The address spaces that see the PTE slots mapping old, other than pte,
// into *mask, and how many such slots there are. Returns -1 if one is in a
// leaf table being built or freed (rmap.c): then leave them alone. Caller
// holds rmap_lock.
static int other_sharers(void *old, pte_t *pte, uint64 *mask, int *slots) {
  ptslot mine = ptslot_of(pte);
  *mask = 0;
  *slots = 0;
  for (ptslot s = rmap_first(old); s != NO_PTSLOT; s = rmap_next(s)) {
    if (s == mine)
      continue;
    (*slots)++;
    if (rmap_sharers((pagetable_t)PGROUNDDOWN((uint64)ptslot_pte(s)), mask) < 0)
      return -1;
  }
  return 0;
}

// Can the copy go to the others? Every reference to old is a mapping (no
// swap cache, zero frame or pin), none of them is ours, and no address
// space that sees one of them is running. Caller holds rmap_lock.
static int others_can_take(struct proc *p, pte_t *pte, void *old, uint64 *sharers, int *slots) {
  return other_sharers(old, pte, sharers, slots) == 0 && *slots > 0 &&
         frame_refs(old) == (uint32)*slots + 1 &&
         !(*sharers & (1UL << (p - proc))) && !(*sharers & running_procs());
}

// Every PTE mapping old but pte now maps copy, which gets their references
// (it has one already). Caller holds rmap_lock and the sharers' vmlocks.
static void move_others(void *old, pte_t *pte, void *copy, int slots) {
  ptslot mine = ptslot_of(pte), next;
  for (ptslot s = rmap_first(old); s != NO_PTSLOT; s = next) {
    next = rmap_next(s);
    if (s == mine)
      continue;
    pte_t *q = ptslot_pte(s);
    *q = PA2PTE(KVA2PA(copy)) | PTE_FLAGS(*q);
    rmap_del_locked(old, q);
    rmap_add_locked(copy, q);
  }
  for (int i = 1; i < slots; i++)
    kretain(copy);
  __atomic_fetch_sub(&frame_of(old)->refs, slots, __ATOMIC_ACQ_REL);
  if (frame_has(frame_of(old), FRAME_MERGED))
    frame_set(frame_of(copy), FRAME_MERGED);
}

// Give the fresh copy of old to the other sharers (the case table above).
// Returns 0, or -1 with nothing changed if that cannot be shown safe.
// Caller holds p->vmlock; pte is p's, in a private leaf table.
//
// One pass over the reverse map: while rmap_lock is held nobody can start
// or stop mapping old, so the sharers found are the sharers, and their
// vmlocks are tried right there. A try never waits, so taking them under
// the spinlock inverts no lock order (vm.h); a busy one sends us back to
// the usual path.
static int give_copy_away(struct proc *p, pte_t *pte, void *old, void *copy) {
  uint64 sharers, taken = 0;
  int slots;
  rmap_lock();
  int ok = others_can_take(p, pte, old, &sharers, &slots) &&
           vm_trylock_procs(sharers, &taken) == 0;
  if (ok)
    move_others(old, pte, copy, slots);
  rmap_unlock();
  // A sharer that started to run after the check above but before the PTE
  // stores may have loaded the old frame: running_procs() reads after the
  // stores, so such a sharer is seen here, and flushed.
  if (ok && (running_procs() & sharers))
    tlb_shootdown();
  vm_unlock_procs(taken);
  return ok ? 0 : -1;
}

static int cow_break(struct proc *p, uint64 va) {
  pte_t *pte = walk(p->pagetable, va, 1); // a shared leaf table is copied first
  if (pte == 0)
    return VM_NOMEM;
  void *old = PA2KVA(PTE2PA(*pte));
  uint64 flags = (PTE_FLAGS(*pte) & ~PTE_COW) | PTE_W;
  if (sole_user(old)) {
    // Only this PTE slot maps it, and the table is ours alone (frame.c:
    // nobody can add a reference meanwhile). Permissions only grow, so a
    // stale read-only TLB entry can at worst cause one more, spurious,
    // fault: no flush needed.
    *pte = PA2PTE(KVA2PA(old)) | flags;
    VMSTAT_INC(cow_faults);
    VMSTAT_INC(cow_reuses);
    return VM_OK;
  }
  char *mem = upage_alloc();
  if (mem == 0)
    return VM_NOMEM;
  VMSTAT_INC(cow_faults);
  memmove(mem, old, PGSIZE);
  if (frame_has(frame_of(old), FRAME_MERGED))
    VMSTAT_INC(dedup_cow_breaks);
  if (give_copy_away(p, pte, old, mem) == 0) {
    *pte = PA2PTE(KVA2PA(old)) | flags; // ours alone now: permissions only grow
    VMSTAT_INC(cow_copies);
    VMSTAT_INC(cow_gives);
    return VM_OK;
  }
  rmap_lock();
  rmap_del_locked(old, pte);
  *pte = PA2PTE(KVA2PA(mem)) | flags;
  rmap_add_locked(mem, pte);
  rmap_unlock();
  // Our TLB may still map va to the old frame; only our user mode could use
  // that entry, and the flush comes before it runs again.
  tlb_flush_before_user();
  page_release(old);
  VMSTAT_INC(cow_copies);
  return VM_OK;
}

static int swap_in(struct proc *p, uint64 va) {
  pte_t *pte = walk(p->pagetable, va, 1); // the PTE changes: make the table ours
  if (pte == 0)
    return VM_NOMEM;
  uint32 slot = SWAP_SLOT(*pte);
  void *kva = swap_read(slot); // with a reference for our mapping
  if (kva == 0)
    return VM_NOMEM;
  if (*pte & PTE_SWAP_MERGED) // still merged: every sharer maps this frame
    frame_set(frame_of(kva), FRAME_MERGED);
  *pte = PA2PTE(KVA2PA(kva)) | (*pte & SWAP_KEEP) | PTE_V;
  rmap_add(kva, pte);
  swap_put(slot); // our PTE names the frame now, no longer the slot
  // With swap half full, keep no clean copy of a page only we use: its slot
  // is worth more to the next page that must go out.
  if (swap_slots_free() < swap_slots() / 2)
    swap_cache_drop(kva);
  p->rss++;
  p->swapped--;
  return VM_OK; // the PTE was invalid, so no TLB entry can be stale
}

// Does a valid user PTE allow this access?
static int allows(pte_t pte, int access) {
  if (access == VM_WRITE)
    return (pte & PTE_W) != 0;
  if (access == VM_EXEC)
    return (pte & PTE_X) != 0;
  return (pte & PTE_R) != 0;
}

// The case table above. Caller holds p->vmlock.
int fault_locked(struct proc *p, uint64 va, int access) {
  if (va >= MAXVA)
    return VM_BAD;
  va = PGROUNDDOWN(va);
  pte_t *pte = walk(p->pagetable, va, 0); // look only: the table may be shared
  pte_t e = pte ? *pte : 0;
  if (e == 0)
    return va < p->sz ? fault_lazy(p, va) : VM_BAD;
  if (IS_SWAP_PTE(e)) {
    int r = swap_in(p, va);
    if (r != VM_OK || access != VM_WRITE || !(e & PTE_COW))
      return r;              // a read, a write to a read-only page (kills on retry), ...
    return cow_break(p, va); // ... or a store to a page that was writable
  }
  if (!(e & PTE_V) || !(e & PTE_U))
    return VM_BAD; // guard page
  if (access == VM_WRITE && (e & PTE_COW))
    return cow_break(p, va);
  if (!allows(e, access))
    return VM_BAD;
  tlb_flush_before_user(); // spurious: a stale entry; the PTE allows it
  return VM_OK;
}

// fault_locked(), waiting for memory as often as reclaiming can make some.
// Called with p->vmlock held, which is let go while waiting: a reclaimer
// may then take pages of p as well. Returns VM_OK, VM_BAD, or VM_NOMEM
// when memory is exhausted for good.
int fault_retry(struct proc *p, uint64 va, int access) {
  int r;
  while ((r = fault_locked(p, va, access)) == VM_NOMEM) {
    releasesleep(&p->vmlock);
    int waited = vm_wait_for_memory();
    acquiresleep(&p->vmlock);
    if (waited < 0)
      break;
  }
  return r;
}

// A user page fault at va. Returns VM_OK when the access can be retried.
int vmfault(struct proc *p, uint64 va, int access) {
  acquiresleep(&p->vmlock);
  int r = fault_retry(p, va, access);
  releasesleep(&p->vmlock);
  return r;
}
