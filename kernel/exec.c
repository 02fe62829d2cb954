// exec(): replace the calling process's memory with a program from the
// file system, passing it argv.
//
// The new image is built in a fresh page table while the old one keeps
// running, so a failure at any point leaves the caller untouched (exec
// returns -1). Layout of the new image:
//   [0, sz0)        the ELF's PT_LOAD segments, each page-aligned, mapped
//                   with the permissions of its flags (text read-only)
//   one guard page  PTE_GUARD
//   USERSTACK pages the stack: argument strings, then argv[], sp below
// Arguments that do not fit on the stack make exec fail.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "elf.h"
#include "vm/vm.h"

static int perm_of(uint32 flags) {
  int perm = 0;
  if (flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if (flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Read n bytes of ip at offset off into the pages mapped at va in pt.
static int load_segment(pagetable_t pt, uint64 va, struct inode *ip, uint off, uint n) {
  for (uint done = 0; done < n; done += PGSIZE) {
    uint64 pa = walkaddr(pt, va + done);
    if (pa == 0)
      panic("load_segment: page not mapped");
    uint chunk = n - done < PGSIZE ? n - done : PGSIZE;
    if (readi(ip, 0, (uint64)PA2KVA(pa), off + done, chunk) != chunk)
      return -1;
  }
  return 0;
}

// Map and fill every PT_LOAD segment. Returns the end of the highest one,
// or 0 on any error.
static uint64 load_program(pagetable_t pt, struct inode *ip, struct elfhdr *eh) {
  uint64 sz = 0;
  for (int i = 0; i < eh->phnum; i++) {
    struct proghdr ph;
    uint off = eh->phoff + i * sizeof(ph);
    if (readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return 0;
    if (ph.type != ELF_PROG_LOAD)
      continue;
    if (ph.memsz < ph.filesz || ph.vaddr + ph.memsz < ph.vaddr || ph.vaddr % PGSIZE != 0 ||
        ph.vaddr < sz || ph.vaddr + ph.memsz > TRAPFRAME)
      return 0;
    if (uvmalloc(pt, ph.vaddr, ph.vaddr + ph.memsz, perm_of(ph.flags)) == 0)
      return 0;
    sz = ph.vaddr + ph.memsz;
    if (load_segment(pt, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return 0;
  }
  return sz;
}

// Copy the argument strings and the argv array onto the new stack, which
// ends at top. Returns the new sp (argv is at sp), or 0 if they do not fit
// between stack_base and top.
static uint64 push_args(pagetable_t pt, uint64 stack_base, uint64 top, char **argv, int argc) {
  uint64 argv_addrs[MAXARG + 1];
  uint64 sp = top;
  for (int i = 0; i < argc; i++) {
    sp -= strlen(argv[i]) + 1;
    sp -= sp % 16; // the RISC-V ABI wants sp 16-byte aligned
    if (sp < stack_base || copyout(pt, sp, argv[i], strlen(argv[i]) + 1) < 0)
      return 0;
    argv_addrs[i] = sp;
  }
  argv_addrs[argc] = 0;
  sp -= (argc + 1) * sizeof(uint64);
  sp -= sp % 16;
  if (sp < stack_base || copyout(pt, sp, (char *)argv_addrs, (argc + 1) * sizeof(uint64)) < 0)
    return 0;
  return sp;
}

static int read_header(struct inode *ip, struct elfhdr *eh) {
  if (readi(ip, 0, (uint64)eh, 0, sizeof(*eh)) != sizeof(*eh))
    return -1;
  return eh->magic == ELF_MAGIC ? 0 : -1;
}

// Returns argc (which becomes a0 in the new program), or -1.
int exec(char *path, char **argv) {
  struct proc *p = myproc();
  int argc = 0;
  while (argv[argc])
    if (++argc > MAXARG)
      return -1;

  begin_op();
  struct inode *ip = namei(path);
  if (ip == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  // FIXME (issue 8): the file is read with vmlock held, against the lock
  // order; exec is being rewritten to read it first.
  pagetable_t pt = vm_exec_begin(p);
  struct elfhdr eh;
  uint64 sz = 0;
  if (pt == 0) {
    iunlockput(ip);
    end_op();
    return -1;
  }
  if (read_header(ip, &eh) == 0)
    sz = load_program(pt, ip, &eh);
  iunlockput(ip);
  end_op();
  if (sz == 0)
    goto bad;

  // Guard page, then the stack.
  sz = PGROUNDUP(sz);
  uint64 stack_base = sz + PGSIZE;
  uint64 top = stack_base + USERSTACK * PGSIZE;
  if (top > TRAPFRAME || uvmguard(pt, sz) < 0 || uvmalloc(pt, stack_base, top, PTE_W) == 0)
    goto bad;
  uint64 sp = push_args(pt, stack_base, top, argv, argc);
  if (sp == 0)
    goto bad;

  // Commit: from here on nothing can fail.
  p->tf.a1 = sp; // argv
  p->tf.sp = sp;
  p->tf.epc = eh.entry;
  char *name = path;
  for (char *s = path; *s; s++)
    if (*s == '/')
      name = s + 1;
  safestrcpy(p->name, name, sizeof(p->name));
  vm_exec_commit(p, pt, top);
  return argc;

bad:
  vm_exec_abort(p, pt);
  return -1;
}

// exec(path, argv): argv is a user array of user string pointers ending
// with 0. The strings are copied into kernel pages first.
uint64 sys_exec(void) {
  char path[MAXPATH];
  char *argv[MAXARG] = {0}; // as on xv6: at most MAXARG - 1 strings and the 0
  uint64 uargv;
  int r = -1;
  argaddr(1, &uargv);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  for (int i = 0;; i++) {
    uint64 uarg;
    if (i >= MAXARG || fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      goto out;
    if (uarg == 0)
      break;
    if ((argv[i] = kalloc()) == 0 || fetchstr(uarg, argv[i], PGSIZE) < 0)
      goto out;
  }
  r = exec(path, argv);
out:
  for (int i = 0; i < MAXARG && argv[i]; i++)
    krelease(argv[i]);
  return r;
}
