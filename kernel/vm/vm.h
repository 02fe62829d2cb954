// The virtual-memory subsystem: its data structures, its lock order and its
// interface to the rest of the kernel. docs/vm.md tells the whole design.
//
// Files:
//   frame.c      the frame table: one record per physical frame, the free
//                list, kalloc/kretain/krelease
//   pagetable.c  Sv39 page tables: walk, mappages, the kernel half, leaf
//                tables shared by fork, TLB flushes
//   rmap.c       the reverse map: from a frame to the PTE slots mapping it,
//                and from a leaf table to the address spaces sharing it
//   uvm.c        user address spaces: grow, shrink, fork, exec, exit
//   usercopy.c   copyin, copyout, copyinstr
//   fault.c      the page-fault handler (case table at its top), COW breaks,
//                swap-in
//   swap.c       swap slots (reference counted) and the swap cache
//   reclaim.c    choosing victims (clock) and writing them to swap
//   dedup.c      dedup(): merging identical pages, the shared zero frame
//   audit.c      vmaudit(): checks the invariants below
//   sysvm.c      the VM system calls (freepages, memstat, vmaudit, vmctl,
//                dedup)
//   vmquery.c    vmquery(): the state of each page of an address space
//   ipc.c        copy-on-write IPC: moving a message between two address
//                spaces, sharing whole pages (kernel/ipc.c: rendezvous)
//
// Invariants (checked by vmaudit):
//   I1 A frame's reference count equals the user PTE slots that map it
//      plus the kernel's own references to it: the zero frame's one, and
//      the swap cache's one for a frame that caches a slot.
//   I2 No free frame is mapped; no mapped frame is on the free list.
//   I3 A PTE_COW PTE is never writable. A page that was read-only before
//      fork (text) never becomes writable: it never gets PTE_COW.
//   I4 Every user leaf PTE maps a frame marked FRAME_USER.
//   I5 A writable PTE maps a frame with exactly one reference (so a frame
//      in the swap cache is never mapped writable: it stays clean).
//   S1 A leaf table shared by several address spaces holds no writable PTE.
//   S2 A leaf table's references equal the level-1 entries naming it.
//   R1 Every valid user PTE is in the reverse map of the frame it maps, and
//      every reverse-map entry is a PTE mapping that frame; a leaf table's
//      reverse map holds exactly the level-1 entries naming it.
//   W1 A swap slot's count equals the swap PTEs naming it plus one if the
//      swap cache holds a frame for it; a slot with count 0 is free.
//   W2 A frame caches slot s exactly when the cache names it for s; a
//      cached frame that no PTE maps has a swap PTE naming its slot.
//
// Lock order, outermost first:
//   file-system sleep locks (inode, buffer)
//     => p->vmlock   (sleep lock, one per address space; a thread holding
//                     several takes them in proc-table order)
//       => reclaim.lock (sleep lock, reclaim.c; a reclaimer only TRIES the
//                     vmlocks of other address spaces, never waits for one)
//         => rmap_lock (spinlock, rmap.c)
//           => swap.lock (spinlock, swap.c)
//             => freelist.lock (spinlock, frame.c)
// A try never waits, so it orders nothing: a COW fault giving its copy
// away (fault.c) tries the sharers' vmlocks while it holds rmap_lock, and
// ^P's count of shared pages (vmquery.c) takes rmap_lock in the console's
// interrupt, where this hart holds no spinlock.
// Reference counts are atomic and need no lock (see frame.c). Disk I/O to
// the swap device happens with no spinlock held; a swap-in sleeps holding
// the faulting process's vmlock, which is allowed (only sleep locks are
// held).
#ifndef VM_H
#define VM_H

struct proc;

// Kinds of access, for vmfault() and the copy routines.
#define VM_READ 1
#define VM_WRITE 2
#define VM_EXEC 4

// A leaf PTE with PTE_V clear is not always empty:
//   0           nothing mapped; below p->sz the page is allocated,
//               zero-filled, on first touch (lazy sbrk)
//   PTE_GUARD   the guard page under the user stack: every access kills
//   swap PTE    the page is in swap slot SWAP_SLOT(pte): PTE_SWAP, the
//               page's PTE_R, PTE_X, PTE_U and PTE_COW bits, PTE_SWAP_MERGED
//               if dedup had merged its frame, and the slot number where a
//               valid PTE holds the frame number. A page that was writable
//               is stored as COW, so that coming back it is writable again
//               after one fault (fault.c).
#define PTE_GUARD PTE_SW1
#define PTE_SWAP (PTE_SW1 | PTE_U)
#define PTE_SWAP_MERGED PTE_D // (V clear: the hardware ignores it)
#define SWAP_KEEP (PTE_R | PTE_X | PTE_U | PTE_COW) // bits a swap PTE keeps
#define IS_SWAP_PTE(pte) (((pte) & (PTE_V | PTE_SWAP)) == PTE_SWAP)
#define SWAP_SLOT(pte) ((uint32)((pte) >> 10))
#define MAKE_SWAP_PTE(slot, pte) (((uint64)(slot) << 10) | ((pte)&SWAP_KEEP) | PTE_SWAP)

