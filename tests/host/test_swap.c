// Host unit tests of swap slots and the swap cache (kernel/vm/swap.c):
// reference counts and freeing at zero, consecutive slots for a batch,
// swap full, swap-in from the cache and from a simulated disk with
// readahead, and the rules that keep nothing nobody can use (a cached
// copy with no mapping and no swap PTE is freed at once).
// sources: kernel/vm/frame.c kernel/vm/swap.c tests/host/kernel_shim.c
#include <stdlib.h>

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"
#include "kernel_shim.h"

#define ARENA_FRAMES 512
#define NSLOTS 2048 // two pages of counts

static char *arena;
static char *disk; // NSLOTS pages: the swap device
static int failures, reads, writes;
struct vmstats vmstats;

// Stand-ins for what swap.c calls outside itself.
void *upage_alloc(void) { return frame_alloc(FRAME_USER); }
void sleep(void *chan, struct spinlock *lk) { panic("sleep: would wait forever here"); }
void wakeup(void *chan) {}

static uint32 put_during_io = NO_SLOT; // a swap PTE that goes while the disk works

int virtio_disk_iov(int dev, uint64 sector, void **pages, int n, int write) {
  if (put_during_io != NO_SLOT) {
    swap_put(put_during_io); // its process exits on another hart
    put_during_io = NO_SLOT;
  }
  if (dev != 1 || sector % 8 != 0 || sector / 8 + n > NSLOTS)
    panic("virtio_disk_iov: bad request");
  for (int i = 0; i < n; i++) {
    char *d = disk + (sector / 8 + i) * PGSIZE;
    if (write)
      memmove(d, pages[i], PGSIZE);
    else
      memmove(pages[i], d, PGSIZE);
  }
  if (write)
    writes++;
  else
    reads++;
  return 0;
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("  " __VA_ARGS__);                                                                    \
      printf("\n");                                                                                \
      ok = 0;                                                                                      \
    }                                                                                              \
  } while (0)

static void result(char *name, int ok) {
  if (ok) {
    printf("PASS %s\n", name);
  } else {
    printf("FAIL %s: see above\n", name);
    failures++;
  }
}

static int free0; // frames free after setup

static void setup(void) {
  frame_init(arena, arena + 2 * PGSIZE, arena + ARENA_FRAMES * PGSIZE);
  swap_init(NSLOTS);
  reads = writes = 0;
  free0 = freepages();
}

// A user frame filled with byte b, as a reclaimer's victim: FRAME_BUSY,
// one reference standing for its one mapping.
static char *victim(int b) {
  char *f = frame_alloc(FRAME_USER);
  memset(f, b, PGSIZE);
  frame_set(frame_of(f), FRAME_BUSY);
  return f;
}

// Swap a victim out as reclaim.c does: a slot in the cache, the mapping's
// reference turned into a swap PTE's, the write, the cache let go.
static uint32 swap_out(char *f, uint32 near) {
  uint32 s = swap_cache_new(f, near);
  if (s == NO_SLOT)
    return s;
  swap_ref_add(s, 1);
  frame_unref(f); // the mapping is now a swap PTE
  void *pages[1] = {f};
  swap_io(s, pages, 1, 1);
  swap_cache_done(f, 1);
  return s;
}

static void test_slots(void) {
  int ok = 1;
  setup();
  CHECK(swap_slots() == NSLOTS && swap_slots_used() == 0, "slots %d used %d", swap_slots(),
        swap_slots_used());
  char *f = victim(7);
  uint32 s = swap_out(f, NO_SLOT);
  CHECK(s != NO_SLOT && swap_slot_refs(s) == 1, "slot %d refs %d", s, swap_slot_refs(s));
  CHECK(frame_is_free(frame_of(f)) && freepages() == free0, "the written frame was not freed");
  CHECK(swap_slots_used() == 1 && swap_cached() == 0, "used %d cached %d", swap_slots_used(),
        swap_cached());
  swap_dup(s); // fork copied the swap PTE
  swap_put(s);
  CHECK(swap_slots_used() == 1, "slot freed while a swap PTE names it");
  swap_put(s);
  CHECK(swap_slots_used() == 0 && swap_slot_refs(s) == 0, "slot not free at count 0");
  CHECK(PANICS(swap_put(s)), "putting a free slot did not panic");
  CHECK(PANICS(swap_dup(NSLOTS)), "a slot past the end did not panic");
  result("slots", ok);
}

// A batch takes consecutive slots when it passes the previous one; swap
// full returns NO_SLOT.
static void test_batch_and_full(void) {
  int ok = 1;
  setup();
  uint32 prev = NO_SLOT;
  for (int i = 0; i < 8; i++) {
    char *f = victim(i);
    uint32 s = swap_out(f, prev);
    CHECK(prev == NO_SLOT || s == prev + 1, "victim %d got slot %d after %d", i, s, prev);
    prev = s;
  }
  for (uint32 n = 8; n < NSLOTS; n++)
    CHECK(swap_out(victim(1), NO_SLOT) != NO_SLOT, "slot %d of %d refused", n, NSLOTS);
  char *f = victim(2);
  CHECK(swap_cache_new(f, NO_SLOT) == NO_SLOT, "a slot past full");
  CHECK(swap_slots_free() == 0 && freepages() == free0 - 1, "free %d", swap_slots_free());
  result("batch_and_full", ok);
}

