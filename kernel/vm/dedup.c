// Page deduplication: dedup() maps every set of identical user pages, in
// all processes, onto one frame and releases the copies. A merged page is
// read-only, and COW where it was writable, so a later write simply breaks
// the sharing again (fault.c). All-zero pages merge onto one zero frame
// that the kernel keeps for good (one kernel reference, see audit.c).
//
// The protocol, safe while the scanned processes run on other harts:
//   The scan holds every process's vmlock (proc-table order, vm.h), so no
//   fault, fork, exec or exit changes a page table meanwhile; processes
//   keep running user code until they fault, and then wait.
//   1. protect: every writable user PTE becomes read-only COW and is marked
//      PTE_WP; then every hart's TLB is flushed. From here on no frame can
//      change: a store faults and waits for the vmlock.
//   2. merge: each mapped frame is hashed (pagehash.h). A hash table maps
//      a hash to the first frame seen with it; on a hit the frames are
//      compared byte for byte, and only if equal is the PTE switched to the
//      earlier frame. The replaced frames are released only after another
//      flush, since other harts may still hold translations to them.
//   3. restore: a PTE marked PTE_WP whose frame ended up unshared gets its
//      write permission back (no flush needed: permissions only grow), so
//      unique pages cost no fault afterwards.
// A frame kept in the table is flagged FRAME_SEEN until the restore pass,
// so that its other mappings are not hashed again.
//
// Scope (VMCTL_DEDUP_SCOPE): merging is observable, since a write to a
// merged page takes a copy fault that a process can time; so a process can
// learn that another holds a page equal to one it guesses. DEDUP_PROCESS
// merges only pages of the same process (the table is emptied between
// processes), DEDUP_ZERO only zero pages; zero pages merge in every scope,
// since that a page of one's own is zero tells nothing about others.
//
// Cost: O(resident pages). Each mapping is hashed once and compared only
// with frames of equal hash; there are no pairwise compares.
// Memory: a table of 8-byte slots, a power of two at least twice the
// resident pages, at most 2 * NFRAMES slots (512 KiB = 128 frames), plus
// one page listing frames to release; all taken from kalloc when the scan
// starts and returned before it ends. With less memory the table is
// smaller and merges what fits.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vmctl.h"
#include "kernel/vm/vm.h"
#include "kernel/vm/pagehash.h"

#define PTE_WP PTE_SW1 // valid PTE write-protected by the running scan

#define SLOTS_PER_PAGE (PGSIZE / sizeof(uint64))
#define MAX_TABLE_PAGES (2 * NFRAMES / SLOTS_PER_PAGE)
#define EMPTY_SLOT (~0UL) // a slot is hash32 << 32 | frame number
#define DOOMED_MAX (PGSIZE / sizeof(uint32))

static void *zero_frame; // the shared all-zero frame
static uint64 zero_hash;

struct scan {
  int scope; // VMCTL_DEDUP_SCOPE at the start of the scan
  uint64 *table[MAX_TABLE_PAGES];
  uint32 mask;    // slots - 1
  uint32 *doomed; // frames to release after the next TLB flush
  int ndoomed;
  int resident; // valid user PTEs seen by the protect pass
  short slot[512]; // merge_leaf's remaps for one leaf table: PTE index
  void *keep[512]; // ... and the frame it is to map
  int merges;
  int freed;
};

void *dedup_zero_frame(void) { return zero_frame; }

// ---------------------------------------------------------------- table

static uint64 *slot(struct scan *s, uint32 i) {
  return &s->table[i / SLOTS_PER_PAGE][i % SLOTS_PER_PAGE];
}

// Room for at least twice the resident pages, or as much as memory allows
// above the kernel's reserve (one page at least): the scan holds every
// vmlock, so nobody can reclaim while it runs, and others' forks, pipes
// and page tables must still find frames. A smaller table only means that
// some pages find no partner this time.
static int table_alloc(struct scan *s) {
  uint32 pages = 1;
  int spare = freepages() - VM_RESERVE;
  while (pages < MAX_TABLE_PAGES && pages * SLOTS_PER_PAGE < 2 * (uint32)s->resident &&
         2 * (int)pages <= spare)
    pages *= 2;
  for (; pages >= 1; pages /= 2) {
    uint32 got = 0;
    while (got < pages && (s->table[got] = kalloc()) != 0)
      memset(s->table[got++], 0xff, PGSIZE); // every slot EMPTY_SLOT
    if (got == pages) {
      s->mask = pages * SLOTS_PER_PAGE - 1;
      return 0;
    }
    // Give back what this try got, leaving no freed page in the table:
    // table_free() stops at the first empty entry, and a smaller try
    // may not reach the entries of a larger one.
    while (got > 0) {
      krelease(s->table[--got]);
      s->table[got] = 0;
    }
  }
  return -1;
}

