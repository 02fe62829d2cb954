// Synchronous IPC, the rendezvous (SPEC 3.5): send, recv, reply. The
// bytes move in kernel/vm/ipc.c (vm_ipc_move), which shares whole pages
// copy-on-write and copies the rest.
//
//   send(pid, sbuf, slen, rbuf, rlen)  queue a message for pid, block until
//                                      it is answered; returns the reply's
//                                      stored length (truncated to rlen)
//   recv(buf, len)                     block until a message comes, store it
//                                      (truncated to len); returns the
//                                      sender's pid
//   reply(id, buf, len)                answer sender id, whose message this
//                                      process received; returns 0
// All return -1 for a bad buffer or length (checked whole, before anything
// changes or anyone blocks), and send also for no such process, itself as
// the target, or a receiver that exits (or is killed) before it replies.
//
// Each process has a sender slot, ipc[i] for proc[i]. A message's life:
//
//   IDLE --send--> QUEUED --recv--> MOVING --> RECEIVED --reply--> REPLYING --> DONE
//                    |  (receiver pulls)          |     (receiver pushes)         |
//                    +-- receiver exits: FAILED --+                    sender wakes: IDLE
//                    +-- sender killed: IDLE, -1 -+
//
// Who moves the bytes: always the receiver, which is running (recv pulls
// the message, reply pushes the answer), while the sender sleeps in
// send(). During MOVING and REPLYING the sender may not leave send(), not
// even when killed: it waits until the move ends, so that its address
// space and its proc slot stay what the mover found. In every other state
// a killed sender withdraws at once (its message disappears; a later reply
// to it returns -1).
//
// Order: recv takes the oldest queued message (a sequence number given by
// send), so senders to one receiver are served in the order they called
// send. A receiver may hold several messages received and not answered,
// and answer them in any order.
//
// Death: ipc_exit(p), called by exit() before the process lets go of
// its memory, closes p for new messages (closed_pid) and fails every
// message queued for p or received by p and not answered: those senders
// wake and return -1. A receiver cannot be in MOVING or REPLYING then: it
// is exiting, not in recv or reply.
//
// Failures of a move: a bad buffer changes nothing (vm_ipc_move checks
// first). If memory is exhausted before any byte arrived the call returns
// -1 and the message keeps its state (recv: queued again; reply: still
// received). If part of it had arrived, the process whose buffer holds
// the torn message is killed ("out of memory"), so no living user sees a
// half-delivered message.
//
// Locks: ipc_lock (a spinlock) protects every slot and next_seq. It is
// taken before p->lock (find_receiver) and "sched" (sleep and wakeup take
// that), and never together with a vmlock: moves run without it, their partner held by the states
// above.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "vm/vm.h"

enum ipcstate {
  IPC_IDLE,
  IPC_QUEUED,
  IPC_MOVING,
  IPC_RECEIVED,
  IPC_REPLYING,
  IPC_DONE,
  IPC_FAILED
};

struct ipcslot {
  // As a sender (the process is in send() unless IDLE):
  enum ipcstate state;
  struct proc *to; // the receiver
  int from_pid;    // the sender's own pid: reply()'s id
  uint64 sbuf, rbuf;
  int slen, rlen;
  uint64 seq; // order of send() calls
  int result; // DONE: the reply's stored length
  int stale;  // a move changed the sender's PTEs: flush before user mode
  // As a receiver:
  int receiving;  // sleeping in recv() (the channel it sleeps on)
  int closed_pid; // the pid of this slot's process once it began to exit
};

static struct spinlock ipc_lock; // see above
static struct ipcslot ipc[NPROC];
static uint64 next_seq;

void ipcinit(void) { initlock(&ipc_lock, "ipc"); }

static struct ipcslot *slot_of(struct proc *p) { return &ipc[p - proc]; }
static struct proc *proc_of(struct ipcslot *s) { return &proc[s - ipc]; }

