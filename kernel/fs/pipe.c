// Pipes: PIPESIZE bytes of ring buffer between a read end and a write end,
// each an open file (file.c) with the operations below.
//
// Interface: pipealloc makes the pipe and its two files. The files' read
// and write move bytes between the ring and user memory, sleeping while
// the ring is empty or full; closing an end wakes the other side (a
// reader then sees end of file, a writer fails), and closing the second
// end frees the pipe, which lives in one page.
//
// Lock: "pi->lock" ("pipe", a spinlock taken alone) protects the whole
// struct. User memory is never touched under it (copyin/copyout take the
// process's vmlock and may sleep): a writer copies a piece of at most
// PIPESIZE bytes onto its kernel stack first, then moves it into the ring;
// a reader takes what the ring holds onto its stack, then copies it out.
//
// Invariant, under the lock: taken <= added <= taken + PIPESIZE. Both
// count bytes since the pipe was made (wrapping is harmless: only their
// difference is used); byte i of the stream sits in ring[i % PIPESIZE].
// Readers sleep on &taken, writers on &added.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/defs.h"
#include "kernel/fs/fsdefs.h"

#define PIPESIZE 512

struct pipe {
  struct spinlock lock;
  uint taken;      // bytes read so far
  uint added;      // bytes written so far
  char read_open;  // the read end has not been closed
  char write_open; // the write end has not been closed
  char ring[PIPESIZE];
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "a pipe must fit in its page");

// Move len bytes from stage into the ring, sleeping while it is full.
// 0, or -1 if the read end is closed or the writer is killed meanwhile.
static int ring_put(struct pipe *pi, char *stage, int len) {
  acquire(&pi->lock);
  for (int i = 0; i < len;) {
    if (!pi->read_open || killed(myproc())) {
      release(&pi->lock);
      return -1;
    }
    if (pi->added - pi->taken == PIPESIZE) {
      wakeup(&pi->taken); // let readers empty it
      sleep(&pi->added, &pi->lock);
      continue;
    }
    pi->ring[pi->added++ % PIPESIZE] = stage[i++];
  }
  wakeup(&pi->taken);
  release(&pi->lock);
  return 0;
}

// Write n bytes from user address addr. Returns n; if addr goes bad, the
// bytes written before it, or -1 if none; -1 if the read end closes.
static int pipe_write(struct file *f, uint64 addr, int n) {
  char stage[PIPESIZE];

  for (int done = 0; done < n;) {
    int len = n - done < PIPESIZE ? n - done : PIPESIZE;
    if (copyin(myproc()->pagetable, stage, addr + done, len) < 0)
      return done ? done : -1;
    if (ring_put(f->pipe, stage, len) < 0)
      return -1;
    done += len;
  }
  return n;
}

// Read up to n bytes into user address addr, sleeping while the pipe is
// empty and the write end open. Returns the count (0: end of file), or -1
// if killed while waiting or if addr is bad (the bytes taken are lost).
static int pipe_read(struct file *f, uint64 addr, int n) {
  struct pipe *pi = f->pipe;
  char stage[PIPESIZE];
  int got = 0;

  acquire(&pi->lock);
  while (pi->added == pi->taken && pi->write_open) {
    if (killed(myproc())) {
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->taken, &pi->lock);
  }
  for (; got < n && pi->taken != pi->added; got++)
    stage[got] = pi->ring[pi->taken++ % PIPESIZE];
  wakeup(&pi->added);
  release(&pi->lock);
  if (got > 0 && copyout(myproc()->pagetable, addr, stage, got) < 0)
    return -1;
  return got;
}

static void pipe_close(struct file *f) {
  struct pipe *pi = f->pipe;

  acquire(&pi->lock);
  if (f->writable) {
    pi->write_open = 0;
    wakeup(&pi->taken); // readers see end of file
  } else {
    pi->read_open = 0;
    wakeup(&pi->added); // writers fail
  }
  int unused = !pi->read_open && !pi->write_open;
  release(&pi->lock);
  if (unused)
    krelease(pi);
}

static const struct fileops pipe_ops = {pipe_read, pipe_write, pipe_close};

// Make a pipe: *rf reads from it, *wf writes to it. 0, or -1 with nothing
// allocated (no file entry or no memory).
int pipealloc(struct file **rf, struct file **wf) {
  struct pipe *pi = 0;
  struct file *r = filealloc(), *w = r ? filealloc() : 0;

  if (w == 0 || (pi = kalloc()) == 0) {
    if (r)
      fileclose(r); // not set up: just frees the entry
    if (w)
      fileclose(w);
    return -1;
  }
  initlock(&pi->lock, "pipe");
  pi->taken = pi->added = 0;
  pi->read_open = pi->write_open = 1;
  r->ops = w->ops = &pipe_ops;
  r->pipe = w->pipe = pi;
  r->readable = 1;
  r->writable = 0;
  w->readable = 0;
  w->writable = 1;
  *rf = r;
  *wf = w;
  return 0;
}
