/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The node's NIC on a PC (docs/x86_64.md): a virtio-net-pci function on q35's bus 0, driven by
 * vmm_nic.c through virtio-mmio's register numbering, which this file translates to virtio
 * 1.2's PCI transport (4.1): the common configuration, the ISR, the device configuration and
 * the doorbells, each found through its vendor capability.
 *
 * The boot manifest grants the vmm the function's configuration page (ECAM) and a window of
 * physical addresses for its BARs; the vmm places the BARs there itself, so what the firmware
 * chose does not matter, and enables MSI-X with one vector: a message to CPU 0's local APIC
 * that the kernel takes as the manifest's interrupt, VMM_PC_NIC_INTID. */
#include <understudy/slots.h>
#include <understudy/usys.h>
#include "vmm_arch.h"

#define WINDOW_MAX 0x80000u /* the BARs' window, mapped at VMM_NIC_REGS_VA, uses no more */
#define NIC_CFG_VA (VMM_NIC_REGS_VA + WINDOW_MAX) /* the configuration page, after it */
#define PCI_VENDOR_VIRTIO 0x1af4u
#define PCI_DEVICE_NET 0x1041u /* virtio 1.x's net, without the legacy interface */
#define PCI_COMMAND 0x04u
#define CMD_MEMORY (1u << 1)
#define CMD_MASTER (1u << 2)
#define CMD_INTX_OFF (1u << 10)
#define PCI_STATUS_CAPS (1u << 20) /* in the dword at 0x04 */
#define PCI_BAR0 0x10u
#define BAR_64 0x4u
#define PCI_CAP_PTR 0x34u
#define CAP_MSIX 0x11u
#define CAP_VENDOR 0x09u
#define MSIX_ENABLE (1u << 15) /* message control, the capability's bits 31:16 */
#define MSIX_MASKALL (1u << 14)
#define MSI_ADDR 0xfee00000u /* the local APIC of CPU 0, physical destination */
#define NO_VECTOR 0xffffu

/* virtio's structure types (4.1.4) and the common configuration's fields (4.1.4.3). */
enum { VPCI_COMMON = 1, VPCI_NOTIFY = 2, VPCI_ISR = 3, VPCI_DEVICE = 4 };
#define CC_DFSELECT 0x00u
#define CC_DF 0x04u
#define CC_GFSELECT 0x08u
#define CC_GF 0x0cu
#define CC_MSIX 0x10u
#define CC_STATUS 0x14u
#define CC_Q_SELECT 0x16u
#define CC_Q_SIZE 0x18u
#define CC_Q_MSIX 0x1au
#define CC_Q_ENABLE 0x1cu
#define CC_Q_NOFF 0x1eu
#define CC_Q_DESC 0x20u
#define CC_Q_DRIVER 0x28u
#define CC_Q_DEVICE 0x30u

static volatile uint32_t *cfg32(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(NIC_CFG_VA + off);
}

static volatile uint8_t *win(const struct vmm_nic *n, uint32_t off)
{
    return (volatile uint8_t *)(uintptr_t)n->regs + off;
}

/* virtio-mmio's registers as the common configuration's fields, and their widths. The queue
 * addresses' 32-bit halves are the 64-bit fields' halves; the queue size is read as the
 * maximum until the driver writes the size it wants. */
static const struct {
    uint16_t vio, cc;
    uint8_t width;
} fields[] = {
    {VIO_DEVICE_FEATURES_SEL, CC_DFSELECT, 4},
    {VIO_DEVICE_FEATURES, CC_DF, 4},
    {VIO_DRIVER_FEATURES_SEL, CC_GFSELECT, 4},
    {VIO_DRIVER_FEATURES, CC_GF, 4},
    {VIO_STATUS, CC_STATUS, 1},
    {VIO_QUEUE_SEL, CC_Q_SELECT, 2},
    {VIO_QUEUE_NUM_MAX, CC_Q_SIZE, 2},
    {VIO_QUEUE_NUM, CC_Q_SIZE, 2},
    {VIO_QUEUE_READY, CC_Q_ENABLE, 2},
    {VIO_QUEUE_DESC_LOW, CC_Q_DESC, 4},
    {VIO_QUEUE_DESC_HIGH, CC_Q_DESC + 4, 4},
    {VIO_QUEUE_DRIVER_LOW, CC_Q_DRIVER, 4},
    {VIO_QUEUE_DRIVER_HIGH, CC_Q_DRIVER + 4, 4},
    {VIO_QUEUE_DEVICE_LOW, CC_Q_DEVICE, 4},
    {VIO_QUEUE_DEVICE_HIGH, CC_Q_DEVICE + 4, 4},
};

