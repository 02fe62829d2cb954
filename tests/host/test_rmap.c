// Host unit tests of the reverse map (kernel/vm/rmap.c): adding and
// removing PTE slots on frames' lists in any order, the lists staying
// exactly the model's, the sharers of a leaf table, misuse caught by
// panics, and threads changing one frame's list at once.
// sources: kernel/vm/frame.c kernel/vm/rmap.c tests/host/kernel_shim.c
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
#define TABLES 4  // page-table pages with links
#define TARGETS 8 // frames that PTE slots map

static char *arena;
static int failures;
static pagetable_t table[TABLES];
static char *target[TARGETS];
static int model[TABLES][512]; // which target each slot maps, or -1

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

// A fresh frame table with TABLES tables (each with a links page, as
// pagetable.c's ptpage_alloc makes them), owned by processes 1..TABLES,
// and TARGETS user frames with empty lists.
static void setup(void) {
  frame_init(arena, arena + 2 * PGSIZE, arena + ARENA_FRAMES * PGSIZE);
  rmap_init();
  for (int t = 0; t < TABLES; t++) {
    table[t] = kalloc();
    void *links = kalloc();
    rmap_links_init(links);
    frame_of(table[t])->aux = frame_number(frame_of(links));
    frame_of(table[t])->owner = t + 1;
    for (int i = 0; i < 512; i++)
      model[t][i] = -1;
  }
  for (int k = 0; k < TARGETS; k++) {
    target[k] = frame_alloc(FRAME_USER);
    frame_of(target[k])->rmap = NO_PTSLOT;
  }
}

// Does target k's list hold exactly the slots the model says map it?
static int list_matches(int k) {
  int want = 0, seen = 0, ok = 1;
  for (int t = 0; t < TABLES; t++)
    for (int i = 0; i < 512; i++)
      want += model[t][i] == k;
  rmap_lock();
  for (ptslot s = rmap_first(target[k]); s != NO_PTSLOT && seen <= want; s = rmap_next(s)) {
    pte_t *pte = ptslot_pte(s);
    int t = 0;
    while (t < TABLES && (pte < table[t] || pte >= table[t] + 512))
      t++;
    if (t == TABLES || model[t][pte - table[t]] != k)
      ok = 0;
    seen++;
  }
  if (seen != want || rmap_count(target[k]) != want)
    ok = 0;
  rmap_unlock();
  return ok;
}

static void map(int t, int i, int k) {
  rmap_add(target[k], &table[t][i]);
  model[t][i] = k;
}

static void unmap(int t, int i) {
  rmap_del(target[model[t][i]], &table[t][i]);
  model[t][i] = -1;
}

static void test_slots(void) {
  int ok = 1;
  setup();
  pte_t *pte = &table[2][37];
  ptslot s = ptslot_of(pte);
  CHECK(ptslot_pte(s) == pte, "slot %x does not lead back to its PTE", s);
  CHECK((s & 511) == 37 && (s >> 9) == frame_number(frame_of(table[2])), "slot %x", s);
  result("slots", ok);
}

// Random adds and removes across tables and targets; after every step the
// lists equal the model.
static void test_random(void) {
  int ok = 1;
  setup();
  srand(7);
  for (int step = 0; step < 20000 && ok; step++) {
    int t = rand() % TABLES, i = rand() % 512;
    if (model[t][i] < 0)
      map(t, i, rand() % TARGETS);
    else
      unmap(t, i);
    if (step % 997 == 0)
      for (int k = 0; k < TARGETS; k++)
        CHECK(list_matches(k), "step %d: list of target %d differs from the model", step, k);
  }
  for (int k = 0; k < TARGETS; k++)
    CHECK(list_matches(k), "end: list of target %d differs from the model", k);
  for (int t = 0; t < TABLES; t++)
    for (int i = 0; i < 512; i++)
      if (model[t][i] >= 0)
        unmap(t, i);
  for (int k = 0; k < TARGETS; k++)
    CHECK(frame_of(target[k])->rmap == NO_PTSLOT, "target %d not empty at the end", k);
  result("random", ok);
}

