// Traps (trap.h): every way into the kernel after boot.
//
//   from user mode    uservec (trampoline.S) saves the user registers in
//                     p->tf and calls usertrap(); usertrapret() goes back
//   from kernel mode  kernelvec (kernelvec.S) saves the caller-saved
//                     registers on the current stack and calls kerneltrap()
//
// What a trap is, by scause:
//   interrupt, timer          clock_tick(); a process gives up the hart
//   interrupt, external       dev_intr(): the PLIC names the device
//   interrupt, software       an IPI, whose only job was to end a wfi
//   ecall from user mode      syscall(), interrupts on
//   page fault, user mode     vmfault(), interrupts on; VM_NOMEM kills
//                             with "out of memory", any other failure
//                             as a bad access
//   anything else, user mode  a bad access: the process is killed, with
//                             one line naming pid, cause and address
//   anything else, kernel     a kernel bug: panic
// A killed process exits when its trap is over, before user mode.
//
// Locks: none of its own; a trap from user mode may take any lock below,
// and a trap in kernel mode comes only while the hart holds no spinlock
// (spinlocks keep interrupts off), so its handlers may take spinlocks.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/dev/dev.h"
#include "kernel/trap/trap.h"
#include "kernel/sched/lockcheck.h"
#include "kernel/vm/vm.h"

extern char uservec[], kernelvec[];
void userret(struct trapframe *tf) __attribute__((noreturn));

// scause (RISC-V privileged specification): the top bit marks interrupts.
#define CAUSE_IRQ (1UL << 63)
enum { IRQ_SOFTWARE = 1, IRQ_TIMER = 5, IRQ_EXTERNAL = 9 };
enum { ECALL_FROM_U = 8, FETCH_PAGE_FAULT = 12, LOAD_PAGE_FAULT = 13, STORE_PAGE_FAULT = 15 };

enum irq { NO_IRQ, DEVICE_IRQ, CLOCK_IRQ };

// clang-format off
static const char *const exception_names[16] = {
    [0] = "misaligned fetch", [1] = "instruction access fault", [2] = "illegal instruction",
    [3] = "breakpoint",       [4] = "misaligned load",          [5] = "load access fault",
    [6] = "misaligned store", [7] = "store access fault",       [12] = "instruction page fault",
    [13] = "load page fault", [15] = "store page fault",
};
// clang-format on

static const char *cause_name(uint64 scause) {
  const char *name = scause < 16 ? exception_names[scause] : 0;
  return name ? name : "unknown exception";
}

// This hart traps to kernelvec while in the kernel, takes the interrupts
// the kernel uses, and lets user mode read the cycle, time and instret
// counters; its timer starts.
void trapinithart(void) {
  w_stvec((uint64)kernelvec);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);
  w_scounteren(0x7);
  clock_start_hart();
}

// Serve scause if it is an interrupt; say which kind it was.
static enum irq serve_interrupt(uint64 scause) {
  if (!(scause & CAUSE_IRQ))
    return NO_IRQ;
  switch (scause & ~CAUSE_IRQ) {
  case IRQ_TIMER:
    clock_tick();
    return CLOCK_IRQ;
  case IRQ_EXTERNAL:
    dev_intr();
    return DEVICE_IRQ;
  case IRQ_SOFTWARE:
    w_sip(r_sip() & ~SIE_SSIE);
    return DEVICE_IRQ;
  }
  return NO_IRQ;
}

static void kill_for_fault(struct proc *p, uint64 scause, uint64 va) {
  printf("pid %d (%s): %s at va %p, pc %p: killed\n", p->pid, p->name, cause_name(scause),
         (void *)va, (void *)p->tf.epc);
  setkilled(p);
}

