// Sleep locks: mutual exclusion for long stretches (disk I/O, a whole file
// system call, an address space) during which the holder may sleep. A
// waiter sleeps instead of spinning, so a sleep lock may only be taken by
// a process, never by an interrupt handler or while holding a spinlock.
// A waiter cannot starve: see sleeplock.c.
//
// Include kernel/spinlock.h first (user programs such as xv6's init.c include
// this header through kernel/file.h in that order).
#ifndef SLEEPLOCK_H
#define SLEEPLOCK_H

struct sleeplock {
  struct spinlock guard; // protects the fields below
  uint locked;           // held, or handed over to pid
  uint waiters;          // processes sleeping in acquiresleep()
  int pid;               // the holder (or the waiter it is handed to)
  int handoff;           // a waiter overtaken once: the next release is its
  char *name;            // for panics, and the lock's class for lockcheck.c
#ifdef LOCKCHECK
  int class; // lockcheck_class(name)
#endif
};

#endif