// Removing the head, the tail and a middle entry.
static void test_positions(void) {
  int ok = 1;
  setup();
  for (int i = 0; i < 5; i++)
    map(0, i, 0); // the list is 4 3 2 1 0 (newest first)
  unmap(0, 4);    // head
  CHECK(list_matches(0), "after removing the head");
  unmap(0, 0); // tail
  CHECK(list_matches(0), "after removing the tail");
  unmap(0, 2); // middle
  CHECK(list_matches(0), "after removing the middle");
  result("positions", ok);
}

// A leaf table's list holds level-1 slots: the sharers are their owners.
static void test_sharers(void) {
  int ok = 1;
  setup();
  pagetable_t leaf = target[0]; // stands for a leaf table named by tables 1 and 3
  rmap_add(leaf, &table[1][5]);
  rmap_add(leaf, &table[3][9]);
  uint64 m = 0;
  rmap_lock();
  int r = rmap_sharers(leaf, &m);
  rmap_unlock();
  CHECK(r == 0 && m == ((1UL << 1) | (1UL << 3)), "sharers mask %lx", (unsigned long)m);
  pagetable_t nobody = target[1]; // a leaf table no level-1 entry names
  rmap_lock();
  CHECK(rmap_sharers(nobody, &m) == -1, "a table nobody names has sharers");
  rmap_unlock();
  frame_of(table[0])->owner = 0;
  rmap_add(leaf, &table[0][1]);
  rmap_lock();
  CHECK(PANICS(rmap_sharers(leaf, &m)), "a level-1 table without an owner did not panic");
  rmap_unlock();
  result("sharers", ok);
}

static void test_misuse(void) {
  int ok = 1;
  setup();
  map(0, 1, 0);
  CHECK(PANICS(rmap_add(target[1], &table[0][1])), "adding a slot already listed did not panic");
  rmap_unlock(); // the panic left it held
  CHECK(PANICS(rmap_del(target[1], &table[1][1])), "removing an unlisted slot did not panic");
  rmap_unlock();
  CHECK(PANICS(rmap_add_locked(target[0], &table[0][2])), "no lock held: did not panic");
  char *nolinks = kalloc();
  CHECK(PANICS(rmap_add(target[0], (pte_t *)nolinks)), "a page without links did not panic");
  rmap_unlock();
  result("misuse", ok);
}

// Threads add and remove their own slots on the same frames at once, as
// faults and exits of processes on several harts do.
#define THREADS 4
#define ROUNDS 20000

static void *churn(void *arg) {
  int t = (int)(long)arg;
  for (int r = 0; r < ROUNDS; r++) {
    int i = r % 256, k = r % 3;
    rmap_add(target[k], &table[t][i]);
    rmap_del(target[k], &table[t][i]);
    if (r % 512 == 511)
      rmap_add(target[k], &table[t][256 + r / 512]); // leave some on the lists
  }
  return 0;
}

static void test_concurrent(void) {
  int ok = 1;
  setup();
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++)
    pthread_create(&th[t], 0, churn, (void *)(long)t);
  for (int t = 0; t < THREADS; t++)
    pthread_join(th[t], 0);
  int total = 0;
  rmap_lock();
  for (int k = 0; k < 3; k++)
    total += rmap_count(target[k]);
  rmap_unlock();
  CHECK(total == THREADS * (ROUNDS / 512), "%d entries left, want %d", total,
        THREADS * (ROUNDS / 512));
  result("concurrent", ok);
}

int main(void) {
  arena = aligned_alloc(PGSIZE, ARENA_FRAMES * PGSIZE);
  test_slots();
  test_random();
  test_positions();
  test_sharers();
  test_misuse();
  test_concurrent();
  free(arena);
  return failures != 0;
}
