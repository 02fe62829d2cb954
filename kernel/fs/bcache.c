// The buffer cache: NBUF in-memory copies of disk blocks, so that blocks
// used often (bitmap, inodes, directories) are read once, and so that
// every process sees one copy of a block, locked by one user at a time.
//
// Interface: bread(dev, blockno) returns the block's buffer locked and
// filled; the holder reads or changes b->data, may bwrite(b) (or write
// the content to another block with bwrite_at), and gives it back with
// brelse(b). The log pins the buffers of blocks it holds
// (bpin/bunpin) so that they stay cached until they are installed.
//
// Design. Buffers are found through NBUCKET hash chains, each with its own
// spinlock, so harts reading different blocks do not wait on each other:
// a cache hit and a release take one bucket lock and nothing else. Only a
// miss, which reads the disk anyway, takes the cache-wide evict lock, and
// picks a buffer to reuse with a clock hand sweeping buf[]: an unused
// buffer whose block was asked for again since the hand last passed it
// ("recent", set by a hit) is spared once. That approximates
// least-recently-used without a list that every hit and release would
// have to lock.
//
// Locks ("bcache.evict" before "bcache.bucket"; never two buckets):
//   evict        the hand, and every change of a buffer's identity: a
//                buffer leaves its old chain and joins its new one while
//                the evictor holds it, so two buffers never cache one block
//   bucket lock  its chain and the refs of the buffers on it
//   b->lock      (sleep lock, "buf") the content: valid and data
// A buffer with refs == 0 is unused: nobody holds its sleep lock, and it
// may be taken for another block. When none is unused, a miss sleeps
// until a release (the xv6 kernel panics there instead).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/virtio.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

#define NBUCKET 13 // prime: consecutive blocks land in different buckets

struct bucket {
  struct spinlock lock;
  struct buf *chain;
};

static struct {
  struct bucket bucket[NBUCKET];
  struct spinlock evict;
  uint hand;    // next buffer the clock looks at; under evict
  int sleepers; // misses sleeping for an unused buffer; atomic
  int pinned;   // pins held by the log; atomic
  struct buf buf[NBUF];
} bcache;

static struct bucket *bucket_of(uint dev, uint blockno) {
  return &bcache.bucket[(blockno + dev * 7) % NBUCKET];
}

void binit(void) {
  initlock(&bcache.evict, "bcache.evict");
  for (int i = 0; i < NBUCKET; i++)
    initlock(&bcache.bucket[i].lock, "bcache.bucket");
  for (int i = 0; i < NBUF; i++) {
    bcache.buf[i].dev = NODEV; // in no chain until first used
    initsleeplock(&bcache.buf[i].lock, "buf");
  }
}

// The buffer caching (dev, blockno) with one more reference, or 0.
static struct buf *lookup(uint dev, uint blockno) {
  struct bucket *bk = bucket_of(dev, blockno);
  struct buf *b;

  acquire(&bk->lock);
  for (b = bk->chain; b; b = b->hnext) {
    if (b->blockno == blockno && b->dev == dev) {
      b->refs++;
      __atomic_store_n(&b->recent, 1, __ATOMIC_RELAXED);
      break;
    }
  }
  release(&bk->lock);
  return b;
}

// Take b off its chain if it is unused. 1 if it was; it then belongs to
// the caller, who holds evict, and nobody can find it.
static int take_unused(struct buf *b) {
  if (b->dev == NODEV)
    return 1;
  struct bucket *bk = bucket_of(b->dev, b->blockno);
  acquire(&bk->lock);
  int unused = b->refs == 0;
  if (unused) {
    struct buf **pp = &bk->chain;
    while (*pp != b)
      pp = &(*pp)->hnext;
    *pp = b->hnext;
  }
  release(&bk->lock);
  return unused;
}

