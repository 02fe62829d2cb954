// Harts, kernel threads, the run queue, sleep and wakeup (sched.h).
//
// Every process has one kernel thread, on its own kernel stack; every hart
// has an idle thread, on its boot stack, which runs scheduler(). A thread
// stops running in one of three ways, all through leave(): yield (it goes
// to the back of the run queue), sleep (it goes on a sleep queue) and
// sched_exit (it is a zombie). leave() switches straight to the process at
// the head of the run queue, on the same hart, and only when the queue is
// empty to the hart's idle thread, which waits in wfi. So a yield with
// nobody waiting costs nothing, and handing the hart from one process to
// another is one switch, where xv6 makes two through a scheduler thread.
// The run queue is FIFO: runnable processes take turns in the order they
// became runnable, whichever hart frees up first.
//
// sched_lock ("sched") protects the run queue, the sleep queues and, for a
// live process, state, chan and next. It is held across every context
// switch: the thread that stops takes it, the thread that starts on that
// hart releases it (after switch_to() returns, or in thread_first()). So
//   - a thread put back on the run queue cannot be picked by another hart
//     before switch_to() has saved its registers;
//   - a zombie's stack is in use until its last switch is over, and the
//     parent's sched_forget(), which takes sched_lock, waits for that;
//   - a hart has left a process's page table (satp) before another hart
//     can run it, and so before exit or exec there may free that table.
// sched_lock is the innermost lock: sleep() takes it holding the caller's
// lock, and lets the caller's lock go while holding it.
//
// What vm/ relies on (vm/pagetable.c: tlb_shootdown, running_procs):
// enter() sets cpu->proc before kvm_switch_user() flushes the hart's TLB;
// the idle thread clears cpu->proc only after kvm_switch_kernel(). A switch
// from p to q goes from p's table straight to q's, after cpu->proc names q:
// in those few instructions p runs only this file's code, which touches no
// user address, and its table cannot be freed (p is not a zombie yet, or
// sched_forget waits).
//
// Sleep queues: NSLEEPQ lists; a sleeper is on the one its channel hashes
// to, so wakeup() looks at the sleepers of one list, not the whole table.
//
// Idle harts wait in wfi with their bit set in idle_harts; whoever makes
// processes runnable sends IPIs to as many idle harts, so no runnable
// process waits for a clock tick while a hart sleeps.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sbi.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"

// The leaves of vm/pagetable.c this layer calls (sched.h), and switch.S.
void kvm_switch_user(pagetable_t pt);
void kvm_switch_kernel(void);
void switch_to(uint64 *save_sp, uint64 next_sp);
#define SWITCH_FRAME 112 // bytes switch_to() keeps on a stack: ra, s0..s11

struct cpu cpus[NCPU];

// A kernel stack. Its owner is at the lowest address, which an overflow
// reaches first: leave() checks it.
struct kstack {
  struct proc *owner;
  char bytes[KSTACKSIZE - sizeof(struct proc *)];
};
static struct kstack kstacks[NPROC] __attribute__((aligned(PGSIZE)));

static struct spinlock sched_lock;
static struct proc *runq_head, *runq_tail; // RUNNABLE, oldest first

#define NSLEEPQ 32
static struct proc *sleepq[NSLEEPQ]; // SLEEPING, by hash of chan

static volatile uint64 idle_harts; // bit h: hart h waits in wfi

void sched_init(void) { initlock(&sched_lock, "sched"); }

// The hart id; interrupts must be off so the caller cannot move meanwhile.
int cpuid(void) { return r_tp(); }

struct cpu *mycpu(void) {
  return &cpus[cpuid()];
}

// The process whose kernel thread runs this code, or 0 on an idle thread.
// A thread keeps its stack when it moves to another hart, so the stack
// pointer names it with no need to mask interrupts (which is slow).
struct proc *myproc(void) {
  uint64 off = r_sp() - (uint64)kstacks;
  return off < sizeof(kstacks) ? kstacks[off / KSTACKSIZE].owner : 0;
}

// Whether kill() asked p to stop; sleepers of every layer check it.
int killed(struct proc *p) { return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE); }

// Give slot p its kernel stack, for good (at boot).
void sched_thread(struct proc *p, int slot) {
  kstacks[slot].owner = p;
  p->kstack = (char *)&kstacks[slot];
}

