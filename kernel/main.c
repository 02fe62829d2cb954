// Boot. entry.S enters kmain() on the hart OpenSBI chose, with paging on
// (its boot page table) and a boot stack; that hart brings the machine up
// layer by layer, from the bottom (kernel/sched/sched.h tells the layers),
// wires the layers that meet only here, and starts the other harts, which
// enter kmain_secondary(). Every hart ends in its idle thread
// (scheduler()). No locks: the other harts wait for `up`, set once the
// boot hart is done.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/file.h"
#include "kernel/sbi.h"
#include "kernel/defs.h"
#include "kernel/vm/vm.h"

extern char _secondary_entry[];
static volatile int up; // the boot hart has brought the machine up

// What every hart sets up for itself once the kernel page table is its
// own: trap vector, timer and interrupt routing (devices: only the boot
// hart takes them, see kernel/dev/plic.c).
static void hart_init(int devices) {
  trapinithart();
  plicinithart(devices);
}

// The layers, bottom up: each is set up before the layers above it,
// which may use it at once. Memory comes first: the frame table and the
// kernel page table are all the later steps need to allocate.
// clang-format off
static void (*const boot_steps[])(void) = {
    kinit, kvminit, kvminithart, // vm/: frames; the kernel page table, on
    sched_init, clock_init,      // sched/
    procinit, ipcinit,           // the process table, IPC slots
    plicinit,                    // dev/: interrupt sources
    binit, iinit, fileinit,      // fs/: caches and tables
    virtio_disk_init,            // dev/: both disks
    vm_init,                     // vm/: rmap, reclaim, swap on disk 1
};
// clang-format on

// Where the layers meet without calling each other: the file system
// reaches the console through devsw[], the console's ^P lists processes.
static void wire_layers(void) {
  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
  console_hotkey('P' - '@', procdump);
}

void kmain(uint64 hartid, uint64 dtb) {
  consoleinit(); // printf works before this; the console's lock not yet
  printfinit();
  printf("\nrvcow kernel booting on hart %d\n", (int)hartid);
  for (int i = 0; i < (int)NELEM(boot_steps); i++)
    boot_steps[i]();
  wire_layers();
  hart_init(1);
  userinit();
  int frames = freepages();
  printf("%d free frames (%d KiB)\n", frames, frames * (PGSIZE / 1024));
  __atomic_store_n(&up, 1, __ATOMIC_RELEASE);
  // Start each hart that exists: sbi_hart_start fails for the others.
  for (int h = 0; h < NCPU; h++)
    if (h != (int)hartid)
      sbi_hart_start(h, KVA2PA(_secondary_entry), 0);
  scheduler();
}

void kmain_secondary(uint64 hartid) {
  while (!__atomic_load_n(&up, __ATOMIC_ACQUIRE))
    ;
  kvminithart();
  hart_init(0);
  scheduler();
}
