// bench_swap: swap throughput and the clock's choice of victims, each
// beside its baseline in the same boot.
//
//   1. A working set of 1.5 x the free memory touched sequentially: the
//      first pass writes every page (RAM fills, then every new page pushes
//      an old one out: swap-out MiB/s); the second reads every page again
//      from the start (each comes back from disk: swap-in MiB/s). Beside
//      them, writing and reading a file (at most FILE_TOTAL bytes: the
//      file system writes well under 1 MiB/s, so the same number of bytes
//      would take minutes; the rate is what is compared).
//      Goal: swap-out at least as fast as the file write.
//   2. Hot and cold: a 16 MiB hot set read continually while a 200 MiB
//      cold stream passes through. Goal: the hot set's refaults per pass
//      stay at most 5 % of it.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/checked.h"

#define MiB (1024 * 1024)
#define TICKS_PER_US 10
#define FILE_BYTES (256 * 1024) // a file of MAXFILE blocks is 268 KiB
#define FILE_TOTAL (4 * MiB)     // bytes written (and read) to time the file
#define HOT_PAGES (16 * MiB / PGSIZE)
#define COLD_PAGES (200 * MiB / PGSIZE)
#define COLD_CHUNK 512 // cold pages between two passes over the hot set

static struct memstat ms;
static char buf[PGSIZE];

static void die(char *why) {
  printf("bench_swap: %s\n", why);
  exit(1);
}

static struct memstat *stats(void) {
  if (memstat(&ms) < 0)
    die("memstat failed");
  return &ms;
}

static uint64 now_us(void) { return r_time() / TICKS_PER_US; }

// MiB/s as "x.y" for bytes moved in us microseconds.
static void print_rate(char *what, uint64 bytes, uint64 us) {
  uint64 tenths = us ? bytes * 10 * 1000000 / MiB / us : 0;
  printf("%-34s %6d MiB %8d ms %5d.%d MiB/s\n", what, (int)(bytes / MiB), (int)(us / 1000),
         (int)(tenths / 10), (int)(tenths % 10));
}

static volatile uint64 sink;

// Write (or read) the first word of each of n pages from base.
static void touch(char *base, int n, int write) {
  uint64 sum = 0;
  for (int i = 0; i < n; i++) {
    uint64 *w = (uint64 *)(base + (uint64)i * PGSIZE);
    if (write)
      *w = i;
    else
      sum += *w;
  }
  sink = sum;
}

// Write bytes to a file of FILE_BYTES, over and over; returns the time.
static uint64 file_write(uint64 bytes) {
  uint64 t0 = now_us();
  for (uint64 done = 0; done < bytes;) {
    int fd = open("bench_swap.tmp", O_CREATE | O_WRONLY | O_TRUNC);
    if (fd < 0)
      die("cannot create the file");
    for (int k = 0; k < FILE_BYTES / PGSIZE && done < bytes; k++, done += PGSIZE)
      if (write(fd, buf, PGSIZE) != PGSIZE)
        die("file write failed");
    close(fd);
  }
  return now_us() - t0;
}

static uint64 file_read(uint64 bytes) {
  uint64 t0 = now_us();
  for (uint64 done = 0; done < bytes;) {
    int fd = open("bench_swap.tmp", O_RDONLY);
    if (fd < 0)
      die("cannot open the file");
    for (int k = 0; k < FILE_BYTES / PGSIZE && done < bytes; k++, done += PGSIZE)
      if (read(fd, buf, PGSIZE) != PGSIZE)
        die("file read failed");
    close(fd);
  }
  return now_us() - t0;
}

static void throughput(void) {
  int n = freepages() * 3 / 2;
  char *base = sbrklazy(n * PGSIZE);
  if (base == SBRK_ERROR)
    die("sbrklazy failed");
  uint64 outs = stats()->swap_outs, t0 = now_us();
  touch(base, n, 1);
  uint64 out_us = now_us() - t0, out_bytes = (stats()->swap_outs - outs) * PGSIZE;
  uint64 ins = ms.swap_ins;
  t0 = now_us();
  touch(base, n, 0);
  uint64 in_us = now_us() - t0, in_bytes = (stats()->swap_ins - ins) * PGSIZE;
  sbrk(-n * PGSIZE);
  printf("working set %d MiB (1.5 x free memory), touched sequentially\n", n / 256);
  printf("%-34s %10s %11s %13s\n", "", "moved", "time", "throughput");
  uint64 write_us = file_write(FILE_TOTAL), read_us = file_read(FILE_TOTAL);
  print_rate("swap-out (first pass, writes)", out_bytes, out_us);
  print_rate("file write", FILE_TOTAL, write_us);
  print_rate("swap-in (second pass, reads)", in_bytes, in_us);
  print_rate("file read", FILE_TOTAL, read_us);
  unlink("bench_swap.tmp");
  // Points for the plot: x 1 is writing (swap-out), x 2 reading (swap-in),
  // y in KiB/s.
  printf("data swap.rate_swap 1 %d\n", (int)(out_us ? out_bytes * 1000000 / 1024 / out_us : 0));
  printf("data swap.rate_swap 2 %d\n", (int)(in_us ? in_bytes * 1000000 / 1024 / in_us : 0));
  printf("data swap.rate_file 1 %d\n", (int)((uint64)FILE_TOTAL * 1000000 / 1024 / write_us));
  printf("data swap.rate_file 2 %d\n", (int)((uint64)FILE_TOTAL * 1000000 / 1024 / read_us));
}

// Refaults of the hot set per pass once the cold stream has filled RAM.
static void hot_and_cold(void) {
  char *hot = sbrklazy(HOT_PAGES * PGSIZE), *cold = sbrklazy(COLD_PAGES * PGSIZE);
  if (hot == SBRK_ERROR || cold == SBRK_ERROR)
    die("sbrklazy failed");
  touch(hot, HOT_PAGES, 1);
  int ram = stats()->total_frames;
  uint64 refaults = 0, passes = 0, worst = 0;
  for (int c = 0; c + COLD_CHUNK <= COLD_PAGES; c += COLD_CHUNK) {
    touch(cold + (uint64)c * PGSIZE, COLD_CHUNK, 1);
    uint64 ins = stats()->swap_ins;
    touch(hot, HOT_PAGES, 0);
    uint64 r = stats()->swap_ins - ins;
    printf("data swap.hot_refaults %d %d\n", (c + COLD_CHUNK) * PGSIZE / MiB,
           (int)(r * 1000 / HOT_PAGES)); // per mille of the hot set
    if (c >= ram) { // RAM is full of cold pages: count from here on
      refaults += r;
      passes++;
      worst = r > worst ? r : worst;
    }
  }
  printf("\nhot set %d MiB read after every %d MiB of a %d MiB cold stream\n",
         HOT_PAGES * PGSIZE / MiB, COLD_CHUNK * PGSIZE / MiB, COLD_PAGES * PGSIZE / MiB);
  uint64 avg100 = passes ? refaults * 10000 / passes / HOT_PAGES : 0;
  printf("hot-set refaults per pass: %d.%d%d %% on average, %d pages at worst, over %d passes\n",
         (int)(avg100 / 100), (int)(avg100 / 10 % 10), (int)(avg100 % 10), (int)worst, (int)passes);
  sbrk(-(HOT_PAGES + COLD_PAGES) * PGSIZE);
}

int main(int argc, char **argv) {
  if (stats()->swap_slots == 0)
    die("no swap device");
  throughput();
  hot_and_cold();
  return 0;
}