// The first instructions of a new thread: switch_to() "returns" here, on
// an empty stack, with sched_lock held by the thread that switched to it.
static void thread_first(void) {
  struct proc *p = myproc();
  mycpu()->intena = 1; // a new thread runs with interrupts on
  release(&sched_lock);
  p->entry();
  panic("thread_first: a thread returned");
}

// Make p's thread start at entry the next time it is switched to: a
// switch_to() frame whose return address is thread_first.
void sched_start(struct proc *p, void (*entry)(void)) {
  uint64 *frame = (uint64 *)(p->kstack + KSTACKSIZE - SWITCH_FRAME);
  memset(frame, 0, SWITCH_FRAME);
  frame[0] = (uint64)thread_first;
  p->entry = entry;
  p->ksp = (uint64)frame;
}

static void set_state(struct proc *p, enum procstate s) {
  __atomic_store_n(&p->state, s, __ATOMIC_RELAXED); // read unlocked by filters
}

// Append p to the run queue. Caller holds sched_lock.
static void runq_put(struct proc *p) {
  set_state(p, RUNNABLE);
  p->chan = 0;
  p->next = 0;
  if (runq_tail)
    runq_tail->next = p;
  else
    __atomic_store_n(&runq_head, p, __ATOMIC_RELAXED); // idle_wait peeks
  runq_tail = p;
}

// The oldest runnable process, off the queue, or 0. Caller holds sched_lock.
static struct proc *runq_take(void) {
  struct proc *p = runq_head;
  if (p == 0)
    return 0;
  __atomic_store_n(&runq_head, p->next, __ATOMIC_RELAXED);
  if (p->next == 0)
    runq_tail = 0;
  p->next = 0;
  return p;
}

static struct proc **sleepq_of(void *chan) {
  return &sleepq[((uint64)chan * 0x9e3779b97f4a7c15UL) >> 59]; // 32 = 2^5 lists
}

// Send an IPI to at most n idle harts, so that they look at the run queue.
// The caller has released sched_lock after queueing: the fence of the
// sequentially consistent load orders that before this read (idle_wait).
static void kick_idle(int n) {
  uint64 idle = __atomic_load_n(&idle_harts, __ATOMIC_SEQ_CST), mask = 0;
  for (; idle != 0 && n > 0; n--) {
    mask |= idle & -idle;
    idle &= idle - 1;
  }
  if (mask)
    sbi_send_ipi(mask);
}

// Make p, off the run queue, the process of hart c. Caller holds sched_lock.
static void enter(struct cpu *c, struct proc *p) {
  set_state(p, RUNNING);
  __atomic_store_n(&c->proc, p, __ATOMIC_RELAXED);
  __sync_synchronize(); // c->proc before the flush: see tlb_shootdown
  if (p->pagetable)
    kvm_switch_user(p->pagetable);
  else
    kvm_switch_kernel(); // after vm_exit
}

// Stop running p, whose new state (and queue) the caller chose, and run
// the next runnable process or this hart's idle thread. The caller holds
// sched_lock and no other lock. Returns when p runs again, on whatever
// hart, with sched_lock held by the thread that switched back to p.
static void leave(struct proc *p) {
  struct cpu *c = mycpu();
  if (!holding(&sched_lock) || c->noff != 1)
    panic("leave: must hold sched_lock and nothing else");
  if (intr_get() || p->state == RUNNING)
    panic("leave: interrupts on, or still RUNNING");
  if (((struct kstack *)p->kstack)->owner != p)
    panic("leave: kernel stack overflow");
  int intena = c->intena; // this thread's, not the hart's
  struct proc *next = runq_take();
  if (next) {
    enter(c, next);
    switch_to(&p->ksp, next->ksp);
  } else {
    switch_to(&p->ksp, c->idle_sp); // the idle thread leaves p's table
  }
  mycpu()->intena = intena;
}

// Let another runnable process have this hart, if one waits.
void yield(void) {
  struct proc *p = myproc();
  acquire(&sched_lock);
  if (runq_head != 0) {
    runq_put(p); // behind the head: leave() picks the head, not p
    leave(p);
  }
  release(&sched_lock);
}

