// The buffer cache: NBUF in-memory copies of disk blocks.
//
// Interface: binit(); bread(dev, blockno) returns the block locked and
// filled; bwrite(b) writes a locked buffer to disk; brelse(b) unlocks and
// releases it; bpin/bunpin keep a buffer (a block in the log) from being
// reused without holding it locked.
//
// Invariants:
// - at most one buffer caches a given (dev, blockno), so every process sees
//   the same copy and the buffer's sleep lock serializes its users;
// - a buffer with refcnt 0 may be recycled; the least recently released
//   one is recycled first;
// - the cache lock is a spinlock and is never held while sleeping: bread()
//   takes the buffer's sleep lock only after releasing it;
// - when every buffer is in use, bget sleeps until one is released. Users
//   hold a buffer only briefly (a few at a time) and the log pins at most
//   LOGBLOCKS, so one is always released eventually, unless the log pins
//   every buffer: that is a kernel bug, and a panic.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/riscv.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/defs.h"

static struct {
  struct spinlock lock; // protects refcnt, dev, blockno, the LRU links and:
  int npinned;          // buffers pinned by the log
  int nwaiting;         // processes sleeping in bget for a free buffer
  struct buf buf[NBUF];
  // Circular list through every buffer: head.next was released most
  // recently, head.prev least recently.
  struct buf head;
} bcache;

static void lru_unlink(struct buf *b) {
  b->next->prev = b->prev;
  b->prev->next = b->next;
}

static void lru_push_front(struct buf *b) {
  b->next = bcache.head.next;
  b->prev = &bcache.head;
  bcache.head.next->prev = b;
  bcache.head.next = b;
}

void binit(void) {
  initlock(&bcache.lock, "bcache");
  bcache.head.next = bcache.head.prev = &bcache.head;
  for (struct buf *b = bcache.buf; b < bcache.buf + NBUF; b++) {
    initsleeplock(&b->lock, "buffer");
    lru_push_front(b);
  }
}

// With bcache.lock held: the buffer for (dev, blockno), referenced, or a
// recycled one, or 0 if every buffer is in use.
static struct buf *bfind(uint dev, uint blockno) {
  struct buf *b;

  for (b = bcache.head.next; b != &bcache.head; b = b->next) {
    if (b->dev == dev && b->blockno == blockno) {
      b->refcnt++;
      return b;
    }
  }
  for (b = bcache.head.prev; b != &bcache.head; b = b->prev) {
    if (b->refcnt == 0) {
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      return b;
    }
  }
  return 0;
}

// Find the buffer caching (dev, blockno), or recycle the least recently
// used free one for it. Returns it locked; b->valid says whether it holds
// the block yet.
static struct buf *bget(uint dev, uint blockno) {
  struct buf *b;

  acquire(&bcache.lock);
  while ((b = bfind(dev, blockno)) == 0) {
    if (bcache.npinned == NBUF)
      panic("bget: the log pins every buffer");
    bcache.nwaiting++;
    sleep(&bcache.nwaiting, &bcache.lock); // the block may get cached meanwhile
    bcache.nwaiting--;
  }
  release(&bcache.lock);
  acquiresleep(&b->lock); // may sleep while another process uses it
  return b;
}

struct buf *bread(uint dev, uint blockno) {
  struct buf *b = bget(dev, blockno);

  if (!b->valid) {
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

void bwrite(struct buf *b) {
  if (!holdingsleep(&b->lock))
    panic("bwrite: buffer not locked");
  virtio_disk_rw(b, 1);
}

// Drop one reference (a pin if pinned); at zero the buffer becomes the
// most recently used candidate for recycling.
static void bunref(struct buf *b, int pinned) {
  acquire(&bcache.lock);
  if (b->refcnt == 0)
    panic("bunref: refcnt");
  bcache.npinned -= pinned;
  b->refcnt--;
  if (b->refcnt == 0) {
    lru_unlink(b);
    lru_push_front(b);
    if (bcache.nwaiting)
      wakeup(&bcache.nwaiting);
  }
  release(&bcache.lock);
}

// Unlock b and drop the caller's reference.
void brelse(struct buf *b) {
  if (!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);
  bunref(b, 0);
}

// The log pins the buffers of blocks it holds so that they stay cached
// (with their new content) until the commit installs them.
void bpin(struct buf *b) {
  acquire(&bcache.lock);
  b->refcnt++;
  bcache.npinned++;
  release(&bcache.lock);
}

void bunpin(struct buf *b) { bunref(b, 1); }
