/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The guest device tree, written with libfdt's sequential-write API at VM creation. */
#include <libfdt.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm.h"

#define PHANDLE_GIC 1u
#define PHANDLE_CLK 2u
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_EDGE_RISING 1u
#define IRQ_LEVEL_HIGH 4u
#define IRQ_PPI_LOW 0xf08u

static int prop_str(void *fdt, const char *name, const char *v)
{
    return fdt_property(fdt, name, v, (int)(strlen(v) + 1u));
}

static int prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
    fdt64_t v[2] = {cpu_to_fdt64(a), cpu_to_fdt64(b)};
    return fdt_property(fdt, name, v, sizeof(v));
}

static int cpus(void *fdt, uint32_t count)
{
    char name[16];
    uint32_t i;
    int r = fdt_begin_node(fdt, "cpus");

    r |= fdt_property_u32(fdt, "#address-cells", 1);
    r |= fdt_property_u32(fdt, "#size-cells", 0);
    for (i = 0; i < count && r == 0; i++) {
        (void)us_snprintf(name, sizeof(name), "cpu@%u", i);
        r |= fdt_begin_node(fdt, name);
        r |= prop_str(fdt, "device_type", "cpu");
        r |= prop_str(fdt, "compatible", "arm,armv8");
        r |= fdt_property_u32(fdt, "reg", i);
        r |= prop_str(fdt, "enable-method", "psci");
        r |= fdt_end_node(fdt);
    }
    return r | fdt_end_node(fdt);
}

static int virtio_node(void *fdt, const char *name, uint64_t ipa, uint32_t spi)
{
    fdt32_t irq[3] = {cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(spi), cpu_to_fdt32(IRQ_EDGE_RISING)};
    int r = fdt_begin_node(fdt, name);

    r |= prop_str(fdt, "compatible", "virtio,mmio");
    r |= prop_u64_pair(fdt, "reg", ipa, VMM_VIRTIO_SIZE);
    r |= fdt_property(fdt, "interrupts", irq, (int)sizeof(irq));
    r |= fdt_property(fdt, "dma-coherent", NULL, 0);
    return r | fdt_end_node(fdt);
}

/* A generic ECAM host bridge (Linux's pci-host-generic): buses 0-15, one 32-bit memory
 * window, no I/O window; an INTx map for a function passed through at 00:01.0 (pin @pt_pin,
 * 0 for none) to its level-triggered SPI. */
static int pcie_node(void *fdt, uint32_t pt_pin)
{
    /* interrupt-map: child unit address (3 cells: device 1 in phys.hi bits 15:11), pin, the
     * GIC's phandle (it has no #address-cells), its 3 interrupt cells. */
    fdt32_t map[8] = {cpu_to_fdt32(VMM_PT_BDF << 8),
                      0,
                      0,
                      cpu_to_fdt32(pt_pin),
                      cpu_to_fdt32(PHANDLE_GIC),
                      cpu_to_fdt32(GIC_SPI),
                      cpu_to_fdt32(VMM_PT_SPI),
                      cpu_to_fdt32(IRQ_LEVEL_HIGH)};
    fdt32_t map_mask[4] = {cpu_to_fdt32(0xf800u), 0, 0, cpu_to_fdt32(7u)};
    fdt32_t ranges[7] = {cpu_to_fdt32(0x02000000u),
                         0,
                         cpu_to_fdt32((uint32_t)VMM_PCIE_MEM_IPA),
                         0,
                         cpu_to_fdt32((uint32_t)VMM_PCIE_MEM_IPA),
                         0,
                         cpu_to_fdt32((uint32_t)VMM_PCIE_MEM_SIZE)};
    fdt32_t bus_range[2] = {0, cpu_to_fdt32((uint32_t)(VMM_PCIE_ECAM_SIZE >> 20) - 1u)};
    int r = fdt_begin_node(fdt, "pcie@10000000");

    r |= prop_str(fdt, "compatible", "pci-host-ecam-generic");
    r |= prop_str(fdt, "device_type", "pci");
    r |= fdt_property_u32(fdt, "#address-cells", 3);
    r |= fdt_property_u32(fdt, "#size-cells", 2);
    r |= prop_u64_pair(fdt, "reg", VMM_PCIE_ECAM_IPA, VMM_PCIE_ECAM_SIZE);
    r |= fdt_property(fdt, "bus-range", bus_range, (int)sizeof(bus_range));
    r |= fdt_property(fdt, "ranges", ranges, (int)sizeof(ranges));
    r |= fdt_property_u32(fdt, "linux,pci-domain", 0);
    r |= fdt_property(fdt, "dma-coherent", NULL, 0);
    if (pt_pin >= 1u && pt_pin <= 4u) {
        r |= fdt_property_u32(fdt, "#interrupt-cells", 1);
        r |= fdt_property(fdt, "interrupt-map", map, (int)sizeof(map));
        r |= fdt_property(fdt, "interrupt-map-mask", map_mask, (int)sizeof(map_mask));
    }
    return r | fdt_end_node(fdt);
}

