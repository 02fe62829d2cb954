// Host tests of the storage stack: kernel/sched/sleeplock.c and every file of
// kernel/fs/, run on a memory disk holding an image made by mkfs/mkfs.
// Threads stand in for processes and call the sys_* functions directly;
// "user memory" is host memory, and addresses below 4096 are bad user
// addresses.
//
// Each case runs in a forked child that boots from the fresh image, so the
// cases are independent; after a case the child saves its disk and
// tools/fsck.py must find it consistent. The crash case stops recording
// disk writes after the k-th one, boots from that disk (log recovery, orphan
// reclaim) and checks the result, for many k.
//
// The kernel files are compiled into this translation unit, with the names
// the C library also defines (memmove, printf, sleep, ...) renamed, so that
// the test itself can use the C library; so the sources line names none.
// sources:
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define memmove(...) k_memmove(__VA_ARGS__)
#define memset(...) k_memset(__VA_ARGS__)
#define memcmp(...) k_memcmp(__VA_ARGS__)
#define memcpy(...) k_memcpy(__VA_ARGS__)
#define strlen(...) k_strlen(__VA_ARGS__)
#define strncmp(...) k_strncmp(__VA_ARGS__)
#define strncpy(...) k_strncpy(__VA_ARGS__)
#define printf(...) k_printf(__VA_ARGS__)
#define sleep(...) k_sleep(__VA_ARGS__)
#define wait(...) k_wait(__VA_ARGS__)
#define kill(...) k_kill(__VA_ARGS__)
#define syscall(...) k_syscall(__VA_ARGS__)
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/file.h"
#include "kernel/buf.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"
#include "kernel/sched/sleeplock.c"
#include "kernel/fs/bcache.c"
#include "kernel/fs/log.c"
#include "kernel/fs/super.c"
#include "kernel/fs/inode.c"
#include "kernel/fs/bmap.c"
#include "kernel/fs/dir.c"
#include "kernel/fs/path.c"
#include "kernel/fs/file.c"
#include "kernel/fs/pipe.c"
#include "kernel/fs/sysfile.c"
#undef memmove
#undef memset
#undef memcmp
#undef memcpy
#undef strlen
#undef strncmp
#undef strncpy
#undef printf
#undef sleep
#undef wait
#undef kill
#undef syscall

// ---------------------------------------------------------------- the shim

#define IMG_BYTES ((uint64)FSSIZE * BSIZE)

// Images and fsck output go to a private directory, so that concurrent
// runs of this test do not meet.
static char workdir[] = "/tmp/test_fs.XXXXXX";

static const char *wpath(const char *name) {
  static char paths[4][128];
  static int next;
  char *p = paths[next++ % 4];
  snprintf(p, sizeof(paths[0]), "%s/%s", workdir, name);
  return p;
}

static uchar *disk;     // the memory disk
static uchar *snapshot; // its state after write number crash_at
static long crash_at = -1, nwrites, nreads;
static int disk_delay_us; // time a disk access takes, with the buffer locked
static pthread_mutex_t disk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;
static __thread struct proc *curproc;
static __thread uint64 args[3];
static const char *casename = "?";

void *k_memmove(void *d, const void *s, uint n) { return memmove(d, s, n); }
void *k_memset(void *d, int c, uint n) { return memset(d, c, n); }
int k_memcmp(const void *a, const void *b, uint n) { return memcmp(a, b, n); }
void *k_memcpy(void *d, const void *s, uint n) { return memcpy(d, s, n); }
int k_strlen(const char *s) { return strlen(s); }
int k_strncmp(const char *p, const char *q, uint n) { return strncmp(p, q, n); }
char *k_strncpy(char *d, const char *s, int n) { return strncpy(d, s, n); }

void k_printf(char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

void panic(char *s) {
  printf("FAIL %s: panic: %s\n", casename, s);
  fflush(stdout);
  _exit(1);
}

void initlock(struct spinlock *lk, char *name) {
  lk->locked = 0;
  lk->name = name;
  lk->cpu = 0;
}

int holding(struct spinlock *lk) {
  return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) &&
         __atomic_load_n(&lk->cpu, __ATOMIC_RELAXED) == (struct cpu *)curproc;
}

void acquire(struct spinlock *lk) {
  if (holding(lk))
    panic("acquire: already held");
  while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
    sched_yield();
  __atomic_store_n(&lk->cpu, (struct cpu *)curproc, __ATOMIC_RELAXED);
}

