// vmdemo: build an address space that holds every page state vmquery()
// reports today, then draw it with vmmap. In order:
//    64 pages written with different bytes, shared with a child by fork
//       (COW-shared), of which we then write every 4th again (private)
//    32 pages of equal bytes and 32 of zeros, merged by dedup() (merged,
//       zero frame)
//   256 pages from sbrklazy, of which we touch 2 (lazy, private)
// Text is read-only and shared with the child; the guard page sits under
// the stack. The child holds its share until the map is drawn.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "user/user.h"
#include "user/checked.h"

static void die(char *why) {
  printf("vmdemo: %s\n", why);
  exit(1);
}

static char *grow(int pages, int lazy) {
  char *p = lazy ? sbrklazy(pages * PGSIZE) : sbrk(pages * PGSIZE);
  if (p == SBRK_ERROR)
    die("sbrk failed");
  return p;
}

static void fill(char *page, uint64 seed) {
  for (int k = 0; k < PGSIZE / 8; k++)
    ((uint64 *)page)[k] = seed * 0x9e3779b97f4a7c15UL + k;
}

// Fork a child that keeps its copy of our memory until fd hold closes.
static int holder(int *hold) {
  int p[2];
  if (pipe(p) < 0)
    die("pipe failed");
  int pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    exit(0);
  }
  close(p[0]);
  *hold = p[1];
  return pid;
}

static void run_vmmap(int pid) {
  char arg[16], *argv[] = {"vmmap", arg, 0};
  int n = 0;
  for (int v = pid; v > 0 || n == 0; v /= 10)
    n++;
  arg[n] = 0;
  for (int v = pid; n > 0; v /= 10)
    arg[--n] = '0' + v % 10;
  int child = fork();
  if (child == 0) {
    exec("/vmmap", argv);
    die("exec /vmmap failed");
  }
  wait(0);
}

int main(void) {
  uint64 top = (uint64)sbrk(0);
  if (top % PGSIZE)
    sbrk(PGSIZE - top % PGSIZE); // start the heap on a page boundary
  char *cow = grow(64, 0), *same = grow(32, 0);
  grow(32, 0); // zeros
  for (int i = 0; i < 64; i++)
    fill(cow + i * PGSIZE, i + 1);
  for (int i = 0; i < 32; i++)
    fill(same + i * PGSIZE, 1000 + getpid());
  if (dedup() < 0)
    die("dedup failed");
  int hold, kid = holder(&hold);
  for (int i = 0; i < 64; i += 4)
    cow[i * PGSIZE] = 1; // a COW copy: private again
  char *lazy = grow(256, 1);
  lazy[3 * PGSIZE] = lazy[200 * PGSIZE] = 1;
  printf("vmdemo: pid %d, a child (pid %d) shares its memory\n", getpid(), kid);
  run_vmmap(getpid());
  close(hold);
  wait(0);
  exit(0);
}
