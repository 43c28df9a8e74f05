/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The node's NIC on QEMU virt: a virtio-net-device on the last virtio-mmio transport (the
 * first one -device fills), granted to the vmm by the boot manifest with its interrupt, and
 * driven by vmm_nic.c through the transport's registers as they are. */
#include <understudy/slots.h>
#include <understudy/usys.h>
#include "vmm_arch.h"

#define NIC_REGS_OFF 0xe00u /* transport 31 in the granted page 0x0a003000 */

uint32_t vmm_nic_reg(struct vmm_nic *n, uint32_t off)
{
    if (off >= VIO_CONFIG) {
        return ((volatile uint8_t *)(volatile void *)n->regs)[off]; /* the config's bytes */
    }
    return n->regs[off / 4u];
}

void vmm_nic_reg_set(struct vmm_nic *n, uint32_t off, uint32_t v)
{
    n->regs[off / 4u] = v;
}

static bool map_regs(void)
{
    return us_mem_map(US_SLOT_VMM_NIC_MMIO, VMM_NIC_REGS_VA, US_RIGHT_READ | US_RIGHT_WRITE) ==
           US_OK;
}

us_err_t vmm_nic_bus_find(struct vmm_nic *n)
{
    volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)(VMM_NIC_REGS_VA + NIC_REGS_OFF);

    if (!map_regs()) {
        US_LOG_INFO("no NIC granted: the switch joins the guests only");
        return US_ENOENT;
    }
    if (regs[VIO_MAGIC / 4] != VIO_MAGIC_VALUE || regs[VIO_DEVICE_ID / 4] != VIO_ID_NET) {
        US_LOG_INFO("no NIC on the virtio-mmio bus: the switch joins the guests only");
        return US_ENOENT;
    }
    if (regs[VIO_VERSION / 4] != 2u) {
        US_LOG_ERR("NIC: legacy virtio-mmio transport (version %u) is not supported; start "
                   "QEMU with -global virtio-mmio.force-legacy=false",
                   regs[VIO_VERSION / 4]);
        return US_ENOTSUP;
    }
    n->regs = regs;
    return US_OK;
}

bool vmm_nic_bus_remap(struct vmm_nic *n)
{
    (void)n;
    return map_regs();
}
