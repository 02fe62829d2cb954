// The parts of the ELF-64 format that exec() reads (ELF specification).
#ifndef ELF_H
#define ELF_H

#define ELF_MAGIC 0x464C457FU // "\x7FELF", read as a little-endian word

// ident[0] (EI_CLASS), ident[1] (EI_DATA), type and machine of the
// programs exec() runs: 64-bit little-endian RISC-V executables.
#define ELF_CLASS64 2
#define ELF_DATA_LSB 1
#define ELF_TYPE_EXEC 2
#define ELF_MACHINE_RISCV 243

struct elfhdr {
  uint magic;
  uchar ident[12];
  ushort type;
  ushort machine;
  uint version;
  uint64 entry; // virtual address of the first instruction
  uint64 phoff; // file offset of the program headers
  uint64 shoff;
  uint flags;
  ushort ehsize;
  ushort phentsize;
  ushort phnum; // number of program headers
  ushort shentsize;
  ushort shnum;
  ushort shstrndx;
};

struct proghdr {
  uint32 type;  // ELF_PROG_LOAD for segments to load
  uint32 flags; // ELF_PROG_FLAG_*
  uint64 off;   // file offset of the segment's bytes
  uint64 vaddr; // where it goes
  uint64 paddr;
  uint64 filesz; // bytes in the file
  uint64 memsz;  // bytes in memory (the rest is zero: bss)
  uint64 align;
};

#define ELF_PROG_LOAD 1

#define ELF_PROG_FLAG_EXEC 1
#define ELF_PROG_FLAG_WRITE 2
#define ELF_PROG_FLAG_READ 4

#endif
