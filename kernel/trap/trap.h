// Traps and system calls (kernel/trap/), the top of the kernel: a trap
// from user mode may end in any layer below.
#ifndef TRAP_H
#define TRAP_H

// trap.c
void trapinithart(void);
void usertrapret(void) __attribute__((noreturn));

// syscall.c: the arguments of the current system call
void argint(int n, int *ip);
void argaddr(int n, uint64 *ip);
int argstr(int n, char *buf, int max);
int fetchstr(uint64 addr, char *buf, int max);
int fetchaddr(uint64 addr, uint64 *ip);
void syscall(void);

#endif
