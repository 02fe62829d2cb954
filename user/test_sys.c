// test_sys: a usertests-class suite for the xv6 system calls, the file
// system, and the process, memory and time behaviour xv6 programs rely on.
//
// Usage: test_sys [-q] [-v] [-l] [name ...]   (see user/testlib.h)
//
// Each test is a function run by testlib in its own child process, with a
// free-frame leak check and vmaudit() after it. Tests create their files in
// the root directory under names starting with a prefix of their own and
// remove stale ones first, so a failed run does not break the next one.
// Large buffers are static (the user stack is one page).
//
// Sections: processes; pipes; files; directories; file-system limits and
// concurrency; bad arguments; exec; memory; faults; time; new calls.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define TICKS_PER_SEC 10 // the kernel's timer rate (xv6's)
#define SCRATCH (64 * 1024)

static char scratch[SCRATCH];
static char scratch2[SCRATCH];
static char name[64];
static struct stat st;
static struct memstat ms;

// ---------------------------------------------------------------- helpers

static int xopen(const char *path, int mode) {
  int fd = open(path, mode);
  if (fd < 0)
    fail("open %s (mode %x) failed", path, mode);
  return fd;
}

static void xwrite(int fd, const void *p, int n) {
  int r = write(fd, p, n);
  if (r != n)
    fail("write of %d bytes returned %d", n, r);
}

static void xpipe(int *fds) {
  if (pipe(fds) < 0)
    fail("pipe failed");
}

static void xunlink(const char *path) {
  if (unlink(path) < 0)
    fail("unlink %s failed", path);
}

static void xmkdir(const char *path) {
  if (mkdir(path) < 0)
    fail("mkdir %s failed", path);
}

static void xstat(const char *path) {
  if (stat(path, &st) < 0)
    fail("stat %s failed", path);
}

// Create (or truncate) path and write n bytes of p to it.
static void write_file(const char *path, const void *p, int n) {
  int fd = xopen(path, O_CREATE | O_TRUNC | O_WRONLY);
  xwrite(fd, p, n);
  close(fd);
}

// Read up to max bytes of path into p; returns the count (-1: no file).
static int read_file(const char *path, void *p, int max) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int n = 0, r;
  while (n < max && (r = read(fd, (char *)p + n, max - n)) > 0)
    n += r;
  close(fd);
  return n;
}

static void expect_fails(int r, const char *what) {
  if (r != -1)
    fail("%s returned %d, not -1", what, r);
}

// Wait for n children; every one must exit 0.
static void wait_ok(int n) {
  for (int i = 0; i < n; i++) {
    int status;
    int pid = wait(&status);
    if (pid < 0)
      fail("wait: only %d of %d children", i, n);
    if (status != 0)
      fail("child %d exited with status %d", pid, status);
  }
}

static uchar stream_byte(uint k) { return (uchar)(k * 7 + (k >> 9) + 3); }

// Run argv[0] with its standard output into a pipe; leave what it printed
// in out (NUL-terminated) and return its exit status.
static int capture(char **argv, char *out, int max) {
  int fds[2];
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    close(1);
    dup(fds[1]);
    close(fds[0]);
    close(fds[1]);
    exec(argv[0], argv);
    fail("exec %s failed", argv[0]);
  }
  close(fds[1]);
  int n = 0, r;
  while (n < max - 1 && (r = read(fds[0], out + n, max - 1 - n)) > 0)
    n += r;
  out[n] = 0;
  close(fds[0]);
  return wait_pid(pid);
}

static void touch_read(uint64 a) { (void)*(volatile char *)a; }
static void touch_write(uint64 a) { *(volatile char *)a = 1; }

// ================================================================ processes

// Every exit status reaches wait(), for the right pid.
#define NCODES 14
static void t_exitwait(char *tn) {
  static const int codes[NCODES] = {0, 1, 2, 7, 42, 127, 128, 255, 256, 1000, -1, -5, -1000, 99};
  static int pids[NCODES];
  for (int i = 0; i < NCODES; i++) {
    pids[i] = xfork();
    if (pids[i] == 0)
      exit(codes[i]);
  }
  for (int n = 0; n < NCODES; n++) {
    int status, i;
    int pid = wait(&status);
    for (i = 0; i < NCODES && pids[i] != pid; i++)
      ;
    if (pid < 0 || i == NCODES)
      fail("wait returned %d", pid);
    if (status != codes[i])
      fail("child exited %d, wait says %d", codes[i], status);
    pids[i] = 0;
  }
  expect_fails(wait(0), "wait with no children left");
}

static void t_waitnull(char *tn) {
  int pid = xfork();
  if (pid == 0)
    exit(3);
  int got = wait(0);
  if (got != pid)
    fail("wait(0) returned %d, child was %d", got, pid);
}

static void t_nochild(char *tn) {
  int status = 12345;
  expect_fails(wait(&status), "wait without children");
  expect_fails(wait(0), "wait(0) without children");
  if (status != 12345)
    fail("wait without children wrote the status");
}

static void t_manychildren(char *tn) {
  for (int i = 0; i < 40; i++)
    if (xfork() == 0) {
      sleep(1);
      exit(0);
    }
  wait_ok(40);
  expect_fails(wait(0), "wait after reaping every child");
}

// A child that outlives its parent keeps running (init adopts it).
static void t_orphan(char *tn) {
  int fds[2], parent_alive[2];
  xpipe(fds);
  xpipe(parent_alive); // only the middle child keeps the write end open
  int pid = xfork();
  if (pid == 0) {
    if (xfork() == 0) {
      char c;
      close(fds[0]);
      close(parent_alive[1]);
      read(parent_alive[0], &c, 1); // end of file: its parent has exited
      write(fds[1], "x", 1);
      exit(0);
    }
    exit(0);
  }
  close(parent_alive[0]);
  close(parent_alive[1]);
  close(fds[1]);
  if (wait_pid(pid) != 0)
    fail("middle child failed");
  expect_fails(wait(0), "wait for a grandchild");
  char c = 0;
  if (read(fds[0], &c, 1) != 1 || c != 'x')
    fail("orphan did not run on");
  if (read(fds[0], &c, 1) != 0)
    fail("no EOF after the orphan exited");
  close(fds[0]);
}

// Fill the process table: fork returns -1, nothing breaks, and every
// process slot comes back.
static void t_nproc(char *tn) {
  int fds[2], n = 0, pid;
  xpipe(fds);
  while (n <= NPROC && (pid = fork()) >= 0) {
    if (pid == 0) {
      char c;
      close(fds[1]);
      read(fds[0], &c, 1); // until the parent closes its end
      exit(0);
    }
    n++;
  }
  close(fds[1]);
  close(fds[0]);
  wait_ok(n);
  if (n < 2 || n >= NPROC)
    fail("forked %d children before fork failed", n);
  pid = xfork();
  if (pid == 0)
    exit(0);
  wait_pid(pid);
}

// Every process forks until the deadline, then reaps its children.
static void bomb(int deadline) {
  while (uptime() < deadline)
    fork(); // the child goes round the same loop
  while (wait(0) >= 0)
    ;
  exit(0);
}

static void t_forkbomb(char *tn) {
  int pid = xfork();
  if (pid == 0)
    bomb(uptime() + 2 * TICKS_PER_SEC);
  if (wait_pid(pid) != 0)
    fail("fork bomb's root failed");
  pid = xfork();
  if (pid == 0)
    exit(0);
  wait_pid(pid);
}

static void t_killspin(char *tn) {
  int pid = xfork();
  if (pid == 0)
    for (;;)
      ;
  sleep(2);
  if (kill(pid) != 0)
    fail("kill returned -1");
  int status = wait_pid(pid);
  if (status != -1)
    fail("killed child exited %d", status);
}

static void t_killsleep(char *tn) {
  int pid = xfork();
  if (pid == 0) {
    sleep(1000);
    exit(0);
  }
  sleep(2);
  int t0 = uptime();
  kill(pid);
  int status = wait_pid(pid);
  if (status != -1)
    fail("killed sleeper exited %d", status);
  if (uptime() - t0 > 2 * TICKS_PER_SEC)
    fail("killed sleeper took %d ticks to die", uptime() - t0);
}

