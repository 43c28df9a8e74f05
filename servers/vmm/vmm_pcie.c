/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A guest's PCIe host bridge (docs/pci.md): an ECAM window in its device tree, decoded here.
 * A function passed through to the guest answers at 00:01.0 through devmgr (vmm_pt.c); every
 * other function it probes is absent: a read of its configuration space gets all-ones, the
 * value of an empty slot (PCIe Base 7.2.2), and writes go nowhere. This is how a function
 * hidden from a guest (a card hot-added while it runs, one passed through to another) looks
 * to it. */
#include "vmm.h"

bool vmm_pcie_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                     uint64_t value, uint64_t *result)
{
    uint64_t off = ipa - VMM_PCIE_ECAM_IPA;

    if (!(st->vms[slot].visible & VMM_DEV_PCIE) || ipa < VMM_PCIE_ECAM_IPA ||
        off >= VMM_PCIE_ECAM_SIZE || (size != 1u && size != 2u && size != 4u && size != 8u) ||
        (ipa & (size - 1u)) != 0) {
        return false;
    }
    /* ECAM: bus, device and function in bits 27:12 of the offset, the register below. */
    if (vmm_pt_config(st, slot, (uint32_t)(off >> 12), (uint32_t)(off & 0xfffu), size, write, value,
                      result)) {
        return true;
    }
    *result = write ? 0 : (size == 8u ? ~0ull : (1ull << (8u * size)) - 1u);
    return true;
}
