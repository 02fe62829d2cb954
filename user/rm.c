// rm: remove each named file (or empty directory). Exit status 1 if any
// could not be removed.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(2, "usage: rm file...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (unlink(argv[i]) < 0) {
      fprintf(2, "rm: %s failed to delete\n", argv[i]);
      status = 1;
    }
  }
  return status;
}
