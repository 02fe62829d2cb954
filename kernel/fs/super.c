// Mounting the file system: fsinit(dev) reads the superblock, lets the log
// replay a transaction a crash left committed, and frees the inodes a
// crash left allocated without a name (files unlinked while open).
//
// It runs once, in the first process (it sleeps on the disk), before any
// other process can use the file system; afterwards the superblock never
// changes, so it is read without a lock. No lock of its own.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

struct superblock superblock;

// Is inode inum allocated on disk but named by no directory entry?
static int orphaned(uint dev, uint inum) {
  struct buf *b = bread(dev, IBLOCK(inum, superblock));
  struct dinode *di = (struct dinode *)b->data + inum % IPB;
  int orphan = di->type != 0 && di->nlink == 0;

  brelse(b);
  return orphan;
}

// Dropping the only reference to an inode without links frees it (iput).
static void reclaim_orphans(uint dev) {
  for (uint inum = 1; inum < superblock.ninodes; inum++) {
    if (!orphaned(dev, inum))
      continue;
    begin_op();
    struct inode *ip = iget(dev, inum);
    if (ip) {
      ilock(ip); // loads it, so that iput sees nlink 0
      iunlockput(ip);
    }
    end_op();
  }
}

void fsinit(int dev) {
  struct buf *b = bread(dev, 1);

  memmove(&superblock, b->data, sizeof(superblock));
  brelse(b);
  if (superblock.magic != FSMAGIC)
    panic("fsinit: no file system on the disk");
  initlog(dev, &superblock);
  reclaim_orphans(dev);
}
