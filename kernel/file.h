// Open files, in-memory inodes and the device switch.
//
// Include kernel/types.h, kernel/spinlock.h, kernel/sleeplock.h and
// kernel/fs.h first. User programs written for xv6 (its init.c) include
// this header for CONSOLE, so it declares nothing but types and constants.
#ifndef FILE_H
#define FILE_H

// An open file, shared by every descriptor dup()ed or inherited from the
// one open() or pipe() returned. ref is protected by the file table's lock
// (file.c); the other fields are fixed while ref > 0, except off.
struct file {
  enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE } type;
  int ref;
  char readable;
  char writable;
  struct pipe *pipe; // FD_PIPE
  struct inode *ip;  // FD_INODE and FD_DEVICE
  uint off;          // FD_INODE: read/write offset, under ip's sleep lock
  short major;       // FD_DEVICE: index into devsw
};

// The in-memory copy of an on-disk inode (struct dinode), cached in fs.c's
// inode table while some kernel code holds a reference.
struct inode {
  // The inode table's spinlock protects these:
  uint dev;
  uint inum;
  int ref; // references held (open files, cwds, code in progress)

  struct sleeplock lock; // protects everything below
  int valid;             // the fields below were read from disk
  short type;            // copy of the dinode
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT + 1];
};

// Device drivers, by major number: read/write n bytes at dst/src, a user
// address if user_dst/user_src is 1, a kernel address if 0. They return the
// number of bytes transferred or -1.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
};

extern struct devsw devsw[];

#define CONSOLE 1 // major device number of the console

#endif
