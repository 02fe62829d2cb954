// grep: print the lines of each named file, or of the standard input, that
// match a simple regular expression somewhere:
//   c   a literal character       .   any character
//   x*  zero or more of x         ^   (first) start of line
//   $   (last) end of line
// Exit status 0 unless a file could not be read or the usage is wrong.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

static char buf[4096];

static int matches_here(const char *re, const char *s);

static int same(char pattern, char c) { return pattern == '.' || pattern == c; }

// Does c* followed by re match at the start of s? Tries the longest run of
// c first, then shorter ones.
static int matches_star(char c, const char *re, const char *s) {
  const char *end = s;
  while (*end && same(c, *end))
    end++;
  for (;; end--) {
    if (matches_here(re, end))
      return 1;
    if (end == s)
      return 0;
  }
}

// Does re match a prefix of s?
static int matches_here(const char *re, const char *s) {
  for (; *re; re++, s++) {
    if (re[1] == '*')
      return matches_star(re[0], re + 2, s);
    if (re[0] == '$' && re[1] == 0)
      return *s == 0;
    if (*s == 0 || !same(re[0], *s))
      return 0;
  }
  return 1;
}

// Does re match anywhere in the line s?
static int matches(const char *re, const char *s) {
  if (re[0] == '^')
    return matches_here(re + 1, s);
  for (;; s++) {
    if (matches_here(re, s))
      return 1;
    if (*s == 0)
      return 0;
  }
}

// Print line (len bytes, NUL at line[len]) if it matches.
static void consider(const char *re, char *line, int len) {
  if (!matches(re, line))
    return;
  line[len] = '\n'; // the NUL's place: line and newline in one write
  write(1, line, len + 1);
}

// Search fd line by line; 0, or -1 on a read error. A line longer than
// the buffer is treated as several lines.
static int search(const char *re, int fd) {
  int have = 0, n;
  while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
    have += n;
    int start = 0;
    for (int i = 0; i < have; i++) {
      if (buf[i] == '\n') {
        buf[i] = 0;
        consider(re, buf + start, i - start);
        start = i + 1;
      }
    }
    if (start == 0 && have == sizeof(buf) - 1) { // full, and no newline
      buf[have] = 0;
      consider(re, buf, have);
      start = have;
    }
    have -= start;
    memmove(buf, buf + start, have);
  }
  if (have > 0) { // a last line without a newline
    buf[have] = 0;
    consider(re, buf, have);
  }
  if (n < 0) {
    fprintf(2, "grep: read error\n");
    return -1;
  }
  return 0;
}

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(2, "usage: grep pattern [file ...]\n");
    return 1;
  }
  if (argc == 2)
    return search(argv[1], 0) < 0;
  int status = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      status = 1;
      continue;
    }
    if (search(argv[1], fd) < 0)
      status = 1;
    close(fd);
  }
  return status;
}
