// mkdir: create each named directory. Exit status 1 if any could not be
// created.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(2, "usage: mkdir dir...\n");
    return 1;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (mkdir(argv[i]) < 0) {
      fprintf(2, "mkdir: %s failed to create\n", argv[i]);
      status = 1;
    }
  }
  return status;
}
