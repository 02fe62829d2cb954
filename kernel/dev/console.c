// The console device (major CONSOLE): the UART's keyboard and screen as a
// terminal with line editing (kernel/dev/dev.h).
//
// Typed bytes are echoed and kept in a ring of INPUT_SIZE bytes, with
// three counters that only ever grow:
//   taken <= complete <= typed
// [taken, complete) are finished lines that read() hands out; [complete,
// typed) is the line being edited, which the editing keys change:
//   backspace, DEL   erase the last byte of the line being edited
//   ^U               erase the whole line being edited
//   newline, return  finish the line (return is stored as a newline)
//   ^D               finish the line, as end of file: a read() that meets
//                    it first returns 0
// A ring full of one line finishes it too, so that a reader makes room.
// A control key may instead have a handler (console_hotkey): kmain gives
// ^P to the process list. It runs once the console's lock is let go.
//
// read() returns at most one line; write() queues bytes on the UART's
// transmit ring (uartputc), sleeping when it is full.
//
// Locks: cons.lock ("cons") protects the ring and its counters. It is
// taken by the UART's interrupt (consoleintr) and by read(), alone, and a
// reader sleeps on &cons.complete under it. User memory is copied with no
// lock held.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/uaccess.h"
#include "kernel/dev/dev.h"

#define CTRL(x) ((x) - '@')
#define DEL 0x7f
#define INPUT_SIZE 512 // long lines typed fast (tools/run) must fit while sh reads
#define CHUNK 64       // bytes copied to or from user memory at a time

static struct {
  struct spinlock lock;
  char ring[INPUT_SIZE];
  uint taken, complete, typed;
} cons;

static void (*hotkeys[32])(void); // by control character; set at boot

void console_hotkey(int c, void (*fn)(void)) {
  if (c <= 0 || c >= (int)NELEM(hotkeys))
    panic("console_hotkey: not a control key");
  hotkeys[c] = fn;
}

// Erase the last byte of the line being edited, on the screen too.
// Returns 0 if the line is empty. Caller holds cons.lock.
static int unput(void) {
  if (cons.typed == cons.complete)
    return 0;
  cons.typed--;
  uartputc_sync('\b');
  uartputc_sync(' ');
  uartputc_sync('\b');
  return 1;
}

// Echo c and add it to the line being edited. Caller holds cons.lock.
static void put(char c) {
  if (cons.typed - cons.taken == INPUT_SIZE)
    return; // no room: the byte is lost
  if (c == '\r')
    c = '\n';
  uartputc_sync(c);
  cons.ring[cons.typed++ % INPUT_SIZE] = c;
  int full = cons.typed - cons.taken == INPUT_SIZE;
  if (c == '\n' || c == CTRL('D') || full) {
    cons.complete = cons.typed;
    wakeup(&cons.complete);
  }
}

// A byte from the keyboard (the UART's interrupt).
void consoleintr(int c) {
  void (*hotkey)(void) = c > 0 && c < (int)NELEM(hotkeys) ? hotkeys[c] : 0;
  if (hotkey) {
    hotkey();
    return;
  }
  acquire(&cons.lock);
  if (c == CTRL('U')) {
    while (unput())
      ;
  } else if (c == CTRL('H') || c == DEL) {
    unput();
  } else if (c != 0) {
    put(c);
  }
  release(&cons.lock);
}

// Move up to max bytes of the first finished line to dst, up to and with
// its newline; a ^D ends the move too, and is consumed only when it comes
// first (then nothing is moved: end of file). Sets *eol when the line
// ended. Caller holds cons.lock.
static int take(char *dst, int max, int *eol) {
  int n = 0;
  while (n < max && cons.taken != cons.complete) {
    char c = cons.ring[cons.taken % INPUT_SIZE];
    if (c == CTRL('D')) {
      cons.taken += n == 0;
      *eol = 1;
      return n;
    }
    cons.taken++;
    dst[n++] = c;
    if (c == '\n') {
      *eol = 1;
      return n;
    }
  }
  return n;
}

// Wait for a finished line; returns with cons.lock held, or -1 (without
// it) if the process is killed meanwhile.
static int wait_line(void) {
  acquire(&cons.lock);
  while (cons.taken == cons.complete) {
    if (killed(myproc())) {
      release(&cons.lock);
      return -1;
    }
    sleep(&cons.complete, &cons.lock);
  }
  return 0;
}

// read(): the rest of the current line, at most n bytes.
int consoleread(int user_dst, uint64 dst, int n) {
  char chunk[CHUNK];
  int got = 0, eol = 0;
  if (n <= 0)
    return 0;
  if (wait_line() < 0)
    return -1;
  for (;;) {
    int m = take(chunk, n - got < CHUNK ? n - got : CHUNK, &eol);
    release(&cons.lock);
    if (either_copyout(user_dst, dst + got, chunk, m) < 0)
      return got > 0 ? got : -1;
    got += m;
    if (eol || got == n)
      return got;
    acquire(&cons.lock); // more of a line longer than a chunk?
    if (cons.taken == cons.complete) {
      release(&cons.lock);
      return got;
    }
  }
}

// write(): every byte goes to the UART's transmit ring.
int consolewrite(int user_src, uint64 src, int n) {
  char chunk[CHUNK];
  int sent = 0;
  while (sent < n) {
    int m = n - sent < CHUNK ? n - sent : CHUNK;
    if (either_copyin(chunk, user_src, src + sent, m) < 0)
      break;
    for (char *c = chunk; c < chunk + m; c++)
      uartputc(*c);
    sent += m;
  }
  return sent;
}

void consoleinit(void) {
  initlock(&cons.lock, "cons");
  uartinit();
}
