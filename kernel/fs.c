// The file system proper: blocks, inodes, directories and path names, on
// top of the buffer cache (bio.c) and the log (log.c).
//
// Layers, bottom up:
//   blocks       balloc/bfree: the free bitmap
//   inodes       ialloc, iget/idup/iput, ilock/iunlock, iupdate, itrunc,
//                readi/writei with bmap mapping file blocks to disk blocks
//   directories  dirlookup, dirlink: a directory is a file of dirents
//   path names   namei, nameiparent
// The on-disk layout is fixed by kernel/fs.h; docs/fs.md describes it.
//
// Rules for callers: every function that may write the disk (balloc, bfree,
// ialloc, iupdate, itrunc, writei, dirlink, iput of a last reference) must
// run inside begin_op()/end_op(). An inode's fields other than dev, inum
// and ref may be used only while its sleep lock is held (ilock).
//
// Lock order, outermost first:
//   log admission (begin_op)
//   => inode sleep locks, a directory before an inode inside it
//   => buffer sleep locks: an indirect block before the bitmap block or a
//      new block; a log block before a home block (commit)
//   => spinlocks (itable.lock, bcache.lock, the log's, the disk's):
//      innermost, never held across sleep or I/O.
// A path lookup holds one inode lock at a time: it unlocks a directory
// before locking the entry it found, so "." and ".." cannot deadlock.
//
// Invariants: at most one table entry caches a given (dev, inum); an entry
// with ref 0 may be reused; an inode is freed on disk when its last
// reference is dropped while no directory entry names it (nlink 0).
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/file.h"
#include "kernel/defs.h"

static struct superblock sb; // read once by fsinit, then constant

static void ireclaim(int dev);

void fsinit(int dev) {
  struct buf *b = bread(dev, 1);

  memmove(&sb, b->data, sizeof(sb));
  brelse(b);
  if (sb.magic != FSMAGIC)
    panic("fsinit: not a file system image");
  initlog(dev, &sb);
  ireclaim(dev);
}

// ---------------------------------------------------------------- blocks

static void zero_block(uint dev, uint bno) {
  struct buf *b = bread(dev, bno);

  memset(b->data, 0, BSIZE);
  log_write(b);
  brelse(b);
}

// Allocate a zeroed disk block; 0 if the disk is full.
static uint balloc(uint dev) {
  for (uint base = 0; base < sb.size; base += BPB) {
    struct buf *b = bread(dev, BBLOCK(base, sb));
    for (uint bit = 0; bit < BPB && base + bit < sb.size; bit++) {
      uchar mask = 1 << (bit % 8);
      if ((b->data[bit / 8] & mask) == 0) {
        b->data[bit / 8] |= mask;
        log_write(b);
        brelse(b); // before zero_block: hold one buffer at a time
        zero_block(dev, base + bit);
        return base + bit;
      }
    }
    brelse(b);
  }
  return 0;
}

static void bfree(uint dev, uint bno) {
  struct buf *b = bread(dev, BBLOCK(bno, sb));
  uint bit = bno % BPB;
  uchar mask = 1 << (bit % 8);

  if ((b->data[bit / 8] & mask) == 0)
    panic("bfree: block already free");
  b->data[bit / 8] &= ~mask;
  log_write(b);
  brelse(b);
}

// ---------------------------------------------------------------- inode table

static struct {
  struct spinlock lock; // protects dev, inum and ref of every entry
  struct inode inode[NINODE];
} itable;