void release(struct spinlock *lk) {
  if (!holding(lk))
    panic("release: not held");
  __atomic_store_n(&lk->cpu, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

// One condition variable for every channel: waking too many is allowed.
void k_sleep(void *chan, struct spinlock *lk) {
  pthread_mutex_lock(&sleep_lock);
  release(lk);
  pthread_cond_wait(&sleep_cond, &sleep_lock);
  pthread_mutex_unlock(&sleep_lock);
  acquire(lk);
}

void wakeup(void *chan) {
  pthread_mutex_lock(&sleep_lock);
  pthread_cond_broadcast(&sleep_cond);
  pthread_mutex_unlock(&sleep_lock);
}

struct proc *myproc(void) {
  return curproc;
}
int killed(struct proc *p) { return __atomic_load_n(&p->killed, __ATOMIC_SEQ_CST); }

static int bad_user(uint64 a) { return a < 4096; }

int either_copyout(int user_dst, uint64 dst, void *src, uint64 len) {
  if (user_dst && bad_user(dst))
    return -1;
  memcpy((void *)dst, src, len);
  return 0;
}

int either_copyin(void *dst, int user_src, uint64 src, uint64 len) {
  if (user_src && bad_user(src))
    return -1;
  memcpy(dst, (void *)src, len);
  return 0;
}

int copyout(pagetable_t pt, uint64 va, char *src, uint64 len) {
  return either_copyout(1, va, src, len);
}

int copyin(pagetable_t pt, char *dst, uint64 va, uint64 len) {
  return either_copyin(dst, 1, va, len);
}

void argint(int n, int *ip) { *ip = (int)args[n]; }
void argaddr(int n, uint64 *ip) { *ip = args[n]; }

int argstr(int n, char *buf, int max) {
  if (bad_user(args[n]))
    return -1;
  int len = strnlen((char *)args[n], max);
  if (len >= max)
    return -1;
  memcpy(buf, (char *)args[n], len + 1);
  return len;
}

void *kalloc(void) { return malloc(PGSIZE); }
void krelease(void *p) { free(p); }

// One block between the memory disk and data; every write counts towards
// the crash point.
static void disk_access(uint blockno, uchar *data, int write) {
  if (blockno >= FSSIZE)
    panic("disk: block out of range");
  pthread_mutex_lock(&disk_lock);
  if (write) {
    memcpy(disk + (uint64)blockno * BSIZE, data, BSIZE);
    if (++nwrites == crash_at)
      memcpy(snapshot, disk, IMG_BYTES);
  } else {
    memcpy(data, disk + (uint64)blockno * BSIZE, BSIZE);
    nreads++;
  }
  pthread_mutex_unlock(&disk_lock);
  if (disk_delay_us)
    usleep(disk_delay_us);
  sched_yield(); // let other "processes" run while this one waits for I/O
}

void virtio_disk_rw(struct buf *b, int write) { disk_access(b->blockno, b->data, write); }

int virtio_disk_io(int d, uint64 sector, void *kva, uint nbytes, int write) {
  if (d != 0 || nbytes != BSIZE || sector % (BSIZE / 512) != 0)
    panic("virtio_disk_io: not one block of the file-system disk");
  disk_access(sector / (BSIZE / 512), kva, write);
  return 0;
}

// ---------------------------------------------------------------- helpers

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("FAIL %s: line %d: %s\n", casename, __LINE__, #c);                                    \
      fflush(stdout);                                                                              \
      _exit(1);                                                                                    \
    }                                                                                              \
  } while (0)

static int u_call(uint64 (*fn)(void), uint64 a0, uint64 a1, uint64 a2) {
  args[0] = a0;
  args[1] = a1;
  args[2] = a2;
  return (int)fn();
}

#define u_open(p, m) u_call(sys_open, (uint64)(p), m, 0)
#define u_read(fd, b, n) u_call(sys_read, fd, (uint64)(b), n)
#define u_write(fd, b, n) u_call(sys_write, fd, (uint64)(b), n)
#define u_close(fd) u_call(sys_close, fd, 0, 0)
#define u_unlink(p) u_call(sys_unlink, (uint64)(p), 0, 0)
#define u_mkdir(p) u_call(sys_mkdir, (uint64)(p), 0, 0)
#define u_link(a, b) u_call(sys_link, (uint64)(a), (uint64)(b), 0)
#define u_chdir(p) u_call(sys_chdir, (uint64)(p), 0, 0)
#define u_fstat(fd, st) u_call(sys_fstat, fd, (uint64)(st), 0)
#define u_dup(fd) u_call(sys_dup, fd, 0, 0)
#define u_pipe(fds) u_call(sys_pipe, (uint64)(fds), 0, 0)
#define u_mknod(p, ma, mi) u_call(sys_mknod, (uint64)(p), ma, mi)

static struct inode *rootip;
static int nextpid = 2;
static char pattern[MAXFILE * BSIZE + BSIZE], rbuf[MAXFILE * BSIZE + BSIZE];

static struct inode *threads_cwd; // cwd of the processes run_threads starts

// A "process" for the calling thread, in threads_cwd or the root.
static struct proc *proc_start(void) {
  struct proc *p = calloc(1, sizeof(*p));
  p->pid = __atomic_fetch_add(&nextpid, 1, __ATOMIC_SEQ_CST);
  curproc = p;
  p->cwd = idup(threads_cwd ? threads_cwd : rootip);
  return p;
}

static void proc_end(struct proc *p) {
  for (int fd = 0; fd < NOFILE; fd++)
    if (p->ofile[fd])
      fileclose(p->ofile[fd]);
  begin_op();
  iput(p->cwd);
  end_op();
  free(p);
  curproc = 0;
}

static void load(const char *path) {
  FILE *f = fopen(path, "rb");
  CHECK(f && fread(disk, BSIZE, FSSIZE, f) == FSSIZE);
  fclose(f);
}

static void save(const char *path, uchar *img) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(img, BSIZE, FSSIZE, f) == FSSIZE);
  fclose(f);
}

static void boot(const char *img) {
  static struct proc first = {.pid = 1};
  disk = malloc(IMG_BYTES);
  load(img);
  binit();
  iinit();
  fileinit();
  curproc = &first;
  fsinit(ROOTDEV); // recovers the log, frees orphans
  rootip = namei("/");
  CHECK(rootip != 0);
  curproc = 0;
}

static int free_blocks(void) {
  int n = 0;
  for (uint b = 0; b < superblock.size; b++)
    n += !(disk[(superblock.bmapstart + b / BPB) * BSIZE + (b % BPB) / 8] >> (b % 8) & 1);
  return n;
}

static void fill(char *b, int n, int seed) {
  for (int i = 0; i < n; i++)
    b[i] = (char)(seed + i * 7 + i / BSIZE);
}

// Run fn on n threads at once, each with its own process; arg is 0..n-1.
static pthread_barrier_t start_line;
static void *(*thread_fn)(long);

static void *thread_main(void *arg) {
  struct proc *p = proc_start();
  pthread_barrier_wait(&start_line);
  thread_fn((long)arg);
  proc_end(p);
  return 0;
}

