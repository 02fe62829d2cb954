// test_swap: swapping with the reverse map and the swap cache (SPEC 3.4).
// More memory than RAM in one process and across fork, pages shared by
// several processes read from disk once, text and merged pages on swap,
// exec and exit with pages on disk, RAM and swap both full, and three
// harts thrashing. After every test the runner checks that no frame and no
// swap slot leaked and that vmaudit() is clean (it also checks the slot
// counts and the reverse map).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

static struct memstat ms; // too big for the stack

static struct memstat *stats(void) {
  if (memstat(&ms) < 0)
    fail("memstat failed");
  return &ms;
}

// ---------------------------------------------------------------- patterns

// Every word of page i of a region holds a value made of i, the
// generation and the word's index: a page that came back from disk wrong,
// or another page's content, shows.
static uint64 word(int page, int gen, int i) {
  return ((uint64)page << 32 | (uint64)gen << 16 | i) ^ 0x5a5a0000a5a5UL;
}

static void fill_page(char *base, int page, int gen) {
  uint64 *w = (uint64 *)(base + (uint64)page * PGSIZE);
  for (int i = 0; i < PGSIZE / 8; i++)
    w[i] = word(page, gen, i);
}

static int page_ok(char *base, int page, int gen) {
  uint64 *w = (uint64 *)(base + (uint64)page * PGSIZE);
  for (int i = 0; i < PGSIZE / 8; i++)
    if (w[i] != word(page, gen, i))
      return 0;
  return 1;
}

// Fill pages [from, n) step by step with gen_of(page).
static void fill_pages(char *base, int from, int n, int step, int (*gen_of)(int)) {
  for (int p = from; p < n; p += step)
    fill_page(base, p, gen_of(p));
}

static void check_pages(char *who, char *base, int n, int (*gen_of)(int)) {
  for (int p = 0; p < n; p++)
    if (!page_ok(base, p, gen_of(p)))
      fail("%s: page %d of %d is wrong (want generation %d)", who, p, n, gen_of(p));
}

