/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* remove-memory (docs/memory.md): the range is withheld from allocation by the kernel, every VM
 * whose RAM reaches into it moves its application to an understudy (made after the withholding,
 * so its RAM is elsewhere) and retires, one leg at a time (migrate_maint.c), and the kernel's
 * audit must find the range empty at the end. Before that the kernel moves the hypervisor's own
 * pages out (servers' memory, translation tables, the boot bundle); what it cannot move (its
 * image, memory a device may reach by DMA) makes the range refused. */
#include <understudy/syscalls.h>
#include <understudy/vmm.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "migrate.h"

#define PAGE 4096u

bool migrate_vm_info(uint32_t slot, struct us_vm_info *out)
{
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    m.w[0] = slot;
    us_msg_init(&m, US_VMM_VM_INFO, 8);
    if (migrate_vmm_call(&m) != US_OK || m.hdr.err != US_OK || m.hdr.len < sizeof(*out)) {
        return false;
    }
    memcpy(out, m.w, sizeof(*out));
    return out->name[0] != '\0' && out->state != US_VM_STATE_EMPTY;
}

/* Bytes of [a, a + an) in [b, b + bn). */
static uint64_t overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    uint64_t lo = a > b ? a : b, hi = a + an < b + bn ? a + an : b + bn;

    return hi > lo ? hi - lo : 0;
}

bool migrate_memory_next(uint64_t base, uint64_t size, char name[16], uint64_t *guest_frames)
{
    struct us_vm_info info;
    bool found = false;

    *guest_frames = 0;
    for (uint32_t slot = 0; slot < US_VM_MAX; slot++) {
        uint64_t n =
            migrate_vm_info(slot, &info) ? overlap(info.ram_pa, info.mem_size, base, size) : 0;

        if (n != 0) {
            *guest_frames += n / PAGE;
            if (!found) {
                memcpy(name, info.name, 16);
                found = true;
            }
        }
    }
    return found;
}

uint64_t migrate_memory_move_own(bool guests, uint64_t *moved)
{
    uint64_t r[3] = {0, 0, 0};

    *moved = 0;
    /* A page whose holder runs on another CPU this instant waits: ask again, a few times. */
    for (uint32_t i = 0; i < 64; i++) {
        if (migrate_mem_ctl(US_SERVER_CTL_MEM_MOVE, guests ? US_MEM_MOVE_GUESTS : 0u, 0, r) !=
            US_OK) {
            r[1] = 0;
            break;
        }
        *moved += r[0];
        if (r[1] == 0) {
            break;
        }
        (void)us_yield();
    }
    return r[1];
}

us_err_t migrate_memory_start(struct us_maint_req *req, bool *done, char *why, size_t why_len)
{
    uint64_t used, guest, moved, left, r[3] = {0, 0, 0};
    bool vm;
    us_err_t e;

    *done = false;
    if (req->base % PAGE != 0 || req->mem_size % PAGE != 0 || req->mem_size == 0) {
        us_snprintf(why, why_len, "a range of whole 4 KiB pages is expected");
        return US_EINVAL;
    }
    e = migrate_mem_ctl(US_SERVER_CTL_MEM_OFFLINE, req->base, req->mem_size, NULL);
    if (e != US_OK) {
        us_snprintf(why, why_len, "%s",
                    e == US_ENOMEM  ? "no room to evacuate into: what is in use there does not "
                                      "fit in the free memory"
                    : e == US_EBUSY ? "another range is being removed"
                                    : "not the RAM the kernel manages, or more than 256 MiB");
        return e;
    }
    left = migrate_memory_move_own(req->via == US_MAINT_VIA_COPY, &moved);
    if (req->via == US_MAINT_VIA_COPY) {
        req->via = US_MAINT_VIA_RESTART; /* for a guest whose RAM a device may reach */
    }
    if (moved != 0) {
        US_LOG_INFO("maint: memory 0x%llx+0x%llx: %llu pages moved out",
                    (unsigned long long)req->base, (unsigned long long)req->mem_size,
                    (unsigned long long)moved);
    }
    (void)migrate_mem_ctl(US_SERVER_CTL_MEM_AUDIT, req->base, req->mem_size, r);
    used = r[0];
    vm = migrate_memory_next(req->base, req->mem_size, req->vm, &guest);
    if (!vm && used == 0 && r[2] == 0) {
        us_snprintf(why, why_len,
                    "%llu pages moved out, nothing else in use there: withheld; it may be "
                    "removed",
                    (unsigned long long)moved);
        *done = true;
        return US_OK;
    }
    /* What waits for a running server or vCPU is asked again once the VMs have moved out. */
    if (!vm || used > guest + left) {
        (void)migrate_mem_ctl(US_SERVER_CTL_MEM_ONLINE, 0, 0, NULL);
        if (used > guest + left) {
            us_snprintf(why, why_len,
                        "%llu pages there cannot move: the kernel's image and tables, or "
                        "memory a device may reach by DMA",
                        (unsigned long long)(used - guest - left));
        } else if (left == 0) {
            us_snprintf(why, why_len, "%llu pages there are mapped, though none is in use",
                        (unsigned long long)r[2]);
        } else {
            us_snprintf(why, why_len,
                        "%llu pages there belong to a server or vCPU that kept running: try "
                        "again",
                        (unsigned long long)left);
        }
        return US_EBUSY;
    }
    return US_OK;
}