static void run_threads(void *(*fn)(long), int n) {
  pthread_t t[64];
  thread_fn = fn;
  threads_cwd = myproc()->cwd; // like fork
  pthread_barrier_init(&start_line, 0, n);
  for (long i = 0; i < n; i++)
    pthread_create(&t[i], 0, thread_main, (void *)i);
  for (int i = 0; i < n; i++)
    pthread_join(t[i], 0);
  pthread_barrier_destroy(&start_line);
}

// ---------------------------------------------------------------- cases

static void t_files(void) {
  struct stat st;
  int fd;

  CHECK(u_open("nothere", O_RDONLY) < 0);
  CHECK((fd = u_open("a", O_CREATE | O_RDWR)) >= 0);
  CHECK(u_write(fd, "hello", 5) == 5 && u_read(fd, rbuf, 10) == 0);
  CHECK(u_close(fd) == 0 && u_close(fd) < 0);
  fd = u_open("a", O_RDONLY);
  CHECK(u_read(fd, rbuf, 10) == 5 && memcmp(rbuf, "hello", 5) == 0);
  CHECK(u_write(fd, "x", 1) < 0);
  CHECK(u_fstat(fd, &st) == 0 && st.type == T_FILE && st.size == 5 && st.nlink == 1);
  CHECK(u_read(fd, 16, 5) == 0); // at the end: nothing to copy
  u_close(fd);
  fd = u_open("a", O_RDONLY);
  CHECK(u_read(fd, 16, 5) < 0); // bad buffer
  CHECK(u_read(fd, rbuf, -1) < 0);
  u_close(fd);
  fd = u_open("a", O_WRONLY);
  CHECK(u_read(fd, rbuf, 5) < 0 && u_write(fd, 16, 5) < 0);
  u_close(fd);
  CHECK((fd = u_open("a", O_CREATE | O_WRONLY)) >= 0); // existing: opened
  u_close(fd);
  fd = u_open("a", O_RDONLY);
  CHECK(u_read(fd, rbuf, 10) == 5);
  u_close(fd);
  u_close(u_open("a", O_WRONLY | O_TRUNC));
  fd = u_open("a", O_RDONLY);
  CHECK(u_fstat(fd, &st) == 0 && st.size == 0);
  u_close(fd);
  CHECK(u_open(8, O_RDONLY) < 0 && u_read(-1, rbuf, 1) < 0 && u_read(NOFILE, rbuf, 1) < 0);
  CHECK(u_unlink("a") == 0 && u_unlink("a") < 0);
}

static void t_dirs(void) {
  struct dirent de[2];
  int fd;

  CHECK(u_mkdir("d") == 0 && u_mkdir("d") < 0);
  CHECK(u_open("d", O_RDWR) < 0 && u_open("d", O_WRONLY) < 0 && u_open("d", O_CREATE) < 0);
  CHECK((fd = u_open("d", O_RDONLY)) >= 0);
  CHECK(u_read(fd, de, sizeof(de)) == sizeof(de) && strcmp(de[0].name, ".") == 0 &&
        strcmp(de[1].name, "..") == 0 && de[1].inum == ROOTINO);
  CHECK(u_write(fd, "x", 1) < 0);
  u_close(fd);
  u_close(u_open("f", O_CREATE | O_RDWR));
  CHECK(u_mkdir("f/x") < 0 && u_open("f/x", O_CREATE | O_RDWR) < 0 && u_open("f/x", 0) < 0);
  CHECK(u_chdir("f") < 0 && u_chdir("d") == 0);
  u_close(u_open("g", O_CREATE | O_RDWR));
  CHECK((fd = u_open("../d/./g", O_RDONLY)) >= 0);
  u_close(fd);
  CHECK((fd = u_open("/d//g", O_RDONLY)) >= 0);
  u_close(fd);
  CHECK(u_chdir("..") == 0);
  CHECK(u_unlink("d") < 0 && u_unlink("d/.") < 0 && u_unlink("d/..") < 0);
  CHECK(u_unlink("d/g") == 0 && u_unlink("d") == 0 && u_chdir("d") < 0 && u_unlink("f") == 0);
  CHECK(u_mkdir("/") < 0 && u_unlink("/") < 0);
}

static void t_names(void) {
  int fd;

  CHECK((fd = u_open("abcdefghijklmn", O_CREATE | O_RDWR)) >= 0);
  u_write(fd, "14", 2);
  u_close(fd);
  CHECK((fd = u_open("abcdefghijklmnXYZ", O_RDONLY)) >= 0); // the same first 14
  CHECK(u_read(fd, rbuf, 9) == 2);
  u_close(fd);
  CHECK(u_mkdir("12345678901234") == 0 && u_mkdir("123456789012345/12345678901234") == 0);
  CHECK((fd = u_open("12345678901234/123456789012345/abc", O_CREATE)) >= 0);
  u_close(fd);
  CHECK((fd = u_open("123456789012345/12345678901234/abc", O_RDONLY)) >= 0);
  u_close(fd);
  CHECK(u_unlink("12345678901234/12345678901234/abc") == 0);
  CHECK(u_unlink("12345678901234/12345678901234") == 0 && u_unlink("12345678901234") == 0);
  CHECK(u_unlink("abcdefghijklmnopq") == 0);
}

static void t_links(void) {
  struct stat st;
  int fd;

  CHECK(u_mkdir("dd") == 0);
  u_close(u_open("a", O_CREATE | O_RDWR));
  CHECK(u_link("dd", "dd2") < 0 && u_link("a", "a") < 0 && u_link("nope", "x") < 0);
  CHECK(u_link("a", "dd/a2") == 0 && u_link("a", "nodir/a2") < 0);
  fd = u_open("a", O_RDONLY);
  CHECK(u_fstat(fd, &st) == 0 && st.nlink == 2);
  u_close(fd);
  CHECK(u_unlink("a") == 0 && (fd = u_open("dd/a2", O_RDONLY)) >= 0);
  u_close(fd);
  CHECK(u_unlink("dd") < 0 && u_unlink("dd/a2") == 0 && u_unlink("dd") == 0);
}