static void t_killpipe(char *tn) {
  int fds[2];
  char c;
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    read(fds[0], &c, 1); // blocks: the parent writes nothing
    exit(0);
  }
  sleep(2);
  int t0 = uptime();
  kill(pid);
  if (wait_pid(pid) != -1)
    fail("child blocked in pipe read not killed");
  if (uptime() - t0 > 2 * TICKS_PER_SEC)
    fail("killed reader took %d ticks to die", uptime() - t0);
  close(fds[0]);
  close(fds[1]);
}

static void t_killbad(char *tn) {
  expect_fails(kill(-1), "kill(-1)");
  expect_fails(kill(0), "kill(0)");
  expect_fails(kill(1000000), "kill(1000000)");
}

static void t_getpid(char *tn) {
  int fds[2], mine = getpid(), theirs = 0;
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    int me = getpid();
    write(fds[1], &me, sizeof(me));
    exit(0);
  }
  if (read(fds[0], &theirs, sizeof(theirs)) != sizeof(theirs))
    fail("read of the child's pid");
  wait_pid(pid);
  if (mine <= 0 || theirs != pid || mine == pid || getpid() != mine)
    fail("pids: parent %d, fork %d, child says %d", mine, pid, theirs);
  close(fds[0]);
  close(fds[1]);
}

// ================================================================ pipes

// Many writes of varying sizes arrive intact and in order.
static void t_pipedata(char *tn) {
  int fds[2];
  uint total = 0, k = 0;
  for (int i = 0; i < 200; i++)
    total += 1 + (i * 37) % 1000;
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    close(fds[0]);
    for (int i = 0; i < 200; i++) {
      int n = 1 + (i * 37) % 1000;
      for (int j = 0; j < n; j++)
        scratch[j] = stream_byte(k + j);
      xwrite(fds[1], scratch, n);
      k += n;
    }
    exit(0);
  }
  close(fds[1]);
  int n;
  while ((n = read(fds[0], scratch2, 1 + tl_random() % 1500)) > 0)
    for (int j = 0; j < n; j++, k++)
      if ((uchar)scratch2[j] != stream_byte(k))
        fail("byte %d of the stream is wrong", k);
  if (n < 0 || k != total)
    fail("read %d of %d bytes (last read %d)", k, total, n);
  close(fds[0]);
  wait_ok(1);
}

static void t_pipeeof(char *tn) {
  int fds[2];
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    close(fds[0]);
    xwrite(fds[1], "0123456789", 10);
    exit(0); // closes the write end
  }
  close(fds[1]);
  int n = 0, r;
  while ((r = read(fds[0], scratch + n, 100)) > 0)
    n += r;
  if (r != 0 || n != 10 || memcmp(scratch, "0123456789", 10) != 0)
    fail("got %d bytes, last read %d", n, r);
  if (read(fds[0], scratch, 1) != 0)
    fail("second read at EOF not 0");
  close(fds[0]);
  wait_ok(1);
}

static void t_pipenoreader(char *tn) {
  int fds[2];
  xpipe(fds);
  close(fds[0]);
  expect_fails(write(fds[1], "x", 1), "write to a pipe without reader");
  close(fds[1]);
  xpipe(fds); // the reader is a child that exits
  int pid = xfork();
  if (pid == 0)
    exit(0);
  close(fds[0]);
  wait_pid(pid);
  expect_fails(write(fds[1], scratch, 600), "write after the reader exited");
  close(fds[1]);
}

// A megabyte through a pipe, in page-sized writes.
static void t_pipebig(char *tn) {
  int fds[2];
  uint total = 1 << 20, k = 0;
  xpipe(fds);
  int pid = xfork();
  if (pid == 0) {
    close(fds[0]);
    for (; k < total; k += PGSIZE) {
      for (int j = 0; j < PGSIZE; j++)
        scratch[j] = stream_byte(k + j);
      xwrite(fds[1], scratch, PGSIZE);
    }
    exit(0);
  }
  close(fds[1]);
  int n;
  while ((n = read(fds[0], scratch2, 3000)) > 0)
    for (int j = 0; j < n; j++, k++)
      if ((uchar)scratch2[j] != stream_byte(k))
        fail("byte %d of the stream is wrong", k);
  if (k != total)
    fail("read %d of %d bytes", k, total);
  close(fds[0]);
  wait_ok(1);
}

// ================================================================ files

static void t_createrw(char *tn) {
  unlink("f_rw");
  fill(scratch, 5000, 1);
  int fd = xopen("f_rw", O_CREATE | O_WRONLY);
  xwrite(fd, scratch, 1000);
  xwrite(fd, scratch + 1000, 3000);
  xwrite(fd, scratch + 4000, 1000);
  close(fd);
  fd = xopen("f_rw", O_RDONLY);
  int n = read(fd, scratch2, 7000);
  if (n != 5000 || check_fill(scratch2, 5000, 1) >= 0)
    fail("read back %d bytes, first difference at %d", n, check_fill(scratch2, 5000, 1));
  if (read(fd, scratch2, 10) != 0)
    fail("read at end of file not 0");
  close(fd);
  xunlink("f_rw");
  expect_fails(open("f_rw", O_RDONLY), "open after unlink");
}

static void t_trunc(char *tn) {
  write_file("f_tr", scratch, 100);
  int fd = xopen("f_tr", O_TRUNC | O_WRONLY);
  if (fstat(fd, &st) < 0 || st.size != 0)
    fail("size after O_TRUNC: %d", (int)st.size);
  xwrite(fd, "abc", 3);
  close(fd);
  if (read_file("f_tr", scratch2, 100) != 3 || memcmp(scratch2, "abc", 3) != 0)
    fail("content after truncation and write");
  xunlink("f_tr");
}

// O_CREATE on an existing file opens it as it is.
static void t_createexist(char *tn) {
  fill(scratch, 100, 2);
  write_file("f_ce", scratch, 100);
  int fd = xopen("f_ce", O_CREATE | O_RDWR);
  if (fstat(fd, &st) < 0 || st.size != 100)
    fail("size after O_CREATE of an existing file: %d", (int)st.size);
  if (read(fd, scratch2, 200) != 100 || check_fill(scratch2, 100, 2) >= 0)
    fail("content changed");
  close(fd);
  xunlink("f_ce");
}

static void t_opendir(char *tn) {
  expect_fails(open("/", O_WRONLY), "open / O_WRONLY");
  expect_fails(open("/", O_RDWR), "open / O_RDWR");
  unlink("d_od");
  xmkdir("d_od");
  expect_fails(open("d_od", O_CREATE | O_RDWR), "O_CREATE of a directory name");
  int fd = xopen("d_od", O_RDONLY);
  struct dirent de;
  if (read(fd, &de, sizeof(de)) != sizeof(de) || strcmp(de.name, ".") != 0)
    fail("first entry of a new directory is not \".\"");
  expect_fails(write(fd, "x", 1), "write to a directory");
  close(fd);
  xunlink("d_od");
}

static void t_rwmode(char *tn) {
  write_file("f_rm", "abc", 3);
  int fd = xopen("f_rm", O_RDONLY);
  expect_fails(write(fd, "x", 1), "write to an O_RDONLY descriptor");
  close(fd);
  fd = xopen("f_rm", O_WRONLY);
  expect_fails(read(fd, scratch, 3), "read from an O_WRONLY descriptor");
  close(fd);
  expect_fails(open("f_nonexistent", O_RDONLY), "open of a missing file");
  expect_fails(open("f_rm/x", O_CREATE | O_RDWR), "create under a file");
  xunlink("f_rm");
}

// Names are truncated to DIRSIZ (14) characters, on creation and lookup.
static void t_namelen(char *tn) {
  char *n14 = "abcdefghijklmn", *n15 = "abcdefghijklmno";
  unlink(n14);
  write_file(n15, "fifteen", 7);
  if (read_file(n14, scratch, 100) != 7 || memcmp(scratch, "fifteen", 7) != 0)
    fail("15-character name not stored as its first 14");
  xunlink(n14);
  expect_fails(open(n15, O_RDONLY), "open of the 15-character name after unlink");
  write_file(n14, "x", 1);
  xstat(n15);
  if (st.size != 1)
    fail("lookup by a 15-character name");
  xunlink(n15);
}

