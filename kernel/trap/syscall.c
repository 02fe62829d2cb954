// System-call dispatch: the number is in a7, arguments in a0..a5, and the
// result goes back in a0. The argument helpers read the saved registers;
// pointers are checked only when the memory is touched (copyin/copyout).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/defs.h"

// Fetch the 64-bit word at user address addr.
int fetchaddr(uint64 addr, uint64 *ip) {
  struct proc *p = myproc();
  return copyin(p->pagetable, (char *)ip, addr, sizeof(*ip));
}

// Fetch the string at user address addr into buf (at most max bytes with
// the NUL). Returns its length, or -1.
int fetchstr(uint64 addr, char *buf, int max) {
  struct proc *p = myproc();
  if (copyinstr(p->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

static uint64 argraw(int n) {
  struct trapframe *tf = &myproc()->tf;
  uint64 regs[] = {tf->a0, tf->a1, tf->a2, tf->a3, tf->a4, tf->a5};
  if (n < 0 || n >= (int)NELEM(regs))
    panic("argraw: no such argument");
  return regs[n];
}

void argint(int n, int *ip) { *ip = argraw(n); }

void argaddr(int n, uint64 *ip) { *ip = argraw(n); }

int argstr(int n, char *buf, int max) { return fetchstr(argraw(n), buf, max); }

// clang-format reflows this table differently on every run: keep it as is.
// clang-format off
#define SYSCALLS(X)                                                                                \
  X(fork) X(exit) X(wait) X(pipe) X(read) X(kill) X(exec) X(fstat) X(chdir) X(dup) X(getpid)       \
  X(sbrk) X(sleep) X(uptime) X(open) X(write) X(mknod) X(unlink) X(link) X(mkdir) X(close)         \
  X(freepages) X(memstat) X(vmaudit) X(vmctl) X(dedup) X(poweroff) X(vmquery)        \
  X(send) X(recv) X(reply) X(getppid)
// clang-format on

#define DECLARE(name) uint64 sys_##name(void);
SYSCALLS(DECLARE)

#define ENTRY(name) [SYS_##name] = sys_##name,
static uint64 (*const syscalls[])(void) = {SYSCALLS(ENTRY)};

void syscall(void) {
  struct proc *p = myproc();
  uint64 num = p->tf.a7;
  if (num < NELEM(syscalls) && syscalls[num]) {
    p->tf.a0 = syscalls[num]();
  } else {
    printf("pid %d (%s): unknown system call %d\n", p->pid, p->name, (int)num);
    p->tf.a0 = -1;
  }
}
