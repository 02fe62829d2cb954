// exec(): replace the calling process's memory with a program from the
// file system, passing it argv.
//
// Interface: exec(path, argv) (argv: kernel strings, 0-terminated) returns
// argc, which becomes a0; sys_exec() fetches the user's arguments first.
//
// Three phases, so that no file-system lock is ever held together with
// the process's vmlock (the lock order of kernel/vm/vm.h puts file-system
// locks first, and read() takes them in that order):
//   1. read   under the inode lock: check the ELF header and every
//             program header, and read each page of the program's
//             file-backed segments into a kernel frame;
//   2. the file-system operation ends (iunlockput, end_op);
//   3. build  vm_exec_begin() takes vmlock and hands out an empty table;
//             the frames become user pages (vm_exec_map), bss and the
//             lower stack pages are fresh zero pages (uvmalloc), the guard
//             page is marked, and the stack's top page, already filled
//             with the argument strings and argv[] in a kernel frame, is
//             mapped last; vm_exec_commit() installs the table.
// Any failure frees everything allocated and returns -1: the caller's
// memory, registers and name are as they were.
//
// Layout of the new image (kernel/vm/uvm.c, docs/vm.md):
//   [0, end)        the PT_LOAD segments, each at a page-aligned address,
//                   mapped R|U plus X and W as their flags say
//   one guard page  PTE_GUARD
//   USERSTACK pages the stack; the top page holds the argument strings
//                   (each 16-byte aligned) and below them argv[argc + 1];
//                   sp = argv, 16-byte aligned (the RISC-V ABI)
// Arguments must fit in the stack's top page (all of it: USERSTACK is 1).
//
// Every frame exec allocates comes from exec_frame(), which waits for the
// reclaimer (swap) when memory runs short.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/stat.h"
#include "kernel/defs.h"
#include "kernel/elf.h"
#include "kernel/vm/vm.h"

#define MAXSEGS 8   // PT_LOAD segments accepted (user.ld makes two)
#define MAXPHNUM 64 // program headers accepted

// Highest end of the segments: the guard page and the stack fit above it.
#define IMAGE_LIMIT (TRAPFRAME - (USERSTACK + 1) * (uint64)PGSIZE)

struct segment {
  uint64 va;     // page-aligned
  uint64 off;    // file offset of its first byte
  uint64 filesz; // bytes from the file; the rest up to memsz is zero
  uint64 memsz;
  int perm; // PTE_X, PTE_W
};

// Frames holding the file-backed pages, in mapping order, in one kernel
// page. A file holds at most MAXFILE blocks (268 KiB: 67 pages), so a page
// of pointers is plenty. A slot is cleared when its frame becomes a user
// page.
#define LIST_SLOTS (PGSIZE / sizeof(void *))

struct pagelist {
  void **slot; // the list page, or 0
  uint64 n;
};

struct program {
  uint64 entry;
  uint64 end; // page-aligned end of the highest segment
  int nseg;
  struct segment seg[MAXSEGS];
  struct pagelist pages;
};

// The one allocator of exec (see the top of the file).
static void *exec_frame(void) { return kalloc_for_user(); }

// ---------------------------------------------------------------- page list

static int list_add(struct pagelist *l, void *frame) {
  if (l->slot == 0 && (l->slot = exec_frame()) == 0)
    return -1;
  if (l->n == LIST_SLOTS)
    return -1;
  l->slot[l->n++] = frame;
  return 0;
}

// Release the frames still in the list, and the list.
static void list_free(struct pagelist *l) {
  for (uint64 i = 0; i < l->n; i++)
    if (l->slot[i])
      krelease(l->slot[i]);
  if (l->slot)
    krelease(l->slot);
  l->slot = 0;
  l->n = 0;
}

// ---------------------------------------------------------------- checks

// Is the ELF header one of a RISC-V 64-bit executable whose program
// headers lie inside the file (size bytes)?
static int header_ok(struct elfhdr *eh, uint64 size) {
  if (eh->magic != ELF_MAGIC || eh->ident[0] != ELF_CLASS64 || eh->ident[1] != ELF_DATA_LSB)
    return 0;
  if (eh->type != ELF_TYPE_EXEC || eh->machine != ELF_MACHINE_RISCV)
    return 0;
  if (eh->phentsize != sizeof(struct proghdr) || eh->phnum == 0 || eh->phnum > MAXPHNUM)
    return 0;
  return eh->phoff <= size && eh->phnum * sizeof(struct proghdr) <= size - eh->phoff;
}

