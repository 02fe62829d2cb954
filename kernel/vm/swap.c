// Swap slots and the swap cache.
//
// The swap device is disk 1 (virtio_disk.c), cut into 4 KiB slots. Each
// slot has a reference count: the swap PTEs that name it, plus one while
// the swap cache holds a frame for it (W1). A slot is free exactly when its
// count is 0. fork shares swap PTEs like pages (one reference per PTE
// slot, S2), and exit, exec and sbrk release them (pagetable.c,
// pte_release).
//
// The swap cache maps a slot to the frame that holds its content, and the
// frame names the slot back (frame.aux, W2). A cached frame is
//   - being written out or read in: FRAME_BUSY; whoever needs it waits;
//   - or a clean copy of the slot: the sharers that still have a swap PTE
//     find the page in memory (a page shared by k processes is read once),
//     and a reclaimer can drop it again without writing (reclaim.c).
// The cache holds one reference on the frame and one on the slot. A cached
// frame is never mapped writable (I5 forbids it: the cache's reference
// makes it shared), so it stays clean; a store first breaks COW, which
// takes the frame out of the cache when nobody else needs the slot
// (swap_cache_drop) and copies it otherwise.
//
// Nothing is kept that nobody can use: when the last PTE naming a slot
// goes (swap_put) and no PTE maps its cached frame, frame and slot are
// freed; likewise when the last mapping of a cached frame goes and no PTE
// names its slot (swap_release_mapping). When slots run out, clean copies
// of resident pages give up their slots (swap_uncache_mapped).
//
// Interface: swap_init; swap_dup/swap_put (a swap PTE's reference);
// swap_read (swap-in: the frame for a slot, with a reference); for the
// reclaimer swap_cache_new, swap_ref_add, swap_cache_done,
// swap_uncache_mapped; swap_cache_drop and swap_release_mapping for COW
// breaks and unmapping; counters and audit accessors.
//
// Locking: swap.lock (a spinlock, after rmap_lock in vm.h's order)
// protects the counts, the cache in both directions, FRAME_BUSY of cached
// frames, the search cursor and the totals. I/O happens without it.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

#define SWAP_DISK 1
#define SECTORS_PER_SLOT (PGSIZE / 512)
#define MAX_SLOTS (1U << 18) // 1 GiB of swap at most
#define REFS_PER_PAGE (PGSIZE / sizeof(uint32))
#define FRAMES_PER_PAGE (PGSIZE / sizeof(uint16))
#define READAHEAD 16 // pages a swap-in reads at most

static struct {
  struct spinlock lock;                       // see above
  uint32 nslots;                              // 0: no swap device
  uint32 used;                                // slots with a count above 0
  uint32 ncached;                             // frames in the cache
  uint32 cursor;                              // where the search for a free slot goes on
  uint32 *refs[MAX_SLOTS / REFS_PER_PAGE];    // count of each slot
  uint16 *frame[MAX_SLOTS / FRAMES_PER_PAGE]; // 1 + cached frame number, or 0
} swap;

static uint32 *refs_of(uint32 s) { return &swap.refs[s / REFS_PER_PAGE][s % REFS_PER_PAGE]; }

static uint16 *frame_slot(uint32 s) {
  return &swap.frame[s / FRAMES_PER_PAGE][s % FRAMES_PER_PAGE];
}

static void *cached_frame(uint32 s) {
  uint16 f = *frame_slot(s);
  return f ? frame_kva(&frames[f - 1]) : 0;
}

static void check_slot(uint32 s, char *who) {
  if (s >= swap.nslots)
    panic(who);
}

static void *zeroed_page(void) {
  void *p = kalloc();
  if (p)
    memset(p, 0, PGSIZE);
  return p;
}

// Take over nslots slots of the swap device (0: none). The tables take
// 6 bytes per slot, from kalloc; with less memory there are fewer slots.
void swap_init(uint32 nslots) {
  _Static_assert(NFRAMES < 0xffff, "a cached frame number fits 16 bits");
  memset(&swap, 0, sizeof(swap));
  initlock(&swap.lock, "swap");
  if (nslots > MAX_SLOTS)
    nslots = MAX_SLOTS;
  uint32 n = 0;
  while (n + REFS_PER_PAGE <= nslots) {
    uint16 **f = &swap.frame[n / FRAMES_PER_PAGE];
    if (*f == 0 && (*f = zeroed_page()) == 0)
      break;
    if ((swap.refs[n / REFS_PER_PAGE] = zeroed_page()) == 0)
      break;
    n += REFS_PER_PAGE;
  }
  swap.nslots = n;
}

uint32 swap_slots(void) { return swap.nslots; }
uint32 swap_slots_used(void) { return __atomic_load_n(&swap.used, __ATOMIC_RELAXED); }
uint32 swap_slots_free(void) { return swap.nslots - swap_slots_used(); }
uint32 swap_cached(void) { return __atomic_load_n(&swap.ncached, __ATOMIC_RELAXED); }

// For vmaudit, which holds every vmlock and the reclaim lock, so that no
// count changes meanwhile.
uint32 swap_slot_refs(uint32 s) { return *refs_of(s); }
void *swap_slot_frame(uint32 s) { return cached_frame(s); }

