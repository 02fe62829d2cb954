// test_reliab: regression tests for the reliability issue (issue 8).
//
//   forkfail      a fork that fails for lack of memory after write-
//                 protecting some of the parent's leaf tables must still
//                 flush the parent's TLB: the next fork's child must not
//                 see the parent's later writes (bug 1)
//   forknomem     every allocation failure of fork, lazy and eager, leaves
//                 both sides intact and leaks nothing
//   sbrknomem     a shrink that cannot copy a shared leaf table fails whole
//   execdeadlock  exec against readers of a file being written and a
//                 dedup()/vmaudit() loop: exec must not hold vmlock while
//                 it waits for file-system locks (bug 2; the old exec hung)
//   execelf       exec checks every ELF field at full width: each of a
//                 list of broken files fails and leaves the caller as it was
//   execnomem     every allocation failure inside exec leaves the caller
//                 as it was
//   dedupscope    VMCTL_DEDUP_SCOPE: per process, zero pages only, bad values
//
// VMCTL_FAIL_ALLOC makes the n-th frame allocation from now on fail; tests
// sweep n over every allocation of the operation they check, and always
// clear the knob before anything else allocates.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fcntl.h"
#include "kernel/elf.h"
#include "kernel/vmctl.h"
#include "kernel/syscall.h"
#include "user/user.h"
#include "user/testlib.h"

#define GiB (1L << 30)
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int sentinel = 4711; // data: a failed exec or fork must not change it

// n pages written with seed's pattern.
static void fill_pages(char *base, int n, uint seed) {
  for (int i = 0; i < n; i++)
    fill(base + (uint64)i * PGSIZE, PGSIZE, seed + i);
}

// The first page of base that does not hold seed's pattern, or -1.
static int bad_page(char *base, int n, uint seed) {
  for (int i = 0; i < n; i++)
    if (check_fill(base + (uint64)i * PGSIZE, PGSIZE, seed + i) >= 0)
      return i;
  return -1;
}

// fork() with the n-th allocation from now failing; the knob is cleared
// at once in both processes, so nothing else is hit.
static int fork_failing_at(int n) {
  vmctl(VMCTL_FAIL_ALLOC, n);
  int pid = fork();
  vmctl(VMCTL_FAIL_ALLOC, 0);
  return pid;
}

// ================================================================ bug 1

#define HEAP_PAGES 16

struct forked {
  long pid;   // fork's result in this process
  long stage; // 1: the first fork did not fail; 2: it did, pid is the second's
};

// fork_fail_fork(n, heap, pages, before, after): store `before` in the
// first word of each heap page (so the TLB holds writable entries), fork
// with the n-th allocation failing; if that fork failed, fork again and,
// in the parent, store `after` in each page at once. Written in assembly
// because the parent must store nothing else in between: a store to its
// stack would take a COW fault, and the fault's TLB flush would hide the
// bug. Registers survive system calls; a0 carries the result.
struct forked fork_fail_fork(long n, uint64 *heap, long pages, long before, long after);
#define STR_(x) #x
#define STR(x) STR_(x)
asm(".text\n"
    ".globl fork_fail_fork\n"
    "fork_fail_fork:\n"
    "  mv t4, a1\n" // heap
    "  mv t5, a2\n" // pages
    "  mv t0, t4\n"
    "  mv t1, t5\n"
    "1: sd a3, 0(t0)\n" // before
    "  li t2, 4096\n"
    "  add t0, t0, t2\n"
    "  addi t1, t1, -1\n"
    "  bnez t1, 1b\n"
    "  mv a1, a0\n"
    "  li a0, " STR(
        VMCTL_FAIL_ALLOC) "\n"
                          "  li a7, " STR(
                              SYS_vmctl) "\n"
                                         "  ecall\n"
                                         "  li a7, " STR(
                                             SYS_fork) "\n"
                                                       "  ecall\n"
                                                       "  mv t3, a0\n"
                                                       "  li a0, " STR(
                                                           VMCTL_FAIL_ALLOC) "\n"
                                                                             "  li a1, 0\n"
                                                                             "  li a7, " STR(
                                                                                 SYS_vmctl) "\n"
                                                                                            "  "
                                                                                            "ecall"
                                                                                            "\n"
                                                                                            "  mv "
                                                                                            "a0, "
                                                                                            "t3\n"
                                                                                            "  li "
                                                                                            "a1, "
                                                                                            "1\n"
                                                                                            "  li "
                                                                                            "t2, "
                                                                                            "-1\n"
                                                                                            "  bne "
                                                                                            "t3, "
                                                                                            "t2, "
                                                                                            "3f\n" // the first fork did not fail
                                                                                            "  li "
                                                                                            "a7,"
                                                                                            " " STR(
                                                                                                SYS_fork) "\n"
                                                                                                          "  ecall\n"
                                                                                                          "  li a1, 2\n"
                                                                                                          "  blez a0, 3f\n" // the child, or a failure
                                                                                                          "  mv t0, t4\n"
                                                                                                          "  mv t1, t5\n"
                                                                                                          "2: sd a4, 0(t0)\n" // after
                                                                                                          "  li t2, 4096\n"
                                                                                                          "  add t0, t0, t2\n"
                                                                                                          "  addi t1, t1, -1\n"
                                                                                                          "  bnez t1, 2b\n"
                                                                                                          "3: ret\n");
