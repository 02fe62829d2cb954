// testlib: the runner shared by every in-guest test suite, and the helpers
// the suites have in common.
//
// A suite is a table of tests and a main() that hands it to run_suite():
//
//   static struct test tests[] = {
//     {t_forkexit, "forkexit", 0},
//     {t_bigfile, "bigfile", 1},   // slow: skipped by -q
//     {0, 0, 0},
//   };
//   int main(int argc, char **argv) { return run_suite("test_x", tests, argc, argv); }
//
// run_suite() runs each test in a forked child: the test succeeds if its
// function returns or calls exit(0), and fails if it calls fail() (or exits
// non-zero, or is killed). After reaping the child it waits (up to ~3 s,
// because init reaps orphaned grandchildren asynchronously) for
// pages_available() (below) to come back to its value before the test
// ("leaked N pages (frames or swap slots)"), then runs vmaudit()
// ("vmaudit: N violations"). It prints
//
//   <suite>: running N tests
//   PASS name                 or   FAIL name: reason      (one line per test)
//   <suite>: N passed, N failed
//
// and returns 0 only if every test passed. Arguments: none runs every test;
// -q skips tests marked slow; -v also prints each test's duration; -l lists
// the tests; any other argument names a test to run (several may be given).
//
// Invariants: each result line is written with one write() so that lines of
// concurrent processes do not interleave character by character; only the
// test's own process reports the reason of a failure (a grandchild that
// calls fail() prints its reason as a plain line and exits 1, and the test
// must check its children's exit statuses).
//
// Include kernel/types.h and user/user.h before this header.
//
// The user stack is one page (USERSTACK): tests keep large buffers in
// static storage or in malloc'd memory, never on the stack.
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdarg.h>

// A table of tests ends with an entry whose name is 0 (not fn: a function
// may well sit at address 0, where user text starts).
struct test {
  void (*fn)(char *name);
  char *name;
  int slow; // takes more than a few seconds: skipped by -q
};

int run_suite(char *suite, struct test *tests, int argc, char **argv);

// Reporting. fail() never returns: it reports the reason and exits 1.
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);                                  \
  } while (0)
// Print one formatted line (a newline is added) with a single write().
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tl_snprintf(char *buf, int size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int tl_vsnprintf(char *buf, int size, const char *fmt, va_list ap);

// Processes.
int xfork(void);                               // fork, or fail()
int wait_pid(int pid);                         // reap pid; returns its exit status
int wait_any(int *status);                     // wait(), or a child wait_pid() reaped earlier
int run_child(void (*fn)(uint64), uint64 arg); // fork, fn(arg), exit(0); returns status
void expect_killed(void (*fn)(uint64), uint64 arg, const char *what);
void reap_all(void); // wait until no child is left
// Fork a child that execs path with argv. If to_child is not 0, the
// child's standard input is a new pipe whose write end is left in
// *to_child; if from_child is not 0, its standard output is a new pipe
// whose read end is left in *from_child. Returns the pid.
int spawn_piped(char *path, char **argv, int *to_child, int *from_child);
// Run path with argv, its standard output collected into out (at most
// max - 1 bytes, NUL-terminated); returns its exit status.
int run_captured(char *path, char **argv, char *out, int max);
// Does text hold line, whole, as one of its lines (each ending in '\n')?
int has_line(const char *text, const char *line);

// Memory and time.
int settle_freepages(int want, int ticks); // poll until freepages() >= want
// Pages the system can still hold: free frames + free swap slots + frames
// in the swap cache (a copy in both). Pages moving between RAM and swap
// leave it unchanged; -1 if memstat() fails.
int pages_available(void);
void fill(void *p, int n, uint seed);
int check_fill(const void *p, int n, uint seed); // first bad offset, or -1
uint tl_random(void);

#endif