// ---------------------------------------------------------------- slots

// Another swap PTE names slot s (fork, a leaf table copied).
void swap_dup(uint32 s) { swap_ref_add(s, 1); }

// n more swap PTEs name slot s.
void swap_ref_add(uint32 s, int n) {
  check_slot(s, "swap_ref_add: no such slot");
  acquire(&swap.lock);
  if (*refs_of(s) == 0)
    panic("swap_ref_add: free slot");
  *refs_of(s) += n;
  release(&swap.lock);
}

// Take slot s and frame f out of the cache (the cache's references on
// both go). Returns how many references f has left. Caller holds the lock.
static uint32 uncache(uint32 s, struct frame *f) {
  *frame_slot(s) = 0;
  f->aux = NO_SLOT;
  swap.ncached--;
  if (--*refs_of(s) == 0)
    swap.used--;
  return frame_unref(frame_kva(f));
}

// Is the cached frame f (for slot s) of no use to anyone: no PTE maps it
// and none names its slot? Caller holds the lock.
static int garbage(uint32 s, struct frame *f) {
  return !frame_has(f, FRAME_BUSY) && f->refs == 1 && *refs_of(s) == 1;
}

// A swap PTE naming slot s went away.
void swap_put(uint32 s) {
  check_slot(s, "swap_put: no such slot");
  void *dead = 0;
  acquire(&swap.lock);
  uint32 *r = refs_of(s);
  if (*r == 0)
    panic("swap_put: free slot");
  if (--*r == 0)
    swap.used--;
  void *kva = cached_frame(s);
  if (kva && garbage(s, frame_of(kva)) && uncache(s, frame_of(kva)) == 0)
    dead = kva;
  release(&swap.lock);
  if (dead)
    frame_free(dead);
}

// A free slot for a victim of a batch. The batch's next victim takes the
// slot after the previous one's (near) when it is free, so that the batch
// goes out in one request; a batch starts where a whole run of RUN free
// slots begins, if there is one, so that pages swapped out together stay
// together on disk and come back together (readahead). With swap all but
// full runs are rare and not worth a search through every slot. Caller
// holds the lock. Returns NO_SLOT if every slot is taken.
#define RUN 32

static uint32 find_free(uint32 near) {
  if (near != NO_SLOT && near + 1 < swap.nslots && *refs_of(near + 1) == 0)
    return near + 1;
  uint32 any = NO_SLOT, run = 0;
  int want_run = swap.nslots - swap.used >= swap.nslots / 8;
  for (uint32 i = 0; i < swap.nslots; i++) {
    uint32 s = (swap.cursor + i) % swap.nslots;
    if (s == 0)
      run = 0; // runs do not wrap around the end of the disk
    if (*refs_of(s) != 0) {
      run = 0;
      continue;
    }
    if (any == NO_SLOT)
      any = s;
    if (!want_run)
      break;
    if (++run == RUN) {
      swap.cursor = s + 1;
      return s - (RUN - 1);
    }
  }
  if (any != NO_SLOT)
    swap.cursor = any + 1;
  return any;
}

// ---------------------------------------------------------------- cache

// Put frame kva (a victim of the reclaimer, FRAME_BUSY) in the cache under
// a free slot, preferably the one after near. The cache takes a reference
// on the frame and the slot's first. Returns the slot, or NO_SLOT if swap
// is full.
uint32 swap_cache_new(void *kva, uint32 near) {
  struct frame *f = frame_of(kva);
  acquire(&swap.lock);
  uint32 s = find_free(near);
  if (s != NO_SLOT) {
    *refs_of(s) = 1;
    swap.used++;
    *frame_slot(s) = frame_number(f) + 1;
    f->aux = s;
    swap.ncached++;
    kretain(kva);
  }
  release(&swap.lock);
  return s;
}

// The write of a victim ended (ok: it succeeded): others may use the frame
// again. If nobody mapped it meanwhile it leaves the cache and is freed;
// the slot keeps the content for the swap PTEs. A frame that could not be
// written stays cached, so nothing is lost. Returns 1 if it was freed.
int swap_cache_done(void *kva, int ok) {
  struct frame *f = frame_of(kva);
  void *dead = 0;
  acquire(&swap.lock);
  frame_clear(f, FRAME_BUSY);
  wakeup(kva);
  if (ok && f->refs == 1 && uncache(f->aux, f) == 0)
    dead = kva;
  release(&swap.lock);
  if (dead)
    frame_free(dead);
  return dead != 0;
}

// Give up the cache entry of mapped frame kva, if nobody else needs it: no
// PTE names its slot and the only other reference is the caller's one
// mapping (a COW break that can then reuse the frame). Returns 0 if done.
int swap_cache_drop(void *kva) {
  struct frame *f = frame_of(kva);
  int r = -1;
  acquire(&swap.lock);
  uint32 s = f->aux;
  if (s != NO_SLOT && !frame_has(f, FRAME_BUSY) && f->refs == 2 && *refs_of(s) == 1) {
    uncache(s, f);
    r = 0;
  }
  release(&swap.lock);
  return r;
}

