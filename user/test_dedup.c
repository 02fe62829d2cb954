// test_dedup: page deduplication. dedup() must free the frames of
// identical pages in every process, and merged pages must behave exactly as
// before under reads, writes, fork, exit and exec, scan after scan, even
// while the owners run on other harts.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/vmquery.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define MiB (1024 * 1024)
#define REGION_PAGES (10 * MiB / PGSIZE) // 2560 pages

// Content of page i: "same" pages share one content per seed; a page whose
// generation is not 0 gets content unique to (i, gen).
static void fill_page(char *page, int i, int seed, int gen) {
  uint64 *w = (uint64 *)page;
  for (int k = 0; k < PGSIZE / 8; k++)
    w[k] = gen == 0 ? 0x1111111111111111UL * (seed + 1) + k
                    : ((uint64)gen << 40) ^ ((uint64)i << 20) ^ k;
}

static int page_ok(char *page, int i, int seed, int gen) {
  uint64 *w = (uint64 *)page;
  for (int k = 0; k < PGSIZE / 8; k++) {
    uint64 want = gen == 0 ? 0x1111111111111111UL * (seed + 1) + k
                           : ((uint64)gen << 40) ^ ((uint64)i << 20) ^ k;
    if (w[k] != want)
      return 0;
  }
  return 1;
}

static char *region(int pages) {
  char *p = sbrk(pages * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk of %d pages failed", pages);
  return p;
}

static void fill_region(char *r, int pages, int seed) {
  for (int i = 0; i < pages; i++)
    fill_page(r + (uint64)i * PGSIZE, i, seed, 0);
}

static void check_region(char *who, char *r, int pages, int seed, int (*gen_of)(int)) {
  for (int i = 0; i < pages; i++)
    if (!page_ok(r + (uint64)i * PGSIZE, i, seed, gen_of(i)))
      fail("%s: page %d holds the wrong bytes", who, i);
}

static int gen_none(int i) { return 0; }
static int gen_7(int i) { return i % 7 == 0 ? 7 : 0; }
static int gen_7_5(int i) { return i % 5 == 0 ? 5 : i % 7 == 0 ? 7 : 0; }

// Reap n children; fail unless each exited with status 0.
static void wait_all_ok(int n, char *what) {
  for (int k = 0; k < n; k++) {
    int status;
    if (wait_any(&status) < 0 || status != 0)
      fail("%s: a child failed (status %d)", what, status);
  }
}

static int xdedup(void) {
  int freed = dedup();
  if (freed < 0)
    fail("dedup() returned %d", freed);
  return freed;
}

// ---------------------------------------------------------------- reader

// The dedup homework's reader: 10 MiB of one non-zero content; dedup must
// free about 2560 frames and every byte must read back.
static void reader(uint64 unused) {
  char *r = region(REGION_PAGES);
  fill_region(r, REGION_PAGES, 1);
  int before = freepages();
  int freed = xdedup();
  int gained = freepages() - before;
  if (gained < 2540)
    fail("free frames grew by %d (dedup said %d), want >= 2540", gained, freed);
  check_region("reader", r, REGION_PAGES, 1, gen_none);
}

// Three runs in a row: the second and third start from the same free count.
static void t_dedup_reader(char *name) {
  int start[3];
  for (int run = 0; run < 3; run++) {
    start[run] = freepages();
    if (run_child(reader, 0) != 0)
      fail("run %d failed", run + 1);
  }
  if (start[2] != start[1])
    fail("freepages at the start of run 3 is %d, of run 2 %d", start[2], start[1]);
}

// ---------------------------------------------------------------- writer

// Counters before and after, not since boot: earlier tests move them too.
// memstat's struct is too big for the one-page stack.
static struct memstat before, after;

static void counters_before(void) { CHECK(memstat(&before) == 0); }
static void counters_after(void) { CHECK(memstat(&after) == 0); }
#define GROWTH(field) ((int)(after.field - before.field))

// dedup, write every 7th page, check; dedup again, write every 5th, check.
static void t_dedup_writer(char *name) {
  char *r = region(REGION_PAGES);
  fill_region(r, REGION_PAGES, 2);
  counters_before();
  xdedup();
  for (int i = 0; i < REGION_PAGES; i += 7)
    fill_page(r + (uint64)i * PGSIZE, i, 2, 7);
  check_region("after writing every 7th page", r, REGION_PAGES, 2, gen_7);
  xdedup();
  check_region("after the second dedup", r, REGION_PAGES, 2, gen_7);
  for (int i = 0; i < REGION_PAGES; i += 5)
    fill_page(r + (uint64)i * PGSIZE, i, 2, 5);
  check_region("after writing every 5th page", r, REGION_PAGES, 2, gen_7_5);
  counters_after();
  // The first scan merged all pages into one; the second found nothing
  // new. Every write to a page still merged was a COW break of a merged
  // frame: every 7th page after the first scan, then every 5th that was
  // not also a 7th.
  int breaks = 0;
  for (int i = 0; i < REGION_PAGES; i++)
    breaks += i % 7 == 0 || i % 5 == 0;
  CHECK(GROWTH(dedup_scans) == 2);
  CHECK(GROWTH(dedup_merges) >= REGION_PAGES - 1);
  CHECK(GROWTH(dedup_cow_breaks) >= breaks);
  // Frames shared by dedup now: the pages written neither time still
  // share one frame.
  CHECK(after.dedup_frames >= 1 && after.dedup_saved >= REGION_PAGES - breaks - 1);
}

// ---------------------------------------------------------------- across processes

#define SHARED_PAGES 256

// Two unrelated processes (siblings forked before either filled memory)
// fill private memory with equal content: dedup merges across them, and a
// write in one never shows in the other.
static void t_dedup_across(char *name) {
  int ready[2], go[2], written[2], go2[2];
  CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(written) == 0 && pipe(go2) == 0);
  for (int k = 0; k < 2; k++) {
    if (xfork() == 0) {
      char c, *r = region(SHARED_PAGES);
      fill_region(r, SHARED_PAGES, 3);
      write(ready[1], "r", 1);
      read(go[0], &c, 1); // the parent ran dedup
      if (k == 0)
        for (int i = 0; i < SHARED_PAGES; i += 2)
          fill_page(r + (uint64)i * PGSIZE, i, 3, 9);
      write(written[1], "w", 1);
      read(go2[0], &c, 1); // both have written
      for (int i = 0; i < SHARED_PAGES; i++)
        if (!page_ok(r + (uint64)i * PGSIZE, i, 3, k == 0 && i % 2 == 0 ? 9 : 0))
          fail("process %d: page %d wrong", k, i);
      exit(0);
    }
  }
  char c;
  for (int k = 0; k < 2; k++)
    read(ready[0], &c, 1);
  int before = freepages();
  xdedup();
  if (freepages() - before < SHARED_PAGES + SHARED_PAGES / 2)
    fail("dedup across processes freed only %d frames", freepages() - before);
  write(go[1], "gg", 2);
  for (int k = 0; k < 2; k++)
    read(written[0], &c, 1);
  write(go2[1], "gg", 2);
  wait_all_ok(2, "dedup_across");
}

