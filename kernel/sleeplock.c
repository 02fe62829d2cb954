// Sleep locks (see sleeplock.h).
//
// Interface: initsleeplock, acquiresleep, releasesleep, holdingsleep.
// Invariant: lk->locked is 1 exactly while one process, lk->pid, holds the
// lock; every process waiting for it sleeps on the lock's address, counted
// in lk->waiters, and is woken by releasesleep(). Without waiters a release
// skips wakeup(), which scans the process table: address-space locks are
// taken on every page fault and are almost never contended.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

void initsleeplock(struct sleeplock *lk, char *name) {
  initlock(&lk->lk, "sleeplock");
  lk->locked = 0;
  lk->waiters = 0;
  lk->pid = 0;
  lk->name = name;
}

// Take the lock, sleeping while another process holds it.
void acquiresleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  while (lk->locked) {
    lk->waiters++;
    sleep(lk, &lk->lk); // sleep() drops lk->lk, so the holder can release
    lk->waiters--;
  }
  lk->locked = 1;
  lk->pid = myproc()->pid;
  release(&lk->lk);
}

// Take the lock only if it is free. Returns 1 if taken. Never sleeps, so
// it cannot take part in a deadlock: the reclaimer uses it for the
// address spaces of others (kernel/vm/reclaim.c).
int tryacquiresleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  int free = !lk->locked;
  if (free) {
    lk->locked = 1;
    lk->pid = myproc()->pid;
  }
  release(&lk->lk);
  return free;
}

void releasesleep(struct sleeplock *lk) {
  acquire(&lk->lk);
  if (!lk->locked)
    panic("releasesleep: not held");
  lk->locked = 0;
  lk->pid = 0;
  if (lk->waiters > 0)
    wakeup(lk);
  release(&lk->lk);
}

// Does the calling process hold lk? (For assertions.)
int holdingsleep(struct sleeplock *lk) {
  int mine;

  acquire(&lk->lk);
  mine = lk->locked && lk->pid == myproc()->pid;
  release(&lk->lk);
  return mine;
}
