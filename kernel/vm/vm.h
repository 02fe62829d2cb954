// The virtual-memory subsystem: its data structures, its lock order and its
// interface to the rest of the kernel. docs/vm.md tells the whole design.
//
// Files:
//   frame.c      the frame table: one record per physical frame, the free
//                list, kalloc/kretain/krelease
//   pagetable.c  Sv39 page tables: walk, mappages, the kernel half, leaf
//                tables shared by fork, TLB flushes
//   uvm.c        user address spaces: grow, shrink, fork, exec, exit
//   usercopy.c   copyin, copyout, copyinstr
//   fault.c      the page-fault handler (case table at its top), COW breaks
//   dedup.c      dedup(): merging identical pages, the shared zero frame
//   audit.c      vmaudit(): checks the invariants below
//   sysvm.c      the VM system calls (freepages, memstat, vmaudit, vmctl,
//                dedup)
//   vmquery.c    vmquery(): the state of each page of an address space
//
// Invariants (checked by vmaudit):
//   I1 A frame's reference count equals the user PTE slots that map it
//      plus the kernel's own references to it (the zero frame's one).
//   I2 No free frame is mapped; no mapped frame is on the free list.
//   I3 A PTE_COW PTE is never writable. A page that was read-only before
//      fork (text) never becomes writable: it never gets PTE_COW.
//   I4 Every user leaf PTE maps a frame marked FRAME_USER.
//   I5 A writable PTE maps a frame with exactly one reference.
//   S1 A leaf table shared by several address spaces holds no writable PTE.
//   S2 A leaf table's references equal the level-1 entries naming it.
//
// Lock order, outermost first:
//   file-system sleep locks (inode, buffer)
//     => p->vmlock   (sleep lock, one per address space; a thread holding
//                     two takes them in proc-table order)
//       => freelist.lock (spinlock, frame.c)
// Reference counts are atomic and need no lock (see frame.c).
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
#define PTE_GUARD PTE_SW1

// ---------------------------------------------------------------- frame.c
#define NFRAMES ((PHYSTOP - KERNBASE) / PGSIZE)

// Per-frame metadata: 16 bytes for every 4096-byte frame (0.4% of RAM).
struct frame {
  uint32 refs;  // user PTEs + kernel references; 0 while free or reserved
  uint16 flags; // FRAME_* below
  uint16 spare; // room for later users (dedup, swap)
  uint32 next;  // free-list link (frame number) while free
  uint32 spare2;
};

// A frame with no flag is reserved (firmware, kernel image) and never used.
#define FRAME_FREE 0x1     // on the free list
#define FRAME_KERNEL 0x2   // kernel data: page-table page, pipe, disk ring...
#define FRAME_USER 0x4     // user memory, mapped by user PTEs
#define FRAME_MERGED 0x8   // dedup mapped several identical pages onto it
#define FRAME_SEEN 0x10    // in the running dedup scan's table (dedup.c)
#define FRAME_NOWRITE 0x20 // a leaf table known to hold no writable PTE (uvm.c)

#define NO_FRAME 0xffffffff

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
void frame_free(void *kva);
int frame_is_free(struct frame *f);
int frame_check_freelist(void);
void frame_fail_after(int n);

// ---------------------------------------------------------------- pagetable.c
extern pagetable_t kernel_pagetable;
void kvminit(void);
void kvminithart(void);
void kvm_switch_user(pagetable_t pt);
void kvm_switch_kernel(void);
void tlb_shootdown(void);
void tlb_flush_before_user(void);
pte_t *walk(pagetable_t pt, uint64 va, int alloc);
uint64 walkaddr(pagetable_t pt, uint64 va);
int mappages(pagetable_t pt, uint64 va, uint64 size, uint64 pa, int perm);
pagetable_t uvmcreate(void);
void uvmfree(pagetable_t pt);
pagetable_t pte_table(pte_t pte);
pte_t *walk_l1(pagetable_t pt, uint64 va);
void leaf_put(pagetable_t leaf);

// ---------------------------------------------------------------- uvm.c
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm);
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz);
int uvmcopy(pagetable_t old, pagetable_t new, int eager);
int uvmguard(pagetable_t pt, uint64 va);
int uvmcount(pagetable_t pt);
int for_each_leaf_table(pagetable_t pt, int (*visit)(pte_t *leaf, uint64 va, void *arg), void *arg);
int vm_grow(struct proc *p, int n, int lazy);
int vm_fork(struct proc *parent, struct proc *child);
pagetable_t vm_exec_begin(struct proc *p);
int vm_exec_map(pagetable_t pt, uint64 va, void *page, int perm);
void vm_exec_commit(struct proc *p, pagetable_t pt, uint64 sz);
void vm_exec_abort(struct proc *p, pagetable_t pt);
void vm_exit(struct proc *p);

// ---------------------------------------------------------------- fault.c
// vmfault() results.
#define VM_OK 0     // resolved: retry the access
#define VM_BAD -1   // not a legal access: the process dies
#define VM_NOMEM -2 // legal, but no frame is left: the process dies
int vmfault(struct proc *p, uint64 va, int access);
int fault_locked(struct proc *p, uint64 va, int access);

// Counters since boot, for memstat(). Updated atomically.
struct vmstats {
  uint64 cow_faults;
  uint64 cow_copies;
  uint64 cow_reuses;
  uint64 dedup_scans;
  uint64 dedup_merges;
  uint64 dedup_cow_breaks;
};
extern struct vmstats vmstats;
#define VMSTAT_INC(field) __atomic_fetch_add(&vmstats.field, 1, __ATOMIC_RELAXED)

// ---------------------------------------------------------------- sysvm.c
extern int vm_fork_copy;   // VMCTL_FORK_COPY
extern int vm_dedup_scope; // VMCTL_DEDUP_SCOPE

// ---------------------------------------------------------------- dedup.c
int dedup_scan(void);
void *dedup_zero_frame(void);

// ---------------------------------------------------------------- audit.c
int vm_audit(void);

#endif
