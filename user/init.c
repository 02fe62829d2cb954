// init: the first user process.
//
// Makes fds 0, 1 and 2 the console (creating the console device file on a
// fresh file system), then keeps a shell running: it starts sh, reaps every
// process that exits (the kernel hands orphans to init), and starts a new
// sh whenever the current one exits.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

#define CONSOLE 1 // the console's major device number (xv6's value)

static char *sh_argv[] = {"sh", 0};

static void open_console(void) {
  if (open("console", O_RDWR) < 0) {
    mknod("console", CONSOLE, 0);
    if (open("console", O_RDWR) < 0)
      exit(1); // nowhere to report it
  }
  dup(0); // stdout
  dup(0); // stderr
}

static int start_sh(void) {
  printf("init: starting sh\n");
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "init: fork failed\n");
    exit(1);
  }
  if (pid == 0) {
    exec("sh", sh_argv);
    fprintf(2, "init: exec sh failed\n");
    exit(1);
  }
  return pid;
}

int main(void) {
  open_console();
  for (;;) {
    int sh = start_sh();
    // Reap children, ours and adopted ones, until the shell itself exits.
    for (;;) {
      int pid = wait(0);
      if (pid == sh)
        break;
      if (pid < 0) {
        fprintf(2, "init: wait failed\n");
        exit(1);
      }
    }
  }
}
