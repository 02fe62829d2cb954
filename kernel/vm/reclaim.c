// Reclaim: when frames run short, pages go to the swap device.
//
// When: while swapping is on (a swap device, VMCTL_SWAP), an allocation
// for user memory (upage_alloc) fails once free frames are down to
// VM_RESERVE, which is left to the kernel's own allocations (page tables,
// pipes, exec's arguments). The fault handler, copyin/copyout, sbrk and
// exec then call vm_wait_for_memory(): it reclaims a batch and returns
// when frames are free again, or -1 when none can be made (no swapping,
// swap full and nothing clean to drop): the caller fails or is killed.
//
// Victims: a clock (second chance) over the frame table. A user frame
// one of whose PTEs (found through the reverse map, rmap.c) has the
// accessed bit gets the bits cleared and is passed over; the TLB is
// flushed before the hand comes round again, so that a page in use sets
// the bit anew. A frame is never a candidate if it is not user memory
// (page tables, kernel data), is the zero frame, has I/O in flight
// (FRAME_BUSY), or is pinned: it holds a reference that is neither a
// mapping nor the swap cache's (a kernel copy, IPC).
//
// Unmapping a victim (take_victim) needs the vmlock of every address space
// that sees it, and only tries them: a reclaimer may hold its own (sbrk,
// exec, fork, which reclaim for themselves) and waiting for another could
// close a cycle; a busy address space is passed over this time. With those
// locks every PTE that maps the frame becomes a swap PTE naming one slot
// (a new one, or the slot whose content a clean cached copy still is: no
// write then), the sharers' resident counts move to their swapped counts,
// and the frame stays in the swap cache, FRAME_BUSY, where a fault that
// needs it waits.
//
// A batch of up to RECLAIM_BATCH victims then ends together: one TLB
// shootdown, so that no hart can still write a victim through an old
// entry; one disk request per run of consecutive slots; then every frame
// leaves the cache and is freed, unless a fault took it back meanwhile.
//
// Locks: reclaim.lock (a sleep lock, after the vmlocks in vm.h's order)
// makes reclaimers take turns; vmaudit takes it too, so it never sees a
// batch half done. The clock hand and lap state are under it.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

#define RECLAIM_BATCH 32 // victims per batch (and pages per disk request)
#define WAIT_TICKS 50    // how long vm_wait_for_memory keeps trying

int vm_swap_on = 1; // VMCTL_SWAP

static struct {
  struct sleeplock lock; // see above
  uint32 hand;           // the next frame the clock looks at
  int cleared;           // accessed bits cleared since the last TLB flush
} reclaim;

struct batch {
  void *victim[RECLAIM_BATCH];
  uint32 slot[RECLAIM_BATCH];
  char write[RECLAIM_BATCH]; // 0: a clean copy, its slot is up to date
  int n;
  int full;      // no free slot: only clean copies can still go
  int contended; // a candidate was passed over: address space busy
  int young;     // a candidate was passed over: recently used
};

// What the reverse map says about a frame. Caller holds rmap_lock.
struct look {
  int n;          // PTEs mapping it
  int young;      // one of them had the accessed bit
  int unowned;    // one is in a leaf table being built or freed (rmap.c)
  uint64 sharers; // address spaces that see those PTEs
};

void reclaim_init(void) { initsleeplock(&reclaim.lock, "reclaim"); }

static int swapping(void) {
  return __atomic_load_n(&vm_swap_on, __ATOMIC_RELAXED) && swap_slots() > 0;
}

// A frame for user memory, or 0: the free list is empty, or down to the
// kernel's reserve while swapping could refill it (vm_wait_for_memory).
void *upage_alloc(void) {
  if (swapping() && freepages() <= VM_RESERVE)
    return 0;
  return frame_alloc(FRAME_USER);
}

static void look_at(void *kva, struct look *l, int clear_accessed) {
  *l = (struct look){0, 0, 0, 0};
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT; s = rmap_next(s)) {
    pte_t *pte = ptslot_pte(s);
    l->n++;
    if (clear_accessed && (*pte & PTE_A)) {
      __atomic_fetch_and(pte, ~PTE_A, __ATOMIC_RELAXED); // the hardware may set D meanwhile
      l->young = 1;
    }
    if (rmap_sharers((pagetable_t)PGROUNDDOWN((uint64)pte), &l->sharers) < 0)
      l->unowned = 1;
  }
}

// Does the frame hold exactly its mappings, the cache's reference and
// ours (pinned: 1 while we hold one)?
static int only_mapped(struct frame *f, struct look *l, int pinned) {
  uint32 refs = __atomic_load_n(&f->refs, __ATOMIC_ACQUIRE);
  return refs == l->n + (f->aux != NO_SLOT) + pinned;
}