/* The common configuration's field for virtio-mmio's register @off, or NULL. */
static volatile void *field(const struct vmm_nic *n, uint32_t off, uint32_t *width)
{
    for (uint32_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].vio == off) {
            *width = fields[i].width;
            return win(n, n->pci.common + fields[i].cc);
        }
    }
    return NULL;
}

static uint32_t cc_get(const struct vmm_nic *n, uint32_t cc)
{
    return *(volatile uint16_t *)(volatile void *)win(n, n->pci.common + cc);
}

static void cc_put(const struct vmm_nic *n, uint32_t cc, uint32_t v)
{
    *(volatile uint16_t *)(volatile void *)win(n, n->pci.common + cc) = (uint16_t)v;
}

uint32_t vmm_nic_reg(struct vmm_nic *n, uint32_t off)
{
    uint32_t width;
    volatile void *f = field(n, off, &width);

    if (f != NULL) {
        return width == 4   ? *(volatile uint32_t *)f
               : width == 2 ? *(volatile uint16_t *)f
                            : *(volatile uint8_t *)f;
    }
    if (off == VIO_INTERRUPT_STATUS) {
        return *win(n, n->pci.isr); /* reading clears it */
    }
    if (off >= VIO_CONFIG && off < VIO_CONFIG + 0x100u) {
        return *win(n, n->pci.device + off - VIO_CONFIG);
    }
    return 0;
}

void vmm_nic_reg_set(struct vmm_nic *n, uint32_t off, uint32_t v)
{
    uint32_t width, q;
    volatile void *f;

    if (off == VIO_QUEUE_NOTIFY) {
        /* A doorbell the device placed outside the window (a hostile offset) is not rung. */
        if (v < 2u && (uint64_t)n->pci.notify_at[v] + 2u <= n->pci.window) {
            *(volatile uint16_t *)(volatile void *)win(n, n->pci.notify_at[v]) = (uint16_t)v;
        }
        return;
    }
    if (off == VIO_QUEUE_READY) {
        /* Each queue interrupts through MSI-X entry 0, and rings at its own doorbell. */
        q = cc_get(n, CC_Q_SELECT);
        cc_put(n, CC_Q_MSIX, 0);
        if (q < 2u) {
            n->pci.notify_at[q] = n->pci.notify + cc_get(n, CC_Q_NOFF) * n->pci.notify_mul;
        }
    }
    f = field(n, off, &width); /* VIO_INTERRUPT_ACK has none: the ISR's read acknowledged */
    if (f != NULL && width == 4) {
        *(volatile uint32_t *)f = v;
    } else if (f != NULL && width == 2) {
        *(volatile uint16_t *)f = (uint16_t)v;
    } else if (f != NULL) {
        *(volatile uint8_t *)f = (uint8_t)v;
    }
}

/* A BAR's size (all ones written, read back, restored); 0 if it is not a memory BAR. */
static uint64_t bar_size(uint32_t bar)
{
    volatile uint32_t *b = cfg32(PCI_BAR0 + 4u * bar);
    uint32_t lo = *b, hi = 0, szhi = 0;
    uint64_t size;

    if (lo & 1u) {
        return 0; /* I/O space */
    }
    *b = ~0u;
    size = *b & ~0xfu;
    *b = lo;
    if (lo & BAR_64) {
        hi = b[1];
        b[1] = ~0u;
        szhi = b[1];
        b[1] = hi;
        return ~((uint64_t)szhi << 32 | size) + 1u;
    }
    return (uint32_t)(~(uint32_t)size + 1u);
}

static void bar_place(uint32_t bar, uint64_t pa)
{
    volatile uint32_t *b = cfg32(PCI_BAR0 + 4u * bar);
    bool wide = (*b & BAR_64) != 0;

    *b = (uint32_t)pa;
    if (wide) {
        b[1] = (uint32_t)(pa >> 32);
    }
}

/* The function's capabilities: virtio's four structures (all in one BAR) and MSI-X's table.
 * Returns: NULL, or what is missing. */
static const char *caps(struct vmm_nic *n, uint32_t *vbar, uint32_t *mcap)
{
    uint32_t found = 0, at = *cfg32(PCI_CAP_PTR) & 0xfcu, hops = 0, off[5] = {0};

    *vbar = 6;
    *mcap = 0;
    for (; at >= 0x40u && at < 0x100u && hops < 48u; hops++) {
        uint32_t h = *cfg32(at), type = h >> 24 & 0xffu, bar = *cfg32(at + 4) & 0xffu;

        if ((h & 0xffu) == CAP_MSIX) {
            *mcap = at;
        } else if ((h & 0xffu) == CAP_VENDOR && type >= VPCI_COMMON && type <= VPCI_DEVICE &&
                   !(found & 1u << type) && bar < 6u && (*vbar == 6u || *vbar == bar)) {
            *vbar = bar;
            off[type] = *cfg32(at + 8);
            found |= 1u << type;
            if (type == VPCI_NOTIFY) {
                n->pci.notify_mul = *cfg32(at + 16);
            }
        }
        at = h >> 8 & 0xfcu;
    }
    if (found != 0x1eu) {
        return "virtio-pci structures missing";
    }
    if (*mcap == 0) {
        return "no MSI-X";
    }
    n->pci.common = off[VPCI_COMMON];
    n->pci.notify = off[VPCI_NOTIFY];
    n->pci.isr = off[VPCI_ISR];
    n->pci.device = off[VPCI_DEVICE];
    return NULL;
}

