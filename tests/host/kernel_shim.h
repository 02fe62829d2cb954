// Host-test support for kernel code: see kernel_shim.c.
#ifndef KERNEL_SHIM_H
#define KERNEL_SHIM_H
#include <setjmp.h>

extern jmp_buf *panic_jump;
extern const char *last_panic;

// Run stmt and report whether it panicked (the kernel's panic() returns
// here instead of aborting).
#define PANICS(stmt)                                                                               \
  ({                                                                                               \
    jmp_buf jb_;                                                                                   \
    int panicked_ = 0;                                                                             \
    if (setjmp(jb_) == 0) {                                                                        \
      panic_jump = &jb_;                                                                           \
      stmt;                                                                                        \
      panic_jump = 0;                                                                              \
    } else {                                                                                       \
      panicked_ = 1;                                                                               \
    }                                                                                              \
    panicked_;                                                                                     \
  })

#endif
