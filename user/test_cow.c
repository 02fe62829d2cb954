// test_cow: the copy-on-write suite. Every way memory can be shared by
// fork is checked for isolation in both directions: a write by one side
// must never be seen by the other, whether the write comes from user code
// or from the kernel (read(), pipes, wait()), and memory must come back.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "kernel/vmctl.h"
#include "kernel/vmquery.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

// Each page carries STAMPS words derived from its index and a generation,
// spread over the page so that a wrong frame or a torn copy shows up.
#define STAMPS 8
#define STAMP_STRIDE (PGSIZE / 8 / STAMPS)

static uint64 stamp_value(int page, int gen, int k) {
  return ((uint64)gen << 48) ^ ((uint64)page << 16) ^ (k * 0x9e3779b9UL) ^ 0x5a5a;
}

static void stamp(char *base, int page, int gen) {
  uint64 *w = (uint64 *)(base + (uint64)page * PGSIZE);
  for (int k = 0; k < STAMPS; k++)
    w[k * STAMP_STRIDE] = stamp_value(page, gen, k);
}

static int stamped(char *base, int page, int gen) {
  uint64 *w = (uint64 *)(base + (uint64)page * PGSIZE);
  for (int k = 0; k < STAMPS; k++)
    if (w[k * STAMP_STRIDE] != stamp_value(page, gen, k))
      return 0;
  return 1;
}

// Grow the heap by n pages (eagerly) and stamp every page with gen.
static char *alloc_stamped(int n, int gen) {
  char *base = sbrk(n * PGSIZE);
  if (base == SBRK_ERROR)
    fail("sbrk of %d pages failed", n);
  for (int i = 0; i < n; i++)
    stamp(base, i, gen);
  return base;
}

