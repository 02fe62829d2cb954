// init: the first user process, which the kernel starts from /init.
//
// It gives itself the console as descriptors 0, 1 and 2 (making the
// console's device file on a fresh file system), then keeps a shell
// alive: it starts sh, and waits. Every process whose parent exits is
// handed to init, so its waits also reap those orphans; when the shell
// itself exits, init starts a new one. init never exits unless it cannot
// do its job (the kernel would panic then, as on xv6).
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/file.h"
#include "user/user.h"
#include "user/checked.h"

static char *shell_argv[] = {"sh", 0};

static void give_up(char *what) {
  fprintf(2, "init: %s failed\n", what);
  exit(1);
}

// Open the console as descriptor 0 and copy it to 1 and 2. Nothing is
// open yet, so each call takes the lowest free descriptor. Before that
// works there is nowhere to print a complaint.
static void attach_console(void) {
  int in = open("console", O_RDWR);

  if (in < 0 && mknod("console", CONSOLE, 0) == 0)
    in = open("console", O_RDWR);
  if (in < 0)
    exit(1);
  for (int out = 1; out <= 2; out++)
    dup(in);
}

static int start_shell(void) {
  int pid;

  printf("init: starting sh\n");
  if ((pid = fork()) == 0) {
    exec(shell_argv[0], shell_argv);
    give_up("exec sh");
  }
  if (pid < 0)
    give_up("fork");
  return pid;
}

int main(void) {
  attach_console();
  for (;;) {
    int shell = start_shell(), gone;
    do {
      if ((gone = wait(0)) < 0)
        give_up("wait");
    } while (gone != shell);
  }
}
