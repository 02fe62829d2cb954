// Memory and string helpers for the kernel. memmove/memset work a word at
// a time when alignment allows, since page copies and clears are hot paths
// (copy-on-write breaks, zero-filled pages).
#include "types.h"
#include "riscv.h"
#include "lib.h"

static int aligned8(const void *a, const void *b, uint n) {
  return (((uint64)a | (uint64)b | n) & 7) == 0;
}

void *memset(void *dst, int c, uint n) {
  if (aligned8(dst, 0, n)) {
    uint64 word = (uchar)c;
    word |= word << 8;
    word |= word << 16;
    word |= word << 32;
    for (uint64 *d = dst, *e = d + n / 8; d < e; d++)
      *d = word;
    return dst;
  }
  for (uchar *d = dst; n > 0; n--)
    *d++ = c;
  return dst;
}

int memcmp(const void *a, const void *b, uint n) {
  const uchar *p = a, *q = b;
  if (aligned8(a, b, n)) {
    // Skip equal blocks of four words (dedup compares whole pages), then
    // find the differing byte.
    const uint64 *x = a, *y = b;
    for (; n >= 32; n -= 32, x += 4, y += 4)
      if (((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) != 0)
        break;
    p = (const uchar *)x;
    q = (const uchar *)y;
  }
  for (; n > 0; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

void *memmove(void *dst, const void *src, uint n) {
  if (dst == src || n == 0)
    return dst;
  if (dst < src || (const char *)src + n <= (char *)dst) {
    // Copying forward is safe.
    if (aligned8(dst, src, n)) {
      const uint64 *s = src;
      uint64 *d = dst;
      uint64 words = n / 8;
      for (; words >= 4; words -= 4, d += 4, s += 4) {
        d[0] = s[0];
        d[1] = s[1];
        d[2] = s[2];
        d[3] = s[3];
      }
      while (words-- > 0)
        *d++ = *s++;
      return dst;
    }
    const char *s = src;
    for (char *d = dst; n > 0; n--)
      *d++ = *s++;
    return dst;
  }
  // Overlapping with dst above src: copy backward.
  const char *s = (const char *)src + n;
  for (char *d = (char *)dst + n; n > 0; n--)
    *--d = *--s;
  return dst;
}

// The compiler may emit calls to memcpy for structure assignment.
void *memcpy(void *dst, const void *src, uint n) { return memmove(dst, src, n); }

int strncmp(const char *p, const char *q, uint n) {
  for (; n > 0 && *p && *p == *q; n--, p++, q++)
    ;
  if (n == 0)
    return 0;
  return (uchar)*p - (uchar)*q;
}

char *strncpy(char *dst, const char *src, int n) {
  char *d = dst;
  for (; n > 0 && *src; n--)
    *d++ = *src++;
  for (; n > 0; n--)
    *d++ = 0;
  return dst;
}

// Like strncpy but always NUL-terminates (when n > 0).
char *safestrcpy(char *dst, const char *src, int n) {
  if (n <= 0)
    return dst;
  int i;
  for (i = 0; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
  return dst;
}

int strlen(const char *s) {
  int n = 0;
  while (s[n])
    n++;
  return n;
}
