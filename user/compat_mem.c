// Compatibility fixture (run by test_compat): the old names and habits of
// course programs. sbrk with a negative size, sleep and uptime, exit(-1)
// seen by wait, a pointer to struct rtcdate, and an `int main()` that
// falls off its end (exit status 0). Written in xv6's style on purpose.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"

struct rtcdate *when;   // declared in user/user.h, as on xv6

void
must(int ok, char *what, int value)
{
  if(!ok){
    printf("compat_mem: %s (%d)\n", what, value);
    exit(1);
  }
}

int
main()
{
  int start = uptime();
  char *a = sbrk(8192);
  must(a != (char*)-1, "sbrk failed", 0);
  a[0] = 1;
  a[8191] = 2;
  char *b = sbrk(-4096);
  must(b == a + 8192, "sbrk(-4096) did not return the old break", (int)(b - a));
  must(sbrk(0) == a + 4096 && a[0] == 1, "the break did not move down", 0);
  sleep(2);
  must(uptime() - start >= 2, "sleep(2) was short, ticks:", uptime() - start);
  int kid = fork();
  if(kid == 0)
    exit(-1);
  int st = 0;
  must(wait(&st) == kid && st == -1, "exit(-1) reached wait as", st);
  must(when == 0, "struct rtcdate pointer", 0);
  printf("compat_mem: ok\n");
}
