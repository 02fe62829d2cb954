// SBI calls (see sbi.h). Each is an ecall into OpenSBI with the extension
// id in a7, the function id in a6 and arguments in a0..a5; OpenSBI
// returns an error code in a0 and a value in a1.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "sbi.h"
#include "lib.h"

#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_LEGACY_PUTCHAR 0x01

struct sbiret {
  long error;
  long value;
};

static struct sbiret sbi_call(uint64 ext, uint64 fid, uint64 arg0, uint64 arg1, uint64 arg2,
                              uint64 arg3) {
  register uint64 a0 __asm__("a0") = arg0;
  register uint64 a1 __asm__("a1") = arg1;
  register uint64 a2 __asm__("a2") = arg2;
  register uint64 a3 __asm__("a3") = arg3;
  register uint64 a6 __asm__("a6") = fid;
  register uint64 a7 __asm__("a7") = ext;
  __asm__ __volatile__("ecall"
                       : "+r"(a0), "+r"(a1)
                       : "r"(a2), "r"(a3), "r"(a6), "r"(a7)
                       : "memory");
  return (struct sbiret){(long)a0, (long)a1};
}

void sbi_set_timer(uint64 stime) { sbi_call(EXT_TIME, 0, stime, 0, 0, 0); }

void sbi_send_ipi(uint64 hart_mask) { sbi_call(EXT_IPI, 0, hart_mask, 0, 0, 0); }

// size == 0 or (uint64)-1 means every address.
void sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size) {
  sbi_call(EXT_RFENCE, 1, hart_mask, 0, start, size);
}

int sbi_hart_start(uint64 hartid, uint64 start_pa, uint64 arg) {
  return (int)sbi_call(EXT_HSM, 0, hartid, start_pa, arg, 0).error;
}

void sbi_shutdown(void) {
  sbi_call(EXT_SRST, 0, 0, 0, 0, 0); // type 0: shutdown, reason 0: none
  panic("sbi_shutdown: firmware refused");
}

// Only for the earliest boot messages, before the UART is set up.
void sbi_console_putchar(int c) { sbi_call(EXT_LEGACY_PUTCHAR, 0, c, 0, 0, 0); }
