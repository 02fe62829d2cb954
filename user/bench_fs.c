// bench_fs: how the file system's hot path scales with harts, and what a
// call that writes the disk costs. Times come from the time CSR (10 MHz on
// QEMU virt); each figure is the fastest of REPS runs, the one the host
// (shared, with fewer cores than harts) disturbed least.
//
//   1. cached reads: P processes at once (P = 1, 2, 3), each opening an
//      8 KiB file in a directory of its own, reading it 1 KiB at a time
//      and closing it, ROUNDS times. Every block is cached after the first
//      round, so no disk is involved, and no process waits for another's
//      inode: the time is that of the path walk, the inode and buffer
//      caches and the locks they share. Were no lock shared, P processes
//      would finish in the time of one, up to the host's core count.
//   2. a small file created, written (3 KiB), closed and removed: four
//      transactions, each committed to the disk.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define REPS 7
#define ROUNDS 200
#define MAXP 3
#define FILE_KIB 8
#define TICKS_PER_US 10 // time CSR frequency on QEMU virt: 10 MHz

static char buf[1024];

static void die(char *why) {
  printf("bench_fs: %s\n", why);
  exit(1);
}

static uint64 fastest(uint64 *v) {
  uint64 m = v[0];
  for (int i = 1; i < REPS; i++)
    if (v[i] < m)
      m = v[i];
  return m;
}

static char *dir_of(int id) {
  static char name[] = "bench_fs.0";
  name[sizeof(name) - 2] = '0' + id;
  return name;
}

static void make_files(void) {
  memset(buf, 'x', sizeof(buf));
  for (int id = 0; id < MAXP; id++) {
    if (mkdir(dir_of(id)) < 0 || chdir(dir_of(id)) < 0)
      die("cannot make the directories");
    int fd = open("f", O_CREATE | O_RDWR);
    for (int k = 0; k < FILE_KIB; k++)
      if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
        die("cannot make the files");
    close(fd);
    chdir("..");
  }
}

static void reader(int id) {
  if (chdir(dir_of(id)) < 0)
    die("chdir failed");
  for (int r = 0; r < ROUNDS; r++) {
    int fd = open("f", O_RDONLY), n = 0;
    while (read(fd, buf, sizeof(buf)) == sizeof(buf))
      n++;
    if (fd < 0 || n != FILE_KIB)
      die("short read");
    close(fd);
  }
  exit(0);
}

// Time for nproc processes to do ROUNDS rounds each, at once.
static uint64 time_readers(int nproc) {
  uint64 t0 = r_time();
  for (int id = 0; id < nproc; id++) {
    int pid = fork();
    if (pid < 0)
      die("fork failed");
    if (pid == 0)
      reader(id);
  }
  for (int id = 0; id < nproc; id++)
    wait(0);
  return r_time() - t0;
}

static uint64 time_small_file(void) {
  uint64 t0 = r_time();
  int fd = open("bench_fs.new", O_CREATE | O_RDWR);
  for (int k = 0; k < 3; k++)
    if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
      die("cannot write");
  close(fd);
  if (unlink("bench_fs.new") < 0)
    die("cannot unlink");
  return r_time() - t0;
}

int main(void) {
  uint64 t[REPS], one = 0;

  make_files();
  time_readers(MAXP); // warm the caches
  printf("cached reads      time (us)   us/round   rounds/ms   vs 1 process\n");
  for (int nproc = 1; nproc <= MAXP; nproc++) {
    for (int r = 0; r < REPS; r++)
      t[r] = time_readers(nproc);
    uint64 us = fastest(t) / TICKS_PER_US, rounds = (uint64)nproc * ROUNDS;
    if (nproc == 1)
      one = us;
    uint64 speedup10 = us ? one * nproc * 10 / us : 0;
    printf("  %d process%s     %d       %d         %d          %d.%dx\n", nproc,
           nproc == 1 ? "  " : "es", (int)us, (int)(us / ROUNDS), (int)(rounds * 1000 / us),
           (int)(speedup10 / 10), (int)(speedup10 % 10));
  }
  for (int r = 0; r < REPS; r++)
    t[r] = time_small_file();
  printf("create + write 3 KiB + close + unlink: %d us\n", (int)(fastest(t) / TICKS_PER_US));
  for (int id = 0; id < MAXP; id++) {
    chdir(dir_of(id));
    unlink("f");
    chdir("..");
    unlink(dir_of(id));
  }
  exit(0);
}