// The live process pid that may still receive, or 0. Caller holds ipc_lock.
static struct proc *find_receiver(int pid) {
  for (struct proc *q = proc; q < &proc[NPROC]; q++) {
    if (__atomic_load_n(&q->pid, __ATOMIC_RELAXED) != pid)
      continue; // cheap filter: taking 64 locks per send is slow
    acquire(&q->lock);
    int ok = q->pid == pid && q->state != UNUSED && q->state != ZOMBIE;
    release(&q->lock);
    return ok && slot_of(q)->closed_pid != pid ? q : 0;
  }
  return 0;
}

// Sleep until the message is answered or failed, or the caller is killed
// where it may withdraw. Returns the result. Caller holds ipc_lock.
static int wait_for_reply(struct proc *me, struct ipcslot *s) {
  for (;;) {
    if (s->state == IPC_DONE || s->state == IPC_FAILED)
      return s->state == IPC_DONE ? s->result : -1;
    if ((s->state == IPC_QUEUED || s->state == IPC_RECEIVED) && killed(me))
      return -1; // withdrawn: no receiver is moving bytes of ours now
    sleep(s, &ipc_lock);
  }
}

int ipc_send(int pid, uint64 sbuf, int slen, uint64 rbuf, int rlen) {
  struct proc *me = myproc();
  struct ipcslot *s = slot_of(me);
  if (slen < 0 || rlen < 0 || pid == me->pid)
    return -1;
  if (vm_ipc_check(me, sbuf, slen, VM_READ) < 0 || vm_ipc_check(me, rbuf, rlen, VM_WRITE) < 0)
    return -1;
  acquire(&ipc_lock);
  struct proc *to = find_receiver(pid);
  if (to == 0) {
    release(&ipc_lock);
    return -1;
  }
  s->state = IPC_QUEUED;
  s->to = to;
  s->from_pid = me->pid;
  s->sbuf = sbuf;
  s->slen = slen;
  s->rbuf = rbuf;
  s->rlen = rlen;
  s->seq = next_seq++;
  s->stale = 0;
  if (slot_of(to)->receiving)
    wakeup(&slot_of(to)->receiving);
  int r = wait_for_reply(me, s);
  int stale = s->stale;
  s->state = IPC_IDLE;
  s->to = 0;
  release(&ipc_lock);
  // A move changed our PTEs while we slept; we may have been switched to
  // (and flushed) before it ended (vm/ipc.c, "TLB").
  if (stale)
    tlb_flush_before_user();
  return r;
}

// The oldest message queued for me, or 0. Caller holds ipc_lock.
static struct ipcslot *oldest_message(struct proc *me) {
  struct ipcslot *first = 0;
  for (struct ipcslot *s = ipc; s < &ipc[NPROC]; s++)
    if (s->state == IPC_QUEUED && s->to == me && (first == 0 || s->seq < first->seq))
      first = s;
  return first;
}

// A move involving sender s ended in state: record it and wake the sender
// if it waits for that (answered, failed) or for leave to withdraw
// (killed). Caller holds ipc_lock.
static void move_ended(struct ipcslot *s, enum ipcstate state, int stale) {
  s->state = state;
  s->stale |= stale;
  if (state == IPC_DONE || state == IPC_FAILED || killed(proc_of(s)))
    wakeup(s);
}

static void kill_torn(struct proc *p) {
  printf("pid %d (%s): out of memory in IPC: killed\n", p->pid, p->name);
  setkilled(p);
}

