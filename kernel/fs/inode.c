// The inode cache: inodes in memory, each cached once, with a sleep lock
// that serialises its users.
//
// Interface: iget/idup take a reference and iput drops one; ilock locks an
// inode and loads it from disk the first time; iupdate writes it back
// (inside a transaction); ialloc allocates a free on-disk inode; stati
// fills a struct stat. The in-memory copy keeps the whole struct dinode
// (ip->di), so loading and writing back are single copies.
//
// Unlike xv6's inode table, an entry keeps its inode, loaded, after its
// last reference goes, until the table needs the room: opening a file
// again, or walking through a directory again, then finds the inode
// without reading its block. The copy stays equal to the disk's: only
// holders of a reference change an inode, and ialloc only claims inodes
// that are free on disk, which no loaded entry holds (iput unloads the
// inodes it frees).
//
// Locks: "icache" (spinlock, taken alone) protects the dev, inum and ref
// of every entry, and loaded while ref is 0; each inode's "inode" sleep
// lock protects loaded and di while ref > 0. References are cheap and
// long-lived (an open file keeps one); locks are short (one system call
// at most).
//
// Invariants: at most one entry holds a given (dev, inum); an entry with
// ref 0 may be given to another inode; an inode is freed on disk by the
// iput that drops its last reference once no directory entry names it
// (nlink 0), so a file unlinked while open lives until closed.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/buf.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

static struct {
  struct spinlock lock;
  struct inode slot[NINODE];
} icache; // the inode table

void iinit(void) {
  initlock(&icache.lock, "icache");
  for (struct inode *node = icache.slot; node < &icache.slot[NINODE]; node++)
    initsleeplock(&node->lock, "inode");
}

// A referenced, unlocked entry for (dev, inum), loaded if the inode was
// cached; 0 if every entry is in use (xv6 panics there).
struct inode *iget(uint dev, uint inum) {
  struct inode *found = 0, *spare = 0;

  acquire(&icache.lock);
  for (struct inode *node = icache.slot; node < &icache.slot[NINODE] && !found; node++) {
    if (node->inum == inum && node->dev == dev)
      found = node;
    else if (node->ref == 0 && (!spare || (spare->loaded && !node->loaded)))
      spare = node; // rather one that holds no loaded inode
  }
  if (!found && spare) {
    found = spare;
    found->dev = dev;
    found->inum = inum;
    found->loaded = 0; // nobody holds its lock: its ref is 0
  }
  if (found)
    found->ref++;
  release(&icache.lock);
  return found;
}

struct inode *idup(struct inode *node) {
  acquire(&icache.lock);
  node->ref++;
  release(&icache.lock);
  return node;
}

// The dinode of node inside its inode block b (held).
static struct dinode *dinode_in(struct buf *b, uint inum) {
  return (struct dinode *)b->data + inum % IPB;
}

// Allocate a free on-disk inode as the given type, zeroed otherwise.
// Returns it referenced and unlocked with nlink 0, or 0 when the disk has
// no free inode or the table no free entry. Inside a transaction.
struct inode *ialloc(uint dev, short type) {
  for (uint first = 0; first < superblock.ninodes; first += IPB) {
    struct buf *b = bread(dev, IBLOCK(first, superblock));
    for (uint inum = first ? first : 1; inum < first + IPB && inum < superblock.ninodes; inum++) {
      struct dinode *di = dinode_in(b, inum);
      if (di->type != 0)
        continue;
      struct inode *node = iget(dev, inum); // before the claim: it may fail
      if (node) {
        memset(di, 0, sizeof(*di));
        di->type = type;
        log_write(b);
      }
      brelse(b);
      return node;
    }
    brelse(b);
  }
  return 0;
}

// Write the locked inode back to disk. Inside a transaction.
void iupdate(struct inode *node) {
  struct buf *b = bread(node->dev, IBLOCK(node->inum, superblock));

  *dinode_in(b, node->inum) = node->di;
  log_write(b);
  brelse(b);
}

void ilock(struct inode *node) {
  if (node == 0)
    panic("ilock: no inode");
  // A caller's own reference keeps ref above 0, so no lock is needed to
  // check for one; every read and write passes here, on every hart.
  if (__atomic_load_n(&node->ref, __ATOMIC_RELAXED) < 1)
    panic("ilock: inode without a reference");
  acquiresleep(&node->lock);
  if (node->loaded)
    return;
  struct buf *b = bread(node->dev, IBLOCK(node->inum, superblock));
  node->di = *dinode_in(b, node->inum);
  brelse(b);
  if (node->di.type == 0)
    panic("ilock: inode is free on disk");
  node->loaded = 1;
}

void iunlock(struct inode *node) {
  if (node == 0 || !holdingsleep(&node->lock))
    panic("iunlock: inode not locked");
  releasesleep(&node->lock);
}

// Drop a reference, unlocked. Inside a transaction: the last reference to
// an inode without links frees its blocks and the inode itself.
void iput(struct inode *node) {
  acquire(&icache.lock);
  // Only we can reach an inode we hold the one reference to and no
  // directory names: its fields are stable, its lock is free.
  int doomed = node->ref == 1 && node->loaded && node->di.nlink == 0;
  release(&icache.lock);
  if (doomed) {
    acquiresleep(&node->lock);
    itrunc(node);
    node->di.type = 0; // free on disk: ialloc may hand it out again
    iupdate(node);
    node->loaded = 0;
    releasesleep(&node->lock);
  }
  acquire(&icache.lock);
  node->ref--;
  release(&icache.lock);
}

void iunlockput(struct inode *node) {
  iunlock(node);
  iput(node);
}

void stati(struct inode *node, struct stat *st) {
  st->dev = node->dev;
  st->ino = node->inum;
  st->type = node->di.type;
  st->nlink = node->di.nlink;
  st->size = node->di.size;
}
