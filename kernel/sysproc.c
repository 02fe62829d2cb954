// Process-related system calls.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sbi.h"
#include "defs.h"

#define SBRK_LAZY 2 // sbrk's second argument (user/user.h): grow lazily

uint64 sys_exit(void) {
  int status;
  argint(0, &status);
  exit(status);
}

uint64 sys_getpid(void) { return myproc()->pid; }

uint64 sys_fork(void) { return fork(); }

uint64 sys_getppid(void) { return getppid(); }

uint64 sys_wait(void) {
  uint64 addr;
  argaddr(0, &addr);
  return wait(addr);
}

// sbrk(n, how): returns the old end of the heap, or -1. Shrinking is
// always eager; growing is lazy only when asked (sbrklazy).
uint64 sys_sbrk(void) {
  int n, how;
  argint(0, &n);
  argint(1, &how);
  uint64 old = myproc()->sz;
  if (growproc(n, n > 0 && how == SBRK_LAZY) < 0)
    return -1;
  return old;
}

// sleep(n) (also pause(n)): wait n clock ticks; -1 if killed meanwhile.
uint64 sys_sleep(void) {
  int n;
  argint(0, &n);
  if (n < 0)
    n = 0;
  acquire(&tickslock);
  uint start = ticks;
  while (ticks - start < (uint)n) {
    if (killed(myproc())) {
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64 sys_kill(void) {
  int pid;
  argint(0, &pid);
  return kill(pid);
}

// Clock ticks since boot.
uint64 sys_uptime(void) {
  acquire(&tickslock);
  uint t = ticks;
  release(&tickslock);
  return t;
}

uint64 sys_poweroff(void) {
  printf("powering off\n");
  sbi_shutdown();
}
