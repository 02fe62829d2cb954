// The lifecycle of processes (kernel/proc.h): the process table, the first
// process, fork, exit, wait, kill, getppid, and ^P's list.
//
// A slot goes
//   UNUSED --allocproc--> USED --sched_ready--> live --exit--> ZOMBIE
//      ^                   |  (the scheduler runs it;     (sched_exit)
//      +----freeproc-------+   fork failed: freeproc)          |
//      +---------------- the parent's wait(): freeproc --------+
// While live, the scheduler (kernel/sched/) moves it between RUNNABLE,
// RUNNING and SLEEPING; this file never looks at those states.
//
// The family: a process lists its children (children, then each child's
// sibling), so wait() and exit() look at their own children only, never
// at the whole table, and exit() hands its children to init by splicing
// its list onto init's.
//
// Locks, outermost first:
//   family_lock  ("family") every parent, children, sibling and xstate; a
//                parent sleeps on its own proc under it in wait(), and a
//                child's exit() makes itself a zombie and wakes the parent
//                under it, so no wakeup is lost
//   p->lock      ("proc") pid, killed, and a slot's allocation
//   sched        innermost (kernel/sched/sched.c)
// No two of the first two are held at once. p->vmlock (kernel/vm/vm.h)
// is never taken while holding either: vm_fork, vm_exit, fileclose and
// iput run with no lock of this file held.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

struct proc proc[NPROC]; // zeroed: every slot UNUSED
static struct proc *initproc;
static struct spinlock family_lock; // see above
static int nextpid = 1;             // taken with an atomic add

void procinit(void) {
  initlock(&family_lock, "family");
  for (struct proc *p = proc; p < proc + NPROC; p++) {
    initlock(&p->lock, "proc");
    initsleeplock(&p->vmlock, "vmlock");
    sched_thread(p, p - proc);
  }
}

// Claim p if it is free: USED, with a fresh pid. Returns 1 if claimed.
static int claim(struct proc *p) {
  if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != UNUSED)
    return 0; // cheap filter: taking every lock of a full table is slow
  acquire(&p->lock);
  int free = p->state == UNUSED;
  if (free) {
    p->state = USED;
    p->pid = __atomic_fetch_add(&nextpid, 1, __ATOMIC_RELAXED);
    p->killed = 0;
  }
  release(&p->lock);
  return free;
}

// Give a slot back: a zombie its parent reaped, or a new process that
// never ran (fork failed). Its memory is gone already: vm_exit, or
// vm_fork's failure, freed the table. allocproc sets up the rest anew.
static void freeproc(struct proc *p) {
  if (p->pagetable != 0)
    panic("freeproc: an address space is left");
  sched_forget(p); // a zombie's stack is free only after this
  acquire(&p->lock);
  p->pid = 0; // kill() must not find it any more
  p->state = UNUSED;
  release(&p->lock);
}

// A new process (USED) with an empty address space and no family, whose
// thread is not set up yet (sched_start); or 0 if the table or memory is
// full.
static struct proc *allocproc(void) {
  struct proc *p = proc;
  while (p < &proc[NPROC] && !claim(p))
    p++;
  if (p == &proc[NPROC])
    return 0;
  p->sz = p->rss = p->swapped = p->xstate = 0;
  p->parent = p->children = p->sibling = 0;
  memset(&p->tf, 0, sizeof(p->tf));
  if ((p->pagetable = uvmcreate(p)) != 0)
    return p;
  freeproc(p);
  return 0;
}

// A forked child's thread: straight to user mode, where fork returns 0.
static void child_start(void) { usertrapret(); }

// The first process's thread. Mounting the root file system reads the
// disk, which sleeps, so it happens here rather than in kmain.
static void init_start(void) {
  fsinit(ROOTDEV);
  initproc->cwd = namei("/");
  char *argv[] = {"/init", 0};
  int argc = exec(argv[0], argv);
  if (argc < 0)
    panic("init_start: cannot exec /init");
  initproc->tf.a0 = argc; // main's argc
  usertrapret();
}

void userinit(void) {
  struct proc *p = allocproc();
  if (p == 0)
    panic("userinit: no slot for init");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  sched_start(p, init_start);
  sched_ready(p);
}

// What a child gets from its parent besides memory: registers, open
// files, working directory, name.
static void inherit(struct proc *child, struct proc *parent) {
  child->tf = parent->tf;
  child->tf.a0 = 0; // fork() returns 0 in the child
  for (int fd = 0; fd < NOFILE; fd++)
    child->ofile[fd] = parent->ofile[fd] ? filedup(parent->ofile[fd]) : 0;
  child->cwd = idup(parent->cwd);
  safestrcpy(child->name, parent->name, sizeof(child->name));
}

// Make child the newest of parent's children.
static void adopt(struct proc *parent, struct proc *child) {
  acquire(&family_lock);
  child->parent = parent;
  child->sibling = parent->children;
  parent->children = child;
  release(&family_lock);
}

// Returns the child's pid in the parent (0 in the child), or -1.
int fork(void) {
  struct proc *me = myproc();
  struct proc *child = allocproc();
  if (child == 0)
    return -1;
  if (vm_fork(me, child) < 0) {
    freeproc(child);
    return -1;
  }
  inherit(child, me);
  adopt(me, child);
  sched_start(child, child_start);
  int pid = child->pid; // read before it may run (and exit) on another hart
  sched_ready(child);
  return pid;
}

