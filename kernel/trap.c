// Traps: system calls, exceptions and device interrupts, from user mode
// (uservec -> usertrap) and from kernel mode (kernelvec -> kerneltrap).
//
// A user exception that the VM cannot resolve (vmfault) kills only the
// faulting process, with one line on the console naming pid, cause and
// address. A kernel exception is a kernel bug: panic.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sbi.h"
#include "defs.h"
#include "vm/vm.h"
#include "lockcheck.h"

// One timer interrupt per TICK_INTERVAL units of the time CSR (10 MHz on
// QEMU virt): ten ticks a second, as on xv6, since programs sleep in ticks.
#define TICK_INTERVAL 1000000

struct spinlock tickslock; // protects ticks
uint ticks;

extern char uservec[], kernelvec[];
void userret(struct trapframe *tf);
void kerneltrap(void);

// scause values (privileged spec).
#define SCAUSE_INTR (1L << 63)
#define IRQ_SOFT 1
#define IRQ_TIMER 5
#define IRQ_EXTERNAL 9
#define EXC_ECALL_U 8
#define EXC_INST_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15

void trapinit(void) { initlock(&tickslock, "time"); }

// Per hart: take traps at kernelvec, enable interrupt sources, start the timer.
void trapinithart(void) {
  w_stvec((uint64)kernelvec);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);
  w_scounteren(0x7); // user mode may read cycle, time and instret
  sbi_set_timer(r_time() + TICK_INTERVAL);
}

static const char *cause_name(uint64 scause) {
  static const char *names[] = {
      [0] = "misaligned fetch", [1] = "instruction access fault", [2] = "illegal instruction",
      [3] = "breakpoint",       [4] = "misaligned load",          [5] = "load access fault",
      [6] = "misaligned store", [7] = "store access fault",       [12] = "instruction page fault",
      [13] = "load page fault", [15] = "store page fault",
  };
  if (scause < NELEM(names) && names[scause])
    return names[scause];
  return "unknown exception";
}

static void clock_tick(void) {
  if (cpuid() == 0) {
    acquire(&tickslock);
    ticks++;
    wakeup(&ticks);
    release(&tickslock);
  }
  sbi_set_timer(r_time() + TICK_INTERVAL);
}

// Handle an interrupt. Returns 2 for a timer tick, 1 for another device
// interrupt, 0 if scause is not an interrupt we know.
static int devintr(uint64 scause) {
  if (!(scause & SCAUSE_INTR))
    return 0;
  switch (scause & ~SCAUSE_INTR) {
  case IRQ_EXTERNAL: {
    int irq = plic_claim();
    if (irq == UART0_IRQ)
      uartintr();
    else if (irq == VIRTIO0_IRQ || irq == VIRTIO0_IRQ + 1)
      virtio_disk_intr(irq - VIRTIO0_IRQ);
    else if (irq)
      printf("devintr: unexpected irq %d\n", irq);
    if (irq)
      plic_complete(irq);
    return 1;
  }
  case IRQ_TIMER:
    clock_tick();
    return 2;
  case IRQ_SOFT:
    // An inter-processor interrupt: its only job was to end a wfi.
    w_sip(r_sip() & ~SIE_SSIE);
    return 1;
  }
  return 0;
}

// Kill the current process for an exception it caused at va.
static void kill_for_fault(struct proc *p, uint64 scause, uint64 va) {
  printf("pid %d (%s): %s at va %p, pc %p: killed\n", p->pid, p->name, cause_name(scause),
         (void *)va, (void *)p->tf.epc);
  setkilled(p);
}

// A page fault from user mode. It is handled with interrupts on, as a
// system call is: it may copy a leaf table and a page, and sleep on the
// address space's lock (behind a dedup scan, say), and ticks must not wait
// meanwhile. Nothing in the fault path needs interrupts off: vmfault holds
// p->vmlock, a sleep lock; a move to another hart is harmless, because
// every hart flushes its TLB when it switches to a process
// (kvm_switch_user), and a flush recorded with tlb_flush_before_user on
// the old hart is then done by the new one's switch. scause and stval are
// read before: an interrupt taken meanwhile overwrites them.
static void user_page_fault(struct proc *p, uint64 scause) {
  uint64 va = r_stval();
  int access = scause == EXC_STORE_PAGE ? VM_WRITE : scause == EXC_LOAD_PAGE ? VM_READ : VM_EXEC;
  intr_on();
  int r = vmfault(p, va, access);
  if (r == VM_NOMEM) {
    printf("pid %d (%s): out of memory at va %p: killed\n", p->pid, p->name, (void *)va);
    setkilled(p);
  } else if (r != VM_OK) {
    kill_for_fault(p, scause, va);
  }
}

// A trap from user mode; uservec has saved the registers in p->tf.
void usertrap(void) {
  if (r_sstatus() & SSTATUS_SPP)
    panic("usertrap: not from user mode");
  w_stvec((uint64)kernelvec);
  struct proc *p = myproc();
  p->tf.epc = r_sepc();
  uint64 scause = r_scause();
  int which = 0;

  if (scause == EXC_ECALL_U) {
    if (killed(p))
      exit(-1);
    p->tf.epc += 4; // return past the ecall
    intr_on();      // registers are saved; interrupts may come
    syscall();
  } else if ((which = devintr(scause)) != 0) {
    // handled
  } else if (scause == EXC_INST_PAGE || scause == EXC_LOAD_PAGE || scause == EXC_STORE_PAGE) {
    user_page_fault(p, scause);
  } else {
    kill_for_fault(p, scause, r_stval());
  }

  if (killed(p))
    exit(-1);
  if (which == 2)
    yield(); // the time slice is over
  usertrapret();
}

// Return to user mode with the registers in p->tf.
void usertrapret(void) {
  struct proc *p = myproc();
  // One sstatus write: interrupts off until sret (a trap now would enter
  // uservec from the kernel), then sret to user mode with them on.
  uint64 sstatus = r_sstatus();
  sstatus &= ~(SSTATUS_SIE | SSTATUS_SPP);
  sstatus |= SSTATUS_SPIE;
  w_sstatus(sstatus);
  w_stvec((uint64)uservec);
  if (mycpu()->tlb_stale) { // see tlb_flush_before_user (vm/pagetable.c)
    sfence_vma();
    mycpu()->tlb_stale = 0;
  }
  p->tf.kernel_sp = (uint64)p->kstack + KSTACKSIZE;
  p->tf.kernel_hartid = r_tp();
  w_sepc(p->tf.epc);
  w_sscratch((uint64)&p->tf);
  userret(&p->tf);
}

// A trap from kernel mode, on whatever kernel stack was in use.
void kerneltrap(void) {
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();
  if (!(sstatus & SSTATUS_SPP))
    panic("kerneltrap: not from supervisor mode");
  if (intr_get())
    panic("kerneltrap: interrupts enabled");

  LOCKCHECK_DO(lockcheck_irq(1)); // a handler holds none of the interrupted sleep locks
  int which = devintr(scause);
  LOCKCHECK_DO(lockcheck_irq(-1));
  if (which == 0) {
    printf("scause %p (%s) sepc %p stval %p hart %d\n", (void *)scause, cause_name(scause),
           (void *)sepc, (void *)r_stval(), cpuid());
    panic("kerneltrap");
  }
  if (which == 2 && myproc() != 0)
    yield();
  // yield() may have taken other traps: restore this one's registers.
  w_sepc(sepc);
  w_sstatus(sstatus);
}
