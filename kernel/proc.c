// Processes: the process table, fork/exit/wait/kill, sleep/wakeup and the
// per-hart scheduler.
//
// Locks, outermost first (wait_lock before any p->lock):
//   wait_lock   protects every p->parent, and orders a parent's wait()
//               against its children's exit() so no wakeup is lost
//   p->lock     protects p->state, chan, killed, xstate, pid
// p->vmlock (the address space, kernel/vm/vm.h) is never taken while
// holding either of these.
//
// Idle harts wait in wfi with their bit set in idle_harts; whoever makes a
// process runnable sends one of them an IPI, so no runnable process waits
// for a timer tick while a hart sleeps.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sbi.h"
#include "defs.h"
#include "vm/vm.h"

struct cpu cpus[NCPU];
struct proc proc[NPROC];
static struct proc *initproc;

static char kstacks[NPROC][KSTACKSIZE] __attribute__((aligned(PGSIZE)));

static struct spinlock pid_lock; // protects nextpid
static int nextpid = 1;

static struct spinlock wait_lock; // see above

static volatile uint64 idle_harts; // bit h: hart h waits in wfi

extern void forkret(void);

void procinit(void) {
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  for (int i = 0; i < NPROC; i++) {
    initlock(&proc[i].lock, "proc");
    initsleeplock(&proc[i].vmlock, "vmlock");
    proc[i].state = UNUSED;
    proc[i].kstack = kstacks[i];
  }
}

// The hart id; interrupts must be off so the caller cannot move meanwhile.
int cpuid(void) { return r_tp(); }

struct cpu *mycpu(void) {
  return &cpus[cpuid()];
}

// The process whose kernel thread is running, or 0 in a scheduler thread.
// Each process has its own kernel stack, so the stack pointer names it; a
// thread that moves to another hart keeps its stack, so, unlike reading
// this hart's cpu->proc, this needs no interrupt masking (which is slow).
struct proc *myproc(void) {
  uint64 off = r_sp() - (uint64)kstacks;
  if (off >= sizeof(kstacks))
    return 0;
  return &proc[off / KSTACKSIZE];
}

