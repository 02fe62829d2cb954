// The file-system layer: its objects, its lock order and the interface
// its files offer one another. kernel/defs.h declares the part the rest of
// the kernel calls (exec, fork, exit, boot); docs/fs.md tells the design.
// Include kernel/types.h, param.h, spinlock.h, sleeplock.h and fs.h first.
//
// Files, bottom up; each uses only those above it in this list:
//   bcache.c   the buffer cache: NBUF blocks, hashed into buckets
//   log.c      the write-ahead log: begin_op/end_op make a call atomic
//   super.c    mounting: the superblock, log recovery, orphan reclaim
//   inode.c    the inode cache: iget/iput, ilock, ialloc, iupdate
//   bmap.c     a file's blocks: the free bitmap, readi/writei, itrunc
//   dir.c      directories: find, add and erase entries
//   path.c     path names: namei, and path_locate for the calls that
//              change a directory
//   file.c     open files and devices; pipe.c, pipes
//   sysfile.c  the file-system system calls
//
// Lock order, outermost first. A lock is only taken while holding locks
// above it in this list (or none):
//   1. log admission: begin_op() waits for room in the log; not a lock,
//      but nothing below may be held while waiting for it
//   2. inode sleep locks ("inode"): a directory before an inode it names;
//      a path walk holds one at a time, so "." and ".." cannot deadlock
//   3. buffer sleep locks ("buf"): one at a time, except a log slot before
//      a home block (log recovery)
//   4. p->vmlock (kernel/vm/vm.h): copyin/copyout under inode and buffer
//      locks, never under a spinlock
//   5. spinlocks, innermost, never held across sleep, disk I/O or a user
//      copy: "bcache.evict" before "bcache.bucket"; "icache", "log",
//      "filetable" and "pipe" are taken alone.
#ifndef FSDEFS_H
#define FSDEFS_H

// An inode in memory: one entry per (dev, inum) cached (inode.c).
struct inode {
  // "icache" protects the identity and the count (and loaded, at ref 0):
  uint dev;
  uint inum;
  int ref; // references: open files, working directories, calls running

  struct sleeplock lock; // "inode": protects what follows
  int loaded;            // di holds the on-disk inode (read by ilock)
  struct dinode di;      // type, major, minor, nlink, size, block addresses
};

// An open file, shared by the descriptors dup() and fork() copy.
struct file {
  int ref;                   // "filetable": descriptors holding it; 0 when free
  const struct fileops *ops; // 0 until the opener sets the file up
  // Fixed once set up:
  char readable;
  char writable;
  struct inode *node; // inode and device files: one reference
  struct devsw *dev;  // device files: the driver
  struct pipe *pipe;  // pipe ends
  // The inode's sleep lock protects:
  uint off; // inode files: where the next read or write starts
};

// What each kind of open file does (file.c for inodes and devices, pipe.c
// for pipes). close is called once, when the last reference goes away.
struct fileops {
  int (*read)(struct file *f, uint64 addr, int n);
  int (*write)(struct file *f, uint64 addr, int n);
  void (*close)(struct file *f);
};

// The place a path's last element has in its directory (path_locate).
struct pathloc {
  struct inode *dir; // the directory, referenced and locked
  char name[DIRSIZ]; // the last element, cut to DIRSIZ bytes
  uint inum;         // the inode the entry names, 0 if there is none
  uint off;          // the entry's offset in dir, if inum != 0
};

// bcache.c
struct buf;
void binit(void);
struct buf *bread(uint dev, uint blockno);
void bwrite(struct buf *b);
void bwrite_at(struct buf *b, uint blockno);
void brelse(struct buf *b);
void bpin(struct buf *b);
void bunpin(struct buf *b);

// log.c
void initlog(int dev, struct superblock *sb);
void begin_op(void);
void end_op(void);
void log_write(struct buf *b);

// super.c
extern struct superblock superblock;
void fsinit(int dev);

// inode.c
struct stat;
void iinit(void);
struct inode *iget(uint dev, uint inum);
struct inode *ialloc(uint dev, short type);
struct inode *idup(struct inode *ip);
void ilock(struct inode *ip);
void iunlock(struct inode *ip);
void iput(struct inode *ip);
void iunlockput(struct inode *ip);
void iupdate(struct inode *ip);
void stati(struct inode *ip, struct stat *st);

// bmap.c
uint bmap(struct inode *ip, uint bn, int alloc);
void itrunc(struct inode *ip);
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);

// dir.c
int namecmp(const char *s, const char *t);
uint dir_find(struct inode *dp, char *name, uint *off);
int dirlink(struct inode *dp, char *name, uint inum);
void dir_erase(struct inode *dp, uint off);
int dir_isempty(struct inode *dp);

// path.c
struct inode *namei(char *path);
int path_locate(char *path, struct pathloc *loc);
void path_release(struct pathloc *loc);

// file.c
void fileinit(void);
struct file *filealloc(void);
struct file *filedup(struct file *f);
void fileclose(struct file *f);
int fileread(struct file *f, uint64 addr, int n);
int filewrite(struct file *f, uint64 addr, int n);
int filestat(struct file *f, uint64 addr);
int file_open_inode(struct file *f, struct inode *ip, int omode);

// pipe.c
int pipealloc(struct file **rf, struct file **wf);

#endif
