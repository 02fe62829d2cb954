// Spinlocks. A hart holding a spinlock has interrupts off, so an interrupt
// handler on the same hart can never try to take a lock its own hart holds.
// push_off/pop_off nest: interrupts come back on only when the outermost
// holder releases, and only if they were on before.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

void initlock(struct spinlock *lk, char *name) {
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

void acquire(struct spinlock *lk) {
  push_off();
  if (holding(lk)) {
    printf("lock %s\n", lk->name);
    panic("acquire: already held by this hart");
  }
  // Acquire ordering: the critical section cannot move above the swap.
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
    ;
  lk->cpu = mycpu();
}

void release(struct spinlock *lk) {
  if (!holding(lk)) {
    printf("lock %s\n", lk->name);
    panic("release: not held");
  }
  lk->cpu = 0;
  // Release ordering: the critical section's stores are visible first.
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
  pop_off();
}

// Is this hart holding lk? Interrupts must be off.
int holding(struct spinlock *lk) { return lk->locked && lk->cpu == mycpu(); }

void push_off(void) {
  int was_on = intr_off_was_on();
  struct cpu *c = mycpu();
  if (c->noff == 0)
    c->intena = was_on;
  c->noff++;
}

// No check that interrupts are still off here: reading sstatus on every
// release costs more than the rest of it (riscv.h); sched() checks.
void pop_off(void) {
  struct cpu *c = mycpu();
  if (c->noff < 1)
    panic("pop_off: unbalanced");
  c->noff--;
  if (c->noff == 0 && c->intena)
    intr_on();
}
