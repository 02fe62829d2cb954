// Copy-on-write IPC, the VM side: moving the n bytes of a message (or a
// reply) from a buffer of one address space to a buffer of another.
// kernel/ipc.c does the rendezvous (queues, blocking, the system calls)
// and calls vm_ipc_move() once both partners are known.
//
// The sharing rule. The message is cut into chunks at the page
// boundaries of both buffers. Where the source and destination addresses
// have the same offset in their pages, each page the message covers whole
// is *shared*: the destination's PTE is replaced by one that maps the
// source's frame copy-on-write, as fork would share it. The head and tail
// that do not fill a page, every chunk when the offsets differ, and every
// chunk while VMCTL_IPC_COPY is on, are *copied*. So no byte outside the
// message ever reaches the receiver: a frame is shared only if the message
// covers all of it.
//
//   source PTE                     shared page: action
//   -----------------------------  ------------------------------------------
//   writable                       becomes COW; the destination maps it COW
//   COW, merged, the zero frame    the destination maps it COW too
//   read-only, not COW (text)      stays read-only; the destination maps it
//                                  COW (writable by copying, like any page)
//   lazy (0 below sz), on swap     brought in first, as a user load would
//                                  (fault_locked), then as above
//   destination maps that frame    nothing: the same page was sent before
//   COW already
//
// The destination's previous page (a frame, a swap slot, or nothing if it
// was lazy) is released, so sharing frees the receiver's frames. A copied
// chunk first makes the destination page writable as a user store would
// (fault_locked: lazy fill, swap-in, COW break). The destination keeps
// its own PTE_X; its resident and swapped counts stay exact.
//
// Validity first: both buffers are checked whole, under both vmlocks,
// before anything changes. The source must be user-readable (mapped with
// PTE_R, on swap, or lazy below sz) and the destination user-writable
// (PTE_W, PTE_COW, lazy below sz, or a swap PTE with PTE_COW). A bad
// buffer thus changes nothing.
//
// Memory may run out half way (a lazy page, a swap-in, a COW copy, a
// private leaf table). The transfer is restartable: `done` counts the
// bytes delivered, which stay delivered; on VM_NOMEM both vmlocks are let
// go (vm_wait_for_memory() may need to push out pages of either process,
// and we never wait holding two locks that we would then take again),
// then both are taken again in order, the rest of the buffers checked
// again, and the transfer goes on from `done`. If no memory can be made
// the result says whether any byte had reached the destination.
//
// TLB. Of the two processes one is the caller (myproc()); the other is a
// sender that kernel/ipc.c holds blocked in send() for the whole move. A
// PTE of the caller that is downgraded (writable to COW) or replaced gets
// tlb_flush_before_user(): only the caller's own user mode can use the
// stale entry, and the flush comes before it returns there. A PTE of the
// blocked sender runs on no hart in user mode, and every hart that runs it
// again flushes when it switches to it (kvm_switch_user); but the sender
// may have been woken (by kill) and switched to during the move, so the
// move reports *other_stale and the sender flushes before it leaves send()
// (kernel/ipc.c). Both are recorded at the moment a PTE changes, whatever
// happens next, failures included.
//
// Locks: the vmlocks of both processes, taken in proc-table order (vm.h);
// never waits for memory while holding them.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

struct move {
  struct proc *src, *dst;
  uint64 sva, dva, n;
  uint64 done;     // bytes delivered so far; the move resumes here
  int other_stale; // a PTE of the process that is not myproc() changed
};

static void lock_pair(struct proc *a, struct proc *b) {
  acquiresleep(&(a < b ? a : b)->vmlock); // proc-table order (vm.h)
  acquiresleep(&(a < b ? b : a)->vmlock);
}

static void unlock_pair(struct proc *a, struct proc *b) {
  releasesleep(&a->vmlock);
  releasesleep(&b->vmlock);
}

