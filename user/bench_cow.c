// bench_cow: what copy-on-write fork costs, each figure beside its baseline
// measured in the same run (vmctl(VMCTL_FORK_COPY, 1) makes fork copy
// eagerly, as xv6 does). Times come from the time CSR (10 MHz on QEMU virt)
// and are medians of several runs.
//
//   1. fork alone (until fork returns in the parent), and fork + child
//      exit + wait, with 1 to 64 MiB of heap: with every page written just
//      before (so fork must write-protect them all), and with the heap
//      unchanged since the previous fork
//   2. fork + exec of a small program (/true)
//   3. one COW fault (copy, and in-place reuse) against a bare 4 KiB copy
//   4. a child that writes every page of 32 MiB after fork, against the
//      copy an eager fork does
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"

#define REPS 7
#define MiB (1024 * 1024)
#define TICKS_PER_US 10 // time CSR frequency on QEMU virt: 10 MHz

static uint64 now(void) { return r_time(); }

static void die(char *why) {
  printf("bench_cow: %s\n", why);
  exit(1);
}

static void sort(uint64 *v, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint64 t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
}

static uint64 median(uint64 *v, int n) {
  sort(v, n);
  return v[n / 2];
}

// The heap grows to hold at least bytes, every page touched (resident).
static char *heap_base;
static uint64 heap_size;

static void heap_resize(uint64 bytes) {
  if (heap_base == 0)
    heap_base = sbrk(0);
  if (sbrk(bytes - heap_size) == SBRK_ERROR)
    die("sbrk failed");
  for (uint64 off = heap_size; off < bytes; off += PGSIZE)
    heap_base[off] = 1;
  heap_size = bytes;
}

// One fork + exit + wait: t[0] is the time until fork returned in the
// parent, t[1] the whole. Returns -1 if fork failed.
static int time_fork_exit_wait(uint64 t[2]) {
  uint64 t0 = now();
  int pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0)
    exit(0);
  t[0] = now() - t0;
  wait(0);
  t[1] = now() - t0;
  return 0;
}

// Write every page of the heap, so that it is private and writable again
// (the worst case for a COW fork, which must make it all read-only).
static void heap_dirty(void) {
  for (uint64 off = 0; off < heap_size; off += PGSIZE)
    heap_base[off]++;
}

// Medians of fork alone (med[0]) and fork + exit + wait (med[1]), eager or
// COW, with the heap written before each fork (dirty) or left as the
// previous fork left it; both 0 if a fork failed.
static void median_fork(int eager, int dirty, uint64 med[2]) {
  uint64 t[2][REPS], one[2] = {0, 0};
  int old = vmctl(VMCTL_FORK_COPY, eager), failed = 0;
  for (int i = 0; i < REPS && !failed; i++) {
    if (dirty)
      heap_dirty();
    failed = time_fork_exit_wait(one) < 0;
    t[0][i] = one[0];
    t[1][i] = one[1];
  }
  vmctl(VMCTL_FORK_COPY, old);
  for (int k = 0; k < 2; k++)
    med[k] = failed ? 0 : median(t[k], REPS);
}

static void print_ratio(uint64 base, uint64 ours) {
  if (base == 0 || ours == 0) {
    printf("        -");
    return;
  }
  uint64 tenths = base * 10 / ours;
  printf("  %5d.%dx", (int)(tenths / 10), (int)(tenths % 10));
}

// A point for the plots (tools/bench.py collects these lines and leaves
// them out of the table): series, x, y.
static void data(char *series, int x, uint64 ticks) {
  if (ticks)
    printf("data %s %d %d\n", series, x, (int)(ticks / TICKS_PER_US));
}

#define NSIZES 6
static int sizes[NSIZES] = {1, 4, 8, 16, 32, 64};

