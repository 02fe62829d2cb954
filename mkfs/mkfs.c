// mkfs: build a file-system image for the kernel. A host program.
//
// usage: mkfs fs.img FILE...
//
// Writes an image of FSSIZE blocks laid out as kernel/fs.h describes:
//   block 0            boot block (unused)
//   block 1            superblock
//   log                header block + LOGBLOCKS blocks, all zero (empty log)
//   inode blocks       NINODES inodes; inode 1 is the root directory
//   free bitmap        one bit per block of the image
//   data blocks        allocated in order, from the first one on
// The root directory holds ".", ".." and every FILE under its base name
// (user/stripped/sh becomes /sh). Each file gets consecutive data blocks,
// an indirect block once it passes NDIRECT blocks.
//
// The whole image is assembled in memory and written at the end. Every
// on-disk integer is stored little-endian (RISC-V's byte order) through
// put16/put32, whatever the host's byte order. Any problem (a file larger
// than MAXFILE blocks, no room left, a duplicate name) ends the program
// with a message and exit status 1, leaving no image behind.
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/param.h"
#include "kernel/stat.h"

#define NINODES 200

static uchar image[FSSIZE][BSIZE];
static struct superblock sb; // host byte order; stored by write_superblock
static uint next_inum = 1;   // lowest inode number not yet used
static uint next_block;      // lowest data block not yet used
static const char *outpath;  // removed if mkfs fails

static void die(const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "mkfs: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  if (outpath)
    remove(outpath); // no stale image that make would take as up to date
  exit(1);
}

static void put16(uchar *p, uint v) {
  p[0] = v;
  p[1] = v >> 8;
}

static void put32(uchar *p, uint v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}

static uint get16(const uchar *p) { return p[0] | p[1] << 8; }

static uint get32(const uchar *p) { return get16(p) | get16(p + 2) << 16; }

// Layout: the boundaries of each region, as the superblock records them.
static void plan_layout(void) {
  uint ninodeblocks = NINODES / IPB + 1;
  uint nbitmap = FSSIZE / BPB + 1;

  sb.magic = FSMAGIC;
  sb.size = FSSIZE;
  sb.ninodes = NINODES;
  sb.nlog = LOGBLOCKS + 1;
  sb.logstart = 2;
  sb.inodestart = sb.logstart + sb.nlog;
  sb.bmapstart = sb.inodestart + ninodeblocks;
  next_block = sb.bmapstart + nbitmap;
  if (next_block >= FSSIZE)
    die("FSSIZE %d leaves no data blocks", FSSIZE);
  sb.nblocks = FSSIZE - next_block;
}

static void write_superblock(void) {
  uchar *p = image[1];

  put32(p + offsetof(struct superblock, magic), sb.magic);
  put32(p + offsetof(struct superblock, size), sb.size);
  put32(p + offsetof(struct superblock, nblocks), sb.nblocks);
  put32(p + offsetof(struct superblock, ninodes), sb.ninodes);
  put32(p + offsetof(struct superblock, nlog), sb.nlog);
  put32(p + offsetof(struct superblock, logstart), sb.logstart);
  put32(p + offsetof(struct superblock, inodestart), sb.inodestart);
  put32(p + offsetof(struct superblock, bmapstart), sb.bmapstart);
}

// Mark every block handed out so far (metadata included) as in use.
static void write_bitmap(void) {
  for (uint b = 0; b < next_block; b++)
    image[BBLOCK(b, sb)][(b % BPB) / 8] |= 1 << (b % 8);
}

static uint block_alloc(void) {
  if (next_block >= FSSIZE)
    die("image full: all %u data blocks used", sb.nblocks);
  return next_block++; // already zero
}

// The bytes of on-disk inode inum.
static uchar *dinode(uint inum) {
  return image[IBLOCK(inum, sb)] + (inum % IPB) * sizeof(struct dinode);
}

#define DFIELD(inum, field) (dinode(inum) + offsetof(struct dinode, field))

static uint inode_alloc(short type) {
  uint inum = next_inum++;

  if (inum >= NINODES)
    die("out of inodes (%d)", NINODES);
  put16(DFIELD(inum, type), type);
  put16(DFIELD(inum, nlink), 1);
  return inum;
}