// A PTE of p was downgraded or replaced; see "TLB" above.
static void pte_changed(struct move *m, struct proc *p) {
  if (p == myproc())
    tlb_flush_before_user();
  else
    m->other_stale = 1;
}

// ---------------------------------------------------------------- checking

// Could a user access of this kind reach the page whose PTE is e, at va
// below or above sz? As the fault table (fault.c) would resolve it.
static int page_allows(pte_t e, uint64 va, uint64 sz, int access) {
  if (e == 0)
    return va < sz; // lazy: zero-filled on first touch
  if (IS_SWAP_PTE(e))
    return access == VM_READ ? (e & PTE_R) != 0 : (e & PTE_COW) != 0;
  if ((e & (PTE_V | PTE_U)) != (PTE_V | PTE_U))
    return 0; // the guard page
  return access == VM_READ ? (e & PTE_R) != 0 : (e & (PTE_W | PTE_COW)) != 0;
}

// May p's user mode access every byte of [va, va + len) this way? One
// walk per leaf table, not per page. Caller holds p->vmlock.
static int range_allows(struct proc *p, uint64 va, uint64 len, int access) {
  if (len == 0)
    return 1;
  if (va + len < va || va + len > MAXVA)
    return 0;
  pte_t *leaf = 0;
  for (uint64 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
    if (leaf == 0 || PX(0, a) == 0) {
      pte_t *l1e = walk_l1(p->pagetable, a);
      leaf = l1e && (*l1e & PTE_V) ? pte_table(*l1e) : 0;
    }
    if (!page_allows(leaf ? leaf[PX(0, a)] : 0, a, p->sz, access))
      return 0;
  }
  return 1;
}

// The rest of the move, from m->done, is allowed on both sides.
static int check_rest(struct move *m) {
  uint64 left = m->n - m->done;
  if (!range_allows(m->src, m->sva + m->done, left, VM_READ))
    return IPC_BAD_SRC;
  if (!range_allows(m->dst, m->dva + m->done, left, VM_WRITE))
    return IPC_BAD_DST;
  return IPC_OK;
}

// Is [va, va + len) of p, the caller, user-readable (VM_READ) or
// user-writable (VM_WRITE)? Returns 0 or -1. For the rendezvous, which
// checks a buffer before blocking.
int vm_ipc_check(struct proc *p, uint64 va, uint64 len, int access) {
  acquiresleep(&p->vmlock);
  int ok = range_allows(p, va, len, access);
  releasesleep(&p->vmlock);
  return ok ? 0 : -1;
}

// ---------------------------------------------------------------- moving

// The PTE of source page va, made resident and readable as a user load
// would. Returns 0 with *r set (VM_NOMEM) if that needs memory.
static pte_t *src_page(struct proc *p, uint64 va, int *r) {
  pte_t *pte = walk(p->pagetable, va, 0);
  if (pte && (*pte & (PTE_V | PTE_R)) == (PTE_V | PTE_R))
    return pte;
  // Lazy or on swap (check_rest saw to that): the PTE was invalid, so no
  // TLB can hold it and filling it needs no flush.
  if ((*r = fault_locked(p, va, VM_READ)) != VM_OK)
    return 0;
  return walk(p->pagetable, va, 0);
}

// The PTE of destination page va, made writable as a user store would.
// Returns 0 with *r set (VM_NOMEM) if that needs memory.
static pte_t *dst_page(struct move *m, uint64 va, int *r) {
  pte_t *pte = walk(m->dst->pagetable, va, 0);
  pte_t e = pte ? *pte : 0;
  if ((e & (PTE_V | PTE_W)) == (PTE_V | PTE_W))
    return pte;
  if ((*r = fault_locked(m->dst, va, VM_WRITE)) != VM_OK)
    return 0;
  // A COW break replaced a valid PTE. For the caller, fault.c recorded the
  // flush; for the other process it is ours to report.
  if ((e & PTE_V) && m->dst != myproc())
    m->other_stale = 1;
  return walk(m->dst->pagetable, va, 0);
}

