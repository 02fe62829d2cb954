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

static char out[OUTMAX];

// Run name and fail unless it exits 0 and prints every line of want.
static void expect_output(char *name, char **want) {
  char path[32], *argv[] = {name, 0};
  tl_snprintf(path, sizeof(path), "/%s", name);
  int status = run_captured(path, argv, out, sizeof(out));
  if (status != 0)
    fail("%s exited %d; it printed: %s", name, status, out);
  for (; *want; want++)
    if (!has_line(out, *want))
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