// Mark the pinned frame f FRAME_BUSY if it is a candidate. Returns 1 if
// it did. Caller holds rmap_lock.
static int claim(struct frame *f, struct look *l) {
  if (l->unowned)
    return 0;
  if (!(__atomic_fetch_or(&f->flags, FRAME_BUSY, __ATOMIC_ACQ_REL) & FRAME_BUSY)) {
    if (only_mapped(f, l, 1))
      return 1;
    frame_clear(f, FRAME_BUSY);
  }
  return 0;
}

// Give back a claimed frame that did not become a victim.
static void unclaim(struct frame *f) {
  frame_clear(f, FRAME_BUSY);
  page_release(frame_kva(f)); // our pin; the last reference if all else went
}

// The page at pte (in a leaf table) went to swap: every address space
// sharing the table has one page fewer resident and one more on swap.
static void account_swapout(pte_t *pte) {
  uint64 m = 0;
  rmap_sharers((pagetable_t)PGROUNDDOWN((uint64)pte), &m); // owned: unmap_victim checked
  for (int i = 0; i < NPROC; i++) {
    if (m >> i & 1) {
      proc[i].rss--;
      proc[i].swapped++;
    }
  }
}

// Rewrite every PTE mapping the claimed frame kva into a swap PTE for
// slot. Caller holds rmap_lock and the vmlocks of all sharers.
static void to_swap_ptes(void *kva, uint32 slot, int n) {
  pte_t merged = frame_has(frame_of(kva), FRAME_MERGED) ? PTE_SWAP_MERGED : 0;
  ptslot next;
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT; s = next) {
    next = rmap_next(s);
    pte_t *pte = ptslot_pte(s);
    pte_t e = *pte & PTE_W ? *pte | PTE_COW : *pte; // writable again after a fault
    *pte = MAKE_SWAP_PTE(slot, e) | merged;
    rmap_del_locked(kva, pte);
    account_swapout(pte);
  }
  if (n > 0)
    swap_ref_add(slot, n);
}

// With the sharers' vmlocks: check again, give the frame a slot, rewrite
// its PTEs and add it to the batch. Returns 1, or 0 if it did not qualify.
static int unmap_victim(struct frame *f, struct batch *b) {
  void *kva = frame_kva(f);
  struct look l;
  rmap_lock();
  look_at(kva, &l, 0);
  if (l.unowned || !only_mapped(f, &l, 1) || !vm_holds_procs(l.sharers)) {
    rmap_unlock();
    b->contended = 1;
    return 0;
  }
  uint32 slot = f->aux;
  int write = slot == NO_SLOT;
  if (write && (slot = swap_cache_new(kva, b->n ? b->slot[b->n - 1] : NO_SLOT)) == NO_SLOT) {
    rmap_unlock();
    b->full = 1;
    return 0;
  }
  to_swap_ptes(kva, slot, l.n);
  rmap_unlock();
  __atomic_fetch_sub(&f->refs, l.n, __ATOMIC_ACQ_REL); // the cache's and our pin remain
  frame_unref(kva);                                    // our pin
  b->victim[b->n] = kva;
  b->slot[b->n] = slot;
  b->write[b->n] = write;
  b->n++;
  return 1;
}

// Consider frame f for the batch.
static void take_victim(struct frame *f, struct batch *b) {
  void *kva = frame_kva(f);
  if (!frame_has(f, FRAME_USER) || kva == dedup_zero_frame())
    return;
  if (frame_has(f, FRAME_BUSY)) {
    b->contended = 1; // I/O in flight: it may be a victim later
    return;
  }
  if (b->full && f->aux == NO_SLOT)
    return; // no slot to write it to
  // Pinned first: the reverse map of a frame freed meanwhile is gone (its
  // free-list link lies where the list's head was).
  if (!frame_pin_user(f))
    return;
  struct look l;
  rmap_lock();
  look_at(kva, &l, 1);
  int claimed = !l.young && claim(f, &l);
  rmap_unlock();
  if (l.young)
    b->young = reclaim.cleared = 1;
  if (l.unowned)
    b->contended = 1; // its table is being built or freed: later
  if (!claimed) {
    page_release(kva); // our pin: the last reference if all else went
    return;
  }
  uint64 taken;
  if (vm_trylock_procs(l.sharers, &taken) < 0) {
    b->contended = 1;
    unclaim(f);
    return;
  }
  if (!unmap_victim(f, b))
    unclaim(f);
  vm_unlock_procs(taken);
}

static struct frame *clock_next(void) {
  if (reclaim.hand >= frame_count()) {
    reclaim.hand = 0;
    if (reclaim.cleared) // let pages in use set their accessed bit again
      tlb_shootdown();
    reclaim.cleared = 0;
  }
  return &frames[reclaim.hand++];
}