// Copy len bytes (within one page on both sides) from sva to dva.
static int copy_chunk(struct move *m, uint64 sva, uint64 dva, uint64 len) {
  int r = VM_OK;
  pte_t *ps = src_page(m->src, sva, &r);
  if (ps == 0)
    return r;
  pte_t *pd = dst_page(m, dva, &r);
  if (pd == 0)
    return r;
  // Making the destination writable touched only its own tables (a
  // shared leaf table is copied for the one who changes it, pagetable.c),
  // so ps still maps the source page.
  char *from = (char *)PA2KVA(PTE2PA(*ps)) + sva % PGSIZE;
  char *to = (char *)PA2KVA(PTE2PA(*pd)) + dva % PGSIZE;
  memmove(to, from, len);
  return VM_OK;
}

// A run of whole pages shared at once: at most RUN pages, within one leaf
// table on each side, so that each side is walked once and the reverse
// map locked once per run (a lock round trip costs more than the rest of
// a page's work under QEMU).
#define RUN 32
#define LEAF_PAGES 512

struct run {
  pte_t *ps, *pd; // the run's first PTE on each side
  int n;
  void *gone[RUN];   // the destination's previous frames, released after
  uint32 slots[RUN]; // ... and swap slots
  int ngone, nslots;
};

// Make the run's source pages resident, as user loads would, and find
// both sides' PTEs (the destination's table made private). Changes
// nothing a user can see. Returns VM_OK or VM_NOMEM.
static int run_prepare(struct move *m, uint64 sva, uint64 dva, struct run *r) {
  pte_t *ps = walk(m->src->pagetable, sva, 0);
  for (int i = 0; i < r->n; i++) {
    if (ps && (ps[i] & (PTE_V | PTE_R)) == (PTE_V | PTE_R))
      continue;
    // Lazy or on swap (check_rest saw to that): the PTE was invalid, so
    // no TLB holds it and filling it needs no flush. The fault may copy a
    // shared leaf table: walk again.
    int k = fault_locked(m->src, sva + (uint64)i * PGSIZE, VM_READ);
    if (k != VM_OK)
      return k;
    ps = walk(m->src->pagetable, sva, 0);
  }
  // Ours to change: a shared leaf table is copied first. That touches
  // only the destination's tables, so ps stays the source's.
  r->pd = walk(m->dst->pagetable, dva, 1);
  if (r->pd == 0)
    return VM_NOMEM;
  for (int i = 0; i < r->n; i++) {
    if (ps[i] & PTE_W) {
      // A writable PTE will be downgraded: its table is private (S1), so
      // this walk allocates nothing and names the same table.
      ps = walk(m->src->pagetable, sva, 1);
      break;
    }
  }
  r->ps = ps;
  return VM_OK;
}

// Map source PTE *ps's frame COW at destination PTE *pd, whose previous
// page goes on the run's lists. Returns 1 if pd changed. Caller holds
// rmap_lock.
static int share_one(struct move *m, pte_t *ps, pte_t *pd, struct run *r) {
  pte_t e = *ps, old = *pd;
  void *frame = PA2KVA(PTE2PA(e));
  if ((old & (PTE_V | PTE_COW)) == (PTE_V | PTE_COW) && PTE2PA(old) == PTE2PA(e))
    return 0; // shared already (I5: then e cannot be writable either)
  if (e & PTE_W) {
    *ps = (e & ~PTE_W) | PTE_COW;
    pte_changed(m, m->src); // recorded at once, whatever happens next
  }
  kretain(frame); // the new mapping's reference (I1)
  if (old & PTE_V) {
    r->gone[r->ngone++] = PA2KVA(PTE2PA(old));
    rmap_del_locked(PA2KVA(PTE2PA(old)), pd);
    m->dst->rss--;
  } else if (IS_SWAP_PTE(old)) {
    r->slots[r->nslots++] = SWAP_SLOT(old);
    m->dst->swapped--;
  }
  *pd = PA2PTE(KVA2PA(frame)) | (old & PTE_X) | PTE_COW | PTE_R | PTE_U | PTE_V;
  rmap_add_locked(frame, pd);
  m->dst->rss++;
  return (old & PTE_V) != 0;
}

