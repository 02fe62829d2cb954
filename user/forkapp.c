// forkapp: the IPC assignment's program, and the saving made visible.
//
// 1. The exchange: the child sends the first 4097 bytes of a page-aligned
//    8194-byte sbuf (a line of text, then filler) to its parent
//    (getppid()); the parent receives into its 8193-byte rbuf, adds its
//    own words to the line, and replies with all 8193 bytes; the child
//    prints the reply's line. The first page of each message is shared
//    copy-on-write, the 4097th byte is copied.
// 2. A 64-page message, sent once shared and once copied
//    (vmctl(VMCTL_IPC_COPY, 1)), printing the free frames before, while
//    the receiver holds it, after the receiver wrote every page, and
//    after both sides are done: shared, the receiver's 64 frames go back
//    when the message arrives and come back only as it writes.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"
#include "user/testlib.h"

#define BIG 64

static void die(char *why) {
  printf("forkapp: %s\n", why);
  exit(1);
}

// n page-aligned, resident pages.
static char *pages(int n) {
  uint64 top = (uint64)sbrk(0);
  if (top % PGSIZE)
    sbrk(PGSIZE - top % PGSIZE);
  char *p = sbrk(n * PGSIZE);
  if (p == SBRK_ERROR)
    die("sbrk failed");
  memset(p, 'r', n * PGSIZE);
  return p;
}

static void child_exchange(void) {
  char *sbuf = pages(3), *rbuf = pages(3);
  tl_snprintf(sbuf, 200, "hello from child %d", getpid());
  for (int i = strlen(sbuf) + 1; i < 8194; i++)
    sbuf[i] = 'a' + i % 26;
  printf("child %d: sends 4097 of the 8194 bytes of sbuf at %p to parent %d\n", getpid(), sbuf,
         getppid());
  int n = send(getppid(), sbuf, 4097, rbuf, 8193);
  if (n != 8193)
    die("send failed");
  printf("child %d: reply of %d bytes: \"%s\"\n", getpid(), n, rbuf);
  exit(0);
}

static void parent_exchange(void) {
  char *rbuf = pages(3);
  int id = recv(rbuf, 8193);
  if (id < 0)
    die("recv failed");
  printf("parent %d: received from %d: \"%s\", byte 4096 is '%c'\n", getpid(), id, rbuf,
         rbuf[4096]);
  int len = strlen(rbuf);
  tl_snprintf(rbuf + len, 100, ", and hello back from parent %d", getpid());
  if (reply(id, rbuf, 8193) < 0)
    die("reply failed");
  wait(0);
}

// The 64-page message, shared (copy 0) or copied (copy 1).
static void big_message(int copy) {
  int ready[2], go[2];
  if (pipe(ready) < 0 || pipe(go) < 0)
    die("pipe failed");
  vmctl(VMCTL_IPC_COPY, copy);
  int child = fork();
  if (child < 0)
    die("fork failed");
  if (child == 0) {
    char *s = pages(BIG), c;
    write(ready[1], "x", 1);
    read(go[0], &c, 1);
    if (send(getppid(), s, BIG * PGSIZE, 0, 0) < 0)
      die("send failed");
    exit(0);
  }
  char *r = pages(BIG), c;
  read(ready[0], &c, 1);
  printf("%s 64 pages:\n", copy ? "copied" : "shared");
  printf("  free frames before:                        %d\n", freepages());
  write(go[1], "x", 1);
  int id = recv(r, BIG * PGSIZE);
  printf("  received, before anyone writes:            %d\n", freepages());
  for (int i = 0; i < BIG; i++)
    r[i * PGSIZE] = 'w';
  printf("  after the receiver wrote every page:       %d\n", freepages());
  reply(id, 0, 0);
  wait(0);
  printf("  after the sender exited:                   %d\n", freepages());
  sbrk(-BIG * PGSIZE);
  close(ready[0]);
  close(ready[1]);
  close(go[0]);
  close(go[1]);
}

int main(int argc, char **argv) {
  int child = fork();
  if (child < 0)
    die("fork failed");
  if (child == 0)
    child_exchange();
  parent_exchange();
  int old = vmctl(VMCTL_IPC_COPY, 0);
  big_message(0);
  big_message(1);
  vmctl(VMCTL_IPC_COPY, old);
  exit(0);
}
