// fuzz: a system-call fuzzer. Several worker processes issue random
// system calls with hostile arguments for a while; the kernel must never
// panic or hang, and afterwards vmaudit() must be clean, no frame leaked
// (the testlib runner checks both) and the file system consistent (the
// test driver runs fsck).
//
//   fuzz [SEED [SECONDS [WORKERS [MASK]]]]   default: seed 1, 60 s, 4 workers
//
// The seed is printed first; each worker's random stream is derived from
// it, so a failure is replayed with the same arguments (the interleaving
// of the workers on several harts differs from run to run, of course).
// MASK (default all) enables only some kinds of operation (ops_table
// below, bit i for entry i), to narrow a failure down.
//
// Hostile arguments: pointers into the kernel half, unmapped, into the
// guard page, into read-only text, misaligned, past MAXVA; huge, zero and
// negative lengths; descriptors out of range or closed; long, empty,
// unterminated and odd paths; invalid system-call numbers; random vmctl
// knobs (including VMCTL_FAIL_ALLOC, which makes some allocation fail
// somewhere). Workers also fork children that do the same and more
// (shrink their memory below the text, exec garbage, built and real
// programs, exit at random), and exec files of random bytes and broken
// ELF headers.
//
// What keeps the run from blocking on itself: a worker reads a pipe only
// as far as it knows bytes are in it and writes no more than fit, never
// touches descriptors 0-2 (the console) except through hostile numbers
// outside 0..NOFILE-1, sleeps at most a tick, creates no console devices,
// and kills a child before waiting for it. Children close the pipes they
// inherit and do a bounded number of operations, so even an orphan ends.
// Files live in /fz, with names from a small alphabet that no program of
// the image uses. A worker killed by the kernel (an allocation failure
// injected by VMCTL_FAIL_ALLOC hits its copy-on-write fault) is replaced;
// a worker that finds its own memory changed fails the run.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/elf.h"
#include "kernel/memstat.h"
#include "kernel/vmctl.h"
#include "kernel/syscall.h"
#include "user/user.h"
#include "user/testlib.h"

#define MAXWORKERS 8
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAXKIDS 3     // live children per worker
#define KID_OPS 40    // operations of a child before it exits
#define OWN_PAGES 8   // pages each worker checks for unexpected change
#define SCRATCH 16384 // buffer the kernel may legitimately write
#define MAXFDS 12
#define PIPE_BYTES 512 // PIPESIZE in kernel/pipe.c

static uint seed = 1;
static int seconds = 60, nworkers = 4;

// Per process (a child inherits and changes its own copy).
static uint64 rng;
static int worker, is_kid;
static char *own; // OWN_PAGES pages holding pattern(own_seed)
static uint own_seed;
static char scratch[SCRATCH];
static int fds[MAXFDS], nfds;
static int pipe_r = -1, pipe_w = -1, pipe_avail;
static int kids[MAXKIDS], nkids;
static uint64 heap_base; // a worker shrinks its heap no lower than this
static long ops;

static uint64 rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int pick(int n) { return rnd() % n; }

// ---------------------------------------------------------------- arguments

// A pointer: one of the hostile kinds, or (valid) into scratch.
static uint64 hostile_ptr(void) {
  uint64 kinds[] = {
      0,
      KERNEL_OFFSET + KERNBASE + pick(1 << 20),    // the kernel's own memory
      -(uint64)pick(4096) - 1,                     // the very top
      KERNBASE + pick(4096),                       // unmapped in user space
      MAXVA - pick(8),                             // straddles the top of user space
      MAXVA + pick(1 << 20),                       // past it
      PGROUNDDOWN(r_sp()) - PGSIZE + pick(PGSIZE), // the stack's guard page
      (uint64)sbrk(0) + pick(1 << 16),             // past the heap
      (uint64)&rnd + pick(256),                    // read-only text
      TRAPFRAME + pick(PGSIZE),                    // xv6's trapframe: unmapped here
      (uint64)scratch + 1 + pick(7),               // misaligned, valid
      (uint64)scratch,                             // valid
  };
  return kinds[pick(NELEM(kinds))];
}

// Never a valid pointer.
static uint64 bad_ptr(void) {
  uint64 p;
  while ((p = hostile_ptr()) >= (uint64)scratch && p < (uint64)scratch + SCRATCH)
    ;
  return p;
}