// A region of n pages, allocated on first touch.
static char *region(int n) {
  char *base = sbrklazy(n * PGSIZE);
  if (base == SBRK_ERROR)
    fail("sbrklazy of %d pages failed", n);
  return base;
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

// Wait for n children, all of which must exit with status 0.
static void reap_ok(int n, char *who) {
  for (int i = 0; i < n; i++) {
    int status;
    int pid = wait(&status);
    if (pid < 0)
      fail("%s: %d children missing", who, n - i);
    if (status != 0)
      fail("%s: child %d exited with status %d", who, pid, status);
  }
}

static int gen1(int p) { return 1; }
static int gen2(int p) { return 2; }

// ---------------------------------------------------------------- one process

// One process uses one and a half times the free memory: it writes a
// pattern into every page and reads it back, twice.
static void t_bigger_than_ram(char *name) {
  int n = freepages() * 3 / 2;
  uint64 outs = stats()->swap_outs;
  char *base = sbrk(n * PGSIZE);
  if (base == SBRK_ERROR)
    fail("sbrk of %d pages failed with %d free frames and %d free slots", n, freepages(),
         (int)(ms.swap_slots - ms.swap_slots_used));
  fill_pages(base, 0, n, 1, gen1);
  check_pages("first pass", base, n, gen1);
  fill_pages(base, 0, n, 1, gen2);
  check_pages("second pass", base, n, gen2);
  if (stats()->swap_outs - outs < n / 3)
    fail("only %d pages written to swap for %d pages", (int)(ms.swap_outs - outs), n);
}

// ---------------------------------------------------------------- fork

static int gen_parent(int p) { return 3; }
static int gen_child(int p) { return 4; }

// The testcow shape: a parent fills half of free memory, forks, and both
// rewrite every page with their own data at the same time (the shared
// pages must go to swap and come back as each side's own), then verify.
static void t_fork_both_write(char *name) {
  int n = freepages() / 2;
  char *base = region(n);
  fill_pages(base, 0, n, 1, gen1);
  int done[2];
  CHECK(pipe(done) == 0);
  int pid = xfork();
  if (pid == 0) {
    fill_pages(base, 0, n, 1, gen_child);
    check_pages("child", base, n, gen_child);
    exit(0);
  }
  fill_pages(base, 0, n, 1, gen_parent);
  check_pages("parent", base, n, gen_parent);
  CHECK(wait_pid(pid) == 0);
  check_pages("parent after the child exited", base, n, gen_parent);
  close(done[0]);
  close(done[1]);
}

static int gen_even2(int p) { return p % 2 == 0 ? 2 : 1; }
static int gen_odd3(int p) { return p % 2 == 1 ? 3 : 1; }

// fork of a process part of whose memory is on swap: the child reads
// everything, then both change half and see only their own changes.
static void t_fork_swapped(char *name) {
  int n = freepages() * 6 / 5;
  char *base = region(n);
  fill_pages(base, 0, n, 1, gen1);
  if (stats()->procs[0].pid == 0)
    fail("memstat lists no process");
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int pid = xfork();
  if (pid == 0) {
    check_pages("child before writing", base, n, gen1);
    fill_pages(base, 0, n, 2, gen_even2);
    send_byte(to_parent[1]);
    recv_byte(to_child[0]);
    check_pages("child at the end", base, n, gen_even2);
    exit(0);
  }
  recv_byte(to_parent[0]);
  check_pages("parent after the child wrote", base, n, gen1);
  fill_pages(base, 1, n, 2, gen_odd3);
  send_byte(to_child[1]);
  CHECK(wait_pid(pid) == 0);
  check_pages("parent at the end", base, n, gen_odd3);
}

// ---------------------------------------------------------------- sharing

// Touch n fresh pages in a child that then exits: pushes other pages out.
static void hog(int n) {
  int pid = xfork();
  if (pid == 0) {
    char *h = region(n);
    fill_pages(h, 0, n, 1, gen1);
    exit(0);
  }
  if (wait_pid(pid) != 0)
    fail("the hog failed");
}

static int swapped_of(int pid) {
  stats();
  for (int i = 0; i < NPROC; i++)
    if (ms.procs[i].pid == pid)
      return ms.procs[i].swapped;
  return -1;
}

#define SHARED 256

static int gen7(int p) { return 7; }

// A page shared by 4 processes (fork shares its leaf table) goes to swap
// once and is read back once: the other three find it in the swap cache.
static void t_shared_read_once(char *name) {
  char *base = region(SHARED);
  fill_pages(base, 0, SHARED, 1, gen7);
  int go[2], ready[2];
  CHECK(pipe(go) == 0 && pipe(ready) == 0);
  for (int k = 0; k < 3; k++) {
    if (xfork() == 0) {
      close(go[1]); // a parent that fails must not leave us waiting
      close(ready[0]);
      send_byte(ready[1]);
      recv_byte(go[0]);
      check_pages("a sharer", base, SHARED, gen7);
      exit(0);
    }
    recv_byte(ready[0]);
  }
  close(go[0]);
  close(ready[1]);
  hog(freepages() * 2);
  int out = swapped_of(getpid());
  if (out < SHARED / 2)
    fail("only %d of the %d shared pages went to swap", out, SHARED);
  uint64 ins = stats()->swap_ins, hits = ms.swap_cache_hits;
  for (int k = 0; k < 3; k++)
    send_byte(go[1]);
  check_pages("the parent", base, SHARED, gen7);
  reap_ok(3, "sharers");
  uint64 read = stats()->swap_ins - ins, found = ms.swap_cache_hits - hits;
  // Each shared page is read once; their stacks and text may come back too.
  if (read > out + 64)
    fail("%d pages read for %d shared pages on swap", (int)read, out);
  if (found < 2 * (uint64)out)
    fail("only %d swap-cache hits for %d shared pages and 4 sharers", (int)found, out);
}

// ---------------------------------------------------------------- text, dedup, exec

static uint64 text_sum(void) {
  extern char etext[]; // user.ld: end of text and read-only data
  uint64 sum = 0;
  for (uint64 *w = 0; (char *)w < etext; w++)
    sum = sum * 31 + *w;
  return sum;
}

// A program whose text went to swap runs again correctly: a child of
// this very program sleeps on a pipe while a hog pushes it out, then sums
// its text and runs.
static void t_text_swapped(char *name) {
  uint64 want = text_sum();
  int go[2], ready[2];
  CHECK(pipe(go) == 0 && pipe(ready) == 0);
  int pid = xfork();
  if (pid == 0) {
    close(go[1]);
    close(ready[0]);
    send_byte(ready[1]);
    recv_byte(go[0]);
    if (text_sum() != want)
      fail("the text came back different");
    exit(0);
  }
  close(go[0]);
  close(ready[1]);
  recv_byte(ready[0]);
  hog(freepages() * 2);
  if (swapped_of(pid) < 2)
    fail("the child kept its pages in memory (%d swapped)", swapped_of(pid));
  send_byte(go[1]);
  CHECK(wait_pid(pid) == 0);
}

static int gen_mod4(int p) { return p % 4; }

// dedup() with part of the merged pages on swap: contents stay, and the
// audit after the test checks the slots and the reverse map.
static void t_dedup_swapped(char *name) {
  int n = freepages() / 4;
  char *base = region(n);
  fill_pages(base, 0, n, 1, gen_mod4); // same page number, same content: no
  for (int p = 0; p < n; p++)          // so make every 8th page identical
    if (p % 8 == 0)
      fill_page(base, 0, 0);
  hog(freepages() * 2);
  if (dedup() < 0)
    fail("dedup failed");
  for (int p = 0; p < n; p++) {
    int ok = p % 8 == 0 ? page_ok(base, 0, 0) : page_ok(base, p, gen_mod4(p));
    if (!ok)
      fail("page %d changed by dedup on swap", p);
  }
  fill_pages(base, 0, n, 1, gen2);
  check_pages("after writing merged pages", base, n, gen2);
}

// exec and exit of processes with pages on swap release their slots (the
// runner checks that none leaked).
static void t_exec_exit_swapped(char *name) {
  for (int how = 0; how < 2; how++) {
    int pid = xfork();
    if (pid == 0) {
      int n = freepages() * 5 / 4;
      char *base = region(n);
      fill_pages(base, 0, n, 1, gen1);
      if (how == 0) {
        char *argv[] = {"/true", 0};
        exec("/true", argv);
        fail("exec /true failed");
      }
      exit(0);
    }
    CHECK(wait_pid(pid) == 0);
  }
}

// ---------------------------------------------------------------- exhaustion

// RAM and swap both full: the process that keeps asking is killed with
// "out of memory"; a sibling that already has its memory waits, then
// finds all of it intact.
static void t_ram_and_swap_full(char *name) {
  int n = freepages() / 2;
  int go[2], ready[2];
  CHECK(pipe(go) == 0 && pipe(ready) == 0);
  int sibling = xfork();
  if (sibling == 0) {
    close(go[1]);
    close(ready[0]);
    char *base = region(n);
    fill_pages(base, 0, n, 1, gen7);
    send_byte(ready[1]);
    recv_byte(go[0]);
    check_pages("the sibling", base, n, gen7);
    exit(0);
  }
  recv_byte(ready[0]);
  int hogpid = xfork();
  if (hogpid == 0) {
    stats();
    int want = ms.total_frames + ms.swap_slots; // more than can be had
    char *h = region(want);
    for (int p = 0; p < want; p++)
      h[(uint64)p * PGSIZE] = 1;
    exit(0); // not reached
  }
  int status = wait_pid(hogpid);
  if (status != -1)
    fail("the hog was not killed (status %d)", status);
  send_byte(go[1]);
  CHECK(wait_pid(sibling) == 0);
}

// ---------------------------------------------------------------- until sbrk fails

// Pages sbrk gives one at a time (each written) until it fails, then gives
// back: what usertests' countfree does, with swap counting too.
static int count_until_fail(void) {
  char *start = sbrk(0);
  int n = 0;
  for (char *a; (a = sbrk(PGSIZE)) != SBRK_ERROR; n++)
    a[PGSIZE - 1] = 1;
  sbrk(-(int)(sbrk(0) - start));
  return n;
}

// Programs that allocate until sbrk fails finish, several times over, in
// children that then exit or exec; what they count does not shrink (RAM
// plus swap, less the page tables).
static void t_until_sbrk_fails(char *name) {
  int before = count_until_fail();
  stats();
  if (before < (int)ms.swap_slots)
    fail("only %d pages before sbrk failed, with %d swap slots", before, (int)ms.swap_slots);
  for (int k = 0; k < 2; k++) {
    int pid = xfork();
    if (pid == 0) {
      for (char *a; (a = sbrk(PGSIZE)) != SBRK_ERROR;)
        a[0] = 1;
      if (k == 1) {
        sbrk(-16 * PGSIZE); // a little room for exec, as usertests' execout
        char *argv[] = {"/true", 0};
        exec("/true", argv);
        fail("exec /true failed");
      }
      exit(0);
    }
    CHECK(wait_pid(pid) == 0);
  }
  int after = count_until_fail();
  if (after < before)
    fail("sbrk gave %d pages before, %d after", before, after);
}

// An eager sbrk that fails after reclaim has sent some of its own new
// pages to swap gives all of them back and leaves the resident and swapped
// counts right (vmaudit checks them while the process lives). Swapping is
// off when the request starts, so the commit rule lets a request beyond
// RAM plus swap through; it comes back on once a quarter of RAM is taken,
// and from then on the request waits for reclaim until swap is full.
// Returns whether pages went to swap meanwhile: on one hart the parent
// runs only between time slices, and the child may have finished first.
static int failed_sbrk_once(void) {
  int start = freepages();
  CHECK(vmctl(VMCTL_SWAP, 0) == 1);
  uint64 outs = stats()->swap_outs;
  int pid = xfork();
  if (pid == 0) {
    char *p = sbrk(1 << 30);
    int violations = vmaudit();
    if (p != SBRK_ERROR || violations != 0)
      fail("sbrk of 1 GiB gave %p, then vmaudit found %d violations", p, violations);
    exit(0);
  }
  while (freepages() > start * 3 / 4)
    ; // the child is allocating
  CHECK(vmctl(VMCTL_SWAP, 1) == 0);
  CHECK(wait_pid(pid) == 0);
  return stats()->swap_outs != outs;
}

static void t_failed_sbrk_counts(char *name) {
  int tries = 0;
  while (tries < 8 && !failed_sbrk_once())
    tries++;
  if (tries == 8)
    fail("no page went to swap in 8 tries: each request ended before swapping came back");
}

// ---------------------------------------------------------------- thrashing

#define WORKERS 3

// Rewrite and check the whole region, round after round, forking now and
// then a child that checks what it inherited, writes its own and exits.
static void worker(int id, int n, int seconds) {
  char *base = region(n);
  int end = uptime() + seconds * 10;
  for (int round = 1; uptime() < end; round++) {
    int gen = id * 1000 + round % 1000;
    for (int p = 0; p < n; p++)
      fill_page(base, p, gen);
    if (round % 3 == 0) {
      int pid = xfork();
      if (pid == 0) {
        for (int p = 0; p < n; p += 3)
          if (!page_ok(base, p, gen))
            fail("worker %d's child: page %d wrong", id, p);
        for (int p = 0; p < n; p += 5)
          fill_page(base, p, gen + 1);
        for (int p = 0; p < n; p += 5)
          if (!page_ok(base, p, gen + 1))
            fail("worker %d's child: own page %d wrong", id, p);
        exit(0);
      }
      if (wait_pid(pid) != 0)
        fail("worker %d: child failed", id);
    }
    for (int p = 0; p < n; p++)
      if (!page_ok(base, p, gen))
        fail("worker %d round %d: page %d wrong", id, round, p);
  }
  exit(0);
}

static void thrash(int seconds) {
  stats();
  int n = (int)(ms.total_frames * 13 / 10 / WORKERS); // 1.3 x RAM in all
  for (int i = 0; i < WORKERS; i++)
    if (xfork() == 0)
      worker(i + 1, n, seconds);
  reap_ok(WORKERS, "workers");
}

static void t_thrash_short(char *name) { thrash(5); }
static void t_thrash(char *name) { thrash(60); }

// ---------------------------------------------------------------- knob

// vmctl(VMCTL_SWAP, 0) stops swapping: a request beyond RAM then fails
// instead of pushing pages out.
static void t_swap_off(char *name) {
  int was = vmctl(VMCTL_SWAP, 0);
  CHECK(was == 1);
  uint64 outs = stats()->swap_outs;
  char *p = sbrk((freepages() + 16) * PGSIZE);
  int failed = p == SBRK_ERROR;
  CHECK(vmctl(VMCTL_SWAP, was) == 0);
  if (!failed)
    fail("sbrk beyond RAM succeeded with swapping off");
  if (stats()->swap_outs != outs)
    fail("pages went to swap with swapping off");
  CHECK(vmctl(VMCTL_SWAP, 2) == -1);
}

static struct test tests[] = {
    {t_bigger_than_ram, "bigger_than_ram", 0},
    {t_fork_both_write, "fork_both_write", 0},
    {t_fork_swapped, "fork_swapped", 0},
    {t_shared_read_once, "shared_read_once", 0},
    {t_text_swapped, "text_swapped", 0},
    {t_dedup_swapped, "dedup_swapped", 0},
    {t_exec_exit_swapped, "exec_exit_swapped", 0},
    {t_ram_and_swap_full, "ram_and_swap_full", 0},
    {t_swap_off, "swap_off", 0},
    {t_until_sbrk_fails, "until_sbrk_fails", 0},
    {t_failed_sbrk_counts, "failed_sbrk_counts", 0},
    {t_thrash_short, "thrash_5s", 0},
    {t_thrash, "thrash_60s", 1},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_swap", tests, argc, argv); }
