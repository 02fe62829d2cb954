// A process: its slot in the process table, and the interface of the
// process layer (kernel/proc/). docs/sched.md tells the design.
//
// The fields fall in four groups, each with its own keeper:
//   lifecycle  kernel/proc/proc.c, under p->lock or family_lock
//   scheduler  kernel/sched/sched.c, under its sched_lock
//   memory     kernel/vm/, under p->vmlock
//   private    the process itself (its own thread), no lock
//
// Include kernel/types.h, param.h, riscv.h and spinlock.h first.
#ifndef PROC_H
#define PROC_H

#include "sleeplock.h"
#include "sched/sched.h"

// User registers, saved by uservec (kernel/trap/trampoline.S) on a trap
// from user mode, and two kernel values uservec loads. The assembly knows
// the offsets (TF_* in trampoline.S): keep them in step.
struct trapframe {
  uint64 ra, sp, gp, tp;                           //   0 ..  24
  uint64 t0, t1, t2;                               //  32 ..  48
  uint64 s0, s1;                                   //  56 ..  64
  uint64 a0, a1, a2, a3, a4, a5, a6, a7;           // 72 .. 128
  uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; // 136 .. 208
  uint64 t3, t4, t5, t6;                           // 216 .. 240
  uint64 epc, kernel_sp, kernel_hartid;            // 248: user pc; kernel stack top, tp
};

// A slot is UNUSED, USED while fork or userinit fills it in, then live
// (RUNNABLE, RUNNING or SLEEPING, moved between them by the scheduler),
// then a ZOMBIE until its parent's wait() frees it.
enum procstate {
  UNUSED, // 0: a zeroed slot is free
  USED,
  RUNNABLE,
  RUNNING,
  SLEEPING,
  ZOMBIE
};

struct proc {
  // Scheduler (kernel/sched/sched.c), under sched_lock; and state, which
  // the lifecycle shares (below).
  enum procstate state;
  void *chan;          // SLEEPING: what it waits for
  struct proc *next;   // RUNNABLE: run queue; SLEEPING: its sleep queue
  uint64 ksp;          // saved stack pointer while switched out
  void (*entry)(void); // where the thread starts (sched_start)
  char *kstack;        // KSTACKSIZE bytes, fixed at boot

  // Lifecycle. p->lock ("proc") protects pid, killed, and the slot's
  // allocation (UNUSED <-> USED); the scheduler's sched_lock protects
  // every other change of state. So under p->lock one may tell a free
  // slot, a live process and a zombie apart, but the live state is a
  // snapshot. killed only goes from 0 to 1 and may be read without lock.
  struct spinlock lock;
  int pid, killed;

  // Lifecycle, under family_lock (proc.c): the family tree, and the exit
  // status that the parent's wait() collects.
  struct proc *parent;   // 0 for init
  struct proc *children; // first child; the others follow through sibling
  struct proc *sibling;  // next child of the same parent
  int xstate;

  // The address space. The process itself changes it (faults, sbrk, fork,
  // exec, exit) and so may the VM subsystem on other harts (vmaudit,
  // dedup, swap): all of them hold vmlock. See kernel/vm/vm.h.
  struct sleeplock vmlock;
  pagetable_t pagetable; // user half; the kernel half is shared
  uint64 sz;             // bytes of user memory: [0, sz) may be mapped
  int rss;               // resident user pages (valid leaf PTEs)
  int swapped;           // user pages on swap (swap PTEs)

  // Private to the process while it lives.
  char name[16]; // for ^P and fault messages
  struct inode *cwd;
  struct file *ofile[NOFILE];
  struct trapframe tf; // user registers while in the kernel
};

// The process table, indexed by slot: p - proc is a stable index (the
// reverse map and IPC use it).
extern struct proc proc[NPROC];

// proc/proc.c: the lifecycle
void procinit(void); // at boot
void userinit(void); // at boot: the first process, which runs /init
int fork(void);      // the system calls' work (proc/sysproc.c)
int wait(uint64 addr);
int kill(int pid);
int getppid(void);
void exit(int status) __attribute__((noreturn));
void setkilled(struct proc *p); // exits before its next user instruction
void procdump(void);            // ^P

// proc/exec.c
int exec(char *path, char **argv);

#endif