// Is the PT_LOAD segment ph well formed, inside the file, inside the
// image limit, and above the segments taken so far (no overlap, in
// ascending order)? Every comparison is at 64 bits and overflow-free.
static int segment_ok(struct proghdr *ph, struct program *prog, uint64 size) {
  if (ph->filesz > ph->memsz || ph->off > size || ph->filesz > size - ph->off)
    return 0;
  if (ph->vaddr % PGSIZE != 0 || ph->vaddr < prog->end)
    return 0;
  if (ph->vaddr > IMAGE_LIMIT || ph->memsz > IMAGE_LIMIT - ph->vaddr)
    return 0;
  if (ph->align & (ph->align - 1))
    return 0;                                                     // not 0 or a power of two
  return ph->align < 2 || (ph->off - ph->vaddr) % ph->align == 0; // ELF: congruent
}

static int add_segment(struct proghdr *ph, struct program *prog, uint64 size) {
  if (!segment_ok(ph, prog, size) || prog->nseg == MAXSEGS)
    return -1;
  if (ph->memsz == 0)
    return 0; // occupies nothing
  struct segment *s = &prog->seg[prog->nseg++];
  s->va = ph->vaddr;
  s->off = ph->off;
  s->filesz = ph->filesz;
  s->memsz = ph->memsz;
  s->perm =
      (ph->flags & ELF_PROG_FLAG_EXEC ? PTE_X : 0) | (ph->flags & ELF_PROG_FLAG_WRITE ? PTE_W : 0);
  prog->end = PGROUNDUP(ph->vaddr + ph->memsz);
  return 0;
}

// Does the entry point lie in an executable segment?
static int entry_ok(struct program *prog) {
  for (int i = 0; i < prog->nseg; i++) {
    struct segment *s = &prog->seg[i];
    if ((s->perm & PTE_X) && prog->entry >= s->va && prog->entry - s->va < s->memsz)
      return 1;
  }
  return 0;
}

// ---------------------------------------------------------------- phase 1: read

// Read and check the headers of the locked inode ip into prog.
static int read_headers(struct inode *ip, struct program *prog) {
  struct stat st;
  struct elfhdr eh;
  stati(ip, &st);
  if (st.type != T_FILE || readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh) ||
      !header_ok(&eh, st.size))
    return -1;
  for (int i = 0; i < eh.phnum; i++) {
    struct proghdr ph;
    uint64 off = eh.phoff + i * sizeof(ph); // inside the file: header_ok
    if (readi(ip, 0, (uint64)&ph, (uint)off, sizeof(ph)) != sizeof(ph))
      return -1;
    if (ph.type == ELF_PROG_LOAD && add_segment(&ph, prog, st.size) < 0)
      return -1;
  }
  prog->entry = eh.entry;
  return prog->nseg > 0 && entry_ok(prog) ? 0 : -1;
}

// Read the file-backed pages of every segment into frames. The bytes of a
// page past the segment's file part are zero.
static int read_pages(struct inode *ip, struct program *prog) {
  for (int i = 0; i < prog->nseg; i++) {
    struct segment *s = &prog->seg[i];
    for (uint64 done = 0; done < s->filesz; done += PGSIZE) {
      char *frame = exec_frame();
      if (frame == 0)
        return -1;
      uint n = s->filesz - done < PGSIZE ? s->filesz - done : PGSIZE;
      // off + n <= the file's size, a uint: header checks.
      if (readi(ip, 0, (uint64)frame, (uint)(s->off + done), n) != n ||
          list_add(&prog->pages, frame) < 0) {
        krelease(frame);
        return -1;
      }
      memset(frame + n, 0, PGSIZE - n);
    }
  }
  return 0;
}

// Phase 1 and 2: everything exec needs from the file, read within one
// file-system operation that ends before any address space is locked.
static int read_program(char *path, struct program *prog) {
  begin_op();
  struct inode *ip = namei(path);
  if (ip == 0) {
    end_op();
    return -1;
  }
  ilock(ip);
  int r = read_headers(ip, prog);
  if (r == 0)
    r = read_pages(ip, prog);
  iunlockput(ip);
  end_op();
  return r;
}

// ---------------------------------------------------------------- phase 3: build

// Lay out the argument strings and argv[] downwards from the end of page,
// a kernel frame that will be mapped at user address va. Returns the user
// sp (where argv[] starts), or 0 if they do not fit in the page.
static uint64 build_args(char *page, uint64 va, char **argv, int argc) {
  uint64 uargv[MAXARG + 1];
  uint64 off = PGSIZE;
  for (int i = 0; i < argc; i++) {
    uint64 len = strlen(argv[i]) + 1;
    if (len > off)
      return 0;
    off = (off - len) & ~15UL;
    memmove(page + off, argv[i], len);
    uargv[i] = va + off;
  }
  uargv[argc] = 0;
  uint64 len = (argc + 1) * sizeof(uint64);
  if (len > off)
    return 0;
  off = (off - len) & ~15UL;
  memmove(page + off, uargv, len);
  return va + off;
}

