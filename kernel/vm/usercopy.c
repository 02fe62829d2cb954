// Copying between the kernel and user memory: copyin, copyout,
// copyinstr. A kernel access to user memory goes through the same case
// table as a user access (fault.c): lazily allocated pages are filled and
// copy-on-write pages broken before the kernel writes them, and a page the
// user may not access makes the copy fail with -1 (never a panic).
//
// The copies hold the current process's vmlock, so they may sleep and must
// not be called with a spinlock held. While waiting for memory (a page to
// swap in, a frame for a copy) they let go of it (fault.c).
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

// Physical address of user page va in pt, made ready for access: lazily
// allocated or copy-on-write pages of the current process are resolved as
// a user access would. Returns 0 if the access is not allowed. The caller
// holds p->vmlock when pt is the current process's table; it may be let
// go and taken again meanwhile, so nothing earlier is relied upon.
static uint64 user_page(pagetable_t pt, uint64 va, int access) {
  struct proc *p = myproc();
  uint64 need = PTE_V | PTE_U | (access == VM_WRITE ? PTE_W : PTE_R);
  for (int tries = 0; tries < 2; tries++) {
    pte_t *pte = walk(pt, va, 0);
    if (pte && (*pte & need) == need)
      return PTE2PA(*pte);
    // Only the current process's own memory can be faulted in.
    if (p == 0 || pt != p->pagetable || fault_retry(p, va, access) != VM_OK)
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

// Move len bytes between the kernel buffer buf and user address va in pt:
// into user memory if access is VM_WRITE, out of it if VM_READ. Returns 0,
// or -1 at the first page the user may not access that way.
static int copy_user(pagetable_t pt, uint64 va, char *buf, uint64 len, int access) {
  struct proc *locked = copy_lock(pt);
  int r = 0;
  while (len > 0) {
    uint64 va0 = PGROUNDDOWN(va);
    uint64 pa = user_page(pt, va0, access);
    if (pa == 0) {
      r = -1;
      break;
    }
    uint64 n = PGSIZE - (va - va0);
    if (n > len)
      n = len;
    char *user = (char *)PA2KVA(pa) + (va - va0);
    if (access == VM_WRITE)
      memmove(user, buf, n);
    else
      memmove(buf, user, n);
    len -= n;
    buf += n;
    va += n;
  }
  copy_unlock(locked);
  return r;
}

// Copy len bytes from src to user address dstva in pt. Breaks COW like a
// user store would. Returns 0, or -1 if some byte is not writable by user.
int copyout(pagetable_t pt, uint64 dstva, char *src, uint64 len) {
  return copy_user(pt, dstva, src, len, VM_WRITE);
}

// Copy len bytes from user address srcva in pt to dst.
int copyin(pagetable_t pt, char *dst, uint64 srcva, uint64 len) {
  return copy_user(pt, srcva, dst, len, VM_READ);
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
