// Sleep locks (see sleeplock.h): whoever comes first may take a free lock,
// but a waiter overtaken once is handed the lock at the next release.
//
// Interface: initsleeplock, acquiresleep, tryacquiresleep, releasesleep,
// holdingsleep.
//
// Why the hand-off: a process that releases a lock and asks for it again
// at once (dedup() in a loop retakes every vmlock) used to get it back
// before the waiter it woke had even been scheduled, again and again: a
// page fault waited up to seconds (user/bench_fair measures it). Strict
// FIFO order ends that, but also makes every acquire of a contended lock
// wait for a switch to the next waiter: a process faulting beside a
// dedup() loop then got one fault per scan, on one hart 50 to 100 times
// slower than before.
// So taking a free lock stays allowed, as Linux's mutexes allow it, until
// a waiter has been woken and found the lock taken again: it then claims
// the next release (handoff), which passes the lock to it directly. A
// waiter thus waits for at most the current holder and one more.
//
// Invariants (under lk->guard): locked is 1 while a process holds the lock
// or it is handed over; pid is that process (set by the release when it
// is handed over, before the new holder runs); handoff is 0 or the pid of
// one waiter, and then the lock is held by another process or by handoff
// itself. Every waiter sleeps on lk and is counted in waiters; a release
// with waiters wakes them all. Without waiters it skips wakeup(), which
// scans the process table: address-space locks are taken on every page
// fault and are rarely contended.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/lockcheck.h"

void initsleeplock(struct sleeplock *lk, char *name) {
  *lk = (struct sleeplock){.name = name};
  initlock(&lk->guard, "sleeplock");
  LOCKCHECK_DO(lk->class = lockcheck_class(name));
}

// Take the lock, sleeping while another process holds it.
void acquiresleep(struct sleeplock *lk) {
  LOCKCHECK_DO(uint64 pc = (uint64)__builtin_return_address(0));
  LOCKCHECK_DO(lockcheck_acquire(lk, lk->class, LC_SLEEP, pc));
  int me = myproc()->pid, woken = 0;
  acquire(&lk->guard);
  while (lk->locked && lk->pid != me) { // pid == me: handed over to us
    if (woken && lk->handoff == 0)
      lk->handoff = me; // overtaken after a wakeup: the next release is ours
    lk->waiters++;
    sleep(lk, &lk->guard); // sleep() drops the guard, so the holder can release
    lk->waiters--;
    woken = 1;
  }
  if (lk->handoff == me)
    lk->handoff = 0;
  lk->locked = 1;
  lk->pid = me;
  release(&lk->guard);
  LOCKCHECK_DO(lockcheck_held(lk, lk->class, LC_SLEEP, pc));
}

// Take the lock if it is free; never sleeps. Returns 1 if taken, 0 if not.
// Records no lock order (it never waits).
int tryacquiresleep(struct sleeplock *lk) {
  acquire(&lk->guard);
  int free = !lk->locked;
  if (free) {
    lk->locked = 1;
    lk->pid = myproc()->pid;
  }
  release(&lk->guard);
  LOCKCHECK_DO(if (free)
                   lockcheck_held(lk, lk->class, LC_SLEEP, (uint64)__builtin_return_address(0)));
  return free;
}

// Release the lock, or hand it to the waiter that claimed it.
void releasesleep(struct sleeplock *lk) {
  LOCKCHECK_DO(lockcheck_release(lk, LC_SLEEP));
  acquire(&lk->guard);
  if (!lk->locked || lk->pid != myproc()->pid)
    panic("releasesleep: not held by the caller");
  lk->pid = lk->handoff; // locked stays 1 if it goes to a waiter
  lk->locked = lk->handoff != 0;
  if (lk->waiters > 0)
    wakeup(lk);
  release(&lk->guard);
}

// Does the calling process hold lk? (For assertions.)
int holdingsleep(struct sleeplock *lk) {
  acquire(&lk->guard);
  int mine = lk->locked && lk->pid == myproc()->pid;
  release(&lk->guard);
  return mine;
}
