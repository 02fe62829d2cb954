// The lock-order checker of LOCKCHECK builds (interface: lockcheck.h).
// Linux's lockdep is the model, reduced to a table of class pairs.
//
// - Classes. Every lock belongs to the class of its name: all p->vmlock
//   are one class, all buffer locks another, and so on (at most NCLASS).
// - Held sets. A spinlock is held by a hart (interrupts stay off while
//   one is held, so its holder cannot move), a sleep lock by a process.
//   What is held when a lock is taken is this hart's spinlocks and, in
//   process context, the process's sleep locks; an interrupt handler
//   (lockcheck_irq) has only the hart's.
// - Edges. Taking a lock of class B while holding one of class A records
//   the edge A -> B with its first occurrence (who, where, holding what).
//   reach[] is the transitive closure of the edges, so a new edge A -> B
//   whose B already reaches A closes a cycle: an inversion. It is reported
//   with the held set of now and the first occurrence of every edge on
//   the way back from B to A, then the kernel panics. This happens the
//   first time the wrong order runs, whether or not anybody else holds the
//   other lock at that moment: before any deadlock.
// - Several locks of one class. vmlock: allowed in increasing address
//   order (= proc-table order, vm.h), an inversion otherwise. buffer and
//   inode: any order (the file system orders them by its own rules, parent
//   directory before entry, log block before home block). Any other
//   class: holding two is reported.
// - A try-acquire records no edge (it never waits), but the lock it takes
//   is held like any other. So does acquiresleep() with a spinlock held
//   (iput does that with a lock nobody else can hold): it cannot wait
//   either, since sleeping with a spinlock held panics in leave() (sched.c).
// - A sleep lock taken in an interrupt handler or the scheduler is
//   reported; so is releasing a lock not held.
// Once a report starts, checking stops: printing takes locks too.
//
// Locking: the graph (classes, edges, records) changes under `guard`, a
// bare test-and-set flag taken with interrupts off; edges are only ever
// added, so the fast path reads direct[] without it. A hart's held set is
// touched only by that hart with interrupts off, a process's only by the
// process.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/lockcheck.h"

#ifdef LOCKCHECK // the whole file: the normal kernel carries none of it

#define NCLASS 64
#define MAXHELD (NPROC + 8) // dedup and vmaudit hold every vmlock at once
#define NRECORD 512         // first occurrences kept (later edges: no details)
#define RECORD_HELD 6       // distinct classes kept per occurrence

enum { NEST_NONE, NEST_ADDRESS, NEST_ANY };
static const struct {
  char *name;
  int nest;
} nesting[] = {{"vmlock", NEST_ADDRESS}, {"buf", NEST_ANY}, {"inode", NEST_ANY}};

struct held {
  void *lk;
  uint64 pc; // where it was taken
  uchar class;
};

struct heldset {
  int pid; // a sleep set's process: another pid in the slot starts afresh
  int n;
  uint64 mask; // classes with count > 0
  uchar count[NCLASS];
  struct held e[MAXHELD];
};

// The first occurrence of an edge: pid took a lock of the edge's second
// class at pc, holding these classes (each with the pc of its last lock).
struct record {
  int pid, nheld;
  char name[16];
  uint64 pc;
  uchar hclass[RECORD_HELD];
  uint64 hpc[RECORD_HELD];
};

static uint guard;
static int off; // a report is being printed
static int announced;

static char *names[NCLASS];
static uchar nest[NCLASS];
static int nclass;
static uint64 direct[NCLASS];        // bit b of direct[a]: edge a -> b
static uint64 reach[NCLASS];         // bit b of reach[a]: a path a -> ... -> b
static ushort first[NCLASS][NCLASS]; // record index + 1, or 0
static struct record records[NRECORD];
static int nrecords;

static struct heldset spins[NCPU], sleeps[NPROC];
static int irq_depth[NCPU];

static void lock_graph(void) {
  push_off();
  while (__atomic_exchange_n(&guard, 1, __ATOMIC_ACQUIRE))
    ;
}

static void unlock_graph(void) {
  __atomic_store_n(&guard, 0, __ATOMIC_RELEASE);
  pop_off();
}