// Victims from i on whose slots follow each other and that all need a
// write: one disk request.
static int run_length(struct batch *b, int i) {
  int k = 1;
  while (b->write[i] && i + k < b->n && b->write[i + k] && b->slot[i + k] == b->slot[i] + k)
    k++;
  return k;
}

// Flush, write and free the batch. Returns the frames freed.
static int finish_batch(struct batch *b) {
  if (b->n == 0)
    return 0;
  tlb_shootdown(); // from here on no hart reaches a victim through its PTEs
  reclaim.cleared = 0;
  int freed = 0;
  for (int i = 0, k; i < b->n; i += k) {
    k = run_length(b, i);
    int ok = 1;
    if (b->write[i]) {
      ok = swap_io(b->slot[i], &b->victim[i], k, 1) == 0;
      if (ok)
        VMSTAT_ADD(swap_outs, k);
      else
        printf("swap: write of %d pages at slot %d failed; they stay in memory\n", k, b->slot[i]);
    }
    for (int j = i; j < i + k; j++)
      freed += swap_cache_done(b->victim[j], ok);
  }
  return freed;
}

// Write up to want pages to swap and free their frames. Returns the frames
// freed; 0 if none could be now but later might (busy or recently used
// pages); -1 if none can be (no swapping, or swap full with nothing clean
// left to drop, or nothing that could ever be a victim).
// With swap full: let clean copies of resident pages give up their slots.
// Returns the slots freed.
static int free_some_slots(void) {
  return swap_cached() > 0 ? swap_uncache_mapped(4 * RECLAIM_BATCH) : 0;
}

int vm_reclaim(int want) {
  if (!swapping())
    return -1;
  if (want > RECLAIM_BATCH)
    want = RECLAIM_BATCH;
  acquiresleep(&reclaim.lock);
  struct batch b;
  b.n = b.contended = b.young = 0;
  b.full = swap_slots_free() == 0 && free_some_slots() == 0;
  int tried_slots = b.full;
  // Two laps: the first may only clear accessed bits. With swap full, only
  // clean copies in the swap cache can go.
  for (uint32 seen = 0; b.n < want && seen < 2 * frame_count(); seen++) {
    if (b.full && (b.n > 0 || swap_cached() == 0))
      break; // write what we have, or nothing clean is left to drop
    take_victim(clock_next(), &b);
    if (b.full && !tried_slots) {
      tried_slots = 1; // once: it scans every slot
      b.full = free_some_slots() == 0;
    }
  }
  int freed = finish_batch(&b);
  releasesleep(&reclaim.lock);
  VMSTAT_INC(reclaim_scans);
  if (freed > 0)
    return freed;
  return b.full || (!b.contended && !b.young) ? -1 : 0;
}

// Enough free frames for any one fault to go on: the page, a leaf table
// and a level-1 table, each with its links page, and some to spare. With
// fewer, retrying a failed allocation could fail again forever.
#define FAULT_FRAMES 8

static int memory_available(void) {
  return freepages() > (swapping() ? VM_RESERVE : 0) + FAULT_FRAMES;
}

static void pause_a_tick(void) {
  acquire(&tickslock);
  uint t0 = ticks;
  while (ticks == t0)
    sleep(&ticks, &tickslock);
  release(&tickslock);
}

// Wait until a frame for user memory can be had, reclaiming as needed.
// Returns 0, or -1 if memory is exhausted (the caller fails or dies).
// The caller holds no spinlock; it may hold vmlocks (its own, or those of
// fork), whose pages the reclaimer may then take.
int vm_wait_for_memory(void) {
  for (int t = 0; t < WAIT_TICKS; t++) {
    if (memory_available())
      return 0;
    int r = vm_reclaim(RECLAIM_BATCH);
    if (r > 0)
      return 0;
    if (r < 0)
      return memory_available() ? 0 : -1;
    pause_a_tick(); // pages busy or in use: let their owners go on
  }
  return -1;
}

// A kernel frame for data that becomes user memory (exec reads a program
// into such frames): like upage_alloc it leaves the kernel's reserve
// alone, and it waits for memory while swapping can make some. Returns 0
// when memory is exhausted, or when an allocation fails although memory is
// free (VMCTL_FAIL_ALLOC): then there is nothing to wait for.
void *kalloc_for_user(void) {
  for (;;) {
    if (!swapping() || freepages() > VM_RESERVE) {
      void *f = kalloc();
      if (f || memory_available())
        return f;
    }
    if (vm_wait_for_memory() < 0)
      return 0;
  }
}

// For vmaudit: no batch is half done while it holds this.
void reclaim_pause(void) { acquiresleep(&reclaim.lock); }
void reclaim_resume(void) { releasesleep(&reclaim.lock); }
