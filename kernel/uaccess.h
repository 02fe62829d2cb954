// Copies between kernel memory and either the current process's user
// memory or kernel memory, for the layers that serve both (the console,
// readi/writei): user_dst / user_src says which. Returns 0, or -1 for a
// bad user address. A sleep lock may be taken (the process's vmlock),
// so never call these holding a spinlock.
#ifndef UACCESS_H
#define UACCESS_H

int either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int either_copyin(void *dst, int user_src, uint64 src, uint64 len);

#endif