// A length for a buffer at ptr: any length if the pointer is hostile, one
// that stays inside scratch if it points there.
static int length_for(uint64 ptr) {
  static const int odd[] = {0, 1, -1, -4096, 1 << 30, 0x7fffffff, -0x7fffffff - 1, 4097};
  if (ptr >= (uint64)scratch && ptr < (uint64)scratch + SCRATCH) {
    int room = (uint64)scratch + SCRATCH - ptr;
    return pick(4) == 0 ? odd[pick(2)] : pick(room + 1);
  }
  return pick(2) ? odd[pick(NELEM(odd))] : pick(3 * PGSIZE);
}

static int hostile_fd(void) {
  static const int bad[] = {-1, -2, NOFILE, NOFILE + 1, 100, 1 << 30, -0x7fffffff - 1};
  return bad[pick(NELEM(bad))];
}

static int any_fd(void) {
  if (nfds > 0 && pick(4))
    return fds[pick(nfds)];
  return hostile_fd();
}

// A path in scratch: odd, long, empty, or a name of the fuzz directory.
static char *odd_path(void) {
  static const char *fixed[] = {"",       "/",           ".",  "..",     "/fz//a", "/fz/./b/../c",
                                "a/b/c/", "/fz/../fz/d", "//", "ab\xff", "/README"};
  char *p = scratch + SCRATCH - 512;
  int kind = pick(6);
  if (kind == 0)
    return (char *)fixed[pick(NELEM(fixed))];
  if (kind == 1) { // longer than MAXPATH, or than DIRSIZ per element
    int n = pick(3) ? MAXPATH + pick(64) : 20 + pick(20);
    memset(p, 'a' + pick(5), n);
    p[n] = 0;
    return p;
  }
  int n = 1 + pick(3); // short names in the current directory
  for (int i = 0; i < n; i++)
    p[i] = "abcde"[pick(5)];
  p[n] = 0;
  return p;
}

static char *any_path(void) { return pick(5) ? odd_path() : (char *)hostile_ptr(); }

static void add_fd(int fd) {
  if (fd >= 3 && nfds < MAXFDS)
    fds[nfds++] = fd;
  else if (fd >= 3)
    close(fd);
}

static void drop_fd(int fd) {
  for (int i = 0; i < nfds; i++)
    if (fds[i] == fd)
      fds[i] = fds[--nfds];
}

// ---------------------------------------------------------------- checks

static void check_own(char *when) {
  int bad = check_fill(own, OWN_PAGES * PGSIZE, own_seed);
  if (bad >= 0)
    fail("seed %u worker %d%s: own memory changed at byte %d, op %ld (%s)", seed, worker,
         is_kid ? " child" : "", bad, ops, when);
}

static void rewrite_own(void) {
  own_seed = rnd();
  fill(own, OWN_PAGES * PGSIZE, own_seed);
}

// ---------------------------------------------------------------- operations

static int is_pipe(int fd) { return fd == pipe_r || fd == pipe_w; }

// Pipes are op_pipe's, which knows what is in them.
static void op_read(void) {
  uint64 ptr = hostile_ptr();
  int fd = any_fd();
  if (!is_pipe(fd))
    read(fd, (void *)ptr, length_for(ptr));
}

static void op_write(void) {
  uint64 ptr = hostile_ptr();
  int fd = any_fd();
  if (!is_pipe(fd))
    write(fd, (void *)ptr, length_for(ptr));
}

static void op_open(void) {
  static const int flags[] = {
      O_RDONLY, O_WRONLY, O_RDWR, O_CREATE | O_RDWR, O_CREATE | O_TRUNC | O_WRONLY, -1, 0x7fffffff};
  int f = flags[pick(NELEM(flags))], odd = pick(5);
  char *path = odd ? odd_path() : (char *)bad_ptr();
  if (odd && path[0] == '/' && path[1] != 'f')
    f = O_RDONLY; // files of the image are only read
  add_fd(open(path, f));
}

static void op_close(void) {
  int fd = nfds > 0 ? fds[pick(nfds)] : hostile_fd();
  if (!is_pipe(fd)) {
    close(fd);
    drop_fd(fd);
  }
}

static void op_dup(void) {
  int fd = any_fd();
  if (!is_pipe(fd))
    add_fd(dup(fd));
}

static void op_fstat(void) { fstat(any_fd(), (struct stat *)hostile_ptr()); }
static void op_mkdir(void) { mkdir(any_path()); }
static void op_unlink(void) { unlink(any_path()); }
static void op_link(void) { link(any_path(), any_path()); }
static void op_mknod(void) { mknod(any_path(), 2 + pick(NDEV + 4), pick(3)); } // not 1: console

static void op_chdir(void) {
  chdir(any_path());
  chdir("/fz");
}

