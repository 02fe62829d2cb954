// Device files: the table of character-device drivers, indexed by the
// major number a T_DEVICE inode records (mknod), and the console's number.
// Open files and in-memory inodes are the file system's business
// (kernel/fs/fsdefs.h).
//
// User programs include this header too (xv6's init.c does, for CONSOLE),
// after kernel/types.h, so it holds only a constant and a type.
#ifndef FILE_H
#define FILE_H

#define CONSOLE 1 // major number of the console device (kernel/dev/console.c)

// A driver moves up to n bytes to dst or from src, a user address when
// user_dst or user_src is 1 and a kernel address when it is 0, and
// returns the bytes moved or -1. A missing function means the device
// cannot do that.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
};

extern struct devsw devsw[]; // NDEV entries, kernel/fs/file.c

#endif
