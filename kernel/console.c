// The console device: line-edited keyboard input from the UART and output to
// it. read() returns at most one line; editing keys act before the line is
// handed out:
//   backspace / DEL   erase the last character
//   ^U                erase the whole line
//   ^D                end of file (a read at the start of a line returns 0)
//   ^P                list processes (procdump)
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "memlayout.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

#define CTRL(x) ((x) - '@')
#define BACKSPACE 0x100 // consputc: erase one character on the screen

#define INPUT_SIZE 512 // long lines typed fast (tools/run) must fit while sh reads
static struct {
  struct spinlock lock; // protects the input buffer and its indexes
  char buf[INPUT_SIZE];
  uint r; // next byte read() hands out
  uint w; // end of the completed lines (what read() may take)
  uint e; // end of the line being edited
} cons;

// Output one character; used by kernel printf and for echo.
void consputc(int c) {
  if (c == BACKSPACE) {
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

// write() to the console: copy from the caller in chunks, without the lock
// held (copyin may sleep), and queue each byte for the UART.
static int consolewrite(int user_src, uint64 src, int n) {
  char chunk[64];
  int done = 0;
  while (done < n) {
    int m = n - done < (int)sizeof(chunk) ? n - done : (int)sizeof(chunk);
    if (either_copyin(chunk, user_src, src + done, m) < 0)
      break;
    for (int i = 0; i < m; i++)
      uartputc(chunk[i]);
    done += m;
  }
  return done;
}

// Take up to max bytes of the current line out of the buffer.
// Caller holds cons.lock and has checked that input is available.
// Sets *line_done when the line (or file) ended.
static int take_input(char *dst, int max, int *line_done) {
  int got = 0;
  while (got < max && cons.r != cons.w) {
    char c = cons.buf[cons.r % INPUT_SIZE];
    if (c == CTRL('D')) {
      // Leave ^D for the next read if bytes came first, so that the
      // caller sees those bytes now and a 0 (end of file) next time.
      if (got == 0)
        cons.r++;
      *line_done = 1;
      break;
    }
    cons.r++;
    dst[got++] = c;
    if (c == '\n') {
      *line_done = 1;
      break;
    }
  }
  return got;
}

// read() from the console: wait for a line, then copy it out.
static int consoleread(int user_dst, uint64 dst, int n) {
  char chunk[64];
  int done = 0, line_done = 0;
  while (done < n && !line_done) {
    acquire(&cons.lock);
    while (cons.r == cons.w) {
      if (killed(myproc()) || done > 0) {
        release(&cons.lock);
        return done > 0 ? done : -1;
      }
      sleep(&cons.r, &cons.lock);
    }
    int want = n - done < (int)sizeof(chunk) ? n - done : (int)sizeof(chunk);
    int got = take_input(chunk, want, &line_done);
    release(&cons.lock);
    if (either_copyout(user_dst, dst + done, chunk, got) < 0)
      return done > 0 ? done : -1;
    done += got;
  }
  return done;
}

// Called by the UART interrupt for each byte typed.
void consoleintr(int c) {
  int dump = 0;
  acquire(&cons.lock);
  switch (c) {
  case CTRL('P'):
    dump = 1; // after releasing the lock: procdump takes other locks
    break;
  case CTRL('U'):
    while (cons.e != cons.w && cons.buf[(cons.e - 1) % INPUT_SIZE] != '\n') {
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  case CTRL('H'):
  case 0x7f:
    if (cons.e != cons.w) {
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  default:
    if (c == 0 || cons.e - cons.r >= INPUT_SIZE)
      break;
    if (c == '\r')
      c = '\n';
    consputc(c);
    cons.buf[cons.e++ % INPUT_SIZE] = c;
    if (c == '\n' || c == CTRL('D') || cons.e - cons.r == INPUT_SIZE) {
      cons.w = cons.e; // a complete line: readers may have it
      wakeup(&cons.r);
    }
  }
  release(&cons.lock);
  if (dump)
    procdump();
}

void consoleinit(void) {
  initlock(&cons.lock, "cons");
  uartinit();
  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
}
