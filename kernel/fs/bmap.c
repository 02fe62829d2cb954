// A file's content: the disk blocks an inode lists, and the free bitmap
// they are allocated from.
//
// Interface: bmap(ip, bn, alloc) maps block bn of a file to a disk block;
// readi/writei copy bytes between a file and kernel or user memory;
// itrunc frees all of a file's blocks. An inode lists NDIRECT blocks
// itself and up to NINDIRECT more in one indirect block (kernel/fs.h).
//
// Rules: the caller holds the inode's sleep lock. Whatever changes the
// disk (writei, itrunc, bmap with alloc) runs inside a transaction; reads
// never allocate, so a hole in a damaged file reads short instead.
// Buffers are taken one at a time: an indirect block is let go before the
// bitmap is locked, so that the lock-order checker (one class for every
// buffer) sees no nesting; the inode lock keeps the indirect block ours.
// No lock of its own: the bitmap block's buffer lock serialises
// allocations.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

// The first clear bit among the first nbits of a bitmap, or -1.
static int first_clear(uchar *bits, uint nbits) {
  for (uint byte = 0; byte * 8 < nbits; byte++) {
    if (bits[byte] == 0xff)
      continue;
    for (uint bit = byte * 8; bit < nbits && bit < byte * 8 + 8; bit++)
      if ((bits[byte] & (1 << (bit % 8))) == 0)
        return bit;
  }
  return -1;
}

// Allocate a disk block, zeroed. 0 if the disk is full.
static uint balloc(uint dev) {
  for (uint base = 0; base < superblock.size; base += BPB) {
    uint span = superblock.size - base < BPB ? superblock.size - base : BPB;
    struct buf *map = bread(dev, BBLOCK(base, superblock));
    int bit = first_clear(map->data, span);
    if (bit >= 0) {
      map->data[bit / 8] |= 1 << (bit % 8);
      log_write(map);
    }
    brelse(map); // before locking the new block: one bitmap user at a time
    if (bit < 0)
      continue;
    struct buf *fresh = bread(dev, base + bit);
    memset(fresh->data, 0, BSIZE); // no file may see another's old data
    log_write(fresh);
    brelse(fresh);
    return base + bit;
  }
  return 0;
}

static void bfree(uint dev, uint bno) {
  struct buf *map = bread(dev, BBLOCK(bno, superblock));
  uchar *byte = &map->data[(bno % BPB) / 8], mask = 1 << (bno % 8);

  if ((*byte & mask) == 0)
    panic("bfree: block is already free");
  *byte &= ~mask;
  log_write(map);
  brelse(map);
}

// Entry i of the indirect block at disk block ind; if set is not 0, it
// becomes set first (logged). No other buffer is held meanwhile.
static uint indirect_entry(uint dev, uint ind, uint i, uint set) {
  struct buf *b = bread(dev, ind);
  uint *entry = (uint *)b->data + i;
  if (set) {
    *entry = set;
    log_write(b);
  }
  uint bno = *entry;
  brelse(b);
  return bno;
}

// The disk block holding block bn of ip. If there is none: 0, unless
// alloc asks for one to be allocated (still 0 if the disk is full).
uint bmap(struct inode *ip, uint bn, int alloc) {
  uint *addrs = ip->di.addrs;

  if (bn < NDIRECT) {
    if (addrs[bn] == 0 && alloc)
      addrs[bn] = balloc(ip->dev); // written back by the caller's iupdate
    return addrs[bn];
  }
  if (bn - NDIRECT >= NINDIRECT)
    panic("bmap: block beyond MAXFILE");
  if (addrs[NDIRECT] == 0 && alloc)
    addrs[NDIRECT] = balloc(ip->dev);
  if (addrs[NDIRECT] == 0)
    return 0;
  uint bno = indirect_entry(ip->dev, addrs[NDIRECT], bn - NDIRECT, 0);
  if (bno == 0 && alloc && (bno = balloc(ip->dev)) != 0)
    indirect_entry(ip->dev, addrs[NDIRECT], bn - NDIRECT, bno);
  return bno;
}

// Free every block of ip and make it empty. Inside a transaction.
void itrunc(struct inode *ip) {
  uint *addrs = ip->di.addrs;

  if (addrs[NDIRECT]) // the indirect block is freed below: its entries stay
    for (uint i = 0; i < NINDIRECT; i++) {
      uint bno = indirect_entry(ip->dev, addrs[NDIRECT], i, 0);
      if (bno)
        bfree(ip->dev, bno);
    }
  for (int i = 0; i <= NDIRECT; i++) { // the indirect block last
    if (addrs[i])
      bfree(ip->dev, addrs[i]);
    addrs[i] = 0;
  }
  ip->di.size = 0;
  iupdate(ip);
}

// The loop readi and writei share: move n bytes between ip at off and
// address a, a block at a time. Stops early at a missing block (a hole
// when reading, a full disk when writing). A bad address ends a read with
// -1 and a write with the count so far. Returns the bytes moved.
static int transfer(struct inode *ip, int user, uint64 a, uint off, uint n, int write) {
  uint done = 0;

  while (done < n) {
    uint bno = bmap(ip, off / BSIZE, write);
    if (bno == 0)
      break;
    uint inblock = off % BSIZE, len = BSIZE - inblock < n - done ? BSIZE - inblock : n - done;
    struct buf *b = bread(ip->dev, bno);
    int bad = write ? either_copyin(b->data + inblock, user, a, len)
                    : either_copyout(user, a, b->data + inblock, len);
    if (write && !bad)
      log_write(b);
    brelse(b);
    if (bad)
      return write ? done : -1;
    done += len;
    off += len;
    a += len;
  }
  return done;
}

// Read up to n bytes at off into dst (a user address if user_dst). Returns
// the count: 0 at or past the end; -1 if dst is bad.
int readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n) {
  if (off > ip->di.size || off + n < off)
    return 0;
  if (n > ip->di.size - off)
    n = ip->di.size - off;
  return transfer(ip, user_dst, dst, off, n, 0);
}

// Write n bytes from src (a user address if user_src) at off, growing the
// file. Returns the count, short if the disk filled up or src went bad;
// -1 if off is past the end or the file would pass MAXFILE blocks.
// Inside a transaction.
int writei(struct inode *ip, int user_src, uint64 src, uint off, uint n) {
  if (off > ip->di.size || off + n < off || off + n > MAXFILE * BSIZE)
    return -1;
  int done = transfer(ip, user_src, src, off, n, 1);
  if (off + done > ip->di.size)
    ip->di.size = off + done;
  iupdate(ip); // also when only addrs changed: bmap may have allocated
  return done;
}
