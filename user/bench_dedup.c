// bench_dedup: how long a dedup() scan takes for 10 to 80 MiB of
// duplicate and of unique data, beside the time to hash the same pages
// alone with the same function (kernel/vm/pagehash.h) in the same run.
// Goals: the scan is linear (8x the pages costs at most 9x the time) and
// costs at most 3x hashing alone.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/vm/pagehash.h"
#include "user/user.h"
#include "user/checked.h"

#define REPS 3
#define MiB (1024 * 1024)
#define TICKS_PER_US 10

static char *base;

static void die(char *why) {
  printf("bench_dedup: %s\n", why);
  exit(1);
}

static void fill(int pages, int unique) {
  for (int i = 0; i < pages; i++) {
    uint64 *w = (uint64 *)(base + (uint64)i * PGSIZE);
    for (int k = 0; k < PGSIZE / 8; k++)
      w[k] = unique ? ((uint64)i << 32) + k : 0x0123456789abcdefUL + k;
  }
}

static uint64 min3(uint64 *t) {
  uint64 m = t[0];
  for (int i = 1; i < REPS; i++)
    if (t[i] < m)
      m = t[i];
  return m;
}

static volatile uint64 sink; // keeps the hashing from being optimized away

// The process holds exactly the pages measured: the scan covers every
// resident page of the system, so idle ones would be timed too.
static void measure(int mib, int unique, uint64 *scan_us, uint64 *hash_us) {
  int pages = mib * MiB / PGSIZE;
  uint64 scan[REPS], hash[REPS];
  if ((base = sbrk(pages * PGSIZE)) == SBRK_ERROR)
    die("sbrk failed");
  for (int r = 0; r < REPS; r++) {
    fill(pages, unique);
    dedup(); // merge everything else in the system first
    fill(pages, unique);
    uint64 t0 = r_time();
    if (dedup() < 0)
      die("dedup failed");
    scan[r] = r_time() - t0;
    t0 = r_time();
    uint64 h = 0;
    for (int i = 0; i < pages; i++)
      h += page_hash(base + (uint64)i * PGSIZE);
    hash[r] = r_time() - t0;
    sink = h;
  }
  *scan_us = min3(scan) / TICKS_PER_US;
  *hash_us = min3(hash) / TICKS_PER_US;
  sbrk(-pages * PGSIZE);
}

static void print_x(uint64 num, uint64 den) {
  uint64 tenths = den ? num * 10 / den : 0;
  printf("%d.%dx", (int)(tenths / 10), (int)(tenths % 10));
}

#define NSIZES 5

int main(void) {
  static int sizes[NSIZES] = {10, 20, 40, 60, 80};
  printf("dedup scan      data       scan (us)   hash alone (us)   scan/hash\n");
  for (int unique = 0; unique < 2; unique++) {
    uint64 first = 0, last = 0;
    for (int i = 0; i < NSIZES; i++) {
      uint64 scan, hash;
      measure(sizes[i], unique, &scan, &hash);
      printf("  %d MiB%s       %s  %d        %d             ", sizes[i], sizes[i] < 10 ? " " : "",
             unique ? "unique   " : "duplicate", (int)scan, (int)hash);
      print_x(scan, hash);
      printf("\n");
      // Points for the plots (tools/bench.py leaves them out of the table).
      printf("data dedup.scan_%s %d %d\n", unique ? "unique" : "duplicate", sizes[i], (int)scan);
      printf("data dedup.hash_%s %d %d\n", unique ? "unique" : "duplicate", sizes[i], (int)hash);
      if (i == 0)
        first = scan;
      last = scan;
    }
    printf("  80 MiB / 10 MiB scan time: ");
    print_x(last, first);
    printf(" (8x the pages)\n");
  }
  exit(0);
}