static void op_create(void) {
  int fd = open(odd_path(), O_CREATE | O_WRONLY);
  if (fd >= 0) {
    write(fd, scratch, pick(3) ? pick(3000) : pick(SCRATCH));
    close(fd);
  }
}

static void close_pipe(void) {
  close(pipe_r);
  close(pipe_w);
  drop_fd(pipe_r);
  drop_fd(pipe_w);
  pipe_r = pipe_w = -1;
}

// A pipe of our own, read no further than the bytes known to be in it and
// written no further than they fit. A read into a bad buffer loses the
// bytes it took (pipe.c): then nobody knows what is left, and the pipe
// goes.
static void op_pipe(void) {
  if (pipe_r < 0) {
    int *p = pick(4) ? (int *)scratch : (int *)hostile_ptr();
    if (pipe(p) == 0 && p == (int *)scratch && nfds + 2 <= MAXFDS) {
      pipe_r = p[0];
      pipe_w = p[1];
      pipe_avail = 0;
      add_fd(pipe_r);
      add_fd(pipe_w);
    }
    return;
  }
  uint64 ptr = hostile_ptr();
  int n = length_for(ptr);
  if (pick(2)) {
    if (n >= 0 && n <= PIPE_BYTES - pipe_avail) {
      int w = write(pipe_w, (void *)ptr, n);
      pipe_avail += w > 0 ? w : 0;
    }
  } else if (pipe_avail > 0 && n > 0) {
    int r = read(pipe_r, (void *)ptr, n);
    if (r < 0)
      close_pipe();
    else
      pipe_avail -= r;
  } else if (pick(8) == 0) {
    close_pipe();
  }
}

// Grow and shrink, eagerly or lazily, touching pages; a worker never
// shrinks below heap_base, a child goes anywhere.
static void op_sbrk(void) {
  static const int huge[] = {0x7fffffff, -0x7fffffff - 1, 1 << 30, -(1 << 30)};
  uint64 top = (uint64)sbrk(0);
  if (is_kid && pick(4) == 0) {
    sbrk(pick(2) ? huge[pick(NELEM(huge))] : -(int)pick(top + 1));
    return;
  }
  if (top - heap_base < (2 << 20) && pick(2)) {
    int n = pick(64) * PGSIZE + pick(PGSIZE);
    char *p = pick(2) ? sbrk(n) : sbrklazy(n);
    if (p != SBRK_ERROR)
      for (int i = 0; i < n; i += PGSIZE * (1 + pick(4)))
        p[i] = (char)i;
  } else if (top > heap_base) {
    sbrk(-(int)pick(top - heap_base + 1));
  }
}

static void op_dedup(void) { dedup(); }
static void op_freepages(void) { freepages(); }
static void op_sleep(void) { sleep(pick(3) - 1); }
static void op_wait(void) { wait((int *)hostile_ptr()); } // our children: reaped or not
static void op_exec(void) { exec((char *)bad_ptr(), (char **)hostile_ptr()); } // must fail

static void op_memstat(void) {
  static struct memstat ms;
  memstat(pick(2) ? &ms : (struct memstat *)hostile_ptr());
}

static void op_vmaudit(void) {
  int v = vmaudit(); // -1: no memory to run it (VMCTL_FAIL_ALLOC)
  if (v > 0)
    fail("seed %u worker %d: vmaudit found %d violations at op %ld", seed, worker, v, ops);
}

static void op_vmctl(void) {
  int knob = pick(8) - 1, value = pick(4) - 1;
  if (knob == VMCTL_FAIL_ALLOC)
    value = pick(8) ? 0 : 1 + pick(50);
  vmctl(knob, value);
}

static void op_kill(void) {
  static const int pids[] = {-1, 0, 0x7fffffff, -0x7fffffff - 1, 1000000};
  kill(pids[pick(NELEM(pids))]);
}

