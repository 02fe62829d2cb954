// The reverse map: from a frame to every PTE slot that maps it.
//
// Two kinds of lists, one mechanism:
//   - a user frame's list holds the leaf-table PTE slots that map it (one
//     entry per slot, so a leaf table shared by fork is one entry, S2);
//   - a leaf table's list holds the level-1 entries that name it, that is
//     the address spaces sharing it; a level-1 table is never shared and
//     names its owner in its frame record (frame.owner).
// So from a frame the reclaimer finds every PTE to rewrite, and from each
// of those the processes whose TLBs, locks and resident counts it touches.
//
// A list is doubly linked through "links pages": every leaf and level-1
// table has one (allocated with it, pagetable.c; its frame number is in
// the table's frame.aux) holding, for each of its 512 PTE slots, the next
// and previous slot on the list that slot is on. The head is the mapped
// frame's frame.rmap. Adding and removing are O(1) and never allocate.
// Cost: 8 bytes per PTE slot of a leaf or level-1 table (one page per
// table page), plus the 4-byte head in every frame record; memory grows
// with the page tables, that is with the mappings, never with frames times
// processes.
//
// Locking: rmap_lock (a spinlock; lock order in vm.h) protects every list
// head and link. A PTE mapping a frame is changed only by the owner of the
// table holding it (under its vmlock), so that the PTE and its entry agree
// whenever no vmlock of a mapper is held by someone in the middle of a
// change; rmap_add/rmap_del are called right where a PTE starts or stops
// mapping a frame.
//
// Nothing here needs hardware: tests/host/test_rmap.c runs it on the host.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

struct rlink {
  ptslot next, prev; // NO_PTSLOT at the ends of a list
};

#define OFF_LIST 0xfffffffe // prev of a slot that is on no list

static struct spinlock rmap_spin; // protects every list: heads and links

void rmap_init(void) { initlock(&rmap_spin, "rmap"); }

void rmap_lock(void) { acquire(&rmap_spin); }

void rmap_unlock(void) { release(&rmap_spin); }

ptslot ptslot_of(pte_t *pte) {
  struct frame *t = frame_of((void *)PGROUNDDOWN((uint64)pte));
  return frame_number(t) << 9 | ((uint64)pte % PGSIZE) / sizeof(pte_t);
}

pte_t *ptslot_pte(ptslot s) { return (pte_t *)frame_kva(&frames[s >> 9]) + (s & 511); }

static struct rlink *link_of(ptslot s) {
  uint32 links = frames[s >> 9].aux;
  if (links == NO_SLOT)
    panic("rmap: page-table page without links");
  return (struct rlink *)frame_kva(&frames[links]) + (s & 511);
}

// Every slot of a fresh links page is on no list.
void rmap_links_init(pagetable_t links) {
  struct rlink *l = (struct rlink *)links;
  for (int i = 0; i < 512; i++)
    l[i] = (struct rlink){OFF_LIST, OFF_LIST};
}

static void must_hold(void) {
  if (!holding(&rmap_spin))
    panic("rmap: rmap_lock not held");
}

// The PTE at pte now maps the frame at kva: put its slot on the frame's list.
void rmap_add_locked(void *kva, pte_t *pte) {
  must_hold();
  struct frame *f = frame_of(kva);
  ptslot s = ptslot_of(pte);
  struct rlink *l = link_of(s);
  if (l->prev != OFF_LIST)
    panic("rmap_add: slot already on a list");
  l->prev = NO_PTSLOT;
  l->next = f->rmap;
  if (f->rmap != NO_PTSLOT)
    link_of(f->rmap)->prev = s;
  f->rmap = s;
}

// The PTE at pte no longer maps the frame at kva.
void rmap_del_locked(void *kva, pte_t *pte) {
  must_hold();
  struct frame *f = frame_of(kva);
  ptslot s = ptslot_of(pte);
  struct rlink *l = link_of(s);
  if (l->prev == OFF_LIST)
    panic("rmap_del: slot on no list");
  if (l->prev == NO_PTSLOT) {
    if (f->rmap != s)
      panic("rmap_del: slot not on this frame's list");
    f->rmap = l->next;
  } else {
    link_of(l->prev)->next = l->next;
  }
  if (l->next != NO_PTSLOT)
    link_of(l->next)->prev = l->prev;
  l->next = l->prev = OFF_LIST;
}

void rmap_add(void *kva, pte_t *pte) {
  acquire(&rmap_spin);
  rmap_add_locked(kva, pte);
  release(&rmap_spin);
}

void rmap_del(void *kva, pte_t *pte) {
  acquire(&rmap_spin);
  rmap_del_locked(kva, pte);
  release(&rmap_spin);
}

// Walking a list (under rmap_lock): for (s = rmap_first(kva); s !=
// NO_PTSLOT; s = rmap_next(s)) ... ptslot_pte(s) ...
ptslot rmap_first(void *kva) {
  must_hold();
  return frame_of(kva)->rmap;
}

ptslot rmap_next(ptslot s) { return link_of(s)->next; }

// Entries on the frame's list. Caller holds rmap_lock.
int rmap_count(void *kva) {
  int n = 0;
  for (ptslot s = rmap_first(kva); s != NO_PTSLOT; s = rmap_next(s))
    n++;
  return n;
}

// The processes sharing a leaf table, as a bit mask of proc[] indexes
// (NPROC is 64), added to *mask: the owners of the level-1 tables naming
// it. Returns 0, or -1 if no level-1 entry names the table. Caller holds
// rmap_lock.
//
// A leaf table that no level-1 entry names is being built (a copy not yet
// linked in) or freed (its last sharer let it go and is releasing its
// pages): its PTEs belong to whoever does that, under a vmlock nobody else
// can know to take, so whoever meets one (reclaim, a COW fault giving its
// copy away) must leave the frame alone.
int rmap_sharers(pagetable_t leaf, uint64 *mask) {
  _Static_assert(NPROC <= 64, "a process mask is one uint64");
  if (frame_of(leaf)->rmap == NO_PTSLOT)
    return -1;
  for (ptslot s = rmap_first(leaf); s != NO_PTSLOT; s = rmap_next(s)) {
    uint32 owner = frames[s >> 9].owner;
    if (owner == 0 || owner > NPROC)
      panic("rmap_sharers: level-1 table without an owner");
    *mask |= 1UL << (owner - 1);
  }
  return 0;
}