// With evict held: an unused buffer, renamed (dev, blockno), empty and
// referenced once, or 0 if two turns of the hand found every buffer in use.
static struct buf *recycle(uint dev, uint blockno) {
  for (int step = 0; step < 2 * NBUF; step++) {
    struct buf *b = &bcache.buf[bcache.hand];
    bcache.hand = (bcache.hand + 1) % NBUF;
    if (__atomic_load_n(&b->refs, __ATOMIC_RELAXED) != 0)
      continue; // a hint only: take_unused decides under the bucket lock
    if (__atomic_exchange_n(&b->recent, 0, __ATOMIC_RELAXED))
      continue; // its second chance
    if (!take_unused(b))
      continue;
    b->dev = dev;
    b->blockno = blockno;
    b->valid = 0;
    b->refs = 1;
    b->recent = 0; // a first use earns no second chance
    struct bucket *bk = bucket_of(dev, blockno);
    acquire(&bk->lock);
    b->hnext = bk->chain;
    bk->chain = b;
    release(&bk->lock);
    return b;
  }
  return 0;
}

static int any_unused(void) {
  for (int i = 0; i < NBUF; i++)
    if (__atomic_load_n(&bcache.buf[i].refs, __ATOMIC_SEQ_CST) == 0)
      return 1;
  return 0;
}

// With evict held, every buffer in use: sleep until one is released.
// sleepers is raised before the last look, and a release lowers refs
// before it reads sleepers, so one of the two sees the other.
static void wait_unused(void) {
  if (__atomic_load_n(&bcache.pinned, __ATOMIC_RELAXED) >= NBUF)
    panic("bcache: the log pins every buffer");
  __atomic_add_fetch(&bcache.sleepers, 1, __ATOMIC_SEQ_CST);
  if (!any_unused())
    sleep(&bcache.sleepers, &bcache.evict);
  __atomic_sub_fetch(&bcache.sleepers, 1, __ATOMIC_SEQ_CST);
}

// The buffer for (dev, blockno), referenced and locked; valid says
// whether it holds the block yet.
static struct buf *bget(uint dev, uint blockno) {
  struct buf *b = lookup(dev, blockno);

  if (b == 0) {
    acquire(&bcache.evict);
    // Look again: another miss may have cached the block while we waited.
    while ((b = lookup(dev, blockno)) == 0 && (b = recycle(dev, blockno)) == 0)
      wait_unused();
    release(&bcache.evict);
  }
  acquiresleep(&b->lock);
  return b;
}

struct buf *bread(uint dev, uint blockno) {
  struct buf *b = bget(dev, blockno);

  if (!b->valid) { // first user since the buffer was renamed
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

// Write b's content (b locked) to block blockno of b's disk, leaving b
// and the cache as they are: the log writes its slots so (log.c). Disk 0
// holds ROOTDEV, as for virtio_disk_rw.
void bwrite_at(struct buf *b, uint blockno) {
  if (!holdingsleep(&b->lock))
    panic("bwrite_at: buffer not locked");
  if (b->dev != ROOTDEV ||
      virtio_disk_io(0, (uint64)blockno * (BSIZE / VIRTIO_BLK_SECTOR), b->data, BSIZE, 1) < 0)
    panic("bwrite_at: disk error");
}

// Drop one reference; the last one makes b unused and wakes a waiting miss.
static void unref(struct buf *b) {
  struct bucket *bk = bucket_of(b->dev, b->blockno);

  acquire(&bk->lock);
  if (b->refs == 0)
    panic("bcache: release of an unused buffer");
  int now_unused = --b->refs == 0;
  release(&bk->lock);
  if (!now_unused)
    return;
  __atomic_thread_fence(__ATOMIC_SEQ_CST); // refs = 0 before reading sleepers
  if (__atomic_load_n(&bcache.sleepers, __ATOMIC_SEQ_CST) > 0) {
    acquire(&bcache.evict); // the sleeper holds it until it sleeps
    wakeup(&bcache.sleepers);
    release(&bcache.evict);
  }
}

void brelse(struct buf *b) {
  if (!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);
  unref(b);
}

// Keep b cached, without holding it locked, until bunpin. The caller
// holds b locked, so b cannot be renamed meanwhile.
void bpin(struct buf *b) {
  struct bucket *bk = bucket_of(b->dev, b->blockno);

  acquire(&bk->lock);
  b->refs++;
  release(&bk->lock);
  __atomic_add_fetch(&bcache.pinned, 1, __ATOMIC_RELAXED);
}

void bunpin(struct buf *b) {
  __atomic_sub_fetch(&bcache.pinned, 1, __ATOMIC_RELAXED);
  unref(b);
}
