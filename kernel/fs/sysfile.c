// The file-system system calls (xv6's ABI): checking their arguments,
// and the steps that combine the layers below, each call that changes the
// disk inside one transaction, so that a crash leaves all of it or none.
//
// Descriptor calls: dup, read, write, close, fstat, pipe. A process's
// ofile[fd] holds one reference to its open file.
// Name calls: open, mkdir, mknod, link, unlink, chdir. The four that add
// or remove a name start from path_locate (path.c), which leaves the
// directory concerned locked with the entry the last element has there;
// the only inode each then locks is one that directory names, so the
// order is always parent, then child (fsdefs.h). link checks its file is
// no directory first, and locks nothing else while it looks the new name
// up.
//
// Every call returns -1 for any bad argument or failure; xv6's cases are
// kept exactly. No lock of its own.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

// ---------------------------------------------------------------- descriptors

// The open file that descriptor argument n names, with the number in
// *fdp; 0 if the descriptor is out of range or not open.
static struct file *fd_arg(int n, int *fdp) {
  int fd;

  argint(n, &fd);
  if (fd < 0 || fd >= NOFILE)
    return 0;
  if (fdp)
    *fdp = fd;
  return myproc()->ofile[fd];
}

// Put file (the caller's reference) in the lowest free descriptor; -1 if
// the process has NOFILE open already.
static int fd_install(struct file *file) {
  struct file **ofile = myproc()->ofile;
  int fd = 0;

  while (fd < NOFILE && ofile[fd] != 0)
    fd++;
  if (fd == NOFILE)
    return -1;
  ofile[fd] = file;
  return fd;
}

uint64 sys_dup(void) {
  struct file *file = fd_arg(0, 0);
  int fd = file ? fd_install(file) : -1;

  if (fd >= 0)
    filedup(file);
  return fd;
}

// read(fd, buf, count) and write(fd, buf, count); a negative count fails.
static uint64 read_or_write(int writing) {
  struct file *file = fd_arg(0, 0);
  uint64 buf;
  int count;

  argaddr(1, &buf);
  argint(2, &count);
  if (file == 0 || count < 0)
    return -1;
  return writing ? filewrite(file, buf, count) : fileread(file, buf, count);
}

uint64 sys_read(void) { return read_or_write(0); }

uint64 sys_write(void) { return read_or_write(1); }

uint64 sys_close(void) {
  int fd;
  struct file *file = fd_arg(0, &fd);

  if (file) {
    myproc()->ofile[fd] = 0;
    fileclose(file);
  }
  return file ? 0 : -1;
}

uint64 sys_fstat(void) {
  struct file *file = fd_arg(0, 0);
  uint64 statbuf;

  argaddr(1, &statbuf);
  return file ? filestat(file, statbuf) : -1;
}

uint64 sys_pipe(void) {
  struct file **ofile = myproc()->ofile;
  struct file *ends[2];
  uint64 user_fds;
  int fds[2] = {-1, -1};

  argaddr(0, &user_fds);
  if (pipealloc(&ends[0], &ends[1]) < 0)
    return -1;
  if ((fds[0] = fd_install(ends[0])) >= 0 && (fds[1] = fd_install(ends[1])) >= 0 &&
      copyout(myproc()->pagetable, user_fds, (char *)fds, sizeof(fds)) == 0)
    return 0;
  for (int i = 0; i < 2; i++) { // undo it all: the user sees no descriptor
    if (fds[i] >= 0)
      ofile[fds[i]] = 0;
    fileclose(ends[i]);
  }
  return -1;
}

// ---------------------------------------------------------------- names

// The path in argument n, copied into buf; 0 if it is bad or too long.
static char *path_arg(int n, char *buf) { return argstr(n, buf, MAXPATH) < 0 ? 0 : buf; }

// A new inode of the given type as loc's last element, which has no entry
// yet. Returns it locked, or 0 if there is no free inode or table entry or
// the directory cannot grow. A directory gets "." (which does not count
// as a link) and ".." (which counts as one to its parent).
static struct inode *make(struct pathloc *loc, short type, short major, short minor) {
  struct inode *dir = loc->dir, *node = ialloc(dir->dev, type);

  if (node == 0)
    return 0;
  ilock(node);
  node->di.major = major;
  node->di.minor = minor;
  node->di.nlink = 1;
  iupdate(node);
  int made =
      type != T_DIR || (dirlink(node, ".", node->inum) == 0 && dirlink(node, "..", dir->inum) == 0);
  if (made && dirlink(dir, loc->name, node->inum) == 0) {
    if (type == T_DIR) {
      dir->di.nlink++;
      iupdate(dir);
    }
    return node;
  }
  node->di.nlink = 0; // so that iput frees it, with any block it got
  iupdate(node);
  iunlockput(node);
  return 0;
}

// open(path, O_CREATE...): the file path names, made if missing; locked.
// 0 if path names a directory (or anything fails).
static struct inode *open_create(char *path) {
  struct pathloc loc;
  struct inode *node = 0;

  if (path_locate(path, &loc) < 0)
    return 0;
  if (loc.inum == 0) {
    node = make(&loc, T_FILE, 0, 0);
    path_release(&loc);
    return node;
  }
  node = iget(loc.dir->dev, loc.inum);
  path_release(&loc); // before locking node, which may be loc.dir itself
  if (node) {
    ilock(node);
    if (node->di.type == T_DIR) {
      iunlockput(node);
      node = 0;
    }
  }
  return node;
}