// The address space spans two 1 GiB regions (a lazy stretch past 1 GiB
// with one page touched there), so a lazy fork allocates a level-1 table
// for the second region after write-protecting the first region's leaf
// tables: a failure there must still flush the parent's TLB. Sweep the
// failing allocation over the fork; after each failed fork, a second
// fork's child is shown the heap only once the parent has overwritten it,
// and must still see the old words.
static void t_forkfail(char *tn) {
  uint64 *heap = (uint64 *)sbrk(HEAP_PAGES * PGSIZE);
  if (heap == (uint64 *)SBRK_ERROR || sbrklazy(GiB) == SBRK_ERROR)
    fail("sbrk failed");
  *(volatile char *)(GiB + PGSIZE) = 1; // a page in the second region
  int failed = 0;
  for (int round = 0; round < 4; round++) {
    for (int n = 1; n <= 8; n++) {
      long before = round * 100 + n, after = before + 50;
      int go[2];
      if (pipe(go) < 0)
        fail("pipe failed");
      struct forked f = fork_fail_fork(n, heap, HEAP_PAGES, before, after);
      if (f.pid == 0 && f.stage == 2) {
        char c;
        if (read(go[0], &c, 1) != 1) // the parent has written
          fail("child: pipe read failed");
        for (int i = 0; i < HEAP_PAGES; i++)
          if (heap[i * PGSIZE / 8] != before)
            fail("child sees the parent's write in heap page %d after a failed fork", i);
      }
      if (f.pid == 0)
        exit(0);
      write(go[1], "x", 1);
      close(go[0]);
      close(go[1]);
      if (f.pid < 0)
        fail("fork after a failed fork failed");
      if (wait_pid(f.pid) != 0)
        fail("after a failed fork (allocation %d), the next child saw the parent's writes", n);
      for (int i = 0; i < HEAP_PAGES; i++)
        if (heap[i * PGSIZE / 8] != (f.stage == 2 ? after : before))
          fail("the parent lost its own write to heap page %d", i);
      failed += f.stage == 2;
    }
  }
  if (failed == 0)
    fail("no fork failed: VMCTL_FAIL_ALLOC had no effect");
}

