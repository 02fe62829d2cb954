// test_ipc: send, recv, reply and the copy-on-write sharing of messages.
// The assignment's exchange byte for byte; a 64-page message that frees
// the receiver's frames and stays private on both sides after writes;
// unaligned buffers; secrets beside a message never arriving; every
// source and destination page state (lazy, text, a leaf table shared by
// fork, merged by dedup, on swap); truncation; the order of senders; bad
// arguments and wrong reply ids; exit and kill of either side at each
// blocking point; VMCTL_IPC_COPY; and many senders to one server for 30 s
// with every byte checked. The runner checks for leaks and runs vmaudit
// after each test.
//
// The parent and child of a test order themselves with pipes. Only the
// order of senders and the kill of a queued sender need a process to be
// blocked in send() already, which nothing shows; they wait a few ticks
// (and the first still checks the withdrawn message never arrives).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/vmctl.h"
#include "kernel/vmquery.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define PG PGSIZE

// Byte i of pattern seed: shifted, truncated or foreign data never match.
static uchar pat(uint seed, uint i) {
  uint x = (seed + 1) * 2654435761u ^ (i * 40503u + (i >> 12) * 977u);
  x ^= x >> 15;
  return (uchar)(x ^ (x >> 8));
}

static void put(char *b, uint from, uint to, uint seed) {
  for (uint i = from; i < to; i++)
    b[i] = pat(seed, i);
}

// Fail unless b[i] == pat(seed, i + shift) for i in [from, to).
static void expect_pat(char *what, char *b, uint from, uint to, uint seed, int shift) {
  for (uint i = from; i < to; i++)
    if ((uchar)b[i] != pat(seed, i + shift))
      fail("%s: byte %d is %d, want %d", what, i, (uchar)b[i], pat(seed, i + shift));
}

// n fresh pages, page-aligned, resident (or lazy).
static char *pages(int n, int lazy) {
  uint64 top = (uint64)sbrk(0);
  if (top % PG)
    sbrk(PG - top % PG);
  char *p = lazy ? sbrklazy(n * PG) : sbrk(n * PG);
  if (p == SBRK_ERROR)
    fail("sbrk of %d pages failed", n);
  return p;
}

static void put_byte(int fd) {
  if (write(fd, "x", 1) != 1)
    fail("pipe write failed");
}

static void get_byte(int fd) {
  char c;
  if (read(fd, &c, 1) != 1)
    fail("pipe read failed");
}

// Fail unless pages [first, first + n) of buf (pid 0: ours) are in state
// want with `sharers` sharers.
static void expect_state(char *what, int pid, char *buf, int first, int n, int want, int sharers) {
  static char st[256];
  if (vmquery(pid, (uint64)buf + (uint64)first * PG, n, st) < 0)
    fail("%s: vmquery failed", what);
  for (int i = 0; i < n; i++)
    if (VMQ_STATE(st[i]) != want || VMQ_SHARERS(st[i]) != sharers)
      fail("%s: page %d is in state %d with %d sharers, want %d with %d", what, first + i,
           VMQ_STATE(st[i]), VMQ_SHARERS(st[i]), want, sharers);
}

// A child that sends [soff, soff + len) of pattern seed (laid in a
// fresh buffer of npages at offset soff) to pid and expects a reply of
// want bytes; it exits 0 if all went as expected.
static int ready_fd = -1; // if set, spawn_sender's child writes a byte here before it sends

static int spawn_sender(int pid, int npages, int soff, int len, uint seed, int want) {
  int child = xfork();
  if (child == 0) {
    char *s = pages(npages, 0);
    put(s, 0, npages * PG, seed);
    if (ready_fd >= 0)
      put_byte(ready_fd);
    int r = send(pid, s + soff, len, 0, 0);
    if (r != want)
      fail("send returned %d, want %d", r, want);
    expect_pat("the sender's buffer after send", s, 0, npages * PG, seed, 0);
    exit(0);
  }
  return child;
}

// ---------------------------------------------------------------- exchange

