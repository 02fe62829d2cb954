// Sleep locks: mutual exclusion for long stretches (disk I/O, a whole file
// system call, an address space) during which the holder may sleep. A
// waiter sleeps instead of spinning, so a sleep lock may only be taken by
// a process, never by an interrupt handler or while holding a spinlock.
// Waiters get the lock in the order they asked for it (sleeplock.c).
//
// Include kernel/spinlock.h first (user programs such as xv6's init.c include
// this header through kernel/file.h in that order).
#ifndef SLEEPLOCK_H
#define SLEEPLOCK_H

struct sleeplock {
  struct spinlock guard; // protects the fields below
  uint next;             // ticket the next acquirer draws
  uint serving;          // ticket that holds the lock; free when == next
  int pid;               // the holder once it runs, for holdingsleep()
  char *name;            // for panics, and the lock's class for lockcheck.c
#ifdef LOCKCHECK
  int class; // lockcheck_class(name)
#endif
};

#endif
