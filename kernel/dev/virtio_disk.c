// Driver for the two virtio-blk disks (virtio over MMIO, version 2).
//
// Disk 0, in virtio-mmio slot 0, holds the file system; disk 1, in slot 1,
// is the swap device and may be absent. Interface (kernel/defs.h):
//   virtio_disk_init()               probe and set up both slots, at boot
//   virtio_disk_present(disk)        1 if the slot holds a block device
//   virtio_disk_io(disk, sector, kva, nbytes, write)
//                                    one transfer; sleeps until it is done;
//                                    0, or -1 on a device error/absent disk
//   virtio_disk_iov(disk, sector, pages, n, write)
//                                    the same for n whole pages (at most
//                                    MAX_IOV) to or from consecutive
//                                    sectors: one request (swap batches)
//   virtio_disk_capacity(disk)       its size in 512-byte sectors
//   virtio_disk_rw(b, write)         a file-system block (disk 0)
//   virtio_disk_intr(disk)           the disk's interrupt handler
//
// Each disk has one virtqueue of QSIZE descriptors. A request is a chain:
// header, one descriptor per data buffer, status byte. Any number of processes may have
// requests in flight; one without free descriptors sleeps until some are
// returned. Invariants, under the disk's lock: a descriptor is either in
// the free set or part of exactly one chain the device owns or a waiting
// process owns; done[head] is set only by the interrupt handler, once the
// device has put head in the used ring.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/virtio.h"
#include "kernel/defs.h" // kalloc (vm/), sleep and wakeup (sched/), dev.h

#define NDISK 2
#define QSIZE 64   // descriptors per queue
#define MAX_IOV 32 // data buffers per request
#define MAX_CHAIN (MAX_IOV + 2)

// Device-visible memory for request headers and status bytes, indexed by
// the head descriptor of the chain. One kalloc'd page per disk.
struct reqarea {
  struct virtio_blk_req hdr[QSIZE];
  uchar status[QSIZE];
};

struct disk {
  struct spinlock lock; // protects every field below and the rings
  int present;
  char *regs;                       // kernel address of the MMIO registers
  uint64 nsectors;                  // capacity
  struct virtq_desc *desc;          // QSIZE descriptors
  struct virtq_avail *avail;        // driver -> device
  volatile struct virtq_used *used; // device -> driver
  struct reqarea *req;
  char isfree[QSIZE]; // descriptor i is not part of any chain
  char done[QSIZE];   // the chain headed by i has completed
  int nwaiting;       // processes sleeping for free descriptors
  uint16 used_seen;   // entries of the used ring already handled
};

static struct disk disks[NDISK];

static volatile uint32 *reg(struct disk *d, int off) { return (volatile uint32 *)(d->regs + off); }

