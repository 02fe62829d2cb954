// On-disk file-system format, shared by the kernel and mkfs.
// The parameters are xv6's, so images and programs written for xv6 work.
//
// Disk layout, in BSIZE blocks:
//   [ boot | super | log header + log | inodes | free bitmap | data ... ]
// mkfs computes the boundaries and records them in the superblock.
#ifndef FS_H
#define FS_H

#define ROOTINO 1  // inode number of the root directory
#define BSIZE 1024 // block size in bytes

struct superblock {
  uint magic;      // must be FSMAGIC
  uint size;       // size of the image in blocks
  uint nblocks;    // number of data blocks
  uint ninodes;    // number of inodes
  uint nlog;       // number of log blocks (header included)
  uint logstart;   // first log block
  uint inodestart; // first inode block
  uint bmapstart;  // first free-bitmap block
};

#define FSMAGIC 0x10203040

#define NDIRECT 12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE (NDIRECT + NINDIRECT)

// An inode as stored on disk.
struct dinode {
  short type;  // T_DIR, T_FILE, T_DEVICE; 0 means free
  short major; // device number (T_DEVICE only)
  short minor;
  short nlink;             // directory entries that name this inode
  uint size;               // bytes of content
  uint addrs[NDIRECT + 1]; // direct blocks, then one indirect block
};

// Inodes per block.
#define IPB (BSIZE / sizeof(struct dinode))

// Block holding inode i.
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)

// Bitmap bits per block.
#define BPB (BSIZE * 8)

// Bitmap block holding the bit for block b.
#define BBLOCK(b, sb) ((b) / BPB + (sb).bmapstart)

// A directory is a file of these entries; inum 0 marks a free slot.
#define DIRSIZ 14

struct dirent {
  ushort inum;
  char name[DIRSIZ];
};

#endif
