// The device drivers (kernel/dev/): the UART and the console on it, the
// interrupt controller, and the virtio disks. They sit above kernel/sched/
// (locks, sleep, wakeup) and kernel/vm/ (the console copies to and from
// user memory through kernel/uaccess.c), below the file system, which
// reaches the console through devsw[] (kmain fills it in) and the disks
// through virtio_disk_*.
//
// Locks: "uart" (the transmit ring), "cons" (the input line) and
// "virtio_disk0", "virtio_disk1" (each disk's rings) are spinlocks taken
// alone, before only "sched" (sleep, wakeup) and "pr" (printf).
#ifndef DEV_H
#define DEV_H

struct buf;

// uart.c
void uartinit(void);
void uartintr(void);
void uartputc(int c);
void uartputc_sync(int c);

// console.c
void consoleinit(void);
void consoleintr(int c);
int consoleread(int user_dst, uint64 dst, int n);
int consolewrite(int user_src, uint64 src, int n);
void console_hotkey(int c, void (*fn)(void));

// plic.c: device interrupts
void plicinit(void);
void plicinithart(int devices);
void dev_intr(void);

// virtio_disk.c: disk 0 holds the file system, disk 1 is the swap device.
void virtio_disk_init(void);
void virtio_disk_rw(struct buf *b, int write);
int virtio_disk_io(int disk, uint64 sector, void *kva, uint nbytes, int write);
int virtio_disk_present(int disk);
int virtio_disk_iov(int disk, uint64 sector, void **pages, int n, int write);
uint64 virtio_disk_capacity(int disk);
void virtio_disk_intr(int disk);

#endif
