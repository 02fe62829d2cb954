// System calls of the VM subsystem (added by this kernel; see user/user.h):
//   freepages()        free frames now
//   memstat(&m)        counters and per-process RSS (kernel/memstat.h)
//   vmaudit()          invariant check (audit.c); violations, or -1
//   vmctl(knob, val)   set a knob of kernel/vmctl.h; returns the old value
//   dedup()            merge identical pages (dedup.c); frames freed, or -1
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/memstat.h"
#include "kernel/vmctl.h"
#include "kernel/vm/vm.h"

int vm_fork_copy;   // VMCTL_FORK_COPY: 1 = fork copies eagerly
int vm_ipc_copy;    // VMCTL_IPC_COPY: 1 = IPC copies instead of mapping
int vm_dedup_scope; // VMCTL_DEDUP_SCOPE: DEDUP_ALL, DEDUP_PROCESS or DEDUP_ZERO

// Boot: the VM subsystem's locks, and the swap device (disk 1, if any).
void vm_init(void) {
  rmap_init();
  reclaim_init();
  dedup_init();
  swap_init(virtio_disk_capacity(1) / (PGSIZE / 512));
  printf("swap: %d slots (%d MiB)\n", swap_slots(), swap_slots() / 256);
}

uint64 sys_freepages(void) { return freepages(); }

uint64 sys_vmaudit(void) { return vm_audit(); }

uint64 sys_dedup(void) { return dedup_scan(); }

// Set knob to value if it lies in [lo, hi]; returns the old value or -1.
static int set_knob(int *knob, int value, int lo, int hi) {
  if (value < lo || value > hi)
    return -1;
  return __atomic_exchange_n(knob, value, __ATOMIC_RELAXED);
}

uint64 sys_vmctl(void) {
  static int fail_alloc; // last value set; frame.c counts it down
  int knob, value;
  argint(0, &knob);
  argint(1, &value);
  switch (knob) {
  case VMCTL_FORK_COPY:
    return set_knob(&vm_fork_copy, value, 0, 1);
  case VMCTL_IPC_COPY:
    return set_knob(&vm_ipc_copy, value, 0, 1);
  case VMCTL_SWAP:
    return set_knob(&vm_swap_on, value, 0, 1);
  case VMCTL_DEDUP_SCOPE:
    return set_knob(&vm_dedup_scope, value, DEDUP_ALL, DEDUP_ZERO);
  case VMCTL_FAIL_ALLOC: {
    int old = set_knob(&fail_alloc, value, 0, 1 << 30);
    if (old >= 0)
      frame_fail_after(value);
    return old;
  }
  }
  return -1;
}

// Frame counts from one pass over the frame table. Unlocked: a snapshot
// that may be a little stale, which is all a statistic needs.
static void count_frames(struct memstat *m) {
  for (uint32 i = 0; i < frame_count(); i++) {
    struct frame *f = &frames[i];
    uint32 refs = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
    if (f->flags != 0)
      m->total_frames++;
    if ((f->flags & FRAME_USER) && refs > 1) {
      m->shared_frames++;
      m->saved_mappings += refs - 1;
      if (f->flags & FRAME_MERGED) {
        m->dedup_frames++;
        m->dedup_saved += refs - 1;
      }
    }
  }
  m->free_frames = freepages();
}

static void list_processes(struct memstat *m) {
  int n = 0;
  for (struct proc *p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if (p->state != UNUSED) {
      m->procs[n].pid = p->pid;
      m->procs[n].rss = p->rss;
      m->procs[n].swapped = p->swapped;
      safestrcpy(m->procs[n].name, p->name, sizeof(m->procs[n].name));
      n++;
    }
    release(&p->lock);
  }
}

uint64 sys_memstat(void) {
  uint64 addr;
  argaddr(0, &addr);
  // struct memstat is about 1.6 KiB: too big for the kernel stack.
  _Static_assert(sizeof(struct memstat) <= PGSIZE, "memstat fits a page");
  struct memstat *m = kalloc();
  if (m == 0)
    return -1;
  memset(m, 0, sizeof(*m));
  count_frames(m);
  m->cow_faults = vmstats.cow_faults;
  m->cow_copies = vmstats.cow_copies;
  m->cow_reuses = vmstats.cow_reuses;
  m->cow_gives = vmstats.cow_gives;
  m->dedup_scans = vmstats.dedup_scans;
  m->dedup_merges = vmstats.dedup_merges;
  m->dedup_cow_breaks = vmstats.dedup_cow_breaks;
  m->swap_outs = vmstats.swap_outs;
  m->swap_ins = vmstats.swap_ins;
  m->swap_slots_used = swap_slots_used();
  m->swap_slots = swap_slots();
  m->swap_cached = swap_cached();
  m->swap_cache_hits = vmstats.swap_cache_hits;
  m->reclaim_scans = vmstats.reclaim_scans;
  list_processes(m);
  int r = copyout(myproc()->pagetable, addr, (char *)m, sizeof(*m));
  krelease(m);
  return r;
}