static void t_devices(void) {
  struct stat st;
  int fd;

  CHECK(u_mknod("cons", CONSOLE, 0) == 0 && u_mknod("cons", CONSOLE, 0) < 0);
  CHECK(u_open("cons", O_RDWR) < 0); // no console driver in this test
  devsw[CONSOLE].write = 0;
  CHECK(u_mknod("bad", 99, 0) == 0 && u_open("bad", O_RDWR) < 0);
  CHECK((fd = u_open("d", O_CREATE | O_RDWR)) >= 0 && u_fstat(fd, &st) == 0);
  u_close(fd);
  CHECK(u_unlink("bad") == 0 && u_unlink("cons") == 0 && u_unlink("d") == 0);
}

static void t_fds(void) {
  int fd, fd2, i;

  fd = u_open("f", O_CREATE | O_RDWR);
  CHECK((fd2 = u_dup(fd)) == fd + 1);
  u_write(fd, "ab", 2);
  u_write(fd2, "cd", 2); // the offset is shared
  u_close(fd);
  CHECK(u_dup(fd) < 0);
  u_close(fd2);
  fd = u_open("f", O_RDONLY);
  CHECK(u_read(fd, rbuf, 10) == 4 && memcmp(rbuf, "abcd", 4) == 0);
  u_close(fd);
  for (i = 0; i < NOFILE && u_open("f", O_RDONLY) >= 0; i++)
    ;
  CHECK(i == NOFILE && u_open("f", O_RDONLY) < 0 && u_dup(0) < 0);
  for (i = 0; i < NOFILE; i++)
    u_close(i);
  CHECK(u_unlink("f") == 0);
}

static void t_bigfile(void) {
  int before = free_blocks(), fd;

  fill(pattern, sizeof(pattern), 1);
  fd = u_open("big", O_CREATE | O_RDWR);
  CHECK(u_write(fd, pattern, MAXFILE * BSIZE) == MAXFILE * BSIZE);
  CHECK(u_write(fd, pattern, 1) < 0); // past MAXFILE
  u_close(fd);
  fd = u_open("big", O_RDONLY);
  CHECK(u_read(fd, rbuf, sizeof(rbuf)) == MAXFILE * BSIZE);
  CHECK(memcmp(pattern, rbuf, MAXFILE * BSIZE) == 0);
  u_close(fd);
  fd = u_open("odd", O_CREATE | O_RDWR); // unaligned writes and reads
  for (int off = 0; off < 70000; off += 1000)
    CHECK(u_write(fd, pattern + off, 1000) == 1000);
  u_close(fd);
  fd = u_open("odd", O_RDONLY);
  for (int off = 0, n; (n = u_read(fd, rbuf + off, 777)) > 0; off += n)
    ;
  CHECK(memcmp(pattern, rbuf, 70000) == 0);
  u_close(fd);
  fd = u_open("big", O_RDONLY); // unlink while open: still readable
  CHECK(u_unlink("big") == 0 && u_open("big", O_RDONLY) < 0);
  CHECK(u_read(fd, rbuf, 5000) == 5000 && memcmp(pattern, rbuf, 5000) == 0);
  CHECK(free_blocks() < before - MAXFILE);
  u_close(fd); // the last reference frees the blocks
  CHECK(u_unlink("odd") == 0 && free_blocks() == before);
}

static void t_exhaust(void) {
  char name[16];
  int n, fd, r = 0, before;

  for (n = 0;; n++) { // inodes
    snprintf(name, sizeof(name), "i%d", n);
    if ((fd = u_open(name, O_CREATE | O_RDWR)) < 0)
      break;
    u_close(fd);
  }
  CHECK(n > 150 && n < 200 && u_mkdir("nomore") < 0);
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "i%d", i);
    CHECK(u_unlink(name) == 0);
  }
  before = free_blocks();    // the root directory grew above
  for (n = 0; r >= 0; n++) { // blocks
    snprintf(name, sizeof(name), "b%d", n);
    CHECK((fd = u_open(name, O_CREATE | O_RDWR)) >= 0);
    r = u_write(fd, pattern, MAXFILE * BSIZE);
    u_close(fd);
  }
  CHECK(free_blocks() < 4);
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "b%d", i);
    CHECK(u_unlink(name) == 0);
  }
  CHECK(free_blocks() == before);
}

#define NT 8 // threads in the concurrent cases

static void *w_createdelete(long id) {
  char name[16];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 20; i++) {
      snprintf(name, sizeof(name), "%c%d", (char)('p' + id), i);
      int fd = u_open(name, O_CREATE | O_RDWR);
      CHECK(fd >= 0 && u_write(fd, name, strlen(name)) == (int)strlen(name));
      u_close(fd);
      if (i > 0 && i % 2 == 0) {
        snprintf(name, sizeof(name), "%c%d", (char)('p' + id), i / 2);
        CHECK(u_unlink(name) == 0);
      }
    }
    for (int i = 0; i < 20; i++) {
      snprintf(name, sizeof(name), "%c%d", (char)('p' + id), i);
      int fd = u_open(name, O_RDONLY);
      CHECK((fd < 0) == (i > 0 && i < 10));
      if (fd >= 0) {
        CHECK(u_read(fd, rbuf + id * 64, 64) == (int)strlen(name));
        u_close(fd);
        CHECK(u_unlink(name) == 0);
      }
    }
  }
  return 0;
}