// Fail unless page i of base carries gen_of(i).
static void expect_pages(char *who, char *base, int n, int (*gen_of)(int)) {
  for (int i = 0; i < n; i++)
    if (!stamped(base, i, gen_of(i)))
      fail("%s: page %d does not hold generation %d", who, i, gen_of(i));
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

// Fail unless page i of base (n pages) is COW-shared by two address
// spaces if shared(i), private otherwise, as vmquery() sees it.
static void expect_sharing(char *who, char *base, int n, int (*shared)(int)) {
  static char states[512];
  for (int first = 0; first < n; first += sizeof(states)) {
    int m = n - first < (int)sizeof(states) ? n - first : (int)sizeof(states);
    if (vmquery(0, (uint64)base + (uint64)first * PGSIZE, m, states) < 0)
      fail("%s: vmquery failed", who);
    for (int i = 0; i < m; i++) {
      int want = shared(first + i) ? VMQ_COW : VMQ_PRIVATE;
      int sharers = shared(first + i) ? 2 : 1;
      if (VMQ_STATE(states[i]) != want || VMQ_SHARERS(states[i]) != sharers)
        fail("%s: page %d is in state %d with %d sharers, want %d with %d", who, first + i,
             VMQ_STATE(states[i]), VMQ_SHARERS(states[i]), want, sharers);
    }
  }
}

static int all_pages(int i) { return 1; }
static int no_page(int i) { return 0; }
static int not_quarter0(int i) { return i % 4 != 0; }

static uint64 counter(int which) {
  static struct memstat m; // too big for the stack
  if (memstat(&m) < 0)
    fail("memstat failed");
  return which == 0 ? m.cow_copies : m.cow_reuses;
}

// ---------------------------------------------------------------- bigfork

// Page generations of the big-fork test: 0 at first; the child rewrites
// pages i % 4 == 0 with 1, the parent rewrites pages i % 4 == 1 with 2.
static int gen_original(int i) { return 0; }
static int gen_child_view(int i) { return i % 4 == 0 ? 1 : 0; }
static int gen_parent_view(int i) { return i % 4 == 1 ? 2 : 0; }

// More than half of free memory, shared by fork: only possible with COW.
static void t_bigfork(char *name) {
  int n = freepages() * 6 / 10;
  char *base = alloc_stamped(n, 0);
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int pid = xfork();
  if (pid == 0) {
    expect_sharing("child right after fork", base, n, all_pages);
    expect_pages("child before writing", base, n, gen_original);
    for (int i = 0; i < n; i += 4)
      stamp(base, i, 1);
    expect_sharing("child after writing a quarter", base, n, not_quarter0);
    send_byte(to_parent[1]);
    recv_byte(to_child[0]); // the parent has written its quarter
    expect_pages("child after both wrote", base, n, gen_child_view);
    exit(0);
  }
  recv_byte(to_parent[0]); // the child has written its quarter
  expect_sharing("parent after child wrote", base, n, not_quarter0);
  expect_pages("parent after child wrote", base, n, gen_original);
  for (int i = 1; i < n; i += 4)
    stamp(base, i, 2);
  send_byte(to_child[1]);
  CHECK(wait_pid(pid) == 0);
  expect_pages("parent at the end", base, n, gen_parent_view);
}

// The same fork with eager copying must fail: there is not enough memory
// for a second copy. The failed fork must leave nothing behind.
static void t_bigfork_eager_fails(char *name) {
  int n = freepages() * 6 / 10;
  char *base = alloc_stamped(n, 0);
  int before = freepages();
  int old = vmctl(VMCTL_FORK_COPY, 1);
  int pid = fork();
  vmctl(VMCTL_FORK_COPY, old);
  if (pid == 0)
    exit(0);
  if (pid > 0) {
    wait_pid(pid);
    fail("an eager fork of %d pages succeeded with %d pages free", n, before);
  }
  CHECK(freepages() == before);
  expect_pages("parent after failed fork", base, n, gen_original);
}

// ---------------------------------------------------------------- chain

#define CHAIN_PAGES 64
static int chain_gen(int who, int i) { return i % 3 == who ? 10 + who : 0; }
static int chain_gen0(int i) { return chain_gen(0, i); }
static int chain_gen1(int i) { return chain_gen(1, i); }
static int chain_gen2(int i) { return chain_gen(2, i); }
static int (*const chain_views[3])(int) = {chain_gen0, chain_gen1, chain_gen2};

// Parent, child and grandchild share the same pages; each rewrites its
// own third, and once all three have written, each sees only its own
// writes.
static void t_chain3(char *name) {
  char *base = alloc_stamped(CHAIN_PAGES, 0);
  int written[2], go[2];
  CHECK(pipe(written) == 0 && pipe(go) == 0);
  int who = 0, child = xfork();
  if (child == 0) {
    who = 1;
    child = xfork();
    if (child == 0)
      who = 2;
  }
  for (int i = who; i < CHAIN_PAGES; i += 3)
    stamp(base, i, 10 + who);
  if (who == 0) {
    for (int k = 0; k < 2; k++)
      recv_byte(written[0]);
    for (int k = 0; k < 2; k++)
      send_byte(go[1]);
  } else {
    send_byte(written[1]);
    recv_byte(go[0]);
  }
  expect_pages(who == 0   ? "parent"
               : who == 1 ? "child"
                          : "grandchild",
               base, CHAIN_PAGES, chain_views[who]);
  if (who == 2)
    exit(0);
  if (wait_pid(child) != 0)
    fail("descendant of %d failed", who);
  if (who == 1)
    exit(0);
}

// ---------------------------------------------------------------- kernel writes

static char message[200];

// read() from a pipe and from a file into a COW buffer that spans a page
// boundary, in the child and in the parent; neither sees the other's data.
static void t_read_into_cow(char *name) {
  char *buf = alloc_stamped(2, 0);
  char *spot = buf + PGSIZE - 100; // 200 bytes across the boundary
  for (int i = 0; i < (int)sizeof(message); i++)
    message[i] = 'a' + i % 26;
  int fd = open("cowfile", O_CREATE | O_RDWR);
  CHECK(fd >= 0 && write(fd, message, sizeof(message)) == sizeof(message));
  close(fd);
  int p[2];
  CHECK(pipe(p) == 0);
  int pid = xfork();
  if (pid == 0) {
    for (int i = 0; i < (int)sizeof(message); i++)
      message[i] = 'A' + i % 26; // the child's data differs
    CHECK(write(p[1], message, sizeof(message)) == sizeof(message));
    CHECK(read(p[0], spot, sizeof(message)) == sizeof(message));
    CHECK(memcmp(spot, message, sizeof(message)) == 0);
    exit(0);
  }
  CHECK(wait_pid(pid) == 0);
  // The child's reads did not reach the parent's pages.
  CHECK(stamped(buf, 0, 0) && stamped(buf, 1, 0));
  for (int i = 0; i < 200; i++)
    CHECK(spot[i] != 'A' + i % 26);
  int read_done[2];
  CHECK(pipe(read_done) == 0);
  pid = xfork();
  if (pid == 0) {
    close(read_done[1]);     // a parent that dies early means end of file
    recv_byte(read_done[0]); // the parent has read into its copy
    CHECK(stamped(buf, 0, 0) && stamped(buf, 1, 0));
    exit(0);
  }
  fd = open("cowfile", O_RDONLY);
  CHECK(fd >= 0 && read(fd, spot, sizeof(message)) == sizeof(message));
  close(fd);
  CHECK(memcmp(spot, "abcdefghij", 10) == 0);
  send_byte(read_done[1]);
  CHECK(wait_pid(pid) == 0);
  unlink("cowfile");
}

// wait() stores the status into a COW page; fstat fills a COW buffer.
static void t_kernel_writes(char *name) {
  char *buf = alloc_stamped(1, 0);
  int *status = (int *)(buf + 8); // between two stamps
  int pid = xfork();
  if (pid == 0) {
    int inner = xfork();
    if (inner == 0)
      exit(7);
    if (wait(status) != inner || *status != 7)
      exit(1);
    exit(0);
  }
  CHECK(wait_pid(pid) == 0);
  CHECK(*status != 7 && stamped(buf, 0, 0));
  int waited[2];
  CHECK(pipe(waited) == 0);
  pid = xfork();
  if (pid == 0) {
    close(waited[1]);                          // a parent that dies early means end of file
    recv_byte(waited[0]);                      // the parent's wait() has stored the status
    CHECK(stamped(buf, 0, 0) && *status != 7); // the parent's wait went to its copy
    exit(0);
  }
  int inner = xfork();
  if (inner == 0)
    exit(7);
  CHECK(wait(status) == inner && *status == 7);
  send_byte(waited[1]);
  CHECK(wait_pid(pid) == 0);
}

// A kernel write into a read-only page that is not COW (text) fails with
// -1 and kills nobody.
static void t_kernel_write_to_text(char *name) {
  int p[2];
  CHECK(pipe(p) == 0);
  char *text = (char *)t_kernel_write_to_text;
  char before = *text;
  CHECK(write(p[1], "zzzz", 4) == 4);
  int pid = xfork(); // text is shared with the child and must stay read-only
  if (pid == 0)
    exit(read(p[0], text, 4) == -1 ? 0 : 1);
  CHECK(wait_pid(pid) == 0);
  CHECK(write(p[1], "zzzz", 4) == 4); // the failed read may have used the bytes
  CHECK(read(p[0], text, 4) == -1);
  CHECK(*text == before);
}

// ---------------------------------------------------------------- text

static void write_text(uint64 addr) { *(volatile char *)addr = 1; }

// After fork, a write to text kills the writer only.
static void t_text_write_kills(char *name) {
  char *text = (char *)write_text;
  char before = text[0];
  expect_killed(write_text, (uint64)text, "write to text after fork");
  expect_killed(write_text, (uint64)t_text_write_kills, "write to text after fork");
  CHECK(text[0] == before); // the write did not land, and we still run
}

// ---------------------------------------------------------------- sbrk

// sbrk grows and shrinks on both sides of a fork independently.
static void t_sbrk_after_fork(char *name) {
  char *base = alloc_stamped(32, 0);
  int pid = xfork();
  if (pid == 0) {
    char *more = alloc_stamped(16, 5); // grows the child only
    CHECK(more == base + 32 * PGSIZE);
    CHECK(sbrk(-40 * PGSIZE) != SBRK_ERROR); // drops 24 shared pages too
    expect_pages("child after shrinking", base, 8, gen_original);
    for (int i = 0; i < 8; i++)
      stamp(base, i, 6);
    exit(0);
  }
  CHECK(wait_pid(pid) == 0);
  expect_pages("parent", base, 32, gen_original);
  CHECK(sbrk(0) == base + 32 * PGSIZE);
  int shrunk[2];
  CHECK(pipe(shrunk) == 0);
  pid = xfork();
  if (pid == 0) {
    close(shrunk[1]);     // a parent that dies early means end of file
    recv_byte(shrunk[0]); // the parent has shrunk
    expect_pages("child after parent shrank", base, 32, gen_original);
    exit(0);
  }
  CHECK(sbrk(-16 * PGSIZE) != SBRK_ERROR);
  send_byte(shrunk[1]);
  CHECK(wait_pid(pid) == 0);
  expect_pages("parent after shrinking", base, 16, gen_original);
}

// Lazily allocated pages are zero on both sides and private once written.
static void t_lazy_after_fork(char *name) {
  char *base = sbrklazy(64 * PGSIZE);
  CHECK(base != SBRK_ERROR);
  for (int i = 0; i < 64; i += 2)
    stamp(base, i, 3); // touch half of them
  int pid = xfork();
  if (pid == 0) {
    for (int i = 0; i < 64; i++) {
      uint64 *w = (uint64 *)(base + i * PGSIZE);
      if (i % 2 ? w[0] != 0 : !stamped(base, i, 3))
        fail("child: page %d wrong before writing", i);
      stamp(base, i, 4);
    }
    exit(0);
  }
  CHECK(wait_pid(pid) == 0);
  for (int i = 0; i < 64; i++) {
    uint64 *w = (uint64 *)(base + i * PGSIZE);
    if (i % 2 ? w[0] != 0 : !stamped(base, i, 3))
      fail("parent: page %d changed by the child", i);
  }
}

// ---------------------------------------------------------------- exec, reuse

// exec in the child releases the shared pages, so the parent's writes
// afterwards reuse its frames in place: no copy at all.
static void t_exec_after_fork(char *name) {
  int n = 128;
  char *base = alloc_stamped(n, 0);
  char *argv[] = {"cat", 0};
  int to_cat, from_cat;
  int pid = spawn_piped("/cat", argv, &to_cat, &from_cat);
  send_byte(to_cat);
  recv_byte(from_cat); // cat echoed it: the child has exec'd
  expect_sharing("parent after the child's exec", base, n, no_page);
  uint64 copies = counter(0), reuses = counter(1);
  for (int i = 0; i < n; i++)
    stamp(base, i, 1);
  CHECK(counter(0) == copies);
  CHECK(counter(1) - reuses >= (uint64)n);
  close(to_cat); // cat sees end of file
  CHECK(wait_pid(pid) == 0);
  close(from_cat);
}

// A COW page whose sharer has exited is written in place.
static void t_reuse_after_exit(char *name) {
  int n = 64;
  char *base = alloc_stamped(n, 0);
  int pid = xfork();
  if (pid == 0)
    exit(0);
  CHECK(wait_pid(pid) == 0);
  expect_sharing("after the child exited", base, n, no_page);
  counter(0); // memstat's own copyout may break COW on its buffer: not from here on
  uint64 copies = counter(0), reuses = counter(1);
  for (int i = 0; i < n; i++)
    stamp(base, i, 1);
  // The counters are the whole system's: another process (init reaping an
  // orphan, say) may reuse a page of its own meanwhile, but none copies.
  CHECK(counter(0) == copies && counter(1) - reuses >= (uint64)n);
  for (int i = 0; i < n; i++)
    CHECK(stamped(base, i, 1));
}

// ---------------------------------------------------------------- stress

#define TREE_PAGES 16
#define TREE_DEPTH 3
#define TREE_FANOUT 3

// Every process of a fork tree writes its own generation into all pages
// and checks them, while the others do the same on other harts.
static void tree(char *base, int depth, int gen) {
  int kids[TREE_FANOUT];
  for (int k = 0; k < TREE_FANOUT && depth < TREE_DEPTH; k++) {
    kids[k] = fork();
    if (kids[k] < 0)
      fail("fork at depth %d", depth);
    if (kids[k] == 0) {
      tree(base, depth + 1, gen * TREE_FANOUT + k + 1);
      exit(0);
    }
  }
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < TREE_PAGES; i++)
      stamp(base, i, gen);
    for (int i = 0; i < TREE_PAGES; i++)
      if (!stamped(base, i, gen))
        fail("process of generation %d sees another's page %d", gen, i);
  }
  for (int k = 0; k < TREE_FANOUT && depth < TREE_DEPTH; k++) {
    int status;
    if (wait(&status) < 0 || status != 0)
      fail("a child of generation %d failed", gen);
  }
}

