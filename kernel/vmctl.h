// Run-time knobs of the VM subsystem, set with vmctl(knob, value), which
// returns the previous value. Benchmarks flip them to compare both ways in
// one run.
#define VMCTL_FORK_COPY 1   // 1: fork copies every page eagerly, as xv6 does
#define VMCTL_IPC_COPY 2    // 1: IPC copies messages instead of mapping pages
#define VMCTL_SWAP 3        // 0: never write pages to swap (default 1)
#define VMCTL_DEDUP_SCOPE 4 // what dedup() may merge: one of DEDUP_* below
#define VMCTL_FAIL_ALLOC 5  // n > 0: the n-th frame allocation from now fails (tests)

// VMCTL_DEDUP_SCOPE values. Merging is observable: a write to a merged page
// takes a copy fault, which a process can time (docs/vm.md).
#define DEDUP_ALL 0     // identical pages of all processes (the default)
#define DEDUP_PROCESS 1 // only pages of the same process, and zero pages
#define DEDUP_ZERO 2    // only all-zero pages, onto the zero frame