// One table: what = 0 fork alone, 1 fork + exit + wait.
static void print_fork_table(int what, uint64 m[NSIZES][3][2]) {
  printf("%s   eager    COW, written  eager/COW    COW, unchanged  eager/COW\n",
         what ? "fork + exit + wait (us)" : "fork alone (us)        ");
  for (int i = 0; i < NSIZES; i++) {
    uint64 eager = m[i][0][what], dirty = m[i][1][what], clean = m[i][2][what];
    printf("  %d MiB%s                 ", sizes[i], sizes[i] < 10 ? " " : "");
    if (eager)
      printf("%6d", (int)(eager / TICKS_PER_US));
    else
      printf("no mem");
    printf("   %6d     ", (int)(dirty / TICKS_PER_US));
    print_ratio(eager, dirty);
    printf("   %6d         ", (int)(clean / TICKS_PER_US));
    print_ratio(eager, clean);
    printf("\n");
  }
}

static void bench_fork_sizes(void) {
  static uint64 m[NSIZES][3][2]; // size, (eager, COW written, COW unchanged), what
  static char *series[2][3] = {
      {"fork.eager", "fork.cow_written", "fork.cow_unchanged"},
      {"fork_exit_wait.eager", "fork_exit_wait.cow_written", "fork_exit_wait.cow_unchanged"}};
  for (int i = 0; i < NSIZES; i++) {
    heap_resize((uint64)sizes[i] * MiB);
    median_fork(1, 1, m[i][0]);
    median_fork(0, 1, m[i][1]);
    median_fork(0, 0, m[i][2]);
    for (int what = 0; what < 2; what++)
      for (int k = 0; k < 3; k++)
        data(series[what][k], sizes[i], m[i][k][what]);
  }
  heap_resize(0);
  print_fork_table(0, m);
  print_fork_table(1, m);
}

static uint64 time_fork_exec(void) {
  uint64 t0 = now();
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    char *argv[] = {"true", 0};
    exec("/true", argv);
    die("exec /true failed");
  }
  wait(0);
  return now() - t0;
}

static void bench_fork_exec(void) {
  uint64 t[2][REPS];
  for (int eager = 0; eager < 2; eager++) {
    int old = vmctl(VMCTL_FORK_COPY, eager);
    for (int i = 0; i < REPS; i++)
      t[eager][i] = time_fork_exec();
    vmctl(VMCTL_FORK_COPY, old);
  }
  uint64 cow = median(t[0], REPS), eager = median(t[1], REPS);
  printf("fork + exec /true (us)   %6d   %6d     ", (int)(eager / TICKS_PER_US),
         (int)(cow / TICKS_PER_US));
  print_ratio(eager, cow);
  printf("\n");
}

// The same word loop as the kernel's memmove (kernel/string.c), so that the
// bare copy and the COW copy move bytes the same way.
static void copy_page(uint64 *d, const uint64 *s) {
  for (int i = 0; i < PGSIZE / 8; i += 4) {
    d[i] = s[i];
    d[i + 1] = s[i + 1];
    d[i + 2] = s[i + 2];
    d[i + 3] = s[i + 3];
  }
}

#define FAULT_PAGES 512

// Per-page cost (in time units x 100) of writing one byte to each page of
// the heap while a child shares it, or after the child is gone (reuse).
static uint64 time_faults(int child_alive) {
  int p[2];
  if (pipe(p) < 0)
    die("pipe failed");
  int pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1); // hold the shared pages until the parent is done
    exit(0);
  }
  close(p[0]);
  if (!child_alive) {
    close(p[1]);
    wait(0);
  }
  uint64 t0 = now();
  for (int i = 0; i < FAULT_PAGES; i++)
    heap_base[(uint64)i * PGSIZE] = 2;
  uint64 t = now() - t0;
  if (child_alive) {
    close(p[1]);
    wait(0);
  }
  return t * 100 / FAULT_PAGES;
}

