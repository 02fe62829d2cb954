// Compatibility fixture (run by test_compat): the old names and habits of
// course programs. sbrk with a negative size, sleep and uptime, exit(-1)
// seen by wait, a pointer to struct rtcdate, and an `int main()` that
// falls off its end (exit status 0). Written in xv6's style on purpose.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

struct rtcdate *when;   // declared in user/user.h, as on xv6

int
main()
{
  int t0 = uptime();
  char *a = sbrk(8192);
  if(a == (char*)-1){
    printf("compat_mem: sbrk failed\n");
    exit(1);
  }
  a[0] = 1;
  a[8191] = 2;
  char *b = sbrk(-4096);
  if(b != a + 8192 || sbrk(0) != a + 4096 || a[0] != 1){
    printf("compat_mem: sbrk(-4096) returned %p\n", b);
    exit(1);
  }
  sleep(2);
  if(uptime() - t0 < 2){
    printf("compat_mem: sleep(2) took %d ticks\n", uptime() - t0);
    exit(1);
  }
  int pid = fork();
  if(pid == 0)
    exit(-1);
  int xstatus;
  if(wait(&xstatus) != pid || xstatus != -1){
    printf("compat_mem: child's exit(-1) came back as %d\n", xstatus);
    exit(1);
  }
  if(when != 0)
    exit(1);
  printf("compat_mem: ok\n");
}
