// testlib: the in-guest test runner and the helpers shared by the suites.
// See testlib.h for the interface and the output format.
//
// How a failure reason travels: before forking a test the runner opens a
// pipe; fail() in the test's own process writes its reason there in one
// write() and exits 1. After reaping the child, the runner writes a NUL
// into the same pipe and reads up to it: whatever came before the NUL is
// the reason. The runner holds the write end itself, so this never blocks
// on a grandchild that inherited the pipe and is still alive.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define REASONMAX 200   // longest reason kept (one pipe write, < pipe size)
#define SETTLE_TICKS 30 // ~3 s at xv6's 10 ticks per second

static char *current;      // name of the running test, in its process
static int reason_fd = -1; // write end of the reason pipe, in the test process
static int test_pid;       // pid of the test's own process

// ---------------------------------------------------------------- formatting

struct out {
  char *buf;
  int size; // capacity, the NUL included
  int len;  // characters produced so far (may exceed size - 1)
};

static void put(struct out *o, char c) {
  if (o->len < o->size - 1)
    o->buf[o->len] = c;
  o->len++;
}

static void put_number(struct out *o, uint64 x, int base, int neg, int width, char pad) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[x % base];
    x /= base;
  } while (x != 0);
  if (neg && pad == '0') {
    put(o, '-'); // "-0042", not "00-42"
    width--;
    neg = 0;
  }
  if (neg)
    digits[n++] = '-';
  for (; width > n; width--)
    put(o, pad);
  while (n > 0)
    put(o, digits[--n]);
}

// One conversion, fmt pointing just past the '%'; returns the rest of fmt.
static const char *convert(struct out *o, const char *fmt, va_list *ap) {
  char pad = ' ';
  int width = 0, longs = 0;
  if (*fmt == '0')
    pad = '0';
  while (*fmt >= '0' && *fmt <= '9')
    width = width * 10 + (*fmt++ - '0');
  while (*fmt == 'l') {
    longs++;
    fmt++;
  }
  char c = *fmt;
  if (c == 'd' || c == 'i') {
    long v = longs ? va_arg(*ap, long) : va_arg(*ap, int);
    put_number(o, v < 0 ? -(uint64)v : (uint64)v, 10, v < 0, width, pad);
  } else if (c == 'u' || c == 'x') {
    uint64 v = longs ? va_arg(*ap, uint64) : va_arg(*ap, uint);
    put_number(o, v, c == 'u' ? 10 : 16, 0, width, pad);
  } else if (c == 'p') {
    put(o, '0');
    put(o, 'x');
    put_number(o, (uint64)va_arg(*ap, void *), 16, 0, 16, '0');
  } else if (c == 's') {
    const char *s = va_arg(*ap, const char *);
    for (s = s ? s : "(null)"; *s; s++)
      put(o, *s);
  } else if (c == 'c') {
    put(o, (char)va_arg(*ap, int));
  } else if (c == '%') {
    put(o, '%');
  } else {
    put(o, '%');
    if (c == 0)
      return fmt;
    put(o, c);
  }
  return fmt + 1;
}

// vsnprintf subset: %d %i %u %x %p %s %c %%, an 'l' or 'll' size, and a
// width with optional zero padding. Returns the length it wanted to write.
int tl_vsnprintf(char *buf, int size, const char *fmt, va_list ap) {
  struct out o = {buf, size, 0};
  va_list copy;
  va_copy(copy, ap);
  while (*fmt) {
    if (*fmt != '%')
      put(&o, *fmt++);
    else
      fmt = convert(&o, fmt + 1, &copy);
  }
  va_end(copy);
  if (size > 0)
    buf[o.len < size ? o.len : size - 1] = 0;
  return o.len;
}

