// The file system's write-ahead redo log: makes each file-system system
// call atomic with respect to crashes.
//
// Interface: a system call brackets its file-system work with begin_op()
// and end_op(); in between it modifies blocks through bread(), changes the
// buffer and calls log_write(b) instead of bwrite(b). initlog() recovers a
// log left by a crash.
//
// Protocol. Log_write only records the block number and pins the buffer,
// so the change stays in the cache. When the last outstanding operation
// ends, the whole group of operations is committed:
//   1. copy every logged block into the log area (blocks logstart+1 ...);
//   2. write the header with the count n and the block numbers: once that
//      block is on disk the transaction is committed;
//   3. copy the logged blocks to their home locations, unpin them;
//   4. write the header with n = 0: the log is empty again.
// A crash before 2 loses the group, a crash after 2 replays it at boot
// (replaying twice is harmless: the log holds whole blocks).
//
// Invariants, under the log lock: lh.n <= capacity; the blocks named in
// lh are pinned in the buffer cache; begin_op admits an operation only if
// every admitted operation can still log MAXOPBLOCKS blocks; no operation
// is admitted while a commit runs.
//
// Lock: "log", a spinlock taken alone (fsdefs.h), protects outstanding,
// committing, waiting and lh. The commit runs without it: committing = 1
// keeps every other operation out meanwhile, and it holds one buffer
// sleep lock at a time (recovery: a slot's, then its home block's).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

// The log header, in memory and in the first log block (little-endian).
struct logheader {
  int n;
  int block[LOGBLOCKS];
};

static struct {
  struct spinlock lock; // "log"
  int dev;
  int start;       // block number of the header; the log follows it
  int capacity;    // blocks a transaction may hold: min(LOGBLOCKS, nlog - 1)
  int outstanding; // operations between begin_op and end_op
  int committing;  // a commit is writing the log; begin_op waits
  int waiting;     // processes sleeping in begin_op: wakeup scans every
                   // process, so it is skipped when there are none
  struct logheader lh;
} wal;

static void log_recover(void);

void initlog(int dev, struct superblock *sb) {
  if (sizeof(struct logheader) > BSIZE)
    panic("initlog: header larger than a block");
  initlock(&wal.lock, "log");
  wal.dev = dev;
  wal.start = sb->logstart;
  wal.capacity = sb->nlog - 1 < LOGBLOCKS ? sb->nlog - 1 : LOGBLOCKS;
  if (wal.capacity < MAXOPBLOCKS)
    panic("initlog: log too small");
  log_recover();
}

static void head_read(void) {
  struct buf *b = bread(wal.dev, wal.start);
  struct logheader *h = (struct logheader *)b->data;

  if (h->n < 0 || h->n > wal.capacity)
    panic("initlog: corrupt log header");
  wal.lh.n = h->n;
  for (int i = 0; i < h->n; i++)
    wal.lh.block[i] = h->block[i];
  brelse(b);
}

// Write the in-memory header to disk. With n > 0 this is the commit point.
static void head_write(void) {
  struct buf *b = bread(wal.dev, wal.start);
  struct logheader *h = (struct logheader *)b->data;

  h->n = wal.lh.n;
  for (int i = 0; i < wal.lh.n; i++)
    h->block[i] = wal.lh.block[i];
  bwrite(b);
  brelse(b);
}

// Commit step 1: write each logged block, from its pinned buffer, into
// its log slot. Slots go to the disk directly (bwrite_at), not through
// the cache: only a recovery reads them back, and caching them would
// push as many useful blocks out of the cache at every commit.
static void write_slots(void) {
  for (int i = 0; i < wal.lh.n; i++) {
    struct buf *home = bread(wal.dev, wal.lh.block[i]);
    bwrite_at(home, wal.start + 1 + i);
    brelse(home);
  }
}

// Step 3: write each logged block home, from the same buffer, and unpin it.
static void install(void) {
  for (int i = 0; i < wal.lh.n; i++) {
    struct buf *home = bread(wal.dev, wal.lh.block[i]);
    bwrite(home);
    bunpin(home);
    brelse(home);
  }
}

// Recovery: copy each slot of a committed log home (at boot, so nothing
// is pinned). Holds a slot's buffer, then its home block's.
static void replay(void) {
  for (int i = 0; i < wal.lh.n; i++) {
    struct buf *slot = bread(wal.dev, wal.start + 1 + i);
    struct buf *home = bread(wal.dev, wal.lh.block[i]);
    memmove(home->data, slot->data, BSIZE);
    bwrite(home);
    brelse(home);
    brelse(slot);
  }
}

static void log_recover(void) {
  head_read();
  replay();
  wal.lh.n = 0;
  head_write();
}

// Called without the log lock, by the one process that ended the group;
// committing = 1 keeps everybody else out of the log meanwhile.
static void log_commit(void) {
  if (wal.lh.n == 0)
    return;
  write_slots();
  head_write();
  install();
  wal.lh.n = 0;
  head_write();
}

// Wait while a commit runs or while one more operation could overflow the
// log (each may log MAXOPBLOCKS blocks), then join the current group.
void begin_op(void) {
  acquire(&wal.lock);
  while (wal.committing || wal.lh.n + (wal.outstanding + 1) * MAXOPBLOCKS > wal.capacity) {
    wal.waiting++;
    sleep(&wal, &wal.lock);
    wal.waiting--;
  }
  wal.outstanding++;
  release(&wal.lock);
}

void end_op(void) {
  acquire(&wal.lock);
  if (wal.outstanding < 1 || wal.committing)
    panic("end_op: not in an operation");
  wal.outstanding--;
  // The last operation of a group commits it, unless nobody wrote: calls
  // that only read (close, exec, chdir) then leave the log alone.
  int commit_now = wal.outstanding == 0 && wal.lh.n > 0;
  wal.committing = commit_now;
  if (!commit_now && wal.waiting)
    wakeup(&wal); // our unused reservation may admit a waiting begin_op
  release(&wal.lock);

  if (commit_now) {
    log_commit(); // sleeps in disk I/O, so no spinlock is held
    acquire(&wal.lock);
    wal.committing = 0;
    if (wal.waiting)
      wakeup(&wal);
    release(&wal.lock);
  }
}

// Record that the locked buffer b was modified by the current operation.
// Several writes of one block in a group take one log slot ("absorption").
void log_write(struct buf *b) {
  int i;

  acquire(&wal.lock);
  if (wal.outstanding < 1)
    panic("log_write: outside an operation");
  for (i = 0; i < wal.lh.n; i++)
    if (wal.lh.block[i] == b->blockno)
      break;
  if (i == wal.lh.n) {
    if (wal.lh.n >= wal.capacity)
      panic("log_write: transaction too big");
    wal.lh.block[wal.lh.n++] = b->blockno;
    bpin(b);
  }
  release(&wal.lock);
}