static void *w_linkunlink(long id) {
  char name[16];
  for (int r = 0; r < 200; r++) {
    snprintf(name, sizeof(name), "C%d", (int)((r * 7 + id * 3) % 40));
    switch ((r + id) % 3) {
    case 0:
      u_unlink(name);
      break;
    case 1:
      u_close(u_open(name, O_CREATE | O_RDWR));
      break;
    case 2:
      u_link("C0", name);
      break;
    }
  }
  return 0;
}

static void *w_fourfiles(long id) {
  char name[16], b[512];
  int fd, n, tot = 0;

  snprintf(name, sizeof(name), "four%ld", id);
  memset(b, '0' + id, sizeof(b));
  CHECK((fd = u_open(name, O_CREATE | O_RDWR)) >= 0);
  for (int i = 0; i < 24; i++)
    CHECK(u_write(fd, b, 500) == 500);
  u_close(fd);
  fd = u_open(name, O_RDONLY);
  while ((n = u_read(fd, b, sizeof(b))) > 0) {
    for (int i = 0; i < n; i++)
      CHECK(b[i] == '0' + id);
    tot += n;
  }
  CHECK(tot == 12000 && u_close(fd) == 0 && u_unlink(name) == 0);
  for (int i = 0; i < 20; i++) {
    char sub[32];
    snprintf(sub, sizeof(sub), "%s/s", name);
    CHECK(u_mkdir(name) == 0 && u_mkdir(sub) == 0 && u_unlink(name) < 0);
    CHECK(u_unlink(sub) == 0 && u_unlink(name) == 0);
  }
  return 0;
}

static void *w_bigdir(long id) {
  char name[32];
  for (int i = 0; i < 500 / NT; i++) {
    snprintf(name, sizeof(name), "bd/x%ld_%d", id, i);
    CHECK(u_link("bd/target", name) == 0);
  }
  for (int i = 0; i < 500 / NT; i++) {
    snprintf(name, sizeof(name), "bd/x%ld_%d", id, i);
    CHECK(u_unlink(name) == 0);
  }
  return 0;
}

static struct file *shared;
static void *w_sharedfd(long id) {
  char b[100];
  myproc()->ofile[3] = filedup(shared);
  memset(b, 'a' + id, sizeof(b));
  for (int i = 0; i < 100; i++)
    CHECK(u_write(3, b, sizeof(b)) == sizeof(b));
  return 0;
}

static void t_concurrent(void) {
  int before = free_blocks(), cnt[NT] = {0}, n, fd;
  struct stat st;

  CHECK(u_mkdir("t") == 0 && u_chdir("t") == 0); // removed at the end with its blocks
  run_threads(w_createdelete, NT);
  run_threads(w_fourfiles, NT);
  run_threads(w_linkunlink, NT);
  for (int i = 0; i < 40; i++) {
    char name[8];
    snprintf(name, sizeof(name), "C%d", i);
    u_unlink(name);
  }
  CHECK(u_mkdir("bd") == 0);
  u_close(u_open("bd/target", O_CREATE | O_RDWR));
  run_threads(w_bigdir, NT);
  fd = u_open("bd/target", O_RDONLY);
  CHECK(u_fstat(fd, &st) == 0 && st.nlink == 1);
  u_close(fd);
  CHECK(u_unlink("bd/target") == 0 && u_unlink("bd") == 0);
  fd = u_open("sf", O_CREATE | O_RDWR);
  shared = myproc()->ofile[fd];
  run_threads(w_sharedfd, NT);
  u_close(fd);
  fd = u_open("sf", O_RDONLY);
  while ((n = u_read(fd, rbuf, 4096)) > 0)
    for (int i = 0; i < n; i++)
      cnt[rbuf[i] - 'a']++;
  for (int i = 0; i < NT; i++)
    CHECK(cnt[i] == 100 * 100);
  u_close(fd);
  CHECK(u_unlink("sf") == 0 && u_chdir("..") == 0 && u_unlink("t") == 0);
  CHECK(free_blocks() == before);
}

// Many readers of distinct blocks, slow disk: more buffers are wanted at
// once than the cache has, so bget must wait for one instead of failing.
static void *w_reader(long id) {
  char name[8], b[BSIZE];
  int fd, off = 0, n;

  snprintf(name, sizeof(name), "r%ld", id);
  CHECK((fd = u_open(name, O_RDONLY)) >= 0);
  while ((n = u_read(fd, b, sizeof(b))) > 0) {
    CHECK(memcmp(b, pattern + id + off, n) == 0);
    off += n;
  }
  CHECK(off == 20 * BSIZE);
  u_close(fd);
  return 0;
}

static void t_bufwait(void) {
  char name[8];
  int nreaders = NBUF + 10;

  fill(pattern, sizeof(pattern), 0);
  for (int i = 0; i < nreaders; i++) {
    snprintf(name, sizeof(name), "r%d", i);
    int fd = u_open(name, O_CREATE | O_RDWR);
    CHECK(u_write(fd, pattern + i, 20 * BSIZE) == 20 * BSIZE);
    u_close(fd);
  }
  disk_delay_us = 200;
  run_threads(w_reader, nreaders);
  disk_delay_us = 0;
  for (int i = 0; i < nreaders; i++) {
    snprintf(name, sizeof(name), "r%d", i);
    CHECK(u_unlink(name) == 0);
  }
}

static int pfds[2];
// As after fork, each side first closes the end it does not use.
static void *w_pipewriter(long id) {
  char b[1000];
  u_close(pfds[0]);
  for (int i = 0, seq = 0; i < 100; i++) {
    for (int j = 0; j < (int)sizeof(b); j++)
      b[j] = (char)seq++;
    CHECK(u_write(pfds[1], b, sizeof(b)) == sizeof(b));
  }
  return 0;
}

