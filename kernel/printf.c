// Kernel console output: printf and panic (kernel/lib.h).
//
// Bytes go straight to the UART's polled transmitter (uartputc_sync),
// which takes no lock and never sleeps, so printf works anywhere: in
// interrupt handlers, under any lock, before the console is set up.
//
// Lock: "pr" keeps the calls of different harts from mixing. It is taken
// under any other lock (the innermost but for "sched", under which only a
// panic prints). panic() does without it, since the hart that holds it
// may be the one that broke, then sets `panicked`, which silences every
// other hart's output: the panic message stays the last line.
//
// Conversions: %d %u %x %p %s %c %%, with a field width (padded with
// spaces, or with zeros when it starts with 0) and l or ll for 64 bits.
#include <stdarg.h>

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/dev/dev.h"

volatile int panicked;

static struct spinlock pr;
static int use_lock; // 0 before printfinit() and after a panic

// One conversion: what %[0][width][l...]verb asked for.
struct conv {
  char verb;
  char fill; // ' ' or '0'
  int width;
  int wide; // l or ll: a 64-bit argument
};

static void put_str(const char *s) {
  while (*s)
    uartputc_sync(*s++);
}

// Write sign, then v in base, right-aligned in c->width columns.
static void put_num(const struct conv *c, const char *sign, uint64 v, int base) {
  char rev[20]; // digits, least significant first: 2^64 has 20
  int n = 0;
  do {
    rev[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  int pad = c->width - n - strlen(sign);
  for (; c->fill == ' ' && pad > 0; pad--)
    uartputc_sync(' ');
  put_str(sign);
  for (; pad > 0; pad--)
    uartputc_sync('0');
  while (n > 0)
    uartputc_sync(rev[--n]);
}

// Read a conversion after its '%'; returns where the format goes on.
static const char *parse_conv(const char *f, struct conv *c) {
  c->fill = *f == '0' ? '0' : ' ';
  for (c->width = 0; *f >= '0' && *f <= '9'; f++)
    c->width = 10 * c->width + (*f - '0');
  for (c->wide = 0; *f == 'l'; f++)
    c->wide = 1;
  c->verb = *f;
  return *f ? f + 1 : f; // a lone '%' at the end prints nothing
}

static void convert(const struct conv *c, va_list *ap) {
  if (c->verb == 'd') {
    long v = c->wide ? va_arg(*ap, long) : va_arg(*ap, int);
    put_num(c, v < 0 ? "-" : "", v < 0 ? -(uint64)v : (uint64)v, 10);
  } else if (c->verb == 'u' || c->verb == 'x') {
    uint64 v = c->wide ? va_arg(*ap, uint64) : va_arg(*ap, uint);
    put_num(c, "", v, c->verb == 'u' ? 10 : 16);
  } else if (c->verb == 'p') {
    struct conv full = {.fill = '0', .width = 18}; // 0x and 16 digits
    put_num(&full, "0x", va_arg(*ap, uint64), 16);
  } else if (c->verb == 's') {
    const char *s = va_arg(*ap, const char *);
    put_str(s ? s : "(null)");
  } else if (c->verb == 'c') {
    uartputc_sync(va_arg(*ap, int));
  } else if (c->verb != 0) { // %% and unknown verbs print themselves
    if (c->verb != '%')
      uartputc_sync('%');
    uartputc_sync(c->verb);
  }
}

void printf(char *fmt, ...) {
  va_list ap;
  int locked = use_lock;
  if (locked)
    acquire(&pr);
  va_start(ap, fmt);
  const char *f = fmt;
  while (*f) {
    if (*f != '%') {
      uartputc_sync(*f++);
      continue;
    }
    struct conv c;
    f = parse_conv(f + 1, &c);
    convert(&c, &ap);
  }
  va_end(ap);
  if (locked)
    release(&pr);
}

// The return addresses on the stack, innermost first, by the frame
// pointers the kernel is compiled to keep (-fno-omit-frame-pointer): the
// caller's frame pointer is at fp - 16 and its return address at fp - 8.
// It stops where the chain leaves the 16 KiB above the current frame,
// which covers any kernel or boot stack. `addr2line -e kernel/kernel`
// turns the addresses into lines.
static void backtrace(void) {
  uint64 fp = r_fp(), top = fp + 16384;
  printf("backtrace:");
  for (int depth = 0; depth < 24 && fp % 8 == 0; depth++) {
    uint64 ra = ((uint64 *)fp)[-1], caller = ((uint64 *)fp)[-2];
    printf(" %p", (void *)ra);
    if (caller <= fp || caller > top)
      break;
    fp = caller;
  }
  printf("\n");
}

void panic(char *s) {
  use_lock = 0;
  printf("panic: %s\n", s);
  backtrace();
  panicked = 1;
  for (;;)
    __asm__ __volatile__("wfi");
}

void printfinit(void) {
  initlock(&pr, "pr");
  use_lock = 1;
}
