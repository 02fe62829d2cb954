// A block of the file-system disk as held by the buffer cache (bio.c).
//
// A buffer returned by bread() is locked (its sleep lock is held) and holds
// the block's current content; only its holder may touch data. The cache's
// spinlock protects refcnt, the LRU links, dev and blockno.
#ifndef BUF_H
#define BUF_H

struct buf {
  int valid; // data holds the block's content (read or written)
  uint dev;  // device (ROOTDEV) and block number it caches
  uint blockno;
  struct sleeplock lock; // held by the user of the buffer, across disk I/O
  uint refcnt;           // users plus log pins; 0 means reusable
  struct buf *prev;      // LRU list, most recently released first
  struct buf *next;
  uchar data[BSIZE];
};

#endif
