// Sleep locks (see sleeplock.h), handed over in FIFO order.
//
// Interface: initsleeplock, acquiresleep, tryacquiresleep, releasesleep,
// holdingsleep.
//
// Why FIFO: without it, a process that releases a lock and asks for it
// again at once (dedup() in a loop retakes every vmlock) gets it back
// before the waiter it woke has even been scheduled, so the waiter can
// starve (measured: single page faults waiting seconds; user/bench_fair).
// Each acquirer draws a ticket; release passes the lock to the next ticket
// directly, so a waiter is overtaken by nobody who asked after it.
//
// Invariants (under lk->guard): tickets serving .. next-1 have been drawn;
// the lock is free iff serving == next, otherwise ticket `serving` holds
// it (pid is set once that process runs again); every other ticket holder
// sleeps on lk. A release with waiters wakes them all (they share the
// channel); each checks its ticket, and all but the next go back to sleep.
// Without waiters a release skips wakeup(), which scans the process table:
// address-space locks are taken on every page fault and are rarely
// contended.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/lockcheck.h"

void initsleeplock(struct sleeplock *lk, char *name) {
  *lk = (struct sleeplock){.name = name};
  initlock(&lk->guard, "sleeplock");
  LOCKCHECK_DO(lk->class = lockcheck_class(name));
}

// Take the lock, sleeping until every earlier asker has had it.
void acquiresleep(struct sleeplock *lk) {
  LOCKCHECK_DO(uint64 pc = (uint64)__builtin_return_address(0));
  LOCKCHECK_DO(lockcheck_acquire(lk, lk->class, LC_SLEEP, pc));
  acquire(&lk->guard);
  uint ticket = lk->next++;
  while (lk->serving != ticket)
    sleep(lk, &lk->guard); // sleep() drops lk->guard, so the holder can release
  lk->pid = myproc()->pid; // the holder, now running
  release(&lk->guard);
  LOCKCHECK_DO(lockcheck_held(lk, lk->class, LC_SLEEP, pc));
}

// Take the lock if nobody holds or waits for it; never sleeps. Returns 1
// if taken, 0 if not. Records no lock order (it never waits).
int tryacquiresleep(struct sleeplock *lk) {
  acquire(&lk->guard);
  int free = lk->serving == lk->next;
  if (free) {
    lk->next++;
    lk->pid = myproc()->pid;
  }
  release(&lk->guard);
  LOCKCHECK_DO(if (free)
                   lockcheck_held(lk, lk->class, LC_SLEEP, (uint64)__builtin_return_address(0)));
  return free;
}

// Release the lock to the next ticket, if one was drawn.
void releasesleep(struct sleeplock *lk) {
  LOCKCHECK_DO(lockcheck_release(lk, LC_SLEEP));
  acquire(&lk->guard);
  if (lk->serving == lk->next)
    panic("releasesleep: not held");
  lk->pid = 0;
  if (++lk->serving != lk->next)
    wakeup(lk);
  release(&lk->guard);
}

// Does the calling process hold lk? (For assertions.)
int holdingsleep(struct sleeplock *lk) {
  acquire(&lk->guard);
  int mine = lk->serving != lk->next && lk->pid == myproc()->pid;
  release(&lk->guard);
  return mine;
}
