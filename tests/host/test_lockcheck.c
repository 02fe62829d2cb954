// Host unit tests of the lock-order checker (kernel/sched/lockcheck.c): orders
// kept and inverted (directly and through a third class), the nesting
// rules of one class, try-acquires, sleep locks taken under a spinlock,
// interrupt handlers, per-process sleep-lock sets, and releases of locks
// not held. The checker is compiled into this file with LOCKCHECK, its
// kernel services (harts, processes, interrupts) played by the test.
// sources: tests/host/kernel_shim.c
#include <stdlib.h>

// The kernel's string functions have other signatures than the C
// library's: rename them while the kernel's headers are read.
#define LOCKCHECK
#define memmove k_memmove
#define memset k_memset
#define memcmp k_memcmp
#define memcpy k_memcpy
#define strlen k_strlen
#define strncmp k_strncmp
#define strncpy k_strncpy
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/sched/lockcheck.c"
#undef memmove
#undef memset
#undef memcmp
#undef memcpy
#undef strlen
#undef strncmp
#undef strncpy
#include <string.h>
#include "kernel_shim.h"

struct proc proc[NPROC];
static struct proc *current; // the running process, 0 for a scheduler
static int hart;
static int failures;

void *k_memset(void *d, int c, uint n) { return memset(d, c, n); }
int k_strncmp(const char *a, const char *b, uint n) { return strncmp(a, b, n); }
struct proc *myproc(void) {
  return current;
}
int cpuid(void) { return hart; }
void push_off(void) {}
void pop_off(void) {}

char *safestrcpy(char *d, const char *s, int n) {
  strncpy(d, s, n - 1);
  d[n - 1] = 0;
  return d;
}

// Forget every class, edge and held lock.
static void reset(void) {
  memset(names, 0, sizeof(names));
  memset(nest, 0, sizeof(nest));
  memset(direct, 0, sizeof(direct));
  memset(reach, 0, sizeof(reach));
  memset(first, 0, sizeof(first));
  memset(spins, 0, sizeof(spins));
  memset(sleeps, 0, sizeof(sleeps));
  memset(irq_depth, 0, sizeof(irq_depth));
  nclass = nrecords = off = 0;
  announced = 1;
  hart = 0;
  current = &proc[3];
  current->pid = 7;
  strcpy(current->name, "tester");
}

// Locks are just addresses to the checker.
static char locks[16][64];
#define L(i) ((void *)locks[i])

static void take(void *lk, int class, int kind) {
  lockcheck_acquire(lk, class, kind, 0x1000);
  lockcheck_held(lk, class, kind, 0x1000);
}

static void drop(void *lk, int kind) { lockcheck_release(lk, kind); }

static void result(char *name, int ok) {
  printf(ok ? "PASS %s\n" : "FAIL %s: see above\n", name);
  failures += !ok;
}

static void test_classes(void) {
  reset();
  int a = lockcheck_class("log"), b = lockcheck_class("bcache"), c = lockcheck_class("log");
  char copy[] = "bcache"; // the same name at another address
  result("classes", a == c && a != b && lockcheck_class(copy) == b);
}

static void test_order_kept(void) {
  reset();
  int a = lockcheck_class("a"), b = lockcheck_class("b");
  int ok = !PANICS({
    for (int i = 0; i < 3; i++) {
      take(L(0), a, LC_SPIN);
      take(L(1), b, LC_SPIN);
      drop(L(1), LC_SPIN);
      drop(L(0), LC_SPIN);
    }
  });
  result("order_kept", ok && (direct[a] >> b & 1) && !(direct[b] >> a & 1));
}

static void test_inversion(void) {
  reset();
  int a = lockcheck_class("a"), b = lockcheck_class("b");
  take(L(0), a, LC_SLEEP);
  take(L(1), b, LC_SPIN);
  drop(L(1), LC_SPIN);
  drop(L(0), LC_SLEEP);
  take(L(1), b, LC_SPIN);
  int caught = PANICS(lockcheck_acquire(L(0), a, LC_SPIN, 0x2000));
  result("inversion", caught && strstr(last_panic, "inversion"));
}

