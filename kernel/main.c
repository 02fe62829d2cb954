// Boot: entry.S calls kmain() on the hart OpenSBI chose, with paging on
// and the boot page table loaded; that hart sets up the machine and starts
// the others, which enter kmain_secondary().
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sbi.h"
#include "defs.h"
#include "vm/vm.h"

extern char _secondary_entry[];
static volatile int boot_done; // set once the boot hart finished kmain's setup

// Start every other hart that exists; sbi_hart_start fails for the rest.
static void start_other_harts(int self) {
  for (int h = 0; h < NCPU; h++)
    if (h != self)
      sbi_hart_start(h, KVA2PA(_secondary_entry), 0);
}

void kmain(uint64 hartid, uint64 dtb) {
  consoleinit();
  printfinit();
  printf("\nrvcow kernel booting on hart %d\n", (int)hartid);
  kinit();         // frame table
  kvminit();       // kernel page table
  kvminithart();   // switch to it
  procinit();      // process table
  ipcinit();       // IPC rendezvous (ipc.c)
  trapinit();      // trap vectors
  trapinithart();  // this hart's trap vector and timer
  plicinit();      // interrupt controller
  plicinithart(1); // device interrupts come to this hart
  binit();         // buffer cache
  iinit();         // inode table
  fileinit();      // file table
  virtio_disk_init();
  vm_init();  // reverse map, reclaim, swap slots on disk 1
  userinit(); // first process
  printf("%d free frames (%d KiB)\n", freepages(), freepages() * (PGSIZE / 1024));
  __atomic_store_n(&boot_done, 1, __ATOMIC_RELEASE);
  start_other_harts(hartid);
  scheduler();
}

void kmain_secondary(uint64 hartid) {
  while (!__atomic_load_n(&boot_done, __ATOMIC_ACQUIRE))
    ;
  kvminithart();
  trapinithart();
  plicinithart(0);
  scheduler();
}
