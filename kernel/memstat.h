// What memstat() reports: counters of the VM subsystem since boot, and the
// resident set of every process. Include kernel/types.h and
// kernel/param.h first.
#ifndef MEMSTAT_H
#define MEMSTAT_H

struct memstat_proc {
  int pid;     // 0: unused entry
  int rss;     // resident user pages
  int swapped; // user pages on the swap device
  char name[16];
};

struct memstat {
  // frames
  uint64 total_frames;   // frames managed by the frame table
  uint64 free_frames;    // on the free list now
  uint64 shared_frames;  // user frames mapped more than once now
  uint64 saved_mappings; // sum over shared frames of (mappings - 1)

  // copy-on-write
  uint64 cow_faults; // write faults (or kernel writes) on COW pages
  uint64 cow_copies; // ... resolved by copying the page
  uint64 cow_reuses; // ... resolved by making the only mapping writable
  uint64 cow_gives;  // ... of them, copies given to the other sharers (no flush)

  // deduplication
  uint64 dedup_scans;      // dedup() calls
  uint64 dedup_merges;     // pages remapped onto an identical frame
  uint64 dedup_frames;     // frames shared because of dedup, now
  uint64 dedup_saved;      // mappings those frames save, now
  uint64 dedup_cow_breaks; // COW copies of merged pages

  // swap
  uint64 swap_outs;       // pages written to the swap device
  uint64 swap_ins;        // pages read back
  uint64 swap_slots_used; // slots holding a page now
  uint64 swap_slots;      // slots on the device
  uint64 swap_cached;     // frames in the swap cache now (a slot's content)
  uint64 swap_cache_hits; // swap-ins that found the page in memory
  uint64 reclaim_scans;   // batches the reclaimer ran

  struct memstat_proc procs[NPROC];
};

#endif