static void *w_pipereader(long id) {
  char b[3333];
  int n, tot = 0, seq = 0;
  u_close(pfds[1]);
  while ((n = u_read(pfds[0], b, sizeof(b))) > 0)
    for (int i = 0; i < n; i++, tot++)
      CHECK(b[i] == (char)seq++);
  CHECK(n == 0 && tot == 100000);
  return 0;
}

// Threads share the parent's descriptors here (like fork, for pipes).
static struct proc *pipe_parent, *pipe_child;
static int pipe_started; // threads that hold their copies of the descriptors

static void *pipe_thread(void *fn) {
  struct proc p = {.pid = 99};
  for (int i = 0; i < NOFILE; i++)
    if (pipe_parent->ofile[i])
      p.ofile[i] = filedup(pipe_parent->ofile[i]);
  __atomic_store_n(&pipe_child, &p, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&pipe_started, 1, __ATOMIC_SEQ_CST);
  curproc = &p;
  ((void *(*)(long))fn)(0);
  for (int i = 0; i < NOFILE; i++)
    if (p.ofile[i])
      fileclose(p.ofile[i]);
  return 0;
}

static void t_pipes(void) {
  pthread_t w, r;

  pipe_parent = myproc();
  CHECK(u_pipe(pfds) == 0);
  pthread_create(&w, 0, pipe_thread, w_pipewriter);
  pthread_create(&r, 0, pipe_thread, w_pipereader);
  while (__atomic_load_n(&pipe_started, __ATOMIC_SEQ_CST) < 2)
    sched_yield();
  u_close(pfds[0]);
  u_close(pfds[1]); // EOF comes once the writer thread closes its copy
  pthread_join(w, 0);
  pthread_join(r, 0);
  CHECK(u_pipe(pfds) == 0 && u_close(pfds[0]) == 0);
  CHECK(u_write(pfds[1], "x", 1) < 0); // no reader
  u_close(pfds[1]);
  CHECK(u_pipe(8) < 0);
  for (int i = 0; i < NOFILE; i++)
    CHECK(myproc()->ofile[i] == 0); // nothing leaked
  CHECK(u_pipe(pfds) == 0 && u_write(pfds[1], 16, 5) < 0 && u_write(pfds[1], "abc", 3) == 3);
  CHECK(u_read(pfds[0], 16, 3) < 0);
  u_close(pfds[0]);
  u_close(pfds[1]);
  int made = 0;
  while (u_pipe(pfds) == 0)
    made++;
  CHECK(made == NOFILE / 2);
  for (int i = 0; i < NOFILE; i++)
    u_close(i);
}

static volatile int reader_result = 1;
static void *w_blocked(long id) {
  reader_result = u_read(pfds[0], rbuf, 10);
  return 0;
}

static void t_pipekill(void) {
  pthread_t t;
  struct proc *p = myproc();

  pipe_parent = p;
  CHECK(u_pipe(pfds) == 0);
  pthread_create(&t, 0, pipe_thread, w_blocked);
  while (__atomic_load_n(&pipe_started, __ATOMIC_SEQ_CST) < 1)
    sched_yield();
  usleep(100 * 1000);
  CHECK(reader_result == 1);                                  // still blocked: a writer exists
  __atomic_store_n(&pipe_child->killed, 1, __ATOMIC_SEQ_CST); // as kill() does
  wakeup(0);
  pthread_join(t, 0);
  CHECK(reader_result == -1);
  u_close(pfds[0]);
  u_close(pfds[1]);
}

// ---------------------------------------------------------------- buffer cache, paths

// With the cache quiet: each cached block is in exactly one buffer, on the
// chain of its bucket, and every buffer in use is on a chain.
static void check_bcache(void) {
  int chained = 0, named = 0;
  for (int h = 0; h < NBUCKET; h++) {
    for (struct buf *b = bcache.bucket[h].chain; b; b = b->hnext, chained++) {
      CHECK(b->dev != NODEV && bucket_of(b->dev, b->blockno) == &bcache.bucket[h]);
      CHECK(b->refs == 0 && !holdingsleep(&b->lock));
      for (struct buf *o = b->hnext; o; o = o->hnext)
        CHECK(o->dev != b->dev || o->blockno != b->blockno);
    }
  }
  for (int i = 0; i < NBUF; i++)
    named += bcache.buf[i].dev != NODEV;
  CHECK(chained == named);
}

// Blocks 0 .. 3 * NBUF - 1, read by many threads, one or two at a time:
// every bread returns the block asked for with its disk content, while
// buffers are renamed under the readers' feet.
#define NREADERS 16
static void *w_cachereader(long id) {
  uint seed = id * 7919 + 1;
  for (int i = 0; i < 1500; i++) {
    seed = seed * 1103515245 + 12345;
    uint a = (seed >> 8) % (3 * NBUF), c = (a + 1 + (seed >> 20) % 5) % (3 * NBUF);
    struct buf *x = bread(ROOTDEV, a), *y = i % 3 ? bread(ROOTDEV, c) : 0;
    CHECK(x->blockno == a && memcmp(x->data, disk + (uint64)a * BSIZE, BSIZE) == 0);
    CHECK(!y || (y->blockno == c && memcmp(y->data, disk + (uint64)c * BSIZE, BSIZE) == 0));
    if (y)
      brelse(y);
    brelse(x);
  }
  return 0;
}

static volatile int hit_done, miss_done;
static void *w_hit(long id) {
  brelse(bread(ROOTDEV, 1));
  hit_done = 1;
  return 0;
}
static void *w_miss(long id) {
  brelse(bread(ROOTDEV, FSSIZE - 1));
  miss_done = 1;
  return 0;
}
static void *run_one(void *fn) {
  struct proc *p = proc_start();
  ((void *(*)(long))fn)(0);
  proc_end(p);
  return 0;
}

