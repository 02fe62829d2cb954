// bench_ipc: what send + reply costs, each figure beside its baseline in
// the same boot. Times come from the time CSR (10 MHz on QEMU virt); each
// figure is the median of REPS runs of many round trips, per round trip,
// the runs of a figure and of its baseline taking turns.
//
//   1. A round trip of 1, 16 and 256 page-aligned pages: the client
//      (parent) sends its buffer, the server (child) receives it into a
//      page-aligned buffer and replies with it (an echo) into the
//      client's reply buffer. Shared copy-on-write against
//      vmctl(VMCTL_IPC_COPY, 1). Two cases: the buffer unchanged between
//      round trips (the pages are shared already: nothing to remap), and
//      the client writing one word in every page before each send (a new
//      message: with COW each write is a copy fault first, and each send
//      and reply remaps every page).
//   2. 64 bytes there and back: send + recv + reply against a pipe
//      ping-pong of 64 bytes between the same two processes.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/vmctl.h"
#include "user/user.h"
#include "user/checked.h"

#define REPS 7
#define TICKS_PER_US 10 // time CSR frequency on QEMU virt: 10 MHz
#define MAXPAGES 256

static uint64 now(void) { return r_time(); }

static void die(char *why) {
  printf("bench_ipc: %s\n", why);
  exit(1);
}

static uint64 median(uint64 *v, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
      uint64 t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return v[n / 2];
}

static char *pages(int n) {
  uint64 top = (uint64)sbrk(0);
  if (top % PGSIZE)
    sbrk(PGSIZE - top % PGSIZE);
  char *p = sbrk(n * PGSIZE);
  if (p == SBRK_ERROR)
    die("sbrk failed");
  for (int i = 0; i < n * PGSIZE; i += PGSIZE)
    p[i] = 1;
  return p;
}

// The server: echo every message back until one of length 0 comes.
static void echo_server(void) {
  char *buf = pages(MAXPAGES);
  for (;;) {
    int id = recv(buf, MAXPAGES * PGSIZE);
    if (id < 0)
      die("recv failed");
    // The message length is not returned: the client put it first.
    int len = *(int *)buf;
    if (reply(id, buf, len) < 0)
      die("reply failed");
    if (len == sizeof(int))
      exit(0);
  }
}

// How the client's message changes between round trips.
#define SAME 0      // the same buffer, unchanged: shared already, nothing to remap
#define ALTERNATE 1 // two buffers in turn: every page is remapped, both ways
#define REWRITTEN 2 // one word written in every page before each send
static char *mode_name[] = {"same", "alternating", "rewritten"};

// Time of one round trip of npages (the average of rounds of them).
static uint64 round_trip(int server, char **s, char *r, int npages, int mode, int rounds) {
  int len = npages * PGSIZE;
  for (int b = 0; b < 2; b++)
    if (*(int *)s[b] != len)
      *(int *)s[b] = len; // the echo server's length; a store only if it changes
  uint64 t0 = now();
  for (int i = 0; i < rounds; i++) {
    char *m = s[mode == ALTERNATE ? i % 2 : 0];
    for (int p = 0; mode == REWRITTEN && p < npages; p++)
      m[p * PGSIZE + 8] = i;
    if (send(server, m, len, r, len) != len)
      die("send failed");
  }
  uint64 t = (now() - t0) / rounds;
  if (memcmp(r, s[mode == ALTERNATE ? (rounds - 1) % 2 : 0], len) != 0)
    die("the echo differs");
  return t;
}

// Median round trips copied (t[0]) and shared (t[1]). The two take turns,
// so that a change in the host's load falls on both alike.
static void compare(int server, char **s, char *r, int npages, int mode, uint64 t[2]) {
  uint64 v[2][REPS];
  int rounds = npages == 256 ? 10 : 40;
  for (int k = 0; k < REPS; k++) {
    for (int copy = 1; copy >= 0; copy--) {
      vmctl(VMCTL_IPC_COPY, copy);
      round_trip(server, s, r, npages, mode, 1); // the buffers as this way leaves them
      v[!copy][k] = round_trip(server, s, r, npages, mode, rounds);
    }
  }
  t[0] = median(v[0], REPS);
  t[1] = median(v[1], REPS);
}

