// Compile-time limits. Their values are xv6-riscv's and must stay so:
// user programs size their arrays by them, and mkfs lays the disk image
// out with them.
#ifndef PARAM_H
#define PARAM_H

// Processes and harts.
#define NCPU 8      // harts the kernel can run on
#define NPROC 64    // entries in the process table
#define MAXARG 32   // arguments exec accepts
#define USERSTACK 1 // pages of user stack

// Files (kernel/fs/).
#define NOFILE 16   // descriptors per process
#define NFILE 100   // open files in the whole system
#define NINODE 50   // inodes cached at once
#define NDEV 10     // device major numbers 0 .. NDEV-1
#define MAXPATH 128 // bytes in a path name, NUL included

// The disk, its log and the buffer cache. One operation (a system call,
// or one piece of a long write) may write MAXOPBLOCKS distinct blocks.
#define LOGBLOCKS (MAXOPBLOCKS * 3) // blocks the log holds
#define LOGSIZE LOGBLOCKS           // xv6's older name for it
#define ROOTDEV 1                   // device number of the file-system disk
#define FSSIZE 2000                 // blocks in the file-system image
#define MAXOPBLOCKS 10
#define NBUF (MAXOPBLOCKS * 3) // buffers in the buffer cache

#endif
