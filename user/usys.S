# System-call stubs: put the call number in a7, trap with ecall; the kernel
# returns the result in a0. Numbers come from kernel/syscall.h.
#include "kernel/syscall.h"

.macro syscall name, number
    .global \name
\name:
    li a7, \number
    ecall
    ret
.endm

syscall fork, SYS_fork
syscall exit, SYS_exit
syscall wait, SYS_wait
syscall pipe, SYS_pipe
syscall read, SYS_read
syscall write, SYS_write
syscall close, SYS_close
syscall kill, SYS_kill
syscall exec, SYS_exec
syscall open, SYS_open
syscall mknod, SYS_mknod
syscall unlink, SYS_unlink
syscall fstat, SYS_fstat
syscall link, SYS_link
syscall mkdir, SYS_mkdir
syscall chdir, SYS_chdir
syscall dup, SYS_dup
syscall getpid, SYS_getpid
syscall sys_sbrk, SYS_sbrk
syscall sleep, SYS_sleep
syscall pause, SYS_pause
syscall uptime, SYS_uptime
syscall freepages, SYS_freepages
syscall memstat, SYS_memstat
syscall vmaudit, SYS_vmaudit
syscall vmctl, SYS_vmctl
syscall dedup, SYS_dedup
syscall send, SYS_send
syscall recv, SYS_recv
syscall reply, SYS_reply
syscall poweroff, SYS_poweroff
syscall vmquery, SYS_vmquery
syscall getppid, SYS_getppid
