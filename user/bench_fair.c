// bench_fair: does a process that faults make progress while another one
// calls dedup() in a loop? dedup() takes every address-space lock at once
// (kernel/vm/dedup.c), and a fault needs its own process's; with sleep
// locks that are not fair, the scanner retakes them all before the woken
// faulter runs, again and again.
//
//   bench_fair [FAULTS [RUNS [MIB]]]
//
// The parent first fills MIB MiB (default 4) of distinct pages, so that
// each scan has that much to look at.
// Each run: a child loops on dedup() and counts its scans; the parent
// touches FAULTS fresh lazy pages (one page fault each) and times every
// touch with the time CSR (10 MHz on QEMU virt). Printed per run: the
// time for all faults, the median and the longest single fault, and the
// scans completed meanwhile (memstat); first the same faults with no
// scanner, as the baseline. A run gives up after LIMIT_S seconds and says
// how many faults it got through.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define TICKS_PER_US 10
#define LIMIT_S 30
#define MAXFAULTS 4096

static uint64 lat[MAXFAULTS];

static void die(char *why) {
  printf("bench_fair: %s\n", why);
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

// The child: dedup() until killed.
static int start_scanner(void) {
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    for (;;)
      if (dedup() < 0)
        die("dedup failed");
  }
  return pid;
}

static uint64 scans_so_far(void) {
  static struct memstat ms;
  if (memstat(&ms) < 0)
    die("memstat failed");
  return ms.dedup_scans;
}

// Touch n fresh lazy pages; fills lat[]. Returns the faults done before
// the time limit.
static int fault_pages(int n) {
  char *base = sbrklazy(n * PGSIZE);
  if (base == SBRK_ERROR)
    die("sbrklazy failed");
  uint64 limit = r_time() + (uint64)LIMIT_S * 1000000 * TICKS_PER_US;
  int i;
  for (i = 0; i < n && r_time() < limit; i++) {
    uint64 t0 = r_time();
    base[(uint64)i * PGSIZE] = 1;
    lat[i] = r_time() - t0;
  }
  sbrk(-n * PGSIZE);
  return i;
}

static void run(int n, int scanner) {
  int pid = scanner ? start_scanner() : -1;
  sleep(2); // let the scanner get going
  uint64 s0 = scans_so_far(), t0 = r_time();
  int done = fault_pages(n);
  uint64 total = r_time() - t0, scans = scans_so_far() - s0;
  if (scanner) {
    kill(pid);
    wait(0);
  }
  sort(lat, done);
  printf("%s  %d/%d faults  %d ms total  median %d us  max %d us  %d scans\n",
         scanner ? "with dedup loop" : "alone          ", done, n,
         (int)(total / TICKS_PER_US / 1000), (int)(lat[done / 2] / TICKS_PER_US),
         (int)(lat[done - 1] / TICKS_PER_US), (int)scans);
}

// Resident pages of distinct content for the scans to hash.
static void ballast(int mib) {
  int pages = mib * 256;
  char *p = sbrk(pages * PGSIZE);
  if (p == SBRK_ERROR)
    die("sbrk failed");
  for (int i = 0; i < pages; i++)
    *(int *)(p + (uint64)i * PGSIZE) = i + 1;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  int runs = argc > 2 ? atoi(argv[2]) : 3;
  int mib = argc > 3 ? atoi(argv[3]) : 4;
  if (n < 1 || n > MAXFAULTS)
    die("FAULTS must be 1..4096");
  ballast(mib);
  printf("%d faults, %d MiB resident\n", n, mib);
  run(n, 0);
  for (int r = 0; r < runs; r++)
    run(n, 1);
  return 0;
}
