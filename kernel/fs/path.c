// Path names: a walk from the root ("/...") or the process's working
// directory through one directory per element, separated by any number of
// slashes. Elements are cut to DIRSIZ bytes, so a longer name matches the
// entry of its first DIRSIZ bytes, as on xv6.
//
// Interface:
//   namei(path)               the inode path names, referenced, unlocked
//   path_locate(path, &loc)   for the calls that change a directory
//                             (create, link, unlink, mkdir, mknod): the
//                             directory holding the last element, locked,
//                             the element's name, and the entry it has
//                             there, if any; path_release(&loc) ends it
// Both fail (0, -1) if a directory on the way is missing or is not a
// directory, or if the inode table is full; path_locate also if the path
// has no last element ("/", "").
//
// Locks: the walk holds one inode lock at a time; it unlocks a directory
// before locking the inode an entry names, so a walk through "." or ".."
// never waits for a lock it holds, and two walks never hold two inodes.
// Only the directory path_locate returns stays locked; the caller may then
// lock an inode in it (parent before child, fsdefs.h). No lock of its own.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

// Move the first element of *path into name and *path past it and the
// slashes that follow, so that **path == 0 after the last element.
// 0 if no element is left. name is NUL-padded when shorter than DIRSIZ.
static int next_elem(char **path, char *name) {
  char *p = *path;
  int len = 0;

  while (*p == '/')
    p++;
  if (*p == 0)
    return 0;
  for (; *p != 0 && *p != '/'; p++, len++)
    if (len < DIRSIZ)
      name[len] = *p;
  for (; len < DIRSIZ; len++)
    name[len] = 0;
  while (*p == '/')
    p++;
  *path = p;
  return 1;
}

// Walk path. Normally returns the inode it names, unlocked. With
// want_parent, stops at the directory holding the last element, whose
// name goes into name, and returns that directory locked. Referenced in
// both cases; 0 on failure.
static struct inode *walk(char *path, int want_parent, char *name) {
  struct inode *cur = *path == '/' ? iget(ROOTDEV, ROOTINO) : idup(myproc()->cwd);

  while (cur && next_elem(&path, name)) {
    ilock(cur);
    if (cur->di.type != T_DIR) {
      iunlockput(cur);
      return 0;
    }
    if (want_parent && *path == 0)
      return cur;
    uint inum = dir_find(cur, name, 0);
    struct inode *next = inum ? iget(cur->dev, inum) : 0; // 0: missing, or table full
    iunlockput(cur); // before next is locked: it may be cur itself (".")
    cur = next;
  }
  if (cur && want_parent) { // the path had no element at all
    iput(cur);
    return 0;
  }
  return cur;
}

struct inode *namei(char *path) {
  char scratch[DIRSIZ];

  return walk(path, 0, scratch);
}

int path_locate(char *path, struct pathloc *loc) {
  if ((loc->dir = walk(path, 1, loc->name)) == 0)
    return -1;
  loc->inum = dir_find(loc->dir, loc->name, &loc->off);
  return 0;
}

void path_release(struct pathloc *loc) {
  iunlockput(loc->dir);
  loc->dir = 0;
}