// Forget every frame kept so far (DEDUP_PROCESS: a new process begins).
static void table_clear(struct scan *s) {
  for (uint32 i = 0; i < MAX_TABLE_PAGES && s->table[i]; i++)
    memset(s->table[i], 0xff, PGSIZE);
}

static void table_free(struct scan *s) {
  for (uint32 i = 0; i < MAX_TABLE_PAGES && s->table[i]; i++) {
    krelease(s->table[i]);
    s->table[i] = 0;
  }
}

// The frame already in the table with the same content as f, or f itself
// (now in the table, or not if the table is full).
static void *find_or_insert(struct scan *s, void *f, uint64 hash) {
  uint32 h32 = hash >> 32, fnum = frame_number(frame_of(f));
  uint32 i = hash & s->mask;
  for (uint32 probes = 0; probes <= s->mask; probes++, i = (i + 1) & s->mask) {
    uint64 *sl = slot(s, i);
    if (*sl == EMPTY_SLOT) {
      *sl = (uint64)h32 << 32 | fnum;
      frame_set(frame_of(f), FRAME_SEEN); // restore_leaf clears it
      return f;
    }
    if ((uint32)(*sl >> 32) != h32)
      continue;
    void *other = frame_kva(&frames[(uint32)*sl]);
    if (other == f || memcmp(other, f, PGSIZE) == 0)
      return other; // a full compare: a hash collision never merges
  }
  return f;
}

// ---------------------------------------------------------------- TLB, release

// Drop the PTEs' references to the replaced frames. A frame in the swap
// cache goes through page_release, which may free the cache's copy too;
// the others are released in one batch.
static void release_doomed(struct scan *s) {
  tlb_shootdown(); // no hart may still reach the frames through old PTEs
  int plain = 0;
  for (int i = 0; i < s->ndoomed; i++) {
    struct frame *f = &frames[s->doomed[i]];
    if (f->aux == NO_SLOT) {
      s->doomed[plain++] = s->doomed[i];
    } else {
      s->freed += page_release(frame_kva(f));
    }
  }
  s->freed += frames_put(s->doomed, plain);
  s->ndoomed = 0;
}

// Switch the PTEs of a leaf table to identical frames: leaf[slot[k]] from
// its frame to keep[k]. One reverse-map lock for the whole table: under
// QEMU a lock round trip costs as much as much of a page's other work.
// The scan may change the flags of frames in use: only frame.c touches
// them otherwise, when the frame is allocated or freed.
static void remap(struct scan *s, pte_t *leaf, short *slot, void **keep, int n) {
  rmap_lock();
  for (int k = 0; k < n; k++) {
    pte_t *pte = &leaf[slot[k]];
    void *f = PA2KVA(PTE2PA(*pte));
    kretain(keep[k]);
    frame_set(frame_of(keep[k]), FRAME_MERGED);
    rmap_del_locked(f, pte);
    *pte = PA2PTE(KVA2PA(keep[k])) | PTE_FLAGS(*pte);
    rmap_add_locked(keep[k], pte);
    s->doomed[s->ndoomed++] = frame_number(frame_of(f)); // the PTE's reference
  }
  rmap_unlock();
  s->merges += n;
}

// ---------------------------------------------------------------- passes

static int protect_leaf(pte_t *leaf, uint64 va, void *arg) {
  struct scan *s = arg;
  for (int i = 0; i < 512; i++) {
    if (!(leaf[i] & PTE_V))
      continue;
    s->resident++;
    if (leaf[i] & PTE_W)
      leaf[i] = (leaf[i] & ~PTE_W) | PTE_COW | PTE_WP;
  }
  return 0;
}

