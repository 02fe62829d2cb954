// Host unit tests of the frame table (kernel/vm/frame.c): allocation,
// reference counting, freeing at zero, exhaustion, misuse caught by
// panics, the free-list audit, and reference counts raced by threads.
// sources: kernel/vm/frame.c tests/host/kernel_shim.c
#include <pthread.h>
#include <stdlib.h>

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"
#include "kernel_shim.h"

#define ARENA_FRAMES 256
#define RESERVED 6 // frames below free_start, like firmware and kernel

static char *arena;
static int failures;

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

static void fresh_table(void) {
  frame_init(arena, arena + RESERVED * PGSIZE, arena + ARENA_FRAMES * PGSIZE);
}

static void test_init(void) {
  int ok = 1;
  fresh_table();
  CHECK(freepages() == ARENA_FRAMES - RESERVED, "freepages %d", freepages());
  CHECK(frame_count() == ARENA_FRAMES, "frame_count %d", frame_count());
  CHECK(frames[0].flags == 0 && frames[RESERVED - 1].flags == 0, "reserved frames flagged");
  CHECK(frame_is_free(&frames[RESERVED]), "first free frame not free");
  CHECK(frame_check_freelist() == 0, "audit of a fresh table failed");
  result("init", ok);
}

static void test_alloc_release(void) {
  int ok = 1;
  fresh_table();
  char *a = kalloc(), *b = frame_alloc(FRAME_USER);
  CHECK(a && b && a != b, "kalloc returned %p %p", a, b);
  CHECK(a >= arena + RESERVED * PGSIZE && ((uint64)a % PGSIZE) == 0, "bad address %p", a);
  CHECK(frame_refs(a) == 1 && frame_refs(b) == 1, "new frames must have one reference");
  CHECK(frame_of(a)->flags == FRAME_KERNEL && frame_of(b)->flags == FRAME_USER, "flags");
  CHECK(freepages() == ARENA_FRAMES - RESERVED - 2, "freepages after 2 allocs");
  kretain(b);
  kretain(b);
  CHECK(frame_refs(b) == 3, "refs after two kretain: %d", frame_refs(b));
  krelease(b);
  krelease(b);
  CHECK(!frame_is_free(frame_of(b)) && freepages() == ARENA_FRAMES - RESERVED - 2,
        "frame freed while referenced");
  b[0] = 42;
  krelease(b);
  CHECK(frame_is_free(frame_of(b)), "frame not freed at zero");
  CHECK(b[0] == 1 && b[PGSIZE - 1] == 1, "freed frame not filled with junk");
  krelease(a);
  CHECK(freepages() == ARENA_FRAMES - RESERVED, "freepages back to start");
  CHECK(frame_check_freelist() == 0, "audit after alloc/release");
  result("alloc_release", ok);
}

// frame_unref/frame_free: the caller of the last unref frees the frame
// (used for shared leaf page tables, whose content holds references).
static void test_unref_free(void) {
  int ok = 1;
  fresh_table();
  char *t = kalloc();
  kretain(t);
  CHECK(frame_unref(t) == 1, "unref of a frame with 2 refs must leave 1");
  CHECK(!frame_is_free(frame_of(t)), "frame freed by unref");
  CHECK(PANICS(frame_free(t)), "frame_free of a referenced frame did not panic");
  CHECK(frame_unref(t) == 0, "last unref must report 0");
  CHECK(!frame_is_free(frame_of(t)), "frame freed before frame_free");
  frame_free(t);
  CHECK(frame_is_free(frame_of(t)) && freepages() == ARENA_FRAMES - RESERVED,
        "frame_free did not free");
  CHECK(frame_put(kalloc()) == 1, "frame_put of the only reference must free");
  CHECK(frame_check_freelist() == 0, "audit after unref/free");
  result("unref_free", ok);
}

static void test_exhaustion(void) {
  int ok = 1;
  fresh_table();
  static void *got[ARENA_FRAMES];
  int n = 0;
  while ((got[n] = kalloc()) != 0)
    n++;
  CHECK(n == ARENA_FRAMES - RESERVED, "allocated %d frames", n);
  CHECK(freepages() == 0 && kalloc() == 0, "allocation past the end");
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < i + 3 && j < n; j++)
      CHECK(got[i] != got[j], "frame handed out twice");
  for (int i = 0; i < n; i++)
    krelease(got[i]);
  CHECK(freepages() == n && frame_check_freelist() == 0, "not all frames came back");
  result("exhaustion", ok);
}