static int devices(void *fdt, const struct vmm_vm_config *c, uint32_t devs, uint32_t pt_pin)
{
    static const char pl011_compat[] = "arm,pl011\0arm,primecell";
    static const char clock_names[] = "uartclk\0apb_pclk";
    uint32_t timer_irqs[12] = {GIC_PPI, 13, IRQ_PPI_LOW, GIC_PPI, 14, IRQ_PPI_LOW,
                               GIC_PPI, 11, IRQ_PPI_LOW, GIC_PPI, 10, IRQ_PPI_LOW};
    fdt32_t cells[12];
    fdt64_t gic_reg[4] = {cpu_to_fdt64(VMM_GICD_IPA), cpu_to_fdt64(0x10000),
                          cpu_to_fdt64(VMM_GICR_IPA), cpu_to_fdt64(0x20000ull * c->vcpu_count)};
    int r = 0;
    uint32_t i;

    r |= fdt_begin_node(fdt, "intc@8000000");
    r |= prop_str(fdt, "compatible", "arm,gic-v3");
    r |= fdt_property_u32(fdt, "#interrupt-cells", 3);
    r |= fdt_property(fdt, "interrupt-controller", NULL, 0);
    r |= fdt_property(fdt, "reg", gic_reg, (int)sizeof(gic_reg));
    r |= fdt_property_u32(fdt, "phandle", PHANDLE_GIC);
    r |= fdt_end_node(fdt);

    for (i = 0; i < 12; i++) {
        cells[i] = cpu_to_fdt32(timer_irqs[i]);
    }
    r |= fdt_begin_node(fdt, "timer");
    r |= prop_str(fdt, "compatible", "arm,armv8-timer");
    r |= fdt_property(fdt, "interrupts", cells, (int)sizeof(cells));
    r |= fdt_property(fdt, "always-on", NULL, 0);
    r |= fdt_end_node(fdt);

    r |= fdt_begin_node(fdt, "psci");
    r |= fdt_property(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2",
                      sizeof("arm,psci-1.0\0arm,psci-0.2"));
    r |= prop_str(fdt, "method", "hvc");
    r |= fdt_end_node(fdt);

    r |= fdt_begin_node(fdt, "apb-pclk");
    r |= prop_str(fdt, "compatible", "fixed-clock");
    r |= fdt_property_u32(fdt, "#clock-cells", 0);
    r |= fdt_property_u32(fdt, "clock-frequency", 24000000);
    r |= fdt_property_u32(fdt, "phandle", PHANDLE_CLK);
    r |= fdt_end_node(fdt);

    if (devs & VMM_DEV_VIRTIO_BLK) {
        r |= virtio_node(fdt, "virtio_mmio@a000000", VMM_VIRTIO_BLK_IPA, VMM_VIRTIO_BLK_SPI);
    }
    if (devs & VMM_DEV_VIRTIO_CONSOLE) {
        r |= virtio_node(fdt, "virtio_mmio@a001000", VMM_VIRTIO_CON_IPA, VMM_VIRTIO_CON_SPI);
    }
    if (devs & VMM_DEV_VIRTIO_NET) {
        r |= virtio_node(fdt, "virtio_mmio@a002000", VMM_VIRTIO_NET_IPA, VMM_VIRTIO_NET_SPI);
    }
    if (devs & VMM_DEV_VIRTIO_VSOCK) {
        r |= virtio_node(fdt, "virtio_mmio@a003000", VMM_VIRTIO_VSOCK_IPA, VMM_VIRTIO_VSOCK_SPI);
    }
    if (devs & VMM_DEV_PCIE) {
        r |= pcie_node(fdt, pt_pin);
    }
    if (devs & VMM_DEV_UART) {
        fdt32_t irq[3] = {cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(VMM_UART_SPI),
                          cpu_to_fdt32(IRQ_LEVEL_HIGH)};
        fdt32_t clocks[2] = {cpu_to_fdt32(PHANDLE_CLK), cpu_to_fdt32(PHANDLE_CLK)};
        r |= fdt_begin_node(fdt, "pl011@9000000");
        r |= fdt_property(fdt, "compatible", pl011_compat, (int)sizeof(pl011_compat));
        r |= prop_u64_pair(fdt, "reg", VMM_UART_IPA, VMM_UART_SIZE);
        r |= fdt_property(fdt, "interrupts", irq, (int)sizeof(irq));
        r |= fdt_property(fdt, "clocks", clocks, (int)sizeof(clocks));
        r |= fdt_property(fdt, "clock-names", clock_names, (int)sizeof(clock_names));
        r |= fdt_end_node(fdt);
    }
    return r;
}