static void t_nested_forks(char *name) {
  char *base = alloc_stamped(TREE_PAGES, 0);
  tree(base, 0, 0);
}

// ---------------------------------------------------------------- giving the copy away

#define GIVE_PAGES 256
static int gen_three(int i) { return 3; }
static int gen_four(int i) { return 4; }

// The writer of a COW page keeps the frame and the sleeping sharers get
// the copy (no TLB flush). Round one: two children sleep while the parent
// rewrites every page; they must still see the old content, and copies
// must have gone to them (cow_gives). Round two: a child keeps reading on
// another hart meanwhile (so that no copy may go to it, nor to a sleeper
// sharing its leaf table) and must never see a new value; whether a copy
// goes away then depends on when it runs, so only isolation is checked.
static void give_round(int running) {
  char *base = alloc_stamped(GIVE_PAGES, 3);
  int go[2], ready[2];
  CHECK(pipe(go) == 0 && pipe(ready) == 0);
  for (int k = 0; k < 2; k++) {
    if (xfork() == 0) {
      close(go[1]);
      close(ready[0]);
      if (k == 0 || !running) { // sleeps: the copies can come to it
        send_byte(ready[1]);
        recv_byte(go[0]);
        expect_pages("a sleeping sharer", base, GIVE_PAGES, gen_three);
        exit(0);
      }
      expect_pages("the running sharer", base, GIVE_PAGES, gen_three);
      send_byte(ready[1]);
      int end = uptime() + 10; // reads on for a second while the parent writes
      while (uptime() < end)
        expect_pages("the running sharer", base, GIVE_PAGES, gen_three);
      recv_byte(go[0]);
      exit(0);
    }
    recv_byte(ready[0]);
  }
  close(go[0]);
  close(ready[1]);
  for (int i = 0; i < GIVE_PAGES; i++)
    stamp(base, i, 4);
  expect_pages("the writer", base, GIVE_PAGES, gen_four);
  for (int k = 0; k < 2; k++)
    send_byte(go[1]);
  close(go[1]);
  for (int k = 0; k < 2; k++) {
    int status;
    if (wait(&status) < 0 || status != 0)
      fail("a sharer saw the writer's data, or failed (status %d)", status);
  }
}

