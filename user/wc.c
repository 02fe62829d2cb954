// wc: count lines, words and bytes of each named file, or of the standard
// input if none is named, and print "lines words bytes name" per file.
// A word is a maximal run of non-blank bytes.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

static char buf[4096];

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'; }

// Count fd's content and print the totals under name; 0, or -1 on a read
// error.
static int count(int fd, const char *name) {
  int lines = 0, words = 0, bytes = 0, in_word = 0, n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    bytes += n;
    for (int i = 0; i < n; i++) {
      if (buf[i] == '\n')
        lines++;
      if (blank(buf[i]))
        in_word = 0;
      else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "wc: read error\n");
    return -1;
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
  return 0;
}

int main(int argc, char *argv[]) {
  if (argc < 2)
    return count(0, "") < 0;
  int status = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      status = 1;
      continue;
    }
    if (count(fd, argv[i]) < 0)
      status = 1;
    close(fd);
  }
  return status;
}