// The assignment's exchange: the child sends 4097 bytes of a page-aligned
// 8194-byte sbuf, the parent receives into an 8193-byte rbuf, adds one to
// each byte received and replies with all 8193 bytes.
static void t_exchange(char *name) {
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    CHECK(getppid() == parent);
    char *sbuf = pages(3, 0), *rbuf = pages(3, 0);
    put(sbuf, 0, 3 * PG, 1);
    put(rbuf, 0, 3 * PG, 2);
    int r = send(parent, sbuf, 4097, rbuf, 8193);
    if (r != 8193)
      fail("send returned %d, want 8193", r);
    for (int i = 0; i < 4097; i++)
      if ((uchar)rbuf[i] != (uchar)(pat(1, i) + 1))
        fail("reply byte %d is %d, want %d", i, (uchar)rbuf[i], (uchar)(pat(1, i) + 1));
    expect_pat("reply beyond the message", rbuf, 4097, 8193, 3, 0);
    expect_pat("child's rbuf past rlen", rbuf, 8193, 3 * PG, 2, 0);
    expect_pat("child's sbuf", sbuf, 0, 3 * PG, 1, 0);
    exit(0);
  }
  char *rbuf = pages(3, 0);
  put(rbuf, 0, 3 * PG, 3);
  int id = recv(rbuf, 8193);
  if (id != child)
    fail("recv returned %d, want the child's pid %d", id, child);
  expect_pat("message", rbuf, 0, 4097, 1, 0);
  expect_pat("parent's rbuf past the message", rbuf, 4097, 3 * PG, 3, 0);
  expect_state("received page", 0, rbuf, 0, 1, VMQ_COW, 2);
  for (int i = 0; i < 4097; i++)
    rbuf[i]++;
  CHECK(reply(id, rbuf, 8193) == 0);
  CHECK(wait_pid(child) == 0);
  CHECK(getppid() > 0);
}

// ---------------------------------------------------------------- sharing

#define BIG 64

// A 64-page aligned message: the receiver's 64 frames are released, both
// sides see the pages COW with 2 sharers, and after each side writes
// every page both are private and neither sees the other's writes.
static void t_share64(char *name) {
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(BIG, 0);
    put(s, 0, BIG * PG, 4);
    put_byte(to_parent[1]); // our frames are all there
    CHECK(send(parent, s, BIG * PG, 0, 0) == 0);
    expect_state("sender after send", 0, s, 0, BIG, VMQ_COW, 2);
    put_byte(to_parent[1]);
    get_byte(to_child[0]); // the parent rewrote its copy
    expect_pat("sender's pages after the receiver wrote", s, 0, BIG * PG, 4, 0);
    expect_state("sender after the receiver wrote", 0, s, 0, BIG, VMQ_PRIVATE, 1);
    put(s, 0, BIG * PG, 6);
    expect_pat("sender's own writes", s, 0, BIG * PG, 6, 0);
    exit(0);
  }
  char *r = pages(BIG, 0);
  put(r, 0, BIG * PG, 5); // 64 resident frames of our own
  get_byte(to_parent[0]);
  int before = freepages();
  int id = recv(r, BIG * PG);
  int freed = freepages() - before;
  CHECK(id == child);
  if (freed != BIG)
    fail("receiving 64 shared pages freed %d frames", freed);
  expect_pat("received", r, 0, BIG * PG, 4, 0);
  expect_state("receiver after recv", 0, r, 0, BIG, VMQ_COW, 2);
  CHECK(reply(id, 0, 0) == 0);
  get_byte(to_parent[0]);
  put(r, 0, BIG * PG, 7);
  expect_pat("receiver's own writes", r, 0, BIG * PG, 7, 0);
  expect_state("receiver after writing", 0, r, 0, BIG, VMQ_PRIVATE, 1);
  put_byte(to_child[1]);
  CHECK(wait_pid(child) == 0);
  expect_pat("receiver after the sender wrote", r, 0, BIG * PG, 7, 0);
}

