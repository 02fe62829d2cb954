// vmmap [pid ...]: draw the address space of each process (all of them if
// no pid is given) as a map with one character per page, 64 pages a line,
// from vmquery() (kernel/vmquery.h), then count the pages per state and
// what sharing saves. A line equal to the one above it is drawn as "*".
//
// "Sharing saves": each resident page costs this process 1/k of a frame
// when k address spaces map it (its proportional share, Linux's PSS);
// the difference from one frame per resident page is what sharing saves.
// Sharers are counted up to 15 (vmquery's limit), so this is a lower bound.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "kernel/vmquery.h"
#include "user/user.h"
#include "user/checked.h"

#define PER_LINE 64
#define CHUNK 4096 // pages per vmquery call

static char states[CHUNK];
static struct memstat ms;

// One character per state; read-only pages shared with others are 'R'.
static const char glyph[VMQ_NSTATES] = {' ', '.', 'g', 'p', 'r', 'c', 'm', 'z', 'S', 's'};

struct totals {
  int pages[VMQ_NSTATES];
  int shared;   // resident pages with more than one sharer
  uint64 share; // sum of 10000 / sharers over resident pages
};

static int resident(int state) { return state >= VMQ_PRIVATE && state <= VMQ_ZERO; }

static char page_char(char b) {
  int s = VMQ_STATE(b);
  if (s >= VMQ_NSTATES)
    return '?';
  return s == VMQ_READONLY && VMQ_SHARERS(b) > 1 ? 'R' : glyph[s];
}

static void count(struct totals *t, char b) {
  int s = VMQ_STATE(b), k = VMQ_SHARERS(b);
  if (s >= VMQ_NSTATES)
    return;
  t->pages[s]++;
  if (resident(s) && k > 0) {
    t->shared += k > 1;
    t->share += 10000 / k;
  }
}

// Print one line of the map, or "*" if it repeats the previous one.
static void map_line(uint64 va, char *line, char *prev, int *starred) {
  if (prev[0] && memcmp(line, prev, PER_LINE) == 0) {
    if (!*starred)
      printf("*\n");
    *starred = 1;
    return;
  }
  *starred = 0;
  memmove(prev, line, PER_LINE);
  char out[PER_LINE + PER_LINE / 16 + 1], *o = out;
  for (int i = 0; i < PER_LINE; i++) {
    if (i % 16 == 0)
      *o++ = ' '; // a gap every 16 pages
    *o++ = line[i];
  }
  while (o > out && o[-1] == ' ')
    o--; // pages past the end are blank anyway
  *o = 0;
  printf("%8lx %s\n", va, out);
}

static void hundredths(uint64 x) { printf("%ld.%ld%ld", x / 100, x / 10 % 10, x % 10); }

static void print_totals(struct totals *t) {
  int *n = t->pages, res = 0;
  for (int s = 0; s < VMQ_NSTATES; s++)
    res += resident(s) ? n[s] : 0;
  printf("resident %d pages: %d private, %d read-only, %d COW-shared, %d merged, %d zero frame\n",
         res, n[VMQ_PRIVATE], n[VMQ_READONLY], n[VMQ_COW], n[VMQ_MERGED], n[VMQ_ZERO]);
  printf("not resident: %d lazy, %d guard, %d swapped (%d on disk, %d in the swap cache)\n",
         n[VMQ_LAZY], n[VMQ_GUARD], n[VMQ_SWAPPED] + n[VMQ_SWAPCACHE], n[VMQ_SWAPPED],
         n[VMQ_SWAPCACHE]);
  printf("shared: %d pages; this process's share of its frames is ", t->shared);
  hundredths(t->share / 100);
  printf(", so sharing saves ");
  hundredths(((uint64)res * 10000 - t->share) / 100);
  printf(" frames\n");
}

static char *name_of(int pid) {
  for (int i = 0; i < NPROC; i++)
    if (ms.procs[i].pid == pid)
      return ms.procs[i].name;
  return "?";
}

// Draw the map of pid; returns -1 if there is no such process.
static int draw(int pid) {
  static char line[PER_LINE], prev[PER_LINE];
  struct totals t = {0};
  int size = vmquery(pid, 0, 1, states), starred = 0;
  if (size < 0)
    return -1;
  printf("pid %d (%s): %d pages, %d KiB\n", pid, name_of(pid), size, size * (PGSIZE / 1024));
  prev[0] = 0;
  for (int first = 0; first < size; first += CHUNK) {
    int n = size - first < CHUNK ? size - first : CHUNK;
    if (vmquery(pid, (uint64)first * PGSIZE, n, states) < 0)
      return -1; // it exited meanwhile
    for (int i = 0; i < n; i++) {
      count(&t, states[i]);
      int col = (first + i) % PER_LINE;
      line[col] = page_char(states[i]);
      if (col == PER_LINE - 1 || first + i == size - 1) {
        memset(line + col + 1, ' ', PER_LINE - col - 1);
        map_line((uint64)(first + i - col) * PGSIZE, line, prev, &starred);
      }
    }
  }
  print_totals(&t);
  return 0;
}

static void legend(void) {
  printf("legend: r read-only  R read-only, shared  p private  c COW-shared  m merged by dedup\n"
         "        z zero frame  . lazy (not touched)  g guard  S on disk  s in the swap cache\n");
}

int main(int argc, char **argv) {
  if (memstat(&ms) < 0) {
    fprintf(2, "vmmap: memstat failed\n");
    exit(1);
  }
  int bad = 0, drawn = 0;
  for (int i = 1; i < argc; i++) {
    if (draw(atoi(argv[i])) == 0) {
      drawn++;
    } else {
      fprintf(2, "vmmap: no process %s\n", argv[i]);
      bad = 1;
    }
  }
  for (int i = 0; argc == 1 && i < NPROC; i++)
    if (ms.procs[i].pid != 0 && draw(ms.procs[i].pid) == 0)
      drawn++;
  if (drawn)
    legend();
  exit(bad);
}
