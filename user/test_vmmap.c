// test_vmmap: vmquery(), the per-page view of an address space that vmmap
// draws. Each state is checked right after the operation that produces it
// (lazy sbrk, a touch, the stack guard, text, fork, a write after fork,
// dedup, a push to swap and a swap-in by a sharer), in the caller's own
// address space and through another process's
// pid, and every bad argument must return -1 and write nothing.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/vmquery.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define MAXQ 64 // pages per query in these tests

static char states[MAXQ + 16];

static char *state_name(int s) {
  static char *names[] = {"none", "lazy",   "guard", "private", "read-only",
                          "COW",  "merged", "zero",  "swapped", "swap cache"};
  return s >= 0 && s < VMQ_NSTATES ? names[s] : "?";
}

// Query n pages from va of pid into states[]; fails on -1.
static int query(int pid, uint64 va, int n) {
  int r = vmquery(pid, va, n, states);
  if (r < 0)
    fail("vmquery(%d, %p, %d) failed", pid, (void *)va, n);
  return r;
}

// Fail unless each of n pages from va of pid is in state want with
// between lo and hi sharers.
static void expect(char *what, int pid, uint64 va, int n, int want, int lo, int hi) {
  query(pid, va, n);
  for (int i = 0; i < n; i++) {
    int s = VMQ_STATE(states[i]), k = VMQ_SHARERS(states[i]);
    if (s != want)
      fail("%s: page %d is %s, want %s", what, i, state_name(s), state_name(want));
    if (k < lo || k > hi)
      fail("%s: page %d has %d sharers, want %d..%d", what, i, k, lo, hi);
  }
}

