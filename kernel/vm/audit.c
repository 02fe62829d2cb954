// vmaudit(): check the VM invariants of vm.h over every page table, the
// whole frame table, the reverse map and the swap slots; print each
// violation and return how many there are.
//
//   I1  refs(frame) == user PTEs mapping it + kernel references (the
//       zero frame's one, dedup.c; the swap cache's one, swap.c)
//   I2  no free frame is mapped; the free list holds exactly the free frames
//   I3  no PTE is both PTE_COW and writable
//   I4  every user leaf PTE is PTE_U and maps a FRAME_USER frame
//   I5  a writable PTE maps a frame nobody else references (refs == 1),
//       so that a store can never be seen through another mapping
//   S1  a leaf table shared by several address spaces has no writable PTE
//   S2  a leaf table's references equal the level-1 entries naming it
//   R1  every frame's reverse map holds exactly the PTEs mapping it (a
//       leaf table's, the level-1 entries naming it); level-1 tables name
//       their owner
//   W1  a slot's count equals the swap PTEs naming it plus its cache entry
//   W2  the cache and the frames agree on which frame caches which slot;
//       a cached frame nobody maps has a swap PTE naming its slot
//   and each process's resident and swapped counts match its tables.
//
// To see a consistent picture the audit holds every process's vmlock (in
// proc-table order, vm.h) and the reclaim lock: every change to a user
// page table, to the reverse map and to the swap slots happens under one
// of those. Counts go into temporary pages returned before the audit ends.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

#define COUNTS_PER_PAGE (PGSIZE / sizeof(uint32))
#define COUNT_PAGES ((NFRAMES + COUNTS_PER_PAGE - 1) / COUNTS_PER_PAGE)
#define MAX_SLOT_PAGES 256 // swap.c's MAX_SLOTS / COUNTS_PER_PAGE

struct audit {
  uint32 *counts[COUNT_PAGES];   // mappings per frame number
  uint32 *slots[MAX_SLOT_PAGES]; // swap PTEs per slot
  struct proc *p;                // whose table is being walked
  int resident, swapped;         // what p's tables hold
  int bad;                       // violations so far
};

static uint32 *count_of(struct audit *a, uint32 fnum) {
  return &a->counts[fnum / COUNTS_PER_PAGE][fnum % COUNTS_PER_PAGE];
}

static uint32 *slot_count(struct audit *a, uint32 s) {
  return &a->slots[s / COUNTS_PER_PAGE][s % COUNTS_PER_PAGE];
}

static void report(struct audit *a, uint64 va, pte_t pte, char *what) {
  printf("vmaudit: pid %d va %p pte %p: %s\n", a->p->pid, (void *)va, (void *)pte, what);
  a->bad++;
}

static void audit_swap_pte(struct audit *a, uint64 va, pte_t pte) {
  if (SWAP_SLOT(pte) >= swap_slots())
    report(a, va, pte, "swap PTE names no slot");
  else if (pte & ~(((uint64)SWAP_SLOT(pte) << 10) | SWAP_KEEP | PTE_SWAP | PTE_SWAP_MERGED))
    report(a, va, pte, "swap PTE with unknown bits");
  else
    (*slot_count(a, SWAP_SLOT(pte)))++;
}

static void audit_pte(struct audit *a, uint64 va, pte_t pte) {
  if (!(pte & PTE_V)) {
    if (IS_SWAP_PTE(pte))
      audit_swap_pte(a, va, pte);
    else if (pte != PTE_GUARD)
      report(a, va, pte, "unknown non-present PTE");
    return;
  }
  if ((pte & PTE_COW) && (pte & PTE_W))
    report(a, va, pte, "COW PTE is writable (I3)");
  if (pte & PTE_SW1)
    report(a, va, pte, "dedup's write-protect mark outside a scan");
  if (!(pte & PTE_U))
    report(a, va, pte, "user PTE without PTE_U (I4)");
  uint64 pa = PTE2PA(pte);
  if (pa < KERNBASE || pa >= PHYSTOP) {
    report(a, va, pte, "maps no RAM frame (I4)");
    return;
  }
  struct frame *f = frame_of(PA2KVA(pa));
  if (frame_is_free(f))
    report(a, va, pte, "maps a free frame (I2)");
  else if (!(f->flags & FRAME_USER))
    report(a, va, pte, "maps a frame not marked FRAME_USER (I4)");
  if ((pte & PTE_W) && f->refs != 1)
    report(a, va, pte, "writable but the frame is shared (I5)");
  (*count_of(a, frame_number(f)))++;
}

