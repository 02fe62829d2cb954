// soak: many kinds of load at once, for a long time, every byte checked.
//
//   soak [SEED [SECONDS]]          default: seed 1, 60 s
//
// Each load of loads[] below runs in its own process (on 3 harts they
// overlap for real) and repeats rounds until the time is up:
//   fork    fork; the child checks every byte it inherited, overwrites it
//           all and checks again; the parent then checks its own bytes
//   exec    fork + exec of this program in --exec-check mode, which checks
//           its arguments, data, bss and fresh heap
//   sbrk    grow (eagerly and lazily), fill, touch lazy pages, shrink;
//           memory grown again after a shrink must read as zero
//   dedup   pages with equal content and zero pages; dedup(); check;
//           write some (copy-on-write breaks of merged pages); check
//   pipe    a child streams seeded bytes in random chunks; every byte read
//           is checked
//   file    write a file in random chunks, read it back, check, unlink
//   audit   vmaudit() must find nothing, several times a second
//   swap    a region larger than RAM (plus what the others use) whose
//           pages each hold a seeded pattern of their own generation: a
//           round rewrites or checks a random window, so pages of every
//           load go to swap and come back
//   ipc     a child receives a message (random length and offsets, page
//           aligned or not, so whole pages are shared or bytes copied) and
//           replies with every byte changed; both sides check
// Besides its own work, every load keeps REGION pages filled with a
// seeded pattern and checks all of them every round, so memory corrupted
// by any load (or by the kernel) is found by its owner. The testlib
// runner then checks that every frame came back and vmaudit() is clean;
// the test driver runs fsck.
//
// Adding a load: write `static void load_x(struct load *l)`
// doing one round (call soak_fail() on a wrong byte; l->rng is its own
// random stream) and add {load_x, "x"} to loads[]. A round should take
// well under a second so that the run ends on time.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/fcntl.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define REGION 16        // pages each load keeps checking
#define MAX_GROW 512     // pages the sbrk load grows by at most
#define DEDUP_PAGES 64   // pages of the dedup load
#define STREAM 20000     // bytes per pipe round
#define FILE_BYTES 12000 // bytes per file round
#define SWAP_WINDOW 256  // pages the swap load touches per round
#define IPC_MAX (24 * PGSIZE)
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct load {
  void (*round)(struct load *l);
  char *name;
  // Filled in by the runner:
  int index;
  uint64 rng;
  long rounds;
  char *region; // REGION pages of pattern(region_seed)
  uint region_seed;
};

static uint seed = 1;
static int seconds = 60;
static char buf[16384];

static uint64 next(struct load *l) {
  l->rng ^= l->rng << 13;
  l->rng ^= l->rng >> 7;
  l->rng ^= l->rng << 17;
  return l->rng;
}

static int pick(struct load *l, int n) { return next(l) % n; }

// What memory looked like when a load failed: a failure for want of
// memory (fork, dedup() or vmaudit() returning -1) reads differently with
// RAM and swap full than with both half empty.
static void print_memory(void) {
  static struct memstat m;
  if (memstat(&m) == 0)
    printf("soak: %d of %d frames free, %d of %d swap slots used, %d cached\n",
           (int)m.free_frames, (int)m.total_frames, (int)m.swap_slots_used, (int)m.swap_slots,
           (int)m.swap_cached);
}

static void soak_fail(struct load *l, char *what, int at) {
  print_memory();
  fail("seed %u load %s round %ld: %s (byte %d)", seed, l->name, l->rounds, what, at);
}

static void check_bytes(struct load *l, void *p, int n, uint s, char *what) {
  int bad = check_fill(p, n, s);
  if (bad >= 0)
    soak_fail(l, what, bad);
}

// The first byte of p[0..n) that is not zero, or -1.
static int nonzero(char *p, int n) {
  for (int i = 0; i < n; i++)
    if (p[i])
      return i;
  return -1;
}

static void check_region(struct load *l, char *when) {
  check_bytes(l, l->region, REGION * PGSIZE, l->region_seed, when);
}

