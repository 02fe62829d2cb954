# One Makefile for the kernel, the user programs, mkfs and the tests.
#   make qemu      build everything and boot to the shell (CPUS=n harts, default 3)
#   make qemu-gdb  same, waiting for gdb on the port printed
#   make test      host unit tests, then the in-guest suites
#   make soak      the fuzzer and the soak, 10 minutes each, new seeds
#   make bench     in-guest benchmarks
#   make format    clang-format every C file
# LOCKCHECK=1 (e.g. LOCKCHECK=1 make qemu) boots the lock-order checking
# kernel, kernel/kernel-lc, built from the same sources with -DLOCKCHECK
# into kernel/lc/ (make test builds and runs both kernels).

K = kernel
U = user
CPUS ?= 3

TOOLPREFIX ?= riscv64-unknown-elf-
CC = $(TOOLPREFIX)gcc
AS = $(TOOLPREFIX)as
LD = $(TOOLPREFIX)ld
OBJCOPY = $(TOOLPREFIX)objcopy
OBJDUMP = $(TOOLPREFIX)objdump
STRIP = $(TOOLPREFIX)strip
QEMU = qemu-system-riscv64
HOSTCC ?= cc

# `make` alone builds everything tools/run and `make qemu` need.
.DEFAULT_GOAL := all

# Flags shared by the kernel and user programs: code generation only.
ARCHFLAGS = -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax -fno-omit-frame-pointer
ARCHFLAGS += -fno-common -nostdlib -fno-builtin -fno-stack-protector -fno-pie -no-pie
ARCHFLAGS += -fno-tree-loop-distribute-patterns -ggdb -gdwarf-2 -MD -I.

# The kernel: freestanding C11, optimized.
CFLAGS = -std=gnu11 -Wall -Werror -O2 -ffreestanding $(ARCHFLAGS)
ASFLAGS = $(CFLAGS) -D__ASSEMBLER__

# User programs get xv6's warning and optimization flags, so that any
# program that builds on xv6 builds here: -O, not -O2 (-O2 adds warnings,
# e.g. -Warray-bounds on a read of a small constant address, that -Werror
# turns into errors), the default C dialect, and hosted mode with
# -fno-builtin and -Wno-main as newer xv6 has it (an `int main()` that falls
# off its end returns 0; older xv6 used -ffreestanding, which accepts
# `void main()`: -Wno-main accepts that too). The compatibility fixture
# (user/compat_*.c, run by test_compat) holds programs that must build.
UCFLAGS = -Wall -Werror -O -Wno-main $(ARCHFLAGS)
LDFLAGS = -z max-page-size=4096 --no-warn-rwx-segments

