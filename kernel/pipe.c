// Pipes: a 512-byte ring buffer between a read end and a write end, each
// an open file (file.c).
//
// Interface: pipealloc makes the two files; piperead/pipewrite move bytes
// to/from user memory; pipeclose closes one end, and the second close frees
// the pipe (struct and buffer share one kalloc'd page).
//
// Invariants, under pi->lock: nread <= nwrite <= nread + PIPESIZE (the
// counters only grow; byte i is in data[i % PIPESIZE]); readers sleep on
// &nread and writers on &nwrite, and each side wakes the other after
// making progress.
//
// User memory is never touched with pi->lock held: copyin/copyout may
// sleep (copy-on-write, swap-in). A writer stages up to CHUNK bytes on its
// stack and then puts them into the ring; a reader takes what is available
// (at most PIPESIZE bytes) into its stack and then copies it out.
#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/defs.h"

#define PIPESIZE 512
#define CHUNK PIPESIZE // bytes a writer stages at a time

struct pipe {
  struct spinlock lock; // protects everything below
  uint nread;           // bytes read so far
  uint nwrite;          // bytes written so far
  int readopen;         // the read end is still open
  int writeopen;        // the write end is still open
  char data[PIPESIZE];
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "struct pipe must fit in a page");

// Make a pipe and the files for its ends: *f0 reads, *f1 writes.
// 0, or -1 with nothing allocated.
int pipealloc(struct file **f0, struct file **f1) {
  struct pipe *pi = 0;

  *f0 = *f1 = 0;
  if ((*f0 = filealloc()) == 0 || (*f1 = filealloc()) == 0 || (pi = kalloc()) == 0)
    goto err;
  initlock(&pi->lock, "pipe");
  pi->nread = pi->nwrite = 0;
  pi->readopen = pi->writeopen = 1;
  (*f0)->type = (*f1)->type = FD_PIPE;
  (*f0)->pipe = (*f1)->pipe = pi;
  (*f0)->readable = 1;
  (*f0)->writable = 0;
  (*f1)->readable = 0;
  (*f1)->writable = 1;
  return 0;

err:
  if (*f0)
    fileclose(*f0); // still FD_NONE: just returns the entry
  if (*f1)
    fileclose(*f1);
  return -1;
}

void pipeclose(struct pipe *pi, int writable) {
  int dead;

  acquire(&pi->lock);
  if (writable) {
    pi->writeopen = 0;
    wakeup(&pi->nread); // readers see EOF
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite); // writers fail
  }
  dead = !pi->readopen && !pi->writeopen;
  release(&pi->lock);
  if (dead)
    krelease(pi);
}

// Put len staged bytes into the ring, sleeping while it is full.
// 0, or -1 if the read end closed or the caller was killed meanwhile.
static int ring_put(struct pipe *pi, char *src, int len) {
  int i = 0;

  acquire(&pi->lock);
  while (i < len) {
    if (!pi->readopen || killed(myproc())) {
      release(&pi->lock);
      return -1;
    }
    if (pi->nwrite == pi->nread + PIPESIZE) {
      wakeup(&pi->nread);
      sleep(&pi->nwrite, &pi->lock);
      continue;
    }
    pi->data[pi->nwrite++ % PIPESIZE] = src[i++];
  }
  wakeup(&pi->nread);
  release(&pi->lock);
  return 0;
}

// Write n bytes from user address addr. Returns n; the bytes written
// before a bad address (-1 if none); -1 if there is no reader.
int pipewrite(struct pipe *pi, uint64 addr, int n) {
  char stage[CHUNK];
  int done = 0;

  while (done < n) {
    int len = n - done < CHUNK ? n - done : CHUNK;
    if (copyin(myproc()->pagetable, stage, addr + done, len) < 0)
      return done > 0 ? done : -1;
    if (ring_put(pi, stage, len) < 0)
      return -1;
    done += len;
  }
  return done;
}

// Read up to n bytes into user address addr, sleeping while the pipe is
// empty and a writer exists. Returns the count, 0 at end of file, -1 if
// killed or addr is bad (the bytes taken are then lost).
int piperead(struct pipe *pi, uint64 addr, int n) {
  char stage[PIPESIZE];
  int len = 0;

  acquire(&pi->lock);
  while (pi->nread == pi->nwrite && pi->writeopen) {
    if (killed(myproc())) {
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->nread, &pi->lock);
  }
  while (len < n && pi->nread != pi->nwrite)
    stage[len++] = pi->data[pi->nread++ % PIPESIZE];
  wakeup(&pi->nwrite);
  release(&pi->lock);

  if (len > 0 && copyout(myproc()->pagetable, addr, stage, len) < 0)
    return -1;
  return len;
}