// Map every segment into pt: the frames read from the file, then zero
// pages up to memsz. A frame is taken out of the list once it is mapped.
static int map_segments(pagetable_t pt, struct program *prog) {
  uint64 next = 0;
  for (int i = 0; i < prog->nseg; i++) {
    struct segment *s = &prog->seg[i];
    for (uint64 va = s->va; va < s->va + s->filesz; va += PGSIZE, next++) {
      if (vm_exec_map(pt, va, prog->pages.slot[next], s->perm) < 0)
        return -1;
      prog->pages.slot[next] = 0;
    }
    uint64 zero_from = s->va + PGROUNDUP(s->filesz);
    if (zero_from < s->va + s->memsz && uvmalloc(pt, zero_from, s->va + s->memsz, s->perm) == 0)
      return -1;
  }
  return 0;
}

// The guard page and the stack, whose top page is the frame stack.
// Returns 0, having handed stack over to pt, or -1 (the caller keeps it).
static int map_stack(pagetable_t pt, uint64 end, char *stack) {
  uint64 base = end + PGSIZE, top = base + USERSTACK * (uint64)PGSIZE;
  if (uvmguard(pt, end) < 0)
    return -1;
  if (base < top - PGSIZE && uvmalloc(pt, base, top - PGSIZE, PTE_W) == 0)
    return -1;
  return vm_exec_map(pt, top - PGSIZE, stack, PTE_W);
}

static char *last_element(char *path) {
  char *name = path;
  for (char *s = path; *s; s++)
    if (*s == '/')
      name = s + 1;
  return name;
}

// Returns argc (which becomes a0 in the new program), or -1.
int exec(char *path, char **argv) {
  struct proc *p = myproc();
  struct program prog;
  char *stack = 0;
  int argc = 0;
  while (argv[argc])
    if (++argc > MAXARG)
      return -1;
  memset(&prog, 0, sizeof(prog));
  if (read_program(path, &prog) < 0 || (stack = exec_frame()) == 0)
    goto fail;
  memset(stack, 0, PGSIZE);
  uint64 top = prog.end + (USERSTACK + 1) * (uint64)PGSIZE;
  uint64 sp = build_args(stack, top - PGSIZE, argv, argc);
  if (sp == 0)
    goto fail;

  pagetable_t pt = vm_exec_begin(p);
  if (pt == 0)
    goto fail;
  if (map_segments(pt, &prog) < 0 || map_stack(pt, prog.end, stack) < 0) {
    vm_exec_abort(p, pt); // frees what was mapped; the rest is freed below
    goto fail;
  }
  // Nothing can fail from here on.
  p->tf.sp = sp;
  p->tf.a1 = sp; // argv
  p->tf.epc = prog.entry;
  safestrcpy(p->name, last_element(path), sizeof(p->name));
  vm_exec_commit(p, pt, top);
  list_free(&prog.pages); // only the list pages are left
  return argc;

fail:
  if (stack)
    krelease(stack); // map_stack maps it last: still ours on failure
  list_free(&prog.pages);
  return -1;
}

// ---------------------------------------------------------------- sys_exec

// Copy the user's argv (at most MAXARG - 1 strings, as on xv6) into
// kernel frames, args[] ending with 0. Returns 0 or -1; the caller frees
// args[] either way.
static int fetch_args(uint64 uargv, char **args) {
  for (int i = 0; i < MAXARG; i++) {
    uint64 uarg;
    if (fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      return -1;
    if (uarg == 0)
      return 0;
    if (i == MAXARG - 1 || (args[i] = exec_frame()) == 0)
      return -1;
    if (fetchstr(uarg, args[i], PGSIZE) < 0)
      return -1;
  }
  return -1;
}

// exec(path, argv): argv is a user array of user string pointers ending
// with 0.
uint64 sys_exec(void) {
  char path[MAXPATH];
  char *args[MAXARG] = {0};
  uint64 uargv;
  argaddr(1, &uargv);
  if (argstr(0, path, MAXPATH) < 0)
    return -1;
  int r = fetch_args(uargv, args) < 0 ? -1 : exec(path, args);
  for (int i = 0; i < MAXARG && args[i]; i++)
    krelease(args[i]);
  return r;
}