// A leaf table shared by several address spaces is visited once per
// level-1 entry naming it; its PTEs are counted on the first visit only
// (S2), and the visits are counted to check the table's own references.
// Every visit adds to the process's resident and swapped pages.
static int audit_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  struct audit *a = arg;
  for (int i = 0; i < 512; i++) {
    a->resident += (leaf[i] & PTE_V) != 0;
    a->swapped += IS_SWAP_PTE(leaf[i]);
  }
  if ((*count_of(a, frame_number(frame_of(leaf))))++ > 0)
    return 0;
  int shared = frame_refs(leaf) > 1;
  int nowrite = (frame_of(leaf)->flags & FRAME_NOWRITE) != 0;
  for (int i = 0; i < 512; i++) {
    if (leaf[i] == 0)
      continue;
    audit_pte(a, va + (uint64)i * PGSIZE, leaf[i]);
    if ((shared || nowrite) && (leaf[i] & PTE_W))
      report(a, va + (uint64)i * PGSIZE, leaf[i],
             shared ? "writable PTE in a shared leaf table (S1)"
                    : "writable PTE in a table marked FRAME_NOWRITE");
  }
  return 0;
}

// The level-1 tables of p name p as their owner (R1).
static void audit_owners(struct audit *a, pagetable_t pt) {
  for (int i = 0; i < 256; i++) {
    if (!(pt[i] & PTE_V))
      continue;
    struct frame *mid = frame_of(pte_table(pt[i]));
    if (mid->owner != 1 + (a->p - proc) || mid->aux == NO_SLOT)
      report(a, (uint64)i << PXSHIFT(2), pt[i], "level-1 table without its owner or links (R1)");
  }
}

static void audit_process(struct audit *a, struct proc *p) {
  a->p = p;
  a->resident = a->swapped = 0;
  if (p->pagetable == 0)
    return;
  audit_owners(a, p->pagetable);
  for_each_leaf_table(p->pagetable, audit_leaf_table, a);
  if (a->resident != p->rss || a->swapped != p->swapped) {
    printf("vmaudit: pid %d counts rss %d swapped %d, its tables hold %d and %d\n", p->pid, p->rss,
           p->swapped, a->resident, a->swapped);
    a->bad++;
  }
}

// R1 for one frame: its reverse map lists exactly `mappings` PTE slots,
// each of which maps it (a user frame) or names it (a leaf table).
static int audit_rmap(void *kva, uint32 mappings) {
  uint32 n = 0;
  rmap_lock();
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT && n <= mappings; s = rmap_next(s)) {
    pte_t e = *ptslot_pte(s);
    if (!(e & PTE_V) || PA2KVA(PTE2PA(e)) != kva) {
      printf("vmaudit: frame %p: reverse-map entry %p does not map it (R1)\n", kva,
             (void *)ptslot_pte(s));
      n = mappings + 1;
      break;
    }
    n++;
  }
  rmap_unlock();
  if (n == mappings)
    return 0;
  if (n <= mappings)
    printf("vmaudit: frame %p: %d reverse-map entries, %d mappings (R1)\n", kva, n, mappings);
  return 1;
}