static uint64 time_bare_copies(void) {
  // Make both halves private and resident first: after the fault tests
  // they may still be COW-shared, and a copy must not include a fault.
  for (int i = 0; i < 2 * FAULT_PAGES; i++)
    heap_base[(uint64)i * PGSIZE] = 4;
  // Page i goes to page 2 * FAULT_PAGES - 1 - i: source and destination
  // are then never a power of two apart, which would make them collide in
  // QEMU's direct-mapped software TLB and time QEMU rather than the copy.
  uint64 t0 = now();
  for (int i = 0; i < FAULT_PAGES; i++)
    copy_page((uint64 *)(heap_base + (uint64)(2 * FAULT_PAGES - 1 - i) * PGSIZE),
              (uint64 *)(heap_base + (uint64)i * PGSIZE));
  return (now() - t0) * 100 / FAULT_PAGES;
}

static void print_us100(uint64 t100) {
  // t100 is in time units x 100; one time unit is 0.1 us
  uint64 ns = t100 * (1000 / TICKS_PER_US) / 100;
  printf("%d.%d%d", (int)(ns / 1000), (int)(ns / 100 % 10), (int)(ns / 10 % 10));
}

static void bench_fault(void) {
  heap_resize(2 * FAULT_PAGES * PGSIZE);
  uint64 copy[REPS], reuse[REPS], bare[REPS];
  // One unmeasured round first: the host's first touches of guest memory
  // (and QEMU's first translations) would otherwise land in the figures.
  time_faults(1);
  time_faults(0);
  time_bare_copies();
  for (int i = 0; i < REPS; i++) {
    copy[i] = time_faults(1);
    reuse[i] = time_faults(0);
    bare[i] = time_bare_copies();
  }
  uint64 c = median(copy, REPS), r = median(reuse, REPS), b = median(bare, REPS);
  printf("one page (us)             COW copy   bare copy    COW/bare\n");
  printf("  fault that copies       ");
  print_us100(c);
  printf("      ");
  print_us100(b);
  uint64 tenths = c * 10 / b;
  printf("        %d.%dx\n", (int)(tenths / 10), (int)(tenths % 10));
  printf("  fault that reuses       ");
  print_us100(r);
  printf("\n");
  heap_resize(0);
}

// The child writes one byte in every page after fork; the time it takes
// against the time an eager fork takes to copy the same memory.
static uint64 time_child_writes(uint64 bytes) {
  int p[2];
  if (pipe(p) < 0)
    die("pipe failed");
  int pid = fork();
  if (pid == 0) {
    uint64 t0 = now();
    for (uint64 off = 0; off < bytes; off += PGSIZE)
      heap_base[off] = 3;
    uint64 t = now() - t0;
    write(p[1], &t, sizeof(t));
    exit(0);
  }
  uint64 t = 0;
  read(p[0], &t, sizeof(t));
  close(p[0]);
  close(p[1]);
  wait(0);
  return t;
}

static uint64 time_eager_fork(void) {
  int old = vmctl(VMCTL_FORK_COPY, 1);
  uint64 t0 = now();
  int pid = fork();
  uint64 t = now() - t0;
  vmctl(VMCTL_FORK_COPY, old);
  if (pid < 0)
    die("eager fork failed");
  if (pid == 0)
    exit(0);
  wait(0);
  return t;
}

static void bench_child_writes(void) {
  uint64 bytes = 32 * MiB;
  heap_resize(bytes);
  uint64 w[REPS], e[REPS];
  for (int i = 0; i < REPS; i++) {
    w[i] = time_child_writes(bytes);
    e[i] = time_eager_fork();
  }
  uint64 writes = median(w, REPS), eager = median(e, REPS);
  printf("32 MiB written after fork %d      %d", (int)(writes / TICKS_PER_US),
         (int)(eager / TICKS_PER_US));
  uint64 hundredths = writes * 100 / eager;
  printf("       COW/eager %d.%d%d\n", (int)(hundredths / 100), (int)(hundredths / 10 % 10),
         (int)(hundredths % 10));
  heap_resize(0);
}

int main(int argc, char **argv) {
  bench_fork_sizes();
  bench_fork_exec();
  bench_fault();
  printf("                          COW writes (us)  eager fork (us)\n");
  bench_child_writes();
  exit(0);
}