// Every allocation of fork fails in turn, in lazy and in eager mode, until
// a fork gets through: parent and child still see their own memory, and
// the runner checks that nothing leaked.
static void t_forknomem(char *tn) {
  char *heap = sbrk(HEAP_PAGES * PGSIZE);
  if (heap == SBRK_ERROR)
    fail("sbrk failed");
  for (int eager = 0; eager < 2; eager++) {
    int old = vmctl(VMCTL_FORK_COPY, eager), failures = 0, pid;
    for (int n = 1;; n++) {
      fill_pages(heap, HEAP_PAGES, n);
      if ((pid = fork_failing_at(n)) >= 0)
        break;
      failures++;
      if (bad_page(heap, HEAP_PAGES, n) >= 0 || sentinel != 4711)
        fail("failed fork %d changed the parent's memory", n);
    }
    if (pid == 0) {
      fill_pages(heap, HEAP_PAGES, 77); // the child's writes stay its own
      exit(bad_page(heap, HEAP_PAGES, 77) < 0 && sentinel == 4711 ? 0 : 1);
    }
    if (wait_pid(pid) != 0)
      fail("child after %d failed forks saw wrong memory", failures);
    if (bad_page(heap, HEAP_PAGES, failures + 1) >= 0)
      fail("the child's writes reached the parent");
    vmctl(VMCTL_FORK_COPY, old);
    if (failures < (eager ? HEAP_PAGES : 2))
      fail("only %d fork failures forced (eager %d)", failures, eager);
  }
}

// Shrinking the heap to the middle of a leaf table shared with a child
// must first copy that table; if it cannot, sbrk fails and nothing is
// unmapped. The heap gets a leaf table of its own (it starts at a 2 MiB
// boundary), so that the parent's stack writes do not unshare it.
static void t_sbrknomem(char *tn) {
  uint64 cur = (uint64)sbrk(0), span = 512 * PGSIZE;
  if (sbrklazy((cur + span - 1) / span * span - cur) == SBRK_ERROR)
    fail("sbrklazy failed");
  char *heap = sbrk(HEAP_PAGES * PGSIZE);
  if (heap == SBRK_ERROR)
    fail("sbrk failed");
  fill_pages(heap, HEAP_PAGES, 5);
  int go[2];
  if (pipe(go) < 0)
    fail("pipe failed");
  int pid = xfork();
  if (pid == 0) {
    char c;
    close(go[1]);
    read(go[0], &c, 1);
    exit(bad_page(heap, HEAP_PAGES, 5) < 0 ? 0 : 1);
  }
  close(go[0]);
  volatile int own_stack = 1; // a COW copy of the stack now, not below
  own_stack++;
  vmctl(VMCTL_FAIL_ALLOC, 1);
  char *r = sbrk(-3 * PGSIZE);
  vmctl(VMCTL_FAIL_ALLOC, 0);
  if (r != SBRK_ERROR)
    fail("sbrk shrink succeeded without memory to copy the shared leaf table");
  if (bad_page(heap, HEAP_PAGES, 5) >= 0)
    fail("failed shrink changed the heap");
  if (sbrk(-3 * PGSIZE) == SBRK_ERROR)
    fail("sbrk shrink failed with memory free");
  fill_pages(heap, HEAP_PAGES - 3, 9);
  write(go[1], "x", 1);
  close(go[1]);
  if (wait_pid(pid) != 0)
    fail("child's heap changed by the parent's shrink");
}

// ================================================================ bug 2

#define DL_SECONDS 20
#define DL_BYTES (8 * 1024)

static char dl_buf[DL_BYTES];

static void dl_writer(int until) {
  for (uint round = 0; uptime() < until; round++) {
    int fd = open("f_rl_dl", O_CREATE | O_WRONLY | O_TRUNC);
    if (fd < 0)
      fail("writer: open failed");
    fill(dl_buf, DL_BYTES, round);
    if (write(fd, dl_buf, DL_BYTES) != DL_BYTES)
      fail("writer: write failed");
    close(fd);
  }
}

// Reads the file being written and the program being exec'd, into user
// memory: copyout takes the reader's vmlock while a buffer is locked.
static void dl_reader(int until) {
  static char *files[] = {"f_rl_dl", "/true"};
  for (int i = 0; uptime() < until; i++) {
    int fd = open(files[i % 2], O_RDONLY);
    if (fd < 0)
      fail("reader: open failed");
    while (read(fd, dl_buf, DL_BYTES) > 0)
      ;
    close(fd);
  }
}

