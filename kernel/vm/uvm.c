// User address spaces: building, growing, shrinking, copying (fork) and
// freeing them, and moving bytes between them and the kernel.
//
// Layout of a process (exec.c builds it):
//   0                  text (read-only), then data and bss
//   guard page         PTE_GUARD: not mapped, any access kills
//   stack              USERSTACK pages; sp starts at the top
//   heap               grows with sbrk up to p->sz
// Every user leaf PTE holds one reference on its frame (vm.h, I1).
//
// Process-level operations (vm_grow, vm_fork, vm_exec_commit, vm_exit) take
// p->vmlock; the page-table-level ones (uvm*) leave locking to their caller
// and are also used on tables nobody else can see yet (exec, fork's child).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

#define LEAF_SPAN (512L * PGSIZE) // bytes of address space per leaf table

// Call visit(leaf, va) for every leaf table of pt's user half, where va is
// the address its first entry maps. Stops at the first visit that fails.
int for_each_leaf_table(pagetable_t pt, int (*visit)(pte_t *leaf, uint64 va, void *arg),
                        void *arg) {
  for (int i2 = 0; i2 < 256; i2++) {
    if (!(pt[i2] & PTE_V))
      continue;
    pagetable_t mid = pte_table(pt[i2]);
    for (int i1 = 0; i1 < 512; i1++) {
      if (!(mid[i1] & PTE_V))
        continue;
      uint64 va = ((uint64)i2 << PXSHIFT(2)) | ((uint64)i1 << PXSHIFT(1));
      if (visit(pte_table(mid[i1]), va, arg) < 0)
        return -1;
    }
  }
  return 0;
}

// Map fresh zeroed user pages over [PGROUNDUP(oldsz), newsz) with
// permissions R|U|xperm. Returns newsz, or 0 with nothing new left mapped.
uint64 uvmalloc(pagetable_t pt, uint64 oldsz, uint64 newsz, int xperm) {
  for (uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE) {
    char *mem = frame_alloc(FRAME_USER);
    if (mem == 0 || mappages(pt, a, PGSIZE, KVA2PA(mem), PTE_R | PTE_U | xperm) < 0) {
      if (mem)
        krelease(mem);
      uvmdealloc(pt, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
  }
  return newsz;
}

// Unmap [start, end) (page-aligned): release every mapped frame and clear
// markers. Returns the number of frames unmapped.
static int unmap_range(pagetable_t pt, uint64 start, uint64 end) {
  int unmapped = 0;
  for (uint64 va = start; va < end;) {
    uint64 next = (va & ~(LEAF_SPAN - 1)) + LEAF_SPAN;
    if (next > end)
      next = end;
    pte_t *pte = walk(pt, va, 0);
    for (; pte != 0 && va < next; va += PGSIZE, pte++) {
      if (*pte & PTE_V) {
        krelease(PA2KVA(PTE2PA(*pte)));
        unmapped++;
      }
      *pte = 0;
    }
    va = next;
  }
  return unmapped;
}

// Shrink from oldsz to newsz, releasing the pages above PGROUNDUP(newsz).
uint64 uvmdealloc(pagetable_t pt, uint64 oldsz, uint64 newsz) {
  if (newsz < oldsz)
    unmap_range(pt, PGROUNDUP(newsz), PGROUNDUP(oldsz));
  return newsz;
}

// Mark the unmapped page at va as a guard page.
int uvmguard(pagetable_t pt, uint64 va) {
  pte_t *pte = walk(pt, va, 1);
  if (pte == 0)
    return -1;
  if (*pte & PTE_V)
    panic("uvmguard: page is mapped");
  *pte = PTE_GUARD;
  return 0;
}

struct copy_state {
  pagetable_t child;
  int eager;  // copy every page now (VMCTL_FORK_COPY), as xv6 does
  int copied; // frames mapped in the child
};

// Share (or copy) one page of the parent: *parent_pte may be downgraded.
static int copy_pte(pte_t *parent_pte, pte_t *child_pte, int eager) {
  pte_t pte = *parent_pte;
  if (!(pte & PTE_V)) {
    *child_pte = pte; // a marker (guard page): nothing to share
    return 0;
  }
  void *frame = PA2KVA(PTE2PA(pte));
  if (eager) {
    char *mem = frame_alloc(FRAME_USER);
    if (mem == 0)
      return -1;
    memmove(mem, frame, PGSIZE);
    uint64 flags = PTE_FLAGS(pte);
    if (flags & PTE_COW) // the parent's page is shared; the child's copy is not
      flags = (flags & ~PTE_COW) | PTE_W;
    *child_pte = PA2PTE(KVA2PA(mem)) | flags;
    return 1;
  }
  if (pte & PTE_W) { // writable: both sides become COW (read-only)
    pte = (pte & ~PTE_W) | PTE_COW;
    *parent_pte = pte;
  }
  kretain(frame);
  *child_pte = pte;
  return 1;
}

static int copy_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  struct copy_state *cs = arg;
  pte_t *child_leaf = 0;
  for (int i = 0; i < 512; i++) {
    if (leaf[i] == 0)
      continue;
    if (child_leaf == 0) {
      pte_t *first = walk(cs->child, va, 1);
      if (first == 0)
        return -1;
      child_leaf = first;
    }
    int r = copy_pte(&leaf[i], &child_leaf[i], cs->eager);
    if (r < 0)
      return -1;
    cs->copied += r;
  }
  return 0;
}

// Give the new (empty) table every page of old: shared copy-on-write, or
// copied when eager. Walks each leaf table once instead of each page from
// the root. Returns the frames mapped in new, or -1 if memory ran out (the
// caller frees new; pages of old already made COW stay correct).
// The caller flushes this hart's TLB: old's PTEs may have lost PTE_W.
int uvmcopy(pagetable_t old, pagetable_t new, int eager) {
  struct copy_state cs = {new, eager, 0};
  if (for_each_leaf_table(old, copy_leaf_table, &cs) < 0)
    return -1;
  return cs.copied;
}

static int release_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  for (int i = 0; i < 512; i++) {
    if (leaf[i] & PTE_V)
      krelease(PA2KVA(PTE2PA(leaf[i])));
    leaf[i] = 0;
  }
  return 0;
}