// The heap grown to a page boundary, then by n more pages (lazily or not).
static char *grow(int n, int lazy) {
  uint64 top = (uint64)sbrk(0);
  if (top % PGSIZE)
    sbrk(PGSIZE - top % PGSIZE);
  char *p = lazy ? sbrklazy(n * PGSIZE) : sbrk(n * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk of %d pages failed", n);
  return p;
}

static void send_byte(int fd) {
  if (write(fd, "x", 1) != 1)
    fail("pipe write failed");
}

static void recv_byte(int fd) {
  char c;
  if (read(fd, &c, 1) != 1)
    fail("pipe read failed");
}

// ---------------------------------------------------------------- one process

// sbrklazy maps nothing: lazy pages; a touch (even a read) makes one
// private; the first page past the heap is not mapped.
static void t_lazy(char *name) {
  char *p = grow(8, 1);
  expect("after sbrklazy", 0, (uint64)p, 8, VMQ_LAZY, 0, 0);
  CHECK(((volatile char *)p)[3 * PGSIZE] == 0);
  expect("the page read", 0, (uint64)p + 3 * PGSIZE, 1, VMQ_PRIVATE, 1, 1);
  expect("pages before it", 0, (uint64)p, 3, VMQ_LAZY, 0, 0);
  expect("pages after it", 0, (uint64)p + 4 * PGSIZE, 4, VMQ_LAZY, 0, 0);
  expect("past the heap", 0, (uint64)p + 8 * PGSIZE, 4, VMQ_NONE, 0, 0);
}

// Eager sbrk and a write: private, one sharer.
static void t_private(char *name) {
  char *p = grow(4, 0);
  expect("after sbrk", 0, (uint64)p, 4, VMQ_PRIVATE, 1, 1);
  p[PGSIZE] = 1;
  expect("after a write", 0, (uint64)p, 4, VMQ_PRIVATE, 1, 1);
}

// The stack page holding sp is private; the page under the stack is the
// guard.
static void t_guard(char *name) {
  uint64 stack = PGROUNDDOWN(r_sp()) - (USERSTACK - 1) * PGSIZE;
  expect("stack", 0, stack, USERSTACK, VMQ_PRIVATE, 1, 1);
  expect("guard", 0, stack - PGSIZE, 1, VMQ_GUARD, 0, 0);
}

// Text is read-only, and shared with the runner this test was forked from
// (dedup may have merged it too, which keeps it read-only).
static void t_text(char *name) {
  extern char etext[]; // user.ld: end of text and read-only data
  int n = PGROUNDUP((uint64)etext) / PGSIZE;
  CHECK(n <= MAXQ);
  query(0, 0, n);
  for (int i = 0; i < n; i++) {
    int s = VMQ_STATE(states[i]);
    if (s != VMQ_READONLY && s != VMQ_MERGED)
      fail("text page %d is %s", i, state_name(s));
    if (VMQ_SHARERS(states[i]) < 2)
      fail("text page %d has %d sharers after fork", i, VMQ_SHARERS(states[i]));
  }
}

// The return value is the process's size in pages.
static void t_size(char *name) {
  grow(3, 1);
  uint64 sz = (uint64)sbrk(0);
  CHECK(query(0, 0, 1) == PGROUNDUP(sz) / PGSIZE);
}

// A query longer than the kernel's chunk (4096 pages) over the whole
// address space and beyond: every page below sz is in some state, none
// above it is mapped, and the resident ones are as many as memstat's RSS.
static void t_whole(char *name) {
  grow(16, 1)[5 * PGSIZE] = 1; // lazy pages and one resident among them
  int n = 5000;
  char *big = malloc(n);
  CHECK(big != 0);
  int size = vmquery(0, 0, n, big);
  CHECK(size > 0 && size < n);
  int resident = 0;
  for (int i = 0; i < n; i++) {
    int s = VMQ_STATE(big[i]);
    if (i >= size && s != VMQ_NONE)
      fail("page %d above sz is %s", i, state_name(s));
    if (i < size && s == VMQ_NONE)
      fail("page %d below sz is not mapped", i);
    resident += s >= VMQ_PRIVATE && s <= VMQ_ZERO;
  }
  static struct memstat m;
  CHECK(memstat(&m) == 0);
  int rss = -1;
  for (int i = 0; i < NPROC; i++)
    if (m.procs[i].pid == getpid())
      rss = m.procs[i].rss;
  if (resident != rss)
    fail("%d resident pages, memstat says %d", resident, rss);
  free(big);
}

// ---------------------------------------------------------------- fork

#define FORK_PAGES 16

#define LEAF_SPAN (512 * PGSIZE) // address space one leaf table maps

// Right after fork every written page is COW-shared by parent and child;
// the child's writes make its pages private, and the parent's too once no
// one else maps them. Checked from both sides, by pid too. The pages sit
// in a leaf table of their own, which fork shares and nobody writes to
// before the first check: each frame then has one reference, yet two
// sharers (rule S2 of kernel/vm/pagetable.c).
static void t_fork_cow(char *name) {
  uint64 top = (uint64)grow(0, 1);
  grow((LEAF_SPAN - top % LEAF_SPAN) / PGSIZE, 1); // lazy up to the next leaf
  char *p = grow(FORK_PAGES, 0);
  CHECK((uint64)p % LEAF_SPAN == 0);
  uint64 va = (uint64)p;
  for (int i = 0; i < FORK_PAGES; i++)
    p[i * PGSIZE] = i;
  expect("before fork", 0, va, FORK_PAGES, VMQ_PRIVATE, 1, 1);
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int pid = xfork();
  if (pid == 0) {
    // Keep only the ends we use, so that either side's death is seen as
    // end of file by the other instead of a hang.
    close(to_child[1]);
    close(to_parent[0]);
    expect("child after fork", 0, va, FORK_PAGES, VMQ_COW, 2, 2);
    send_byte(to_parent[1]);
    recv_byte(to_child[0]); // the parent has looked
    for (int i = 0; i < FORK_PAGES; i += 2)
      p[i * PGSIZE] = 100 + i;
    for (int i = 0; i < FORK_PAGES; i++)
      expect(i % 2 ? "child, page not written" : "child, page written", 0, va + i * PGSIZE, 1,
             i % 2 ? VMQ_COW : VMQ_PRIVATE, i % 2 ? 2 : 1, i % 2 ? 2 : 1);
    send_byte(to_parent[1]);
    recv_byte(to_child[0]);
    for (int i = 1; i < FORK_PAGES; i += 2)
      p[i * PGSIZE] = 100 + i;
    expect("child after writing all", 0, va, FORK_PAGES, VMQ_PRIVATE, 1, 1);
    send_byte(to_parent[1]);
    recv_byte(to_child[0]);
    exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  recv_byte(to_parent[0]);
  expect("parent after fork", 0, va, FORK_PAGES, VMQ_COW, 2, 2);
  expect("child seen by pid", pid, va, FORK_PAGES, VMQ_COW, 2, 2);
  send_byte(to_child[1]);
  recv_byte(to_parent[0]); // the child wrote the even pages
  for (int i = 0; i < FORK_PAGES; i++)
    expect(i % 2 ? "parent, page the child kept" : "parent, page the child wrote", 0,
           va + i * PGSIZE, 1, i % 2 ? VMQ_COW : VMQ_PRIVATE, i % 2 ? 2 : 1, i % 2 ? 2 : 1);
  send_byte(to_child[1]);
  recv_byte(to_parent[0]); // the child wrote all
  expect("parent after the child wrote all", 0, va, FORK_PAGES, VMQ_PRIVATE, 1, 1);
  expect("child by pid after writing", pid, va, FORK_PAGES, VMQ_PRIVATE, 1, 1);
  send_byte(to_child[1]);
  CHECK(wait_pid(pid) == 0);
  for (int i = 0; i < FORK_PAGES; i++)
    CHECK(p[i * PGSIZE] == i); // the child's writes stayed in the child
}

// ---------------------------------------------------------------- swap

#define SWAP_PAGES 16

// Touch n fresh pages in a child that then exits: pushes other pages out.
static void hog(int n) {
  int pid = xfork();
  if (pid == 0) {
    char *h = sbrklazy(n * PGSIZE);
    if (h == SBRK_ERROR)
      fail("the hog's sbrklazy failed");
    for (int i = 0; i < n; i++)
      h[(uint64)i * PGSIZE] = 1;
    exit(0);
  }
  if (wait_pid(pid) != 0)
    fail("the hog failed");
}

// Pages pushed out by a hog are on swap (one sharer). A child that shares
// them reads the first back: in the parent, whose PTE still names the
// slot, the page is then in the swap cache; read by the parent too, it is
// mapped again, COW and shared by both.
static void t_swap(char *name) {
  char *p = grow(SWAP_PAGES, 0);
  uint64 va = (uint64)p;
  for (int i = 0; i < SWAP_PAGES; i++)
    p[i * PGSIZE] = i + 1;
  hog(freepages() * 2);
  // On swap; another process's swap-in may have read some back into the
  // swap cache already (readahead of the slots next to its own).
  query(0, va, SWAP_PAGES);
  for (int i = 0; i < SWAP_PAGES; i++) {
    int s = VMQ_STATE(states[i]);
    if ((s != VMQ_SWAPPED && s != VMQ_SWAPCACHE) || VMQ_SHARERS(states[i]) != 1)
      fail("after the hog: page %d is %s with %d sharers", i, state_name(s),
           VMQ_SHARERS(states[i]));
  }
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int pid = xfork();
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    CHECK(((volatile char *)p)[0] == 1); // swap-in in the child
    send_byte(to_parent[1]);
    recv_byte(to_child[0]);
    exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  recv_byte(to_parent[0]);
  expect("page the child read, in the parent", 0, va, 1, VMQ_SWAPCACHE, 2, 2);
  CHECK(((volatile char *)p)[0] == 1); // found in the swap cache
  expect("page both read", 0, va, 1, VMQ_COW, 2, 2);
  expect("page both read, in the child", pid, va, 1, VMQ_COW, 2, 2);
  send_byte(to_child[1]);
  CHECK(wait_pid(pid) == 0);
  for (int i = 0; i < SWAP_PAGES; i++)
    CHECK(p[i * PGSIZE] == i + 1);
}

// ---------------------------------------------------------------- dedup

#define SAME_PAGES 8

// dedup() merges pages of equal content (merged, one sharer per page) and
// maps zero pages to the zero frame; a write makes a page private again.
static void t_dedup(char *name) {
  char *same = grow(SAME_PAGES, 0), *zero = grow(SAME_PAGES, 0);
  uint64 tag = (uint64)getpid() << 32 | uptime(); // content no one else has
  for (int i = 0; i < SAME_PAGES; i++)
    for (int k = 0; k < PGSIZE / 8; k++)
      ((uint64 *)(same + i * PGSIZE))[k] = tag + k;
  expect("before dedup", 0, (uint64)same, 2 * SAME_PAGES, VMQ_PRIVATE, 1, 1);
  if (dedup() < 0)
    fail("dedup failed");
  expect("equal pages after dedup", 0, (uint64)same, SAME_PAGES, VMQ_MERGED, SAME_PAGES,
         SAME_PAGES);
  expect("zero pages after dedup", 0, (uint64)zero, SAME_PAGES, VMQ_ZERO, SAME_PAGES,
         VMQ_SHARERS_MAX);
  same[PGSIZE] = 1;
  zero[PGSIZE] = 1;
  expect("merged page written", 0, (uint64)same + PGSIZE, 1, VMQ_PRIVATE, 1, 1);
  expect("zero page written", 0, (uint64)zero + PGSIZE, 1, VMQ_PRIVATE, 1, 1);
  expect("merged pages left", 0, (uint64)same + 2 * PGSIZE, SAME_PAGES - 2, VMQ_MERGED,
         SAME_PAGES - 1, SAME_PAGES - 1);
  expect("zero pages left", 0, (uint64)zero, 1, VMQ_ZERO, SAME_PAGES - 1, VMQ_SHARERS_MAX);
}

// ---------------------------------------------------------------- errors

// A call that must fail and leave states[] as it was.
static void expect_bad(char *what, int pid, uint64 va, int n, char *buf) {
  memset(states, 0x5a, sizeof(states));
  if (vmquery(pid, va, n, buf) != -1)
    fail("%s: vmquery did not return -1", what);
  for (int i = 0; i < (int)sizeof(states); i++)
    if (states[i] != 0x5a)
      fail("%s: byte %d of the buffer changed", what, i);
}

static void t_bad_args(char *name) {
  expect_bad("no such pid", 1 << 30, 0, 1, states);
  expect_bad("negative pid", -1, 0, 1, states);
  expect_bad("va not page-aligned", 0, 100, 1, states);
  expect_bad("va at MAXVA", 0, MAXVA, 1, states);
  expect_bad("va far beyond MAXVA", 0, ~0UL & ~(PGSIZE - 1), 1, states);
  expect_bad("range past MAXVA", 0, MAXVA - PGSIZE, 2, states);
  expect_bad("no pages", 0, 0, 0, states);
  expect_bad("negative pages", 0, 0, -5, states);
  expect_bad("too many pages", 0, 0, VMQ_MAXPAGES + 1, states);
  expect_bad("buffer in text", 0, 0, 1, (char *)t_bad_args);
  expect_bad("buffer at 0", 0, 0, 1, 0);
  expect_bad("buffer in the kernel", 0, 0, 1, (char *)KERNBASE);
  expect_bad("buffer at TRAPFRAME", 0, 0, 1, (char *)TRAPFRAME);
  expect_bad("buffer past MAXVA", 0, 0, 1, (char *)MAXVA);
  // Straddling the end of the heap: the part inside must not change.
  char *top = grow(1, 0) + PGSIZE;
  memset(top - 4, 7, 4);
  expect_bad("buffer past the heap", 0, 0, 8, top - 4);
  CHECK(top[-4] == 7 && top[-1] == 7);
  // The guard page is not writable either.
  expect_bad("buffer in the guard page", 0, 0, 1,
             (char *)(PGROUNDDOWN(r_sp()) - USERSTACK * PGSIZE));
}

// A child that exited (not yet reaped) or was reaped has no map.
static void t_dead_pid(char *name) {
  int p[2];
  CHECK(pipe(p) == 0);
  int pid = xfork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    exit(0);
  }
  close(p[0]);
  CHECK(vmquery(pid, 0, 1, states) > 0); // alive: waits on the pipe
  close(p[1]);                           // now it exits
  // Its memory goes in exit() soon after; poll for it (bounded).
  int tries = 0;
  while (vmquery(pid, 0, 1, states) >= 0 && tries++ < 100)
    sleep(1);
  if (tries > 100)
    fail("an exiting child's map is still there after 100 ticks");
  expect_bad("zombie", pid, 0, 1, states);
  CHECK(wait_pid(pid) == 0);
  expect_bad("reaped child", pid, 0, 1, states);
}

// ---------------------------------------------------------------- vmmap

static char out[4096];

// How often c occurs in the map lines of vmmap's output: the lines after
// the header up to the totals ("resident ...").
static int map_count(char *text, char c) {
  int n = 0;
  char *line = strchr(text, '\n');
  for (; line && memcmp(line + 1, "resident", 8) != 0; line = strchr(line + 1, '\n'))
    for (char *p = line + 1; *p && *p != '\n'; p++)
      n += *p == c;
  return n;
}

// The vmmap program draws a child with 4 private and 4 lazy pages of its
// own: a header with its size, 4 '.' and one 'g' in the map, and totals
// that say so.
static void t_vmmap_program(char *name) {
  int ready[2], done[2];
  CHECK(pipe(ready) == 0 && pipe(done) == 0);
  int pid = xfork();
  if (pid == 0) {
    close(ready[0]);
    close(done[1]);
    grow(4, 0)[0] = 1;
    grow(4, 1);
    send_byte(ready[1]);
    recv_byte(done[0]); // until the parent has drawn us
    exit(0);
  }
  close(ready[1]);
  close(done[0]);
  recv_byte(ready[0]);
  char arg[16], header[64], *argv[] = {"vmmap", arg, 0};
  tl_snprintf(arg, sizeof(arg), "%d", pid);
  CHECK(run_captured("/vmmap", argv, out, sizeof(out)) == 0);
  int size = query(pid, 0, 1);
  send_byte(done[1]);
  CHECK(wait_pid(pid) == 0);
  tl_snprintf(header, sizeof(header), "pid %d (test_vmmap): %d pages, %d KiB", pid, size,
              size * (PGSIZE / 1024));
  if (!has_line(out, header) || memcmp(out, header, strlen(header)) != 0)
    fail("the output does not start with \"%s\": %s", header, out);
  CHECK(map_count(out, '.') == 4);
  CHECK(map_count(out, 'g') == 1);
  CHECK(map_count(out, 'p') >= 4);
  if (!has_line(out, "not resident: 4 lazy, 1 guard, 0 swapped (0 on disk, 0 in the swap cache)"))
    fail("no totals line for 4 lazy pages in: %s", out);
}

static struct test tests[] = {
    {t_lazy, "lazy", 0},
    {t_private, "private", 0},
    {t_guard, "guard", 0},
    {t_text, "text", 0},
    {t_size, "size", 0},
    {t_whole, "whole", 0},
    {t_fork_cow, "fork_cow", 0},
    {t_dedup, "dedup", 0},
    {t_swap, "swap", 0},
    {t_bad_args, "bad_args", 0},
    {t_dead_pid, "dead_pid", 0},
    {t_vmmap_program, "vmmap_program", 0},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_vmmap", tests, argc, argv); }