int tl_snprintf(char *buf, int size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = tl_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

static void write_line(char *line) {
  int n = strlen(line);
  line[n] = '\n'; // callers leave room for it
  write(1, line, n + 1);
  line[n] = 0;
}

void say(const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  tl_vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  write_line(line);
}

// ---------------------------------------------------------------- reporting

void fail(const char *fmt, ...) {
  char reason[REASONMAX + 1];
  va_list ap;
  va_start(ap, fmt);
  tl_vsnprintf(reason, REASONMAX, fmt, ap);
  va_end(ap);
  for (char *p = reason; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' '; // the reason must stay on one line
  if (reason_fd >= 0 && getpid() == test_pid)
    write(reason_fd, reason, strlen(reason));
  else
    say("  %s: pid %d: %s", current ? current : "?", getpid(), reason);
  exit(1);
}

// ---------------------------------------------------------------- processes

int xfork(void) {
  int pid = fork();
  if (pid < 0)
    fail("fork failed");
  return pid;
}

// Children that wait_pid() reaped while it waited for another one, with
// their exit statuses, so that a later wait_pid() or wait_any() still gets
// them. An entry belongs to the process that reaped the child (a forked
// copy of the table must not hand out its parent's children).
static struct { int owner, pid, status; } reaped[NPROC];

static int take_reaped(int pid, int *status) {
  int me = getpid();
  for (int i = 0; i < NPROC; i++) {
    if (reaped[i].owner == me && (pid < 0 || reaped[i].pid == pid)) {
      reaped[i].owner = 0;
      *status = reaped[i].status;
      return reaped[i].pid;
    }
  }
  return -1;
}

static void keep_reaped(int pid, int status) {
  int me = getpid();
  for (int i = 0; i < NPROC; i++) {
    if (reaped[i].owner != me) {
      reaped[i].owner = me;
      reaped[i].pid = pid;
      reaped[i].status = status;
      return;
    }
  }
  fail("wait_pid: no room to keep the status of child %d", pid);
}

int wait_pid(int pid) {
  int status, got;
  if (take_reaped(pid, &status) == pid)
    return status;
  while ((got = wait(&status)) >= 0) {
    if (got == pid)
      return status;
    keep_reaped(got, status);
  }
  fail("wait: child %d not found", pid);
}

int wait_any(int *status) {
  int st, got = take_reaped(-1, &st);
  if (got < 0)
    got = wait(&st);
  if (got >= 0 && status)
    *status = st;
  return got;
}

int run_child(void (*fn)(uint64), uint64 arg) {
  int pid = xfork();
  if (pid == 0) {
    fn(arg);
    exit(0);
  }
  return wait_pid(pid);
}

void expect_killed(void (*fn)(uint64), uint64 arg, const char *what) {
  int status = run_child(fn, arg);
  if (status != -1)
    fail("%s: not killed (exit status %d)", what, status);
}

// A pipe whose read end becomes fd `to` of the child (0: stdin) or whose
// write end becomes its fd `to` (1: stdout), the child's side being
// fds[child_side]. Called in the child after fork.
static void child_end(int fds[2], int child_side, int to) {
  close(to);
  dup(fds[child_side]);
  close(fds[0]);
  close(fds[1]);
}

int spawn_piped(char *path, char **argv, int *to_child, int *from_child) {
  int in[2], out[2];
  if ((to_child && pipe(in) < 0) || (from_child && pipe(out) < 0))
    fail("pipe failed");
  int pid = xfork();
  if (pid == 0) {
    if (to_child)
      child_end(in, 0, 0);
    if (from_child)
      child_end(out, 1, 1);
    exec(path, argv);
    fail("exec %s failed", path);
  }
  if (to_child) {
    close(in[0]);
    *to_child = in[1];
  }
  if (from_child) {
    close(out[1]);
    *from_child = out[0];
  }
  return pid;
}

int run_captured(char *path, char **argv, char *out, int max) {
  int from, n = 0, got;
  int pid = spawn_piped(path, argv, 0, &from);
  while (n < max - 1 && (got = read(from, out + n, max - 1 - n)) > 0)
    n += got;
  out[n] = 0;
  close(from); // a child with more to say gets an error, not a hang
  return wait_pid(pid);
}

int has_line(const char *text, const char *line) {
  int len = strlen(line);
  for (const char *p = text; *p; p++)
    if ((p == text || p[-1] == '\n') && memcmp(p, line, len) == 0 && p[len] == '\n')
      return 1;
  return 0;
}

void reap_all(void) {
  while (wait_any(0) >= 0)
    ;
}

// ---------------------------------------------------------------- memory, time

int settle_freepages(int want, int ticks) {
  int start = uptime();
  int now = freepages();
  while (now < want && uptime() - start < ticks) {
    sleep(1);
    now = freepages();
  }
  return now;
}

// Byte i of a pattern: a cheap hash of (seed, i), so that shifted or
// swapped data never matches.
static uchar pattern(uint seed, uint i) {
  uint x = seed * 2654435761u + i * 40503u;
  x ^= x >> 13;
  return (uchar)(x ^ (x >> 7) ^ (i >> 8));
}

void fill(void *p, int n, uint seed) {
  uchar *b = p;
  for (int i = 0; i < n; i++)
    b[i] = pattern(seed, i);
}

int check_fill(const void *p, int n, uint seed) {
  const uchar *b = p;
  for (int i = 0; i < n; i++)
    if (b[i] != pattern(seed, i))
      return i;
  return -1;
}

uint tl_random(void) {
  static uint state = 12345;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

// ---------------------------------------------------------------- the runner

// Read the reason the test process left in the pipe (see the top).
static void collect_reason(int fds[2], char *reason) {
  int n = 0;
  char c;
  write(fds[1], "", 1);
  while (read(fds[0], &c, 1) == 1 && c != 0)
    if (n < REASONMAX)
      reason[n++] = c;
  reason[n] = 0;
}

// Run t's function in a child and leave its reason (if any) in reason.
static void run_in_child(struct test *t, char *reason) {
  int fds[2];
  reason[0] = 0;
  if (pipe(fds) < 0) {
    tl_snprintf(reason, REASONMAX, "runner: pipe failed");
    return;
  }
  int pid = fork();
  if (pid < 0) {
    tl_snprintf(reason, REASONMAX, "runner: fork failed");
  } else if (pid == 0) {
    close(fds[0]);
    current = t->name;
    reason_fd = fds[1];
    test_pid = getpid();
    t->fn(t->name);
    exit(0);
  } else {
    int status = wait_pid(pid);
    collect_reason(fds, reason);
    if (reason[0] == 0 && status == -1)
      tl_snprintf(reason, REASONMAX, "killed (exit status -1)");
    else if (reason[0] == 0 && status != 0)
      tl_snprintf(reason, REASONMAX, "exit status %d", status);
  }
  close(fds[0]);
  close(fds[1]);
}

// Append "; <formatted text>" (or just the text) to the reason.
static void add_reason(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(char *reason, const char *fmt, ...) {
  int len = strlen(reason);
  if (len > 0 && len < REASONMAX - 2) {
    strcpy(reason + len, "; ");
    len += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  tl_vsnprintf(reason + len, REASONMAX + 1 - len, fmt, ap);
  va_end(ap);
}

// Pages the system could still hold: free frames, free swap slots, and
// one for each frame in the swap cache (-1 if memstat fails). A page of a
// process that lives on moves between RAM, swap and the swap cache (a
// copy in both) without changing this sum, so only a leak of a frame or a
// slot lowers it. Without swap it is the free frames. The struct is too
// big for the stack.
int pages_available(void) {
  static struct memstat m;
  if (memstat(&m) < 0)
    return -1;
  return (int)(m.free_frames + (m.swap_slots - m.swap_slots_used) + m.swap_cached);
}

// Wait (as settle_freepages does) until the system can hold as many pages
// as before; add any difference to the reason.
static void check_leaks(int before, char *reason) {
  int start = uptime(), now;
  while ((now = pages_available()) < before) {
    if (uptime() - start >= SETTLE_TICKS)
      break;
    sleep(1);
  }
  if (now < before)
    add_reason(reason, "leaked %d pages (frames or swap slots)", before - now);
}

// Run one test with its leak check and audit; returns 1 if it passed.
static int run_test(struct test *t, int verbose) {
  static char reason[REASONMAX + 1];
  static char line[REASONMAX + 64];
  int start = uptime();
  int before = pages_available();
  run_in_child(t, reason);
  check_leaks(before, reason);
  int violations = vmaudit();
  if (violations > 0)
    add_reason(reason, "vmaudit: %d violations", violations);
  if (verbose)
    say("  %s: %d ticks", t->name, uptime() - start);
  if (reason[0])
    tl_snprintf(line, sizeof(line) - 1, "FAIL %s: %s", t->name, reason);
  else
    tl_snprintf(line, sizeof(line) - 1, "PASS %s", t->name);
  write_line(line);
  return reason[0] == 0;
}

static struct test *find(struct test *tests, char *name) {
  for (struct test *t = tests; t->name; t++)
    if (strcmp(t->name, name) == 0)
      return t;
  return 0;
}

// Is t selected by the arguments? Names select tests; otherwise all run,
// except slow ones under -q.
static int selected(struct test *t, int quick, int named, int argc, char **argv) {
  if (!named)
    return !(quick && t->slow);
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], t->name) == 0)
      return 1;
  return 0;
}

int run_suite(char *suite, struct test *tests, int argc, char **argv) {
  int quick = 0, verbose = 0, named = 0, count = 0, passed = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0) {
      quick = 1;
    } else if (strcmp(argv[i], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[i], "-l") == 0) {
      for (struct test *t = tests; t->name; t++)
        say("%s%s", t->name, t->slow ? " (slow)" : "");
      return 0;
    } else if (find(tests, argv[i])) {
      named = 1;
    } else {
      say("%s: no test named %s (-l lists them)", suite, argv[i]);
      return 1;
    }
  }
  for (struct test *t = tests; t->name; t++)
    count += selected(t, quick, named, argc, argv);
  say("%s: running %d tests", suite, count);
  for (struct test *t = tests; t->name; t++)
    if (selected(t, quick, named, argc, argv))
      passed += run_test(t, verbose);
  say("%s: %d passed, %d failed", suite, passed, count - passed);
  return passed == count ? 0 : 1;
}