// IPC hook (getppid, system call 31): the parent's pid, 0 for init. The
// parent is read under family_lock, which also keeps it from being reaped
// meanwhile.
int getppid(void) {
  struct proc *me = myproc();
  acquire(&family_lock);
  int ppid = me->parent ? me->parent->pid : 0;
  release(&family_lock);
  return ppid;
}

// Hand p's children to init, which reaps orphans. Caller holds family_lock.
static void orphan_children(struct proc *p) {
  struct proc *last = p->children;
  if (last == 0)
    return;
  for (;;) {
    last->parent = initproc;
    if (last->sibling == 0)
      break;
    last = last->sibling;
  }
  last->sibling = initproc->children;
  initproc->children = p->children;
  p->children = 0;
  wakeup(initproc); // some may be zombies already
}

// Close p's files and let go of its working directory.
static void drop_files(struct proc *p) {
  for (struct file **f = p->ofile; f < p->ofile + NOFILE; f++) {
    if (*f)
      fileclose(*f);
    *f = 0;
  }
  struct inode *cwd = p->cwd;
  p->cwd = 0;
  begin_op(); // the last reference to an unlinked directory frees it
  iput(cwd);
  end_op();
}

// End the calling process. Its memory goes back at once; the slot stays,
// a ZOMBIE, until its parent's wait() collects the status.
void exit(int status) {
  struct proc *me = myproc();
  if (me == initproc)
    panic("exit: init exiting");
  drop_files(me);
  ipc_exit(me); // IPC hook (ipc.c): fail the senders waiting on me, refuse new ones
  vm_exit(me);  // before it is a zombie (vm/ relies on it)
  acquire(&family_lock);
  me->xstate = status;
  orphan_children(me);
  wakeup(me->parent);       // it looks again only once family_lock is free
  sched_exit(&family_lock); // ZOMBIE, family_lock let go, never back
}

// A zombie among p's children, or 0. Caller holds family_lock, under which
// a child becomes a zombie.
static struct proc *zombie_child(struct proc *p) {
  for (struct proc *c = p->children; c != 0; c = c->sibling)
    if (__atomic_load_n(&c->state, __ATOMIC_RELAXED) == ZOMBIE)
      return c;
  return 0;
}

// Take child c off p's list of children. Caller holds family_lock.
static void unlink_child(struct proc *p, struct proc *c) {
  struct proc **link = &p->children;
  while (*link != c)
    link = &(*link)->sibling;
  *link = c->sibling;
}

// A zombie child of me, once there is one; 0 at once if me has no
// children, or as soon as it is killed.
static struct proc *await_zombie(struct proc *me) {
  struct proc *z;
  acquire(&family_lock);
  while ((z = zombie_child(me)) == 0 && me->children != 0 && !killed(me))
    sleep(me, &family_lock);
  release(&family_lock);
  return z;
}

// Wait for a child to exit, store its status at user address addr (if
// not 0), free it and return its pid. -1 if the caller has no children,
// was killed while waiting, or addr is bad (the zombie then stays).
int wait(uint64 addr) {
  struct proc *me = myproc();
  struct proc *z = await_zombie(me);
  if (z == 0)
    return -1;
  // Only we reap our children, so z stays as it is, and no lock is needed
  // while copyout sleeps (a COW break, a swap-in).
  int status = z->xstate, pid = z->pid;
  if (addr != 0 && copyout(me->pagetable, addr, (char *)&status, sizeof(status)) < 0)
    return -1;
  acquire(&family_lock);
  unlink_child(me, z);
  release(&family_lock);
  freeproc(z);
  return pid;
}

// Ask process pid to stop: it exits when it next heads for user mode, and
// a sleep it is in ends now so that it notices. Returns 0, or -1 if there
// is no such process. init cannot be killed: nobody would reap orphans
// after it (xv6 panics then; here kill(1) is refused, see the README).
int kill(int pid) {
  if (initproc && pid == initproc->pid)
    return -1;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    if (__atomic_load_n(&p->pid, __ATOMIC_RELAXED) != pid)
      continue;
    acquire(&p->lock); // keeps the slot from being freed meanwhile
    int found = p->pid == pid && p->state != UNUSED;
    if (found) {
      __atomic_store_n(&p->killed, 1, __ATOMIC_RELEASE);
      sched_wake(p);
    }
    release(&p->lock);
    if (found)
      return 0;
  }
  return -1;
}

void setkilled(struct proc *p) {
  acquire(&p->lock);
  __atomic_store_n(&p->killed, 1, __ATOMIC_RELEASE);
  release(&p->lock);
}

// ^P on the console: each process with its resident, shared and swapped
// pages. It runs from the console's interrupt, so it takes no sleep lock:
// resident and swapped are read without a lock and may be stale; shared
// comes from the reverse map (vm_shared_pages).
void procdump(void) {
  static const char *const what[] = {
      [UNUSED] = "free",       [USED] = "starting",   [SLEEPING] = "sleeping",
      [RUNNABLE] = "runnable", [RUNNING] = "running", [ZOMBIE] = "zombie",
  };
  int shared[NPROC];
  vm_shared_pages(shared);
  printf("\n");
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    enum procstate s = __atomic_load_n(&p->state, __ATOMIC_RELAXED);
    if (s != UNUSED)
      printf("%d %s %s rss=%d shared=%d swapped=%d pages\n", p->pid, what[s], p->name, p->rss,
             shared[p - proc], p->swapped);
  }
}