static uint64 gives(void) {
  static struct memstat m;
  if (memstat(&m) < 0)
    fail("memstat failed");
  return m.cow_gives;
}

static void t_give_copy_away(char *name) {
  uint64 before = gives();
  give_round(0);
  if (gives() == before)
    fail("no copy was given to the sleeping sharers");
  give_round(1);
  give_round(1);
}

// ---------------------------------------------------------------- no memory

// Take every free frame with eager sbrk; returns how many pages were taken.
static int hog_memory(void) {
  int got = 0;
  for (int chunk = 1024; chunk >= 1; chunk /= 2)
    while (sbrk(chunk * PGSIZE) != SBRK_ERROR)
      got += chunk;
  return got;
}

// A COW fault with no frame left kills only the faulting process. With
// swapping off, so that no frame can be made (test_swap covers RAM and
// swap both full).
static void t_cow_no_memory(char *name) {
  char *base = alloc_stamped(8, 0);
  int swap = vmctl(VMCTL_SWAP, 0);
  int pid = xfork();
  if (pid == 0) {
    hog_memory();
    stamp(base, 3, 1); // needs a frame for the copy: must be killed here
    exit(0);
  }
  int status = wait_pid(pid);
  vmctl(VMCTL_SWAP, swap);
  if (status != -1)
    fail("child exit status %d, want -1 (killed)", status);
  expect_pages("parent", base, 8, gen_original);
  stamp(base, 3, 1); // the parent's own write still works
  CHECK(stamped(base, 3, 1));
}

static struct test tests[] = {
    {t_bigfork, "bigfork", 0},
    {t_bigfork_eager_fails, "bigfork_eager_fails", 0},
    {t_chain3, "chain3", 0},
    {t_read_into_cow, "read_into_cow", 0},
    {t_kernel_writes, "kernel_writes", 0},
    {t_kernel_write_to_text, "kernel_write_to_text", 0},
    {t_text_write_kills, "text_write_kills", 0},
    {t_sbrk_after_fork, "sbrk_after_fork", 0},
    {t_lazy_after_fork, "lazy_after_fork", 0},
    {t_exec_after_fork, "exec_after_fork", 0},
    {t_reuse_after_exit, "reuse_after_exit", 0},
    {t_nested_forks, "nested_forks", 0},
    {t_give_copy_away, "give_copy_away", 0},
    {t_cow_no_memory, "cow_no_memory", 0},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_cow", tests, argc, argv); }
