// The content hash dedup uses to find candidate pages, as a static inline
// function so that the benchmark can time hashing alone with exactly the
// same code (user/bench_dedup.c). Include kernel/types.h and
// kernel/riscv.h first.
//
// One multiply-xor step per 64-bit word, then a final mix. It only has to
// spread different pages well: a full compare precedes every merge, so a
// collision costs a compare, never a wrong merge.
#ifndef PAGEHASH_H
#define PAGEHASH_H

static inline uint64 page_hash(const void *page) {
  const uint64 *w = page;
  uint64 h = 0x9e3779b97f4a7c15UL;
  for (int i = 0; i < PGSIZE / 8; i += 4) { // unrolled: same value, fewer branches
    h = (h ^ w[i]) * 0xff51afd7ed558ccdUL;
    h = (h ^ w[i + 1]) * 0xff51afd7ed558ccdUL;
    h = (h ^ w[i + 2]) * 0xff51afd7ed558ccdUL;
    h = (h ^ w[i + 3]) * 0xff51afd7ed558ccdUL;
  }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53UL;
  h ^= h >> 29;
  return h;
}

#endif
