// either_copyout / either_copyin (kernel/uaccess.h): one level above the
// VM subsystem's copyout/copyin, which they call for user addresses, and
// below the drivers and the file system, which call them.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/lib.h"
#include "kernel/uaccess.h"
#include "kernel/defs.h" // copyout, copyin (kernel/vm/usercopy.c)

int either_copyout(int user_dst, uint64 dst, void *src, uint64 len) {
  if (!user_dst) {
    memmove((void *)dst, src, len);
    return 0;
  }
  return copyout(myproc()->pagetable, dst, src, len);
}

int either_copyin(void *dst, int user_src, uint64 src, uint64 len) {
  if (!user_src) {
    memmove(dst, (void *)src, len);
    return 0;
  }
  return copyin(myproc()->pagetable, dst, src, len);
}
