// test_compat: programs written the way xv6 course programs are written
// build and run unchanged. The fixture programs are user/compat_*.c: they
// are compiled like any program dropped into user/ (xv6's flags, user.h as
// xv6 declares it), so if they stopped building the image would not be
// made and `make test` would fail before this suite. Here each one runs
// with its output captured, and must exit 0 and print the lines expected.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define OUTMAX 2048

static char out[OUTMAX + 1];

// Run /name with its standard output captured in out; returns its exit
// status.
static int run_captured(char *name) {
  char path[32];
  tl_snprintf(path, sizeof(path), "/%s", name);
  char *argv[] = {name, 0};
  int from;
  int pid = spawn_piped(path, argv, 0, &from);
  int n = 0, got;
  while (n < OUTMAX && (got = read(from, out + n, OUTMAX - n)) > 0)
    n += got;
  out[n] = 0;
  close(from);
  return wait_pid(pid);
}

// Does out hold line, whole, as one of its lines?
static int has_line(const char *line) {
  int len = strlen(line);
  for (char *p = out; *p; p++) {
    if ((p == out || p[-1] == '\n') && memcmp(p, line, len) == 0 && p[len] == '\n')
      return 1;
  }
  return 0;
}

// Run name and fail unless it exits 0 and prints every line of want.
static void expect_output(char *name, char **want) {
  int status = run_captured(name);
  if (status != 0)
    fail("%s exited %d; it printed: %s", name, status, out);
  for (; *want; want++)
    if (!has_line(*want))
      fail("%s did not print \"%s\"; it printed: %s", name, *want, out);
}

// Formats that do not match their arguments build, and print what xv6's
// printf prints for them.
static void t_printf(char *name) {
  char *want[] = {
      "p=0x0123456789abcdef", "n=42", "s=(null)", "x=89abcdef", "ld=42", "f=5 five", "ok", 0};
  expect_output("compat_printf", want);
}

// sbrk with a negative size, sleep, uptime, exit(-1), an int main() that
// falls off its end.
static void t_old_names(char *name) {
  char *want[] = {"compat_mem: ok", 0};
  expect_output("compat_mem", want);
}

// The kernel headers course programs include, with xv6's values.
static void t_headers(char *name) {
  char *want[] = {"compat_headers: ok", 0};
  expect_output("compat_headers", want);
}

// The include order of xv6's init.c.
static void t_init_includes(char *name) {
  char *want[] = {"compat_init: CONSOLE=1 ok", 0};
  expect_output("compat_init", want);
}

static struct test tests[] = {
    {t_printf, "printf_formats", 0},
    {t_old_names, "old_names", 0},
    {t_headers, "headers", 0},
    {t_init_includes, "init_includes", 0},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_compat", tests, argc, argv); }