// A system call number that does not exist.
static void op_nosys(void) {
  long num = pick(2) ? -(long)pick(100) - 1 : 200 + pick(1000), arg = hostile_ptr();
  register long a7 asm("a7") = num; // no call in between: it would clobber a7
  register long a0 asm("a0") = arg;
  asm volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

// ---------------------------------------------------------------- exec fodder

// A garbage file for exec: random bytes, or an ELF whose headers have one
// random field changed. Its text is the program exit(42) repeated, so
// whatever part of it runs ends the process at once.
static void make_garbage(char *path) {
  static const uint stub[] = {0x02a00513, 0x00200893, 0x00000073}; // a0=42 a7=exit ecall
  char *b = scratch;
  int n = 4096 + 120;
  for (int i = 0; i < n; i++)
    b[i] = rnd();
  if (pick(4)) {
    struct elfhdr *h = (struct elfhdr *)b;
    struct proghdr *ph = (struct proghdr *)(b + sizeof(*h));
    memset(b, 0, 4096);
    *h = (struct elfhdr){.magic = ELF_MAGIC,
                         .type = ELF_TYPE_EXEC,
                         .machine = ELF_MACHINE_RISCV,
                         .phoff = sizeof(*h),
                         .phentsize = sizeof(*ph),
                         .phnum = 1};
    h->ident[0] = ELF_CLASS64;
    h->ident[1] = ELF_DATA_LSB;
    *ph = (struct proghdr){ELF_PROG_LOAD, 5, 4096, 0, 0, 120, 120 + pick(3 * PGSIZE), 4096};
    for (int i = 0; i + 12 <= 120; i += 12)
      memmove(b + 4096 + i, stub, 12);
    // One random change to a header word, except the segment's offset
    // and alignment (words 9 and 14), which could bring the header bytes
    // under the entry point; the entry stays on a stub.
    uint64 *words = (uint64 *)b;
    int w = pick(15);
    if (pick(3) && w != 9 && w != 14)
      words[w] ^= rnd() << pick(64);
    h->entry = 12 * pick(10);
  }
  int fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd >= 0) {
    write(fd, b, n);
    close(fd);
  }
}

static void kid_exec(void) {
  char *argv[] = {"x", scratch, 0}, *paths[] = {"/true", "/fz/exe", "/fz/exe", any_path()};
  int k = pick(4);
  scratch[pick(200)] = 0;
  exec(paths[k], k == 2 ? (char **)hostile_ptr() : argv);
}

// ---------------------------------------------------------------- processes

static void random_op(void);

// A child: the worker's operations plus destructive ones, then exit.
static void kid(void) {
  is_kid = 1;
  rng = rng * 0x9e3779b97f4a7c15UL + 1; // the parent goes on with the old stream
  check_own("inherited at fork");
  rewrite_own();
  if (pipe_r >= 0)
    close_pipe(); // inherited: the worker counts what is in it
  nkids = 0;
  for (int i = 0; i < KID_OPS; i++) {
    switch (pick(10)) {
    case 0:
      kid_exec();
      break;
    case 1:
      if (pick(4) == 0)
        exit(pick(3) - 1);
      break;
    case 2:
      if (fork() == 0)
        exit(0); // a grandchild: no more than that
      break;
    default:
      random_op();
    }
    check_own("child");
  }
  exit(0);
}

// Kill and reap the oldest child (all of them if all); waiting may reap
// others first. A child already reaped by a hostile wait() is no more.
static void reap_kids(int all) {
  while (nkids > 0 && (all || nkids == MAXKIDS || pick(3) == 0)) {
    int target = kids[0], pid;
    kill(target);
    do {
      pid = wait(0);
      for (int i = 0; i < nkids; i++)
        if (kids[i] == pid || pid < 0)
          kids[i--] = kids[--nkids];
    } while (pid >= 0 && pid != target);
  }
}

static void op_fork(void) {
  if (is_kid)
    return;
  reap_kids(0);
  if (pick(3) == 0)
    make_garbage("/fz/exe");
  int pid = fork();
  if (pid == 0)
    kid();
  if (pid > 0)
    kids[nkids++] = pid;
}

static void op_check(void) { check_own("worker"); }

// The operations and their weights; bit i of the mask (the fourth
// argument) enables ops[i], for narrowing down a failure.
static const struct {
  void (*fn)(void);
  int weight;
  char *what;
} ops_table[] = {
    {op_read, 3, "read"},
    {op_write, 3, "write"},
    {op_open, 2, "open"},
    {op_close, 1, "close"},
    {op_dup, 1, "dup"},
    {op_fstat, 1, "fstat"},
    {op_mkdir, 1, "mkdir"},
    {op_unlink, 1, "unlink"},
    {op_link, 1, "link"},
    {op_mknod, 1, "mknod"},
    {op_chdir, 1, "chdir"},
    {op_create, 1, "file writes"},
    {op_pipe, 4, "pipes"},
    {op_sbrk, 4, "sbrk"},
    {op_dedup, 1, "dedup"},
    {op_vmaudit, 1, "vmaudit"},
    {op_memstat, 1, "memstat"},
    {op_freepages, 1, "freepages"},
    {op_vmctl, 1, "vmctl"},
    {op_nosys, 1, "bad calls"},
    {op_sleep, 1, "sleep"},
    {op_kill, 1, "kill"},
    {op_wait, 1, "wait"},
    {op_exec, 1, "exec"},
    {op_fork, 2, "fork: children exec, exit"},
    {op_check, 3, "own memory check"},
};
static int opmask = -1;

