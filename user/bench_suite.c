// bench_suite: how much swapping costs a whole test suite. Runs the
// program named on the command line (e.g. `bench_suite test_sys`) twice in
// this boot, with swapping on and then off (vmctl(VMCTL_SWAP)), and prints
// the time of each run and their ratio. The suite's own output is read
// through a pipe and only its closing line is shown. Goal (for the 1-hart
// test_sys): swap on costs at most 1.2x swap off.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"

#define TICKS_PER_MS 10000

static char line[256];

// Run argv with its output into a pipe; keep its last line. Returns the
// time in ms, or -1.
static int run_once(char **argv) {
  int p[2];
  if (pipe(p) < 0)
    return -1;
  uint64 t0 = r_time();
  int pid = fork();
  if (pid == 0) {
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    exec(argv[0], argv);
    fprintf(2, "bench_suite: cannot run %s\n", argv[0]);
    exit(1);
  }
  close(p[1]);
  int len = 0;
  char c;
  while (read(p[0], &c, 1) == 1) {
    if (c == '\n') {
      line[len] = 0;
      len = 0; // the line stays in line[] until the next one ends
    } else if (len < (int)sizeof(line) - 1) {
      line[len++] = c;
    }
  }
  close(p[0]);
  int status;
  wait(&status);
  return (int)((r_time() - t0) / TICKS_PER_MS);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: bench_suite program [args]\n");
    exit(1);
  }
  int ms[2];
  for (int off = 0; off < 2; off++) {
    int was = vmctl(VMCTL_SWAP, !off);
    ms[off] = run_once(argv + 1);
    vmctl(VMCTL_SWAP, was);
    printf("%s with swap %s: %d ms (%s)\n", argv[1], off ? "off" : "on", ms[off], line);
  }
  if (ms[0] > 0 && ms[1] > 0)
    printf("swap on / swap off: %d.%02dx\n", ms[0] / ms[1], ms[0] * 100 / ms[1] % 100);
  return 0;
}
