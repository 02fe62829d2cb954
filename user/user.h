// The user-space ABI: system calls and the user library.
// Signatures are xv6-riscv's (2020-2025 course years), so xv6 programs build
// unchanged; calls added by this kernel are marked "added".
#ifndef USER_H
#define USER_H

struct stat;
struct rtcdate;
struct memstat;

// system calls
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int *);
int pipe(int *);
int write(int, const void *, int);
int read(int, void *, int);
int close(int);
int kill(int);
int exec(const char *, char **);
int open(const char *, int);
int mknod(const char *, short, short);
int unlink(const char *);
int fstat(int fd, struct stat *);
int link(const char *, const char *);
int mkdir(const char *);
int chdir(const char *);
int dup(int);
int getpid(void);
char *sys_sbrk(int, int); // grow by n bytes, eagerly (SBRK_EAGER) or lazily
int sleep(int);
int pause(int); // the newer xv6 name of sleep
int uptime(void);

int freepages(void);            // added: free physical frames right now
int memstat(struct memstat *);  // added: VM counters (kernel/memstat.h)
int vmaudit(void);              // added: check VM invariants; returns violations
int vmctl(int knob, int value); // added: set a knob (kernel/vmctl.h); returns old value
int dedup(void);                // added: merge identical pages; returns frames freed
int send(int pid, const void *sbuf, int slen, void *rbuf, int rlen); // added: IPC call
int recv(void *buf, int len);                // added: IPC wait; returns the sender's id
int reply(int id, const void *buf, int len); // added: IPC answer to sender id
int poweroff(void);                          // added: power the machine off
int vmquery(int pid, uint64 va, int npages, char *states); // added: page states (kernel/vmquery.h)
int getppid(void);                           // added: the parent's pid

#define SBRK_EAGER 1
#define SBRK_LAZY 2
#define SBRK_ERROR ((char *)-1)

// ulib.c
int stat(const char *, struct stat *);
char *strcpy(char *, const char *);
void *memmove(void *, const void *, int);
char *strchr(const char *, char c);
int strcmp(const char *, const char *);
char *gets(char *, int max);
uint strlen(const char *);
void *memset(void *, int, uint);
int atoi(const char *);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);
char *sbrk(int);     // grow the heap by n bytes, allocating now
char *sbrklazy(int); // grow the heap; pages are zero-filled on first touch

// printf.c: declared as xv6 declares them, without a format attribute, so
// that xv6 programs whose formats do not match their arguments build under
// -Werror as they do on xv6. Our own programs get format checking from
// user/checked.h.
void fprintf(int, const char *, ...);
void printf(const char *, ...);

// umalloc.c
void *malloc(uint);
void free(void *);

#endif