# ---------------------------------------------------------------- kernel
KDIRS = $K $K/sched $K/dev $K/vm $K/fs $K/proc $K/trap
KSRCS = $(foreach d,$(KDIRS),$(wildcard $d/*.c $d/*.S))
KOBJS = $(patsubst %.S,%.o,$(patsubst %.c,%.o,$(KSRCS)))

$K/kernel: $(KOBJS) $K/kernel.ld
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > $K/kernel.asm

$K/%.o: $K/%.c
	$(CC) $(CFLAGS) -c -o $@ $<

$K/%.o: $K/%.S
	$(CC) $(ASFLAGS) -c -o $@ $<

# The lock-order checking kernel (kernel/sched/lockcheck.c): its own objects.
LCOBJS = $(patsubst $K/%,$K/lc/%,$(KOBJS))

$K/kernel-lc: $(LCOBJS) $K/kernel.ld
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $@ $(LCOBJS)

$K/lc/%.o: $K/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DLOCKCHECK -c -o $@ $<

$K/lc/%.o: $K/%.S
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -DLOCKCHECK -c -o $@ $<

ifeq ($(LOCKCHECK),1)
KERNEL = $K/kernel-lc
else
KERNEL = $K/kernel
endif

# ---------------------------------------------------------------- user
# Every user/NAME.c that defines main becomes /NAME in the image; the other
# user/*.c files (and usys.S) form the user library linked into each program.
USRCS = $(wildcard $U/*.c)
OPENPAREN := (
UPROG_SRCS = $(shell grep -lE '^([A-Za-z_].*[[:space:]*])?main[[:space:]]*[$(OPENPAREN)]' $(USRCS) /dev/null)
ULIB_SRCS = $(filter-out $(UPROG_SRCS),$(USRCS))
ULIB = $(ULIB_SRCS:.c=.o) $U/usys.o
UPROGS = $(patsubst $U/%.c,$U/_%,$(UPROG_SRCS))

$U/_%: $U/%.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)

$U/%.o: $U/%.c
	$(CC) $(UCFLAGS) -c -o $@ $<

# The benchmarks time user loops (page hashing, a page copy) against the
# same loops in the kernel, so they are compiled as the kernel is.
$U/bench_%.o: $U/bench_%.c
	$(CC) $(UCFLAGS) -O2 -c -o $@ $<

$U/%.o: $U/%.S
	$(CC) $(UCFLAGS) -D__ASSEMBLER__ -c -o $@ $<

# ---------------------------------------------------------------- images
mkfs/mkfs: mkfs/mkfs.c $K/fs.h $K/param.h $K/stat.h $K/types.h
	$(HOSTCC) -Wall -Werror -O2 -I. -o $@ mkfs/mkfs.c

# Programs go into the image without debug information (the image is only
# FSSIZE blocks); the unstripped user/_NAME files stay for gdb.
fs.img: mkfs/mkfs README.md $(UPROGS)
	rm -rf $U/stripped && mkdir -p $U/stripped
	for p in $(UPROGS); do $(STRIP) -o $U/stripped/$${p#$U/_} $$p; done
	cp README.md $U/stripped/README
	mkfs/mkfs fs.img $U/stripped/*

# The swap device: twice the RAM by default (SWAPMB=n for n MiB), sparse,
# so it costs no disk space. Its content never outlives a boot, so
# `make qemu` makes it anew at the size asked for.
SWAPMB ?= 256
swap.img:
	truncate -s $(SWAPMB)M swap.img

-include $(KOBJS:.o=.d) $U/*.d $(LCOBJS:.o=.d)

.PRECIOUS: $U/%.o

# ---------------------------------------------------------------- running
QEMUOPTS = -machine virt -bios default -kernel $(KERNEL) -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=fs.img,if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
# The swap disk's content never outlives a boot, so QEMU need not make each
# write durable (cache=unsafe): swapping runs 3-4x faster.
QEMUOPTS += -drive file=swap.img,if=none,format=raw,id=x1,cache=unsafe
QEMUOPTS += -device virtio-blk-device,drive=x1,bus=virtio-mmio-bus.1

GDBPORT = $(shell expr `id -u` % 5000 + 25000)

all: $(KERNEL) fs.img swap.img

deps:
	@tools/install-deps

qemu: deps
	$(MAKE) all
	rm -f swap.img && $(MAKE) swap.img
	$(QEMU) $(QEMUOPTS)

.gdbinit: .gdbinit.tmpl
	sed "s/:1234/:$(GDBPORT)/" < $^ > $@

qemu-gdb: deps .gdbinit
	@tools/install-deps --gdb
	$(MAKE) all
	@echo "*** Now run 'gdb-multiarch -x .gdbinit' in this directory (port $(GDBPORT))."
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

test: deps
	$(MAKE) all $K/kernel $K/kernel-lc
	python3 tools/test.py

soak: deps
	$(MAKE) all $K/kernel $K/kernel-lc
	python3 tools/test.py --soak

# The benchmarks also draw their results into docs/*.png (tools/plot.py),
# which needs matplotlib: installed here only, never for `make test`.
bench: deps
	@tools/install-deps --plot
	$(MAKE) all
	python3 tools/bench.py

# The compatibility fixture (user/compat_*.c) keeps xv6's style on purpose.
format:
	clang-format -i $(filter-out $U/compat_%.c,$(foreach d,$(KDIRS),$(wildcard $d/*.[ch])) $(wildcard $U/*.[ch] mkfs/*.c tests/host/*.[ch]))

clean:
	rm -f $(foreach d,$(KDIRS),$d/*.o $d/*.d) $K/kernel $K/kernel.asm $K/kernel-lc
	rm -rf $K/lc
	rm -f $U/*.o $U/*.d $U/_* mkfs/mkfs fs.img swap.img .gdbinit
	rm -rf $U/stripped tests/host/build

.PHONY: all deps qemu qemu-gdb test soak bench format clean
