// poweroff: switch the machine off. Returns only if the kernel refused.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

int main(void) {
  poweroff();
  fprintf(2, "poweroff: failed\n");
  return 1;
}
