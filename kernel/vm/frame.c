// The frame table: one struct frame (vm.h) per 4 KiB frame of RAM, and the
// free list threaded through it.
//
// Interface:
//   kalloc()             a frame for kernel data, with one reference
//   frame_alloc(flags)   the same, for kernel (FRAME_KERNEL) or user
//                        (FRAME_USER) memory
//   kretain(kva)         one more reference (another PTE maps it, ...)
//   krelease(kva)        one reference fewer; at zero the frame is freed
//   freepages()          frames on the free list now
//
// Reference counts are changed with atomic operations and no lock: a COW
// fault on one hart may release a frame while its sharer's exit releases it
// on another, and exactly one of them sees the count reach zero. A frame
// whose count is 1 and which the caller maps is the caller's alone: nobody
// else can add a reference to it (that would take a mapping or a kernel
// reference), which is what makes COW reuse-in-place safe (fault.c).
//
// The free list is a stack of frame numbers under freelist.lock. Freed
// frames are filled with junk so that a dangling use shows up quickly.
// Nothing here needs hardware, so tests/host/test_frame.c runs it on the
// host with the sanitizers.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

struct frame frames[NFRAMES];

static char *ram_base; // kernel address of frame 0
static uint32 nframes; // frames of RAM covered by the table

static struct {
  struct spinlock lock; // protects head, nfree, and next/flags of free frames
  uint32 head;          // first free frame, or NO_FRAME
  uint32 nfree;
} freelist;

uint32 frame_number(struct frame *f) {
  if (f < frames || f >= frames + nframes)
    panic("frame_number: not a frame");
  return f - frames;
}

void *frame_kva(struct frame *f) { return ram_base + (uint64)frame_number(f) * PGSIZE; }

struct frame *frame_of(void *kva) {
  uint64 off = (char *)kva - ram_base;
  if ((char *)kva < ram_base || off % PGSIZE != 0 || off / PGSIZE >= nframes)
    panic("frame_of: not a frame address");
  return &frames[off / PGSIZE];
}

uint32 frame_count(void) { return nframes; }

int frame_is_free(struct frame *f) { return (f->flags & FRAME_FREE) != 0; }

// Flags of a frame in use change concurrently (dedup marks, a reclaimer's
// FRAME_BUSY, fork's FRAME_NOWRITE), so they change atomically.
void frame_set(struct frame *f, int flag) { __atomic_fetch_or(&f->flags, flag, __ATOMIC_ACQ_REL); }

void frame_clear(struct frame *f, int flag) {
  __atomic_fetch_and(&f->flags, ~(uint32)flag, __ATOMIC_ACQ_REL);
}

int frame_has(struct frame *f, int flag) {
  return (__atomic_load_n(&f->flags, __ATOMIC_ACQUIRE) & flag) != 0;
}

uint32 frame_refs(void *kva) { return __atomic_load_n(&frame_of(kva)->refs, __ATOMIC_ACQUIRE); }

static void fill_junk(void *kva) {
  for (uint64 *w = kva, *e = w + PGSIZE / 8; w < e; w++)
    *w = 0x0101010101010101UL;
}

static void push_free(struct frame *f) {
  acquire(&freelist.lock);
  f->flags = FRAME_FREE;
  f->next = freelist.head;
  freelist.head = frame_number(f);
  freelist.nfree++;
  release(&freelist.lock);
}

// Take over RAM [ram_start, ram_end); frames below free_start stay reserved.
void frame_init(char *ram_start, char *free_start, char *ram_end) {
  uint64 n = (ram_end - ram_start) / PGSIZE;
  if (n > NFRAMES || free_start < ram_start || free_start > ram_end)
    panic("frame_init: bad range");
  initlock(&freelist.lock, "freelist");
  ram_base = ram_start;
  nframes = n;
  freelist.head = NO_FRAME;
  freelist.nfree = 0;
  uint32 first = PGROUNDUP((uint64)(free_start - ram_start)) / PGSIZE;
  for (uint32 i = 0; i < nframes; i++)
    frames[i] = (struct frame){.next = NO_FRAME, .aux = NO_SLOT};
  // Push from the top so that allocation starts with low addresses.
  for (uint32 i = nframes; i > first; i--) {
    fill_junk(frame_kva(&frames[i - 1]));
    push_free(&frames[i - 1]);
  }
}

// VMCTL_FAIL_ALLOC: when set to n > 0, the n-th allocation from then on
// fails (once), so that tests can force every allocation failure path.
static int fail_countdown;

void frame_fail_after(int n) { __atomic_store_n(&fail_countdown, n, __ATOMIC_RELAXED); }

static int injected_failure(void) {
  int n = __atomic_load_n(&fail_countdown, __ATOMIC_RELAXED);
  while (n > 0 && !__atomic_compare_exchange_n(&fail_countdown, &n, n - 1, 0, __ATOMIC_RELAXED,
                                               __ATOMIC_RELAXED))
    ;
  return n == 1;
}