static void test_misuse_panics(void) {
  int ok = 1;
  fresh_table();
  char *a = kalloc(), *b = kalloc();
  krelease(a);
  krelease(b);
  CHECK(PANICS(kretain(b)), "kretain of a free frame did not panic");
  CHECK(PANICS(krelease(a)), "double krelease did not panic");
  CHECK(PANICS(frame_of(arena + 5)), "unaligned address did not panic");
  CHECK(PANICS(frame_of(arena + ARENA_FRAMES * PGSIZE)), "address past RAM did not panic");
  fresh_table();
  char *c = kalloc();
  frame_of(c)->flags = FRAME_FREE; // pretend the allocator lost track of it
  CHECK(frame_check_freelist() > 0, "audit missed a frame marked free but not listed");
  result("misuse_panics", ok);
}

// frame_pin_user adds a reference only to a user frame in use; the flags
// of a frame in use change atomically; VMCTL_FAIL_ALLOC's countdown fails
// exactly the n-th allocation, once.
static void test_pin_flags_failure(void) {
  int ok = 1;
  fresh_table();
  char *a = frame_alloc(FRAME_USER);
  CHECK(frame_pin_user(frame_of(a)) && frame_refs(a) == 2, "pin of a used user frame");
  krelease(a);
  krelease(a);
  CHECK(!frame_pin_user(frame_of(a)), "pin of a free frame succeeded");
  char *k = kalloc();
  CHECK(!frame_pin_user(frame_of(k)) && frame_refs(k) == 1, "pin of a kernel frame succeeded");
  krelease(k);
  a = frame_alloc(FRAME_USER);
  frame_set(frame_of(a), FRAME_BUSY);
  CHECK(frame_has(frame_of(a), FRAME_BUSY) && frame_has(frame_of(a), FRAME_USER), "set");
  frame_clear(frame_of(a), FRAME_BUSY);
  CHECK(!frame_has(frame_of(a), FRAME_BUSY) && frame_has(frame_of(a), FRAME_USER), "clear");
  krelease(a);
  frame_fail_after(3);
  void *x = kalloc(), *y = kalloc(), *z = kalloc(), *w = kalloc();
  CHECK(x && y && !z && w, "the third allocation must fail, and only it");
  krelease(x);
  krelease(y);
  krelease(w);
  CHECK(freepages() == ARENA_FRAMES - RESERVED, "frames lost");
  result("pin_flags_failure", ok);
}

// Threads share frames and retain/release them concurrently, as COW
// faults and exits on different harts do; exactly the right frames must
// come back free.
#define THREADS 4
#define ROUNDS 20000
static void *shared[8];

static void *churn(void *arg) {
  for (int r = 0; r < ROUNDS; r++) {
    void *f = shared[r % 8];
    kretain(f);
    void *mine = kalloc();
    if (mine)
      krelease(mine);
    krelease(f);
  }
  return arg;
}

static void test_concurrent_refs(void) {
  int ok = 1;
  fresh_table();
  for (int i = 0; i < 8; i++)
    shared[i] = frame_alloc(FRAME_USER);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    pthread_create(&t[i], 0, churn, 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], 0);
  for (int i = 0; i < 8; i++)
    CHECK(frame_refs(shared[i]) == 1, "shared frame %d has %d refs", i, frame_refs(shared[i]));
  for (int i = 0; i < 8; i++)
    krelease(shared[i]);
  CHECK(freepages() == ARENA_FRAMES - RESERVED, "free %d after the race", freepages());
  CHECK(frame_check_freelist() == 0, "audit after the race");
  result("concurrent_refs", ok);
}

int main(void) {
  arena = aligned_alloc(PGSIZE, ARENA_FRAMES * PGSIZE);
  test_init();
  test_alloc_release();
  test_unref_free();
  test_exhaustion();
  test_misuse_panics();
  test_pin_flags_failure();
  test_concurrent_refs();
  free(arena);
  return failures != 0;
}
