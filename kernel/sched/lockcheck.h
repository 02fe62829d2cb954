// Lock-order checking, in the debug build only (make LOCKCHECK=1 ..., or
// the kernel/kernel-lc that `make test` builds beside kernel/kernel).
// kernel/sched/lockcheck.c explains how it works.
//
// Every spinlock and sleep lock belongs to a class, named by the name
// given to initlock()/initsleeplock(). spinlock.c and sleeplock.c call:
//   lockcheck_class(name)            at init: the class of that name
//   lockcheck_acquire(lk, class, k, pc)  before waiting for lk: panics at
//                                        the first order inversion
//   lockcheck_held(lk, class, k, pc)     lk is now held (also after a
//                                        try-acquire, which records no order)
//   lockcheck_release(lk, k)             before lk is released
// k is LC_SPIN or LC_SLEEP; pc is the caller of acquire, for reports. trap.c brackets device
// interrupt handlers with lockcheck_irq(1) / lockcheck_irq(-1): a handler runs on behalf of nobody,
// so the interrupted process's sleep locks are not its own.
//
// Without LOCKCHECK these are no-ops and the lock structures carry no
// class: the normal kernel is unchanged.
#ifndef LOCKCHECK_H
#define LOCKCHECK_H

#define LC_SPIN 0
#define LC_SLEEP 1

#ifdef LOCKCHECK
int lockcheck_class(char *name);
void lockcheck_acquire(void *lk, int class, int kind, uint64 pc);
void lockcheck_held(void *lk, int class, int kind, uint64 pc);
void lockcheck_release(void *lk, int kind);
void lockcheck_irq(int delta);
#define LOCKCHECK_DO(stmt) stmt
#else
#define LOCKCHECK_DO(stmt)
#endif

#endif
