// Compatibility fixture (run by test_compat): the kernel headers course
// programs include, with the values xv6 gives the names they use. Also
// `void main` (older xv6 programs) and a read of a small constant address,
// which gcc -O2 rejects under -Werror (-Warray-bounds) but xv6's -O builds.
// Written in xv6's style on purpose.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "user/user.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"

int bad;

void
expect(char *name, uint64 got, uint64 want)
{
  if(got != want){
    printf("compat_headers: %s is %p, xv6 has %p\n", name, got, want);
    bad++;
  }
}

void
main(int argc, char *argv[])
{
  expect("PGSIZE", PGSIZE, 4096);
  expect("MAXVA", MAXVA, 1L << 38);
  expect("KERNBASE", KERNBASE, 0x80000000L);
  expect("PHYSTOP", PHYSTOP, 0x80000000L + 128*1024*1024);
  expect("TRAMPOLINE", TRAMPOLINE, (1L << 38) - 4096);
  expect("TRAPFRAME", TRAPFRAME, (1L << 38) - 2*4096);
  expect("BSIZE", BSIZE, 1024);
  expect("DIRSIZ", DIRSIZ, 14);
  expect("NDIRECT", NDIRECT, 12);
  expect("MAXFILE", MAXFILE, 12 + 256);
  expect("NINODE", NINODE, 50);
  expect("MAXOPBLOCKS", MAXOPBLOCKS, 10);
  expect("MAXARG", MAXARG, 32);
  expect("MAXPATH", MAXPATH, 128);
  expect("NOFILE", NOFILE, 16);
  expect("NPROC", NPROC, 64);
  expect("O_CREATE|O_RDWR|O_TRUNC", O_CREATE|O_RDWR|O_TRUNC, 0x602);
  expect("O_WRONLY", O_WRONLY, 1);
  expect("T_DIR", T_DIR, 1);
  expect("T_FILE", T_FILE, 2);
  expect("T_DEVICE", T_DEVICE, 3);
  expect("sizeof(struct dirent)", sizeof(struct dirent), 16);

  // struct stat and struct dirent, filled by the kernel.
  int fd = open("compat.tmp", O_CREATE|O_RDWR|O_TRUNC);
  if(fd < 0 || write(fd, "abcdef", 6) != 6){
    printf("compat_headers: cannot write compat.tmp\n");
    exit(1);
  }
  struct stat st;
  if(fstat(fd, &st) < 0 || st.type != T_FILE || st.size != 6 || st.nlink != 1)
    bad++;
  close(fd);
  unlink("compat.tmp");
  fd = open(".", O_RDONLY);
  struct dirent de;
  if(fd < 0 || read(fd, &de, sizeof(de)) != sizeof(de) || de.inum != ROOTINO
     || strcmp(de.name, ".") != 0)
    bad++;
  close(fd);

  // A register helper from kernel/riscv.h, as usertests uses r_sp().
  uint64 sp = r_sp();
  if(sp < PGSIZE || sp >= MAXVA)
    bad++;

  // Text starts at address 0 and is readable, as on xv6.
  int *low = (int *)16;
  printf("word at 16: %x\n", *low);

  if(bad){
    printf("compat_headers: %d mismatches\n", bad);
    exit(1);
  }
  printf("compat_headers: ok\n");
  exit(0);
}