static void t_unlinkbad(char *tn) {
  unlink("d_ub/f");
  unlink("d_ub");
  xmkdir("d_ub");
  write_file("d_ub/f", "x", 1);
  expect_fails(unlink("d_ub"), "unlink of a non-empty directory");
  expect_fails(unlink("d_ub/."), "unlink of d/.");
  expect_fails(unlink("d_ub/.."), "unlink of d/..");
  expect_fails(unlink("."), "unlink of .");
  expect_fails(unlink(".."), "unlink of ..");
  expect_fails(unlink("/"), "unlink of /");
  expect_fails(unlink("d_ub/missing"), "unlink of a missing file");
  xunlink("d_ub/f");
  xunlink("d_ub");
  expect_fails(open("d_ub", O_RDONLY), "open of a removed directory");
}

// An unlinked file stays readable through its open descriptors.
static void t_unlinkopen(char *tn) {
  fill(scratch, 3000, 3);
  write_file("f_uo", scratch, 3000);
  int fd = xopen("f_uo", O_RDONLY);
  xunlink("f_uo");
  expect_fails(open("f_uo", O_RDONLY), "open after unlink");
  if (fstat(fd, &st) < 0 || st.nlink != 0 || st.size != 3000)
    fail("fstat of the unlinked file: nlink %d size %d", st.nlink, (int)st.size);
  if (read(fd, scratch2, 4000) != 3000 || check_fill(scratch2, 3000, 3) >= 0)
    fail("content of the unlinked file");
  close(fd);
}

static void t_link(char *tn) {
  unlink("f_lk2");
  write_file("f_lk1", "hello", 5);
  if (link("f_lk1", "f_lk2") < 0)
    fail("link failed");
  struct stat st1;
  xstat("f_lk1");
  st1 = st;
  xstat("f_lk2");
  if (st.ino != st1.ino || st.nlink != 2 || st1.nlink != 2)
    fail("linked names: ino %d/%d nlink %d", st1.ino, st.ino, st.nlink);
  expect_fails(link("f_lk1", "f_lk2"), "link to an existing name");
  expect_fails(link("f_missing", "f_lk3"), "link of a missing file");
  expect_fails(link("/", "f_lk3"), "link of a directory");
  expect_fails(link("f_lk1", "f_nodir/f_lk3"), "link into a missing directory");
  xunlink("f_lk1");
  if (read_file("f_lk2", scratch, 10) != 5 || memcmp(scratch, "hello", 5) != 0)
    fail("content through the second name");
  xstat("f_lk2");
  if (st.nlink != 1)
    fail("nlink %d after unlinking one name", st.nlink);
  xunlink("f_lk2");
}

static void t_fstat(char *tn) {
  write_file("f_fs", scratch, 1234);
  int fd = xopen("f_fs", O_RDONLY);
  if (fstat(fd, &st) < 0 || st.type != T_FILE || st.size != 1234 || st.nlink != 1 || st.ino == 0)
    fail("fstat of a file: type %d size %d nlink %d", st.type, (int)st.size, st.nlink);
  close(fd);
  xstat("/");
  if (st.type != T_DIR || st.ino != ROOTINO)
    fail("stat of /: type %d ino %d", st.type, st.ino);
  // The console by name, not fd 1: the suite's output may go to a file
  // (bench_suite).
  fd = xopen("/console", O_RDONLY);
  if (fstat(fd, &st) < 0 || st.type != T_DEVICE)
    fail("fstat of the console: type %d", st.type);
  close(fd);
  expect_fails(fstat(NOFILE - 1, &st), "fstat of a closed descriptor");
  expect_fails(fstat(-1, &st), "fstat(-1)");
  xunlink("f_fs");
}

// dup shares the file offset; close of one leaves the other working.
static void t_dup(char *tn) {
  int fd = xopen("f_dup", O_CREATE | O_TRUNC | O_RDWR);
  int fd2 = dup(fd);
  if (fd2 < 0)
    fail("dup failed");
  xwrite(fd, "ab", 2);
  xwrite(fd2, "cd", 2);
  close(fd);
  xwrite(fd2, "ef", 2);
  close(fd2);
  if (read_file("f_dup", scratch, 100) != 6 || memcmp(scratch, "abcdef", 6) != 0)
    fail("dup'ed descriptors do not share the offset");
  expect_fails(dup(-1), "dup(-1)");
  expect_fails(dup(NOFILE - 1), "dup of a closed descriptor");
  expect_fails(close(NOFILE - 1), "close of a closed descriptor");
  expect_fails(read(NOFILE, scratch, 1), "read(NOFILE)");
  fd = dup(1);
  fd2 = dup(1);
  close(fd);
  int fd3 = dup(1);
  if (fd < 0 || fd2 < 0 || fd3 != fd)
    fail("dup does not return the lowest free descriptor");
  close(fd2);
  close(fd3);
  xunlink("f_dup");
}

// Open files until the descriptor table is full; all come back on close.
static void t_fdlimit(char *tn) {
  int used = 0, got = 0, fd;
  for (int i = 0; i < NOFILE; i++) {
    fd = dup(i); // works for any open descriptor, pipes included
    used += fd >= 0;
    if (fd >= 0)
      close(fd);
  }
  while (got < NOFILE + 1 && (fd = open("README", O_RDONLY)) >= 0)
    got++;
  if (used + got != NOFILE)
    fail("%d descriptors in use, %d opened, NOFILE %d", used, got, NOFILE);
  expect_fails(dup(0), "dup with a full table");
  int fds[2];
  expect_fails(pipe(fds), "pipe with a full table");
  for (int i = 0; i < NOFILE; i++)
    if (i > 2 && fstat(i, &st) == 0 && st.type == T_FILE)
      close(i);
  close(xopen("README", O_RDONLY));
}

// Two processes write through one descriptor: nothing is overwritten.
static void t_sharedfd(char *tn) {
  int fd = xopen("f_sfd", O_CREATE | O_TRUNC | O_RDWR);
  int pid = xfork();
  char c = pid == 0 ? 'c' : 'p';
  memset(scratch, c, 10);
  for (int i = 0; i < 300; i++)
    xwrite(fd, scratch, 10);
  if (pid == 0)
    exit(0);
  wait_ok(1);
  close(fd);
  int n = read_file("f_sfd", scratch2, SCRATCH), nc = 0, np = 0;
  for (int i = 0; i < n; i++) {
    nc += scratch2[i] == 'c';
    np += scratch2[i] == 'p';
  }
  if (n != 6000 || nc != 3000 || np != 3000)
    fail("size %d, %d from the child, %d from the parent", n, nc, np);
  xunlink("f_sfd");
}

#define CONSOLE_MAJOR 1 // init's /console

// Devices: mknod makes T_DEVICE inodes; one without a driver cannot be
// used (open or, as on xv6, read and write fail).
static void t_mknod(char *tn) {
  unlink("f_nod");
  if (mknod("f_nod", CONSOLE_MAJOR, 0) < 0)
    fail("mknod failed");
  expect_fails(mknod("f_nod", CONSOLE_MAJOR, 0), "mknod of an existing name");
  xstat("f_nod");
  if (st.type != T_DEVICE)
    fail("mknod made type %d", st.type);
  int fd = xopen("f_nod", O_WRONLY);
  if (write(fd, "", 0) != 0)
    fail("empty write to a console node");
  close(fd);
  xunlink("f_nod");
  if (mknod("f_nod", NDEV - 1, 0) < 0)
    fail("mknod of a driverless device failed");
  fd = open("f_nod", O_RDWR);
  if (fd >= 0) {
    expect_fails(read(fd, scratch, 1), "read of a device without driver");
    expect_fails(write(fd, "x", 1), "write to a device without driver");
    close(fd);
  }
  xunlink("f_nod");
  if (mknod("f_nod", 1000, 0) == 0) {
    expect_fails(open("f_nod", O_RDWR), "open of a device with major 1000");
    xunlink("f_nod");
  }
}

// ================================================================ directories