// ---------------------------------------------------------------- frame.c
#define NFRAMES ((PHYSTOP - KERNBASE) / PGSIZE)

// Per-frame metadata: 16 bytes for every 4096-byte frame (0.4% of RAM).
struct frame {
  uint32 refs;  // user PTEs + kernel references; 0 while free or reserved
  uint32 flags; // FRAME_* below; changed atomically while the frame is used
  union {
    uint32 rmap;  // user frame or leaf table: first PTE slot of its
                  // reverse map (rmap.c), or NO_PTSLOT
    uint32 owner; // root or level-1 table: 1 + proc[] index of its owner
    uint32 next;  // free frame: the next one on the free list
  };
  uint32 aux; // user frame: the swap slot it caches (swap.c), or NO_SLOT;
              // leaf or level-1 table: its reverse-map links page (rmap.c)
};

// A frame with no flag is reserved (firmware, kernel image) and never used.
#define FRAME_FREE 0x1     // on the free list
#define FRAME_KERNEL 0x2   // kernel data: page-table page, pipe, disk ring...
#define FRAME_USER 0x4     // user memory, mapped by user PTEs
#define FRAME_MERGED 0x8   // dedup mapped several identical pages onto it
#define FRAME_SEEN 0x10    // in the running dedup scan's table (dedup.c)
#define FRAME_NOWRITE 0x20 // a leaf table known to hold no writable PTE (uvm.c)
#define FRAME_BUSY 0x40    // swap I/O in flight or being chosen as a victim

#define NO_FRAME 0xffffffff
#define NO_SLOT 0xffffffff

extern struct frame frames[NFRAMES];

void frame_init(char *ram_start, char *free_start, char *ram_end);
void *frame_alloc(int flags);
struct frame *frame_of(void *kva);
void *frame_kva(struct frame *f);
uint32 frame_number(struct frame *f);
uint32 frame_count(void);
uint32 frame_refs(void *kva);
int frame_put(void *kva);
int frames_put(const uint32 *fnums, int n);
uint32 frame_unref(void *kva);
int frame_pin_user(struct frame *f);
void frame_free(void *kva);
int frame_is_free(struct frame *f);
int frame_check_freelist(void);
void frame_fail_after(int n);
void frame_set(struct frame *f, int flag);
void frame_clear(struct frame *f, int flag);
int frame_has(struct frame *f, int flag);

// ---------------------------------------------------------------- pagetable.c
extern pagetable_t kernel_pagetable;
void kvminit(void);
void kvminithart(void);
void kvm_switch_user(pagetable_t pt);
void kvm_switch_kernel(void);
void tlb_shootdown(void);
void tlb_flush_before_user(void);
uint64 running_procs(void);
pte_t *walk(pagetable_t pt, uint64 va, int alloc);
uint64 walkaddr(pagetable_t pt, uint64 va);
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm);
pagetable_t uvmcreate(struct proc *owner);
void uvmfree(pagetable_t pt);
pagetable_t pte_table(pte_t pte);
pte_t *walk_l1(pagetable_t pt, uint64 va);
void leaf_unlink(pte_t *l1e);
void leaf_free(pagetable_t leaf);
pagetable_t ptpage_alloc(int level, int owner);
void ptpage_free(pagetable_t t);
int page_release(void *kva);
void pte_release(pte_t *pte);

// ---------------------------------------------------------------- rmap.c
// A PTE slot: the frame number of the page-table page holding the PTE,
// shifted left 9, plus the PTE's index in it.
typedef uint32 ptslot;
#define NO_PTSLOT 0xffffffff
void rmap_init(void);
void rmap_lock(void);
void rmap_unlock(void);
ptslot ptslot_of(pte_t *pte);
pte_t *ptslot_pte(ptslot s);
void rmap_add(void *kva, pte_t *pte);
void rmap_del(void *kva, pte_t *pte);
void rmap_add_locked(void *kva, pte_t *pte);
void rmap_del_locked(void *kva, pte_t *pte);
ptslot rmap_first(void *kva);
ptslot rmap_next(ptslot s);
int rmap_count(void *kva);
int rmap_sharers(pagetable_t leaf, uint64 *mask);
void rmap_links_init(pagetable_t t);

