// Compatibility fixture (run by test_compat): the include order of xv6's
// init.c, which pulls kernel/spinlock.h, sleeplock.h and file.h into a user
// program for CONSOLE. Written in xv6's style on purpose.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "user/user.h"
#include "kernel/fcntl.h"

int
main(int argc, char **argv)
{
  struct stat info;
  int cons = open("console", O_RDWR);

  if(cons < 0 || fstat(cons, &info) < 0 || info.type != T_DEVICE){
    printf("compat_init: no console device (fd %d)\n", cons);
    exit(1);
  }
  printf("compat_init: CONSOLE=%d ok\n", CONSOLE);
  return 0;
}