static void refill_region(struct load *l) {
  l->region_seed = next(l);
  fill(l->region, REGION * PGSIZE, l->region_seed);
}

// ---------------------------------------------------------------- loads

static void load_fork(struct load *l) {
  refill_region(l);
  int pid = xfork();
  if (pid == 0) {
    check_region(l, "child: inherited memory");
    refill_region(l);
    check_region(l, "child: its own writes");
    exit(0);
  }
  if (wait_pid(pid) != 0)
    soak_fail(l, "fork child failed", 0);
  check_region(l, "parent after the child wrote");
}

static void load_exec(struct load *l) {
  char arg[16];
  uint s = next(l);
  tl_snprintf(arg, sizeof(arg), "%u", s);
  int pid = xfork();
  if (pid == 0) {
    char *argv[] = {"soak", "--exec-check", arg, 0};
    exec("/soak", argv);
    fail("exec /soak failed");
  }
  if (wait_pid(pid) != 0)
    soak_fail(l, "exec'd program found its image wrong", 0);
}

// What exec's check mode finds: initialized data and zeroed bss.
static uint64 data_words[32] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
static char bss_pages[2 * PGSIZE];

static int exec_check(int argc, char **argv) {
  if (argc != 3 || argv[3] != 0)
    return 1;
  uint s = atoi(argv[2]);
  if (data_words[9] != 89 || data_words[10] != 0 || r_sp() % 16 != 0)
    return 2;
  if (nonzero(bss_pages, sizeof(bss_pages)) >= 0)
    return 3;
  char *p = sbrk(4 * PGSIZE);
  if (p == SBRK_ERROR)
    return 4;
  if (nonzero(p, 4 * PGSIZE) >= 0)
    return 5;
  fill(p, 4 * PGSIZE, s);
  fill(bss_pages, sizeof(bss_pages), s + 1);
  return check_fill(p, 4 * PGSIZE, s) < 0 && check_fill(bss_pages, sizeof(bss_pages), s + 1) < 0
             ? 0
             : 6;
}

static void load_sbrk(struct load *l) {
  int eager = pick(l, MAX_GROW) + 1, lazy = pick(l, MAX_GROW) + 1;
  uint s = next(l);
  char *a = sbrk(eager * PGSIZE);
  if (a == SBRK_ERROR)
    soak_fail(l, "sbrk failed", 0);
  int bad = nonzero(a, eager * PGSIZE); // also where a shrink left bytes
  if (bad >= 0)
    soak_fail(l, "fresh eager page not zero", bad);
  fill(a, eager * PGSIZE, s);
  char *z = sbrklazy(lazy * PGSIZE);
  if (z == SBRK_ERROR)
    soak_fail(l, "sbrklazy failed", 0);
  for (int k = 0; k < 16; k++) { // some lazy pages: zero when first read
    int page = pick(l, lazy);
    if (z[page * PGSIZE + pick(l, PGSIZE)] != 0)
      soak_fail(l, "lazy page not zero", page);
    z[page * PGSIZE] = 1;
    z[page * PGSIZE] = 0;
  }
  check_bytes(l, a, eager * PGSIZE, s, "eager pages after lazy growth");
  int keep = pick(l, eager + 1);
  sbrk(-(lazy + eager - keep) * PGSIZE);
  check_bytes(l, a, keep * PGSIZE, s, "pages kept after a shrink");
  sbrk(-keep * PGSIZE);
}

static void load_dedup(struct load *l) {
  static char *pages;
  if (pages == 0 && (pages = sbrk(DEDUP_PAGES * PGSIZE)) == SBRK_ERROR)
    soak_fail(l, "sbrk failed", 0);
  uint s = next(l);
  // Page i holds pattern s + i % 4, or zeros when i % 8 == 7.
  for (int i = 0; i < DEDUP_PAGES; i++) {
    if (i % 8 == 7)
      memset(pages + i * PGSIZE, 0, PGSIZE);
    else
      fill(pages + i * PGSIZE, PGSIZE, s + i % 4);
  }
  if (dedup() < 0)
    soak_fail(l, "dedup failed", 0);
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < DEDUP_PAGES; i++) {
      char *p = pages + i * PGSIZE;
      if (i % 8 == 7 && nonzero(p, PGSIZE) >= 0)
        soak_fail(l, "merged zero page not zero", i);
      if (i % 8 != 7)
        check_bytes(l, p, PGSIZE, s + i % 4, "merged page");
    }
    for (int i = 1; i < DEDUP_PAGES; i += 3) // COW breaks of merged pages
      if (i % 8 != 7)
        fill(pages + i * PGSIZE, PGSIZE, s + i % 4);
  }
}

