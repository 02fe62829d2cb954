// Processes and harts.
#ifndef PROC_H
#define PROC_H

#include "sleeplock.h" // include spinlock.h before this header

// Callee-saved registers of a kernel thread, saved by swtch().
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12]; // s0 .. s11
};

// Per-hart state. cpus[] is indexed by hart id, which tp holds in the kernel.
struct cpu {
  struct proc *proc;      // process running here, or 0
  struct context context; // swtch() here to enter the scheduler
  int noff;               // depth of push_off() nesting
  int intena;             // were interrupts enabled before push_off()?
  int tlb_stale;          // flush the TLB before returning to user mode
};

extern struct cpu cpus[NCPU];

// User registers saved by uservec (kernel/trampoline.S) on a trap from user
// mode, plus the kernel values uservec needs. The offsets are used by the
// assembly; keep them in step (TF_* in trampoline.S).
struct trapframe {
  uint64 ra, sp, gp, tp;                           //   0 ..  24
  uint64 t0, t1, t2;                               //  32 ..  48
  uint64 s0, s1;                                   //  56 ..  64
  uint64 a0, a1, a2, a3, a4, a5, a6, a7;           // 72 .. 128
  uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; // 136 .. 208
  uint64 t3, t4, t5, t6;                           // 216 .. 240
  uint64 epc;                                      // 248: user pc
  uint64 kernel_sp;                                // 256: top of this process's kernel stack
  uint64 kernel_hartid;                            // 264: tp to load in the kernel
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

#define KSTACKSIZE (2 * PGSIZE)

struct proc {
  struct spinlock lock;

  // p->lock must be held when using these:
  enum procstate state;
  void *chan; // sleeping on chan, if non-zero
  int killed; // non-zero once kill() was called
  int xstate; // exit status, for the parent's wait()
  int pid;

  // wait_lock (proc.c) must be held when using this:
  struct proc *parent;

  // The address space. The process itself changes it (faults, sbrk, fork,
  // exec, exit) and so may the VM subsystem on other harts (vmaudit, and
  // later dedup and swap): all of them hold vmlock. See kernel/vm/vm.h.
  struct sleeplock vmlock;
  uint64 sz;             // bytes of user memory: [0, sz) may be mapped
  pagetable_t pagetable; // user half; the kernel half is shared
  int rss;               // resident user pages (valid leaf PTEs)
  int swapped;           // user pages on swap (swap PTEs)

  // Private to the process while it lives.
  struct trapframe tf;    // user registers while in the kernel
  struct context context; // swtch() here to run the process
  struct file *ofile[NOFILE];
  struct inode *cwd;
  char name[16]; // for ^P and fault messages
  char *kstack;  // KSTACKSIZE bytes, statically allocated
};

extern struct proc proc[NPROC]; // the process table (proc.c)

#endif
