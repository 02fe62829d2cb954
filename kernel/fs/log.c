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
// committing and lh. The commit itself runs without it: committing = 1
// keeps every other operation out meanwhile, and it holds at most two
// buffer sleep locks at a time, a log slot's before its home block's.
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

// Copy each logged block between its log slot and its home location:
// into the log (commit step 1) or home (step 3, and recovery). Step 3
// also drops the pin log_write took; recovery never pinned anything.
enum { TO_LOG, TO_HOME, TO_HOME_UNPIN };

static void log_copy(int dir) {
  for (int i = 0; i < wal.lh.n; i++) {
    struct buf *slot = bread(wal.dev, wal.start + 1 + i);
    struct buf *home = bread(wal.dev, wal.lh.block[i]);
    struct buf *to = dir == TO_LOG ? slot : home;
    memmove(to->data, (dir == TO_LOG ? home : slot)->data, BSIZE);
    bwrite(to);
    if (dir == TO_HOME_UNPIN)
      bunpin(home);
    brelse(home);
    brelse(slot);
  }
}

static void log_recover(void) {
  head_read();
  log_copy(TO_HOME);
  wal.lh.n = 0;
  head_write();
}

// Called without the log lock, by the one process that ended the group;
// committing = 1 keeps everybody else out of the log meanwhile.
static void log_commit(void) {
  if (wal.lh.n == 0)
    return;
  log_copy(TO_LOG);
  head_write();
  log_copy(TO_HOME_UNPIN);
  wal.lh.n = 0;
  head_write();
}

// Wait while a commit runs or while one more operation could overflow the
// log (each may log MAXOPBLOCKS blocks), then join the current group.
void begin_op(void) {
  acquire(&wal.lock);
  while (wal.committing || wal.lh.n + (wal.outstanding + 1) * MAXOPBLOCKS > wal.capacity)
    sleep(&wal, &wal.lock);
  wal.outstanding++;
  release(&wal.lock);
}

void end_op(void) {
  int commit_now = 0;

  acquire(&wal.lock);
  if (wal.outstanding < 1 || wal.committing)
    panic("end_op: not in an operation");
  wal.outstanding--;
  if (wal.outstanding == 0) {
    commit_now = 1;
    wal.committing = 1;
  } else {
    wakeup(&wal); // our unused reservation may admit a waiting begin_op
  }
  release(&wal.lock);

  if (commit_now) {
    log_commit(); // sleeps in disk I/O, so no spinlock is held
    acquire(&wal.lock);
    wal.committing = 0;
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
