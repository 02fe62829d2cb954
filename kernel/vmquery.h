// vmquery(): a per-page view of an address space, for vmmap and the tests.
// User programs include this header (after kernel/types.h).
//
//   int vmquery(int pid, uint64 va, int npages, char *states);
//
// Fills states[i] with one byte describing page va + i * PGSIZE of process
// pid (0: the caller), for i < npages. Returns the size of that process
// in pages (PGROUNDUP(sz) / PGSIZE, so a caller can size its next query),
// or -1 with nothing written: no such live process, va not page-aligned
// or beyond MAXVA, npages <= 0, above VMQ_MAXPAGES or reaching past MAXVA,
// or states not writable by the caller. Any process may query any other;
// only states are reported, never contents (though "merged" and "zero"
// do tell that a page equals another, as the time of a write to it would).
//
// A state byte holds the state in its low four bits and, for mapped pages,
// the number of sharers in its high four bits (15 means 15 or more):
//   VMQ_STATE(b)    one of VMQ_* below
//   VMQ_SHARERS(b)  address spaces that map this page's frame, counted as
//                   the address spaces that see this PTE slot (a leaf table
//                   shared after fork is seen by several) plus one for each
//                   other PTE slot mapping the frame. Exact unless those
//                   other slots sit in shared leaf tables too: then it is a
//                   lower bound. 1 for a page nobody else maps, 0 for pages
//                   with no frame.
#ifndef VMQUERY_H
#define VMQUERY_H

// A COW page whose sharers are gone counts as private: a write reuses it.
#define VMQ_NONE 0      // not mapped: outside the process (at or above sz)
#define VMQ_LAZY 1      // below sz, not touched yet: zero-filled on first touch
#define VMQ_GUARD 2     // the guard page under the stack: any access kills
#define VMQ_PRIVATE 3   // mapped by this address space alone
#define VMQ_READONLY 4  // read-only and never writable (text, read-only data)
#define VMQ_COW 5       // copy-on-write, shared (fork): a write copies it
#define VMQ_MERGED 6    // shared because dedup() merged identical pages
#define VMQ_ZERO 7      // the shared all-zero frame of dedup()
#define VMQ_SWAPPED 8   // on the swap device only
#define VMQ_SWAPCACHE 9 // on swap, its content also in memory: a touch maps it, no read
#define VMQ_NSTATES 10

#define VMQ_STATE(b) ((b)&0xf)
#define VMQ_SHARERS(b) (((b) >> 4) & 0xf)
#define VMQ_SHARERS_MAX 15

#define VMQ_MAXPAGES (1 << 20) // most pages one call may ask for (4 GiB)

#endif