static int is_zero(uint64 *w) {
  for (int i = 0; i < PGSIZE / 8; i++)
    if (w[i])
      return 0;
  return 1;
}

// The frame the page of frame f is to share, or f itself.
static void *keeper(struct scan *s, void *f) {
  if (s->scope == DEDUP_ZERO)
    return is_zero(f) ? zero_frame : f;
  uint64 hash = page_hash(f);
  return hash == zero_hash && is_zero(f) ? zero_frame : find_or_insert(s, f, hash);
}

static int merge_leaf(pte_t *leaf, uint64 va, void *arg) {
  struct scan *s = arg;
  short *slot = s->slot;
  void **keep = s->keep;
  int n = 0;
  if (s->ndoomed > DOOMED_MAX - 512)
    release_doomed(s); // room for this whole table
  for (int i = 0; i < 512; i++) {
    if (!(leaf[i] & PTE_V))
      continue;
    void *f = PA2KVA(PTE2PA(leaf[i]));
    if (f == zero_frame || frame_has(frame_of(f), FRAME_SEEN))
      continue; // already kept: another mapping of it was hashed before
    if ((keep[n] = keeper(s, f)) != f)
      slot[n++] = i;
  }
  if (n > 0)
    remap(s, leaf, slot, keep, n);
  return 0;
}

static int restore_leaf(pte_t *leaf, uint64 va, void *arg) {
  for (int i = 0; i < 512; i++) {
    if (!(leaf[i] & PTE_V))
      continue;
    void *f = PA2KVA(PTE2PA(leaf[i]));
    frame_clear(frame_of(f), FRAME_SEEN);
    if (!(leaf[i] & PTE_WP))
      continue;
    leaf[i] &= ~PTE_WP;
    if (f != zero_frame && frame_refs(f) == 1) {
      leaf[i] = (leaf[i] & ~PTE_COW) | PTE_W; // still ours alone
      frame_clear(frame_of(leaf), FRAME_NOWRITE);
    }
  }
  return 0;
}

static void each_process(int (*visit)(pte_t *, uint64, void *), struct scan *s) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    if (p->pagetable)
      for_each_leaf_table(p->pagetable, visit, s);
}

// The merge pass. With DEDUP_PROCESS the table starts empty for each
// process, so only its own pages (and zero pages) merge; a frame kept
// while scanning an earlier process stays FRAME_SEEN and is not looked at
// again, so no later page is merged onto it.
static void merge_all(struct scan *s) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (!p->pagetable)
      continue;
    if (s->scope == DEDUP_PROCESS)
      table_clear(s);
    for_each_leaf_table(p->pagetable, merge_leaf, s);
  }
}

// The zero frame, allocated at boot (vm_init) so that its one frame never
// shows up as used by the first scan.
void dedup_init(void) {
  if ((zero_frame = frame_alloc(FRAME_USER)) == 0)
    panic("dedup_init: no memory");
  memset(zero_frame, 0, PGSIZE);
  zero_hash = page_hash(zero_frame);
  // its one reference is the kernel's own, for good
}

// dedup(): returns the number of frames freed, or -1 if the scan could not
// get the memory it needs.
int dedup_scan(void) {
  // Scans are serialized by proc[0].vmlock, the first lock each takes:
  // holding them all, the scan owns s (6 KiB: too big for the kernel stack).
  static struct scan s;
  int r = -1;
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    acquiresleep(&p->vmlock);
  memset(&s, 0, sizeof(s));
  s.scope = __atomic_load_n(&vm_dedup_scope, __ATOMIC_RELAXED);
  if ((s.doomed = kalloc()) == 0)
    goto out;
  each_process(protect_leaf, &s);
  tlb_shootdown();
  if (s.scope == DEDUP_ZERO || table_alloc(&s) == 0) {
    merge_all(&s);
    release_doomed(&s);
    r = s.freed;
  }
  each_process(restore_leaf, &s);
  VMSTAT_INC(dedup_scans);
  __atomic_fetch_add(&vmstats.dedup_merges, s.merges, __ATOMIC_RELAXED);
out:
  table_free(&s);
  if (s.doomed)
    krelease(s.doomed);
  for (struct proc *p = &proc[NPROC - 1]; p >= proc; p--)
    releasesleep(&p->vmlock);
  return r;
}
