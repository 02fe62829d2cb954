// What every layer of the kernel may call: console output (printf.c) and
// the memory and string helpers (string.c). Neither takes any lock but
// printf's own, nor sleeps.
#ifndef LIB_H
#define LIB_H

// printf.c: %d %u %x %p %s %c %%, a field width, l/ll.
void printf(char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(char *s) __attribute__((noreturn));
void printfinit(void);
extern volatile int panicked; // set by panic(): output stops on every hart

// string.c
int memcmp(const void *a, const void *b, uint n);
void *memmove(void *dst, const void *src, uint n);
void *memset(void *dst, int c, uint n);
void *memcpy(void *dst, const void *src, uint n);
char *safestrcpy(char *dst, const char *src, int n);
int strlen(const char *s);
int strncmp(const char *p, const char *q, uint n);
char *strncpy(char *dst, const char *src, int n);

// number of elements in a fixed-size array
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

#endif