us_err_t vmm_fdt_build(const struct vmm_vm_config *c, uint32_t devs, const struct vmm_pt *pt,
                       void *buf, uint32_t size, uint64_t initrd_ipa, uint64_t initrd_size)
{
    int r = fdt_create(buf, (int)size);

    r |= fdt_finish_reservemap(buf);
    r |= fdt_begin_node(buf, "");
    r |= prop_str(buf, "compatible", "linux,dummy-virt");
    r |= fdt_property_u32(buf, "#address-cells", 2);
    r |= fdt_property_u32(buf, "#size-cells", 2);
    r |= fdt_property_u32(buf, "interrupt-parent", PHANDLE_GIC);

    r |= fdt_begin_node(buf, "chosen");
    r |= prop_str(buf, "bootargs", c->bootargs);
    if (devs & VMM_DEV_UART) {
        r |= prop_str(buf, "stdout-path", "/pl011@9000000");
    }
    if (initrd_size != 0) {
        r |= fdt_property_u64(buf, "linux,initrd-start", initrd_ipa);
        r |= fdt_property_u64(buf, "linux,initrd-end", initrd_ipa + initrd_size);
    }
    if (pt != NULL && pt->on) {
        /* The function's BARs are where devmgr placed them, mapped there: Linux keeps them. */
        r |= fdt_property_u32(buf, "linux,pci-probe-only", 1);
    }
    r |= fdt_end_node(buf);

    r |= fdt_begin_node(buf, "memory@40000000");
    r |= prop_str(buf, "device_type", "memory");
    r |= prop_u64_pair(buf, "reg", VMM_RAM_IPA, c->mem_size);
    r |= fdt_end_node(buf);

    r |= cpus(buf, c->vcpu_count);
    r |= devices(buf, c, devs, pt != NULL && pt->on ? pt->pin : 0u);
    r |= fdt_end_node(buf);
    r |= fdt_finish(buf);
    return r == 0 ? US_OK : US_ENOMEM;
}