// I1, S2 and R1 for every frame.
static void audit_frames(struct audit *a) {
  for (uint32 i = 0; i < frame_count(); i++) {
    struct frame *f = &frames[i];
    void *kva = frame_kva(f);
    uint32 counted = *count_of(a, i);
    if (f->flags & FRAME_BUSY) {
      printf("vmaudit: frame %p busy outside reclaim and swap-in\n", kva);
      a->bad++;
    }
    if (f->flags & FRAME_USER) {
      uint32 kernel_refs = (kva == dedup_zero_frame()) + (f->aux != NO_SLOT);
      if (f->refs != counted + kernel_refs) {
        printf("vmaudit: frame %p has %d references but %d mappings + %d (I1)\n", kva, f->refs,
               counted, kernel_refs);
        a->bad++;
      }
      a->bad += audit_rmap(kva, counted);
    } else if (counted > 0) {
      if (!(f->flags & FRAME_KERNEL) || f->refs != counted) {
        printf("vmaudit: leaf table %p has %d references, %d entries name it (S2)\n", kva, f->refs,
               counted);
        a->bad++;
      }
      a->bad += audit_rmap(kva, counted);
    }
  }
}

// W1 and W2 for every slot.
static void audit_slots(struct audit *a) {
  for (uint32 s = 0; s < swap_slots(); s++) {
    void *kva = swap_slot_frame(s);
    uint32 want = *slot_count(a, s) + (kva != 0);
    if (swap_slot_refs(s) != want) {
      printf("vmaudit: slot %d has count %d, %d swap PTEs + %d cached (W1)\n", s, swap_slot_refs(s),
             *slot_count(a, s), kva != 0);
      a->bad++;
    }
    if (kva == 0)
      continue;
    struct frame *f = frame_of(kva);
    if (!(f->flags & FRAME_USER) || f->aux != s) {
      printf("vmaudit: slot %d caches frame %p, which names slot %d (W2)\n", s, kva, f->aux);
      a->bad++;
    } else if (f->refs == 1 && *slot_count(a, s) == 0) {
      printf("vmaudit: slot %d caches frame %p that nobody can use (W2)\n", s, kva);
      a->bad++;
    }
  }
  for (uint32 i = 0; i < frame_count(); i++) {
    uint32 s = frames[i].aux;
    if ((frames[i].flags & FRAME_USER) && s != NO_SLOT &&
        (s >= swap_slots() || swap_slot_frame(s) != frame_kva(&frames[i]))) {
      printf("vmaudit: frame %p names slot %d, which does not cache it (W2)\n",
             frame_kva(&frames[i]), s);
      a->bad++;
    }
  }
}

static void free_pages(uint32 **pages, int n) {
  for (int i = 0; i < n; i++)
    if (pages[i])
      krelease(pages[i]);
}

// n zeroed pages into pages[], waiting for memory as a fault would. They
// come from above the kernel's reserve (kalloc_for_user): an audit takes
// about 100 pages, more than the reserve, and others' forks, pipes and
// page tables must still find frames while it runs.
static int alloc_pages(uint32 **pages, int n) {
  for (int i = 0; i < n; i++) {
    if ((pages[i] = kalloc_for_user()) == 0)
      return -1;
    memset(pages[i], 0, PGSIZE);
  }
  return 0;
}

int vm_audit(void) {
  _Static_assert(sizeof(struct audit) <= PGSIZE, "the audit's state fits a page");
  struct audit *a = kalloc_for_user();
  if (a == 0)
    return -1;
  memset(a, 0, sizeof(*a));
  int slot_pages = (swap_slots() + COUNTS_PER_PAGE - 1) / COUNTS_PER_PAGE;
  int r = -1;
  if (alloc_pages(a->counts, COUNT_PAGES) < 0 || alloc_pages(a->slots, slot_pages) < 0) {
    printf("vmaudit: no memory to run\n");
    goto out;
  }
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    acquiresleep(&p->vmlock);
  reclaim_pause();
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    audit_process(a, p);
  audit_frames(a);
  audit_slots(a);
  a->bad += frame_check_freelist();
  reclaim_resume();
  for (struct proc *p = &proc[NPROC - 1]; p >= proc; p--)
    releasesleep(&p->vmlock);
  r = a->bad;
out:
  free_pages(a->counts, COUNT_PAGES);
  free_pages(a->slots, slot_pages);
  krelease(a);
  return r;
}