static void random_op(void) {
  int total = 0, i = 0;
  for (int k = 0; k < NELEM(ops_table); k++)
    total += ops_table[k].weight;
  for (int r = pick(total); r >= ops_table[i].weight; i++)
    r -= ops_table[i].weight;
  ops++;
  if (opmask >> i & 1)
    ops_table[i].fn();
}

static void run_worker(int w, uint sub, int until) {
  worker = w;
  rng = ((uint64)seed << 32 | sub) * 0x2545f4914f6cdd1dUL + 1;
  chdir("/fz");
  own = sbrk(OWN_PAGES * PGSIZE);
  if (own == SBRK_ERROR)
    fail("worker %d: sbrk failed", w);
  heap_base = (uint64)sbrk(0);
  rewrite_own();
  while (uptime() < until) {
    random_op();
    if (pick(64) == 0)
      rewrite_own();
  }
  reap_kids(1);
  check_own("at the end");
  say("fuzz: worker %d (stream %u): %ld operations", w, sub, ops);
  exit(0);
}

static int start_worker(int w, uint sub, int until) {
  int pid = fork();
  if (pid == 0)
    run_worker(w, sub, until);
  return pid;
}

// Remove what the run left under dir (fsck checks consistency, not this).
static void clean_dir(char *dir, int depth) {
  struct dirent de;
  char name[DIRSIZ + 1], path[64];
  int fd = open(dir, O_RDONLY);
  while (fd >= 0 && read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0 || de.name[0] == '.')
      continue;
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    tl_snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (unlink(path) < 0 && depth < 3) { // a directory that is not empty
      clean_dir(path, depth + 1);
      unlink(path);
    }
  }
  close(fd);
}

static void t_fuzz(char *tn) {
  say("fuzz: seed %u, %d s, %d workers (replay: fuzz %u %d %d)", seed, seconds, nworkers, seed,
      seconds, nworkers);
  mkdir("/fz");
  int until = uptime() + seconds * 10, pids[MAXWORKERS], streams = 0, killed = 0;
  for (int w = 0; w < nworkers; w++)
    if ((pids[w] = start_worker(w, streams++, until)) < 0)
      fail("fork of worker %d failed", w);
  for (int left = nworkers; left > 0;) {
    int status, pid = wait(&status), w;
    for (w = 0; w < nworkers && pids[w] != pid; w++)
      ;
    if (w == nworkers)
      continue; // an orphaned grandchild is init's, not ours
    if (status != 0 && status != -1) {
      for (int i = 0; i < nworkers; i++)
        if (pids[i] > 0)
          kill(pids[i]);
      fail("seed %u: worker %d failed (status %d)", seed, w, status);
    }
    if (status == -1 && uptime() < until - 10) { // killed by the kernel: replace it
      killed++;
      if ((pids[w] = start_worker(w, streams++, until)) > 0)
        continue;
    }
    pids[w] = 0;
    left--;
  }
  vmctl(VMCTL_FAIL_ALLOC, 0);
  vmctl(VMCTL_FORK_COPY, 0);
  vmctl(VMCTL_DEDUP_SCOPE, DEDUP_ALL);
  if (killed)
    say("fuzz: %d workers were killed by the kernel and replaced", killed);
  clean_dir("/fz", 0);
  if (unlink("/fz") < 0)
    say("fuzz: /fz not empty after cleaning");
}

static struct test tests[] = {{t_fuzz, "fuzz", 1}, {0, 0, 0}};

int main(int argc, char **argv) {
  if (argc > 1)
    seed = atoi(argv[1]);
  if (argc > 2)
    seconds = atoi(argv[2]);
  if (argc > 3)
    nworkers = atoi(argv[3]);
  if (argc > 4)
    opmask = atoi(argv[4]);
  if (seconds < 1 || nworkers < 1 || nworkers > MAXWORKERS) {
    printf("usage: fuzz [SEED [SECONDS [WORKERS (1-%d) [MASK]]]]; MASK bits:\n", MAXWORKERS);
    for (int i = 0; i < NELEM(ops_table); i++)
      printf("  %d  %s\n", 1 << i, ops_table[i].what);
    return 1;
  }
  char *args[] = {argv[0], 0};
  return run_suite("fuzz", tests, 1, args);
}
