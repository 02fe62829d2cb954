// The platform-level interrupt controller routes device interrupts (UART,
// both virtio disks) to the harts; dev_intr() passes them to the drivers.
// A hart's supervisor context enables the sources it wants, claims an
// interrupt to learn its source and completes it when the device has been
// served.
//
// Every device interrupt goes to the boot hart only. Were it enabled on all
// harts, each interrupt would end the wfi of every idle hart (under QEMU,
// wake every vCPU thread) for one of them to claim it.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/dev/dev.h"

#define REG(pa) (*(volatile uint32 *)PA2KVA(pa))

static const int sources[] = {UART0_IRQ, VIRTIO0_IRQ, VIRTIO0_IRQ + 1};

void plicinit(void) {
  for (int i = 0; i < (int)NELEM(sources); i++)
    REG(PLIC_PRIORITY + 4 * sources[i]) = 1; // any non-zero priority enables
}

// devices: whether this hart takes device interrupts (see above).
void plicinithart(int devices) {
  int hart = cpuid();
  uint32 mask = 0;
  for (int i = 0; i < (int)NELEM(sources); i++)
    mask |= 1u << sources[i];
  REG(PLIC_SENABLE(hart)) = devices ? mask : 0;
  REG(PLIC_SPRIORITY(hart)) = 0; // threshold: accept every priority
}

// An external interrupt (kernel/trap/trap.c): claim the pending source,
// let its driver serve it, and tell the PLIC it is done.
void dev_intr(void) {
  int irq = REG(PLIC_SCLAIM(cpuid())); // 0: another hart claimed it
  if (irq == 0)
    return;
  if (irq == UART0_IRQ)
    uartintr();
  else if (irq == VIRTIO0_IRQ || irq == VIRTIO0_IRQ + 1)
    virtio_disk_intr(irq - VIRTIO0_IRQ);
  else
    printf("dev_intr: unexpected irq %d\n", irq);
  REG(PLIC_SCLAIM(cpuid())) = irq;
}