static void t_dirs(char *tn) {
  unlink("d_a/b/f");
  unlink("d_a/b");
  unlink("d_a");
  xmkdir("d_a");
  expect_fails(mkdir("d_a"), "mkdir of an existing directory");
  expect_fails(mkdir("d_missing/b"), "mkdir in a missing directory");
  xmkdir("d_a/b");
  if (chdir("d_a/b") < 0)
    fail("chdir d_a/b failed");
  write_file("f", "deep", 4);
  if (chdir("..") < 0)
    fail("chdir .. failed");
  if (read_file("b/f", scratch, 10) != 4)
    fail("relative path b/f after chdir ..");
  if (chdir("/") < 0)
    fail("chdir / failed");
  if (read_file("/d_a/./b/../b/f", scratch, 10) != 4 || read_file("d_a/b/f", scratch, 10) != 4)
    fail("paths with . and ..");
  expect_fails(chdir("d_a/b/f"), "chdir to a file");
  expect_fails(mkdir("d_a/b/f/x"), "mkdir under a file");
  expect_fails(chdir("d_missing"), "chdir to a missing directory");
  if (chdir("/..") < 0 || stat(".", &st) < 0 || st.ino != ROOTINO)
    fail("/.. is not the root");
  if (stat("d_a/..", &st) < 0 || st.ino != ROOTINO)
    fail("d_a/.. is not the root");
  xunlink("d_a/b/f");
  xunlink("d_a/b");
  xunlink("d_a");
}

#define NLINKS 250
#define NBIGFILES 20

// Hundreds of entries in one directory (names made with link, which uses
// no inode), and a few files.
static void t_bigdir(char *tn) {
  unlink("d_bd/base");
  unlink("d_bd");
  xmkdir("d_bd");
  write_file("d_bd/base", "b", 1);
  xstat("d_bd/base");
  uint ino = st.ino;
  for (int i = 0; i < NLINKS; i++) {
    tl_snprintf(name, sizeof(name), "d_bd/l%03d", i);
    if (link("d_bd/base", name) < 0)
      fail("link %s failed", name);
  }
  for (int i = 0; i < NBIGFILES; i++) {
    tl_snprintf(name, sizeof(name), "d_bd/f%02d", i);
    write_file(name, name, 8);
  }
  int fd = xopen("d_bd", O_RDONLY), entries = 0;
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de))
    entries += de.inum != 0;
  close(fd);
  if (entries != NLINKS + NBIGFILES + 3)
    fail("%d directory entries, expected %d", entries, NLINKS + NBIGFILES + 3);
  for (int i = 0; i < NLINKS; i++) {
    tl_snprintf(name, sizeof(name), "d_bd/l%03d", i);
    if (stat(name, &st) < 0 || st.ino != ino || st.nlink != NLINKS + 1 - i)
      fail("%s: ino %d nlink %d", name, st.ino, st.nlink);
    xunlink(name);
  }
  for (int i = 0; i < NBIGFILES; i++) {
    tl_snprintf(name, sizeof(name), "d_bd/f%02d", i);
    if (read_file(name, scratch, 20) != 8 || memcmp(scratch, name, 8) != 0)
      fail("content of %s", name);
    xunlink(name);
  }
  xunlink("d_bd/base");
  xunlink("d_bd");
}

#define DEPTH 40

// A directory chain DEPTH deep, reached by long relative paths.
static void t_deepdir(char *tn) {
  static char path[MAXPATH];
  strcpy(path, "d_dp");
  for (int i = 0; i < DEPTH; i++) {
    if (i > 0)
      strcpy(path + strlen(path), "/d");
    if (mkdir(path) < 0)
      fail("mkdir at depth %d (%s)", i, path);
  }
  strcpy(path + strlen(path), "/f");
  write_file(path, "bottom", 6);
  if (read_file(path, scratch, 10) != 6 || memcmp(scratch, "bottom", 6) != 0)
    fail("file at depth %d", DEPTH);
  for (int i = DEPTH; i >= 0; i--) {
    xunlink(path);
    path[strlen(path) - 2] = 0; // drop the last "/x"
  }
  if (stat("d_dp", &st) == 0)
    fail("d_dp still there");
}

// Walk down more than NINODE nested directories with chdir, opening and
// closing a file in each: the cached inodes of the levels left behind must
// be released, or the inode cache runs out.
static void t_iref(char *tn) {
  int depth = NINODE + 10;
  for (int i = 0; i < depth; i++) {
    if (mkdir("d_ir") < 0 || chdir("d_ir") < 0)
      fail("mkdir/chdir at depth %d", i);
    int fd = open("f", O_CREATE | O_RDWR);
    if (fd < 0)
      fail("create at depth %d", i);
    close(fd);
    xunlink("f");
  }
  for (int i = 0; i < depth; i++) {
    if (chdir("..") < 0)
      fail("chdir .. at depth %d", depth - i);
    xunlink("d_ir");
  }
  if (stat(".", &st) < 0 || st.ino != ROOTINO)
    fail("did not come back to /");
}

// ================================================================ file-system limits

static void t_bigwrite(char *tn) {
  static const int sizes[] = {1,     2,     511,   512,   513,   1023, 1024, 1025,
                              2047,  3072,  3073,  4095,  4096,  4097, 6000, 8192,
                              10000, 12288, 16384, 20000, 30000, 40000};
  int n = sizeof(sizes) / sizeof(sizes[0]);
  int fd = xopen("f_bw", O_CREATE | O_TRUNC | O_WRONLY);
  for (int i = 0; i < n; i++) {
    fill(scratch, sizes[i], 100 + i);
    int r = write(fd, scratch, sizes[i]);
    if (r != sizes[i])
      fail("write of %d bytes returned %d", sizes[i], r);
  }
  close(fd);
  fd = xopen("f_bw", O_RDONLY);
  for (int i = 0; i < n; i++)
    if (read(fd, scratch, sizes[i]) != sizes[i] || check_fill(scratch, sizes[i], 100 + i) >= 0)
      fail("content of the write of %d bytes", sizes[i]);
  close(fd);
  xunlink("f_bw");
}

#define MAXBYTES ((int)(MAXFILE * BSIZE))
#define MF_CHUNK (4 * BSIZE) // divides MAXBYTES (MAXFILE is 268)

// A file of exactly MAXFILE blocks; one byte more is refused.
static void t_maxfile(char *tn) {
  int fd = xopen("f_mf", O_CREATE | O_TRUNC | O_WRONLY);
  for (int off = 0; off < MAXBYTES; off += MF_CHUNK) {
    fill(scratch, MF_CHUNK, off);
    xwrite(fd, scratch, MF_CHUNK);
  }
  expect_fails(write(fd, "x", 1), "write beyond MAXFILE blocks");
  if (fstat(fd, &st) < 0 || st.size != MAXBYTES)
    fail("size %d, expected %d", (int)st.size, MAXBYTES);
  close(fd);
  fd = xopen("f_mf", O_RDONLY);
  for (int off = 0; off < MAXBYTES; off += MF_CHUNK)
    if (read(fd, scratch, MF_CHUNK) != MF_CHUNK || check_fill(scratch, MF_CHUNK, off) >= 0)
      fail("content at offset %d", off);
  if (read(fd, scratch, 1) != 0)
    fail("data beyond MAXFILE blocks");
  close(fd);
  xunlink("f_mf");
}

#define MAXINODES 400

// Create empty files until no inode is left; returns how many.
static int use_inodes(void) {
  int n = 0, fd;
  for (; n < MAXINODES; n++) {
    tl_snprintf(name, sizeof(name), "f_oi%d", n);
    if ((fd = open(name, O_CREATE | O_RDWR)) < 0)
      break;
    close(fd);
  }
  return n;
}

static void remove_numbered(const char *prefix, int n) {
  for (int i = 0; i < n; i++) {
    tl_snprintf(name, sizeof(name), "%s%d", prefix, i);
    xunlink(name);
  }
}

static void remove_stale(const char *prefix) {
  for (int i = 0;; i++) {
    tl_snprintf(name, sizeof(name), "%s%d", prefix, i);
    if (unlink(name) < 0)
      break;
  }
}

static void t_outofinodes(char *tn) {
  remove_stale("f_oi");
  int n1 = use_inodes();
  if (n1 < 10 || n1 == MAXINODES)
    fail("created %d files before running out of inodes", n1);
  expect_fails(mkdir("d_oi"), "mkdir without free inodes");
  remove_numbered("f_oi", n1);
  int n2 = use_inodes();
  remove_numbered("f_oi", n2);
  if (n2 != n1)
    fail("%d inodes the first time, %d after freeing them", n1, n2);
}

