// vmaudit(): check the VM invariants of vm.h over every page table and the
// whole frame table, print each violation, and return how many there are.
//
//   I1  refs(frame) == user PTEs mapping it + kernel references (the
//       zero frame has one, dedup.c)
//   I2  no free frame is mapped; the free list holds exactly the free frames
//   I3  no PTE is both PTE_COW and writable
//   I4  every user leaf PTE is PTE_U and maps a FRAME_USER frame
//   I5  a writable PTE maps a frame nobody else references (refs == 1),
//       so that a store can never be seen through another mapping
//   S1  a leaf table shared by several address spaces has no writable PTE
//   S2  a leaf table's references equal the level-1 entries naming it, and
//       a page in it holds one reference per slot (pagetable.c)
//
// To see a consistent picture the audit holds every process's vmlock (in
// proc-table order, vm.h): every change to a user page table, including
// building exec's new image and freeing an exiting one, happens under its
// owner's vmlock. Mapping counts go into a temporary array of pages that
// is returned before the audit ends.
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

struct audit {
  uint32 *counts[COUNT_PAGES]; // mappings per frame number
  struct proc *p;              // whose table is being walked
  int bad;                     // violations so far
};

static uint32 *count_of(struct audit *a, uint32 fnum) {
  return &a->counts[fnum / COUNTS_PER_PAGE][fnum % COUNTS_PER_PAGE];
}

static void report(struct audit *a, uint64 va, pte_t pte, char *what) {
  printf("vmaudit: pid %d va %p pte %p: %s\n", a->p->pid, (void *)va, (void *)pte, what);
  a->bad++;
}

static void audit_pte(struct audit *a, uint64 va, pte_t pte) {
  if (!(pte & PTE_V)) {
    if (pte != PTE_GUARD)
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
static int audit_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  struct audit *a = arg;
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

// I1 for every user frame: references equal mappings; and a leaf table's
// references equal the level-1 entries naming it.
static void audit_frames(struct audit *a) {
  for (uint32 i = 0; i < frame_count(); i++) {
    struct frame *f = &frames[i];
    uint32 counted = *count_of(a, i);
    uint32 kernel_refs = frame_kva(f) == dedup_zero_frame() ? 1 : 0;
    if ((f->flags & FRAME_USER) && f->refs != counted + kernel_refs) {
      printf("vmaudit: frame %p has %d references but %d mappings + %d (I1)\n", frame_kva(f),
             f->refs, counted, kernel_refs);
      a->bad++;
    } else if (!(f->flags & FRAME_USER) && counted > 0 &&
               (!(f->flags & FRAME_KERNEL) || f->refs != counted)) {
      printf("vmaudit: leaf table %p has %d references, %d entries name it (S2)\n", frame_kva(f),
             f->refs, counted);
      a->bad++;
    }
  }
}

static int alloc_counts(struct audit *a) {
  for (int i = 0; i < (int)COUNT_PAGES; i++) {
    if ((a->counts[i] = kalloc()) == 0)
      return -1;
    memset(a->counts[i], 0, PGSIZE);
  }
  return 0;
}

static void free_counts(struct audit *a) {
  for (int i = 0; i < (int)COUNT_PAGES; i++)
    if (a->counts[i])
      krelease(a->counts[i]);
}

int vm_audit(void) {
  struct audit a = {0};
  if (alloc_counts(&a) < 0) {
    free_counts(&a);
    printf("vmaudit: no memory to run\n");
    return -1;
  }
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    acquiresleep(&p->vmlock);
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    a.p = p;
    if (p->pagetable)
      for_each_leaf_table(p->pagetable, audit_leaf_table, &a);
  }
  audit_frames(&a);
  a.bad += frame_check_freelist();
  for (struct proc *p = &proc[NPROC - 1]; p >= proc; p--)
    releasesleep(&p->vmlock);
  free_counts(&a);
  return a.bad;
}
