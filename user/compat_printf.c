// Compatibility fixture (run by test_compat): printf the way course
// programs use it. The formats below do not match their arguments; xv6
// accepts that under -Wall -Werror, so this file must build here too.
// Written in xv6's style on purpose; `make format` leaves compat_*.c alone.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  uint64 big = 0x0123456789abcdefULL;
  int n = 42;

  printf("p=%p\n", big);              // %p given a uint64
  printf("n=%d\n", n, 7, "unused");   // more arguments than conversions
  printf("s=%s\n", 0);                // %s given an int
  printf("x=%x\n", big);              // %x given a uint64: the low 32 bits
  printf("ld=%ld\n", n);              // %ld given an int
  fprintf(1, "f=%d %s\n", 5, "five", big);
  printf("%c%c\n", 'o', 'k');
  exit(0);
}