static void pages_table(int server) {
  static int sizes[] = {1, 16, 256};
  char *s[2] = {pages(MAXPAGES), pages(MAXPAGES)}, *r = pages(MAXPAGES);
  printf("send + reply of page-aligned messages (echo), us per round trip:\n");
  printf("pages  message        copied (VMCTL_IPC_COPY)   shared (COW)   copied/shared\n");
  for (int mode = SAME; mode <= REWRITTEN; mode++) {
    for (int i = 0; i < 3; i++) {
      int n = sizes[i];
      uint64 t[2];
      compare(server, s, r, n, mode, t);
      uint64 copy = t[0], cow = t[1];
      uint64 ratio10 = cow ? copy * 10 / cow : 0;
      printf("%d   %s   %d   %d   %d.%dx\n", n, mode_name[mode], (int)(copy / TICKS_PER_US),
             (int)(cow / TICKS_PER_US), (int)(ratio10 / 10), (int)(ratio10 % 10));
      printf("data ipc.copy_%s %d %d\n", mode_name[mode], n, (int)(copy / TICKS_PER_US));
      printf("data ipc.cow_%s %d %d\n", mode_name[mode], n, (int)(cow / TICKS_PER_US));
    }
  }
  *(int *)s[0] = sizeof(int);
  send(server, s[0], sizeof(int), r, sizeof(int)); // stops the server
}

#define SMALL 64
#define SMALL_ROUNDS 2000

// Read exactly n bytes (a pipe may hand over a write in pieces).
static int read_full(int fd, char *buf, int n) {
  int got = 0, k;
  while (got < n && (k = read(fd, buf + got, n - got)) > 0)
    got += k;
  return got;
}

// The pipe echo: 64 bytes back for every 64 that come, until EOF.
static int pipe_server(int there[2], int back[2]) {
  int child = fork();
  if (child == 0) {
    char buf[SMALL];
    close(there[1]); // so that the parent's close ends the loop
    close(back[0]);
    while (read_full(there[0], buf, SMALL) == SMALL)
      write(back[1], buf, SMALL);
    exit(0);
  }
  close(there[0]);
  close(back[1]);
  return child;
}

// The IPC echo: every message answered with itself, until one says 'q'.
static int ipc_server(void) {
  int child = fork();
  if (child == 0) {
    char buf[SMALL];
    for (;;) {
      int id = recv(buf, SMALL);
      if (id < 0 || reply(id, buf, SMALL) < 0)
        exit(1);
      if (buf[0] == 'q')
        exit(0);
    }
  }
  return child;
}

// ns per round trip of SMALL_ROUNDS: through the pipes, or with send.
static uint64 small_round_trips(int via_pipe, int *fds, int server) {
  static char s[SMALL], r[SMALL];
  uint64 t0 = now();
  for (int i = 0; i < SMALL_ROUNDS; i++) {
    if (via_pipe ? write(fds[0], s, SMALL) != SMALL || read_full(fds[1], r, SMALL) != SMALL
                 : send(server, s, SMALL, r, SMALL) != SMALL)
      die("a 64-byte round trip failed");
  }
  return (now() - t0) * (1000 / TICKS_PER_US) / SMALL_ROUNDS;
}

// Median ns per 64-byte round trip through pipes (t[0]) and IPC (t[1]),
// taking turns; both echo servers live throughout.
static void small_table(void) {
  int there[2], back[2];
  if (pipe(there) < 0 || pipe(back) < 0)
    die("pipe failed");
  int ps = pipe_server(there, back), is = ipc_server();
  if (ps < 0 || is < 0)
    die("fork failed");
  int fds[2] = {there[1], back[0]};
  uint64 v[2][REPS];
  for (int k = 0; k < REPS; k++)
    for (int via_pipe = 1; via_pipe >= 0; via_pipe--)
      v[!via_pipe][k] = small_round_trips(via_pipe, fds, is);
  close(there[1]);
  close(back[0]);
  static char q[SMALL] = "q";
  send(is, q, SMALL, q, SMALL);
  wait(0);
  wait(0);
  uint64 p = median(v[0], REPS), i = median(v[1], REPS);
  uint64 ratio100 = i ? p * 100 / i : 0;
  printf("\n64 bytes there and back, ns per round trip:\n");
  printf("pipe ping-pong   send + recv + reply   pipe/IPC\n");
  printf("%d   %d   %d.%02dx\n", (int)p, (int)i, (int)(ratio100 / 100), (int)(ratio100 % 100));
}

int main(int argc, char **argv) {
  int old = vmctl(VMCTL_IPC_COPY, 0);
  int server = fork();
  if (server < 0)
    die("fork failed");
  if (server == 0)
    echo_server();
  pages_table(server);
  wait(0);
  vmctl(VMCTL_IPC_COPY, old);
  small_table();
  exit(0);
}