static void load_pipe(struct load *l) {
  int p[2];
  uint s = next(l);
  if (pipe(p) < 0)
    soak_fail(l, "pipe failed", 0);
  int pid = xfork();
  if (pid == 0) {
    close(p[0]);
    fill(buf, STREAM, s);
    for (int done = 0, n; done < STREAM; done += n) {
      n = 1 + pick(l, 3000);
      n = n > STREAM - done ? STREAM - done : n;
      if (write(p[1], buf + done, n) != n)
        fail("pipe write failed");
    }
    exit(0);
  }
  close(p[1]);
  static char got[STREAM + 1];
  int total = 0, n = 1;
  while (total < STREAM && (n = read(p[0], got + total, 1 + pick(l, STREAM - total))) > 0)
    total += n;
  if (n > 0 && read(p[0], got + total, 1) != 0) // no byte more
    soak_fail(l, "pipe stream too long", total);
  close(p[0]);
  if (wait_pid(pid) != 0 || total != STREAM)
    soak_fail(l, "pipe stream short", total);
  check_bytes(l, got, STREAM, s, "pipe stream");
}

static void load_file(struct load *l) {
  char name[16];
  uint s = next(l);
  tl_snprintf(name, sizeof(name), "sk_file%d", l->index);
  unlink(name);
  int fd = open(name, O_CREATE | O_WRONLY);
  if (fd < 0)
    soak_fail(l, "create failed", 0);
  fill(buf, FILE_BYTES, s);
  for (int done = 0, n; done < FILE_BYTES; done += n) {
    n = 1 + pick(l, 4000);
    n = n > FILE_BYTES - done ? FILE_BYTES - done : n;
    if (write(fd, buf + done, n) != n)
      soak_fail(l, "file write failed", done);
  }
  close(fd);
  memset(buf, 0, FILE_BYTES);
  if ((fd = open(name, O_RDONLY)) < 0)
    soak_fail(l, "open failed", 0);
  int total = 0, n;
  while ((n = read(fd, buf + total, 1 + pick(l, 4000))) > 0)
    total += n;
  close(fd);
  if (total != FILE_BYTES)
    soak_fail(l, "file length", total);
  check_bytes(l, buf, FILE_BYTES, s, "file content");
  unlink(name);
}

static void load_audit(struct load *l) {
  int v = vmaudit();
  if (v != 0)
    soak_fail(l, "vmaudit found violations", v);
  sleep(2);
}

// The swap load's region: 1.1 x RAM, filled on first touch; gen[i] is
// the generation page i holds (0: not touched yet, still zero).
static char *swap_region;
static int swap_pages;
static ushort *swap_gen;

static uint page_seed(int page, int gen) { return seed * 2654435761u + page * 40503u + gen; }

static void load_swap(struct load *l) {
  if (swap_region == 0) {
    static struct memstat m;
    if (memstat(&m) < 0 || m.swap_slots == 0) { // no swap disk: nothing to do
      sleep(10);
      return;
    }
    swap_pages = m.total_frames * 11 / 10;
    swap_region = sbrklazy(swap_pages * PGSIZE);
    swap_gen = malloc(swap_pages * sizeof(ushort));
    if (swap_region == SBRK_ERROR || swap_gen == 0)
      soak_fail(l, "swap region: no memory", 0);
    memset(swap_gen, 0, swap_pages * sizeof(ushort));
  }
  int start = pick(l, swap_pages - SWAP_WINDOW), write = pick(l, 2);
  for (int i = start; i < start + SWAP_WINDOW; i++) {
    char *page = swap_region + (uint64)i * PGSIZE;
    if (swap_gen[i] == 0 ? nonzero(page, PGSIZE) >= 0
                         : check_fill(page, PGSIZE, page_seed(i, swap_gen[i])) >= 0)
      soak_fail(l, "a page came back from swap wrong", i);
    if (write) {
      swap_gen[i]++;
      fill(page, PGSIZE, page_seed(i, swap_gen[i]));
    }
  }
}

