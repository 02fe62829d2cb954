// Run-time knobs of the VM subsystem, set with vmctl(knob, value), which
// returns the previous value. Benchmarks flip them to compare both ways in
// one run.
#define VMCTL_FORK_COPY 1 // 1: fork copies every page eagerly, as xv6 does
#define VMCTL_IPC_COPY 2  // 1: IPC copies messages instead of mapping pages
