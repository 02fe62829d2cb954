// Driver for the 16550 UART that QEMU's virt machine puts at UART0.
//
// Output has two paths: uartputc() queues a byte in a transmit ring and
// lets the "transmitter empty" interrupt drain it, sleeping while the ring
// is full (used by write() to the console); uartputc_sync() spins on the
// line status register (used by kernel printf and echo, which may run with
// interrupts off). Input arrives by interrupt and goes to consoleintr().
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/lib.h"
#include "kernel/sched/sched.h"
#include "kernel/dev/dev.h"

// Register offsets (16550 data sheet).
#define RHR 0 // receive holding (read)
#define THR 0 // transmit holding (write)
#define DLL 0 // divisor latch low (when LCR_DLAB)
#define IER 1 // interrupt enable
#define DLM 1 // divisor latch high (when LCR_DLAB)
#define FCR 2 // FIFO control (write)
#define LCR 3 // line control
#define LSR 5 // line status

#define IER_RX 0x01
#define IER_TX 0x02
#define FCR_ENABLE_AND_CLEAR 0x07
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_RX_READY 0x01
#define LSR_TX_EMPTY 0x20

static volatile uchar *const uart = (volatile uchar *)PA2KVA(UART0);

#define TXSIZE 64
static struct {
  struct spinlock lock; // protects the transmit ring
  char buf[TXSIZE];
  uint64 r, w; // bytes dequeued / enqueued so far; w - r <= TXSIZE
} tx;

void uartinit(void) {
  uart[IER] = 0;
  uart[LCR] = LCR_DLAB; // baud rate divisor 3: 38.4k (QEMU ignores it)
  uart[DLL] = 3;
  uart[DLM] = 0;
  uart[LCR] = LCR_8N1;
  uart[FCR] = FCR_ENABLE_AND_CLEAR;
  uart[IER] = IER_RX | IER_TX;
  initlock(&tx.lock, "uart");
}

// Move queued bytes to the device while it can take them.
// Caller holds tx.lock. Wakes writers waiting for room.
static void uartstart(void) {
  while (tx.r != tx.w && (uart[LSR] & LSR_TX_EMPTY)) {
    uart[THR] = tx.buf[tx.r % TXSIZE];
    tx.r++;
    wakeup(&tx.r);
  }
}

// Queue a byte for output; sleeps while the ring is full.
void uartputc(int c) {
  acquire(&tx.lock);
  while (panicked == 0 && tx.w - tx.r == TXSIZE)
    sleep(&tx.r, &tx.lock);
  if (panicked) {
    release(&tx.lock);
    for (;;)
      ;
  }
  tx.buf[tx.w % TXSIZE] = c;
  tx.w++;
  uartstart();
  release(&tx.lock);
}

// Write a byte now, spinning until the device takes it.
void uartputc_sync(int c) {
  push_off();
  if (panicked) // a panic message is complete: keep it the last thing printed
    for (;;)
      ;
  while ((uart[LSR] & LSR_TX_EMPTY) == 0)
    ;
  uart[THR] = c;
  pop_off();
}

// Interrupt: the device received bytes, or has room to send.
void uartintr(void) {
  while (uart[LSR] & LSR_RX_READY)
    consoleintr(uart[RHR]);
  acquire(&tx.lock);
  uartstart();
  release(&tx.lock);
}