// The design's promise: a hit needs no cache-wide lock, a miss does; a
// block released again is spared by the clock hand once.
static void t_bcache(void) {
  pthread_t t;

  check_bcache();
  run_threads(w_cachereader, NREADERS);
  check_bcache();

  brelse(bread(ROOTDEV, 1)); // cached
  acquire(&bcache.evict);
  pthread_create(&t, 0, run_one, w_hit);
  for (int i = 0; i < 2000 && !hit_done; i++)
    usleep(1000);
  CHECK(hit_done); // the hit went through while evict was held
  pthread_join(t, 0);
  pthread_create(&t, 0, run_one, w_miss);
  usleep(100 * 1000);
  CHECK(!miss_done); // the miss waits for evict
  release(&bcache.evict);
  pthread_join(t, 0);
  CHECK(miss_done);

  // Fill the cache with NBUF blocks read once (twice over: the first turn
  // of the hand clears every second chance), then read one of them again:
  // the next NBUF - 1 misses must take every other buffer first.
  for (uint b = 100; b < 100 + 2 * NBUF; b++)
    brelse(bread(ROOTDEV, b));
  uint again = 100 + NBUF + NBUF / 2;
  long before = nreads;
  brelse(bread(ROOTDEV, again));
  CHECK(nreads == before); // a hit
  for (uint b = 200; b < 200 + NBUF - 1; b++)
    brelse(bread(ROOTDEV, b));
  CHECK(nreads == before + NBUF - 1);
  brelse(bread(ROOTDEV, again));
  CHECK(nreads == before + NBUF - 1); // spared: no disk read
  check_bcache();
}

// path_locate: the directory holding the last element comes back locked
// and referenced, with the name cut to DIRSIZ and the entry, if any.
static void t_pathloc(void) {
  struct pathloc loc;
  struct inode *cwd = myproc()->cwd;

  CHECK(u_mkdir("pd") == 0 && u_mkdir("pd/e") == 0);
  u_close(u_open("pd/file", O_CREATE | O_RDWR));
  begin_op();
  CHECK(path_locate("/", &loc) < 0 && path_locate("", &loc) < 0 && path_locate("///", &loc) < 0);
  CHECK(path_locate("nothere/x", &loc) < 0 && path_locate("pd/file/x", &loc) < 0);
  CHECK(path_locate("newname", &loc) == 0 && loc.dir == cwd && loc.inum == 0);
  CHECK(holdingsleep(&loc.dir->lock) && strncmp(loc.name, "newname", DIRSIZ) == 0);
  path_release(&loc);
  CHECK(!holdingsleep(&cwd->lock));
  CHECK(path_locate("pd//e/", &loc) == 0 && strncmp(loc.name, "e", DIRSIZ) == 0 && loc.inum != 0);
  struct inode *pd = loc.dir;
  uint e = loc.inum;
  CHECK(pd != cwd && pd->di.type == T_DIR);
  path_release(&loc);
  CHECK(path_locate("/pd/e/..", &loc) == 0 && loc.inum == pd->inum);
  CHECK(strncmp(loc.name, "..", DIRSIZ) == 0);
  path_release(&loc);
  CHECK(path_locate("pd/e/.", &loc) == 0 && loc.inum == e && loc.dir->inum == e);
  path_release(&loc);
  CHECK(path_locate("pd/abcdefghijklmnopq", &loc) == 0); // cut to DIRSIZ, no NUL
  CHECK(memcmp(loc.name, "abcdefghijklmn", DIRSIZ) == 0 && loc.inum == 0);
  path_release(&loc);
  end_op();
  CHECK(u_unlink("pd/file") == 0 && u_unlink("pd/e") == 0 && u_unlink("pd") == 0);
}

// A directory of several blocks: lookups find entries in every block, and
// a free slot is reused before the directory grows.
static void t_dirblocks(void) {
  char name[16];
  struct stat st;
  int fd, n = 150; // 152 entries: three blocks

  CHECK(u_mkdir("big") == 0 && u_chdir("big") == 0);
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "f%d", i);
    CHECK((fd = u_open(name, O_CREATE | O_RDWR)) >= 0 && u_close(fd) == 0);
  }
  CHECK((fd = u_open(".", O_RDONLY)) >= 0 && u_fstat(fd, &st) == 0);
  CHECK(st.size == (n + 2) * sizeof(struct dirent));
  CHECK(u_unlink("f70") == 0 && u_open("f70", O_RDONLY) < 0);
  CHECK(u_open("f149", O_RDONLY) >= 0 && u_open("f0", O_RDONLY) >= 0);
  CHECK(u_close(u_open("g", O_CREATE | O_RDWR)) == 0); // takes f70's slot
  CHECK(u_fstat(fd, &st) == 0 && st.size == (n + 2) * sizeof(struct dirent));
  for (int i = 0; i < NOFILE; i++)
    u_close(i);
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "f%d", i);
    CHECK(u_unlink(name) == (i == 70 ? -1 : 0));
  }
  CHECK(u_unlink("g") == 0 && u_chdir("..") == 0 && u_unlink("big") == 0);
}

// ---------------------------------------------------------------- crashes