#define MAXOBFILES 20 // more than the disk holds (FSSIZE / MAXFILE < 8)

// Write files of MAXFILE blocks until the disk is full; returns the blocks
// written (counted by the file sizes: a failed write may have written part
// of its data) and leaves the number of files in *files.
static int use_blocks(int *files) {
  int blocks = 0;
  memset(scratch, 'b', MF_CHUNK);
  for (*files = 0; *files < MAXOBFILES;) {
    tl_snprintf(name, sizeof(name), "f_ob%d", *files);
    int fd = open(name, O_CREATE | O_WRONLY);
    if (fd < 0)
      return blocks;
    ++*files;
    int off = 0, r = MF_CHUNK;
    for (; off < MAXBYTES && (r = write(fd, scratch, MF_CHUNK)) == MF_CHUNK; off += MF_CHUNK)
      ;
    if (fstat(fd, &st) < 0)
      fail("fstat of %s", name);
    close(fd);
    blocks += st.size / BSIZE;
    if (r != MF_CHUNK)
      return blocks;
  }
  fail("%d files of MAXFILE blocks fit on the disk", MAXOBFILES);
}

static void t_outofblocks(char *tn) {
  int f1, f2;
  remove_stale("f_ob");
  int b1 = use_blocks(&f1);
  remove_numbered("f_ob", f1);
  int b2 = use_blocks(&f2);
  remove_numbered("f_ob", f2);
  if (b1 < 100 || b2 != b1)
    fail("%d blocks the first time, %d after freeing them", b1, b2);
  write_file("f_ob0", scratch, 10 * BSIZE); // the disk works again
  xunlink("f_ob0");
}

// ================================================================ file-system concurrency

#define NCC 20 // names shared by the concreate workers

static void concreate_worker(int id) {
  for (int i = 0; i < 60; i++) {
    int k = (i * 7 + id * 13) % NCC;
    tl_snprintf(name, sizeof(name), "f_cc%d", k);
    if ((i + id) % 3 == 0) {
      unlink(name);
    } else if ((i + id) % 3 == 1) {
      int fd = open(name, O_CREATE | O_RDWR);
      if (fd < 0)
        fail("worker %d: create %s", id, name);
      write(fd, "x", 1);
      close(fd);
    } else {
      static char other[16];
      tl_snprintf(other, sizeof(other), "f_cc%d", (k + 1) % NCC);
      link(name, other); // fails if either side is missing or taken
    }
  }
  exit(0);
}

// Check that each f_cc name appears at most once in / and names a sane
// file; returns how many there are.
static int concreate_check(void) {
  static char seen[NCC];
  struct dirent de;
  int fd = xopen("/", O_RDONLY), count = 0;
  memset(seen, 0, sizeof(seen));
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0 || memcmp(de.name, "f_cc", 4) != 0)
      continue;
    int k = atoi(de.name + 4);
    if (k < 0 || k >= NCC || seen[k]++)
      fail("directory entry %s duplicated or unexpected", de.name);
    count++;
  }
  close(fd);
  for (int k = 0; k < NCC; k++) {
    tl_snprintf(name, sizeof(name), "f_cc%d", k);
    if (stat(name, &st) == 0 && (st.type != T_FILE || st.nlink < 1 || st.nlink > NCC))
      fail("%s: type %d nlink %d", name, st.type, st.nlink);
    if ((stat(name, &st) == 0) != seen[k])
      fail("%s: directory and lookup disagree", name);
  }
  return count;
}

// Processes create, link and unlink the same names at the same time.
static void t_concreate(char *tn) {
  for (int k = 0; k < NCC; k++) {
    tl_snprintf(name, sizeof(name), "f_cc%d", k);
    unlink(name);
  }
  for (int id = 0; id < 4; id++)
    if (xfork() == 0)
      concreate_worker(id);
  wait_ok(4);
  concreate_check();
  for (int k = 0; k < NCC; k++) {
    tl_snprintf(name, sizeof(name), "f_cc%d", k);
    unlink(name);
  }
  if (concreate_check() != 0)
    fail("names left after unlinking all");
}

// Each process creates, checks and deletes files of its own, all at once.
static void createdelete_worker(int id) {
  for (int i = 0; i < 30; i++) {
    tl_snprintf(name, sizeof(name), "f_cd%d_%d", id, i);
    write_file(name, name, 8);
    if (i < 2)
      continue;
    tl_snprintf(name, sizeof(name), "f_cd%d_%d", id, i - 2);
    if (read_file(name, scratch, 20) != 8 || memcmp(scratch, name, 8) != 0)
      fail("worker %d: content of %s", id, name);
    xunlink(name);
  }
  for (int i = 28; i < 30; i++) {
    tl_snprintf(name, sizeof(name), "f_cd%d_%d", id, i);
    xunlink(name);
  }
  exit(0);
}

static void t_createdelete(char *tn) {
  for (int id = 0; id < 4; id++)
    if (xfork() == 0)
      createdelete_worker(id);
  wait_ok(4);
  for (int id = 0; id < 4; id++)
    for (int i = 0; i < 30; i++) {
      tl_snprintf(name, sizeof(name), "f_cd%d_%d", id, i);
      if (stat(name, &st) == 0)
        fail("%s still exists", name);
    }
}

// Four processes write four files at once.
static void t_fourfiles(char *tn) {
  for (int id = 0; id < 4; id++) {
    if (xfork() != 0)
      continue;
    tl_snprintf(name, sizeof(name), "f_4f%d", id);
    int fd = xopen(name, O_CREATE | O_TRUNC | O_WRONLY);
    for (int j = 0; j < 12; j++) {
      fill(scratch, 500, id * 100 + j);
      xwrite(fd, scratch, 500);
    }
    close(fd);
    exit(0);
  }
  wait_ok(4);
  for (int id = 0; id < 4; id++) {
    tl_snprintf(name, sizeof(name), "f_4f%d", id);
    int fd = xopen(name, O_RDONLY);
    for (int j = 0; j < 12; j++)
      if (read(fd, scratch, 500) != 500 || check_fill(scratch, 500, id * 100 + j) >= 0)
        fail("%s: chunk %d", name, j);
    if (read(fd, scratch, 1) != 0)
      fail("%s too long", name);
    close(fd);
    xunlink(name);
  }
}

// ================================================================ bad arguments

#define NBAD 6

// Addresses no system call may read or write for a user program: unmapped
// user addresses, the first addresses past MAXVA, and the kernel half.
static uint64 bad_addr(int i) {
  static const uint64 fixed[NBAD - 1] = {
      KERNBASE,                     // unmapped in the user half
      MAXVA - 2 * PGSIZE,           // xv6's TRAPFRAME: unmapped here
      MAXVA,                        // first address beyond user space
      0xffffffffffffffffUL,         // the very top
      KERNEL_OFFSET + 0x80200000UL, // kernel text, mapped supervisor-only
  };
  if (i < NBAD - 1)
    return fixed[i];
  return PGROUNDUP((uint64)sbrk(0)); // just past the heap
}

// Descriptors are allocated lowest first: the next one tells whether a
// failed call leaked any.
static int next_fd(void) {
  int fd = dup(0);
  close(fd);
  return fd;
}

static void badbuf_pipe(uint64 a) {
  int fds[2];
  xpipe(fds);
  xwrite(fds[1], "0123456789", 10);
  expect_fails(read(fds[0], (void *)a, 10), "pipe read into a bad buffer");
  if (write(fds[1], (void *)a, 10) > 0)
    fail("pipe write from bad buffer %p succeeded", (void *)a);
  close(fds[0]);
  close(fds[1]);
}