static void dl_execer(int until) {
  int execs = 0;
  char *argv[] = {"true", 0};
  while (uptime() < until) {
    int pid = xfork();
    if (pid == 0) {
      exec("/true", argv);
      fail("exec /true failed");
    }
    if (wait_pid(pid) != 0)
      fail("/true failed");
    execs++;
  }
  if (execs < 1)
    fail("no exec in %d s", DL_SECONDS);
  say("  execdeadlock: %d execs", execs);
}

static void dl_scanner(int until) {
  for (int i = 0; uptime() < until; i++) {
    if (i % 2 ? vmaudit() != 0 : dedup() < 0)
      fail("scanner: %s failed", i % 2 ? "vmaudit" : "dedup");
  }
}

// The trigger of the issue: two readers of a file a writer keeps
// rewriting, a process exec'ing in a loop, one calling dedup() and
// vmaudit() in a loop. With the old exec (file read, and the log committed,
// under vmlock) the machine hung within a few hundred execs; the suite's
// time-out catches that.
static void t_execdeadlock(char *tn) {
  static void (*roles[])(int) = {dl_writer, dl_reader, dl_reader, dl_reader,
                                 dl_execer, dl_execer, dl_scanner};
  unlink("f_rl_dl");
  int fd = open("f_rl_dl", O_CREATE | O_WRONLY);
  if (fd < 0 || write(fd, dl_buf, DL_BYTES) != DL_BYTES)
    fail("cannot create f_rl_dl");
  close(fd);
  int until = uptime() + DL_SECONDS * 10, pids[NELEM(roles)];
  for (int i = 0; i < NELEM(roles); i++) {
    if ((pids[i] = xfork()) == 0) {
      roles[i](until);
      exit(0);
    }
  }
  for (int n = 0; n < NELEM(roles); n++) {
    int status, pid = wait(&status);
    for (int i = 0; i < NELEM(roles); i++)
      if (pid == pids[i] && status != 0)
        fail("process %d of the exec/read/dedup mix failed", i);
  }
  unlink("f_rl_dl");
}

// ================================================================ exec checks

// A minimal program, built here: exit(42). Text at file offset 0x1000,
// mapped at 0; a bss segment of two pages above it.
#define CODE_OFF 0x1000
#define ELF_BYTES (CODE_OFF + 12)
static const uint code[] = {
    0x02a00513, // addi a0, zero, 42
    0x00200893, // addi a7, zero, 2 (SYS_exit)
    0x00000073, // ecall
};

static char elf[ELF_BYTES];

static struct elfhdr *eh(void) { return (struct elfhdr *)elf; }
static struct proghdr *ph(int i) { return (struct proghdr *)(elf + sizeof(struct elfhdr)) + i; }

static void build_elf(void) {
  memset(elf, 0, sizeof(elf));
  struct elfhdr *h = eh();
  h->magic = ELF_MAGIC;
  h->ident[0] = ELF_CLASS64;
  h->ident[1] = ELF_DATA_LSB;
  h->ident[2] = 1; // EV_CURRENT
  h->type = ELF_TYPE_EXEC;
  h->machine = ELF_MACHINE_RISCV;
  h->version = 1;
  h->entry = 0;
  h->phoff = sizeof(struct elfhdr);
  h->ehsize = sizeof(struct elfhdr);
  h->phentsize = sizeof(struct proghdr);
  h->phnum = 2;
  *ph(0) = (struct proghdr){ELF_PROG_LOAD,
                            ELF_PROG_FLAG_READ | ELF_PROG_FLAG_EXEC,
                            CODE_OFF,
                            0,
                            0,
                            sizeof(code),
                            sizeof(code),
                            0x1000};
  *ph(1) = (struct proghdr){ELF_PROG_LOAD, ELF_PROG_FLAG_READ | ELF_PROG_FLAG_WRITE,
                            CODE_OFF,      0x1000,
                            0x1000,        0,
                            2 * PGSIZE,    0x1000};
  memmove(elf + CODE_OFF, code, sizeof(code));
}

