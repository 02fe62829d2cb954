// cat: write each named file in turn, or the standard input when no file
// is named, to the standard output.
//
// A file that cannot be opened or read is reported on the standard error
// and skipped; the exit status is then 1. A failed write to the standard
// output is reported the same way.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

#define CHUNK 4096 // bytes per read: a page, whatever the file's blocks

static char chunk[CHUNK];

// Copy everything from descriptor in to descriptor 1. 0, or 1 after
// saying why not.
static int pour(int in, char *name) {
  for (;;) {
    int got = read(in, chunk, CHUNK);
    if (got == 0)
      return 0;
    if (got < 0) {
      fprintf(2, "cat: read error on %s\n", name);
      return 1;
    }
    if (write(1, chunk, got) != got) {
      fprintf(2, "cat: write error\n");
      return 1;
    }
  }
}

int main(int argc, char *argv[]) {
  int status = 0;

  if (argc == 1)
    exit(pour(0, "standard input"));
  for (char **name = argv + 1; *name; name++) {
    int in = open(*name, O_RDONLY);
    if (in < 0) {
      fprintf(2, "cat: cannot open %s\n", *name);
      status = 1;
    } else {
      status |= pour(in, *name);
      close(in);
    }
  }
  exit(status);
}