// Check slot n; return 1 for a version-2 block device, 0 for an empty slot.
static int disk_probe(struct disk *d, int n) {
  d->regs = PA2KVA(VIRTIO0 + n * VIRTIO_STRIDE);
  if (*reg(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC)
    panic("virtio_disk_init: no virtio-mmio slot");
  if (*reg(d, VIRTIO_MMIO_DEVICE_ID) == 0)
    return 0;
  if (*reg(d, VIRTIO_MMIO_VERSION) != 2)
    panic("virtio_disk_init: not a modern (version 2) device");
  if (*reg(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
    panic("virtio_disk_init: not a block device");
  return 1;
}

// Device initialization steps 1-6 of spec 3.1.1: reset, say hello and
// accept VERSION_1 as the only feature.
static void disk_negotiate(struct disk *d) {
  uint32 status = 0;

  *reg(d, VIRTIO_MMIO_STATUS) = status;
  status |= VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
  *reg(d, VIRTIO_MMIO_STATUS) = status;

  *reg(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1; // feature bits 32..63
  if (!(*reg(d, VIRTIO_MMIO_DEVICE_FEATURES) & (1 << (VIRTIO_F_VERSION_1 - 32))))
    panic("virtio_disk_init: device lacks VERSION_1");
  *reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
  *reg(d, VIRTIO_MMIO_DRIVER_FEATURES) = 0;
  *reg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
  *reg(d, VIRTIO_MMIO_DRIVER_FEATURES) = 1 << (VIRTIO_F_VERSION_1 - 32);

  status |= VIRTIO_STATUS_FEATURES_OK;
  *reg(d, VIRTIO_MMIO_STATUS) = status;
  if (!(*reg(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
    panic("virtio_disk_init: features refused");
}

static void *zpage(void) {
  void *p = kalloc();
  if (p == 0)
    panic("virtio_disk_init: kalloc");
  memset(p, 0, PGSIZE);
  return p;
}

static void set_addr(struct disk *d, int lowreg, void *kva) {
  uint64 pa = KVA2PA(kva);
  *reg(d, lowreg) = (uint32)pa;
  *reg(d, lowreg + 4) = (uint32)(pa >> 32);
}

// Give queue 0 its three rings, then tell the device the driver is ready.
static void disk_setup_queue(struct disk *d) {
  *reg(d, VIRTIO_MMIO_QUEUE_SEL) = 0;
  if (*reg(d, VIRTIO_MMIO_QUEUE_READY))
    panic("virtio_disk_init: queue already in use");
  if (*reg(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < QSIZE)
    panic("virtio_disk_init: queue too short");
  d->desc = zpage();
  d->avail = zpage();
  d->used = zpage();
  d->req = zpage();
  *reg(d, VIRTIO_MMIO_QUEUE_NUM) = QSIZE;
  set_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, d->desc);
  set_addr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, d->avail);
  set_addr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (void *)d->used);
  *reg(d, VIRTIO_MMIO_QUEUE_READY) = 1;
  for (int i = 0; i < QSIZE; i++)
    d->isfree[i] = 1;

  d->nsectors = *reg(d, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY) |
                (uint64)*reg(d, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4) << 32;
  *reg(d, VIRTIO_MMIO_STATUS) |= VIRTIO_STATUS_DRIVER_OK;
}

void virtio_disk_init(void) {
  for (int n = 0; n < NDISK; n++) {
    struct disk *d = &disks[n];
    initlock(&d->lock, n == 0 ? "virtio_disk0" : "virtio_disk1");
    if (!disk_probe(d, n)) {
      if (n == 0)
        panic("virtio_disk_init: no file-system disk");
      continue;
    }
    disk_negotiate(d);
    disk_setup_queue(d);
    d->present = 1;
  }
}

int virtio_disk_present(int disk) { return disk >= 0 && disk < NDISK && disks[disk].present; }

// Take n free descriptors into idx[]; 0 if there are not enough.
static int chain_alloc(struct disk *d, int *idx, int n) {
  int got = 0;

  for (int i = 0; i < QSIZE && got < n; i++)
    if (d->isfree[i])
      idx[got++] = i;
  if (got < n)
    return 0;
  for (int i = 0; i < n; i++)
    d->isfree[idx[i]] = 0;
  return 1;
}

static void chain_free(struct disk *d, int *idx, int n) {
  for (int i = 0; i < n; i++) {
    d->isfree[idx[i]] = 1;
    d->desc[idx[i]].flags = 0;
  }
  if (d->nwaiting)
    wakeup(d->isfree);
}

static void desc_set(struct disk *d, int i, void *kva, uint32 len, uint16 flags, int next) {
  d->desc[i].addr = KVA2PA(kva);
  d->desc[i].len = len;
  d->desc[i].flags = flags;
  d->desc[i].next = next;
}

// Fill the chain idx[] (nbuf data buffers of len bytes each) for one
// request and hand it to the device.
static void chain_submit(struct disk *d, int *idx, uint64 sector, void **bufs, int nbuf, uint len,
                         int write) {
  int h = idx[0];
  uint16 data = VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE);

  d->req->hdr[h].type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  d->req->hdr[h].reserved = 0;
  d->req->hdr[h].sector = sector;
  d->req->status[h] = 0xff; // the device overwrites it on completion
  desc_set(d, h, &d->req->hdr[h], sizeof(struct virtio_blk_req), VIRTQ_DESC_F_NEXT, idx[1]);
  for (int i = 0; i < nbuf; i++)
    desc_set(d, idx[1 + i], bufs[i], len, data, idx[2 + i]);
  desc_set(d, idx[1 + nbuf], &d->req->status[h], 1, VIRTQ_DESC_F_WRITE, 0);
  d->done[h] = 0;

  d->avail->ring[d->avail->idx % QSIZE] = h;
  __sync_synchronize(); // the device must see the entry before the new idx
  d->avail->idx++;
  __sync_synchronize(); // and the new idx before the notification
  *reg(d, VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
}

// One request of nbuf buffers of len bytes each; sleeps until done.
static int request(int disk, uint64 sector, void **bufs, int nbuf, uint len, int write) {
  struct disk *d;
  int idx[MAX_CHAIN], ok, n = nbuf + 2;

  if (!virtio_disk_present(disk))
    return -1;
  if (nbuf < 1 || nbuf > MAX_IOV || len == 0 || len % VIRTIO_BLK_SECTOR != 0)
    panic("virtio_disk: bad request");
  for (int i = 0; i < nbuf; i++)
    if ((uint64)bufs[i] < KERNEL_OFFSET)
      panic("virtio_disk: bad buffer");
  d = &disks[disk];
  if (sector + (uint64)nbuf * len / VIRTIO_BLK_SECTOR > d->nsectors)
    return -1;

  acquire(&d->lock);
  while (!chain_alloc(d, idx, n)) {
    d->nwaiting++;
    sleep(d->isfree, &d->lock);
    d->nwaiting--;
  }
  chain_submit(d, idx, sector, bufs, nbuf, len, write);
  while (!d->done[idx[0]])
    sleep(&d->done[idx[0]], &d->lock);
  ok = *(volatile uchar *)&d->req->status[idx[0]] == VIRTIO_BLK_S_OK;
  chain_free(d, idx, n);
  release(&d->lock);
  return ok ? 0 : -1;
}

int virtio_disk_io(int disk, uint64 sector, void *kva, uint nbytes, int write) {
  return request(disk, sector, &kva, 1, nbytes, write);
}

int virtio_disk_iov(int disk, uint64 sector, void **pages, int n, int write) {
  return request(disk, sector, pages, n, PGSIZE, write);
}

uint64 virtio_disk_capacity(int disk) {
  return virtio_disk_present(disk) ? disks[disk].nsectors : 0;
}

void virtio_disk_rw(struct buf *b, int write) {
  uint64 sector = (uint64)b->blockno * (BSIZE / VIRTIO_BLK_SECTOR);

  if (b->dev != ROOTDEV)
    panic("virtio_disk_rw: unknown device");
  if (virtio_disk_io(0, sector, b->data, BSIZE, write) < 0)
    panic("virtio_disk_rw: disk error");
}

// Acknowledge the interrupt and wake the owners of every chain the device
// has completed since the last one. Several completions may be reported
// by a single interrupt.
void virtio_disk_intr(int disk) {
  struct disk *d;

  if (!virtio_disk_present(disk))
    return;
  d = &disks[disk];
  acquire(&d->lock);
  *reg(d, VIRTIO_MMIO_INTERRUPT_ACK) =
      *reg(d, VIRTIO_MMIO_INTERRUPT_STATUS) & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE);
  __sync_synchronize(); // read the used ring only after the device wrote it
  while (d->used_seen != d->used->idx) {
    __sync_synchronize();
    uint32 h = d->used->ring[d->used_seen % QSIZE].id;
    if (h >= QSIZE || d->isfree[h])
      panic("virtio_disk_intr: bad used entry");
    d->done[h] = 1;
    wakeup(&d->done[h]);
    d->used_seen++;
  }
  release(&d->lock);
}
