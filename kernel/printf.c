// Kernel console output: printf and panic.
// printf takes a lock so that lines from different harts do not mix; panic
// skips it (the holder may be the hart that broke) and stops every hart's
// output afterwards.
#include <stdarg.h>

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "memlayout.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

volatile int panicked = 0; // set once; uart output then stops on other harts

static struct {
  struct spinlock lock; // serializes whole printf calls
  int locking;          // 0 while panicking
} pr;

static const char digits[] = "0123456789abcdef";

static void print_unsigned(uint64 x, int base, int width, char pad) {
  char buf[24];
  int i = 0;
  do {
    buf[i++] = digits[x % base];
    x /= base;
  } while (x != 0);
  while (i < width && i < (int)sizeof(buf))
    buf[i++] = pad;
  while (--i >= 0)
    consputc(buf[i]);
}

static void print_signed(long x, int width) {
  if (x < 0) {
    consputc('-');
    print_unsigned(-(uint64)x, 10, width > 0 ? width - 1 : 0, ' ');
  } else {
    print_unsigned(x, 10, width, ' ');
  }
}

static void print_string(const char *s) {
  if (s == 0)
    s = "(null)";
  while (*s)
    consputc(*s++);
}

// Formats one conversion starting after '%'; returns the characters used.
static int print_one(const char *f, va_list *ap) {
  int used = 0, longs = 0, width = 0;
  char pad = ' ';
  if (f[used] == '0')
    pad = '0';
  while (f[used] >= '0' && f[used] <= '9')
    width = width * 10 + (f[used++] - '0');
  while (f[used] == 'l') {
    longs++;
    used++;
  }
  char c = f[used++];
  switch (c) {
  case 'd':
    print_signed(longs ? va_arg(*ap, long) : va_arg(*ap, int), width);
    break;
  case 'u':
    print_unsigned(longs ? va_arg(*ap, uint64) : va_arg(*ap, uint), 10, width, pad);
    break;
  case 'x':
    print_unsigned(longs ? va_arg(*ap, uint64) : va_arg(*ap, uint), 16, width, pad);
    break;
  case 'p':
    print_string("0x");
    print_unsigned(va_arg(*ap, uint64), 16, 16, '0');
    break;
  case 's':
    print_string(va_arg(*ap, char *));
    break;
  case 'c':
    consputc(va_arg(*ap, int));
    break;
  case '%':
    consputc('%');
    break;
  case 0:
    return used - 1; // a lone '%' at the end
  default:
    consputc('%');
    consputc(c);
  }
  return used;
}

// Supports %d %u %x %p %s %c %% with optional width, zero padding and l/ll.
void printf(char *fmt, ...) {
  va_list ap;
  int locking = pr.locking;
  if (locking)
    acquire(&pr.lock);
  va_start(ap, fmt);
  for (const char *f = fmt; *f; f++) {
    if (*f != '%')
      consputc(*f);
    else
      f += print_one(f + 1, &ap);
  }
  va_end(ap);
  if (locking)
    release(&pr.lock);
}

void panic(char *s) {
  pr.locking = 0;
  printf("panic: %s\n", s);
  panicked = 1;
  for (;;)
    __asm__ __volatile__("wfi");
}

void printfinit(void) {
  initlock(&pr.lock, "pr");
  pr.locking = 1;
}
