// malloc() and free() for user programs.
//
// The heap is carved from memory obtained with sbrk(). Every block, in use
// or free, starts with a 16-byte header giving its size; the caller's bytes
// follow the header, so they are 16-byte aligned. Free blocks form one list
// sorted by address; free() merges a block with free neighbours, so the
// list never holds two adjacent blocks. malloc() takes the first free
// block that is big enough (first fit), splitting off the rest, and grows
// the heap when none is. It returns 0 when sbrk() fails.
#include "kernel/types.h"
#include "user/user.h"
#include "user/checked.h"

struct block {
  uint64 size;        // bytes in the block, header included; multiple of 16
  struct block *next; // next free block by address (free blocks only)
};

#define GROW_MIN (64 * 1024)   // ask sbrk() for at least this much at once
#define MAX_REQUEST 0x7fff0000 // larger requests would overflow sbrk's int

static struct block *free_list;

void free(void *p) {
  if (p == 0)
    return;
  struct block *b = (struct block *)p - 1;
  struct block *prev = 0, *next = free_list;
  while (next != 0 && next < b) {
    prev = next;
    next = next->next;
  }
  b->next = next;
  if (next != 0 && (char *)b + b->size == (char *)next) {
    b->size += next->size;
    b->next = next->next;
  }
  if (prev == 0) {
    free_list = b;
  } else if ((char *)prev + prev->size == (char *)b) {
    prev->size += b->size;
    prev->next = b->next;
  } else {
    prev->next = b;
  }
}

// Add at least need bytes of fresh heap to the free list; returns 0, or -1
// if sbrk() cannot provide them.
static int grow(uint64 need) {
  char *end = sbrk(0);
  if (end == SBRK_ERROR)
    return -1;
  // Someone may have moved the break by an odd amount; keep blocks aligned.
  uint64 pad = -(uint64)end & 15;
  uint64 amount = need < GROW_MIN ? GROW_MIN : need;
  char *p = sbrk(pad + amount);
  if (p == SBRK_ERROR && amount > need) {
    amount = need; // memory is short: take only what is needed
    p = sbrk(pad + amount);
  }
  if (p == SBRK_ERROR)
    return -1;
  struct block *b = (struct block *)(p + pad);
  b->size = amount;
  free(b + 1);
  return 0;
}

// Unlink the first free block of at least need bytes, leaving any
// remainder big enough for a header on the list; 0 if none fits.
static struct block *take(uint64 need) {
  for (struct block **link = &free_list; *link != 0; link = &(*link)->next) {
    struct block *b = *link;
    if (b->size < need)
      continue;
    if (b->size - need >= sizeof(struct block)) {
      // Keep the tail free, so it can merge with the heap's next growth.
      struct block *rest = (struct block *)((char *)b + need);
      rest->size = b->size - need;
      rest->next = b->next;
      *link = rest;
      b->size = need;
    } else {
      *link = b->next;
    }
    return b;
  }
  return 0;
}

void *malloc(uint nbytes) {
  if (nbytes > MAX_REQUEST)
    return 0;
  uint64 need = sizeof(struct block) + ((nbytes + 15) & ~15UL);
  struct block *b;
  while ((b = take(need)) == 0)
    if (grow(need) < 0)
      return 0;
  return b + 1;
}