// A descriptor for node (locked; the caller's reference moves to the new
// open file), or -1 with node unlocked and released.
static int open_fd(struct inode *node, int mode) {
  struct file *file = filealloc();
  int fd = file ? fd_install(file) : -1;

  if (fd >= 0 && file_open_inode(file, node, mode) == 0) {
    if ((mode & O_TRUNC) && node->di.type == T_FILE)
      itrunc(node);
    iunlock(node);
    return fd;
  }
  if (fd >= 0)
    myproc()->ofile[fd] = 0;
  if (file)
    fileclose(file); // not set up: only frees the entry
  iunlockput(node);
  return -1;
}

uint64 sys_open(void) {
  char buf[MAXPATH], *path = path_arg(0, buf);
  struct inode *node = 0;
  int mode, fd = -1;

  argint(1, &mode);
  if (path == 0)
    return -1;
  begin_op();
  if (mode & O_CREATE)
    node = open_create(path);
  else if ((node = namei(path)) != 0)
    ilock(node);
  if (node)
    fd = open_fd(node, mode);
  end_op();
  return fd;
}

// mkdir(path) and mknod(path, major, minor): -1 if path exists.
static uint64 make_node(short type, short major, short minor) {
  char buf[MAXPATH], *path = path_arg(0, buf);
  struct pathloc loc;
  struct inode *node = 0;

  if (path == 0)
    return -1;
  begin_op();
  if (path_locate(path, &loc) == 0) {
    if (loc.inum == 0)
      node = make(&loc, type, major, minor);
    path_release(&loc);
  }
  if (node)
    iunlockput(node);
  end_op();
  return node ? 0 : -1;
}

uint64 sys_mkdir(void) { return make_node(T_DIR, 0, 0); }

uint64 sys_mknod(void) {
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  return make_node(T_DEVICE, major, minor);
}

// Give target (referenced, unlocked) the further name path. 0, or -1 if
// target is a directory, path exists, or its directory is missing or full.
static int add_name(struct inode *target, char *path) {
  struct pathloc loc;

  ilock(target);
  int isdir = target->di.type == T_DIR; // fixed while we hold a reference
  iunlock(target);
  if (isdir || path_locate(path, &loc) < 0)
    return -1;
  int linked =
      loc.inum == 0 && loc.dir->dev == target->dev && dirlink(loc.dir, loc.name, target->inum) == 0;
  if (linked) {
    ilock(target); // a file in loc.dir now: parent, then child
    target->di.nlink++;
    iupdate(target);
    iunlock(target);
  }
  path_release(&loc);
  return linked ? 0 : -1;
}

uint64 sys_link(void) {
  char oldbuf[MAXPATH], newbuf[MAXPATH];
  char *old = path_arg(0, oldbuf), *new = path_arg(1, newbuf);
  struct inode *target;
  int result = -1;

  if (old == 0 || new == 0)
    return -1;
  begin_op();
  if ((target = namei(old)) != 0) {
    result = add_name(target, new);
    iput(target);
  }
  end_op();
  return result;
}

// Remove loc's entry and the link it holds. -1 for "." and "..", a
// missing entry, or a directory that is not empty.
static int remove_name(struct pathloc *loc) {
  struct inode *dir = loc->dir, *victim;
  int dots = namecmp(loc->name, ".") == 0 || namecmp(loc->name, "..") == 0;

  if (loc->inum == 0 || dots || (victim = iget(dir->dev, loc->inum)) == 0)
    return -1;
  if (victim == dir) { // only a damaged image names a directory in itself
    iput(victim);
    return -1;
  }
  ilock(victim);
  if (victim->di.nlink < 1)
    panic("unlink: an entry names an inode without links");
  int isdir = victim->di.type == T_DIR, removed = !isdir || dir_isempty(victim);
  if (removed) {
    dir_erase(dir, loc->off);
    if (isdir) { // its ".." no longer links to dir
      dir->di.nlink--;
      iupdate(dir);
    }
    victim->di.nlink--;
    iupdate(victim);
  }
  iunlockput(victim); // frees it if that was its last link, unless it is open
  return removed ? 0 : -1;
}

uint64 sys_unlink(void) {
  char buf[MAXPATH], *path = path_arg(0, buf);
  struct pathloc loc;
  int result = -1;

  if (path == 0)
    return -1;
  begin_op();
  if (path_locate(path, &loc) == 0) {
    result = remove_name(&loc);
    path_release(&loc);
  }
  end_op();
  return result;
}

uint64 sys_chdir(void) {
  char buf[MAXPATH], *path = path_arg(0, buf);
  struct proc *self = myproc();
  struct inode *dir;
  int isdir = 0;

  if (path == 0)
    return -1;
  begin_op();
  if ((dir = namei(path)) != 0) {
    ilock(dir);
    isdir = dir->di.type == T_DIR;
    iunlock(dir);
    iput(isdir ? self->cwd : dir); // the one we do not keep
    if (isdir)
      self->cwd = dir;
  }
  end_op();
  return isdir ? 0 : -1;
}
