// kill: kill each process whose id is given. Exit status 1 if any could
// not be killed.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(2, "usage: kill pid...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (kill(atoi(argv[i])) < 0) {
      fprintf(2, "kill: cannot kill %s\n", argv[i]);
      status = 1;
    }
  }
  return status;
}