void iinit(void) {
  initlock(&itable.lock, "itable");
  for (int i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

// Return a referenced, unlocked table entry for inode inum, without
// reading it from disk (ilock does). 0 if the table is full.
static struct inode *iget(uint dev, uint inum) {
  struct inode *ip, *empty = 0;

  acquire(&itable.lock);
  for (ip = itable.inode; ip < itable.inode + NINODE; ip++) {
    if (ip->ref > 0 && ip->dev == dev && ip->inum == inum) {
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if (empty == 0 && ip->ref == 0)
      empty = ip;
  }
  if (empty) {
    empty->dev = dev;
    empty->inum = inum;
    empty->ref = 1;
    empty->valid = 0;
  }
  release(&itable.lock);
  return empty;
}

struct inode *idup(struct inode *ip) {
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Allocate a free on-disk inode of the given type: returned referenced,
// unlocked, with nlink 0 (the caller sets it). 0 if none is free or the
// table is full.
struct inode *ialloc(uint dev, short type) {
  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct buf *b = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = (struct dinode *)b->data + inum % IPB;
    if (dip->type == 0) {
      struct inode *ip = iget(dev, inum); // before claiming: may fail
      if (ip) {
        memset(dip, 0, sizeof(*dip));
        dip->type = type;
        log_write(b);
      }
      brelse(b);
      return ip;
    }
    brelse(b);
  }
  return 0;
}

// Write the locked inode's fields to its dinode.
void iupdate(struct inode *ip) {
  struct buf *b = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = (struct dinode *)b->data + ip->inum % IPB;

  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(b);
  brelse(b);
}

// Lock ip, reading it from disk the first time.
void ilock(struct inode *ip) {
  if (ip == 0)
    panic("ilock: null inode");
  acquire(&itable.lock);
  int unreferenced = ip->ref < 1; // use after the last iput: a kernel bug
  release(&itable.lock);
  if (unreferenced)
    panic("ilock: unreferenced inode");
  acquiresleep(&ip->lock);
  if (ip->valid)
    return;
  if (ip->inum == 0 || ip->inum >= sb.ninodes)
    panic("ilock: inode number out of range");
  struct buf *b = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = (struct dinode *)b->data + ip->inum % IPB;
  ip->type = dip->type;
  ip->major = dip->major;
  ip->minor = dip->minor;
  ip->nlink = dip->nlink;
  ip->size = dip->size;
  memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
  brelse(b);
  ip->valid = 1;
  if (ip->type == 0)
    panic("ilock: inode is free on disk");
}

void iunlock(struct inode *ip) {
  if (ip == 0 || !holdingsleep(&ip->lock))
    panic("iunlock: not locked");
  releasesleep(&ip->lock);
}

// Drop a reference. The last reference to an inode that no directory
// names frees it on disk, contents first. Must be inside an operation.
void iput(struct inode *ip) {
  acquire(&itable.lock);
  if (ip->ref == 1 && ip->valid && ip->nlink == 0) {
    // Nobody else can reach ip (no name, no other reference), so its sleep
    // lock is free and taking it cannot block.
    acquiresleep(&ip->lock);
    release(&itable.lock);
    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;
    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  ip->ref--;
  release(&itable.lock);
}

void iunlockput(struct inode *ip) {
  iunlock(ip);
  iput(ip);
}

// Free inodes a crash left allocated but nameless (unlinked while open).
static void ireclaim(int dev) {
  for (uint inum = 1; inum < sb.ninodes; inum++) {
    struct buf *b = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = (struct dinode *)b->data + inum % IPB;
    int orphan = dip->type != 0 && dip->nlink == 0;
    brelse(b);
    if (!orphan)
      continue;
    begin_op();
    struct inode *ip = iget(dev, inum);
    if (ip) {
      ilock(ip);
      iunlockput(ip); // the last reference: frees it
    }
    end_op();
  }
}

void stati(struct inode *ip, struct stat *st) {
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// ---------------------------------------------------------------- file contents

// Return the block number in *slot; if it is 0 and alloc is set,
// allocate a block and record it there.
static uint slot_block(uint dev, uint *slot, int alloc) {
  if (*slot == 0 && alloc)
    *slot = balloc(dev);
  return *slot;
}

// Disk block holding block bn of ip's content; 0 if there is none (a read
// past the blocks a damaged image lists) or, with alloc, if the disk is
// full. Blocks 0..NDIRECT-1 are listed in the inode, the rest in the
// indirect block. Only writers allocate, inside an operation.
static uint bmap(struct inode *ip, uint bn, int alloc) {
  if (bn < NDIRECT)
    return slot_block(ip->dev, &ip->addrs[bn], alloc);
  bn -= NDIRECT;
  if (bn >= NINDIRECT)
    panic("bmap: block beyond MAXFILE");
  if (slot_block(ip->dev, &ip->addrs[NDIRECT], alloc) == 0)
    return 0;
  struct buf *b = bread(ip->dev, ip->addrs[NDIRECT]);
  uint *slot = (uint *)b->data + bn;
  uint old = *slot, bno = slot_block(ip->dev, slot, alloc);
  if (bno != old)
    log_write(b);
  brelse(b);
  return bno;
}

// Free all of ip's content blocks; ip is locked.
void itrunc(struct inode *ip) {
  for (int i = 0; i < NDIRECT; i++) {
    if (ip->addrs[i]) {
      bfree(ip->dev, ip->addrs[i]);
      ip->addrs[i] = 0;
    }
  }
  if (ip->addrs[NDIRECT]) {
    struct buf *b = bread(ip->dev, ip->addrs[NDIRECT]);
    uint *slot = (uint *)b->data;
    for (int i = 0; i < NINDIRECT; i++)
      if (slot[i])
        bfree(ip->dev, slot[i]);
    brelse(b);
    bfree(ip->dev, ip->addrs[NDIRECT]);
    ip->addrs[NDIRECT] = 0;
  }
  ip->size = 0;
  iupdate(ip);
}

// Copy up to n bytes from offset off of ip to dst (a user address if
// user_dst). Returns the bytes copied (0 at or past the end), or -1 if
// dst is bad. ip is locked.
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n) {
  uint done, chunk;

  if (off > ip->size || off + n < off)
    return 0;
  if (n > ip->size - off)
    n = ip->size - off;
  for (done = 0; done < n; done += chunk, off += chunk, dst += chunk) {
    uint bno = bmap(ip, off / BSIZE, 0);
    if (bno == 0)
      break; // only if the image is damaged: a hole in the file
    struct buf *b = bread(ip->dev, bno);
    chunk = BSIZE - off % BSIZE;
    if (chunk > n - done)
      chunk = n - done;
    int bad = either_copyout(user_dst, dst, b->data + off % BSIZE, chunk) < 0;
    brelse(b);
    if (bad)
      return -1;
  }
  return done;
}

// Copy n bytes from src (a user address if user_src) to offset off of ip,
// growing the file as needed. Returns the bytes written: fewer than n if
// the disk filled up or src went bad; -1 if off is past the end or the
// file would exceed MAXFILE blocks. ip is locked; inside an operation.
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n) {
  uint done, chunk;

  if (off > ip->size || off + n < off || off + n > MAXFILE * BSIZE)
    return -1;
  for (done = 0; done < n; done += chunk, off += chunk, src += chunk) {
    uint bno = bmap(ip, off / BSIZE, 1);
    if (bno == 0)
      break; // the disk is full
    struct buf *b = bread(ip->dev, bno);
    chunk = BSIZE - off % BSIZE;
    if (chunk > n - done)
      chunk = n - done;
    if (either_copyin(b->data + off % BSIZE, user_src, src, chunk) < 0) {
      brelse(b);
      break;
    }
    log_write(b);
    brelse(b);
  }
  if (off > ip->size)
    ip->size = off;
  iupdate(ip); // bmap may have filled in addrs even if size is unchanged
  return done;
}

// ---------------------------------------------------------------- directories

int namecmp(const char *s, const char *t) { return strncmp(s, t, DIRSIZ); }

// Scan directory dp (locked) for name. Returns its inode number and sets
// *poff to the entry's offset, or returns 0 and sets *pfree to the offset
// of the first free entry (dp->size if there is none).
static uint dir_scan(struct inode *dp, char *name, uint *poff, uint *pfree) {
  struct dirent de;
  uint off, freeoff = dp->size;

  if (dp->type != T_DIR)
    panic("dir_scan: not a directory");
  for (off = 0; off < dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dir_scan: short read");
    if (de.inum == 0) {
      if (freeoff == dp->size)
        freeoff = off;
    } else if (namecmp(name, de.name) == 0) {
      if (poff)
        *poff = off;
      return de.inum;
    }
  }
  if (pfree)
    *pfree = freeoff;
  return 0;
}

// Look name up in directory dp (locked). Returns the inode referenced and
// unlocked, or 0 if there is no such entry (or the inode table is full).
struct inode *dirlookup(struct inode *dp, char *name, uint *poff) {
  uint inum = dir_scan(dp, name, poff, 0);

  return inum ? iget(dp->dev, inum) : 0;
}

// Add the entry (name, inum) to directory dp (locked). -1 if name exists
// or the directory cannot grow (disk full). Names are cut to DIRSIZ.
int dirlink(struct inode *dp, char *name, uint inum) {
  struct dirent de;
  uint off;

  if (dir_scan(dp, name, 0, &off) != 0)
    return -1;
  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

// ---------------------------------------------------------------- path names

// Copy the first element of path into name and return the rest, with the
// slashes around the element skipped; 0 if path has no element left.
// name gets at most DIRSIZ bytes, NUL-terminated when shorter (the
// truncation xv6 programs rely on: longer names match their first DIRSIZ).
static char *skipelem(char *path, char *name) {
  char *start;
  int len;

  while (*path == '/')
    path++;
  if (*path == 0)
    return 0;
  for (start = path; *path != '/' && *path != 0; path++)
    ;
  len = path - start;
  memmove(name, start, len < DIRSIZ ? len : DIRSIZ);
  if (len < DIRSIZ)
    name[len] = 0;
  while (*path == '/')
    path++;
  return path;
}

// Resolve path to an inode (referenced, unlocked), or, if parent, to the
// directory holding its last element, whose name goes into name.
static struct inode *namex(char *path, int parent, char *name) {
  struct inode *ip, *next;

  ip = *path == '/' ? iget(ROOTDEV, ROOTINO) : idup(myproc()->cwd);
  while (ip && (path = skipelem(path, name)) != 0) {
    ilock(ip);
    if (ip->type != T_DIR) {
      iunlockput(ip);
      return 0;
    }
    if (parent && *path == 0) {
      iunlock(ip); // ip is the parent of the last element
      return ip;
    }
    next = dirlookup(ip, name, 0);
    iunlockput(ip);
    ip = next;
  }
  if (ip && parent) { // the path had no last element ("/")
    iput(ip);
    return 0;
  }
  return ip;
}

struct inode *namei(char *path) {
  char name[DIRSIZ];

  return namex(path, 0, name);
}

struct inode *nameiparent(char *path, char *name) {
  return namex(path, 1, name);
}
