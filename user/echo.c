// echo: print the arguments separated by blanks, then a newline. The line
// is assembled first and written with as few write() calls as fit, so
// concurrent echoes do not interleave word by word.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

static char line[512];
static int len;

static int flush(void) {
  int ok = len == 0 || write(1, line, len) == len;
  len = 0;
  return ok ? 0 : -1;
}

static int add(const char *s) {
  for (; *s; s++) {
    if (len == sizeof(line) && flush() < 0)
      return -1;
    line[len++] = *s;
  }
  return 0;
}

int main(int argc, char *argv[]) {
  for (int i = 1; i < argc; i++)
    if (add(argv[i]) < 0 || add(i + 1 < argc ? " " : "") < 0)
      goto err;
  if (add("\n") < 0 || flush() < 0)
    goto err;
  return 0;
err:
  fprintf(2, "echo: write error\n");
  return 1;
}
