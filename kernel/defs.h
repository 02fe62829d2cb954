// The whole kernel's interface at once, for files that want it (kernel/vm/
// and kernel/fs/ include it): each layer's own header, and the part of the
// file-system and VM layers that the rest of the kernel calls. New code
// includes only the headers of the layers it uses:
//   kernel/lib.h          printf, panic, string helpers
//   kernel/sched/sched.h  harts, locks, sleep/wakeup, the scheduler, ticks
//   kernel/uaccess.h      copies to the current process or the kernel
//   kernel/dev/dev.h      UART, console, PLIC, virtio disks
//   kernel/proc.h         processes (include spinlock.h first)
//   kernel/trap/trap.h    traps and system-call arguments
//   kernel/fs/fsdefs.h    the file system (in full)
//   kernel/vm/vm.h        the VM subsystem (in full)
#ifndef DEFS_H
#define DEFS_H

#include "lib.h"
#include "sched/sched.h"
#include "uaccess.h"
#include "dev/dev.h"
#include "trap/trap.h"
#include "sbi.h"

struct proc;

// fs/: what boot, fork, exit and exec call; kernel/fs/fsdefs.h declares
// these too, with everything else the layer has.
struct file;
struct inode;
struct stat;
void binit(void);
void iinit(void);
void fileinit(void);
void fsinit(int dev);
void begin_op(void);
void end_op(void);
struct inode *namei(char *path);
struct inode *idup(struct inode *ip);
void ilock(struct inode *ip);
void iunlock(struct inode *ip);
void iput(struct inode *ip);
void iunlockput(struct inode *ip);
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
void stati(struct inode *ip, struct stat *st);
struct file *filedup(struct file *f);
void fileclose(struct file *f);

// ipc.c: send, recv, reply (the bytes move in vm/ipc.c)
void ipcinit(void);
void ipc_exit(struct proc *p);

// proc/: see kernel/proc.h
void exit(int status) __attribute__((noreturn));
int exec(char *path, char **argv);
void setkilled(struct proc *p);

// vm/pagetable.c
void kinit(void);

// vm/frame.c: the frame table (see kernel/vm/vm.h)
void *kalloc(void);
void kretain(void *kva);
void krelease(void *kva);
int freepages(void);

// vm/uvm.c: user address spaces
int copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len);
int copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len);
int copyinstr(pagetable_t pt, char *dst, uint64 srcva, uint64 max);

#endif