// Pages shared by fork and then merged with other identical pages stay
// private to whoever writes them.
static void t_dedup_fork_shared(char *name) {
  char *r = region(SHARED_PAGES);
  fill_region(r, SHARED_PAGES, 4);
  int p[2];
  CHECK(pipe(p) == 0);
  int pid = xfork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);
    check_region("child after parent wrote", r, SHARED_PAGES, 4, gen_none);
    for (int i = 0; i < SHARED_PAGES; i += 7)
      fill_page(r + (uint64)i * PGSIZE, i, 4, 7);
    check_region("child after writing", r, SHARED_PAGES, 4, gen_7);
    exit(0);
  }
  xdedup();
  for (int i = 0; i < SHARED_PAGES; i += 5)
    fill_page(r + (uint64)i * PGSIZE, i, 4, 5);
  write(p[1], "g", 1);
  CHECK(wait_pid(pid) == 0);
  xdedup();
  for (int i = 0; i < SHARED_PAGES; i++)
    if (!page_ok(r + (uint64)i * PGSIZE, i, 4, i % 5 == 0 ? 5 : 0))
      fail("parent: page %d wrong", i);
}

// ---------------------------------------------------------------- zero pages

static void t_dedup_zero(char *name) {
  int pages = 1024;
  char *r = region(pages); // eager: resident, all zero
  int before = freepages();
  xdedup();
  if (freepages() - before < pages - 1)
    fail("zero pages: only %d frames freed", freepages() - before);
  for (int i = 0; i < pages; i++) {
    uint64 *w = (uint64 *)(r + (uint64)i * PGSIZE);
    for (int k = 0; k < PGSIZE / 8; k++)
      if (w[k] != 0)
        fail("zero page %d is not zero at byte %d", i, k * 8);
  }
  r[5 * PGSIZE + 3] = 7; // an ordinary COW break of the zero frame
  CHECK(r[5 * PGSIZE + 3] == 7 && r[6 * PGSIZE + 3] == 0 && r[4 * PGSIZE + 3] == 0);
}

// ---------------------------------------------------------------- text

// Run by two copies of this program: say on fd 1 that it runs, wait for a
// byte on fd 0, then either check the text is unchanged (mode "keep") or
// write to it (mode "write", which must be killed).
static uint64 text_sum(void) {
  uint64 sum = 0;
  volatile uint64 *page = (uint64 *)((uint64)text_sum & ~(PGSIZE - 1));
  for (int k = 0; k < PGSIZE / 8; k++)
    sum += page[k];
  return sum;
}