// read/write/fstat/pipe/wait with bad buffers return -1 (a pipe or the
// console may also report 0 bytes written, as xv6 does).
static void t_badbuf(char *tn) {
  write_file("f_bb", scratch, 100);
  int rfd = xopen("f_bb", O_RDONLY), wfd = xopen("f_bb", O_WRONLY), free_fd = next_fd();
  for (int i = 0; i < NBAD; i++) {
    uint64 a = bad_addr(i);
    if (read(rfd, (void *)a, 10) != -1 || write(wfd, (void *)a, 10) != -1)
      fail("file read or write with buffer %p", (void *)a);
    if (write(1, (void *)a, 10) > 0)
      fail("console write from %p", (void *)a);
    expect_fails(fstat(rfd, (struct stat *)a), "fstat into a bad buffer");
    expect_fails(pipe((int *)a), "pipe into a bad buffer");
    badbuf_pipe(a);
  }
  if (next_fd() != free_fd)
    fail("failed calls leaked descriptors");
  close(rfd);
  close(wfd);
  xunlink("f_bb");
  int pid = xfork();
  if (pid == 0)
    exit(0);
  expect_fails(wait((int *)bad_addr(0)), "wait with a bad status pointer");
  if (wait(0) != pid)
    fail("child lost after a failed wait");
}

static char *good_argv[] = {"/echo", "x", 0};

// Every call taking a path with a bad pointer returns -1.
static void bad_paths(uint64 a) {
  char *s = (char *)a;
  char *argv[] = {"/echo", s, 0};
  expect_fails(open(s, O_RDONLY), "open");
  expect_fails(open(s, O_CREATE | O_RDWR), "open O_CREATE");
  expect_fails(unlink(s), "unlink");
  expect_fails(mkdir(s), "mkdir");
  expect_fails(chdir(s), "chdir");
  expect_fails(link(s, "f_bs"), "link from");
  expect_fails(link("README", s), "link to");
  expect_fails(mknod(s, 1, 1), "mknod");
  expect_fails(exec(s, good_argv), "exec");
  expect_fails(exec("/echo", argv), "exec with a bad argument");
  expect_fails(exec("/echo", (char **)a), "exec with a bad argv");
}

static void t_badstr(char *tn) {
  for (int i = 0; i < NBAD; i++)
    bad_paths(bad_addr(i));
  // A string running into an unmapped page without its NUL.
  char *end = sbrk(0);
  if (sbrk(PGROUNDUP((uint64)end) - (uint64)end + PGSIZE) == SBRK_ERROR)
    fail("sbrk failed");
  char *top = sbrk(0);
  memset(top - 20, 'a', 20);
  bad_paths((uint64)(top - 20));
  expect_fails(open("f_bs", O_RDONLY), "f_bs was created");
}

// Paths longer than MAXPATH are refused; a MAXPATH-1 one is just a long
// name, truncated to DIRSIZ.
static void t_longpath(char *tn) {
  static char p[2 * MAXPATH];
  memset(p, 'a', sizeof(p) - 1);
  p[sizeof(p) - 1] = 0;
  expect_fails(open(p, O_CREATE | O_RDWR), "open of a long path");
  expect_fails(mkdir(p), "mkdir of a long path");
  expect_fails(chdir(p), "chdir to a long path");
  expect_fails(link("README", p), "link to a long path");
  expect_fails(exec(p, good_argv), "exec of a long path");
  p[MAXPATH - 1] = 0;
  int fd = open(p, O_CREATE | O_RDWR);
  if (fd < 0)
    fail("open of a %d-character name", MAXPATH - 1);
  close(fd);
  p[DIRSIZ] = 0;
  xunlink(p);
}

// ================================================================ exec

static int sentinel = 4711; // survives failed execs

static void t_execmissing(char *tn) {
  expect_fails(exec("/f_no_such_program", good_argv), "exec of a missing file");
  expect_fails(exec("", good_argv), "exec of an empty path");
  if (sentinel != 4711)
    fail("memory changed by a failed exec");
}

static void t_execnonelf(char *tn) {
  expect_fails(exec("/README", good_argv), "exec of a text file");
  expect_fails(exec("/", good_argv), "exec of a directory");
  memset(scratch, 0, 200);
  memcpy(scratch, "\177ELF", 4);
  write_file("f_elf", scratch, 200);
  expect_fails(exec("/f_elf", good_argv), "exec of a bogus ELF file");
  write_file("f_elf", scratch, 4);
  expect_fails(exec("/f_elf", good_argv), "exec of a truncated ELF file");
  xunlink("f_elf");
  if (sentinel != 4711)
    fail("memory changed by a failed exec");
}

// Arguments reach the program intact; unlike paths, they may be longer
// than MAXPATH.
static void t_execargs(char *tn) {
  char *argv[] = {"/echo", "one", "two", "three", 0};
  int status = capture(argv, scratch, 100);
  if (status != 0 || strcmp(scratch, "one two three\n") != 0)
    fail("echo printed \"%s\", exit status %d", scratch, status);
  memset(scratch2, 'y', 3 * MAXPATH);
  scratch2[3 * MAXPATH] = 0;
  argv[1] = scratch2;
  argv[2] = 0;
  status = capture(argv, scratch, SCRATCH);
  if (status != 0 || strlen(scratch) != 3 * MAXPATH + 1 ||
      memcmp(scratch, scratch2, 3 * MAXPATH) != 0)
    fail("echo of a %d-character argument printed %d characters", 3 * MAXPATH, strlen(scratch));
}

// MAXARG-1 arguments (and the terminating null) work; more fail.
static void t_execmaxarg(char *tn) {
  static char *argv[2 * MAXARG + 1];
  static char args[2 * MAXARG][8];
  static char want[MAXARG * 8];
  argv[0] = "/echo";
  want[0] = 0;
  for (int i = 1; i < 2 * MAXARG; i++) {
    tl_snprintf(args[i], sizeof(args[i]), "a%d", i);
    argv[i] = args[i];
    if (i < MAXARG - 1)
      tl_snprintf(want + strlen(want), 8, "%s%s", args[i], i < MAXARG - 2 ? " " : "\n");
  }
  argv[MAXARG - 1] = 0;
  int status = capture(argv, scratch, SCRATCH);
  if (status != 0 || strcmp(scratch, want) != 0)
    fail("echo with %d arguments printed \"%s\"", MAXARG - 2, scratch);
  argv[MAXARG - 1] = args[MAXARG - 1];
  expect_fails(exec("/echo", argv), "exec with 2*MAXARG arguments");
  if (sentinel != 4711)
    fail("memory changed by a failed exec");
}

// Arguments that do not fit the one-page stack fail; so does one longer
// than a page.
static void t_execbigargs(char *tn) {
  static char *argv[16];
  int n = USERSTACK * PGSIZE / 1000 + 2;
  memset(scratch, 'x', 5000);
  scratch[999] = 0;
  argv[0] = "/echo";
  for (int i = 1; i <= n; i++)
    argv[i] = scratch;
  argv[n + 1] = 0;
  expect_fails(exec("/echo", argv), "exec with arguments bigger than the stack");
  scratch[999] = 'x';
  scratch[4999] = 0;
  argv[2] = 0;
  expect_fails(exec("/echo", argv), "exec with a 5000-byte argument");
  if (sentinel != 4711)
    fail("memory changed by a failed exec");
  char *ok[] = {"/echo", "still", "fine", 0};
  if (capture(ok, scratch, 100) != 0 || strcmp(scratch, "still fine\n") != 0)
    fail("exec after failed ones: \"%s\"", scratch);
}

#define EM_PAGES 512

// exec frees the old image: a child grows its heap by EM_PAGES, then
// execs cat (which waits on a pipe) once the parent has seen the memory
// in use; the frames come back meanwhile.
static void t_execmem(char *tn) {
  int in[2], ready[2], go[2];
  char c;
  xpipe(in);
  xpipe(ready);
  xpipe(go);
  int before = freepages();
  int pid = xfork();
  if (pid == 0) {
    close(0);
    dup(in[0]);
    close(in[0]);
    close(in[1]);
    close(ready[0]);
    close(go[1]);
    char *m = sbrk(EM_PAGES * PGSIZE);
    if (m == SBRK_ERROR)
      fail("sbrk failed");
    for (int i = 0; i < EM_PAGES; i++)
      m[i * PGSIZE] = 1;
    write(ready[1], "r", 1);
    if (read(go[0], &c, 1) != 1)
      fail("no go from the parent");
    close(go[0]);
    char *argv[] = {"/cat", 0};
    exec("/cat", argv);
    fail("exec cat failed");
  }
  close(in[0]);
  close(ready[1]);
  close(go[0]);
  if (read(ready[0], &c, 1) != 1)
    fail("child did not get ready");
  int loaded = freepages();
  write(go[1], "g", 1);
  close(go[1]);
  if (loaded > before - EM_PAGES)
    fail("child's heap did not use memory (%d -> %d)", before, loaded);
  int after = settle_freepages(loaded + EM_PAGES - 50, 3 * TICKS_PER_SEC);
  if (after < loaded + EM_PAGES - 50)
    fail("exec did not free the old image (%d -> %d free pages)", loaded, after);
  close(in[1]); // cat sees EOF
  close(ready[0]);
  if (wait_pid(pid) != 0)
    fail("cat failed");
}

