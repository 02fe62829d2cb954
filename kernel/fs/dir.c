// Directories: a directory is a file of struct dirent (kernel/fs.h); an
// entry with inum 0 is free; the first two entries are "." and "..".
//
// Interface: dir_find looks a name up; dirlink adds an entry in the first
// free slot (growing the directory if there is none); dir_erase frees an
// entry; dir_isempty tells whether only "." and ".." are left. Names are
// compared on their first DIRSIZ bytes (namecmp), as xv6 does.
//
// Lookups read the directory a block at a time, straight from the buffer
// cache, rather than an entry at a time through readi: a directory of
// hundreds of entries is scanned with one bread per block. Entries never
// straddle blocks (BSIZE is a multiple of their size).
//
// Rules: the caller holds the directory's sleep lock; dirlink and
// dir_erase run inside a transaction. No lock of its own.
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

#define DIRENTS_PER_BLOCK (BSIZE / sizeof(struct dirent))

int namecmp(const char *s, const char *t) { return strncmp(s, t, DIRSIZ); }

// What a scan looks for and what it found.
struct scan {
  char *name;   // the entry to find, or 0 to find any used entry past ".."
  uint inum;    // the entry found, 0 if none
  uint off;     // its offset
  uint freeoff; // the first free entry, or the directory's size
};

// Does entry de at offset off end the scan s?
static int matches(struct scan *s, struct dirent *de, uint off) {
  if (de->inum == 0) {
    if (s->freeoff > off)
      s->freeoff = off;
    return 0;
  }
  if (s->name ? namecmp(s->name, de->name) != 0 : off < 2 * sizeof(*de))
    return 0;
  s->inum = de->inum;
  s->off = off;
  return 1;
}

// Run s over every entry of dp (locked) until one matches.
static void scan_dir(struct inode *dp, struct scan *s) {
  uint size = dp->di.size;

  if (dp->di.type != T_DIR)
    panic("dir: not a directory");
  s->inum = 0;
  s->freeoff = size;
  for (uint base = 0; base < size && s->inum == 0; base += BSIZE) {
    uint bno = bmap(dp, base / BSIZE, 0);
    if (bno == 0)
      continue; // a hole (damaged image): no entries there
    struct buf *b = bread(dp->dev, bno);
    struct dirent *de = (struct dirent *)b->data;
    uint n = (size - base) / sizeof(*de);
    for (uint i = 0; i < n && i < DIRENTS_PER_BLOCK; i++)
      if (matches(s, &de[i], base + i * sizeof(*de)))
        break;
    brelse(b);
  }
}

// The inode number name has in dp, with its entry's offset in *off; 0 if
// dp has no such entry.
uint dir_find(struct inode *dp, char *name, uint *off) {
  struct scan s = {.name = name};

  scan_dir(dp, &s);
  if (s.inum && off)
    *off = s.off;
  return s.inum;
}

// Add the entry (name, inum) to dp. -1 if the name is taken or dp cannot
// grow (disk full, MAXFILE).
int dirlink(struct inode *dp, char *name, uint inum) {
  struct scan s = {.name = name};
  struct dirent de;

  scan_dir(dp, &s);
  if (s.inum != 0)
    return -1;
  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ); // NUL-padded; no NUL if DIRSIZ long
  de.inum = inum;
  return writei(dp, 0, (uint64)&de, s.freeoff, sizeof(de)) == sizeof(de) ? 0 : -1;
}

// Free the entry at off, which dir_find returned.
void dir_erase(struct inode *dp, uint off) {
  struct dirent de;

  memset(&de, 0, sizeof(de));
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    panic("dir_erase: cannot rewrite an entry"); // its block exists
}

// Does dp hold no entry but "." and ".."?
int dir_isempty(struct inode *dp) {
  struct scan s = {.name = 0};

  scan_dir(dp, &s);
  return s.inum == 0;
}
