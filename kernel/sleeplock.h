// Sleep locks: mutual exclusion for long stretches (disk I/O, a whole file
// system call) during which the holder may sleep. A waiter sleeps instead of
// spinning, so a sleep lock may only be taken by a process, never by an
// interrupt handler or while holding a spinlock.
//
// Include kernel/spinlock.h first (user programs such as xv6's init.c include
// this header through kernel/file.h in that order).
#ifndef SLEEPLOCK_H
#define SLEEPLOCK_H

struct sleeplock {
  struct spinlock lk; // protects locked and pid
  uint locked;        // 1 while some process holds the lock
  uint waiters;       // processes sleeping in acquiresleep()
  int pid;            // the holder, for holdingsleep() and debugging
  char *name;         // for panics
};

#endif
