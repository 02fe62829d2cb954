// The clock (sched.h): every hart has a timer interrupt each
// TICK_INTERVAL; hart 0's count the ticks, which sleep(n) and uptime()
// measure (ten a second, as on xv6, since programs sleep in ticks), and
// every hart's end a time slice (kernel/trap/trap.c yields then).
//
// tickslock ("time") protects ticks; a process waiting for ticks sleeps
// on &ticks under it (sys_sleep, and the reclaimer in kernel/vm/reclaim.c).
// It is taken alone, before "sched".
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sbi.h"
#include "kernel/sched/sched.h"

// In units of the time CSR, 10 MHz on QEMU's virt machine: 100 ms.
#define TICK_INTERVAL 1000000

struct spinlock tickslock;
uint ticks;

void clock_init(void) { initlock(&tickslock, "time"); }

static void next_interrupt(void) { sbi_set_timer(r_time() + TICK_INTERVAL); }

// Start this hart's timer (its interrupt is enabled by trapinithart).
void clock_start_hart(void) { next_interrupt(); }

// A timer interrupt on this hart, interrupts off.
void clock_tick(void) {
  if (cpuid() == 0) {
    acquire(&tickslock);
    ticks++;
    wakeup(&ticks);
    release(&tickslock);
  }
  next_interrupt();
}