static void write_elf(int bytes) {
  unlink("f_rl_elf");
  int fd = open("f_rl_elf", O_CREATE | O_WRONLY);
  if (fd < 0 || write(fd, elf, bytes) != bytes)
    fail("cannot write f_rl_elf");
  close(fd);
}

// Exit status of a child that execs f_rl_elf.
static int run_elf(void) {
  int pid = xfork();
  if (pid == 0) {
    char *argv[] = {"f_rl_elf", 0};
    exec("f_rl_elf", argv);
    exit(99);
  }
  return wait_pid(pid);
}

// One broken field each. The ones marked "narrowed" passed the old exec,
// which cut file offsets to 32 bits.
static void break_elf(int i) {
  switch (i) {
  case 0:
    eh()->magic ^= 1;
    break;
  case 1:
    eh()->ident[0] = 1;
    break; // 32-bit
  case 2:
    eh()->ident[1] = 2;
    break; // big-endian
  case 3:
    eh()->machine = 62;
    break; // x86-64
  case 4:
    eh()->type = 3;
    break; // shared object
  case 5:
    eh()->phentsize = 32;
    break;
  case 6:
    eh()->phnum = 0;
    break;
  case 7:
    eh()->phnum = 65;
    break;
  case 8:
    eh()->phoff += 1L << 32;
    break; // narrowed
  case 9:
    eh()->phoff = ELF_BYTES - 8;
    break;
  case 10:
    ph(0)->off += 1L << 32;
    break; // narrowed
  case 11:
    ph(0)->filesz += 1L << 32;
    ph(0)->memsz += 1L << 32;
    break;
  case 12:
    ph(0)->memsz = ph(0)->filesz - 1;
    break;
  case 13:
    ph(0)->filesz = 0x100;
    ph(0)->memsz = 0x100;
    break; // past the end of the file
  case 14:
    ph(0)->vaddr = 0x10;
    eh()->entry = 0x10;
    break;
  case 15:
    ph(1)->vaddr = -(uint64)PGSIZE;
    break; // vaddr + memsz wraps
  case 16:
    ph(1)->vaddr = 1L << 38;
    break; // above MAXVA
  case 17:
    ph(1)->vaddr = TRAPFRAME - 2 * PGSIZE;
    break; // no room for the stack
  case 18:
    ph(1)->vaddr = 0;
    break; // overlaps the text
  case 19:
    ph(0)->vaddr = 0x3000;
    eh()->entry = 0x3000;
    break; // out of order
  case 20:
    eh()->entry = 0x5000;
    break; // in no segment
  case 21:
    eh()->entry = 0x1000;
    break; // in the bss: not executable
  case 22:
    ph(0)->align = 3;
    break;
  case 23:
    ph(0)->off = CODE_OFF - 4;
    break; // off and vaddr differ modulo align
  case 24:
    ph(0)->memsz = 1L << 40;
    break; // beyond MAXVA
  }
}
#define BROKEN 25

static void t_execelf(char *tn) {
  build_elf();
  write_elf(ELF_BYTES);
  int status = run_elf();
  if (status != 42)
    fail("the minimal program exited with %d, not 42", status);
  char *heap = sbrk(4 * PGSIZE);
  if (heap == SBRK_ERROR)
    fail("sbrk failed");
  fill_pages(heap, 4, 3);
  char *argv[] = {"f_rl_elf", 0};
  for (int i = 0; i < BROKEN; i++) {
    build_elf();
    break_elf(i);
    write_elf(ELF_BYTES);
    if (exec("f_rl_elf", argv) != -1)
      fail("exec of broken ELF %d did not fail", i);
    if (sentinel != 4711 || bad_page(heap, 4, 3) >= 0)
      fail("failed exec of broken ELF %d changed memory", i);
  }
  build_elf();
  write_elf(ELF_BYTES - 4); // the file ends inside the text
  if (exec("f_rl_elf", argv) != -1)
    fail("exec of a truncated ELF did not fail");
  unlink("f_rl_elf");
}

