// Host unit tests of the user library: printf formatting (and its promise
// of one write() per call), the string and memory functions of user/ulib.c,
// and malloc/free of user/umalloc.c, including running out of memory.
//
// The user sources are compiled into this file. Function-like macros give
// every library name a u_ prefix, so they neither clash with nor replace
// the C library (and, being function-like, leave the "printf" inside
// user.h's format attribute alone). The system calls they make land in
// the shim below: write() captures output, sys_sbrk() hands out an arena.
// sources:
#define printf(...) u_printf(__VA_ARGS__)
#define fprintf(...) u_fprintf(__VA_ARGS__)
#define malloc(...) u_malloc(__VA_ARGS__)
#define free(...) u_free(__VA_ARGS__)
#define memset(...) u_memset(__VA_ARGS__)
#define memcpy(...) u_memcpy(__VA_ARGS__)
#define memmove(...) u_memmove(__VA_ARGS__)
#define memcmp(...) u_memcmp(__VA_ARGS__)
#define strlen(...) u_strlen(__VA_ARGS__)
#define strcpy(...) u_strcpy(__VA_ARGS__)
#define strcmp(...) u_strcmp(__VA_ARGS__)
#define strchr(...) u_strchr(__VA_ARGS__)
#define gets(...) u_gets(__VA_ARGS__)
#define atoi(...) u_atoi(__VA_ARGS__)
#define stat(...) u_stat(__VA_ARGS__)
#define sbrk(...) u_sbrk(__VA_ARGS__)
#define sbrklazy(...) u_sbrklazy(__VA_ARGS__)
#define sys_sbrk(...) u_sys_sbrk(__VA_ARGS__)
#define write(...) u_write(__VA_ARGS__)
#define read(...) u_read(__VA_ARGS__)
#define open(...) u_open(__VA_ARGS__)
#define fstat(...) u_fstat(__VA_ARGS__)
#define close(...) u_close(__VA_ARGS__)
#define exit(...) u_exit(__VA_ARGS__)
#define _start u_start // the C library has its own

#include "user/printf.c"
#include "user/ulib.c"
#include "user/umalloc.c"

#undef printf
#undef fprintf
#undef malloc
#undef free
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcpy
#undef strcmp
#undef strchr
#undef gets
#undef atoi
#undef stat
#undef sbrk
#undef sbrklazy
#undef sys_sbrk
#undef write
#undef read
#undef open
#undef fstat
#undef close
#undef exit
#undef _start

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------- shim

static char captured[1 << 16];
static int captured_len, writes;
static char arena[32 << 20] __attribute__((aligned(4096)));
static long arena_used;

int u_write(int fd, const void *p, int n) {
  (void)fd;
  memcpy(captured + captured_len, p, n);
  captured_len += n;
  writes++;
  return n;
}

char *u_sys_sbrk(int n, int how) {
  (void)how;
  if (arena_used + n > (long)sizeof(arena) || arena_used + n < 0)
    return (char *)-1;
  char *old = arena + arena_used;
  arena_used += n;
  return old;
}

// Called only on paths these tests do not take.
int u_read(int fd, void *p, int n) { return 0; }
int u_open(const char *path, int mode) { return -1; }
int u_fstat(int fd, struct stat *st) { return -1; }
int u_close(int fd) { return 0; }
int u_exit(int status) { exit(status); }

// ---------------------------------------------------------------- tests

static int failures;

static void result(const char *name, int ok) {
  if (ok) {
    printf("PASS %s\n", name);
  } else {
    printf("FAIL %s: see above\n", name);
    failures++;
  }
}

// Some cases below are deliberately malformed or pass a null %s.
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

// Format with the library's printf into captured[]; complain (and clear
// *ok) unless the text is expect and came in exactly one write().
#define FORMATS(expect, ...)                                                                       \
  do {                                                                                             \
    captured_len = writes = 0;                                                                     \
    u_printf(__VA_ARGS__);                                                                         \
    captured[captured_len] = 0;                                                                    \
    if (strcmp(captured, expect) != 0 || writes != 1) {                                            \
      printf("  printf(%s): \"%s\" in %d writes, want \"%s\"\n", #__VA_ARGS__, captured, writes,   \
             expect);                                                                              \
      ok = 0;                                                                                      \
    }                                                                                              \
  } while (0)

static void test_printf_formats(void) {
  int ok = 1;
  FORMATS("hello\n", "hello\n");
  FORMATS("0 -5 2147483647", "%d %d %d", 0, -5, 2147483647);
  FORMATS("-2147483648", "%d", (int)0x80000000);
  FORMATS("4294967295 deadbeef", "%u %x", 0xffffffffu, 0xdeadbeefu);
  FORMATS("-9223372036854775808", "%ld", (long)INT64_MIN);
  FORMATS("18446744073709551615", "%lu", (unsigned long)-1);
  FORMATS("123456789abcdef0", "%lx", 0x123456789abcdef0UL);
  FORMATS("-1 1 ff", "%lld %llu %llx", -1LL, 1ULL, 255ULL);
  FORMATS("0x0000000000001000", "%p", (void *)0x1000);
  FORMATS("abc|(null)", "%s|%s", "abc", (char *)0);
  FORMATS("xy 100%", "%c%c 100%%", 'x', 'y');
  FORMATS("%q %5q end%", "%q %5q end%");
  result("printf_formats", ok);
}