// Take the oldest message into buf (len bytes). Returns the sender's pid,
// 0 to look for the next message (the sender's buffer was bad), or -1.
static int take_message(struct proc *me, uint64 buf, int len) {
  struct ipcslot *s;
  int stale;
  for (;;) {
    if (killed(me))
      return -1; // a message taken now would fail at our exit anyway
    if ((s = oldest_message(me)) != 0)
      break;
    slot_of(me)->receiving = 1;
    sleep(&slot_of(me)->receiving, &ipc_lock);
    slot_of(me)->receiving = 0;
  }
  s->state = IPC_MOVING;
  release(&ipc_lock);
  int n = s->slen < len ? s->slen : len;
  int r = vm_ipc_move(proc_of(s), s->sbuf, me, buf, n, &stale);
  acquire(&ipc_lock);
  if (r == IPC_OK) {
    move_ended(s, IPC_RECEIVED, stale);
    return s->from_pid;
  }
  if (r == IPC_BAD_SRC) { // cannot happen (send checked it), but is its fault
    move_ended(s, IPC_FAILED, stale);
    return 0;
  }
  move_ended(s, IPC_QUEUED, stale); // first in line again, unless we die
  if (r == IPC_PARTIAL)
    kill_torn(me);
  return -1;
}

int ipc_recv(uint64 buf, int len) {
  struct proc *me = myproc();
  if (len < 0 || vm_ipc_check(me, buf, len, VM_WRITE) < 0)
    return -1;
  acquire(&ipc_lock);
  int r;
  while ((r = take_message(me, buf, len)) == 0)
    ;
  release(&ipc_lock);
  return r;
}

// The message of sender pid id that me received and has not answered, or
// 0. Caller holds ipc_lock.
static struct ipcslot *unanswered(struct proc *me, int id) {
  for (struct ipcslot *s = ipc; s < &ipc[NPROC]; s++)
    if (s->state == IPC_RECEIVED && s->to == me && s->from_pid == id)
      return s;
  return 0;
}

int ipc_reply(int id, uint64 buf, int len) {
  struct proc *me = myproc();
  if (len < 0 || vm_ipc_check(me, buf, len, VM_READ) < 0)
    return -1;
  acquire(&ipc_lock);
  struct ipcslot *s = unanswered(me, id);
  if (s == 0) {
    release(&ipc_lock);
    return -1;
  }
  s->state = IPC_REPLYING;
  release(&ipc_lock);
  int stale, n = s->rlen < len ? s->rlen : len;
  int r = vm_ipc_move(me, buf, proc_of(s), s->rbuf, n, &stale);
  acquire(&ipc_lock);
  if (r == IPC_OK) {
    s->result = n;
    move_ended(s, IPC_DONE, stale);
  } else if (r == IPC_BAD_SRC || r == IPC_NOMEM) {
    move_ended(s, IPC_RECEIVED, stale); // nothing changed: answer again
  } else {
    if (r == IPC_PARTIAL)
      kill_torn(proc_of(s)); // its rbuf holds part of the reply
    move_ended(s, IPC_FAILED, stale);
  }
  release(&ipc_lock);
  return r == IPC_OK ? 0 : -1;
}

// exit() hook (see "Death" above).
void ipc_exit(struct proc *p) {
  acquire(&ipc_lock);
  slot_of(p)->closed_pid = p->pid;
  for (struct ipcslot *s = ipc; s < &ipc[NPROC]; s++) {
    if (s->to == p && (s->state == IPC_QUEUED || s->state == IPC_RECEIVED)) {
      s->state = IPC_FAILED;
      wakeup(s);
    }
  }
  release(&ipc_lock);
}

uint64 sys_send(void) {
  int pid, slen, rlen;
  uint64 sbuf, rbuf;
  argint(0, &pid);
  argaddr(1, &sbuf);
  argint(2, &slen);
  argaddr(3, &rbuf);
  argint(4, &rlen);
  return ipc_send(pid, sbuf, slen, rbuf, rlen);
}

uint64 sys_recv(void) {
  uint64 buf;
  int len;
  argaddr(0, &buf);
  argint(1, &len);
  return ipc_recv(buf, len);
}

uint64 sys_reply(void) {
  int id, len;
  uint64 buf;
  argint(0, &id);
  argaddr(1, &buf);
  argint(2, &len);
  return ipc_reply(id, buf, len);
}