static int allocpid(void) {
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// Wake one idle hart, if any, to look for runnable processes.
static void kick_idle_hart(void) {
  uint64 idle = __atomic_load_n(&idle_harts, __ATOMIC_SEQ_CST);
  if (idle != 0)
    sbi_send_ipi(idle & -idle); // the lowest idle hart
}

// Claim an UNUSED slot: state USED, a pid, an empty address space and a
// context that starts at forkret. Returns it unlocked, or 0.
static struct proc *allocproc(void) {
  struct proc *p;
  for (p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if (p == &proc[NPROC])
    return 0;
  p->pid = allocpid();
  p->state = USED;
  p->killed = 0;
  p->xstate = 0;
  release(&p->lock);

  p->sz = 0;
  p->rss = 0;
  p->swapped = 0;
  memset(&p->tf, 0, sizeof(p->tf));
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = (uint64)p->kstack + KSTACKSIZE;
  if ((p->pagetable = uvmcreate(p)) == 0) {
    acquire(&p->lock);
    p->state = UNUSED;
    release(&p->lock);
    return 0;
  }
  return p;
}

// Return a slot to UNUSED. Its user memory is gone already (vm_exit, or a
// failed fork), leaving at most the empty table. Caller holds p->lock.
static void freeproc(struct proc *p) {
  if (p->pagetable)
    uvmfree(p->pagetable);
  p->pagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

// The first process. Its kernel thread starts in forkret, which mounts the
// file system and execs /init.
void userinit(void) {
  struct proc *p = allocproc();
  if (p == 0)
    panic("userinit: no process");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  acquire(&p->lock);
  p->state = RUNNABLE;
  release(&p->lock);
}

// sbrk's work: grow or shrink user memory by n bytes.
int growproc(int n, int lazy) { return vm_grow(myproc(), n, lazy); }

// Create a copy of the calling process. Returns the child's pid to the
// parent and 0 to the child, or -1.
int fork(void) {
  struct proc *p = myproc();
  struct proc *np = allocproc();
  if (np == 0)
    return -1;
  if (vm_fork(p, np) < 0) {
    acquire(&np->lock);
    freeproc(np);
    release(&np->lock);
    return -1;
  }
  np->tf = p->tf;
  np->tf.a0 = 0; // fork() returns 0 in the child
  for (int i = 0; i < NOFILE; i++)
    if (p->ofile[i])
      np->ofile[i] = filedup(p->ofile[i]);
  np->cwd = idup(p->cwd);
  safestrcpy(np->name, p->name, sizeof(p->name));
  int pid = np->pid;

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);

  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);
  kick_idle_hart();
  return pid;
}

// IPC hook (getppid, system call 31): the parent's pid, 0 for init.
// p->parent is read under wait_lock, which also keeps the parent from
// being freed meanwhile.
int getppid(void) {
  acquire(&wait_lock);
  struct proc *parent = myproc()->parent;
  int pid = parent ? parent->pid : 0;
  release(&wait_lock);
  return pid;
}

// Give p's children to init. Caller holds wait_lock.
static void reparent(struct proc *p) {
  for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
    if (pp->parent == p) {
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

// Terminate the calling process. It stays a ZOMBIE until its parent's
// wait() collects the status.
void exit(int status) {
  struct proc *p = myproc();
  if (p == initproc)
    panic("init exiting");
  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd]) {
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;
  ipc_exit(p); // IPC hook (ipc.c): fail the senders waiting on p, refuse new ones
  vm_exit(p);  // memory goes back now, not when the parent waits

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);
  sched();
  panic("exit: zombie ran");
}

// A zombie child of p, or 0; sets *have_kids. Caller holds wait_lock.
static struct proc *find_zombie(struct proc *p, int *have_kids) {
  *have_kids = 0;
  for (struct proc *pp = proc; pp < &proc[NPROC]; pp++) {
    if (pp->parent != p)
      continue;
    *have_kids = 1;
    acquire(&pp->lock);
    int dead = pp->state == ZOMBIE;
    release(&pp->lock);
    if (dead)
      return pp;
  }
  return 0;
}

// Wait for a child to exit; store its status at user address addr (if not
// 0) and return its pid. -1 if there are no children, on a bad address, or
// if the caller was killed.
int wait(uint64 addr) {
  struct proc *p = myproc();
  int have_kids;
  struct proc *child;
  acquire(&wait_lock);
  while ((child = find_zombie(p, &have_kids)) == 0) {
    if (!have_kids || killed(p)) {
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
  release(&wait_lock);
  // copyout may sleep, so no spinlock is held. Only we reap our children,
  // so the zombie stays put meanwhile.
  int pid = child->pid;
  int status = child->xstate;
  if (addr != 0 && copyout(p->pagetable, addr, (char *)&status, sizeof(status)) < 0)
    return -1;
  acquire(&wait_lock);
  acquire(&child->lock);
  freeproc(child);
  release(&child->lock);
  release(&wait_lock);
  return pid;
}

// Is any process runnable? A hint for the idle loop, read without locks.
static int any_runnable(void) {
  for (struct proc *p = proc; p < &proc[NPROC]; p++)
    if (p->state == RUNNABLE)
      return 1;
  return 0;
}

// Sleep until an interrupt. The idle bit is published, with interrupts
// off, before the final check: a process made runnable after the check
// sends an IPI, which stays pending and ends the wfi at once.
static void idle(struct cpu *c) {
  uint64 bit = 1UL << cpuid();
  intr_off();
  __atomic_fetch_or(&idle_harts, bit, __ATOMIC_SEQ_CST);
  if (!any_runnable())
    __asm__ __volatile__("wfi");
  __atomic_fetch_and(&idle_harts, ~bit, __ATOMIC_SEQ_CST);
  intr_on();
}

// Run p (locked, RUNNABLE) until it gives up the hart.
static void run(struct cpu *c, struct proc *p) {
  p->state = RUNNING;
  c->proc = p;
  __sync_synchronize(); // before the flush: see tlb_shootdown (vm/pagetable.c)
  if (p->pagetable)
    kvm_switch_user(p->pagetable);
  swtch(&c->context, &p->context);
  kvm_switch_kernel(); // p may exit or exec on another hart next
  c->proc = 0;
}

// Each hart's scheduler loop: run runnable processes round-robin.
void scheduler(void) {
  struct cpu *c = mycpu();
  c->proc = 0;
  for (;;) {
    intr_on(); // let devices interrupt between rounds
    int ran = 0;
    for (struct proc *p = proc; p < &proc[NPROC]; p++) {
      acquire(&p->lock);
      if (p->state == RUNNABLE) {
        run(c, p);
        ran = 1;
      }
      release(&p->lock);
    }
    if (!ran)
      idle(c);
  }
}

// Switch to the scheduler. The caller holds p->lock (and no other lock)
// and has changed p->state.
void sched(void) {
  struct proc *p = myproc();
  if (!holding(&p->lock))
    panic("sched: p->lock not held");
  if (mycpu()->noff != 1)
    panic("sched: other locks held");
  if (p->state == RUNNING)
    panic("sched: still running");
  if (intr_get())
    panic("sched: interrupts on");
  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena; // this thread's, not the hart's
}

void yield(void) {
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// A new process's kernel thread starts here, holding p->lock from the
// scheduler. The first process also mounts the file system (which sleeps,
// so it cannot happen in kmain) and execs /init.
void forkret(void) {
  static int first = 1;
  struct proc *p = myproc();
  release(&p->lock);
  if (first) {
    first = 0;
    fsinit(ROOTDEV);
    p->cwd = namei("/");
    char *argv[] = {"/init", 0};
    p->tf.a0 = exec("/init", argv);
    if ((int)p->tf.a0 < 0)
      panic("forkret: cannot exec /init");
  }
  usertrapret();
}

// Atomically release lk and sleep on chan; reacquire lk when woken.
//
// chan and SLEEPING are set before lk is released. Whoever changes the
// condition slept on does it holding lk and then calls wakeup(chan), so by
// then every sleeper on chan is visibly SLEEPING: wakeup() may skip, without
// locking, the processes that are not.
void sleep(void *chan, struct spinlock *lk) {
  struct proc *p = myproc();
  if (p == 0)
    panic("sleep: not in a process");
  acquire(&p->lock);
  __atomic_store_n(&p->chan, chan, __ATOMIC_RELAXED);
  __atomic_store_n(&p->state, SLEEPING, __ATOMIC_RELAXED);
  release(lk);
  sched();
  p->chan = 0;
  release(&p->lock);
  acquire(lk);
}

// Make every process sleeping on chan runnable. The caller holds the lock
// that protects the condition slept on (see sleep), and no p->lock.
void wakeup(void *chan) {
  int woke = 0;
  struct proc *me = myproc();
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) != SLEEPING ||
        __atomic_load_n(&p->chan, __ATOMIC_RELAXED) != chan)
      continue; // cheap filter: taking 64 locks per wakeup is slow
    acquire(&p->lock);
    if (p->state == SLEEPING && p->chan == chan) {
      p->state = RUNNABLE;
      woke = 1;
    }
    release(&p->lock);
  }
  // Called outside any process (an interrupt on an idle hart, me == 0), the
  // hart looks for runnable processes itself next: no need to wake another.
  if (woke && me != 0)
    kick_idle_hart();
}

// Kill process pid: it exits the next time it heads for user mode or
// checks killed() while waiting. Returns 0, or -1 if there is no such pid.
// init cannot be killed: its exit would leave orphans nobody reaps (xv6
// panics then; here kill(1) is simply refused).
int kill(int pid) {
  if (initproc && pid == initproc->pid)
    return -1;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->pid == pid && p->state != UNUSED) {
      p->killed = 1;
      if (p->state == SLEEPING)
        p->state = RUNNABLE; // to notice it is killed
      release(&p->lock);
      kick_idle_hart();
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

void setkilled(struct proc *p) {
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

// killed only ever goes from 0 to 1, so a plain atomic read is enough.
int killed(struct proc *p) { return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE); }

// Copy to a user address (user_dst) or a kernel address.
int either_copyout(int user_dst, uint64 dst, void *src, uint64 len) {
  if (user_dst)
    return copyout(myproc()->pagetable, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src) or a kernel address.
int either_copyin(void *dst, int user_src, uint64 src, uint64 len) {
  if (user_src)
    return copyin(myproc()->pagetable, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}

// ^P on the console: list processes with their resident set. Runs in an
// interrupt handler, so it takes no lock; it may print a stale value.
void procdump(void) {
  static char *states[] = {[UNUSED] = "unused",   [USED] = "used",   [SLEEPING] = "sleep",
                           [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie"};
  printf("\n");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (p->state == UNUSED)
      continue;
    printf("%d %s %s rss=%d swapped=%d pages\n", p->pid, states[p->state], p->name, p->rss,
           p->swapped);
  }
}
