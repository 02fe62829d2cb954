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
main(void)
{
  int fd;
  struct stat st;

  fd = open("console", O_RDWR);
  if(fd < 0){
    printf("compat_init: cannot open console\n");
    exit(1);
  }
  if(fstat(fd, &st) < 0 || st.type != T_DEVICE){
    printf("compat_init: console is not a device\n");
    exit(1);
  }
  close(fd);
  printf("compat_init: CONSOLE=%d ok\n", CONSOLE);
  return 0;
}
