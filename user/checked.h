// Format checking for this project's own user programs.
//
// user/user.h declares printf and fprintf exactly as xv6 does, without a
// format attribute: programs written for xv6 (course suites among them)
// print a uint64 with %p, pass extra arguments or print an int with %s, and
// they must build here under -Werror as they do on xv6. Our own programs
// include this header after user/user.h: it declares the same two functions
// again with the attribute, so the compiler checks every format they use.
// Programs dropped in from xv6 never see it.
#ifndef CHECKED_H
#define CHECKED_H

void fprintf(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void printf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