int lockcheck_class(char *name) {
  lock_graph();
  int c;
  for (c = 0; c < nclass; c++)
    if (strncmp(names[c], name, 64) == 0)
      break;
  if (c == NCLASS) {
    unlock_graph();
    panic("lockcheck: more than NCLASS lock classes");
  }
  if (c == nclass) {
    names[c] = name;
    for (int i = 0; i < NELEM(nesting); i++)
      if (strncmp(nesting[i].name, name, 64) == 0)
        nest[c] = nesting[i].nest;
    nclass++;
  }
  unlock_graph();
  return c;
}

// ---------------------------------------------------------------- held sets

// Call with interrupts off.
static struct heldset *spin_set(void) { return &spins[cpuid()]; }

// The running process's sleep locks; 0 in the scheduler or an interrupt
// handler. Call with interrupts off.
static struct heldset *sleep_set(void) {
  struct proc *p = myproc();
  if (p == 0 || irq_depth[cpuid()] > 0)
    return 0;
  struct heldset *s = &sleeps[p - proc];
  if (s->pid != p->pid) {
    if (s->n > 0)
      printf("lockcheck: pid %d exited holding %s\n", s->pid, names[s->e[0].class]);
    memset(s, 0, sizeof(*s));
    s->pid = p->pid;
  }
  return s;
}

static void push(struct heldset *s, void *lk, int class, uint64 pc) {
  if (s->n == MAXHELD)
    panic("lockcheck: too many locks held");
  s->e[s->n++] = (struct held){lk, pc, class};
  s->count[class]++;
  s->mask |= 1UL << class;
}

static int pop(struct heldset *s, void *lk) {
  int i = s->n - 1;
  while (i >= 0 && s->e[i].lk != lk)
    i--;
  if (i < 0)
    return -1;
  int class = s->e[i].class;
  for (; i + 1 < s->n; i++)
    s->e[i] = s->e[i + 1];
  s->n--;
  if (--s->count[class] == 0)
    s->mask &= ~(1UL << class);
  return 0;
}

// ---------------------------------------------------------------- reports

static void print_set(struct heldset *s) {
  for (int c = 0; s && c < nclass; c++) {
    if (s->count[c] == 0)
      continue;
    uint64 pc = 0;
    for (int i = 0; i < s->n; i++)
      if (s->e[i].class == c)
        pc = s->e[i].pc;
    printf("      %s x%d (last taken at pc %p)\n", names[c], s->count[c], (void *)pc);
  }
}

static void print_record(int a, int b) {
  printf("    %s -> %s: ", names[a], names[b]);
  if (first[a][b] == 0) {
    printf("(no details kept)\n");
    return;
  }
  struct record *r = &records[first[a][b] - 1];
  printf("pid %d (%s) took %s at pc %p, holding:\n", r->pid, r->name, names[b], (void *)r->pc);
  for (int i = 0; i < r->nheld; i++)
    printf("      %s (at pc %p)\n", names[r->hclass[i]], (void *)r->hpc[i]);
}

// Print the edges of a shortest path from -> ... -> to (one exists).
static void print_path(int from, int to) {
  int prev[NCLASS], queue[NCLASS], head = 0, tail = 0;
  for (int c = 0; c < NCLASS; c++)
    prev[c] = -1;
  prev[from] = from;
  queue[tail++] = from;
  while (head < tail && prev[to] < 0) {
    int x = queue[head++];
    for (int y = 0; y < nclass; y++)
      if ((direct[x] >> y & 1) && prev[y] < 0) {
        prev[y] = x;
        queue[tail++] = y;
      }
  }
  int path[NCLASS], n = 0;
  for (int c = to; c != from && n < NCLASS; c = prev[c])
    path[n++] = c;
  for (int c = from; n > 0; c = path[--n])
    print_record(c, path[n - 1]);
}

static void report_start(char *what, int class, uint64 pc) {
  off = 1;
  struct proc *p = myproc();
  printf("lockcheck: %s\n", what);
  printf("  pid %d (%s) on hart %d takes %s at pc %p, holding:\n", p ? p->pid : 0,
         p ? p->name : "scheduler", cpuid(), names[class], (void *)pc);
  print_set(spin_set());
  print_set(sleep_set());
}

static void inversion(int a, int b, uint64 pc) {
  report_start("lock order inversion", b, pc);
  printf("  the reverse order, first seen:\n");
  print_path(b, a);
  panic("lockcheck: lock order inversion");
}

// ---------------------------------------------------------------- edges

