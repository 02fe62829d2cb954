// The platform-level interrupt controller routes device interrupts (UART,
// both virtio disks) to the harts. A hart's supervisor context enables the
// sources it wants, claims an interrupt to learn its source and completes
// it when the device has been served.
//
// Every device interrupt goes to the boot hart only. Were it enabled on all
// harts, each interrupt would end the wfi of every idle hart (under QEMU,
// wake every vCPU thread) for one of them to claim it.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

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

// The highest-priority pending source, or 0 if none.
int plic_claim(void) { return REG(PLIC_SCLAIM(cpuid())); }

void plic_complete(int irq) { REG(PLIC_SCLAIM(cpuid())) = irq; }