// ---------------------------------------------------------------- uvm.c
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm);
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz);
int uvmcopy(pagetable_t old, pagetable_t new, int eager);
int uvmguard(pagetable_t pt, uint64 va);
void uvmcount(pagetable_t pt, int *resident, int *swapped);
int for_each_leaf_table(pagetable_t pt, int (*visit)(pte_t *leaf, uint64 va, void *arg), void *arg);
int vm_trylock_procs(uint64 mask, uint64 *taken);
void vm_unlock_procs(uint64 taken);
int vm_holds_procs(uint64 mask);
int vm_grow(struct proc *p, int n, int lazy);
int vm_fork(struct proc *parent, struct proc *child);
pagetable_t vm_exec_begin(struct proc *p);
int vm_exec_map(pagetable_t pt, uint64 va, void *page, int perm);
void vm_exec_commit(struct proc *p, pagetable_t pt, uint64 sz);
void vm_exec_abort(struct proc *p, pagetable_t pt);
void vm_exit(struct proc *p);

// ---------------------------------------------------------------- vmquery.c
void vm_shared_pages(int shared[NPROC]);

// ---------------------------------------------------------------- fault.c
// vmfault() results.
#define VM_OK 0     // resolved: retry the access
#define VM_BAD -1   // not a legal access: the process dies
#define VM_NOMEM -2 // legal, but no frame is left now (reclaim, then retry)
int vmfault(struct proc *p, uint64 va, int access);
int fault_locked(struct proc *p, uint64 va, int access);
int fault_retry(struct proc *p, uint64 va, int access);

// Counters since boot, for memstat(). Updated atomically.
struct vmstats {
  uint64 cow_faults;
  uint64 cow_copies;
  uint64 cow_reuses;
  uint64 cow_gives;
  uint64 dedup_scans;
  uint64 dedup_merges;
  uint64 dedup_cow_breaks;
  uint64 swap_outs;
  uint64 swap_ins;
  uint64 swap_cache_hits;
  uint64 reclaim_scans;
};
extern struct vmstats vmstats;
#define VMSTAT_INC(field) __atomic_fetch_add(&vmstats.field, 1, __ATOMIC_RELAXED)
#define VMSTAT_ADD(field, n) __atomic_fetch_add(&vmstats.field, (n), __ATOMIC_RELAXED)

// ---------------------------------------------------------------- swap.c
void swap_init(uint32 nslots);
uint32 swap_slots(void);
uint32 swap_slots_used(void);
uint32 swap_slots_free(void);
uint32 swap_cached(void);
void swap_dup(uint32 slot);
void swap_put(uint32 slot);
void swap_ref_add(uint32 slot, int n);
void *swap_read(uint32 slot);
uint32 swap_cache_new(void *kva, uint32 near);
int swap_cache_done(void *kva, int ok);
int swap_cache_drop(void *kva);
int swap_release_mapping(void *kva);
int swap_uncache_mapped(int want);
int swap_io(uint32 slot, void **pages, int n, int write);
uint32 swap_slot_refs(uint32 slot);
void *swap_slot_frame(uint32 slot);

// ---------------------------------------------------------------- reclaim.c
#define VM_RESERVE 64 // frames kept free for the kernel while swap is on
void reclaim_init(void);
void *upage_alloc(void);
void *kalloc_for_user(void);
int vm_reclaim(int want);
int vm_wait_for_memory(void);
void reclaim_pause(void);
void reclaim_resume(void);
extern int vm_swap_on; // VMCTL_SWAP

// ---------------------------------------------------------------- sysvm.c
void vm_init(void);
extern int vm_fork_copy;   // VMCTL_FORK_COPY
extern int vm_dedup_scope; // VMCTL_DEDUP_SCOPE

// ---------------------------------------------------------------- dedup.c
void dedup_init(void);
int dedup_scan(void);
void *dedup_zero_frame(void);

// ---------------------------------------------------------------- ipc.c
// vm_ipc_move() results.
#define IPC_OK 0
#define IPC_BAD_SRC -1 // the source buffer is not user-readable: nothing changed
#define IPC_BAD_DST -2 // the destination is not user-writable: nothing changed
#define IPC_NOMEM -3   // memory exhausted before any byte reached the destination
#define IPC_PARTIAL -4 // memory exhausted after part of the message arrived
int vm_ipc_check(struct proc *p, uint64 va, uint64 len, int access);
int vm_ipc_move(struct proc *src, uint64 sva, struct proc *dst, uint64 dva, uint64 n,
                int *other_stale);
extern int vm_ipc_copy; // VMCTL_IPC_COPY (sysvm.c)

// ---------------------------------------------------------------- audit.c
int vm_audit(void);

#endif
