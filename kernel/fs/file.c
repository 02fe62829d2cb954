// Open files: the system-wide table of NFILE open files, and the files
// that stand for an inode (a regular file or directory) or a device.
//
// Interface: filealloc hands out an entry that its caller sets up
// (file_open_inode here, pipealloc in pipe.c); filedup and fileclose count
// references, and the last fileclose lets the file's kind release what it
// holds; fileread, filewrite and filestat serve the system calls. Each
// kind supplies its operations (struct fileops), so this file knows
// nothing of pipes and pipe.c nothing of inodes.
//
// Lock: "filetable" (spinlock, taken alone) protects every entry's ref. An
// entry is free when its ref is 0; the last close keeps ref at 1 until the
// file's kind has released it, so the entry is not handed out meanwhile.
// An inode file's offset is protected by the inode's sleep lock, so that
// a read or write through a shared file is one step to other users.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/file.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;
  struct file slot[NFILE];
} filetable;

// The most a write puts in one transaction, which may log MAXOPBLOCKS
// blocks: 3 blocks of data touch at most 4 data blocks (unaligned), the
// indirect block, the inode's block and 2 bitmap blocks: 8.
#define MAXWRITE (3 * BSIZE)

void fileinit(void) { initlock(&filetable.lock, "filetable"); }

// A free entry with one reference and no kind yet, or 0 if none is free.
struct file *filealloc(void) {
  struct file *file = filetable.slot;

  acquire(&filetable.lock);
  while (file < &filetable.slot[NFILE] && file->ref != 0)
    file++;
  if (file == &filetable.slot[NFILE])
    file = 0;
  else
    file->ref = 1;
  release(&filetable.lock);
  return file;
}

struct file *filedup(struct file *file) {
  acquire(&filetable.lock);
  if (file->ref < 1)
    panic("filedup: file is not open");
  file->ref++;
  release(&filetable.lock);
  return file;
}

void fileclose(struct file *file) {
  acquire(&filetable.lock);
  if (file->ref < 1)
    panic("fileclose: file is not open");
  int last = file->ref == 1;
  if (!last)
    file->ref--;
  release(&filetable.lock);
  if (!last)
    return;
  if (file->ops) // 0 if the opener gave up before setting it up
    file->ops->close(file);
  file->ops = 0;
  file->node = 0;
  file->dev = 0;
  file->pipe = 0;
  acquire(&filetable.lock);
  file->ref = 0;
  release(&filetable.lock);
}

int fileread(struct file *file, uint64 addr, int n) {
  return file->readable ? file->ops->read(file, addr, n) : -1;
}

int filewrite(struct file *file, uint64 addr, int n) {
  return file->writable ? file->ops->write(file, addr, n) : -1;
}

// Copy the file's struct stat to user address addr: 0, or -1 for a pipe
// or a bad address.
int filestat(struct file *file, uint64 addr) {
  struct stat st;

  if (file->node == 0)
    return -1;
  ilock(file->node);
  stati(file->node, &st);
  iunlock(file->node);
  return copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st));
}

// ---------------------------------------------------------------- inode files

static int inode_read(struct file *file, uint64 addr, int n) {
  ilock(file->node);
  int got = readi(file->node, 1, addr, file->off, n);
  if (got > 0)
    file->off += got;
  iunlock(file->node);
  return got;
}

// Write in pieces of MAXWRITE, one transaction each. Returns n, or -1 if
// a piece came out short (disk full, MAXFILE, bad address): the pieces
// before it stay written, as on xv6.
static int inode_write(struct file *file, uint64 addr, int n) {
  for (int done = 0; done < n;) {
    int want = n - done > MAXWRITE ? MAXWRITE : n - done;
    begin_op();
    ilock(file->node);
    int put = writei(file->node, 1, addr + done, file->off, want);
    if (put > 0)
      file->off += put;
    iunlock(file->node);
    end_op();
    if (put != want)
      return -1;
    done += put;
  }
  return n;
}

// The last reference to an unlinked file frees it: a transaction.
static void inode_close(struct file *file) {
  begin_op();
  iput(file->node);
  end_op();
}

static int device_read(struct file *file, uint64 addr, int n) {
  return file->dev->read ? file->dev->read(1, addr, n) : -1;
}

static int device_write(struct file *file, uint64 addr, int n) {
  return file->dev->write ? file->dev->write(1, addr, n) : -1;
}

static const struct fileops inode_ops = {inode_read, inode_write, inode_close};
static const struct fileops device_ops = {device_read, device_write, inode_close};

// Set up the fresh entry file as node (locked) opened with omode; file takes over
// the caller's reference to node. -1, with nothing changed, if node cannot be
// opened so: a directory for writing, a device without a driver.
int file_open_inode(struct file *file, struct inode *node, int omode) {
  const struct fileops *ops = &inode_ops;
  struct devsw *dev = 0;

  if (node->di.type == T_DIR && omode != O_RDONLY)
    return -1;
  if (node->di.type == T_DEVICE) {
    short major = node->di.major;
    if (major < 0 || major >= NDEV || (!devsw[major].read && !devsw[major].write))
      return -1;
    dev = &devsw[major];
    ops = &device_ops;
  }
  file->ops = ops;
  file->dev = dev;
  file->node = node;
  file->off = 0;
  file->readable = (omode & O_WRONLY) == 0;
  file->writable = (omode & (O_WRONLY | O_RDWR)) != 0;
  return 0;
}