// Release every user page and then the table itself.
void uvmfree(pagetable_t pt) {
  for_each_leaf_table(pt, release_leaf_table, 0);
  freewalk(pt);
}

static int count_leaf_table(pte_t *leaf, uint64 va, void *arg) {
  for (int i = 0; i < 512; i++)
    if (leaf[i] & PTE_V)
      (*(int *)arg)++;
  return 0;
}

// Resident pages of a table.
int uvmcount(pagetable_t pt) {
  int n = 0;
  for_each_leaf_table(pt, count_leaf_table, &n);
  return n;
}

// ---------------------------------------------------------------- processes

// sbrk: grow by n bytes (n > 0: eagerly, or lazily so that vmfault fills
// pages on first touch) or shrink (n < 0). The heap may not reach the
// addresses xv6 reserves for TRAPFRAME and TRAMPOLINE.
int vm_grow(struct proc *p, int n, int lazy) {
  int r = 0;
  acquiresleep(&p->vmlock);
  uint64 sz = p->sz;
  if (n > 0) {
    if (sz + n > TRAPFRAME)
      r = -1;
    else if (!lazy && uvmalloc(p->pagetable, sz, sz + n, PTE_W) == 0)
      r = -1;
    else if (!lazy)
      p->rss += (PGROUNDUP(sz + n) - PGROUNDUP(sz)) / PGSIZE;
    if (r == 0)
      p->sz = sz + n;
  } else if (n < 0) {
    uint64 shrink = (uint64)(-(long)n);
    if (shrink > sz) {
      r = -1;
    } else {
      p->rss -= unmap_range(p->pagetable, PGROUNDUP(sz - shrink), PGROUNDUP(sz));
      p->sz = sz - shrink;
      tlb_flush_before_user(); // our stale entries for the pages just freed
    }
  }
  releasesleep(&p->vmlock);
  return r;
}

// fork: give child (new, not yet runnable) the parent's memory. On
// failure the child is left with an empty address space.
int vm_fork(struct proc *parent, struct proc *child) {
  // Two vmlocks: take them in proc-table order (vm.h).
  struct proc *first = parent < child ? parent : child;
  struct proc *second = parent < child ? child : parent;
  acquiresleep(&first->vmlock);
  acquiresleep(&second->vmlock);
  int copied = uvmcopy(parent->pagetable, child->pagetable, vm_fork_copy);
  tlb_flush_before_user(); // the parent's writable pages may now be COW
  if (copied >= 0) {
    child->sz = parent->sz;
    child->rss = copied;
  } else {
    for_each_leaf_table(child->pagetable, release_leaf_table, 0);
  }
  releasesleep(&second->vmlock);
  releasesleep(&first->vmlock);
  return copied < 0 ? -1 : 0;
}