// With VMCTL_IPC_COPY every message is copied: no frame is shared.
static void t_copyknob(char *name) {
  int parent = getpid();
  int fds[2];
  CHECK(pipe(fds) == 0);
  int old = vmctl(VMCTL_IPC_COPY, 1);
  ready_fd = fds[1];
  int child = spawn_sender(parent, 16, 0, 16 * PG, 8, 0);
  char *r = pages(16, 0);
  put(r, 0, 16 * PG, 9);
  get_byte(fds[0]); // the sender's frames are all there
  int before = freepages();
  int id = recv(r, 16 * PG);
  int freed = freepages() - before;
  vmctl(VMCTL_IPC_COPY, old);
  CHECK(old == 0 && id == child);
  expect_pat("copied message", r, 0, 16 * PG, 8, 0);
  expect_state("copied pages", 0, r, 0, 16, VMQ_PRIVATE, 1);
  if (freed != 0)
    fail("a copied message freed %d frames", freed);
  CHECK(reply(id, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

// ---------------------------------------------------------------- unaligned

struct layout {
  int soff, doff, len;
};

// Offsets alike and not, heads and tails, tiny and several pages.
static struct layout layouts[] = {
    {1, 0, 3 * PG},    {0, 100, 2 * PG + 5}, {123, 123, 5 * PG}, {4000, 50, 7000},
    {0, 0, 100},       {PG - 1, PG - 1, 2},  {2048, 2048, PG},   {7, 4093, 3 * PG + 11},
    {0, 0, 2 * PG - 1}};

// Every layout lands exactly at its place, nothing around it changes, and
// with equal offsets exactly the pages the message covers whole are shared.
static void t_unaligned(char *name) {
  int parent = getpid();
  for (int k = 0; k < (int)(sizeof(layouts) / sizeof(layouts[0])); k++) {
    struct layout *l = &layouts[k];
    int child = spawn_sender(parent, 8, l->soff, l->len, 10 + k, 0);
    char *r = pages(8, 0);
    put(r, 0, 8 * PG, 30 + k);
    int id = recv(r + l->doff, l->len);
    CHECK(id == child);
    expect_pat("before the message", r, 0, l->doff, 30 + k, 0);
    expect_pat("message", r, l->doff, l->doff + l->len, 10 + k, l->soff - l->doff);
    expect_pat("after the message", r, l->doff + l->len, 8 * PG, 30 + k, 0);
    for (int p = 0; p < 8; p++) {
      uint64 a = (uint64)p * PG;
      int whole = l->soff == l->doff && a >= l->doff && a + PG <= l->doff + l->len;
      expect_state(whole ? "page covered whole" : "page not covered whole", 0, r, p, 1,
                   whole ? VMQ_COW : VMQ_PRIVATE, whole ? 2 : 1);
    }
    CHECK(reply(id, 0, 0) == 0);
    CHECK(wait_pid(child) == 0);
  }
}

// Secrets fill the sender's pages around the message, in the same pages,
// in both directions: none may reach the other side, whose bytes outside
// its buffer stay its own. A page the message misses by one byte is copied.
static void t_secrets(char *name) {
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(3, 0), *r = pages(3, 0);
    put(s, 0, 3 * PG, 50);         // secrets
    put(s, 100, 3 * PG - 100, 51); // the message
    put(r, 0, 3 * PG, 52);
    CHECK(send(parent, s + 100, 3 * PG - 200, r + 100, 3 * PG - 200) == 3 * PG - 200);
    expect_pat("reply's head", r, 0, 100, 52, 0);
    expect_pat("reply", r, 100, 3 * PG - 100, 54, 0);
    expect_pat("reply's tail", r, 3 * PG - 100, 3 * PG, 52, 0);
    expect_state("reply's head page", 0, r, 0, 1, VMQ_PRIVATE, 1);
    expect_state("reply's middle page", 0, r, 1, 1, VMQ_COW, 2);
    expect_state("reply's tail page", 0, r, 2, 1, VMQ_PRIVATE, 1);
    exit(0);
  }
  char *r = pages(3, 0), *s = pages(3, 0);
  put(r, 0, 3 * PG, 53);
  int id = recv(r + 100, 3 * PG - 200);
  CHECK(id == child);
  expect_pat("head page outside the message", r, 0, 100, 53, 0);
  expect_pat("message", r, 100, 3 * PG - 100, 51, 0);
  expect_pat("tail page outside the message", r, 3 * PG - 100, 3 * PG, 53, 0);
  expect_state("head and tail pages", 0, r, 0, 1, VMQ_PRIVATE, 1);
  expect_state("middle page", 0, r, 1, 1, VMQ_COW, 2);
  expect_state("head and tail pages", 0, r, 2, 1, VMQ_PRIVATE, 1);
  put(s, 0, 3 * PG, 55);         // our secrets
  put(s, 100, 3 * PG - 100, 54); // the reply
  CHECK(reply(id, s + 100, 3 * PG - 200) == 0);
  CHECK(wait_pid(child) == 0);

  // A page-aligned message one byte short of a page: copied, not shared.
  child = spawn_sender(parent, 1, 0, PG - 1, 56, 0);
  put(r, 0, PG, 57);
  CHECK(recv(r, PG) == child);
  expect_pat("message one byte short", r, 0, PG - 1, 56, 0);
  expect_pat("the byte after it", r, PG - 1, PG, 57, 0);
  expect_state("page of a short message", 0, r, 0, 1, VMQ_PRIVATE, 1);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

// ---------------------------------------------------------------- page states

// Lazy pages on both sides: zeros arrive, shared or copied.
static void t_lazy(char *name) {
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(8, 1);
    CHECK(send(parent, s, 8 * PG, 0, 0) == 0);
    expect_state("lazy source after send", 0, s, 0, 8, VMQ_COW, 2);
    CHECK(send(parent, s + 5, 2 * PG, 0, 0) == 0);
    exit(0);
  }
  char *r = pages(8, 1);
  CHECK(recv(r, 8 * PG) == child);
  for (int i = 0; i < 8 * PG; i++)
    if (r[i] != 0)
      fail("lazy message: byte %d is %d", i, r[i]);
  expect_state("lazy destination after recv", 0, r, 0, 8, VMQ_COW, 2);
  CHECK(reply(child, 0, 0) == 0);
  char *r2 = pages(3, 1);
  CHECK(recv(r2 + 10, 2 * PG) == child); // copied into untouched pages
  for (int i = 0; i < 3 * PG; i++)
    if (r2[i] != 0)
      fail("lazy copy: byte %d is %d", i, r2[i]);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

static volatile uint64 text_va = 0; // the first page of text (volatile: not a null pointer to gcc)

// A text page sent whole: shared, read-only for the sender, COW for the
// receiver, whose write copies it and leaves the text alone.
static void t_text(char *name) {
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    CHECK(send(parent, (char *)text_va, PG, 0, 0) == 0);
    static char st[1];
    CHECK(vmquery(0, text_va, 1, st) >= 0 && VMQ_STATE(st[0]) == VMQ_READONLY);
    exit(0);
  }
  char *r = pages(1, 0);
  CHECK(recv(r, PG) == child);
  CHECK(memcmp(r, (char *)text_va, PG) == 0); // the same program
  static char st[1];
  CHECK(vmquery(0, (uint64)r, 1, st) >= 0 && VMQ_STATE(st[0]) == VMQ_COW);
  r[0] ^= 0xff; // copies the frame
  CHECK(r[0] != ((char *)text_va)[0] && memcmp(r + 1, (char *)text_va + 1, PG - 1) == 0);
  expect_state("text page written by the receiver", 0, r, 0, 1, VMQ_PRIVATE, 1);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

// Message and destination in one leaf table that fork left shared by the
// sender (the child) and the receiver (the parent): the receiver's change
// must not reach the child, whatever the offsets.
static void t_sharedleaf(char *name) {
  for (int round = 0; round < 2; round++) {
    int off = round == 0 ? 0 : 5, len = round == 0 ? 4 * PG : 2 * PG + 9;
    char *a = pages(4, 0), *b = pages(4, 0);
    put(a, 0, 4 * PG, 60);
    put(b, 0, 4 * PG, 61);
    int to_child[2];
    CHECK(pipe(to_child) == 0);
    int parent = getpid();
    int child = xfork();
    if (child == 0) {
      CHECK(send(parent, a + off, len, 0, 0) == 0);
      get_byte(to_child[0]);
      expect_pat("sender's message", a, 0, 4 * PG, 60, 0);
      expect_pat("sender's copy of the receiver's buffer", b, 0, 4 * PG, 61, 0);
      exit(0);
    }
    CHECK(recv(b + off, len) == child);
    expect_pat("received", b, off, off + len, 60, 0);
    expect_pat("past the message", b, off + len, 4 * PG, 61, 0);
    CHECK(reply(child, 0, 0) == 0);
    put_byte(to_child[1]);
    CHECK(wait_pid(child) == 0);
    close(to_child[0]);
    close(to_child[1]);
  }
}

// Pages merged by dedup() are sent like any other.
static void t_merged(char *name) {
  int to_child[2];
  CHECK(pipe(to_child) == 0);
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(8, 0);
    for (int p = 0; p < 8; p++)
      put(s + p * PG, 0, PG, 62); // eight equal pages
    CHECK(dedup() >= 7);
    expect_state("merged source", 0, s, 0, 8, VMQ_MERGED, 8);
    CHECK(send(parent, s, 8 * PG, 0, 0) == 0);
    get_byte(to_child[0]); // the receiver wrote its copy
    for (int p = 0; p < 8; p++)
      expect_pat("merged source page", s + p * PG, 0, PG, 62, 0);
    exit(0);
  }
  char *r = pages(8, 0);
  put(r, 0, 8 * PG, 63);
  CHECK(recv(r, 8 * PG) == child);
  for (int p = 0; p < 8; p++) {
    expect_pat("merged page received", r + p * PG, 0, PG, 62, 0);
    r[p * PG] ^= 1;
  }
  put_byte(to_child[1]);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
  CHECK((uchar)r[0] == (pat(62, 0) ^ 1));
}

// Touch n fresh pages in a child that then exits: pushes other pages out.
static void hog(int n) {
  int pid = xfork();
  if (pid == 0) {
    char *h = sbrklazy(n * PG);
    if (h == SBRK_ERROR)
      fail("the hog's sbrklazy failed");
    for (int i = 0; i < n; i++)
      h[(uint64)i * PG] = 1;
    exit(0);
  }
  if (wait_pid(pid) != 0)
    fail("the hog failed");
}

static int on_swap(int pid, char *buf, int n) {
  static char st[64];
  int k = 0;
  if (vmquery(pid, (uint64)buf, n, st) < 0)
    fail("vmquery failed");
  for (int i = 0; i < n; i++)
    k += VMQ_STATE(st[i]) == VMQ_SWAPPED || VMQ_STATE(st[i]) == VMQ_SWAPCACHE;
  return k;
}

#define SWAPN 16

// Message and destination pages pushed out to swap: the sender's come
// back as the message is taken, the receiver's slots are released.
static void t_swapped(char *name) {
  int to_child[2], to_parent[2];
  CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(SWAPN, 0);
    put(s, 0, SWAPN * PG, 64);
    if (write(to_parent[1], &s, sizeof(s)) != sizeof(s))
      fail("pipe write failed");
    get_byte(to_child[0]);
    CHECK(send(parent, s, SWAPN * PG, 0, 0) == 0);
    expect_pat("swapped source after send", s, 0, SWAPN * PG, 64, 0);
    exit(0);
  }
  char *r = pages(SWAPN, 0), *s;
  put(r, 0, SWAPN * PG, 65);
  if (read(to_parent[0], &s, sizeof(s)) != sizeof(s))
    fail("pipe read failed");
  hog(freepages() * 3 / 2);
  int out_s = on_swap(child, s, SWAPN), out_r = on_swap(0, r, SWAPN);
  if (out_s == 0 || out_r == 0)
    fail("the hog pushed %d source and %d destination pages out, want some of each", out_s, out_r);
  put_byte(to_child[1]);
  CHECK(recv(r, SWAPN * PG) == child);
  expect_pat("message from swap", r, 0, SWAPN * PG, 64, 0);
  expect_state("received pages", 0, r, 0, SWAPN, VMQ_COW, 2);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

// Memory runs out in the middle of a move (one frame allocation made to
// fail, at each point in turn: a lazy destination page, a leaf table, a
// links page): the move lets go of both locks, waits, takes them again
// and resumes where it stopped, and the message arrives whole, copied
// (offsets differ) or shared (offsets alike).
static void t_nomem_restart(char *name) {
  int parent = getpid(), fds[2];
  CHECK(pipe(fds) == 0);
  ready_fd = fds[1];
  for (int k = 1; k <= 24; k++) {
    int same = k % 2, doff = same ? 100 : 0, len = 8 * PG;
    int child = spawn_sender(parent, 9, 100, len, 90 + k, 0);
    char *r = pages(512 + 9, 1) + 512 * PG; // lazy, most likely in a leaf table of its own
    get_byte(fds[0]);
    vmctl(VMCTL_FAIL_ALLOC, 1 + k / 2);
    int id = recv(r + doff, len);
    vmctl(VMCTL_FAIL_ALLOC, 0);
    CHECK(id == child);
    for (int i = 0; i < doff; i++)
      CHECK(r[i] == 0);
    expect_pat("message after a failed allocation", r + doff, 0, len, 90 + k, 100);
    for (int i = doff + len; i < 9 * PG; i++)
      CHECK(r[i] == 0);
    CHECK(reply(id, 0, 0) == 0);
    CHECK(wait_pid(child) == 0);
    sbrk(-(512 + 9) * PG);
  }
}

// ---------------------------------------------------------------- calls

// Messages and replies truncated to the receiving buffer; zero lengths.
static void t_truncate(char *name) {
  int parent = getpid();
  int child = xfork();
  if (child == 0) {
    char *s = pages(2, 0), *r = pages(2, 0);
    put(s, 0, 2 * PG, 70);
    put(r, 0, 2 * PG, 71);
    int n = send(parent, s, 2 * PG, r, 100);
    if (n != 100)
      fail("truncated reply: send returned %d", n);
    expect_pat("truncated reply", r, 0, 100, 72, 0);
    expect_pat("past rlen", r, 100, 2 * PG, 71, 0);
    CHECK(send(parent, 0, 0, 0, 0) == 0);
    exit(0);
  }
  char *b = pages(2, 0), *rs = pages(2, 0);
  put(b, 0, 2 * PG, 73);
  put(rs, 0, 2 * PG, 72);
  CHECK(recv(b, 5000) == child);
  expect_pat("truncated message", b, 0, 5000, 70, 0);
  expect_pat("past len", b, 5000, 2 * PG, 73, 0);
  CHECK(reply(child, rs, 2 * PG) == 0);
  CHECK(recv(0, 0) == child);
  CHECK(reply(child, 0, 0) == 0);
  CHECK(wait_pid(child) == 0);
}

#define NORDER 4

// Senders are served in the order they called send; answers may come in
// any order.
static void t_order(char *name) {
  int parent = getpid(), kids[NORDER], fds[2];
  CHECK(pipe(fds) == 0);
  for (int k = 0; k < NORDER; k++) {
    kids[k] = xfork();
    if (kids[k] == 0) {
      char msg = 'a' + k, ans = 0;
      put_byte(fds[1]);
      if (send(parent, &msg, 1, &ans, 1) != 1 || ans != 'A' + k)
        fail("sender %d: wrong answer %d", k, ans);
      exit(0);
    }
    get_byte(fds[0]);
    sleep(3); // until it waits in send(): nothing shows that
  }
  for (int k = 0; k < NORDER; k++) {
    char msg = 0;
    int id = recv(&msg, 1);
    if (id != kids[k] || msg != 'a' + k)
      fail("message %d came from %d ('%c'), want %d ('%c')", k, id, msg, kids[k], 'a' + k);
  }
  for (int k = NORDER - 1; k >= 0; k--) {
    char ans = 'A' + k;
    CHECK(reply(kids[k], &ans, 1) == 0);
  }
  for (int k = 0; k < NORDER; k++)
    CHECK(wait_pid(kids[k]) == 0);
}

// Every bad target, pointer or length gives -1 at once (nothing blocks)
// and nothing reaches the receiver: its first message is the good one.
static void t_badargs(char *name) {
  int me = getpid(), fds[2];
  char *b = pages(1, 0), *text = (char *)text_va;
  char *above = (char *)sbrk(0) + 8 * PG, *high = (char *)(MAXVA - PG), *wild = (char *)-4096L;
  CHECK(send(me, b, 10, b, 10) == -1); // itself
  CHECK(send(0x7fffffff, b, 10, b, 10) == -1 && send(-1, b, 10, b, 10) == -1 &&
        send(0, b, 1, b, 1) == -1);
  CHECK(recv(text, 10) == -1 && recv(above, 10) == -1 && recv(b, -1) == -1 && recv(wild, 10) == -1);
  CHECK(reply(me, b, 1) == -1 && reply(1, above, 1) == -1);
  CHECK(pipe(fds) == 0);
  int r = xfork();
  if (r == 0) { // the receiver: its first message must be the good one
    char *m = pages(1, 0);
    put_byte(fds[1]);
    int id = recv(m, PG);
    if (id != me || memcmp(m, "good", 5) != 0)
      fail("first message from %d is '%s', want 'good' from %d", id, m, me);
    CHECK(reply(id, "ok", 3) == 0);
    exit(0);
  }
  get_byte(fds[0]);
  CHECK(send(r, b, -1, b, 10) == -1 && send(r, b, 10, b, -1) == -1);
  CHECK(send(r, above, 10, b, 10) == -1 && send(r, high, PG, b, 10) == -1);
  CHECK(send(r, wild, 10, b, 10) == -1 && send(r, b + 8, 0x7ffffff0, b, 10) == -1);
  CHECK(send(r, b, 10, text, 10) == -1); // a reply may not land in text
  CHECK(send(r, b, 10, above, 10) == -1 && send(r, b, 10, b + PG - 5, 10) == -1);
  int zombie = xfork();
  if (zombie == 0)
    exit(0);
  CHECK(wait_pid(zombie) == 0);
  CHECK(send(zombie, b, 10, b, 10) == -1); // gone
  strcpy(b, "good");
  char *ans = b + 100;
  CHECK(send(r, b, 5, ans, 10) == 3 && strcmp(ans, "ok") == 0);
  CHECK(wait_pid(r) == 0);
}

// reply() to anything but a received, unanswered message of ours is -1,
// and a failed reply leaves the sender waiting for a good one.
static void t_wrongid(char *name) {
  int me = getpid();
  char *b = pages(1, 0);
  CHECK(reply(me, b, 1) == -1 && reply(12345, b, 1) == -1 && reply(-1, b, 1) == -1);
  int s = spawn_sender(me, 1, 0, 10, 80, 0); // rlen 0: the reply is cut to 0
  CHECK(recv(b, 10) == s);
  CHECK(reply(s + 1000, b, 3) == -1);
  int other = xfork();
  if (other == 0)
    exit(reply(s, b, 3) == -1 ? 0 : 1); // not its message
  CHECK(wait_pid(other) == 0);
  CHECK(reply(s, (char *)sbrk(0) + 4 * PG, 3) == -1); // bad buffer: nothing sent
  CHECK(reply(s, b, -3) == -1);
  CHECK(reply(s, b, 3) == 0);
  CHECK(reply(s, b, 3) == -1); // answered already
  CHECK(wait_pid(s) == 0);
}

// ---------------------------------------------------------------- death

// A sender killed while queued: its message never arrives.
static void t_kill_queued(char *name) {
  int me = getpid(), fds[2];
  CHECK(pipe(fds) == 0);
  int a = xfork();
  if (a == 0) {
    put_byte(fds[1]);
    send(me, "dead", 5, 0, 0);
    exit(1); // killed before: never here
  }
  get_byte(fds[0]);
  sleep(3); // until it waits in send()
  CHECK(kill(a) == 0);
  CHECK(wait_pid(a) == -1);
  int b = spawn_sender(me, 1, 0, 100, 81, 0);
  char *m = pages(1, 0);
  int id = recv(m, 100);
  if (id != b)
    fail("got a message from %d, want %d (a killed sender's message arrived)", id, b);
  expect_pat("message of the live sender", m, 0, 100, 81, 0);
  CHECK(reply(id, 0, 0) == 0);
  CHECK(wait_pid(b) == 0);
}

// A sender killed after its message was received: the reply fails.
static void t_kill_received(char *name) {
  int me = getpid();
  int a = spawn_sender(me, 4, 0, 4 * PG, 82, 0);
  char *m = pages(4, 0);
  CHECK(recv(m, 4 * PG) == a);
  CHECK(kill(a) == 0);
  CHECK(wait_pid(a) == -1);
  CHECK(reply(a, m, 4 * PG) == -1);
  expect_pat("message of the killed sender", m, 0, 4 * PG, 82, 0);
}

// A receiver that exits (how: 0) or is killed (1) with two senders queued
// and one received and not answered: all three get -1.
static void receiver_dies(int how) {
  int to_r[2], from_r[2];
  CHECK(pipe(to_r) == 0 && pipe(from_r) == 0);
  int r = xfork();
  if (r == 0) {
    char m[16];
    put_byte(from_r[1]);
    CHECK(recv(m, sizeof(m)) > 0); // then does not answer
    put_byte(from_r[1]);
    get_byte(to_r[0]);
    if (how == 1)
      for (;;)
        sleep(100);
    exit(0);
  }
  get_byte(from_r[0]);
  int s0 = spawn_sender(r, 1, 0, 10, 83, -1);
  get_byte(from_r[0]); // s0's message received
  int s1 = spawn_sender(r, 1, 0, 10, 84, -1), s2 = spawn_sender(r, 1, 0, 10, 85, -1);
  sleep(3); // until they wait in send()
  put_byte(to_r[1]);
  if (how == 1)
    CHECK(kill(r) == 0);
  CHECK(wait_pid(r) == (how == 1 ? -1 : 0));
  CHECK(wait_pid(s0) == 0 && wait_pid(s1) == 0 && wait_pid(s2) == 0);
}

static void t_receiver_exits(char *name) { receiver_dies(0); }
static void t_receiver_killed(char *name) { receiver_dies(1); }

// A receiver killed while it waits in recv(); then it is gone for send().
static void t_kill_in_recv(char *name) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  int r = xfork();
  if (r == 0) {
    char m[8];
    put_byte(fds[1]);
    recv(m, sizeof(m));
    exit(1);
  }
  get_byte(fds[0]);
  sleep(1);
  CHECK(kill(r) == 0);
  CHECK(wait_pid(r) == -1);
  char b[4] = "abc";
  CHECK(send(r, b, 4, b, 4) == -1);
}

// Kill senders and receivers of big messages at arbitrary moments, copying
// and sharing, lazy and resident: whatever the moment, nothing leaks and
// the tables stay sound (the runner checks both).
static void t_kill_anytime(char *name) {
  for (int round = 0; round < 12; round++) {
    int r = xfork();
    if (r == 0) {
      char *m = pages(65, 1);
      for (;;) {
        int id = recv(m + (round % 3 == 0 ? 1 : 0), 64 * PG);
        if (id > 0)
          reply(id, m, 64 * PG);
      }
    }
    int s = xfork();
    if (s == 0) {
      for (uint n = 0;; n++) {
        char *b = pages(64, n % 2);
        if (n % 4 == 0)
          put(b, 0, 64 * PG, n);
        send(r, b, 64 * PG, b, 64 * PG);
        sbrk(-64 * PG);
      }
    }
    sleep(round % 4);
    CHECK(kill(round % 2 ? r : s) == 0);
    sleep(round % 3);
    CHECK(kill(round % 2 ? s : r) == 0);
    CHECK(wait_pid(r) == -1 && wait_pid(s) == -1);
  }
}

// ---------------------------------------------------------------- stress

#define SENDERS 4
#define MAXPAGES 12
#define STRESS_TICKS 300 // 30 s at 10 ticks a second

// A stress message starts with this header; the rest is pat(seed, i).
struct header {
  uint magic, seed;
  int len;  // bytes of the message, header included; 0: the sender is done
  int echo; // 1: the server answers with the message itself
};
#define MAGIC 0x1bc0ffee

// One sender: random lengths and offsets (equal offsets half the time,
// so pages are shared), a fresh pattern in its buffer every time, and
// every byte of every answer checked.
static void stress_sender(int server, int k) {
  char *s = pages(MAXPAGES + 1, 0), *r = pages(MAXPAGES + 1, 0);
  int start = uptime(), n = 0;
  uint st = 2463534242u + k * 7919; // a random sequence of its own
  for (; uptime() - start < STRESS_TICKS; n++) {
    st ^= st << 13;
    st ^= st >> 17;
    st ^= st << 5;
    uint x = st;
    int len = sizeof(struct header) + x % (MAXPAGES * PG);
    int soff = x % 3 == 0 ? 0 : (x >> 7) % PG, roff = x % 2 ? soff : (x >> 17) % PG;
    uint seed = k * 100000 + n;
    put(s + soff, 0, len, seed);
    struct header h = {MAGIC, seed, len, (x >> 3) % 2};
    memmove(s + soff, &h, sizeof(h));
    int got = send(server, s + soff, len, r + roff, len);
    if (got != len)
      fail("sender %d: message %d: send returned %d, want %d", k, n, got, len);
    if (h.echo && memcmp(r + roff, s + soff, len) != 0)
      fail("sender %d: message %d: the echo differs", k, n);
    if (!h.echo)
      expect_pat("answer", r + roff, 0, len, seed ^ 0x5555, 0);
  }
  struct header done = {MAGIC, 0, 0, 0};
  if (send(server, &done, sizeof(done), 0, 0) != 0)
    fail("sender %d: the last send failed", k);
  say("  sender %d: %d round trips", k, n);
  exit(0);
}

// Check one message in m and answer it.
static void stress_answer(int id, char *m, char *ans) {
  struct header h;
  memmove(&h, m, sizeof(h));
  if (h.magic != MAGIC || h.len < (int)sizeof(h) || h.len > MAXPAGES * PG + (int)sizeof(h))
    fail("a message from %d has a bad header", id);
  expect_pat("stress message", m, sizeof(h), h.len, h.seed, 0);
  if (h.echo) {
    CHECK(reply(id, m, h.len) == 0);
  } else {
    put(ans, 0, h.len, h.seed ^ 0x5555);
    CHECK(reply(id, ans, h.len) == 0);
  }
}

// SENDERS senders against one server (this process) for 30 s.
static void t_stress(char *name) {
  int me = getpid(), kids[SENDERS];
  for (int k = 0; k < SENDERS; k++) {
    kids[k] = xfork();
    if (kids[k] == 0)
      stress_sender(me, k);
  }
  char *m = pages(2 * MAXPAGES + 2, 0), *ans = pages(MAXPAGES + 1, 0);
  for (int done = 0, n = 0; done < SENDERS; n++) {
    int off = n % 3 == 0 ? 0 : (n * 1237) % PG; // page-aligned a third of the time
    int id = recv(m + off, MAXPAGES * PG + PG);
    CHECK(id > 0);
    struct header h;
    memmove(&h, m + off, sizeof(h));
    if (h.magic == MAGIC && h.len == 0) {
      CHECK(reply(id, 0, 0) == 0);
      done++;
    } else {
      stress_answer(id, m + off, ans);
    }
  }
  for (int k = 0; k < SENDERS; k++)
    if (wait_pid(kids[k]) != 0)
      fail("sender %d failed", k);
}

static struct test tests[] = {
    {t_exchange, "exchange", 0},
    {t_share64, "share64", 0},
    {t_copyknob, "copyknob", 0},
    {t_unaligned, "unaligned", 0},
    {t_secrets, "secrets", 0},
    {t_lazy, "lazy", 0},
    {t_text, "text", 0},
    {t_sharedleaf, "sharedleaf", 0},
    {t_merged, "merged", 0},
    {t_swapped, "swapped", 1},
    {t_nomem_restart, "nomem_restart", 0},
    {t_truncate, "truncate", 0},
    {t_order, "order", 0},
    {t_badargs, "badargs", 0},
    {t_wrongid, "wrongid", 0},
    {t_kill_queued, "kill_queued", 0},
    {t_kill_received, "kill_received", 0},
    {t_receiver_exits, "receiver_exits", 0},
    {t_receiver_killed, "receiver_killed", 0},
    {t_kill_in_recv, "kill_in_recv", 0},
    {t_kill_anytime, "kill_anytime", 1},
    {t_stress, "stress", 1},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_ipc", tests, argc, argv); }