// Share the whole source pages of a run as the destination's.
static int share_run(struct move *m, uint64 sva, uint64 dva, struct run *r) {
  int k = run_prepare(m, sva, dva, r);
  if (k != VM_OK)
    return k;
  int replaced = 0;
  r->ngone = r->nslots = 0;
  rmap_lock();
  for (int i = 0; i < r->n; i++)
    replaced |= share_one(m, &r->ps[i], &r->pd[i], r);
  rmap_unlock();
  if (replaced) // a valid destination PTE was replaced
    pte_changed(m, m->dst);
  for (int i = 0; i < r->ngone; i++)
    page_release(r->gone[i]); // we hold dst's vmlock: no reclaimer races (pagetable.c)
  for (int i = 0; i < r->nslots; i++)
    swap_put(r->slots[i]);
  return VM_OK;
}

// Pages from va to the end of its leaf table.
static int leaf_left(uint64 va) { return LEAF_PAGES - PX(0, va); }

// Move the next chunk: a run of whole pages shared, or the bytes up to
// the next page boundary of either buffer copied. Both vmlocks held.
static int move_chunk(struct move *m) {
  uint64 s = m->sva + m->done, d = m->dva + m->done, left = m->n - m->done;
  int k;
  if (!vm_ipc_copy && s % PGSIZE == 0 && d % PGSIZE == 0 && left >= PGSIZE) {
    struct run r;
    r.n = left / PGSIZE < RUN ? left / PGSIZE : RUN;
    if (leaf_left(s) < r.n)
      r.n = leaf_left(s);
    if (leaf_left(d) < r.n)
      r.n = leaf_left(d);
    if ((k = share_run(m, s, d, &r)) == VM_OK)
      m->done += (uint64)r.n * PGSIZE;
    return k;
  }
  uint64 len = PGSIZE - (s % PGSIZE > d % PGSIZE ? s % PGSIZE : d % PGSIZE);
  if (len > left)
    len = left;
  if ((k = copy_chunk(m, s, d, len)) == VM_OK)
    m->done += len;
  return k;
}

// Move n bytes from [sva, sva + n) of src to [dva, dva + n) of dst, by the
// sharing rule above. One of src and dst is the caller; the other is held
// blocked in send() by kernel/ipc.c. Returns IPC_OK; IPC_BAD_SRC or
// IPC_BAD_DST (nothing changed); IPC_NOMEM (memory exhausted, nothing
// delivered yet) or IPC_PARTIAL (exhausted after part of the message
// reached dst). *other_stale: a PTE of the process that is not the
// caller changed, and it must flush its TLB before it runs user code.
int vm_ipc_move(struct proc *src, uint64 sva, struct proc *dst, uint64 dva, uint64 n,
                int *other_stale) {
  if (src == dst || (src != myproc() && dst != myproc()))
    panic("vm_ipc_move: the caller must be one side");
  struct move m = {src, dst, sva, dva, n, 0, 0};
  lock_pair(src, dst);
  int r = check_rest(&m);
  while (r == IPC_OK && m.done < n) {
    int step = move_chunk(&m);
    if (step == VM_BAD)
      panic("vm_ipc_move: a checked page faulted"); // check_rest is wrong
    if (step != VM_NOMEM)
      continue;
    unlock_pair(src, dst);
    int waited = vm_wait_for_memory();
    lock_pair(src, dst);
    if (waited < 0)
      r = m.done > 0 ? IPC_PARTIAL : IPC_NOMEM;
    else
      r = check_rest(&m); // nothing checked can change meanwhile: both are in the kernel
  }
  unlock_pair(src, dst);
  *other_stale = m.other_stale;
  return r;
}
