// The process system calls: fork, exit, wait, kill, getpid, getppid,
// sbrk, and the clock's sleep (pause) and uptime; poweroff. Each reads
// its arguments from the trap frame (kernel/trap/syscall.c) and calls the
// layer that does the work: proc.c, the VM's vm_grow, the clock's ticks.
// Locks: tickslock (sched/clock.c) while reading or waiting for ticks;
// none of its own.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sbi.h"
#include "kernel/lib.h"
#include "kernel/trap/trap.h"
#include "kernel/vm/vm.h"

#define SBRK_LAZY 2 // sbrk's second argument (user/user.h): grow lazily

static int int_arg(int n) {
  int v;
  argint(n, &v);
  return v;
}

static uint64 addr_arg(int n) {
  uint64 v;
  argaddr(n, &v);
  return v;
}

uint64 sys_fork(void) { return fork(); }
uint64 sys_exit(void) { exit(int_arg(0)); }
uint64 sys_wait(void) { return wait(addr_arg(0)); }
uint64 sys_kill(void) { return kill(int_arg(0)); }
uint64 sys_getpid(void) { return myproc()->pid; }
uint64 sys_getppid(void) { return getppid(); }

// sbrk(n, how): move the end of the heap by n bytes; returns where it
// was, or -1. Growing is lazy (pages appear at first touch) only when
// asked (sbrklazy); shrinking always frees at once.
uint64 sys_sbrk(void) {
  int n = int_arg(0);
  int lazy = n > 0 && int_arg(1) == SBRK_LAZY;
  struct proc *p = myproc();
  uint64 end = p->sz;
  return vm_grow(p, n, lazy) < 0 ? (uint64)-1 : end;
}

// The clock's ticks, read under their lock.
static uint now(void) {
  acquire(&tickslock);
  uint t = ticks;
  release(&tickslock);
  return t;
}

// sleep(n), also pause(n): let n ticks pass (none if n < 0). -1 if the
// process is killed first.
uint64 sys_sleep(void) {
  uint want = int_arg(0) > 0 ? int_arg(0) : 0;
  struct proc *p = myproc();
  int r = 0;
  acquire(&tickslock);
  for (uint from = ticks; ticks - from < want;) {
    if (killed(p)) {
      r = -1;
      break;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return r;
}

uint64 sys_uptime(void) { return now(); }

uint64 sys_poweroff(void) {
  printf("powering off\n");
  sbi_shutdown();
}
