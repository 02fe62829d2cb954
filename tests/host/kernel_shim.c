// Stand-ins for the kernel services that host-tested kernel files call:
// spinlocks (pthread mutexes, so that tests can race real threads),
// printf and panic. A test can expect a panic: expect_panic() arms a
// jump buffer and panic() returns there instead of aborting.
//
// This file must not include <stdio.h>: the kernel's printf has another
// signature than the C library's.
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/types.h"
#include "kernel/spinlock.h"
#include "kernel_shim.h"

int vsnprintf(char *buf, unsigned long n, const char *fmt, va_list ap);

static pthread_mutex_t locks_guard = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_table[64];
static int nlocks;

jmp_buf *panic_jump;    // set by expect_panic()
const char *last_panic; // message of the last panic caught

// The shim keeps the mutex that stands in for a spinlock in lk->cpu.
void initlock(struct spinlock *lk, char *name) {
  pthread_mutex_lock(&locks_guard);
  if (nlocks == 64)
    abort();
  pthread_mutex_init(&lock_table[nlocks], 0);
  lk->name = name;
  lk->locked = 0;
  lk->cpu = (struct cpu *)&lock_table[nlocks++];
  pthread_mutex_unlock(&locks_guard);
}

void acquire(struct spinlock *lk) {
  pthread_mutex_lock((pthread_mutex_t *)lk->cpu);
  lk->locked = 1;
}

void release(struct spinlock *lk) {
  lk->locked = 0;
  pthread_mutex_unlock((pthread_mutex_t *)lk->cpu);
}

int holding(struct spinlock *lk) { return lk->locked; }

void printf(char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n > (int)sizeof(buf) - 1)
    n = sizeof(buf) - 1;
  if (write(1, buf, n) < 0)
    abort();
}

void panic(char *s) {
  last_panic = s;
  if (panic_jump) {
    jmp_buf *j = panic_jump;
    panic_jump = 0;
    longjmp(*j, 1);
  }
  printf("panic: %s\n", s);
  abort();
}