static int text_child(char *mode) {
  char c;
  uint64 sum = text_sum();
  write(1, "r", 1);
  read(0, &c, 1);
  if (mode[0] == 'w') {
    *(volatile char *)text_sum = 0; // merged text is still read-only
    return 1;
  }
  return text_sum() == sum ? 0 : 2;
}

// Start a text child and wait until it has exec'd and runs.
static int spawn_text_child(char *mode, int *to_child) {
  char *argv[] = {"test_dedup", "--text-child", mode, 0};
  int from_child;
  char c;
  int pid = spawn_piped("/test_dedup", argv, to_child, &from_child);
  if (read(from_child, &c, 1) != 1)
    fail("text child (%s) did not start", mode);
  close(from_child);
  return pid;
}

#define MAX_TEXT_PAGES 64

// Fail unless every text page of process pid is in state want (ZERO
// counts as merged: a text page of zeros would merge there) with at least
// min_sharers sharers, or, if exact, exactly that many.
static void expect_text(char *who, int pid, int want, int min_sharers, int exact) {
  static char states[MAX_TEXT_PAGES];
  extern char etext[]; // user.ld: end of text and read-only data
  int n = PGROUNDUP((uint64)etext) / PGSIZE;
  CHECK(n <= MAX_TEXT_PAGES);
  if (vmquery(pid, 0, n, states) < 0)
    fail("%s: vmquery(%d) failed", who, pid);
  for (int i = 0; i < n; i++) {
    int s = VMQ_STATE(states[i]), k = VMQ_SHARERS(states[i]);
    if (want == VMQ_MERGED && s == VMQ_ZERO)
      s = VMQ_MERGED;
    if (s != want || k < min_sharers || (exact && k != min_sharers))
      fail("%s: text page %d is in state %d with %d sharers, want %d with %s%d", who, i, s, k, want,
           exact ? "" : ">= ", min_sharers);
  }
}

// Read-only text pages of two copies of one program merge (each page of
// both copies is merged after the scan and was private before) and still
// cannot be written.
static void t_dedup_text(char *name) {
  int fd_keep, fd_write;
  int keep = spawn_text_child("keep", &fd_keep);
  int writer = spawn_text_child("write", &fd_write);
  expect_text("before dedup", keep, VMQ_READONLY, 1, 1);
  expect_text("before dedup", writer, VMQ_READONLY, 1, 1);
  xdedup();
  expect_text("after dedup", keep, VMQ_MERGED, 2, 0);
  expect_text("after dedup", writer, VMQ_MERGED, 2, 0);
  write(fd_write, "x", 1);
  int status = wait_pid(writer);
  if (status != -1)
    fail("a write to merged text was not killed (status %d)", status);
  write(fd_keep, "x", 1);
  CHECK(wait_pid(keep) == 0);
  close(fd_keep);
  close(fd_write);
}

// ---------------------------------------------------------------- stress

#define STRESS_PAGES 64

// Keep writing and verifying one's own pattern (deliberately the same as
// the other writers' most of the time, so that dedup merges them).
static void stress_writer(int id, int seconds) {
  char *r = region(STRESS_PAGES);
  int end = uptime() + seconds * 10;
  for (int round = 0; uptime() < end; round++) {
    int gen = round % 3 == 0 ? 0 : 100 * id + round % 50; // 0: same as others
    for (int i = 0; i < STRESS_PAGES; i++)
      fill_page(r + (uint64)i * PGSIZE, i, 5, gen);
    for (int i = 0; i < STRESS_PAGES; i++)
      if (!page_ok(r + (uint64)i * PGSIZE, i, 5, gen))
        fail("writer %d round %d: page %d wrong", id, round, i);
  }
  exit(0);
}

static void stress(int seconds) {
  for (int k = 0; k < 3; k++)
    if (xfork() == 0)
      stress_writer(k + 1, seconds);
  int end = uptime() + seconds * 10, scans = 0;
  while (uptime() < end) {
    xdedup();
    scans++;
  }
  wait_all_ok(3, "stress writers");
  if (scans < 2)
    fail("only %d scans in %d s", scans, seconds);
}

static void t_dedup_stress_short(char *name) { stress(5); }
static void t_dedup_stress(char *name) { stress(30); }

static struct test tests[] = {
    {t_dedup_reader, "dedup_reader", 0},
    {t_dedup_writer, "dedup_writer", 0},
    {t_dedup_across, "dedup_across", 0},
    {t_dedup_fork_shared, "dedup_fork_shared", 0},
    {t_dedup_zero, "dedup_zero", 0},
    {t_dedup_text, "dedup_text", 0},
    {t_dedup_stress_short, "dedup_stress_5s", 0},
    {t_dedup_stress, "dedup_stress_30s", 1},
    {0, 0, 0},
};

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--text-child") == 0)
    exit(text_child(argv[2]));
  return run_suite("test_dedup", tests, argc, argv);
}
