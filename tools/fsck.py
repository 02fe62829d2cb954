#!/usr/bin/env python3
"""Check a file-system image: one mkfs built, or one a kernel run left.

usage: tools/fsck.py [-v] fs.img

Checks, in order:
  - the superblock: magic, region boundaries, image size;
  - the log: an empty header is expected; a committed transaction (a crash
    after the commit point) is replayed in memory first, as the kernel would
    at boot, and reported;
  - every allocated inode: a known type, size within MAXFILE, block numbers
    inside the data area, no block used twice, no hole inside the size;
  - the free bitmap: every used block marked, every marked block used;
  - directories: whole entries, "." naming itself and ".." its parent,
    entries naming allocated inodes, no duplicate names, no directory with
    two parents, every allocated inode reachable from the root;
  - link counts: nlink equals the entries naming the inode, where "." never
    counts and ".." counts for the parent (as in xv6); the root has one
    extra link of its own.
An allocated inode with nlink 0 that no entry names (a file unlinked while
open when the machine stopped) is not an error: the kernel frees it at the
next boot. It is reported with -v.

Exit status: 0 if the image is consistent, 1 if it is not, 2 if it cannot
be read. Python 3 standard
library only. The constants mirror kernel/fs.h and kernel/param.h.
"""
import struct
import sys

BSIZE = 1024
NDIRECT = 12
NINDIRECT = BSIZE // 4
MAXFILE = NDIRECT + NINDIRECT
DIRSIZ = 14
FSMAGIC = 0x10203040
ROOTINO = 1
T_DIR, T_FILE, T_DEVICE = 1, 2, 3
NDEV = 10

SUPER = struct.Struct("<8I")  # magic size nblocks ninodes nlog logstart inodestart bmapstart
DINODE = struct.Struct("<4hI%dI" % (NDIRECT + 1))  # type major minor nlink size addrs
DIRENT = struct.Struct("<H%ds" % DIRSIZ)
IPB = BSIZE // DINODE.size
BPB = BSIZE * 8


