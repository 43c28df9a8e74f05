/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An arm64 guest's kernel: a Linux Image (Documentation/arch/arm64/booting.rst), which is also
 * the format of the bare-metal test guests, and the device tree that tells it its machine. */
#include <uslib/string.h>
#include "vmm_arch.h"

#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */

struct image_hdr {
    uint32_t code0, code1;
    uint64_t text_offset;
    uint64_t image_size;
    uint64_t flags;
    uint64_t res2, res3, res4;
    uint32_t magic;
    uint32_t res5;
};

/* Where the kernel goes: DRAM base + text_offset. */
us_err_t vmm_image_place(const struct us_bundle_entry *k, const uint8_t *data, uint64_t limit,
                         struct vmm_image *img)
{
    struct image_hdr h;
    uint64_t size;

    if (k->size < sizeof(h)) {
        return US_ECORRUPT;
    }
    memcpy(&h, data, sizeof(h));
    if (h.magic != IMAGE_MAGIC) {
        US_LOG_ERR("guest kernel is not an arm64 Image (bad magic)");
        return US_ECORRUPT;
    }
    /* booting.rst: image_size 0 means a pre-3.17 kernel loaded at 0x80000. */
    img->offset = h.image_size == 0 ? 0x80000u : h.text_offset;
    img->skip = 0;
    size = h.image_size > k->size ? h.image_size : k->size;
    if (img->offset >= limit || size > limit - img->offset) {
        US_LOG_ERR("guest kernel (0x%llx bytes at +0x%llx) does not fit in guest RAM",
                   (unsigned long long)size, (unsigned long long)img->offset);
        return US_ENOMEM;
    }
    return US_OK;
}

/* The device tree, the boot vCPU's x0 (booting.rst). */
us_err_t vmm_image_boot(struct vmm_state *st, uint32_t slot, const struct us_bundle_entry *k,
                        const uint8_t *data, uint64_t info_off, uint64_t rd_off, uint64_t rd_size,
                        uint64_t *arg)
{
    struct vmm_vm *vm = &st->vms[slot];

    (void)k;
    (void)data;
    *arg = VMM_RAM_IPA + info_off;
    return vmm_fdt_build(&st->config.vms[slot], vm->visible, &vm->pt, vm->ram + info_off,
                         VMM_DTB_MAX, VMM_RAM_IPA + rd_off, rd_size);
}