// A mapping of cached frame kva went away (pagetable.c, page_release).
// Returns 1 if that freed the frame.
int swap_release_mapping(void *kva) {
  struct frame *f = frame_of(kva);
  acquire(&swap.lock);
  uint32 left = frame_unref(kva);
  if (f->aux != NO_SLOT && garbage(f->aux, f))
    left = uncache(f->aux, f);
  release(&swap.lock);
  if (left == 0)
    frame_free(kva);
  return left == 0;
}

// Swap is full: clean copies of resident pages whose slot no PTE names
// give up their slots (the pages stay; written out again, they take a new
// one). Returns the slots freed, at most want.
int swap_uncache_mapped(int want) {
  int freed = 0;
  acquire(&swap.lock);
  for (uint32 s = 0; s < swap.nslots && freed < want; s++) {
    void *kva = cached_frame(s);
    if (kva && !frame_has(frame_of(kva), FRAME_BUSY) && frame_refs(kva) > 1 && *refs_of(s) == 1) {
      uncache(s, frame_of(kva));
      freed++;
    }
  }
  release(&swap.lock);
  return freed;
}

// ---------------------------------------------------------------- swap-in

// Put the fresh frame kva in the cache for slot s, FRAME_BUSY until read.
// The frame's one reference becomes the cache's. Caller holds the lock.
static void cache_for_read(uint32 s, void *kva) {
  struct frame *f = frame_of(kva);
  frame_set(f, FRAME_BUSY);
  *frame_slot(s) = frame_number(f) + 1;
  f->aux = s;
  swap.ncached++;
  ++*refs_of(s);
}

// Slots after s that swap PTEs name and the cache lacks come in with it
// (readahead): a page written out next to another is often needed next to
// it, and one request of several pages costs little more than one page.
// The copies take frames but no slot (their slots are taken already), and
// a clean copy nobody maps is the cheapest victim there is; only with swap
// all but full, when the reclaimer looks for little else, they would be in
// the way. Fills pages[] (pages[0] is s's frame, cached already) and
// returns how many. Caller holds the lock.
static int read_ahead(uint32 s, void **pages) {
  int n = 1;
  if (swap.nslots - swap.used < swap.nslots / 16)
    return n;
  for (uint32 t = s + 1; n < READAHEAD && t < swap.nslots; t++, n++) {
    if (*refs_of(t) == 0 || *frame_slot(t) != 0)
      break;
    void *kva = upage_alloc();
    if (kva == 0)
      break;
    cache_for_read(t, kva);
    pages[n] = kva;
  }
  return n;
}

// Read slot s (and the slots after it that read_ahead takes) into fresh
// frames published in the cache. Returns 0, or -1 if no frame is free.
// Caller holds no spinlock.
static int start_read(uint32 s) {
  void *pages[READAHEAD];
  if ((pages[0] = upage_alloc()) == 0)
    return -1;
  acquire(&swap.lock);
  if (*frame_slot(s)) { // someone else is reading it or has read it
    release(&swap.lock);
    krelease(pages[0]);
    return 0;
  }
  cache_for_read(s, pages[0]);
  int n = read_ahead(s, pages);
  release(&swap.lock);
  if (swap_io(s, pages, n, 0) < 0)
    panic("swap: the swap device failed a read");
  VMSTAT_ADD(swap_ins, n);
  int dead = 0;
  acquire(&swap.lock);
  for (int i = 0; i < n; i++) {
    struct frame *f = frame_of(pages[i]);
    frame_clear(f, FRAME_BUSY);
    wakeup(pages[i]);
    // The last swap PTE of a slot read ahead may have gone meanwhile
    // (swap_put leaves a busy frame alone): then nobody can use the copy.
    if (garbage(f->aux, f) && uncache(f->aux, f) == 0)
      pages[dead++] = pages[i];
  }
  release(&swap.lock);
  for (int i = 0; i < dead; i++)
    frame_free(pages[i]);
  return 0;
}

// The frame holding slot s's content, with a reference for the caller's
// mapping: from the cache, or read from disk once for all sharers.
// Returns 0 if no frame is free (the caller waits for memory and retries).
// May sleep; the caller holds its vmlock, which keeps its swap PTE (and
// so the slot) alive meanwhile.
void *swap_read(uint32 s) {
  check_slot(s, "swap_read: no such slot");
  acquire(&swap.lock);
  for (;;) {
    void *kva = cached_frame(s);
    if (kva && frame_has(frame_of(kva), FRAME_BUSY)) {
      sleep(kva, &swap.lock); // I/O in flight: wait for swap_cache_done
      continue;
    }
    if (kva) {
      kretain(kva);
      release(&swap.lock);
      VMSTAT_INC(swap_cache_hits);
      return kva;
    }
    release(&swap.lock);
    if (start_read(s) < 0)
      return 0;
    acquire(&swap.lock);
  }
}

// n whole pages between memory and consecutive slots from s.
int swap_io(uint32 s, void **pages, int n, int write) {
  return virtio_disk_iov(SWAP_DISK, (uint64)s * SECTORS_PER_SLOT, pages, n, write);
}
