// The Supervisor Binary Interface: calls into OpenSBI (M-mode firmware).
// This is the whole hardware contract the kernel needs beyond memory-mapped
// devices:
//
//   sbi_set_timer(t)            timer interrupt when time >= t   (TIME)
//   sbi_send_ipi(mask)          software interrupt to harts        (IPI)
//   sbi_remote_sfence_vma(...)  TLB flush on other harts           (RFENCE)
//   sbi_hart_start(h, pa, arg)  start a stopped hart at pa         (HSM)
//   sbi_shutdown()              power off                          (SRST)
//
// Hart masks are bit masks of hart ids starting at hart 0.
#ifndef SBI_H
#define SBI_H

void sbi_set_timer(uint64 stime);
void sbi_send_ipi(uint64 hart_mask);
void sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size);
int sbi_hart_start(uint64 hartid, uint64 start_pa, uint64 arg);
void sbi_shutdown(void) __attribute__((noreturn));
void sbi_console_putchar(int c);

#endif
