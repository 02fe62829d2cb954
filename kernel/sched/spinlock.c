// Spinlocks. While a hart holds one its interrupts are off, so an
// interrupt handler on that hart can never spin on a lock the hart holds.
//
// Interface: initlock, acquire, release, holding; push_off/pop_off, the
// nesting interrupt switch that acquire and release use (interrupts come
// back on only when the outermost push_off is undone, and only if they
// were on before it). In LOCKCHECK builds every acquire and release is
// reported to the lock-order checker (lockcheck.c).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/lockcheck.h"

void initlock(struct spinlock *lk, char *name) {
  *lk = (struct spinlock){.name = name};
  LOCKCHECK_DO(lk->class = lockcheck_class(name));
}

void acquire(struct spinlock *lk) {
  push_off(); // before holding(): this hart must not move meanwhile
  if (holding(lk)) {
    printf("spinlock %s: acquired twice by hart %d\n", lk->name, cpuid());
    panic("acquire: lock already held");
  }
  LOCKCHECK_DO(uint64 pc = (uint64)__builtin_return_address(0));
  LOCKCHECK_DO(lockcheck_acquire(lk, lk->class, LC_SPIN, pc));
  // The swap is an acquire barrier: nothing below moves above it.
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
    ;
  lk->cpu = mycpu();
  LOCKCHECK_DO(lockcheck_held(lk, lk->class, LC_SPIN, pc));
}

void release(struct spinlock *lk) {
  if (!holding(lk)) {
    printf("spinlock %s: released by hart %d, which does not hold it\n", lk->name, cpuid());
    panic("release: lock not held");
  }
  LOCKCHECK_DO(lockcheck_release(lk, LC_SPIN));
  lk->cpu = 0;
  // A release store: the critical section's writes are seen before it.
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
  pop_off();
}

// Does this hart hold lk? Call with interrupts off.
int holding(struct spinlock *lk) { return lk->locked && lk->cpu == mycpu(); }

void push_off(void) {
  int was_on = intr_off_was_on();
  struct cpu *here = mycpu();
  if (here->noff++ == 0)
    here->intena = was_on;
}

// Interrupts are not checked to be still off here: reading sstatus on
// every release costs more than the rest of it (riscv.h); leave() (sched.c) checks.
void pop_off(void) {
  struct cpu *here = mycpu();
  if (here->noff <= 0)
    panic("pop_off: not pushed");
  if (--here->noff == 0 && here->intena)
    intr_on();
}
