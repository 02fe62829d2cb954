// File-system system calls: argument checking and the steps that combine
// several fs.c operations (create, link, unlink), each inside one log
// transaction so that a crash leaves all of it or nothing.
//
// Interface: sys_dup, sys_read, sys_write, sys_close, sys_fstat, sys_link,
// sys_unlink, sys_open, sys_mkdir, sys_mknod, sys_chdir, sys_pipe, called
// by syscall.c. Each returns -1 for any bad argument.
//
// Invariant: a process's ofile[fd] holds one reference to its file.
// Inode locks are taken parent directory first, then the entry's inode.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"
#include "kernel/defs.h"

// Fetch argument n as an open file descriptor; sets *pfd and *pf.
static int argfd(int n, int *pfd, struct file **pf) {
  int fd;
  struct file *f;

  argint(n, &fd);
  if (fd < 0 || fd >= NOFILE || (f = myproc()->ofile[fd]) == 0)
    return -1;
  if (pfd)
    *pfd = fd;
  if (pf)
    *pf = f;
  return 0;
}

// Give f the lowest free descriptor; the caller's reference moves there.
static int fdalloc(struct file *f) {
  struct proc *p = myproc();

  for (int fd = 0; fd < NOFILE; fd++) {
    if (p->ofile[fd] == 0) {
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

uint64 sys_dup(void) {
  struct file *f;
  int fd;

  if (argfd(0, 0, &f) < 0 || (fd = fdalloc(f)) < 0)
    return -1;
  filedup(f);
  return fd;
}

// Arguments of read and write: fd, buffer address, count (>= 0).
static int argrw(struct file **pf, uint64 *paddr, int *pn) {
  argaddr(1, paddr);
  argint(2, pn);
  return *pn < 0 ? -1 : argfd(0, 0, pf);
}

uint64 sys_read(void) {
  struct file *f;
  uint64 addr;
  int n;

  if (argrw(&f, &addr, &n) < 0)
    return -1;
  return fileread(f, addr, n);
}

uint64 sys_write(void) {
  struct file *f;
  uint64 addr;
  int n;

  if (argrw(&f, &addr, &n) < 0)
    return -1;
  return filewrite(f, addr, n);
}

uint64 sys_close(void) {
  struct file *f;
  int fd;

  if (argfd(0, &fd, &f) < 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

uint64 sys_fstat(void) {
  struct file *f;
  uint64 st;

  argaddr(1, &st);
  if (argfd(0, 0, &f) < 0)
    return -1;
  return filestat(f, st);
}

// link(old, new): another name for the file old (not a directory).
uint64 sys_link(void) {
  char name[DIRSIZ], old[MAXPATH], new[MAXPATH];
  struct inode *dp, *ip;

  if (argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = namei(old)) == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip->type == T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  ip->nlink++;
  iupdate(ip);
  iunlock(ip); // before locking the new parent, which may be ip's own
  if ((dp = nameiparent(new, name)) == 0)
    goto undo;
  ilock(dp);
  if (dp->dev != ip->dev || dirlink(dp, name, ip->inum) < 0) {
    iunlockput(dp);
    goto undo;
  }
  iunlockput(dp);
  iput(ip);
  end_op();
  return 0;

undo:
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

// Does directory dp (locked) hold nothing but "." and ".."?
static int dir_isempty(struct inode *dp) {
  struct dirent de;

  for (uint off = 2 * sizeof(de); off < dp->size; off += sizeof(de)) {
    if (readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dir_isempty: short read");
    if (de.inum != 0)
      return 0;
  }
  return 1;
}

// Remove the entry name (at offset off) from dp and drop the link it
// held to ip. Both are locked; ip is unlocked and released here.
static void unlink_entry(struct inode *dp, uint off, struct inode *ip) {
  struct dirent de;

  memset(&de, 0, sizeof(de));
  if (writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    panic("unlink_entry: writei"); // an existing entry: needs no new block
  if (ip->type == T_DIR) {
    dp->nlink--; // ip's ".." no longer names dp
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip); // frees ip now unless it is open somewhere
}

uint64 sys_unlink(void) {
  char name[DIRSIZ], path[MAXPATH];
  struct inode *dp, *ip;
  uint off;

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((dp = nameiparent(path, name)) == 0) {
    end_op();
    return -1;
  }
  ilock(dp);
  if (namecmp(name, ".") == 0 || namecmp(name, "..") == 0 || (ip = dirlookup(dp, name, &off)) == 0)
    goto bad;
  ilock(ip);
  if (ip->nlink < 1)
    panic("sys_unlink: inode without links");
  if (ip->type == T_DIR && !dir_isempty(ip)) {
    iunlockput(ip);
    goto bad;
  }
  unlink_entry(dp, off, ip);
  iunlockput(dp);
  end_op();
  return 0;

bad:
  iunlockput(dp);
  end_op();
  return -1;
}

// Create path as a new inode of the given type and return it locked, or,
// for T_FILE only, return the existing file or device of that name (as
// xv6 does). 0 on any failure. Inside an operation.
static struct inode *create(char *path, short type, short major, short minor) {
  char name[DIRSIZ];
  struct inode *dp, *ip;

  if ((dp = nameiparent(path, name)) == 0)
    return 0;
  ilock(dp);
  if ((ip = dirlookup(dp, name, 0)) != 0) {
    iunlockput(dp);
    ilock(ip);
    if (type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    iunlockput(ip);
    return 0;
  }
  if ((ip = ialloc(dp->dev, type)) == 0) {
    iunlockput(dp);
    return 0;
  }
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);
  // A new directory's "." does not count as a link (it would keep the
  // directory alive forever); its ".." counts as a link to dp.
  if (type == T_DIR && (dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0))
    goto undo;
  if (dirlink(dp, name, ip->inum) < 0)
    goto undo;
  if (type == T_DIR) {
    dp->nlink++;
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;

undo:
  ip->nlink = 0; // iput frees it and whatever blocks it got
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return 0;
}

// May ip (locked) be opened with omode?
static int open_allowed(struct inode *ip, int omode) {
  if (ip->type == T_DIR)
    return omode == O_RDONLY;
  if (ip->type == T_DEVICE)
    return ip->major >= 0 && ip->major < NDEV && (devsw[ip->major].read || devsw[ip->major].write);
  return 1;
}

uint64 sys_open(void) {
  char path[MAXPATH];
  struct inode *ip;
  struct file *f;
  int omode, fd;

  argint(1, &omode);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if (omode & O_CREATE)
    ip = create(path, T_FILE, 0, 0);
  else if ((ip = namei(path)) != 0)
    ilock(ip);
  if (ip == 0) {
    end_op();
    return -1;
  }
  if (!open_allowed(ip, omode) || (f = filealloc()) == 0)
    goto bad;
  if ((fd = fdalloc(f)) < 0) {
    fileclose(f); // not set up yet: just returns the entry
    goto bad;
  }
  f->type = ip->type == T_DEVICE ? FD_DEVICE : FD_INODE;
  f->major = ip->major;
  f->ip = ip;
  f->off = 0;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);
  if ((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);
  iunlock(ip);
  end_op();
  return fd;

bad:
  iunlockput(ip);
  end_op();
  return -1;
}

// mkdir and mknod: create path and release it.
static uint64 make(short type, short major, short minor) {
  char path[MAXPATH];
  struct inode *ip;

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = create(path, type, major, minor)) == 0) {
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64 sys_mkdir(void) { return make(T_DIR, 0, 0); }

uint64 sys_mknod(void) {
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  return make(T_DEVICE, major, minor);
}

uint64 sys_chdir(void) {
  char path[MAXPATH];
  struct inode *ip;
  struct proc *p = myproc();

  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if ((ip = namei(path)) == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  if (ip->type != T_DIR) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

uint64 sys_pipe(void) {
  struct proc *p = myproc();
  struct file *rf, *wf;
  int fd[2] = {-1, -1};
  uint64 fdarray;

  argaddr(0, &fdarray);
  if (pipealloc(&rf, &wf) < 0)
    return -1;
  if ((fd[0] = fdalloc(rf)) < 0 || (fd[1] = fdalloc(wf)) < 0 ||
      copyout(p->pagetable, fdarray, (char *)fd, sizeof(fd)) < 0) {
    if (fd[0] >= 0)
      p->ofile[fd[0]] = 0;
    if (fd[1] >= 0)
      p->ofile[fd[1]] = 0;
    fileclose(rf);
    fileclose(wf);
    return -1;
  }
  return 0;
}
