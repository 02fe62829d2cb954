// memstat: print the VM subsystem's counters (memstat() system call), one
// per line, then the resident set size of every process.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/checked.h"

static struct memstat m; // too big for a one-page stack

static void show(const char *name, uint64 value, const char *meaning) {
  printf("%-18s %8lu  %s\n", name, value, meaning);
}

static void show_counters(void) {
  show("total_frames", m.total_frames, "frames managed");
  show("free_frames", m.free_frames, "frames free now");
  show("shared_frames", m.shared_frames, "user frames mapped more than once");
  show("saved_mappings", m.saved_mappings, "frames that sharing saves now");
  show("cow_faults", m.cow_faults, "writes to copy-on-write pages");
  show("cow_copies", m.cow_copies, "... resolved by copying");
  show("cow_reuses", m.cow_reuses, "... resolved in place");
  show("cow_gives", m.cow_gives, "... copies given to the other sharers");
  show("dedup_scans", m.dedup_scans, "dedup() calls");
  show("dedup_merges", m.dedup_merges, "pages merged");
  show("dedup_frames", m.dedup_frames, "frames shared by dedup now");
  show("dedup_saved", m.dedup_saved, "frames dedup saves now");
  show("dedup_cow_breaks", m.dedup_cow_breaks, "copies of merged pages");
  show("swap_outs", m.swap_outs, "pages written to swap");
  show("swap_ins", m.swap_ins, "pages read from swap");
  show("swap_slots_used", m.swap_slots_used, "swap slots in use now");
  show("swap_slots", m.swap_slots, "swap slots in all");
  show("swap_cached", m.swap_cached, "frames in the swap cache now");
  show("swap_cache_hits", m.swap_cache_hits, "swap-ins found in memory");
  show("reclaim_scans", m.reclaim_scans, "batches the reclaimer ran");
}

static void show_processes(void) {
  printf("\n%5s %-16s %8s %8s\n", "pid", "name", "rss", "swapped");
  for (int i = 0; i < NPROC; i++) {
    struct memstat_proc *p = &m.procs[i];
    if (p->pid == 0)
      continue;
    char name[sizeof(p->name) + 1];
    memmove(name, p->name, sizeof(p->name));
    name[sizeof(p->name)] = 0; // do not trust the kernel to terminate it
    printf("%5d %-16s %8d %8d\n", p->pid, name, p->rss, p->swapped);
  }
}

int main(void) {
  if (memstat(&m) < 0) {
    fprintf(2, "memstat: memstat() failed\n");
    return 1;
  }
  show_counters();
  show_processes();
  return 0;
}