// Each allocation inside exec fails in turn until exec gets through; a
// failed exec returns -1 to an intact caller.
static void t_execnomem(char *tn) {
  build_elf();
  write_elf(ELF_BYTES);
  int failures = 0;
  for (int n = 1; n < 200; n++) {
    int pid = xfork();
    if (pid == 0) {
      char *argv[] = {"f_rl_elf", "an argument", 0};
      vmctl(VMCTL_FAIL_ALLOC, n);
      int r = exec("f_rl_elf", argv);
      vmctl(VMCTL_FAIL_ALLOC, 0);
      exit(r == -1 && sentinel == 4711 ? 7 : 8);
    }
    int status = wait_pid(pid);
    vmctl(VMCTL_FAIL_ALLOC, 0); // in case exec used fewer than n
    if (status == 42)
      break;
    if (status != 7)
      fail("exec failing at allocation %d: exit status %d", n, status);
    failures++;
  }
  unlink("f_rl_elf");
  if (failures < 6)
    fail("only %d allocation failures inside exec", failures);
}

// ================================================================ dedup scope

#define SC_PAGES 8

// A child holding SC_PAGES pages of content seed + i (each different);
// returns once they are filled. The child exits when *release is written
// (or closed). Returns its pid.
static int holder(uint seed, int *release) {
  int go[2], ready[2];
  if (pipe(go) < 0 || pipe(ready) < 0)
    fail("pipe failed");
  int pid = xfork();
  if (pid == 0) {
    close(go[1]);
    close(ready[0]);
    char *p = sbrk(SC_PAGES * PGSIZE);
    if (p == SBRK_ERROR)
      fail("holder: sbrk failed");
    fill_pages(p, SC_PAGES, seed);
    char c = 'r';
    write(ready[1], &c, 1);
    read(go[0], &c, 1);
    exit(bad_page(p, SC_PAGES, seed) < 0 ? 0 : 1);
  }
  char c;
  close(go[0]);
  close(ready[1]);
  if (read(ready[0], &c, 1) != 1)
    fail("holder died");
  close(ready[0]);
  *release = go[1];
  return pid;
}

// dedup() until it merges nothing more (the system's own duplicates).
static void settle_dedup(void) {
  for (int i = 0; i < 5 && dedup() > 0; i++)
    ;
}

// In DEDUP_PROCESS scope, SC_PAGES copies of one page in this process
// merge (SC_PAGES - 1 frames freed) and two processes holding the same
// SC_PAGES different pages do not (SC_PAGES more once scope is ALL). In
// DEDUP_ZERO scope only zero pages merge.
static void scope_process(void) {
  settle_dedup();
  int r1, r2;
  int p1 = holder(500, &r1), p2 = holder(500, &r2);
  char *same = sbrk(SC_PAGES * PGSIZE);
  for (int i = 0; i < SC_PAGES; i++)
    fill(same + i * PGSIZE, PGSIZE, 600);
  int freed = dedup();
  if (freed < SC_PAGES - 1 || freed >= 2 * SC_PAGES - 1)
    fail("DEDUP_PROCESS: dedup freed %d frames, want %d (no merge across processes)", freed,
         SC_PAGES - 1);
  vmctl(VMCTL_DEDUP_SCOPE, DEDUP_ALL);
  freed = dedup();
  if (freed < SC_PAGES)
    fail("DEDUP_ALL after DEDUP_PROCESS: dedup freed %d frames, want %d", freed, SC_PAGES);
  write(r1, "x", 1);
  write(r2, "x", 1);
  for (int i = 0; i < 2; i++) {
    int status, pid = wait(&status);
    if ((pid != p1 && pid != p2) || status != 0)
      fail("a holder's pages changed");
  }
  sbrk(-SC_PAGES * PGSIZE);
}

