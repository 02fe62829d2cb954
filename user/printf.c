// Formatted output for user programs: printf() to fd 1, fprintf() to any fd.
//
// Conversions: %d %u %x %p %s %c %%, with the length modifiers l and ll
// (%ld %lu %lx %lld %llu %llx) for 64-bit values. An optional '-' (left
// align), '0' (pad with zeros) and a decimal width may precede the
// conversion, e.g. %08x, %5d, %-12s. %p prints 0x and 16 hex digits.
// An unknown conversion is printed as written.
//
// Output is collected in a buffer on the stack and written with one write()
// per call (more only when it overflows the buffer), so lines printed by
// concurrent processes do not interleave character by character.
#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

#define OUTBUF 512

struct out {
  int fd;
  int len; // bytes waiting in buf
  char buf[OUTBUF];
};

// How one conversion is to be laid out.
struct spec {
  int left;  // '-': pad on the right
  int zero;  // '0': pad numbers with zeros after the sign
  int width; // minimum field width
  int longs; // number of 'l' modifiers
};

static void flush(struct out *o) {
  if (o->len > 0)
    write(o->fd, o->buf, o->len);
  o->len = 0;
}

static void put(struct out *o, char c) {
  if (o->len == OUTBUF)
    flush(o);
  o->buf[o->len++] = c;
}

static void repeat(struct out *o, char c, int n) {
  for (; n > 0; n--)
    put(o, c);
}

// Emit a field of len bytes of text, preceded by an optional sign, padded
// to the spec's width.
static void field(struct out *o, struct spec *sp, char sign, const char *text, int len) {
  int pad = sp->width - len - (sign != 0);
  if (!sp->left && !sp->zero)
    repeat(o, ' ', pad);
  if (sign)
    put(o, sign);
  if (!sp->left && sp->zero)
    repeat(o, '0', pad);
  for (int i = 0; i < len; i++)
    put(o, text[i]);
  if (sp->left)
    repeat(o, ' ', pad);
}

static void number(struct out *o, struct spec *sp, uint64 v, int base, int negative) {
  char digits[24]; // 2^64 has 20 decimal digits
  int i = sizeof(digits);
  do {
    digits[--i] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  field(o, sp, negative ? '-' : 0, digits + i, sizeof(digits) - i);
}

// Fetch the next argument as a signed or unsigned value of the width the
// spec's length modifier names.
static uint64 fetch_unsigned(va_list *ap, struct spec *sp) {
  return sp->longs ? va_arg(*ap, uint64) : va_arg(*ap, uint);
}

static void signed_number(struct out *o, struct spec *sp, va_list *ap) {
  long v = sp->longs ? va_arg(*ap, long) : va_arg(*ap, int);
  // Negate as unsigned so that the most negative value works too.
  uint64 mag = v < 0 ? -(uint64)v : (uint64)v;
  number(o, sp, mag, 10, v < 0);
}

static void string(struct out *o, struct spec *sp, const char *s) {
  if (s == 0)
    s = "(null)";
  struct spec text = *sp;
  text.zero = 0; // zeros only ever pad numbers
  field(o, &text, 0, s, strlen(s));
}

// Parse flags, width and length modifiers after a '%'; returns a pointer to
// the conversion character.
static const char *parse_spec(const char *f, struct spec *sp) {
  *sp = (struct spec){0};
  for (;; f++) {
    if (*f == '-')
      sp->left = 1;
    else if (*f == '0')
      sp->zero = 1;
    else
      break;
  }
  for (; *f >= '0' && *f <= '9'; f++)
    sp->width = sp->width * 10 + (*f - '0');
  for (; *f == 'l'; f++)
    sp->longs++;
  return f;
}

// Format one conversion; c is its conversion character.
static void convert(struct out *o, struct spec *sp, char c, va_list *ap) {
  switch (c) {
  case 'd':
    signed_number(o, sp, ap);
    break;
  case 'u':
    number(o, sp, fetch_unsigned(ap, sp), 10, 0);
    break;
  case 'x':
    number(o, sp, fetch_unsigned(ap, sp), 16, 0);
    break;
  case 'p': {
    struct spec ptr = {.zero = 1, .width = 16};
    put(o, '0');
    put(o, 'x');
    number(o, &ptr, (uint64)va_arg(*ap, void *), 16, 0);
    break;
  }
  case 's':
    string(o, sp, va_arg(*ap, const char *));
    break;
  case 'c': {
    char ch = va_arg(*ap, int);
    struct spec text = *sp;
    text.zero = 0;
    field(o, &text, 0, &ch, 1);
    break;
  }
  default:
    put(o, c); // "%%" and anything unknown
  }
}

static void print_to(int fd, const char *fmt, va_list ap) {
  struct out o = {.fd = fd};
  va_list args;
  va_copy(args, ap);
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    const char *start = f;
    struct spec sp;
    f = parse_spec(f + 1, &sp);
    if (*f == 0) {
      put(&o, '%'); // a lone '%' at the end
      break;
    }
    if (strchr("duxpsc%", *f))
      convert(&o, &sp, *f, &args);
    else
      for (; start <= f; start++) // unknown: print it as written
        put(&o, *start);
  }
  va_end(args);
  flush(&o);
}

void fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_to(fd, fmt, ap);
  va_end(ap);
}

void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_to(1, fmt, ap);
  va_end(ap);
}
