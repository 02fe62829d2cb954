// One cached disk block: the contract between the buffer cache
// (kernel/fs/bcache.c) and the disk driver (virtio_disk_rw), which reads
// and writes data[] at block blockno of disk dev. Include kernel/types.h,
// kernel/spinlock.h, kernel/sleeplock.h and kernel/fs.h first.
//
// Who may touch what (the cache's header says why):
//   dev, blockno   the identity; set only while the buffer is in no bucket
//                  chain, so a holder of a reference may read them freely
//   refs, hnext    the lock of the bucket the buffer is chained in
//   recent         nobody: a hint, read and written atomically
//   valid, data    the buffer's sleep lock (bread returns it held)
#ifndef BUF_H
#define BUF_H

#define NODEV 0 // dev of a buffer that caches no block yet

struct buf {
  uint dev;
  uint blockno;
  struct sleeplock lock; // "buf": held by the one user of the content
  int valid;             // data holds the block (read from or written to disk)
  uint refs;             // holders of a reference, pins of the log included
  uint recent;           // hit since the clock hand last passed (bcache.c)
  struct buf *hnext;     // next buffer in the same hash bucket
  uchar data[BSIZE];
};

#endif