static void test_printf_widths(void) {
  int ok = 1;
  FORMATS("0000beef", "%08x", 0xbeef);
  FORMATS("   42|42   |-0042", "%5d|%-5d|%05d", 42, 42, -42);
  FORMATS("ab    |    ab|  z", "%-6s|%6s|%3c", "ab", "ab", 'z');
  FORMATS("         123|00000000000000ff", "%12lu|%016lx", 123UL, 255UL);
  result("printf_widths", ok);
}

static void test_printf_long_output(void) {
  static char big[2000];
  memset(big, 'a', sizeof(big) - 1);
  captured_len = writes = 0;
  u_printf("%s!", big);
  int ok = captured_len == 2000 && captured[1999] == '!' && writes <= 4;
  captured_len = writes = 0;
  u_fprintf(2, "%d", 7);
  ok &= captured_len == 1 && captured[0] == '7';
  result("printf_long_output", ok);
}

// The library's memory functions against the C library's, on random
// sizes and (mis)alignments, overlapping buffers included.
static void test_memory(void) {
  static unsigned char a[256], ref[256];
  int ok = 1;
  for (int trial = 0; trial < 20000 && ok; trial++) {
    int n = rand() % 100, s = rand() % 120, d = rand() % 120, c = rand();
    for (int i = 0; i < 256; i++)
      a[i] = ref[i] = rand();
    memmove(ref + d, ref + s, n);
    u_memmove(a + d, a + s, n);
    ok &= memcmp(a, ref, 256) == 0;
    if (s + n <= d || d + n <= s) {
      memcpy(ref + s, ref + d, n);
      u_memcpy(a + s, a + d, n);
      ok &= memcmp(a, ref, 256) == 0;
    }
    memset(ref + d, c, n);
    u_memset(a + d, c, n);
    ok &= memcmp(a, ref, 256) == 0;
    if (n > 0)
      a[s + n - 1] ^= 1;
    int mine = u_memcmp(a + s, ref + s, n), theirs = memcmp(a + s, ref + s, n);
    ok &= (mine < 0) == (theirs < 0) && (mine > 0) == (theirs > 0);
    if (!ok)
      printf("  n %d src %d dst %d\n", n, s, d);
  }
  result("memmove_memcpy_memset_memcmp", ok);
}

static void test_strings(void) {
  int ok = u_atoi("123") == 123 && u_atoi("  -45x") == -45 && u_atoi("") == 0;
  ok &= u_strlen("") == 0 && u_strlen("abc") == 3;
  ok &= u_strcmp("a", "b") < 0 && u_strcmp("b", "a") > 0 && u_strcmp("ab", "ab") == 0 &&
        u_strcmp("a", "ab") < 0 && u_strcmp("\xff", "a") > 0;
  const char *s = "hello";
  ok &= u_strchr(s, 'l') == s + 2 && u_strchr(s, 'z') == 0;
  char buf[8];
  ok &= u_strcpy(buf, "xyz") == buf && strcmp(buf, "xyz") == 0;
  result("string_functions", ok);
}

// Random allocations and frees: blocks are 16-byte aligned and keep their
// contents; once all are free, neighbours have merged again.
static void test_malloc_random(void) {
  enum { N = 2000 };
  static char *p[N];
  static unsigned size[N];
  int ok = 1;
  for (int round = 0; round < 40 && ok; round++) {
    for (int i = 0; i < N && ok; i++) {
      if (p[i] && rand() % 2) {
        for (unsigned k = 0; k < size[i]; k++)
          ok &= p[i][k] == (char)i;
        u_free(p[i]);
        p[i] = 0;
      } else if (!p[i]) {
        size[i] = rand() % (rand() % 4 ? 100 : 20000);
        p[i] = u_malloc(size[i]);
        ok &= p[i] != 0 && ((uintptr_t)p[i] & 15) == 0;
        if (p[i])
          memset(p[i], (char)i, size[i]);
      }
    }
  }
  for (int i = 0; i < N; i++)
    u_free(p[i]);
  char *end = u_sbrk(0);
  void *x = u_malloc(1 << 20);
  ok &= x != 0 && u_sbrk(0) == end; // fits in the merged free space
  u_free(x);
  result("malloc_random", ok);
}

static void test_malloc_exhaustion(void) {
  void *head = 0, *q;
  int blocks = 0;
  while ((q = u_malloc(10001)) != 0) {
    *(void **)q = head;
    head = q;
    blocks++;
  }
  int ok = blocks > 1000;
  while (head) {
    q = *(void **)head;
    u_free(head);
    head = q;
  }
  ok &= u_malloc(20 * 1024) != 0;   // usable again after free
  ok &= u_malloc(0xffffffffu) == 0; // would overflow sbrk's int
  u_free(0);
  result("malloc_exhaustion", ok);
}

int main(int argc, char *argv[]) {
  test_printf_formats();
  test_printf_widths();
  test_printf_long_output();
  test_memory();
  test_strings();
  test_malloc_random();
  test_malloc_exhaustion();
  return failures != 0;
}