// Let go of lk and sleep on chan until a wakeup(chan); hold lk again on
// return. The caller, holding lk, found the condition it waits for false;
// whoever makes it true does so holding lk and then calls wakeup(chan).
// p is on chan's sleep queue before lk is let go, so that wakeup finds it.
// Wakeups may be spurious: callers check their condition again.
void sleep(void *chan, struct spinlock *lk) {
  struct proc *p = myproc();
  if (p == 0)
    panic("sleep: not in a process");
  acquire(&sched_lock);
  struct proc **q = sleepq_of(chan);
  p->chan = chan;
  p->next = *q;
  set_state(p, SLEEPING);
  __atomic_store_n(q, p, __ATOMIC_RELAXED); // wakeup peeks
  release(lk);
  leave(p);
  release(&sched_lock);
  acquire(lk);
}

// Make every process sleeping on chan runnable. The caller holds the lock
// that guards the condition (see sleep), so a sleeper that found it false
// is on its queue already, and a queue seen empty has no sleeper on chan.
void wakeup(void *chan) {
  struct proc **q = sleepq_of(chan);
  if (__atomic_load_n(q, __ATOMIC_RELAXED) == 0)
    return;
  int woken = 0;
  acquire(&sched_lock);
  while (*q) {
    struct proc *p = *q;
    if (p->chan != chan) {
      q = &p->next;
      continue;
    }
    *q = p->next;
    runq_put(p);
    woken++;
  }
  release(&sched_lock);
  // An interrupt on an idle hart (no process) needs no IPI: that hart
  // looks at the run queue when the handler returns.
  if (woken && myproc() != 0)
    kick_idle(woken);
}

// Make p runnable if it sleeps, whatever it waits for (kill). Its caller
// loops back to find that it was killed.
void sched_wake(struct proc *p) {
  int woken = 0;
  acquire(&sched_lock);
  if (p->state == SLEEPING) {
    struct proc **q = sleepq_of(p->chan);
    while (*q != p)
      q = &(*q)->next;
    *q = p->next;
    runq_put(p);
    woken = 1;
  }
  release(&sched_lock);
  if (woken)
    kick_idle(1);
}

// p, just made (USED), with a thread (sched_start), may run.
void sched_ready(struct proc *p) {
  acquire(&sched_lock);
  if (p->state != USED)
    panic("sched_ready: not a new process");
  runq_put(p);
  release(&sched_lock);
  kick_idle(1);
}

// End the calling process's thread: it becomes a ZOMBIE, and lk, which
// the caller holds and which guards how its parent learns of the exit, is
// let go at once (so the parent sees ZOMBIE only while sched_lock is held
// for the last switch: see sched_forget).
void sched_exit(struct spinlock *lk) {
  struct proc *p = myproc();
  acquire(&sched_lock);
  set_state(p, ZOMBIE);
  release(lk);
  leave(p);
  panic("sched_exit: a zombie ran");
}

// The slot of p, a ZOMBIE or a process that never ran (USED), goes back
// to the process layer: it is USED when this returns, and its stack no
// longer in use, since a zombie holds sched_lock until its last switch
// is over.
void sched_forget(struct proc *p) {
  acquire(&sched_lock);
  if (p->state != ZOMBIE && p->state != USED)
    panic("sched_forget: the process is live");
  set_state(p, USED);
  release(&sched_lock);
}

// Sleep until an interrupt. The idle bit is published, with interrupts
// off, before the last look at the queue: a process queued after that
// look comes with an IPI, which stays pending and ends the wfi at once.
static void idle_wait(void) {
  uint64 bit = 1UL << cpuid();
  intr_off();
  __atomic_fetch_or(&idle_harts, bit, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&runq_head, __ATOMIC_SEQ_CST) == 0)
    __asm__ __volatile__("wfi");
  __atomic_fetch_and(&idle_harts, ~bit, __ATOMIC_SEQ_CST);
  intr_on(); // a pending interrupt is taken here
}

// A hart's idle thread: run the head of the run queue when there is one;
// when a thread of this hart finds the queue empty, it switches back here.
void scheduler(void) {
  struct cpu *c = mycpu();
  for (;;) {
    acquire(&sched_lock);
    struct proc *p = runq_take();
    if (p) {
      int intena = c->intena;
      enter(c, p);
      switch_to(&c->idle_sp, p->ksp);
      kvm_switch_kernel(); // before c->proc = 0 (see the top)
      __atomic_store_n(&c->proc, 0, __ATOMIC_RELAXED);
      c->intena = intena;
    }
    release(&sched_lock);
    if (p == 0)
      idle_wait();
  }
}
