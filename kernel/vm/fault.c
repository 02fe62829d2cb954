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
//   valid, PTE_COW             write         COW break (below)
//   valid, read-only, no COW   write         kill: text or other read-only page
//   valid, no PTE_X            execute       kill
//   valid, allows the access   any           stale TLB entry: flush it, retry
//   va >= MAXVA, not PTE_U     any           kill
//
// COW break: first, if the leaf table is shared with other address spaces
// (fork shares them, uvm.c), this one gets its own copy of the table. Then,
// if the frame has one reference, the page is ours alone: make the PTE
// writable in place (no copy). Otherwise copy the frame to a new
// one, map that writable and release the old frame; the stale TLB entry is
// flushed before the process runs in user mode again (pagetable.c). No
// frame for the copy: the process is killed (VM_NOMEM).
//
// Locking: the process's vmlock is held throughout, so the PTE cannot
// change under us; reference counts are atomic (frame.c).
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
  char *mem = frame_alloc(FRAME_USER);
  pte_t *pte = mem ? walk(p->pagetable, va, 1) : 0; // a private leaf table
  if (pte == 0) {
    if (mem)
      krelease(mem);
    return VM_NOMEM;
  }
  memset(mem, 0, PGSIZE);
  *pte = PA2PTE(KVA2PA(mem)) | PTE_R | PTE_W | PTE_U | PTE_V;
  p->rss++;
  return VM_OK; // the PTE was invalid, so no TLB entry can be stale
}

static int cow_break(struct proc *p, uint64 va) {
  VMSTAT_INC(cow_faults);
  pte_t *pte = walk(p->pagetable, va, 1); // a shared leaf table is copied first
  if (pte == 0)
    return VM_NOMEM;
  void *old = PA2KVA(PTE2PA(*pte));
  uint64 flags = (PTE_FLAGS(*pte) & ~PTE_COW) | PTE_W;
  if (frame_refs(old) == 1) {
    // Only this PTE slot maps it, and the table is ours alone (frame.c:
    // nobody can add a reference meanwhile). Permissions only grow, so a
    // stale read-only TLB entry can at worst cause one more, spurious,
    // fault: no flush needed.
    *pte = PA2PTE(KVA2PA(old)) | flags;
    VMSTAT_INC(cow_reuses);
    return VM_OK;
  }
  char *mem = frame_alloc(FRAME_USER);
  if (mem == 0)
    return VM_NOMEM;
  memmove(mem, old, PGSIZE);
  if (frame_of(old)->flags & FRAME_MERGED)
    VMSTAT_INC(dedup_cow_breaks);
  *pte = PA2PTE(KVA2PA(mem)) | flags;
  // Our TLB may still map va to the old frame; only our user mode could use
  // that entry, and the flush comes before it runs again.
  tlb_flush_before_user();
  krelease(old);
  VMSTAT_INC(cow_copies);
  return VM_OK;
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
  if (!(e & PTE_V) || !(e & PTE_U))
    return VM_BAD; // guard page
  if (access == VM_WRITE && (e & PTE_COW))
    return cow_break(p, va);
  if (!allows(e, access))
    return VM_BAD;
  tlb_flush_before_user(); // spurious: a stale entry; the PTE allows it
  return VM_OK;
}

// A user page fault at va. Returns VM_OK when the access can be retried.
int vmfault(struct proc *p, uint64 va, int access) {
  acquiresleep(&p->vmlock);
  int r = fault_locked(p, va, access);
  releasesleep(&p->vmlock);
  return r;
}