// ================================================================ memory

static void t_sbrkbasic(char *tn) {
  int npages = 64, f0 = freepages();
  char *a = sbrk(0);
  char *p = sbrk(npages * PGSIZE);
  if (p != a || sbrk(0) != a + npages * PGSIZE)
    fail("sbrk returned %p, end %p, expected %p", p, sbrk(0), a);
  int f1 = freepages();
  if (f1 > f0 - npages)
    fail("sbrk of %d pages took %d frames", npages, f0 - f1);
  fill(p, npages * PGSIZE, 9);
  if (check_fill(p, npages * PGSIZE, 9) >= 0)
    fail("new heap does not hold data");
  if (sbrk(-npages * PGSIZE) != a + npages * PGSIZE || sbrk(0) != a)
    fail("shrinking sbrk");
  if (freepages() < f1 + npages)
    fail("shrinking freed %d of %d frames", freepages() - f1, npages);
}

static void t_sbrkshrink(char *tn) {
  char *p = sbrk(10 * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrk failed");
  memset(p, 1, 10 * PGSIZE);
  sbrk(-10 * PGSIZE);
  expect_killed(touch_read, (uint64)p + 5 * PGSIZE, "read beyond a shrunk heap");
  expect_killed(touch_write, (uint64)p, "write beyond a shrunk heap");
}

#define LAZY_PAGES 200

// sbrklazy reserves without allocating; first touches find zeros.
static void t_sbrklazy(char *tn) {
  int f0 = freepages();
  char *p = sbrklazy(LAZY_PAGES * PGSIZE);
  if (p == SBRK_ERROR)
    fail("sbrklazy failed");
  if (freepages() < f0 - 4)
    fail("sbrklazy of %d pages took %d frames", LAZY_PAGES, f0 - freepages());
  for (int i = 0; i < LAZY_PAGES * PGSIZE; i += 512)
    if (p[i] != 0)
      fail("lazy page not zero at offset %d", i);
  for (int i = 0; i < LAZY_PAGES; i++)
    p[i * PGSIZE + i] = 1;
  if (freepages() > f0 - LAZY_PAGES)
    fail("%d written lazy pages took only %d frames", LAZY_PAGES, f0 - freepages());
  sbrk(-LAZY_PAGES * PGSIZE);
  if (freepages() < f0 - 4)
    fail("shrinking left %d frames in use", f0 - freepages());
}

// System calls read and write lazily allocated memory like any other.
static void t_lazyio(char *tn) {
  int n = 8 * PGSIZE;
  char *zeros = sbrklazy(n), *in = sbrklazy(n), *piped = sbrklazy(PGSIZE);
  int fd = xopen("f_lz", O_CREATE | O_TRUNC | O_RDWR);
  xwrite(fd, zeros, n); // never touched: all zeros
  close(fd);
  if (read_file("f_lz", scratch, SCRATCH) != n)
    fail("file written from lazy memory has the wrong size");
  for (int i = 0; i < n; i++)
    if (scratch[i] != 0)
      fail("byte %d written from untouched lazy memory is %d", i, scratch[i]);
  fill(scratch, n, 77);
  write_file("f_lz", scratch, n);
  if (read_file("f_lz", in, n) != n || check_fill(in, n, 77) >= 0)
    fail("read into lazy memory");
  xunlink("f_lz");
  int fds[2];
  xpipe(fds);
  xwrite(fds[1], "lazy", 4);
  if (read(fds[0], piped + 100, 4) != 4 || memcmp(piped + 100, "lazy", 4) != 0)
    fail("pipe read into lazy memory");
  close(fds[0]);
  close(fds[1]);
}

#define MiB (1 << 20)

static void t_sbrkhuge(char *tn) {
  char *a = sbrk(0);
  int f0 = freepages();
  if (sbrk(1 << 30) != SBRK_ERROR)
    fail("sbrk of 1 GiB succeeded");
  if (sbrk(0) != a)
    fail("failed sbrk moved the break from %p to %p", a, sbrk(0));
  int slack = (1 << 30) / (2 * MiB) + 4; // page-table pages may stay (as on xv6)
  if (settle_freepages(f0 - slack, TICKS_PER_SEC) < f0 - slack)
    fail("failed sbrk kept %d frames", f0 - freepages());
  char *p = sbrk(PGSIZE);
  if (p != a)
    fail("sbrk after a failed one");
  p[0] = 1;
}

// Grow until sbrk refuses, then shrink back: memory returns.
// With swap the limit is RAM + swap, and other processes' pages may move
// to swap meanwhile: what must come back is the pages the system can hold.
static void t_sbrklimit(char *tn) {
  int f0 = pages_available();
  char *start = sbrk(0);
  uint64 total = 0;
  while (total < 2048UL * MiB && sbrk(MiB) != SBRK_ERROR)
    total += MiB;
  if (total < 32 * MiB || total >= 2048UL * MiB)
    fail("sbrk stopped after %d MiB", (int)(total / MiB));
  if ((uint64)(sbrk(0) - start) != total)
    fail("the break is not where the successful calls left it");
  start[0] = 1;
  start[total - 1] = 2;
  for (uint64 off = 0; off < total; off += MiB)
    sbrk(-MiB);
  int slack = total / (2 * MiB) + 8; // page-table pages may stay
  for (int t = 0; pages_available() < f0 - slack && t < 3 * TICKS_PER_SEC; t++)
    sleep(1);
  if (pages_available() < f0 - slack)
    fail("%d pages missing after shrinking back", f0 - pages_available());
}

// malloc until it fails, free everything, and malloc works again.
static void t_mallocloop(char *tn) {
  void *head = 0, *p;
  int n = 0;
  while ((p = malloc(64 * 1024)) != 0) {
    *(void **)p = head;
    head = p;
    n++;
  }
  if (n < 32 * 16)
    fail("malloc failed after %d blocks of 64 KiB", n);
  while (head) {
    p = *(void **)head;
    free(head);
    head = p;
  }
  for (int i = 0; i < 10; i++) {
    p = malloc(64 * 1024);
    if (p == 0)
      fail("malloc failed after freeing everything");
    memset(p, 1, 64 * 1024);
  }
}

static void t_freepages(char *tn) {
  int f0 = freepages(), total = (PHYSTOP - KERNBASE) / PGSIZE;
  if (f0 <= 100 || f0 >= total)
    fail("freepages() = %d of %d frames", f0, total);
  // Other processes (init reaping an earlier test's orphans) may free or
  // take a frame or two meanwhile: SLACK of them are not counted against
  // us, which still tells 100 frames from none.
  enum { SLACK = 4 };
  char *p = sbrk(100 * PGSIZE);
  memset(p, 1, 100 * PGSIZE);
  int f1 = freepages();
  if (f1 > f0 - 100 + SLACK)
    fail("100 pages took %d frames", f0 - f1);
  sbrk(-100 * PGSIZE);
  if (freepages() < f1 + 100 - SLACK)
    fail("freeing 100 pages gave back %d frames", freepages() - f1);
}

// ================================================================ faults

static void guard_access(uint64 write) {
  // The stack is USERSTACK pages ending in the one holding sp; the guard
  // page lies right below.
  uint64 guard = PGROUNDDOWN(r_sp()) - USERSTACK * PGSIZE;
  if (write)
    touch_write(guard + PGSIZE - 8);
  else
    touch_read(guard + PGSIZE - 8);
}

static void t_stackguard(char *tn) {
  touch_read(PGROUNDDOWN(r_sp()) - (USERSTACK - 1) * PGSIZE); // stack bottom: fine
  expect_killed(guard_access, 0, "read of the stack guard page");
  expect_killed(guard_access, 1, "write to the stack guard page");
}

static volatile uint64 zero; // hides the 0 from the compiler, which would trap

static void t_textwrite(char *tn) {
  touch_read(zero); // text starts at 0 and is mapped
  expect_killed(touch_write, zero, "write to address 0");
  expect_killed(touch_write, (uint64)t_textwrite, "write to the text segment");
  if (sentinel != 4711)
    fail("a write to the text changed memory");
}

// The kernel's memory is out of reach: reads and writes kill.
static void t_kernmem(char *tn) {
  static const uint64 addrs[] = {KERNBASE, KERNBASE + 0x200000, PHYSTOP - 1,
                                 KERNEL_OFFSET + 0x80200000UL, KERNEL_OFFSET + PHYSTOP - 8};
  for (int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
    expect_killed(touch_read, addrs[i], "read of kernel memory");
    expect_killed(touch_write, addrs[i], "write to kernel memory");
  }
}

// MAXVA and every power of two above it kill; so do xv6's trampoline
// and trapframe addresses, which are not mapped here.
static void t_maxva(char *tn) {
  for (uint64 a = MAXVA; a != 0; a <<= 1)
    expect_killed(touch_write, a, "write at or above MAXVA");
  expect_killed(touch_read, MAXVA - 1, "read of the last user address");
  expect_killed(touch_read, TRAMPOLINE, "read of TRAMPOLINE");
  expect_killed(touch_write, TRAPFRAME, "write to TRAPFRAME");
}

static void t_unmapped(char *tn) {
  uint64 end = PGROUNDUP((uint64)sbrk(0));
  expect_killed(touch_read, end, "read just past the heap");
  expect_killed(touch_read, end + 16 * PGSIZE, "read beyond the heap");
  expect_killed(touch_write, end + PGSIZE, "write beyond the heap");
  expect_killed(touch_read, 0x40000000UL, "read of an unmapped address");
}

// ================================================================ time

static void t_uptime(char *tn) {
  int t0 = uptime();
  for (int i = 0; uptime() == t0; i++)
    if (i > 100000000)
      fail("uptime() does not advance");
  t0 = uptime();
  sleep(3);
  if (uptime() - t0 < 3)
    fail("sleep(3) took %d ticks", uptime() - t0);
}

static void t_sleep(char *tn) {
  int t0 = uptime();
  sleep(10);
  int d = uptime() - t0;
  if (d < 10 || d > 30)
    fail("sleep(10) took %d ticks", d);
  t0 = uptime();
  pause(5);
  d = uptime() - t0;
  if (d < 5 || d > 25)
    fail("pause(5) took %d ticks", d);
  t0 = uptime();
  sleep(0);
  if (uptime() - t0 > 5)
    fail("sleep(0) took %d ticks", uptime() - t0);
}

// Busy children do not starve their parent: it still runs, sleeps,
// uses a pipe, and finally kills them.
static void t_preempt(char *tn) {
  int pids[3], fds[2];
  for (int i = 0; i < 3; i++) {
    pids[i] = xfork();
    if (pids[i] == 0)
      for (;;)
        ;
  }
  sleep(2);
  xpipe(fds);
  xwrite(fds[1], "x", 1);
  if (read(fds[0], scratch, 1) != 1)
    fail("parent's pipe read");
  close(fds[0]);
  close(fds[1]);
  int t0 = uptime();
  sleep(5);
  if (uptime() - t0 > 5 * TICKS_PER_SEC)
    fail("parent starved: sleep(5) took %d ticks", uptime() - t0);
  for (int i = 0; i < 3; i++)
    kill(pids[i]);
  for (int i = 0; i < 3; i++) {
    int status;
    if (wait(&status) < 0 || status != -1)
      fail("spinning child not killed");
  }
}

// ================================================================ new calls

static void t_memstat(char *tn) {
  if (memstat(&ms) < 0)
    fail("memstat failed");
  int f = freepages();
  if (ms.total_frames == 0 || ms.free_frames > ms.total_frames)
    fail("memstat: total %d free %d", (int)ms.total_frames, (int)ms.free_frames);
  if (ms.free_frames + 64 < f || ms.free_frames > f + 64)
    fail("memstat free %d, freepages %d", (int)ms.free_frames, f);
  int found = 0;
  for (int i = 0; i < NPROC; i++)
    found |= ms.procs[i].pid == getpid() && ms.procs[i].rss > 0;
  if (!found)
    fail("memstat does not list this process with its RSS");
  expect_fails(memstat((struct memstat *)bad_addr(0)), "memstat into a bad buffer");
  int old = vmctl(VMCTL_FORK_COPY, 1);
  if (old < 0 || vmctl(VMCTL_FORK_COPY, old) != 1)
    fail("vmctl does not return the previous value");
  expect_fails(vmctl(12345, 0), "vmctl of an unknown knob");
  if (vmaudit() != 0)
    fail("vmaudit reports violations");
}

// ================================================================ the table

static struct test tests[] = {
    {t_exitwait, "exitwait", 0},
    {t_waitnull, "waitnull", 0},
    {t_nochild, "nochild", 0},
    {t_manychildren, "manychildren", 0},
    {t_orphan, "orphan", 0},
    {t_nproc, "nproc", 0},
    {t_forkbomb, "forkbomb", 0},
    {t_killspin, "killspin", 0},
    {t_killsleep, "killsleep", 0},
    {t_killpipe, "killpipe", 0},
    {t_killbad, "killbad", 0},
    {t_getpid, "getpid", 0},
    {t_pipedata, "pipedata", 0},
    {t_pipeeof, "pipeeof", 0},
    {t_pipenoreader, "pipenoreader", 0},
    {t_pipebig, "pipebig", 0},
    {t_createrw, "createrw", 0},
    {t_trunc, "trunc", 0},
    {t_createexist, "createexist", 0},
    {t_opendir, "opendir", 0},
    {t_rwmode, "rwmode", 0},
    {t_namelen, "namelen", 0},
    {t_unlinkbad, "unlinkbad", 0},
    {t_unlinkopen, "unlinkopen", 0},
    {t_link, "link", 0},
    {t_fstat, "fstat", 0},
    {t_dup, "dup", 0},
    {t_fdlimit, "fdlimit", 0},
    {t_sharedfd, "sharedfd", 0},
    {t_mknod, "mknod", 0},
    {t_dirs, "dirs", 0},
    {t_bigdir, "bigdir", 0},
    {t_deepdir, "deepdir", 1},
    {t_iref, "iref", 0},
    {t_bigwrite, "bigwrite", 0},
    {t_maxfile, "maxfile", 0},
    {t_outofinodes, "outofinodes", 1},
    {t_outofblocks, "outofblocks", 1},
    {t_concreate, "concreate", 0},
    {t_createdelete, "createdelete", 0},
    {t_fourfiles, "fourfiles", 0},
    {t_badbuf, "badbuf", 0},
    {t_badstr, "badstr", 0},
    {t_longpath, "longpath", 0},
    {t_execmissing, "execmissing", 0},
    {t_execnonelf, "execnonelf", 0},
    {t_execargs, "execargs", 0},
    {t_execmaxarg, "execmaxarg", 0},
    {t_execbigargs, "execbigargs", 0},
    {t_execmem, "execmem", 0},
    {t_sbrkbasic, "sbrkbasic", 0},
    {t_sbrkshrink, "sbrkshrink", 0},
    {t_sbrklazy, "sbrklazy", 0},
    {t_lazyio, "lazyio", 0},
    {t_sbrkhuge, "sbrkhuge", 0},
    {t_sbrklimit, "sbrklimit", 1},
    {t_mallocloop, "mallocloop", 1},
    {t_freepages, "freepages", 0},
    {t_stackguard, "stackguard", 0},
    {t_textwrite, "textwrite", 0},
    {t_kernmem, "kernmem", 0},
    {t_maxva, "maxva", 0},
    {t_unmapped, "unmapped", 0},
    {t_uptime, "uptime", 0},
    {t_sleep, "sleep", 0},
    {t_preempt, "preempt", 0},
    {t_memstat, "memstat", 0},
    {0, 0, 0},
};

int main(int argc, char **argv) { return run_suite("test_sys", tests, argc, argv); }
