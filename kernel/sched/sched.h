// The bottom layer of the kernel (kernel/sched/): harts, spinlocks, sleep
// locks, sleep and wakeup, the scheduler and the clock. docs/sched.md tells
// the design.
//
// Everything else calls down into this layer and it calls up into nothing,
// with two exceptions, both leaves: printf/panic, and the two MMU switches
// of kernel/vm/pagetable.c (kvm_switch_user, kvm_switch_kernel), which use
// only this layer's harts. It knows a process only as a kernel thread: the
// fields of struct proc marked "scheduler" in kernel/proc.h.
//
// Files, bottom up:
//   spinlock.c   spinlocks, push_off/pop_off
//   lockcheck.c  the lock-order checker of LOCKCHECK builds (lockcheck.h)
//   sched.c      harts, kernel stacks, the run queue, sleep/wakeup, yield
//   switch.S     switch_to(): the register half of a context switch
//   sleeplock.c  sleep locks, built on sleep/wakeup
//   clock.c      ticks, the timer, sleep() and uptime() system calls
//
// Lock order: "sched" (sched.c) is the innermost lock of the kernel: it is
// taken while any other lock may be held and no other lock is taken while
// holding it (printf's "pr" on the way to a panic aside). Every other lock
// of the kernel, spinlock or sleep lock, comes before it.
//
// Include kernel/types.h, param.h and riscv.h first.
#ifndef SCHED_H
#define SCHED_H

struct proc;
struct spinlock;
struct sleeplock;

// Each process's kernel thread has a stack of this size (sched.c).
#define KSTACKSIZE (2 * PGSIZE)

// Per-hart state, indexed by hart id, which tp holds in the kernel.
// Each field is touched only by its own hart with interrupts off, except
// proc, which other harts read (vm/pagetable.c: tlb_shootdown and
// running_procs).
struct cpu {
  // The process this hart runs, 0 while it is idle. Set before the hart
  // enters the process's address space (kvm_switch_user flushes its TLB),
  // cleared only after it has left it (kvm_switch_kernel): a process not
  // named here holds no TLB entry on this hart.
  struct proc *proc;
  uint64 idle_sp; // the idle thread's stack pointer while it is switched out
  int noff;       // depth of push_off() nesting
  int intena;     // were interrupts on before the outermost push_off()?
  int tlb_stale;  // flush the TLB before returning to user mode (vm/)
};

extern struct cpu cpus[NCPU];

// sched.c: harts and threads
int cpuid(void);
struct cpu *mycpu(void);
struct proc *myproc(void);
void sched_init(void);
void sched_thread(struct proc *p, int slot);
void sched_start(struct proc *p, void (*entry)(void));
void sched_ready(struct proc *p);
void sched_wake(struct proc *p);
void sched_exit(struct spinlock *lk) __attribute__((noreturn));
void sched_forget(struct proc *p);
void scheduler(void) __attribute__((noreturn));
void yield(void);
int killed(struct proc *p);
void sleep(void *chan, struct spinlock *lk);
void wakeup(void *chan);

// spinlock.c
void initlock(struct spinlock *lk, char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
void push_off(void);
void pop_off(void);

// sleeplock.c
void initsleeplock(struct sleeplock *lk, char *name);
void acquiresleep(struct sleeplock *lk);
int tryacquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);

// clock.c: ticks counts timer interrupts of hart 0 (ten a second) under
// tickslock; sleepers on &ticks are woken at each.
extern uint ticks;
extern struct spinlock tickslock;
void clock_init(void);
void clock_start_hart(void);
void clock_tick(void);

#endif