static void scope_zero(void) {
  settle_dedup();
  char *p = sbrk(2 * SC_PAGES * PGSIZE); // SC_PAGES equal pages, SC_PAGES zero pages
  for (int i = 0; i < SC_PAGES; i++)
    fill(p + i * PGSIZE, PGSIZE, 700);
  for (int i = SC_PAGES; i < 2 * SC_PAGES; i++)
    p[i * PGSIZE] = 0; // resident, zero
  int freed = dedup();
  if (freed < SC_PAGES || freed >= 2 * SC_PAGES - 1)
    fail("DEDUP_ZERO: dedup freed %d frames, want %d (zero pages only)", freed, SC_PAGES);
  vmctl(VMCTL_DEDUP_SCOPE, DEDUP_ALL);
  freed = dedup();
  if (freed < SC_PAGES - 1)
    fail("DEDUP_ALL after DEDUP_ZERO: dedup freed %d frames, want %d", freed, SC_PAGES - 1);
  for (int i = 0; i < SC_PAGES; i++)
    if (check_fill(p + i * PGSIZE, PGSIZE, 700) >= 0 || p[(i + SC_PAGES) * PGSIZE] != 0)
      fail("merged pages changed");
  sbrk(-2 * SC_PAGES * PGSIZE);
}

static void t_dedupscope(char *tn) {
  int old = vmctl(VMCTL_DEDUP_SCOPE, DEDUP_PROCESS);
  if (old != DEDUP_ALL)
    fail("dedup scope was %d, not DEDUP_ALL", old);
  int bad[] = {-1, 3, 1000};
  for (int i = 0; i < NELEM(bad); i++)
    if (vmctl(VMCTL_DEDUP_SCOPE, bad[i]) != -1)
      fail("vmctl accepted dedup scope %d", bad[i]);
  if (vmctl(VMCTL_DEDUP_SCOPE, DEDUP_PROCESS) != DEDUP_PROCESS)
    fail("a refused value changed the scope");
  int pid = xfork();
  if (pid == 0) {
    scope_process();
    vmctl(VMCTL_DEDUP_SCOPE, DEDUP_ZERO);
    scope_zero();
    exit(0);
  }
  int status = wait_pid(pid);
  vmctl(VMCTL_DEDUP_SCOPE, DEDUP_ALL);
  if (status != 0)
    fail("scope checks failed (status %d)", status);
}

// dedup() with the n-th allocation from now failing, for every n that
// falls inside the scan's allocations: its list of doomed frames, then its
// hash table, which it tries at the size it wants and then at half, a
// quarter... With 2,048 different pages resident the table wants 8 pages
// or more, so some n fails a try after several of its pages: each failed
// try must give back exactly what it got (a page given back twice, or
// kept, panics the kernel or shows as a leak). The heap is intact after.
static void t_dedupnomem(char *tn) {
  int n = 2048;
  char *heap = sbrk(n * PGSIZE);
  if (heap == SBRK_ERROR)
    fail("sbrk failed");
  fill_pages(heap, n, 11);
  int failed = 0;
  for (int k = 1; k <= 24; k++) {
    vmctl(VMCTL_FAIL_ALLOC, k);
    failed += dedup() < 0;
    vmctl(VMCTL_FAIL_ALLOC, 0);
  }
  if (failed == 0)
    fail("no dedup() failed: the injected failures missed the scan");
  if (dedup() < 0)
    fail("dedup() failed with memory free");
  if (bad_page(heap, n, 11) >= 0)
    fail("the heap changed");
}

static struct test tests[] = {
    {t_forkfail, "forkfail", 0},     {t_forknomem, "forknomem", 0},
    {t_sbrknomem, "sbrknomem", 0},   {t_execdeadlock, "execdeadlock", 1},
    {t_execelf, "execelf", 0},       {t_execnomem, "execnomem", 0},
    {t_dedupscope, "dedupscope", 0}, {t_dedupnomem, "dedupnomem", 0},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_reliab", tests, argc, argv); }