// Swap-in: the first reader reads the disk once (with the slots after it
// that are in use), later ones find the cache; contents come back.
static void test_read(void) {
  int ok = 1;
  setup();
  uint32 s[4], prev = NO_SLOT;
  for (int i = 0; i < 4; i++)
    prev = s[i] = swap_out(victim(10 + i), prev);
  swap_dup(s[0]); // a second sharer's swap PTE
  char *a = swap_read(s[0]);
  CHECK(a && a[0] == 10 && a[PGSIZE - 1] == 10, "wrong content");
  CHECK(reads == 1 && swap_cached() == 4, "reads %d cached %d (readahead of 3)", reads,
        swap_cached());
  char *b = swap_read(s[0]);
  CHECK(b == a && reads == 1 && frame_refs(a) == 3, "second reader: refs %d", frame_refs(a));
  char *c = swap_read(s[2]);
  CHECK(c && c[5] == 12 && reads == 1, "readahead missed slot %d", s[2]);
  result("read", ok);
}

// Nothing unusable stays: a cached copy that no PTE maps goes with the
// last swap PTE of its slot, and a slot with a cached copy goes with the
// last mapping once no swap PTE names it.
static void test_trim(void) {
  int ok = 1;
  setup();
  uint32 s = swap_out(victim(3), NO_SLOT);
  char *f = swap_read(s); // cached, one mapping
  swap_put(s);            // our swap PTE now maps the frame
  CHECK(swap_slot_refs(s) == 1 && frame_refs(f) == 2, "refs %d/%d", swap_slot_refs(s),
        frame_refs(f));
  swap_release_mapping(f); // the mapping goes: nothing names slot or frame
  CHECK(swap_slots_used() == 0 && swap_cached() == 0 && freepages() == free0,
        "used %d cached %d free %d/%d", swap_slots_used(), swap_cached(), freepages(), free0);

  s = swap_out(victim(4), NO_SLOT);
  swap_dup(s);
  f = swap_read(s); // a sharer maps it, one swap PTE stays
  swap_put(s);
  swap_release_mapping(f); // unmapped, but a swap PTE still names the slot
  CHECK(swap_cached() == 1 && swap_slot_refs(s) == 2, "the copy went too early");
  swap_put(s); // the last swap PTE
  CHECK(swap_slots_used() == 0 && swap_cached() == 0 && freepages() == free0,
        "unusable copy kept: used %d cached %d", swap_slots_used(), swap_cached());
  result("trim", ok);
}

// The last swap PTE of a slot read ahead goes while the read is in
// flight: the copy is freed when the read ends, not kept for nobody.
static void test_trim_after_read(void) {
  int ok = 1;
  setup();
  uint32 a = swap_out(victim(8), NO_SLOT), b = swap_out(victim(9), a);
  CHECK(b == a + 1, "slots %d %d", a, b);
  put_during_io = b;
  char *f = swap_read(a); // reads b ahead; b's last swap PTE goes meanwhile
  CHECK(f && swap_cached() == 1 && swap_slot_refs(b) == 0, "cached %d, slot %d count %d",
        swap_cached(), b, swap_slot_refs(b));
  CHECK(freepages() == free0 - 1, "frames: %d free, want %d", freepages(), free0 - 1);
  swap_put(a);
  swap_release_mapping(f);
  CHECK(freepages() == free0 && swap_slots_used() == 0, "leak at the end");
  result("trim_after_read", ok);
}

// A COW break may take the frame out of the cache only if nobody else
// needs the slot; with swap full, copies of mapped pages give their slots.
static void test_drop(void) {
  int ok = 1;
  setup();
  uint32 s = swap_out(victim(5), NO_SLOT);
  swap_dup(s);
  char *f = swap_read(s);
  swap_put(s); // one mapping, one other swap PTE, the cache
  CHECK(swap_cache_drop(f) == -1, "dropped a slot another PTE needs");
  swap_put(s); // the other swap PTE goes (its process exited)
  CHECK(swap_cache_drop(f) == 0 && frame_refs(f) == 1 && swap_slots_used() == 0,
        "drop: refs %d used %d", frame_refs(f), swap_slots_used());
  krelease(f);

  s = swap_out(victim(6), NO_SLOT);
  f = swap_read(s);
  swap_put(s);
  kretain(f); // a second mapping
  CHECK(swap_uncache_mapped(8) == 1 && swap_cached() == 0 && swap_slots_used() == 0,
        "uncache_mapped: cached %d used %d", swap_cached(), swap_slots_used());
  krelease(f);
  krelease(f);
  CHECK(freepages() == free0, "frames leaked: %d of %d", freepages(), free0);
  result("drop", ok);
}

int main(void) {
  arena = aligned_alloc(PGSIZE, ARENA_FRAMES * PGSIZE);
  disk = calloc(NSLOTS, PGSIZE);
  test_slots();
  test_batch_and_full();
  test_read();
  test_trim();
  test_trim_after_read();
  test_drop();
  free(disk);
  free(arena);
  return failures != 0;
}