static void fill_record(struct record *r, struct heldset **sets, uint64 pc) {
  struct proc *p = myproc();
  r->pid = p ? p->pid : 0;
  safestrcpy(r->name, p ? p->name : "scheduler", sizeof(r->name));
  r->pc = pc;
  for (int k = 0; k < 2; k++)
    for (int i = 0; sets[k] && i < sets[k]->n; i++) {
      int c = sets[k]->e[i].class, j = 0;
      while (j < r->nheld && r->hclass[j] != c)
        j++;
      if (j == RECORD_HELD)
        continue;
      r->hclass[j] = c;
      r->hpc[j] = sets[k]->e[i].pc;
      r->nheld += j == r->nheld;
    }
}

// Record the edges a -> b for every class a in from (not yet edges).
static void add_edges(uint64 from, int b, struct heldset **sets, uint64 pc) {
  lock_graph();
  for (int a = 0; a < nclass; a++) {
    if (!(from >> a & 1) || (direct[a] >> b & 1))
      continue;
    if (reach[b] >> a & 1) {
      unlock_graph();
      inversion(a, b, pc);
    }
    __atomic_fetch_or(&direct[a], 1UL << b, __ATOMIC_RELEASE);
    if (nrecords < NRECORD) {
      fill_record(&records[nrecords], sets, pc);
      first[a][b] = ++nrecords;
    }
    for (int x = 0; x < nclass; x++)
      if (x == a || (reach[x] >> a & 1))
        reach[x] |= (1UL << b) | reach[b];
  }
  unlock_graph();
}

// Another lock of a class already held: the nesting rules above.
static void check_nesting(struct heldset *s, void *lk, int class, uint64 pc) {
  if (s == 0 || s->count[class] == 0 || nest[class] == NEST_ANY)
    return;
  for (int i = 0; i < s->n; i++) {
    if (s->e[i].class != class)
      continue;
    if (nest[class] == NEST_NONE) {
      report_start("two locks of one class held", class, pc);
      panic("lockcheck: two locks of one class");
    }
    if ((uint64)s->e[i].lk >= (uint64)lk) {
      report_start("locks of one class taken out of address order", class, pc);
      printf("  %p is taken after %p\n", lk, s->e[i].lk);
      panic("lockcheck: out of order");
    }
  }
}

void lockcheck_acquire(void *lk, int class, int kind, uint64 pc) {
  if (off)
    return;
  push_off();
  struct heldset *sets[2] = {spin_set(), sleep_set()};
  if (kind == LC_SLEEP && sets[1] == 0) {
    report_start("sleep lock taken outside a process", class, pc);
    panic("lockcheck: sleep lock in an interrupt handler or the scheduler");
  }
  if (kind == LC_SLEEP && sets[0]->n > 0) {
    pop_off(); // cannot wait (see the top): a try-acquire
    return;
  }
  check_nesting(sets[0], lk, class, pc);
  check_nesting(sets[1], lk, class, pc);
  uint64 held = (sets[0]->mask | (sets[1] ? sets[1]->mask : 0)) & ~(1UL << class), missing = 0;
  for (int a = 0; a < nclass; a++)
    if ((held >> a & 1) && !(__atomic_load_n(&direct[a], __ATOMIC_ACQUIRE) >> class & 1))
      missing |= 1UL << a;
  if (missing)
    add_edges(missing, class, sets, pc);
  pop_off();
}

void lockcheck_held(void *lk, int class, int kind, uint64 pc) {
  if (off)
    return;
  if (!announced && kind == LC_SLEEP) {
    announced = 1; // the first sleep lock is taken by the first process
    printf("lockcheck: lock-order checking on\n");
  }
  push_off();
  struct heldset *s = kind == LC_SPIN ? spin_set() : sleep_set();
  if (s)
    push(s, lk, class, pc);
  pop_off();
}

void lockcheck_release(void *lk, int kind) {
  if (off)
    return;
  push_off();
  struct heldset *s = kind == LC_SPIN ? spin_set() : sleep_set();
  if (s && pop(s, lk) < 0) {
    off = 1;
    printf("lockcheck: %s lock %p released by a %s that does not hold it\n",
           kind == LC_SPIN ? "spin" : "sleep", lk, kind == LC_SPIN ? "hart" : "process");
    panic("lockcheck: release of a lock not held");
  }
  pop_off();
}

// Interrupts are off in a trap handler.
void lockcheck_irq(int delta) { irq_depth[cpuid()] += delta; }

#endif // LOCKCHECK
