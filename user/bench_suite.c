// bench_suite: how much swapping costs a whole test suite. Runs the
// program named on the command line (e.g. `bench_suite test_sys`) twice in
// this boot, with swapping on and then off (vmctl(VMCTL_SWAP)), and prints
// the time of each run and their ratio. The suite's own output goes to a
// file, of which only the closing line is shown. Goal (for the 1-hart
// test_sys): swap on costs at most 1.2x swap off.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/vmctl.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

#define TICKS_PER_MS 10000

#define OUT "bench_suite.out"

static char line[256];

// The last line of the file the run wrote its output to.
static void last_line(void) {
  int fd = open(OUT, O_RDONLY), len = 0;
  char c;
  line[0] = 0;
  while (fd >= 0 && read(fd, &c, 1) == 1) {
    if (c != '\n' && len < (int)sizeof(line) - 1) {
      line[len++] = c;
    } else if (c == '\n') {
      line[len] = 0; // kept until the next line ends
      len = 0;
    }
  }
  close(fd);
  unlink(OUT);
}

// Run argv with its standard output into a file; keep its last line.
// Returns the time in ms.
static int run_once(char **argv) {
  uint64 t0 = r_time();
  int pid = fork();
  if (pid == 0) {
    close(1); // the file opened next becomes fd 1
    if (open(OUT, O_CREATE | O_WRONLY | O_TRUNC) != 1)
      exit(1);
    exec(argv[0], argv);
    exit(1);
  }
  int status;
  while (wait(&status) != pid)
    ;
  int ms = (int)((r_time() - t0) / TICKS_PER_MS);
  last_line();
  return ms;
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