void *frame_alloc(int flags) {
  if (injected_failure())
    return 0;
  acquire(&freelist.lock);
  if (freelist.head == NO_FRAME) {
    release(&freelist.lock);
    return 0;
  }
  struct frame *f = &frames[freelist.head];
  if (!frame_is_free(f) || f->refs != 0)
    panic("frame_alloc: free list corrupt");
  freelist.head = f->next;
  freelist.nfree--;
  f->rmap = NO_PTSLOT; // also owner = NO_PTSLOT: the caller sets it for tables
  f->aux = NO_SLOT;
  f->flags = flags;
  __atomic_store_n(&f->refs, 1, __ATOMIC_RELEASE);
  release(&freelist.lock);
  return frame_kva(f);
}

void *kalloc(void) { return frame_alloc(FRAME_KERNEL); }

void kretain(void *kva) {
  struct frame *f = frame_of(kva);
  if (__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED) == 0)
    panic("kretain: frame is not in use");
}

// Pin a frame found through the frame table rather than through a mapping
// of one's own, if it is user memory in use: a reference is added and 1
// returned. Under the free-list lock, because a frame becomes used only
// there: a frame seen free-then-reallocated (as a page table, say) between
// a look at its flags and the pin cannot be mistaken for the user frame it
// was. Once pinned it stays user memory and its reverse map stays valid.
int frame_pin_user(struct frame *f) {
  int pinned = 0;
  acquire(&freelist.lock);
  uint32 n = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
  if (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & FRAME_USER)
    while (n > 0 && !pinned)
      pinned = __atomic_compare_exchange_n(&f->refs, &n, n + 1, 0, __ATOMIC_ACQ_REL,
                                           __ATOMIC_RELAXED);
  release(&freelist.lock);
  return pinned;
}

// Drop one reference and return how many are left, without freeing the
// frame at zero: for frames whose content holds references of its own (a
// leaf page table), which the caller releases before frame_free().
uint32 frame_unref(void *kva) {
  uint32 before = __atomic_fetch_sub(&frame_of(kva)->refs, 1, __ATOMIC_ACQ_REL);
  if (before == 0)
    panic("krelease: frame is not in use");
  return before - 1;
}

// Free a frame whose last reference frame_unref() dropped.
void frame_free(void *kva) {
  struct frame *f = frame_of(kva);
  if (f->refs != 0 || frame_is_free(f))
    panic("frame_free: frame in use or free");
  fill_junk(kva);
  push_free(f);
}

// Drop one reference to each of n frames (by number); returns how many
// that freed. The freed ones join the free list under one lock, without
// the junk fill: the caller (dedup) cut their last mappings with a TLB
// shootdown, so no dangling use can remain, and the scan is measured
// against hashing the pages alone, which a second write of each page
// would double.
int frames_put(const uint32 *fnums, int n) {
  uint32 chain = NO_FRAME, last = NO_FRAME;
  int freed = 0;
  for (int i = 0; i < n; i++) {
    struct frame *f = &frames[fnums[i]];
    if (frame_unref(frame_kva(f)) > 0)
      continue;
    f->next = chain;
    chain = fnums[i];
    if (last == NO_FRAME)
      last = fnums[i];
    freed++;
  }
  if (freed == 0)
    return 0;
  acquire(&freelist.lock);
  for (uint32 i = chain; i != NO_FRAME; i = frames[i].next)
    frames[i].flags = FRAME_FREE;
  frames[last].next = freelist.head;
  freelist.head = chain;
  freelist.nfree += freed;
  release(&freelist.lock);
  return freed;
}

// Drop one reference; returns 1 if that freed the frame.
int frame_put(void *kva) {
  if (frame_unref(kva) > 0)
    return 0;
  frame_free(kva);
  return 1;
}

void krelease(void *kva) { frame_put(kva); }

int freepages(void) { return __atomic_load_n(&freelist.nfree, __ATOMIC_RELAXED); }

// For vmaudit: every frame on the free list is marked free with no
// reference, and the list holds exactly the frames marked free.
// Returns the number of violations, printing each.
int frame_check_freelist(void) {
  int bad = 0;
  uint32 listed = 0, marked = 0;
  acquire(&freelist.lock);
  for (uint32 i = freelist.head; i != NO_FRAME && listed <= nframes; i = frames[i].next) {
    listed++;
    if (!frame_is_free(&frames[i]) || frames[i].refs != 0) {
      printf("vmaudit: frame %d on the free list is in use\n", i);
      bad++;
    }
  }
  for (uint32 i = 0; i < nframes; i++)
    marked += frame_is_free(&frames[i]);
  if (listed != marked || listed != freelist.nfree) {
    printf("vmaudit: free list holds %d frames, %d marked free, count %d\n", listed, marked,
           freelist.nfree);
    bad++;
  }
  release(&freelist.lock);
  return bad;
}