// a -> b and b -> c recorded; c then a closes the cycle a -> b -> c -> a.
static void test_transitive(void) {
  reset();
  int a = lockcheck_class("a"), b = lockcheck_class("b"), c = lockcheck_class("c");
  take(L(0), a, LC_SPIN);
  take(L(1), b, LC_SPIN);
  drop(L(1), LC_SPIN);
  drop(L(0), LC_SPIN);
  take(L(1), b, LC_SPIN);
  take(L(2), c, LC_SPIN);
  drop(L(2), LC_SPIN);
  drop(L(1), LC_SPIN);
  take(L(2), c, LC_SPIN);
  result("transitive", PANICS(lockcheck_acquire(L(0), a, LC_SPIN, 0x3000)) && (reach[a] >> c & 1));
}

static void test_vmlock_order(void) {
  reset();
  int vm = lockcheck_class("vmlock");
  int up = !PANICS({
    for (int i = 0; i < 8; i++)
      take(L(i), vm, LC_SLEEP);
    for (int i = 7; i >= 0; i--)
      drop(L(i), LC_SLEEP);
  });
  take(L(5), vm, LC_SLEEP);
  int down = PANICS(lockcheck_acquire(L(2), vm, LC_SLEEP, 0x4000));
  result("vmlock_order", up && down && strstr(last_panic, "out of order"));
}

static void test_same_class(void) {
  reset();
  int pipe = lockcheck_class("pipe"), buf = lockcheck_class("buf");
  int any = !PANICS({
    take(L(3), buf, LC_SLEEP);
    take(L(1), buf, LC_SLEEP); // buffers nest in any order
    drop(L(1), LC_SLEEP);
    drop(L(3), LC_SLEEP);
  });
  take(L(0), pipe, LC_SPIN);
  int caught = PANICS(lockcheck_acquire(L(1), pipe, LC_SPIN, 0x5000));
  result("same_class", any && caught);
}

// A try-acquire, and acquiresleep() under a spinlock (which cannot wait),
// record no order: the reverse order is then no inversion.
static void test_try(void) {
  reset();
  int a = lockcheck_class("a"), b = lockcheck_class("b"), s = lockcheck_class("itable");
  take(L(0), a, LC_SLEEP);
  lockcheck_held(L(1), b, LC_SLEEP, 0x6000); // tryacquiresleep
  drop(L(1), LC_SLEEP);
  drop(L(0), LC_SLEEP);
  take(L(2), s, LC_SPIN);
  take(L(0), a, LC_SLEEP); // under a spinlock
  drop(L(0), LC_SLEEP);
  drop(L(2), LC_SPIN);
  int ok = !PANICS({
    take(L(1), b, LC_SLEEP);
    take(L(0), a, LC_SLEEP);
    drop(L(0), LC_SLEEP);
    drop(L(1), LC_SLEEP);
    take(L(0), a, LC_SLEEP);
    take(L(2), s, LC_SPIN);
  });
  result("try_acquire", ok && !(direct[a] >> b & 1) && (direct[b] >> a & 1));
}

// A handler holds none of the interrupted process's sleep locks, and may
// take no sleep lock.
static void test_irq(void) {
  reset();
  int vm = lockcheck_class("vmlock"), disk = lockcheck_class("virtio_disk0");
  take(L(0), vm, LC_SLEEP);
  lockcheck_irq(1);
  take(L(1), disk, LC_SPIN);
  drop(L(1), LC_SPIN);
  int sleep_in_irq = PANICS(lockcheck_acquire(L(2), vm, LC_SLEEP, 0x7000));
  result("irq", !(direct[vm] >> disk & 1) && sleep_in_irq);
}

// Sleep locks belong to processes: another process's are not held here.
static void test_processes(void) {
  reset();
  int a = lockcheck_class("a"), b = lockcheck_class("b");
  take(L(0), a, LC_SLEEP);
  struct proc *first = current;
  current = &proc[9];
  current->pid = 8;
  take(L(1), b, LC_SLEEP);
  drop(L(1), LC_SLEEP);
  current = first;
  drop(L(0), LC_SLEEP);
  result("processes", !(direct[a] >> b & 1));
}

static void test_bad_release(void) {
  reset();
  int a = lockcheck_class("a");
  take(L(0), a, LC_SPIN);
  int other = PANICS(lockcheck_release(L(1), LC_SPIN));
  reset();
  take(L(0), a, LC_SPIN);
  hart = 1; // released by another hart
  int moved = PANICS(lockcheck_release(L(0), LC_SPIN));
  result("bad_release", other && moved);
}

int main(void) {
  test_classes();
  test_order_kept();
  test_inversion();
  test_transitive();
  test_vmlock_order();
  test_same_class();
  test_try();
  test_irq();
  test_processes();
  test_bad_release();
  return failures ? 1 : 0;
}