/* Place the structures' BAR at the window's start and MSI-X's table BAR after it, then the
 * table's entry 0 to CPU 0 with the manifest's vector. Returns: NULL, or why not. */
static const char *place(struct vmm_nic *n, uint32_t vbar, uint32_t mcap)
{
    uint32_t tbl = *cfg32(mcap + 4), tbar = tbl & 7u;
    uint64_t vsize = bar_size(vbar), tsize = tbar < 6u ? bar_size(tbar) : 0;
    volatile uint32_t *entry;

    if (vsize == 0 || tsize == 0 || tbar == vbar || vsize > n->pci.window ||
        ((vsize & (vsize - 1u)) | (tsize & (tsize - 1u))) != 0 || tsize > n->pci.window - vsize ||
        (tbl & ~7u) + 16u > tsize || n->pci.common + 0x38u > vsize || n->pci.isr >= vsize ||
        n->pci.notify >= vsize || n->pci.device >= vsize) {
        return "BARs do not fit the granted window";
    }
    *cfg32(PCI_COMMAND) &= ~(CMD_MEMORY | CMD_MASTER) & 0xffffu;
    bar_place(vbar, VMM_PC_NIC_WINDOW);
    bar_place(tbar, VMM_PC_NIC_WINDOW + vsize); /* a power of two: aligned for a smaller one */
    *cfg32(PCI_COMMAND) = (*cfg32(PCI_COMMAND) & 0xffffu) | CMD_MEMORY | CMD_MASTER | CMD_INTX_OFF;
    entry = (volatile uint32_t *)(volatile void *)win(n, (uint32_t)vsize + (tbl & ~7u));
    entry[0] = MSI_ADDR;
    entry[1] = 0;
    entry[2] = US_X86_VECTOR_BASE + VMM_PC_NIC_INTID;
    entry[3] = 0; /* unmasked */
    *cfg32(mcap) = (*cfg32(mcap) & ~(MSIX_MASKALL << 16)) | MSIX_ENABLE << 16;
    cc_put(n, CC_MSIX, NO_VECTOR); /* configuration changes interrupt nobody */
    return NULL;
}

static bool map_both(void)
{
    return us_mem_map(US_SLOT_VMM_NIC_CFG, NIC_CFG_VA, US_RIGHT_READ | US_RIGHT_WRITE) == US_OK &&
           us_mem_map(US_SLOT_VMM_NIC_MMIO, VMM_NIC_REGS_VA, US_RIGHT_READ | US_RIGHT_WRITE) ==
               US_OK;
}

us_err_t vmm_nic_bus_find(struct vmm_nic *n)
{
    uint32_t id, vbar, mcap;
    uint64_t window = 0;
    const char *why;

    if (!map_both()) {
        US_LOG_INFO("no NIC granted: the switch joins the guests only");
        return US_ENOENT;
    }
    /* As much of the window as the manifest granted (0 if unreadable: then no BAR fits). */
    (void)us_mem_info(US_SLOT_VMM_NIC_MMIO, &window, NULL);
    n->pci.window = (uint32_t)(window < WINDOW_MAX ? window : WINDOW_MAX);
    id = *cfg32(0);
    if (id != (PCI_DEVICE_NET << 16 | PCI_VENDOR_VIRTIO)) {
        US_LOG_INFO("no virtio-net-pci function at the granted address (ID 0x%08x): the switch "
                    "joins the guests only",
                    id);
        return US_ENOENT;
    }
    n->regs = (volatile uint32_t *)(uintptr_t)VMM_NIC_REGS_VA;
    why = !(*cfg32(PCI_COMMAND) & PCI_STATUS_CAPS) ? "no capabilities" : caps(n, &vbar, &mcap);
    if (why == NULL) {
        why = place(n, vbar, mcap);
    }
    if (why != NULL) {
        n->regs = NULL;
        US_LOG_ERR("NIC: virtio-net-pci unusable: %s", why);
        return US_ENOTSUP;
    }
    return US_OK;
}

bool vmm_nic_bus_remap(struct vmm_nic *n)
{
    (void)n;
    return map_both();
}