// exec builds the new image while holding p->vmlock, so that vmaudit never
// sees frames that belong to a table not yet installed. The caller holds
// the inode lock of the program file already (lock order, vm.h).
void vm_exec_begin(struct proc *p) { acquiresleep(&p->vmlock); }

// Install the new image pt of size sz, free the old one, unlock.
void vm_exec_commit(struct proc *p, pagetable_t pt, uint64 sz) {
  pagetable_t old = p->pagetable;
  p->pagetable = pt;
  p->sz = sz;
  p->rss = uvmcount(pt);
  kvm_switch_user(pt);
  uvmfree(old);
  releasesleep(&p->vmlock);
}

// Exec failed: free the partial image (if any), unlock.
void vm_exec_abort(struct proc *p, pagetable_t pt) {
  if (pt)
    uvmfree(pt);
  releasesleep(&p->vmlock);
}

// exit: release all user memory. The process keeps running on the kernel
// page table until it is reaped. Freeing happens under the lock so that
// vmaudit never counts a frame whose table is half freed.
void vm_exit(struct proc *p) {
  acquiresleep(&p->vmlock);
  pagetable_t pt = p->pagetable;
  p->pagetable = 0; // from now on the scheduler runs p on kernel_pagetable
  p->sz = 0;
  p->rss = 0;
  kvm_switch_kernel();
  if (pt)
    uvmfree(pt);
  releasesleep(&p->vmlock);
}

// ---------------------------------------------------------------- copying

// Physical address of user page va in pt, made ready for access: lazily
// allocated or copy-on-write pages of the current process are resolved as
// a user access would. Returns 0 if the access is not allowed. The caller
// holds p->vmlock when pt is the current process's table.
static uint64 user_page(pagetable_t pt, uint64 va, int access) {
  struct proc *p = myproc();
  uint64 need = PTE_V | PTE_U | (access == VM_WRITE ? PTE_W : PTE_R);
  for (int tries = 0; tries < 2; tries++) {
    pte_t *pte = walk(pt, va, 0);
    if (pte && (*pte & need) == need)
      return PTE2PA(*pte);
    // Only the current process's own memory can be faulted in.
    if (p == 0 || pt != p->pagetable || fault_locked(p, va, access) != VM_OK)
      return 0;
  }
  return 0;
}

// Lock the current process's address space if pt is it. Returns what to
// pass to copy_unlock().
static struct proc *copy_lock(pagetable_t pt) {
  struct proc *p = myproc();
  if (p == 0 || pt != p->pagetable)
    return 0;
  acquiresleep(&p->vmlock);
  return p;
}

static void copy_unlock(struct proc *locked) {
  if (locked)
    releasesleep(&locked->vmlock);
}

// Copy len bytes from src to user address dstva in pt. Breaks COW like a
// user store would. Returns 0, or -1 if some byte is not writable by user.
int copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len) {
  struct proc *locked = copy_lock(pt);
  int r = 0;
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(dstva);
    uint64 pa = user_page(pt, va0, VM_WRITE);
    if (pa == 0) {
      r = -1;
      break;
    }
    uint64 n = PGSIZE - (dstva - va0);
    if (n > len)
      n = len;
    memmove((char *)PA2KVA(pa) + (dstva - va0), src, n);
    len -= n;
    src += n;
    dstva += n;
  }
  copy_unlock(locked);
  return r;
}

// Copy len bytes from user address srcva in pt to dst.
int copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len) {
  struct proc *locked = copy_lock(pt);
  int r = 0;
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 pa = user_page(pt, va0, VM_READ);
    if (pa == 0) {
      r = -1;
      break;
    }
    uint64 n = PGSIZE - (srcva - va0);
    if (n > len)
      n = len;
    memmove(dst, (char *)PA2KVA(pa) + (srcva - va0), n);
    len -= n;
    dst += n;
    srcva += n;
  }
  copy_unlock(locked);
  return r;
}

// Copy a NUL-terminated string of at most max bytes (NUL included) from
// user address srcva. Returns 0, or -1 if it is not readable or too long.
int copyinstr(pagetable_t pt, char *dst, uint64 srcva, uint64 max) {
  struct proc *locked = copy_lock(pt);
  int r = -1;
  while (max > 0 && r < 0) {
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 pa = user_page(pt, va0, VM_READ);
    if (pa == 0)
      break;
    char *s = (char *)PA2KVA(pa) + (srcva - va0);
    uint64 n = PGSIZE - (srcva - va0);
    for (; n > 0 && max > 0; n--, max--, srcva++) {
      if ((*dst++ = *s++) == 0) {
        r = 0;
        break;
      }
    }
  }
  copy_unlock(locked);
  return r;
}
