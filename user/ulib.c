// The small C library every user program links with: the program entry
// point, string and memory functions, stat(), gets(), atoi() and the two
// faces of sbrk().
//
// Interface: user/user.h ("ulib.c" section). Semantics are xv6's (and C's
// where xv6 follows C): gets() keeps the newline, memmove() handles
// overlapping buffers, memcpy() may assume they do not overlap.
// memset/memcpy/memmove move 8 bytes at a time once both pointers are
// 8-byte aligned, because benchmarks time them.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/checked.h"

// A 64-bit word that may alias any other type, so the word loops below
// stay correct under the compiler's strict-aliasing assumptions.
typedef uint64 __attribute__((may_alias)) word;

// Defined by each program. The parentheses keep this line from looking like
// a definition of main to the Makefile, which finds programs by grepping.
int(main)(int argc, char *argv[]);

// exec() starts every program here with a0 = argc and a1 = argv; a program
// that returns from main exits with main's return value.
void _start(int argc, char *argv[]) { exit(main(argc, argv)); }

int stat(const char *path, struct stat *st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int r = fstat(fd, st);
  close(fd);
  return r;
}

uint strlen(const char *s) {
  uint n = 0;
  while (s[n])
    n++;
  return n;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++) != 0)
    ;
  return dst;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

char *strchr(const char *s, char c) {
  for (; *s; s++)
    if (*s == c)
      return (char *)s;
  return 0;
}

// Copy n bytes upwards (lowest address first): right for memcpy and for a
// memmove whose destination lies below its source.
static void copy_up(char *d, const char *s, uint n) {
  if ((((uint64)d ^ (uint64)s) & 7) == 0) {
    // Same misalignment: bytes up to the boundary, then whole words.
    for (; n > 0 && ((uint64)d & 7); n--)
      *d++ = *s++;
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *(word *)d = *(const word *)s;
  }
  for (; n > 0; n--)
    *d++ = *s++;
}

// Copy n bytes downwards (highest address first), for a memmove whose
// destination lies above its source: each byte is read before the copy
// can overwrite it.
static void copy_down(char *d, const char *s, uint n) {
  d += n;
  s += n;
  if ((((uint64)d ^ (uint64)s) & 7) == 0) {
    for (; n > 0 && ((uint64)d & 7); n--)
      *--d = *--s;
    for (; n >= 8; n -= 8) {
      d -= 8;
      s -= 8;
      *(word *)d = *(const word *)s;
    }
  }
  for (; n > 0; n--)
    *--d = *--s;
}

void *memmove(void *dst, const void *src, int n) {
  if (n <= 0 || dst == src)
    return dst;
  if ((char *)dst < (const char *)src)
    copy_up(dst, src, n);
  else
    copy_down(dst, src, n);
  return dst;
}

void *memcpy(void *dst, const void *src, uint n) {
  copy_up(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, uint n) {
  uchar *d = dst;
  for (; n > 0 && ((uint64)d & 7); n--)
    *d++ = c;
  // The byte repeated in all eight lanes of a word.
  uint64 pattern = (uchar)c * 0x0101010101010101UL;
  for (; n >= 8; n -= 8, d += 8)
    *(word *)d = pattern;
  for (; n > 0; n--)
    *d++ = c;
  return dst;
}

int memcmp(const void *a, const void *b, uint n) {
  const uchar *p = a, *q = b;
  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

// Read a line from fd 0 into buf, one byte per read() so that nothing past
// the newline is consumed (a child process may read the rest). Stops after
// a newline (kept, as in xv6), at end of input, or when max - 1 bytes are
// stored; buf is always NUL-terminated. An empty buf means end of input.
char *gets(char *buf, int max) {
  int i = 0;
  while (i + 1 < max) {
    char c;
    if (read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if (c == '\n' || c == '\r')
      break;
  }
  buf[i] = 0;
  return buf;
}

// Decimal to int; leading blanks and a sign are allowed, and conversion
// stops at the first non-digit.
int atoi(const char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  int sign = 1;
  if (*s == '-' || *s == '+')
    sign = *s++ == '-' ? -1 : 1;
  int n = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    n = n * 10 + (*s - '0');
  return sign * n;
}

char *sbrk(int n) { return sys_sbrk(n, SBRK_EAGER); }

char *sbrklazy(int n) { return sys_sbrk(n, SBRK_LAZY); }
