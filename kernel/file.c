// Open files: the system-wide file table and the operations a file
// descriptor supports, dispatched on the kind of file (inode, device, pipe).
//
// Interface: fileinit, filealloc, filedup, fileclose, filestat, fileread,
// filewrite; devsw[], filled by drivers (console.c fills devsw[CONSOLE]).
//
// Invariants: a table entry with ref 0 is free; an entry with ref > 0 holds
// one reference to its inode or one end of its pipe, dropped by the last
// fileclose. An inode file's offset changes only under the inode's lock,
// so processes sharing the file see each read or write as one step.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/stat.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

struct devsw devsw[NDEV];

static struct {
  struct spinlock lock; // protects ref (and type, when ref is 0) of every entry
  struct file file[NFILE];
} ftable;

// The largest write done in one log transaction. A transaction may log
// MAXOPBLOCKS blocks; a chunk of k data blocks logs at most k + 1 of them
// (when it is not block-aligned), the inode block, the indirect block and
// two bitmap blocks. xv6's bound below gives k = 3, i.e. 8 blocks at most.
#define MAXWRITE (((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE)

void fileinit(void) { initlock(&ftable.lock, "ftable"); }

// Allocate a file table entry with ref 1; 0 if the table is full.
struct file *filealloc(void) {
  acquire(&ftable.lock);
  for (struct file *f = ftable.file; f < ftable.file + NFILE; f++) {
    if (f->ref == 0) {
      f->ref = 1;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

struct file *filedup(struct file *f) {
  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("filedup: free file");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drop a reference; the last one releases the pipe end or the inode.
void fileclose(struct file *f) {
  struct file last;

  acquire(&ftable.lock);
  if (f->ref < 1)
    panic("fileclose: free file");
  if (--f->ref > 0) {
    release(&ftable.lock);
    return;
  }
  last = *f; // the entry may be reused once the lock is dropped
  f->type = FD_NONE;
  release(&ftable.lock);

  if (last.type == FD_PIPE) {
    pipeclose(last.pipe, last.writable);
  } else if (last.type == FD_INODE || last.type == FD_DEVICE) {
    begin_op(); // iput may free the inode (it was unlinked while open)
    iput(last.ip);
    end_op();
  }
}

// Copy f's metadata to the user's struct stat at addr. 0, or -1.
int filestat(struct file *f, uint64 addr) {
  struct stat st;

  if (f->type != FD_INODE && f->type != FD_DEVICE)
    return -1;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  return copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st));
}

// The driver for a device file, or 0 if there is none.
static struct devsw *driver(struct file *f) {
  if (f->major < 0 || f->major >= NDEV)
    return 0;
  return &devsw[f->major];
}

// Read up to n bytes into user memory at addr. Returns the count, or -1.
int fileread(struct file *f, uint64 addr, int n) {
  struct devsw *dev;
  int r;

  if (!f->readable)
    return -1;
  switch (f->type) {
  case FD_PIPE:
    return piperead(f->pipe, addr, n);
  case FD_DEVICE:
    if ((dev = driver(f)) == 0 || dev->read == 0)
      return -1;
    return dev->read(1, addr, n);
  case FD_INODE:
    ilock(f->ip);
    if ((r = readi(f->ip, 1, addr, f->off, n)) > 0)
      f->off += r;
    iunlock(f->ip);
    return r;
  default:
    panic("fileread: bad file type");
  }
}

// Write n bytes at f's offset in transactions of at most MAXWRITE bytes.
// Returns n, or -1 if any part could not be written (disk full, MAXFILE,
// bad address); the parts before it stay written, as in xv6.
static int inode_write(struct file *f, uint64 addr, int n) {
  int done = 0;

  while (done < n) {
    int chunk = n - done < MAXWRITE ? n - done : MAXWRITE;
    begin_op();
    ilock(f->ip);
    int r = writei(f->ip, 1, addr + done, f->off, chunk);
    if (r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();
    if (r != chunk)
      return -1;
    done += r;
  }
  return n;
}

// Write n bytes from user memory at addr. Returns the count, or -1.
int filewrite(struct file *f, uint64 addr, int n) {
  struct devsw *dev;

  if (!f->writable)
    return -1;
  switch (f->type) {
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if ((dev = driver(f)) == 0 || dev->write == 0)
      return -1;
    return dev->write(1, addr, n);
  case FD_INODE:
    return inode_write(f, addr, n);
  default:
    panic("filewrite: bad file type");
  }
}