// Address of block bn of inode inum, allocating it (and the indirect
// block) if it does not exist yet.
static uint inode_block(uint inum, uint bn) {
  uchar *slot;

  if (bn >= MAXFILE)
    die("file larger than MAXFILE (%d blocks)", (int)MAXFILE);
  if (bn < NDIRECT) {
    slot = DFIELD(inum, addrs) + 4 * bn;
  } else {
    uchar *ind = DFIELD(inum, addrs) + 4 * NDIRECT;
    if (get32(ind) == 0)
      put32(ind, block_alloc());
    slot = image[get32(ind)] + 4 * (bn - NDIRECT);
  }
  if (get32(slot) == 0)
    put32(slot, block_alloc());
  return get32(slot);
}

// Append len bytes to the content of inode inum.
static void inode_append(uint inum, const void *data, uint len) {
  const uchar *src = data;
  uint size = get32(DFIELD(inum, size));

  while (len > 0) {
    uint off = size % BSIZE, n = BSIZE - off;
    if (n > len)
      n = len;
    memcpy(image[inode_block(inum, size / BSIZE)] + off, src, n);
    size += n;
    src += n;
    len -= n;
  }
  put32(DFIELD(inum, size), size);
}

// Does directory dir have an entry called name?
static int dir_has(uint dir, const char *name) {
  uint size = get32(DFIELD(dir, size));

  for (uint off = 0; off < size; off += sizeof(struct dirent)) {
    uchar *de = image[inode_block(dir, off / BSIZE)] + off % BSIZE;
    if (get16(de) != 0 && strncmp((char *)de + 2, name, DIRSIZ) == 0)
      return 1;
  }
  return 0;
}

static void dir_add(uint dir, const char *name, uint inum) {
  uchar de[sizeof(struct dirent)] = {0};

  if (dir_has(dir, name))
    die("two files named %.*s", DIRSIZ, name);
  put16(de + offsetof(struct dirent, inum), inum);
  size_t len = strlen(name);
  memcpy(de + offsetof(struct dirent, name), name, len < DIRSIZ ? len : DIRSIZ);
  inode_append(dir, de, sizeof(de));
}

// Copy host file path into the image as /basename.
static void add_file(uint root, const char *path) {
  const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char buf[BSIZE];
  size_t n;
  FILE *f;

  if (*name == 0)
    die("%s: no file name", path);
  if (strlen(name) > DIRSIZ)
    fprintf(stderr, "mkfs: warning: %s stored as %.*s\n", name, DIRSIZ, name);
  if ((f = fopen(path, "rb")) == 0)
    die("%s: %s", path, strerror(errno));
  uint inum = inode_alloc(T_FILE);
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    if (get32(DFIELD(inum, size)) + n > MAXFILE * BSIZE)
      die("%s: larger than MAXFILE (%d blocks)", path, (int)MAXFILE);
    inode_append(inum, buf, n);
  }
  if (ferror(f))
    die("%s: read error", path);
  fclose(f);
  dir_add(root, name, inum);
}

static void write_image(void) {
  FILE *f = fopen(outpath, "wb");

  if (f == 0)
    die("%s: %s", outpath, strerror(errno));
  if (fwrite(image, BSIZE, FSSIZE, f) != FSSIZE || fclose(f) != 0)
    die("%s: write error", outpath);
}

int main(int argc, char *argv[]) {
  if (argc < 2) {
    fprintf(stderr, "usage: mkfs fs.img FILE...\n");
    return 1;
  }
  outpath = argv[1];
  plan_layout();
  uint root = inode_alloc(T_DIR);
  if (root != ROOTINO)
    die("root directory got inode %u", root);
  dir_add(root, ".", root);
  dir_add(root, "..", root); // the root is its own parent
  for (int i = 2; i < argc; i++)
    add_file(root, argv[i]);
  write_bitmap();
  write_superblock();
  write_image();
  printf("mkfs: %s: %u inodes, %u of %u data blocks used\n", outpath, next_inum - 1,
         next_block - (sb.size - sb.nblocks), sb.nblocks);
  return 0;
}
