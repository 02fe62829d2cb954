// Virtio over MMIO, version 2 ("modern"), and the virtio-blk request format,
// as defined by the Virtio 1.1 specification (sections 2.6, 4.2.2, 5.2).
// Only what virtio_disk.c uses is here. All fields are little-endian, which
// is RISC-V's byte order, so they are used as plain integers.
#ifndef VIRTIO_H
#define VIRTIO_H

// MMIO register offsets from the base of a virtio-mmio slot (spec 4.2.2).
#define VIRTIO_MMIO_MAGIC_VALUE 0x000 // "virt" = 0x74726976
#define VIRTIO_MMIO_VERSION 0x004     // 2 for a modern device
#define VIRTIO_MMIO_DEVICE_ID 0x008   // 2 = block device, 0 = empty slot
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090 // the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0 // the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG 0x100 // device-specific configuration

#define VIRTIO_MAGIC 0x74726976
#define VIRTIO_ID_BLOCK 2

// Device status bits (spec 2.1).
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8

// Feature bits. A modern device requires the driver to accept VERSION_1; we
// accept nothing else (no indirect descriptors, no event index, ...).
#define VIRTIO_F_VERSION_1 32

// Interrupt status bits.
#define VIRTIO_INT_USED_BUFFER 1
#define VIRTIO_INT_CONFIG_CHANGE 2

// Split virtqueue (spec 2.6). Alignment: descriptors 16, available ring 2,
// used ring 4; each part gets a page of its own here.
struct virtq_desc {
  uint64 addr; // physical address of the buffer
  uint32 len;
  uint16 flags;
  uint16 next; // index of the next descriptor if flags has NEXT
};
#define VIRTQ_DESC_F_NEXT 1  // the chain continues with next
#define VIRTQ_DESC_F_WRITE 2 // the device writes this buffer

struct virtq_avail {
  uint16 flags;
  uint16 idx;    // where the driver puts the next entry (mod queue size)
  uint16 ring[]; // heads of descriptor chains given to the device
};

struct virtq_used_elem {
  uint32 id;  // head of the completed chain
  uint32 len; // bytes the device wrote
};

struct virtq_used {
  uint16 flags;
  uint16 idx; // where the device puts the next entry (mod queue size)
  struct virtq_used_elem ring[];
};

// virtio-blk (spec 5.2). A request is a chain of three descriptors: this
// header (device reads), the data (device reads or writes), one status byte
// (device writes). Sectors are 512 bytes.
#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_T_IN 0  // read from the disk
#define VIRTIO_BLK_T_OUT 1 // write to the disk
#define VIRTIO_BLK_S_OK 0

struct virtio_blk_req {
  uint32 type;
  uint32 reserved;
  uint64 sector;
};

// Offset of the capacity (uint64, in sectors) in the configuration space.
#define VIRTIO_BLK_CFG_CAPACITY 0

#endif
