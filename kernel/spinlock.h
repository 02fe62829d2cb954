// Mutual exclusion with interrupts off. Held only for short stretches:
// never across I/O, sleep or a loop over a whole address space.
#ifndef SPINLOCK_H
#define SPINLOCK_H

struct spinlock {
  uint locked;     // 0 free, 1 held (changed only by amoswap)
  char *name;      // for panics, and the lock's class for lockcheck.c
  struct cpu *cpu; // holder, for holding() and deadlock reports
#ifdef LOCKCHECK
  int class; // lockcheck_class(name)
#endif
};

#endif