// A sequence of system calls whose every prefix leaves a state that
// crash_check accepts.
static void crash_workload(void) {
  int fd, fd2;

  fill(pattern, sizeof(pattern), 5);
  fd = u_open("f1", O_CREATE | O_RDWR);
  CHECK(u_write(fd, pattern, 5000) == 5000 && u_close(fd) == 0);
  CHECK(u_mkdir("d") == 0);
  fd = u_open("d/g", O_CREATE | O_RDWR);
  CHECK(u_write(fd, pattern, 20000) == 20000 && u_close(fd) == 0);
  CHECK(u_link("f1", "d/f1link") == 0 && u_unlink("f1") == 0);
  fd = u_open("d/g", O_RDWR | O_TRUNC);
  CHECK(u_write(fd, pattern + 1, 3000) == 3000 && u_close(fd) == 0);
  fd = u_open("h", O_CREATE | O_RDWR); // stays open: an orphan at the crash
  CHECK(u_unlink("h") == 0 && u_write(fd, pattern, 15000) == 15000);
  CHECK(u_mkdir("d/e") == 0);
  fd2 = u_open("d/e/big", O_CREATE | O_RDWR);
  CHECK(u_write(fd2, pattern, 100000) == 100000 && u_close(fd2) == 0);
}

static void crash_check(void) {
  struct stat st;
  int fd, n;

  fill(pattern, sizeof(pattern), 5);
  if ((fd = u_open("d/f1link", O_RDONLY)) >= 0) { // linked after f1 was complete
    CHECK(u_read(fd, rbuf, sizeof(rbuf)) == 5000 && memcmp(pattern, rbuf, 5000) == 0);
    u_close(fd);
  }
  if ((fd = u_open("d/e/big", O_RDONLY)) >= 0) { // whole transactions only
    n = u_read(fd, rbuf, sizeof(rbuf));
    CHECK((n % MAXWRITE == 0 || n == 100000) && memcmp(pattern, rbuf, n) == 0);
    u_close(fd);
  }
  if ((fd = u_open("d/g", O_RDONLY)) >= 0) { // old or new content, no mix
    n = u_read(fd, rbuf, sizeof(rbuf));
    CHECK(memcmp(rbuf, pattern, n) == 0 || memcmp(rbuf, pattern + 1, n) == 0);
    u_close(fd);
  }
  if ((fd = u_open("h", O_RDONLY)) >= 0) { // crashed before its unlink
    CHECK(u_fstat(fd, &st) == 0 && st.size == 0);
    u_close(fd);
  }
}

static int fsck(const char *img) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "python3 tools/fsck.py %s > %s", img, wpath("fsck.out"));
  return system(cmd);
}

// Crash after disk write k, for every STRIDE-th k: the recovered image
// must be consistent (fsck, which must see no orphan either) and hold
// a state some prefix of the workload produced.
#define STRIDE 5
static int crash_one(const char *img, long k) {
  int status;
  pid_t pid = fork();
  if (pid == 0) {
    boot(img);
    snapshot = calloc(1, IMG_BYTES);
    nwrites = 0;
    crash_at = k;
    proc_start();
    crash_workload();
    if (nwrites < k)
      _exit(2); // the workload finished first: no crash happened
    save(wpath("crash.img"), snapshot);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return WIFEXITED(status) && WEXITSTATUS(status) == 2 ? 2 : 1;
  if ((pid = fork()) == 0) {
    boot(wpath("crash.img"));
    proc_start();
    crash_check();
    save(wpath("recovered.img"), disk);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || fsck(wpath("recovered.img")) != 0)
    return 1;
  return 0;
}

static int t_crash(const char *img) {
  long k, points = 0;
  int r;
  for (k = 1; (r = crash_one(img, k)) != 2; k += STRIDE, points++) {
    if (r != 0) {
      printf("FAIL crash: recovery after disk write %ld\n", k);
      return 0;
    }
  }
  printf("crash: %ld crash points recovered\n", points);
  printf("PASS crash\n");
  return 1;
}

// ---------------------------------------------------------------- main

static struct {
  void (*fn)(void);
  const char *name;
} cases[] = {
    {t_files, "files"},     {t_dirs, "dirs"},       {t_names, "names"},
    {t_links, "links"},     {t_devices, "devices"}, {t_fds, "fds"},
    {t_bigfile, "bigfile"}, {t_exhaust, "exhaust"}, {t_concurrent, "concurrent"},
    {t_bufwait, "bufwait"}, {t_pipes, "pipes"},     {t_pipekill, "pipekill"},
    {t_bcache, "bcache"},   {t_pathloc, "pathloc"}, {t_dirblocks, "dirblocks"},
};

// Run one case in a child booted from img; then fsck what it left.
static int run_case(const char *img, int i) {
  int status;
  char out[128];

  snprintf(out, sizeof(out), "%s", wpath(cases[i].name));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    casename = cases[i].name;
    boot(img);
    struct proc *p = proc_start();
    cases[i].fn();
    proc_end(p);
    save(out, disk);
    free(disk);
    exit(0); // not _exit: the leak checker runs at exit
  }
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
    return 0; // the child printed why
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("FAIL %s: child ended with status %#x\n", cases[i].name, status);
    return 0;
  }
  if (fsck(out) != 0) {
    printf("FAIL %s: fsck found the image inconsistent:\n", cases[i].name);
    snprintf(out, sizeof(out), "cat %s", wpath("fsck.out"));
    system(out);
    return 0;
  }
  printf("PASS %s\n", cases[i].name);
  return 1;
}

int main(void) {
  char cmd[512];
  int ok = 1;

  setvbuf(stdout, 0, _IONBF, 0);
  if (mkdtemp(workdir) == 0) {
    printf("FAIL setup: mkdtemp\n");
    return 1;
  }
  const char *img = strdup(wpath("base.img"));
  snprintf(cmd, sizeof(cmd), "make -s mkfs/mkfs && echo hello > %s && mkfs/mkfs %s %s > /dev/null",
           wpath("README"), img, wpath("README"));
  if (system(cmd) != 0) {
    printf("FAIL setup: cannot build the image with mkfs/mkfs\n");
    return 1;
  }
  for (int i = 0; i < (int)NELEM(cases); i++)
    ok &= run_case(img, i);
  ok &= t_crash(img);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
  system(cmd);
  free((void *)img);
  return ok ? 0 : 1;
}