static char ipc_out[IPC_MAX + PGSIZE], ipc_in[IPC_MAX + PGSIZE];

// One exchange with a fresh child: the message has a random length and
// offset; the server's buffer has the same page offset half of the time
// (whole pages shared), another otherwise (bytes copied).
static void load_ipc(struct load *l) {
  int len = pick(l, IPC_MAX) + 1, off = pick(l, PGSIZE), same = pick(l, 2);
  uint s = next(l);
  char *out = (char *)PGROUNDUP((uint64)ipc_out) + off; // message, and reply buffer
  int pid = xfork();
  if (pid == 0) {
    char *in = (char *)PGROUNDUP((uint64)ipc_in) + (same ? off : (off + 8) % PGSIZE);
    int from = recv(in, IPC_MAX);
    if (from != getppid() || check_fill(in, len, s) >= 0)
      exit(1);
    for (int i = 0; i < len; i++)
      in[i] ^= 0x5a;
    exit(reply(from, in, len) == 0 ? 0 : 1);
  }
  fill(out, len, s);
  int got = send(pid, out, len, out, IPC_MAX);
  if (got != len)
    soak_fail(l, "send did not get the whole reply", got);
  for (int i = 0; i < len; i++) // the reply: every byte of the message changed
    out[i] ^= 0x5a;
  check_bytes(l, out, len, s, "ipc reply");
  if (wait_pid(pid) != 0)
    soak_fail(l, "ipc server failed", 0);
}

static struct load loads[] = {
    {load_fork, "fork"}, {load_exec, "exec"}, {load_sbrk, "sbrk"},   {load_dedup, "dedup"},
    {load_pipe, "pipe"}, {load_file, "file"}, {load_audit, "audit"}, {load_swap, "swap"},
    {load_ipc, "ipc"},
};

// ---------------------------------------------------------------- runner

static void run_load(struct load *l, int until) {
  l->rng = ((uint64)seed << 32 | l->index) * 0x2545f4914f6cdd1dUL + 7;
  l->region = sbrk(REGION * PGSIZE);
  if (l->region == SBRK_ERROR)
    fail("load %s: sbrk failed", l->name);
  refill_region(l);
  while (uptime() < until) {
    l->round(l);
    check_region(l, "own region");
    if (l->rounds++ % 4 == 0)
      refill_region(l);
  }
  say("soak: %s: %ld rounds", l->name, l->rounds);
  exit(0);
}

static void t_soak(char *tn) {
  say("soak: seed %u, %d s, %d loads (replay: soak %u %d)", seed, seconds, NELEM(loads), seed,
      seconds);
  int until = uptime() + seconds * 10, pids[NELEM(loads)];
  for (int i = 0; i < NELEM(loads); i++) {
    loads[i].index = i;
    if ((pids[i] = xfork()) == 0)
      run_load(&loads[i], until);
  }
  int failed = -1;
  for (int n = 0; n < NELEM(loads); n++) {
    int status, pid = wait(&status);
    for (int i = 0; i < NELEM(loads); i++)
      if (pid == pids[i] && status != 0 && failed < 0)
        failed = i;
  }
  if (failed >= 0)
    fail("seed %u: load %s failed", seed, loads[failed].name);
}

static struct test tests[] = {{t_soak, "soak", 1}, {0, 0, 0}};

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--exec-check") == 0)
    return exec_check(argc, argv);
  if (argc > 1)
    seed = atoi(argv[1]);
  if (argc > 2)
    seconds = atoi(argv[2]);
  if (seconds < 1) {
    printf("usage: soak [SEED [SECONDS]]\n");
    return 1;
  }
  char *args[] = {argv[0], 0};
  return run_suite("soak", tests, 1, args);
}