class Checker:
    def __init__(self, data, verbose):
        self.img = bytearray(data)
        self.verbose = verbose
        self.errors = 0
        self.owner = {}  # block -> inode number using it
        self.inodes = {}  # inum -> (type, major, minor, nlink, size, blocks in file order)

    def error(self, msg):
        self.errors += 1
        print("fsck: error: " + msg)

    def note(self, msg):
        if self.verbose:
            print("fsck: " + msg)

    def block(self, b):
        return self.img[b * BSIZE:(b + 1) * BSIZE]

    def check_super(self):
        if len(self.img) < 2 * BSIZE or len(self.img) % BSIZE:
            self.error("image size %d is not a whole number of blocks" % len(self.img))
            return False
        (magic, self.size, self.nblocks, self.ninodes, self.nlog, self.logstart,
         self.inodestart, self.bmapstart) = SUPER.unpack_from(self.img, BSIZE)
        self.datastart = self.size - self.nblocks
        problems = []
        if magic != FSMAGIC:
            problems.append("bad magic %#x" % magic)
        if self.size * BSIZE != len(self.img):
            problems.append("size %d blocks but the image has %d" % (self.size, len(self.img) // BSIZE))
        if self.logstart < 2 or self.nlog < 2 or self.inodestart < self.logstart + self.nlog:
            problems.append("log [%d, +%d) overlaps" % (self.logstart, self.nlog))
        if self.ninodes < 2 or self.bmapstart < self.inodestart + -(-self.ninodes // IPB):
            problems.append("inode area too small for %d inodes" % self.ninodes)
        if self.nblocks > self.size or self.datastart < self.bmapstart + -(-self.size // BPB):
            problems.append("data area (%d blocks) overlaps the bitmap" % self.nblocks)
        for p in problems:
            self.error("superblock: " + p)
        return not problems

    def replay_log(self):
        n = struct.unpack_from("<i", self.img, self.logstart * BSIZE)[0]
        if n == 0:
            return
        if n < 0 or n > self.nlog - 1:
            self.error("log header: bad count %d" % n)
            return
        homes = struct.unpack_from("<%di" % n, self.img, self.logstart * BSIZE + 4)
        print("fsck: log holds a committed transaction of %d blocks: replaying it" % n)
        for i, home in enumerate(homes):
            if not self.inodestart <= home < self.size:
                self.error("log entry %d names block %d outside the file system" % (i, home))
                continue
            src = (self.logstart + 1 + i) * BSIZE
            self.img[home * BSIZE:(home + 1) * BSIZE] = self.img[src:src + BSIZE]

    def dinode(self, inum):
        off = (self.inodestart + inum // IPB) * BSIZE + (inum % IPB) * DINODE.size
        return DINODE.unpack_from(self.img, off)

    def claim(self, b, inum, what):
        if not self.datastart <= b < self.size:
            self.error("inode %d: %s block %d outside the data area" % (inum, what, b))
            return False
        if b in self.owner:
            self.error("block %d used twice: by inode %d and inode %d" % (b, self.owner[b], inum))
            return False
        self.owner[b] = inum
        return True

    def file_blocks(self, inum, addrs):
        """Claim inum's blocks; return its block numbers by file index (0 = none)."""
        blocks = [0] * MAXFILE
        for i in range(NDIRECT):
            if addrs[i] and self.claim(addrs[i], inum, "direct"):
                blocks[i] = addrs[i]
        if addrs[NDIRECT] and self.claim(addrs[NDIRECT], inum, "indirect"):
            entries = struct.unpack("<%dI" % NINDIRECT, self.block(addrs[NDIRECT]))
            for i, b in enumerate(entries):
                if b and self.claim(b, inum, "data"):
                    blocks[NDIRECT + i] = b
        return blocks

    def check_inodes(self):
        if self.dinode(0)[0] != 0:
            self.error("inode 0 is allocated")
        for inum in range(1, self.ninodes):
            typ, major, minor, nlink, size, *addrs = self.dinode(inum)
            if typ == 0:
                continue
            if typ not in (T_DIR, T_FILE, T_DEVICE):
                self.error("inode %d: unknown type %d" % (inum, typ))
                continue
            if size > MAXFILE * BSIZE:
                self.error("inode %d: size %d beyond MAXFILE" % (inum, size))
                size = MAXFILE * BSIZE
            blocks = self.file_blocks(inum, addrs)
            nused = -(-size // BSIZE)
            if 0 in blocks[:nused]:
                self.error("inode %d: hole at block %d of %d" % (inum, blocks.index(0), nused))
            if any(blocks[nused:]):
                self.note("inode %d: blocks allocated past its size (a failed write)" % inum)
            if typ == T_DEVICE and not 0 <= major < NDEV:
                self.note("inode %d: device major %d has no driver slot" % (inum, major))
            self.inodes[inum] = (typ, major, minor, nlink, size, blocks)

    def check_bitmap(self):
        for b in range(self.size):
            byte = self.img[(self.bmapstart + b // BPB) * BSIZE + (b % BPB) // 8]
            marked = byte >> (b % 8) & 1
            used = b < self.datastart or b in self.owner
            if used and not marked:
                self.error("block %d is in use but free in the bitmap" % b)
            elif marked and not used:
                self.error("block %d is marked in use but nothing uses it" % b)

    def entries(self, inum):
        typ, _, _, _, size, blocks = self.inodes[inum]
        data = b"".join(self.block(b) if b else bytes(BSIZE) for b in blocks[:-(-size // BSIZE)])
        for off in range(0, size - size % DIRENT.size, DIRENT.size):
            child, name = DIRENT.unpack_from(data, off)
            if child:
                yield off, child, name.split(b"\0")[0].decode("latin-1")

    def check_dir(self, d, links, parent):
        """Check directory d's entries; count links; record d's subdirectories."""
        if self.inodes[d][4] % DIRENT.size:
            self.error("directory %d: size %d is not a whole number of entries" % (d, self.inodes[d][4]))
        names, dots = set(), {}
        for off, child, name in self.entries(d):
            where = "directory %d entry %r" % (d, name)
            if name == "" or name in names:
                self.error(where + ": empty or duplicate name")
            names.add(name)
            if child >= self.ninodes or child not in self.inodes:
                self.error(where + ": names inode %d, which is not allocated" % child)
                continue
            if name in (".", ".."):
                dots[name] = (off, child)
                if name == ".." and d != ROOTINO:
                    links[child] = links.get(child, 0) + 1
                continue
            links[child] = links.get(child, 0) + 1
            if self.inodes[child][0] == T_DIR:
                if child in parent:
                    self.error("directory %d has two parents: %d and %d" % (child, parent[child], d))
                parent[child] = d
        if dots.get(".") != (0, d):
            self.error("directory %d: first entry is not \".\" naming itself" % d)
        if ".." not in dots or dots[".."][0] != DIRENT.size:
            self.error("directory %d: second entry is not \"..\"" % d)
        return dots.get("..", (0, 0))[1]

    def check_tree(self):
        if self.inodes.get(ROOTINO, (0,))[0] != T_DIR:
            self.error("inode %d (the root) is not a directory" % ROOTINO)
            return
        links, parent, dotdot = {ROOTINO: 1}, {ROOTINO: ROOTINO}, {}
        for d, info in self.inodes.items():
            if info[0] == T_DIR:
                dotdot[d] = self.check_dir(d, links, parent)
        for d, up in dotdot.items():
            if d in parent and up != parent[d]:
                self.error("directory %d: \"..\" names %d, its parent is %d" % (d, up, parent[d]))
        reached, todo = {ROOTINO}, [ROOTINO]
        while todo:
            for _, child, name in self.entries(todo.pop()):
                if name not in (".", "..") and child in self.inodes and child not in reached:
                    reached.add(child)
                    if self.inodes[child][0] == T_DIR:
                        todo.append(child)
        for inum, (typ, _, _, nlink, _, _) in sorted(self.inodes.items()):
            if inum not in reached and nlink == 0 and inum not in links:
                self.note("inode %d: unlinked but allocated (freed at next boot)" % inum)
            elif inum not in reached:
                self.error("inode %d (nlink %d) is not reachable from the root" % (inum, nlink))
            elif nlink != links.get(inum, 0):
                self.error("inode %d: nlink %d but %d links found" % (inum, nlink, links.get(inum, 0)))

    def run(self):
        if not self.check_super():
            return
        self.replay_log()
        self.check_inodes()
        self.check_bitmap()
        self.check_tree()


def main(argv):
    args = [a for a in argv[1:] if a != "-v"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(args[0], "rb") as f:
            c = Checker(f.read(), "-v" in argv[1:])
    except OSError as e:
        print("fsck: %s" % e, file=sys.stderr)
        return 2
    c.run()
    used = len(c.owner)
    print("fsck: %s: %d inodes, %d data blocks in use, %d error%s" %
          (args[0], len(c.inodes), used, c.errors, "" if c.errors == 1 else "s"))
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