// A page fault from user mode, handled with interrupts on as a system
// call is: it may copy a leaf table and a page, read swap, and wait for
// the address space's lock behind a dedup scan, and clock ticks must not
// wait meanwhile. Nothing in it needs them off: vmfault holds p->vmlock, a
// sleep lock, and a move to another hart is harmless, since a hart flushes
// its TLB when it starts running a process (kvm_switch_user), and the
// flush tlb_flush_before_user asked for on the old hart is then done by
// the new one's. stval is read first: an interrupt would overwrite it.
static void user_page_fault(struct proc *p, uint64 scause) {
  uint64 va = r_stval();
  int access = VM_EXEC;
  if (scause == LOAD_PAGE_FAULT)
    access = VM_READ;
  else if (scause == STORE_PAGE_FAULT)
    access = VM_WRITE;
  intr_on();
  int r = vmfault(p, va, access);
  if (r == VM_NOMEM) {
    printf("pid %d (%s): out of memory at va %p: killed\n", p->pid, p->name, (void *)va);
    setkilled(p);
  } else if (r != VM_OK) {
    kill_for_fault(p, scause, va);
  }
}

// An exception from user mode (not an interrupt).
static void user_exception(struct proc *p, uint64 scause) {
  switch (scause) {
  case ECALL_FROM_U:
    if (killed(p))
      exit(-1);
    p->tf.epc += 4; // resume after the ecall
    intr_on();      // the registers are saved: interrupts may come
    syscall();
    break;
  case FETCH_PAGE_FAULT:
  case LOAD_PAGE_FAULT:
  case STORE_PAGE_FAULT:
    user_page_fault(p, scause);
    break;
  default:
    kill_for_fault(p, scause, r_stval());
  }
}

void usertrap(void) {
  if (r_sstatus() & SSTATUS_SPP)
    panic("usertrap: not from user mode");
  w_stvec((uint64)kernelvec); // traps are the kernel's own from here
  struct proc *p = myproc();
  p->tf.epc = r_sepc();
  uint64 scause = r_scause();
  enum irq irq = serve_interrupt(scause);
  if (irq == NO_IRQ)
    user_exception(p, scause);
  if (killed(p))
    exit(-1);
  if (irq == CLOCK_IRQ)
    yield(); // the time slice is over
  usertrapret();
}

// Back to user mode with the registers of p->tf. From the sstatus write
// on interrupts stay off (a trap would go to uservec while still in the
// kernel) until sret turns them on in user mode.
void usertrapret(void) {
  struct proc *p = myproc();
  w_sstatus((r_sstatus() & ~(SSTATUS_SIE | SSTATUS_SPP)) | SSTATUS_SPIE);
  w_stvec((uint64)uservec);
  struct cpu *c = mycpu(); // interrupts off: this hart until sret
  if (c->tlb_stale) {      // see tlb_flush_before_user (vm/pagetable.c)
    sfence_vma();
    c->tlb_stale = 0;
  }
  p->tf.kernel_sp = (uint64)p->kstack + KSTACKSIZE;
  p->tf.kernel_hartid = r_tp();
  w_sepc(p->tf.epc);
  w_sscratch((uint64)&p->tf);
  userret(&p->tf);
}

// A trap in kernel mode, on whatever stack was in use: only interrupts
// are expected.
void kerneltrap(void) {
  uint64 sepc = r_sepc(), sstatus = r_sstatus(), scause = r_scause();
  if (!(sstatus & SSTATUS_SPP) || intr_get())
    panic("kerneltrap: not from the kernel, or interrupts on");
  LOCKCHECK_DO(lockcheck_irq(1)); // the interrupted thread's sleep locks are not the handler's
  enum irq irq = serve_interrupt(scause);
  LOCKCHECK_DO(lockcheck_irq(-1));
  if (irq == NO_IRQ) {
    printf("scause %p (%s) sepc %p stval %p hart %d\n", (void *)scause, cause_name(scause),
           (void *)sepc, (void *)r_stval(), cpuid());
    panic("kerneltrap");
  }
  if (irq == CLOCK_IRQ && myproc() != 0)
    yield();
  // yield() may have run other threads, whose traps changed these.
  w_sepc(sepc);
  w_sstatus(sstatus);
}
