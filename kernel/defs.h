// Kernel-wide function prototypes, grouped by the file that defines them.
// The virtual-memory subsystem's internals are in kernel/vm/vm.h; what the
// rest of the kernel calls is listed here under "vm/".
#ifndef DEFS_H
#define DEFS_H

struct buf;
struct context;
struct proc;
struct spinlock;
struct sleeplock;

// console.c
void consoleinit(void);
void consoleintr(int c);
void consputc(int c);

// exec.c
int exec(char *path, char **argv);

// fs/: the file-system layer. These are the functions the rest of the
// kernel calls (boot, fork, exit, exec); kernel/fs/fsdefs.h declares them
// too, with everything else the layer has.
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

// printf.c
void printf(char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(char *s) __attribute__((noreturn));
void printfinit(void);

// proc.c
int cpuid(void);
void exit(int status) __attribute__((noreturn));
int fork(void);
int getppid(void);
int growproc(int n, int lazy);
int kill(int pid);
int killed(struct proc *p);
void setkilled(struct proc *p);
struct cpu *mycpu(void);
struct proc *myproc(void);
void procinit(void);
void scheduler(void) __attribute__((noreturn));
void sched(void);
void sleep(void *chan, struct spinlock *lk);
void userinit(void);
int wait(uint64 addr);
void wakeup(void *chan);
void yield(void);
int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void procdump(void);

// swtch.S
void swtch(struct context *old, struct context *new);

// spinlock.c
void acquire(struct spinlock *lk);
int holding(struct spinlock *lk);
void initlock(struct spinlock *lk, char *name);
void release(struct spinlock *lk);
void push_off(void);
void pop_off(void);

// sleeplock.c
void acquiresleep(struct sleeplock *lk);
int tryacquiresleep(struct sleeplock *lk);
void releasesleep(struct sleeplock *lk);
int holdingsleep(struct sleeplock *lk);
int tryacquiresleep(struct sleeplock *lk);
void initsleeplock(struct sleeplock *lk, char *name);

// string.c
int memcmp(const void *a, const void *b, uint n);
void *memmove(void *dst, const void *src, uint n);
void *memset(void *dst, int c, uint n);
void *memcpy(void *dst, const void *src, uint n);
char *safestrcpy(char *dst, const char *src, int n);
int strlen(const char *s);
int strncmp(const char *p, const char *q, uint n);
char *strncpy(char *dst, const char *src, int n);

// syscall.c
void argint(int n, int *ip);
int argstr(int n, char *buf, int max);
void argaddr(int n, uint64 *ip);
int fetchstr(uint64 addr, char *buf, int max);
int fetchaddr(uint64 addr, uint64 *ip);
void syscall(void);

// trap.c
extern uint ticks;
extern struct spinlock tickslock;
void trapinit(void);
void trapinithart(void);
void usertrapret(void);

// uart.c
void uartinit(void);
void uartintr(void);
void uartputc(int c);
void uartputc_sync(int c);

// plic.c
void plicinit(void);
void plicinithart(int devices);
int plic_claim(void);
void plic_complete(int irq);

// sbi.c: see sbi.h

// virtio_disk.c: disk 0 holds the file system, disk 1 is the swap device.
void virtio_disk_init(void);
void virtio_disk_rw(struct buf *b, int write);
int virtio_disk_io(int disk, uint64 sector, void *kva, uint nbytes, int write);
int virtio_disk_present(int disk);
int virtio_disk_iov(int disk, uint64 sector, void **pages, int n, int write);
uint64 virtio_disk_capacity(int disk);
void virtio_disk_intr(int disk);

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

// number of elements in a fixed-size array
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

#endif
